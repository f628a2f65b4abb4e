package tenant_test

import (
	"bytes"
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
	"github.com/franceconnect-go/franceconnect/internal/browsertest"
	"github.com/franceconnect-go/franceconnect/tenant"
)

const hPortal = "https://portail.example"

var (
	newHBrowser   = browsertest.New
	hFollowLogout = browsertest.FollowLogout
)

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u
}

// grantPortal is a grant-portal product on the mock: tenants registered
// with the exact URL shapes, one mount for all of them.
type grantPortal struct {
	srv     *fctest.Server
	set     *tenant.Set
	mux     *http.ServeMux
	regs    map[string]fctest.Registration
	mu      sync.Mutex
	logins  map[string]*franceconnect.Result // by tenant, the last login
	landed  string                           // where the last login sent the user
	visited int                              // plain visits of /aides
	err     error
}

func tenantOf(r *http.Request) string { return strings.TrimSuffix(r.PathValue("space"), "-demandeurs") }

func newGrantPortal(t *testing.T, tenants ...string) *grantPortal {
	t.Helper()
	srv := fctest.NewServer(fctest.Options{})
	t.Cleanup(srv.Close)
	p := newGrantPortalWith(t, srv, tenant.Config{CookieKeys: [][]byte{browsertest.Key(1)}, PostLogoutRedirectURL: hPortal + "/aides"})
	for _, name := range tenants {
		p.add(t, name)
	}
	return p
}

// newGrantPortalWith is a grant portal on srv whose set has cfg.
func newGrantPortalWith(t *testing.T, srv *fctest.Server, cfg tenant.Config) *grantPortal {
	t.Helper()
	p := &grantPortal{srv: srv, mux: http.NewServeMux(), regs: map[string]fctest.Registration{}, logins: map[string]*franceconnect.Result{}}
	set, err := tenant.New(cfg)
	require.NoError(t, err)
	p.set = set
	const space = "/account-management/{space}/france-connect/"
	p.mux.Handle("GET "+space+"login", set.LoginHandler(tenantOf, franceconnect.AuthOptions{}, p.fail))
	p.mux.Handle("GET "+space+"code", set.CallbackHandler(tenantOf,
		func(w http.ResponseWriter, r *http.Request, res *franceconnect.Result) {
			p.mu.Lock()
			p.logins[res.Tenant], p.landed, p.err = res, res.ReturnTo, nil
			p.mu.Unlock()
			http.Redirect(w, r, res.ReturnTo, http.StatusFound)
		}, p.fail))
	p.mux.Handle("POST "+space+"logout", set.LogoutHandler(tenantOf, func(r *http.Request) (string, error) {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.logins[tenantOf(r)].RawIDToken, nil
	}))
	p.mux.Handle("GET /aides", set.LogoutReturnHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.visited++
		p.mu.Unlock()
		_, _ = w.Write([]byte("S'identifier avec FranceConnect"))
	}), p.fail))
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
	urls, err := tenant.GrantPortalURLs(hPortal, name)
	require.NoError(t, err)
	reg := p.srv.Register(fctest.Registration{RedirectURIs: []string{urls.RedirectURL}, PostLogoutRedirectURIs: []string{urls.PostLogoutRedirectURL}})
	p.regs[name] = reg
	require.NoError(t, p.set.Put(name, urls.Config(franceconnect.Config{Environment: p.srv.Environment(), ClientID: reg.ID, ClientSecret: reg.Secret})))
}

func spacePath(tenant, action string) string {
	return hPortal + "/account-management/" + tenant + "-demandeurs/france-connect/" + action
}

// New refuses what every tenant would be refused: no cookie key, a key
// that is not 32 random bytes, no post-logout URL.
func TestNewRefusesSharedSettings(t *testing.T) {
	t.Parallel()
	for name, cfg := range map[string]tenant.Config{
		"no key":       {PostLogoutRedirectURL: hPortal + "/aides"},
		"short key":    {CookieKeys: [][]byte{[]byte("short")}, PostLogoutRedirectURL: hPortal + "/aides"},
		"repeated key": {CookieKeys: [][]byte{bytes.Repeat([]byte{'a'}, 32)}, PostLogoutRedirectURL: hPortal + "/aides"},
		"no logout":    {CookieKeys: [][]byte{browsertest.Key(1)}},
	} {
		_, err := tenant.New(cfg)
		assert.ErrorIs(t, err, franceconnect.ErrConfig, name)
	}
}

// The URLs of the grant-portal shape, byte for byte, and the redirect_uri
// the authorize and token requests carry (the mock compares both with the
// registered string).
func TestGrantPortalURLs(t *testing.T) {
	t.Parallel()
	urls, err := tenant.GrantPortalURLs("https://aides.example/", "t1")
	require.NoError(t, err)
	assert.Equal(t, "https://aides.example/account-management/t1-demandeurs/france-connect/code?redirectUrl=https%3A%2F%2Faides.example%2Faides%2F%23%2Ft1%2Fconnecte%2Fdashboard%2Faccueil&jwtKey=jwt-t1-portail-depot-demande-aides", urls.RedirectURL)
	assert.Equal(t, "https://aides.example/aides", urls.PostLogoutRedirectURL)
	generic, err := tenant.GenericURLs("http://127.0.0.1:8080", "mairie-42")
	require.NoError(t, err)
	assert.Equal(t, tenant.URLs{RedirectURL: "http://127.0.0.1:8080/fc/mairie-42/callback", PostLogoutRedirectURL: "http://127.0.0.1:8080/fc/logged-out"}, generic)
	for _, bad := range [][2]string{{"https://aides.example/sub", "t1"}, {"http://aides.example", "t1"}, {"https://aides.example", "t 1"}, {"https://aides.example", ""}, {"aides.example", "t1"}} {
		_, err := tenant.GrantPortalURLs(bad[0], bad[1])
		assert.ErrorIs(t, err, franceconnect.ErrConfig, "%q", bad)
	}

	p := newGrantPortal(t, "t1")
	b := newHBrowser(t)
	resp := b.Get(t, p.mux, spacePath("t1", "login"))
	require.Equal(t, http.StatusFound, resp.StatusCode)
	want, _ := tenant.GrantPortalURLs(hPortal, "t1")
	assert.Equal(t, want.RedirectURL, mustURL(t, resp.Header.Get("Location")).Query().Get("redirect_uri"), "sent byte for byte")
	cb, err := p.srv.Login(resp.Header.Get("Location"), fctest.DefaultUser)
	require.NoError(t, err, "the mock accepts it as registered")
	b.Get(t, p.mux, cb)
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
	cbA := br.Start(t, p.srv, p.mux, spacePath("a", "login"), fctest.DefaultUser)
	cbB := br.Start(t, p.srv, p.mux, spacePath("b", "login"), fctest.Users()[1])
	for _, tc := range []struct{ tenant, cb, family string }{{"b", cbB, "LEBLANC"}, {"a", cbA, "DUBOIS"}} {
		resp := br.Get(t, p.mux, tc.cb)
		require.NoError(t, p.err, tc.tenant)
		assert.Equal(t, http.StatusFound, resp.StatusCode)
		assert.Equal(t, tc.family, p.logins[tc.tenant].Identity.FamilyName)
		assert.Equal(t, hPortal+"/aides/#/"+tc.tenant+"/connecte/dashboard/accueil", resp.Header.Get("Location"))
	}

	for _, name := range []string{"a", "b"} {
		resp := br.Post(t, p.mux, spacePath(name, "logout"))
		require.Equal(t, http.StatusFound, resp.StatusCode)
		back := hFollowLogout(t, resp.Header.Get("Location"))
		require.True(t, strings.HasPrefix(back, hPortal+"/aides?"), back)
		resp = br.Get(t, p.mux, back)
		require.NoError(t, p.err, name)
		assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "verified: the page, without the state")
		assert.Equal(t, "/aides", resp.Header.Get("Location"))
	}

	// A's callback path with the login B started.
	cbB = br.Start(t, p.srv, p.mux, spacePath("b", "login"), fctest.DefaultUser)
	u := mustURL(t, cbB)
	u.Path = strings.Replace(u.Path, "/b-demandeurs/", "/a-demandeurs/", 1)
	br.Get(t, p.mux, u.String())
	assert.ErrorIs(t, p.err, franceconnect.ErrInvalidTransaction)

	// An unknown tenant.
	br.Get(t, p.mux, strings.Replace(u.String(), "/a-demandeurs/", "/zz-demandeurs/", 1))
	assert.ErrorIs(t, p.err, tenant.ErrUnknownTenant)
	assert.Equal(t, http.StatusNotFound, br.Get(t, p.mux, spacePath("zz", "login")).StatusCode)
}

// An administrator changes a tenant's settings while a login is in flight:
// a new secret (same client ID) lets it complete; a new client ID makes it
// fail with ErrRegistrationChanged, and nothing is logged in.
func TestTenantChangedDuringLogin(t *testing.T) {
	t.Parallel()
	p := newGrantPortal(t, "a")
	urls, err := tenant.GrantPortalURLs(hPortal, "a")
	require.NoError(t, err)
	br := newHBrowser(t)

	cb := br.Start(t, p.srv, p.mux, spacePath("a", "login"), fctest.DefaultUser)
	reg := p.regs["a"]
	require.NoError(t, p.set.Put("a", urls.Config(franceconnect.Config{Environment: p.srv.Environment(), ClientID: reg.ID, ClientSecret: reg.Secret, Scopes: []string{franceconnect.ScopeEmail}})))
	br.Get(t, p.mux, cb)
	require.NoError(t, p.err, "same client ID and secret: the login completes")

	cb = br.Start(t, p.srv, p.mux, spacePath("a", "login"), fctest.DefaultUser)
	delete(p.logins, "a")
	p.add(t, "a") // a new registration: another client ID
	tokens := p.srv.Stats().TokenRequests
	br.Get(t, p.mux, cb)
	assert.ErrorIs(t, p.err, franceconnect.ErrRegistrationChanged)
	assert.Nil(t, p.logins["a"], "no partial login")
	assert.Equal(t, tokens, p.srv.Stats().TokenRequests, "no code exchanged")

	// Removed: its pending login fails plainly.
	cb = br.Start(t, p.srv, p.mux, spacePath("a", "login"), fctest.DefaultUser)
	p.set.Remove("a")
	br.Get(t, p.mux, cb)
	assert.ErrorIs(t, p.err, tenant.ErrUnknownTenant)
}

// Settings are swapped while logins run: no race, no panic, and every
// login either lands where it should or gets the French page of a typed
// error (here, with the client ID kept, every one completes).
func TestTenantsConcurrentChanges(t *testing.T) {
	t.Parallel()
	p := newGrantPortal(t, "a")
	urls, _ := tenant.GrantPortalURLs(hPortal, "a")
	reg := p.regs["a"]
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			br := newHBrowser(t)
			cb := br.Start(t, p.srv, p.mux, spacePath("a", "login"), fctest.DefaultUser)
			resp := br.Get(t, p.mux, cb)
			assert.Equal(t, http.StatusFound, resp.StatusCode, "login %d", i)
			assert.Equal(t, hPortal+"/aides/#/a/connecte/dashboard/accueil", resp.Header.Get("Location"), "login %d", i)
		}()
		go func() {
			defer wg.Done()
			scopes := []string{franceconnect.ScopeEmail}
			if i%2 == 0 {
				scopes = nil
			}
			assert.NoError(t, p.set.Put("a", urls.Config(franceconnect.Config{Environment: p.srv.Environment(), ClientID: reg.ID, ClientSecret: reg.Secret, Scopes: scopes})))
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
			cb := br.Start(t, p.srv, p.mux, spacePath(name, "login"), fctest.DefaultUser)
			resp := br.Get(t, p.mux, cb)
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

// withProConnectTenant is a grant portal with a FranceConnect tenant "a"
// and a ProConnect one, "agents", on a ProConnect mock.
func withProConnectTenant(t *testing.T) (*grantPortal, *fctest.Server) {
	t.Helper()
	p := newGrantPortal(t, "a")
	pc := fctest.NewServer(fctest.Options{Federation: franceconnect.ProConnect})
	t.Cleanup(pc.Close)
	urls, err := tenant.GrantPortalURLs(hPortal, "agents")
	require.NoError(t, err)
	reg := pc.Register(fctest.Registration{RedirectURIs: []string{urls.RedirectURL}, PostLogoutRedirectURIs: []string{urls.PostLogoutRedirectURL}})
	require.NoError(t, p.set.Put("agents", urls.Config(franceconnect.Config{Environment: pc.Environment(), ClientID: reg.ID, ClientSecret: reg.Secret})))
	return p, pc
}

// A tenant set serves a ProConnect registration beside FranceConnect ones,
// on the same mount and the same shared post-logout URL.
func TestTenantsWithProConnect(t *testing.T) {
	t.Parallel()
	p, pc := withProConnectTenant(t)

	b := newHBrowser(t)
	cbA := b.Start(t, p.srv, p.mux, spacePath("a", "login"), fctest.DefaultUser)
	cbPC := b.Start(t, pc, p.mux, spacePath("agents", "login"), fctest.Agents()[0])
	for _, cb := range []string{cbPC, cbA} {
		b.Get(t, p.mux, cb)
		require.NoError(t, p.err)
	}
	assert.Equal(t, "DUBOIS", p.logins["a"].Identity.FamilyName)
	assert.Equal(t, "MARTIN", p.logins["agents"].Agent.UsualName)

	resp := b.Post(t, p.mux, spacePath("agents", "logout"))
	require.Equal(t, http.StatusFound, resp.StatusCode)
	require.True(t, strings.HasPrefix(resp.Header.Get("Location"), pc.Environment().Issuer+"/session/end?"))
	back := hFollowLogout(t, resp.Header.Get("Location"))
	resp = b.Get(t, p.mux, back)
	require.NoError(t, p.err)
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "the shared post-logout URL verifies the ProConnect tenant's logout")
}

// A set with FranceConnect and ProConnect tenants, mounted with options
// only ProConnect accepts: a FranceConnect tenant's login gets the
// portal's error page with a typed error, never a panic; the ProConnect
// tenant's login goes on.
func TestLoginOptionsATenantRefuses(t *testing.T) {
	t.Parallel()
	p, pc := withProConnectTenant(t)

	for name, opts := range map[string]franceconnect.AuthOptions{
		"prompt=none": {Prompt: "none"},
		"login hint":  {LoginHint: "jean.martin@interieur.gouv.fr"},
		"SIRET hint":  {SIRETHint: "11000201100044"},
	} {
		mux := http.NewServeMux()
		mux.Handle("GET /account-management/{space}/france-connect/login", p.set.LoginHandler(tenantOf, opts, p.fail))
		b := newHBrowser(t)
		resp := b.Get(t, mux, spacePath("a", "login"))
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, name)
		assert.ErrorIs(t, p.err, franceconnect.ErrConfig, name)
		assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"), name)
		resp = b.Get(t, mux, spacePath("agents", "login"))
		assert.Equal(t, http.StatusFound, resp.StatusCode, name)
		assert.True(t, strings.HasPrefix(resp.Header.Get("Location"), pc.Environment().AuthorizationEndpoint), name)
	}
}

// Two tenants of one FranceConnect registration (one client ID declaring
// both callbacks): tenant B's callback refuses the login tenant A started,
// before any call to the provider.
func TestTenantsSharingOneRegistration(t *testing.T) {
	t.Parallel()
	p := newGrantPortal(t)
	a, err := tenant.GrantPortalURLs(hPortal, "a")
	require.NoError(t, err)
	b, err := tenant.GrantPortalURLs(hPortal, "b")
	require.NoError(t, err)
	reg := p.srv.Register(fctest.Registration{RedirectURIs: []string{a.RedirectURL, b.RedirectURL}, PostLogoutRedirectURIs: []string{a.PostLogoutRedirectURL}})
	for name, urls := range map[string]tenant.URLs{"a": a, "b": b} {
		require.NoError(t, p.set.Put(name, urls.Config(franceconnect.Config{Environment: p.srv.Environment(), ClientID: reg.ID, ClientSecret: reg.Secret})))
	}
	br := newHBrowser(t)
	cbA := br.Start(t, p.srv, p.mux, spacePath("a", "login"), fctest.DefaultUser)
	u := mustURL(t, cbA)
	u.Path = strings.Replace(u.Path, "/a-demandeurs/", "/b-demandeurs/", 1)
	br.Get(t, p.mux, u.String())
	assert.ErrorIs(t, p.err, franceconnect.ErrInvalidTransaction)
	assert.Zero(t, p.srv.Stats().TokenRequests, "A's code never reaches the token endpoint with B's redirect_uri")

	br.Get(t, p.mux, cbA)
	assert.ErrorIs(t, p.err, franceconnect.ErrNoTransaction, "a pending login is used once, whoever opens it")
	assert.Zero(t, p.srv.Stats().TokenRequests)
}

// Two logouts pending in one browser (two tabs, two tenants, the shared
// post-logout URL): both complete, in either order.
func TestTwoLogoutsPending(t *testing.T) {
	t.Parallel()
	p := newGrantPortal(t, "a", "b")
	br := newHBrowser(t)
	for _, name := range []string{"a", "b"} {
		br.Get(t, p.mux, br.Start(t, p.srv, p.mux, spacePath(name, "login"), fctest.DefaultUser))
		require.NoError(t, p.err)
	}
	var backs []string
	for _, name := range []string{"a", "b"} {
		resp := br.Post(t, p.mux, spacePath(name, "logout"))
		require.Equal(t, http.StatusFound, resp.StatusCode)
		backs = append(backs, hFollowLogout(t, resp.Header.Get("Location")))
	}
	for _, back := range []string{backs[1], backs[0]} {
		resp := br.Get(t, p.mux, back)
		require.NoError(t, p.err)
		assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "verified")
	}
}

// The shared post-logout URL is also the page with the buttons: a plain
// visit is the page's, and so is the end of a verified logout.
func TestPostLogoutURLIsAPage(t *testing.T) {
	t.Parallel()
	p := newGrantPortal(t, "a")
	br := newHBrowser(t)
	resp := br.Get(t, p.mux, hPortal+"/aides")
	assert.Equal(t, http.StatusOK, resp.StatusCode, "a plain visit")
	assert.Equal(t, 1, p.visited)

	br.Get(t, p.mux, br.Start(t, p.srv, p.mux, spacePath("a", "login"), fctest.DefaultUser))
	resp = br.Post(t, p.mux, spacePath("a", "logout"))
	resp = br.Get(t, p.mux, hFollowLogout(t, resp.Header.Get("Location")))
	require.NoError(t, p.err)
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	assert.Equal(t, 1, p.visited, "the return is verified, not served")
	resp = br.Get(t, p.mux, hPortal+resp.Header.Get("Location"))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 2, p.visited, "then the page")

	// With no tenant at all, the page is still served.
	p.set.Remove("a")
	resp = newHBrowser(t).Get(t, p.mux, hPortal+"/aides")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// A portal's own settings tab, driven against the mock in its tests: the
// development switch accepts the mock's address, and the login works.
func TestSettingsAgainstTheMock(t *testing.T) {
	t.Parallel()
	p := newGrantPortal(t)
	urls, err := tenant.GrantPortalURLs(hPortal, "a")
	require.NoError(t, err)
	reg := p.srv.Register(fctest.Registration{RedirectURIs: []string{urls.RedirectURL}, PostLogoutRedirectURIs: []string{urls.PostLogoutRedirectURL}})
	form := tenant.Settings{ClientID: reg.ID, ClientSecret: reg.Secret, ServiceURL: p.srv.URL}
	require.NotEmpty(t, form.Check(), "refused without the development switch")
	form.Development = true // from the portal's test configuration, never from the form
	require.Empty(t, form.Check())
	cfg, err := form.Config(urls.Config(franceconnect.Config{}))
	require.NoError(t, err)
	require.NoError(t, p.set.Put("a", cfg))
	br := newHBrowser(t)
	br.Get(t, p.mux, br.Start(t, p.srv, p.mux, spacePath("a", "login"), fctest.DefaultUser))
	require.NoError(t, p.err)
	assert.Equal(t, "DUBOIS", p.logins["a"].Identity.FamilyName)
}
