package franceconnect_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
)

// grantPortal is a grant-portal product on the mock: tenants registered
// with the exact URL shapes, one mount for all of them.
type grantPortal struct {
	srv     *fctest.Server
	set     *franceconnect.Tenants
	mux     *http.ServeMux
	regs    map[string]fctest.Registration
	mu      sync.Mutex
	logins  map[string]*franceconnect.Result // by tenant, the last login
	landed  string                           // where the last login sent the user
	loggedO string                           // the tenant of the last logout return
	err     error
}

func tenantOf(r *http.Request) string { return strings.TrimSuffix(r.PathValue("space"), "-demandeurs") }

func newGrantPortal(t *testing.T, tenants ...string) *grantPortal {
	t.Helper()
	p := &grantPortal{srv: fctest.NewServer(), mux: http.NewServeMux(), regs: map[string]fctest.Registration{}, logins: map[string]*franceconnect.Result{}}
	t.Cleanup(p.srv.Close)
	set, err := franceconnect.NewTenants(franceconnect.TenantsConfig{CookieKeys: [][]byte{hKey(1)}, PostLogoutRedirectURL: hPortal + "/aides"})
	require.NoError(t, err)
	p.set = set
	for _, name := range tenants {
		p.add(t, name)
	}
	const space = "/account-management/{space}/france-connect/"
	p.mux.Handle("GET "+space+"login", set.LoginHandler(tenantOf, franceconnect.AuthOptions{}))
	p.mux.Handle("GET "+space+"code", set.CallbackHandler(tenantOf,
		func(w http.ResponseWriter, r *http.Request, tenant string, res *franceconnect.Result, returnTo string) {
			p.mu.Lock()
			p.logins[tenant], p.landed, p.err = res, returnTo, nil
			p.mu.Unlock()
			http.Redirect(w, r, returnTo, http.StatusFound)
		}, p.fail))
	p.mux.Handle("POST "+space+"logout", set.LogoutHandler(tenantOf, func(r *http.Request) (string, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.logins[tenantOf(r)].RawIDToken, nil
	}))
	p.mux.Handle("GET /aides", set.LogoutReturnHandler(func(w http.ResponseWriter, r *http.Request, tenant string) {
		p.mu.Lock()
		p.loggedO, p.err = tenant, nil
		p.mu.Unlock()
		_, _ = w.Write([]byte("déconnecté"))
	}, p.fail))
	return p
}

func (p *grantPortal) fail(w http.ResponseWriter, r *http.Request, err error) {
	p.mu.Lock()
	p.err = err
	p.mu.Unlock()
	http.Error(w, franceconnect.UserMessage(err), http.StatusBadRequest)
}

// add registers tenant on the mock with the grant-portal URLs and adds it
// to the set.
func (p *grantPortal) add(t *testing.T, name string) {
	t.Helper()
	urls, err := franceconnect.GrantPortalURLs(hPortal, name)
	require.NoError(t, err)
	reg := p.srv.Register(fctest.Registration{RedirectURIs: []string{urls.RedirectURL}, PostLogoutRedirectURIs: []string{urls.PostLogoutRedirectURL}})
	p.regs[name] = reg
	require.NoError(t, p.set.Set(name, urls.Config(franceconnect.Config{Environment: p.srv.Environment(), ClientID: reg.ID, ClientSecret: reg.Secret})))
}

func spacePath(tenant, action string) string {
	return hPortal + "/account-management/" + tenant + "-demandeurs/france-connect/" + action
}

// The URLs of the grant-portal shape, byte for byte, and the redirect_uri
// the authorize and token requests carry (the mock compares both with the
// registered string).
func TestGrantPortalURLs(t *testing.T) {
	t.Parallel()
	urls, err := franceconnect.GrantPortalURLs("https://aides.example/", "t1")
	require.NoError(t, err)
	assert.Equal(t, "https://aides.example/account-management/t1-demandeurs/france-connect/code?redirectUrl=https%3A%2F%2Faides.example%2Faides%2F%23%2Ft1%2Fconnecte%2Fdashboard%2Faccueil&jwtKey=jwt-t1-portail-depot-demande-aides", urls.RedirectURL)
	assert.Equal(t, "https://aides.example/aides", urls.PostLogoutRedirectURL)
	generic, err := franceconnect.GenericURLs("http://127.0.0.1:8080", "mairie-42")
	require.NoError(t, err)
	assert.Equal(t, franceconnect.RegistrationURLs{RedirectURL: "http://127.0.0.1:8080/fc/mairie-42/callback", PostLogoutRedirectURL: "http://127.0.0.1:8080/fc/logged-out"}, generic)
	for _, bad := range [][2]string{{"https://aides.example/sub", "t1"}, {"http://aides.example", "t1"}, {"https://aides.example", "t 1"}, {"https://aides.example", ""}, {"aides.example", "t1"}} {
		_, err := franceconnect.GrantPortalURLs(bad[0], bad[1])
		assert.ErrorIs(t, err, franceconnect.ErrConfig, "%q", bad)
	}

	p := newGrantPortal(t, "t1")
	b := newHBrowser(t)
	resp := b.get(t, p.mux, spacePath("t1", "login"))
	require.Equal(t, http.StatusFound, resp.StatusCode)
	want, _ := franceconnect.GrantPortalURLs(hPortal, "t1")
	assert.Equal(t, want.RedirectURL, mustURL(t, resp.Header.Get("Location")).Query().Get("redirect_uri"), "sent byte for byte")
	cb, err := p.srv.Login(resp.Header.Get("Location"), fctest.DefaultUser)
	require.NoError(t, err, "the mock accepts it as registered")
	b.get(t, p.mux, cb)
	require.NoError(t, p.err, "the token request repeats it as registered")
	assert.Equal(t, hPortal+"/aides/#/t1/connecte/dashboard/accueil", p.landed, "the destination of the registered URL, fragment intact")
}

// Tenants A and B log in, interleaved, in one browser; each callback is
// verified by its tenant's client; the shared /aides logout return finds
// each tenant; a callback given another tenant's login is refused.
func TestTenantsInOneBrowser(t *testing.T) {
	t.Parallel()
	p := newGrantPortal(t, "a", "b")
	br := newHBrowser(t)
	cbA := br.start(t, p.srv, p.mux, spacePath("a", "login"), fctest.DefaultUser)
	cbB := br.start(t, p.srv, p.mux, spacePath("b", "login"), fctest.Users()[1])
	for _, tc := range []struct{ tenant, cb, family string }{{"b", cbB, "LEBLANC"}, {"a", cbA, "DUBOIS"}} {
		resp := br.get(t, p.mux, tc.cb)
		require.NoError(t, p.err, tc.tenant)
		assert.Equal(t, http.StatusFound, resp.StatusCode)
		assert.Equal(t, tc.family, p.logins[tc.tenant].Identity.FamilyName)
		assert.Equal(t, hPortal+"/aides/#/"+tc.tenant+"/connecte/dashboard/accueil", resp.Header.Get("Location"))
	}

	for _, tenant := range []string{"a", "b"} {
		resp := br.post(t, p.mux, spacePath(tenant, "logout"))
		require.Equal(t, http.StatusFound, resp.StatusCode)
		back := hFollowLogout(t, resp.Header.Get("Location"))
		require.True(t, strings.HasPrefix(back, hPortal+"/aides?"), back)
		br.get(t, p.mux, back)
		require.NoError(t, p.err, tenant)
		assert.Equal(t, tenant, p.loggedO, "the shared post-logout URL finds the tenant")
	}

	// A's callback path with the login B started.
	cbB = br.start(t, p.srv, p.mux, spacePath("b", "login"), fctest.DefaultUser)
	u := mustURL(t, cbB)
	u.Path = strings.Replace(u.Path, "/b-demandeurs/", "/a-demandeurs/", 1)
	br.get(t, p.mux, u.String())
	assert.ErrorIs(t, p.err, franceconnect.ErrInvalidTransaction)

	// An unknown tenant.
	br.get(t, p.mux, strings.Replace(u.String(), "/a-demandeurs/", "/zz-demandeurs/", 1))
	assert.ErrorIs(t, p.err, franceconnect.ErrUnknownTenant)
	assert.Equal(t, http.StatusNotFound, br.get(t, p.mux, spacePath("zz", "login")).StatusCode)
}

// An administrator changes a tenant's settings while a login is in flight:
// a new secret (same client ID) lets it complete; a new client ID makes it
// fail with ErrTenantChanged, and nothing is logged in.
func TestTenantChangedDuringLogin(t *testing.T) {
	t.Parallel()
	p := newGrantPortal(t, "a")
	urls, err := franceconnect.GrantPortalURLs(hPortal, "a")
	require.NoError(t, err)
	br := newHBrowser(t)

	cb := br.start(t, p.srv, p.mux, spacePath("a", "login"), fctest.DefaultUser)
	reg := p.regs["a"]
	require.NoError(t, p.set.Set("a", urls.Config(franceconnect.Config{Environment: p.srv.Environment(), ClientID: reg.ID, ClientSecret: reg.Secret, Scopes: []string{franceconnect.ScopeEmail}})))
	br.get(t, p.mux, cb)
	require.NoError(t, p.err, "same client ID and secret: the login completes")

	cb = br.start(t, p.srv, p.mux, spacePath("a", "login"), fctest.DefaultUser)
	delete(p.logins, "a")
	p.add(t, "a") // a new registration: another client ID
	tokens := p.srv.Stats().TokenRequests
	br.get(t, p.mux, cb)
	assert.ErrorIs(t, p.err, franceconnect.ErrTenantChanged)
	assert.ErrorIs(t, p.err, franceconnect.ErrInvalidTransaction)
	assert.Nil(t, p.logins["a"], "no partial login")
	assert.Equal(t, tokens, p.srv.Stats().TokenRequests, "no code exchanged")

	// Removed: its pending login fails plainly.
	cb = br.start(t, p.srv, p.mux, spacePath("a", "login"), fctest.DefaultUser)
	p.set.Remove("a")
	br.get(t, p.mux, cb)
	assert.ErrorIs(t, p.err, franceconnect.ErrUnknownTenant)
}

// Settings are swapped while logins run: no race, no panic, and every
// login either lands where it should or gets the French page of a typed
// error (here, with the client ID kept, every one completes).
func TestTenantsConcurrentChanges(t *testing.T) {
	t.Parallel()
	p := newGrantPortal(t, "a")
	urls, _ := franceconnect.GrantPortalURLs(hPortal, "a")
	reg := p.regs["a"]
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			br := newHBrowser(t)
			cb := br.start(t, p.srv, p.mux, spacePath("a", "login"), fctest.DefaultUser)
			resp := br.get(t, p.mux, cb)
			assert.Equal(t, http.StatusFound, resp.StatusCode, "login %d", i)
			assert.Equal(t, hPortal+"/aides/#/a/connecte/dashboard/accueil", resp.Header.Get("Location"), "login %d", i)
		}()
		go func() {
			defer wg.Done()
			scopes := []string{franceconnect.ScopeEmail}
			if i%2 == 0 {
				scopes = nil
			}
			assert.NoError(t, p.set.Set("a", urls.Config(franceconnect.Config{Environment: p.srv.Environment(), ClientID: reg.ID, ClientSecret: reg.Secret, Scopes: scopes})))
		}()
	}
	wg.Wait()
}

// 100 tenants of one environment fetch the provider's keys once.
func TestTenantsShareOneKeyCache(t *testing.T) {
	t.Parallel()
	names := make([]string, 100)
	for i := range names {
		names[i] = fmt.Sprintf("t%03d", i)
	}
	p := newGrantPortal(t, names...)
	var wg sync.WaitGroup
	for _, name := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			br := newHBrowser(t)
			cb := br.start(t, p.srv, p.mux, spacePath(name, "login"), fctest.DefaultUser)
			resp := br.get(t, p.mux, cb)
			assert.Equal(t, http.StatusFound, resp.StatusCode, name)
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 100, p.srv.Stats().TokenRequests)
	assert.EqualValues(t, 1, p.srv.Stats().JWKSFetches)
}

// The destination comes from the configured redirect URL, never from the
// request, and must be on the portal's origin or an allowed one.
func TestDestinationParam(t *testing.T) {
	t.Parallel()
	base := franceconnect.Config{Environment: franceconnect.Sandbox, ClientID: "id", ClientSecret: "secret", DestinationParam: "redirectUrl"}
	tests := []struct {
		redirect string
		allowed  []string
		want     string // "" means valid
	}{
		{"https://portail.example/cb?redirectUrl=" + url.QueryEscape("https://portail.example/aides/#/t1"), nil, ""},
		{"https://portail.example/cb?redirectUrl=" + url.QueryEscape("https://app.example/#/t1"), []string{"https://app.example"}, ""},
		{"https://portail.example/cb?redirectUrl=" + url.QueryEscape("https://evil.example/"), nil, "neither RedirectURL's origin"},
		{"https://portail.example/cb?redirectUrl=" + url.QueryEscape("javascript:alert(1)"), nil, "not an absolute http(s) URL"},
		{"https://portail.example/cb?redirectUrl=%2Faides", nil, "not an absolute http(s) URL"},
		{"https://portail.example/cb?jwtKey=x", nil, "no such query parameter"},
	}
	for _, tt := range tests {
		cfg := base
		cfg.RedirectURL, cfg.AllowedOrigins = tt.redirect, tt.allowed
		_, err := franceconnect.New(cfg)
		if tt.want == "" {
			assert.NoError(t, err, tt.redirect)
		} else {
			assert.ErrorContains(t, err, tt.want, tt.redirect)
		}
	}
}
