package franceconnect_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/cookiejar"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
)

// tenantRedirect is a multi-tenant portal's callback that carries its own
// query string: it must survive authorize and token byte for byte.
const tenantRedirect = "https://portail.example/account-management/aidestpe-demandeurs/france-connect/code?redirectUrl=https%3A%2F%2Fportail.example%2Faides%2F%23%2Faidestpe%2Fconnecte%2Fdashboard%2Faccueil&jwtKey=jwt-aidestpe-portail-depot-demande-aides"

// mockSetup starts a mock, registers a client with alg and returns a Client
// configured for it.
func mockSetup(t *testing.T, alg string, mutate ...func(*franceconnect.Config)) (*fctest.Server, *franceconnect.Client) {
	t.Helper()
	srv := fctest.NewServer(fctest.Options{})
	t.Cleanup(srv.Close)
	reg := fctest.Registration{RedirectURIs: []string{"https://portail.example/fc/callback", tenantRedirect}, Alg: alg}
	base := franceconnect.Config{
		Algorithm: alg,
		Scopes:    []string{franceconnect.ScopeIdentitePivot, franceconnect.ScopeEmail, franceconnect.ScopeIDPBirthdate},
	}
	return srv, clientOn(t, srv, reg, base, mutate...)
}

// clientOn registers reg on srv (the tests' callback and post-logout URLs
// by default) and returns a Client of base configured for it, then
// changed by mutate.
func clientOn(t *testing.T, srv *fctest.Server, reg fctest.Registration, base franceconnect.Config, mutate ...func(*franceconnect.Config)) *franceconnect.Client {
	t.Helper()
	if reg.RedirectURIs == nil {
		reg.RedirectURIs = []string{"https://portail.example/fc/callback"}
	}
	reg.PostLogoutRedirectURIs = []string{"https://portail.example/"}
	reg = srv.Register(reg)
	base.Environment, base.ClientID, base.ClientSecret = srv.Environment(), reg.ID, reg.Secret
	base.RedirectURL, base.PostLogoutRedirectURL = "https://portail.example/fc/callback", "https://portail.example/"
	for _, m := range mutate {
		m(&base)
	}
	c, err := franceconnect.New(base)
	require.NoError(t, err)
	return c
}

// mockLogin runs the browser part against the mock and returns the callback's
// query.
func mockLogin(t *testing.T, srv *fctest.Server, c *franceconnect.Client, u fctest.User, opts franceconnect.AuthOptions) (*franceconnect.AuthRequest, url.Values) {
	t.Helper()
	req, err := c.AuthCodeURL(opts)
	require.NoError(t, err)
	cb, err := srv.Login(req.URL, u)
	require.NoError(t, err)
	parsed, err := url.Parse(cb)
	require.NoError(t, err)
	return req, parsed.Query()
}

func TestLoginEndToEnd(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"ES256", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			srv, c := mockSetup(t, alg)
			req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{Claims: franceconnect.ClaimsAMR})
			res, err := c.Exchange(context.Background(), req, q)
			require.NoError(t, err)

			id := res.Identity
			assert.Equal(t, "Angela Claire Louise", id.GivenName)
			assert.Equal(t, []string{"Angela", "Claire", "Louise"}, id.GivenNames)
			assert.Equal(t, "DUBOIS", id.FamilyName)
			assert.Equal(t, franceconnect.Birthdate{Year: 1962, Month: time.August, Day: 24}, id.Birthdate)
			assert.Equal(t, franceconnect.GenderFemale, id.Gender)
			assert.Equal(t, "75107", id.Birthplace)
			assert.Equal(t, "99100", id.Birthcountry)
			assert.True(t, id.BornInFrance())
			assert.NotEmpty(t, id.Email)
			assert.Len(t, id.Subject, 66)
			assert.Equal(t, id.Subject, res.IDToken.Subject)
			assert.Equal(t, franceconnect.EIDAS1, res.IDToken.ACR)
			assert.NotEmpty(t, res.IDToken.AMR, "amr requested through claims")
			assert.NotEmpty(t, res.RawIDToken)
			assert.Equal(t, int64(1), srv.Stats().JWKSFetches)
		})
	}
}

func TestLoginRedirectWithQueryString(t *testing.T) {
	t.Parallel()
	srv, c := mockSetup(t, "ES256", func(cfg *franceconnect.Config) { cfg.RedirectURL = tenantRedirect })
	req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
	assert.Equal(t, "jwt-aidestpe-portail-depot-demande-aides", q.Get("jwtKey"), "the callback keeps the portal's own parameters")
	assert.Equal(t, "https://portail.example/aides/#/aidestpe/connecte/dashboard/accueil", q.Get("redirectUrl"))
	res, err := c.Exchange(context.Background(), req, q)
	require.NoError(t, err)
	assert.Equal(t, "DUBOIS", res.Identity.FamilyName)
}

func TestLoginEdgeCaseIdentities(t *testing.T) {
	t.Parallel()
	srv, c := mockSetup(t, "ES256")
	for _, u := range fctest.Users() {
		req, q := mockLogin(t, srv, c, u, franceconnect.AuthOptions{})
		res, err := c.Exchange(context.Background(), req, q)
		require.NoError(t, err, u.Login)
		assert.Equal(t, u.FamilyName, res.Identity.FamilyName)
		assert.Equal(t, u.Birthplace, res.Identity.Birthplace)
		assert.Equal(t, u.Birthdate, res.Identity.Birthdate.String())
		assert.Equal(t, u.Birthcountry == "99100", res.Identity.BornInFrance())
		if u.IDPBirthdate != "" {
			assert.Equal(t, u.IDPBirthdate, res.Identity.IDPBirthdate.String())
		}
	}
}

func TestCodeIsSingleUse(t *testing.T) {
	t.Parallel()
	srv, c := mockSetup(t, "ES256")
	req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
	_, err := c.Exchange(context.Background(), req, q)
	require.NoError(t, err)
	_, err = c.Exchange(context.Background(), req, q)
	assert.ErrorIs(t, err, franceconnect.ErrInvalidGrant)
	var pe *franceconnect.ProviderError
	require.True(t, errors.As(err, &pe))
	assert.Equal(t, "Y049E20B", pe.YCode)
}

// A login started on replica A completes on replica B: two Clients with the
// same configuration and keys, no shared memory.
func TestHandlersReplicas(t *testing.T) {
	t.Parallel()
	srv, cfg := hSetup(t)
	replicaA, replicaB := hClient(t, cfg), hClient(t, cfg)
	b := newHBrowser(t)
	var o hOutcome
	cb := b.Start(t, srv, replicaA.LoginHandler(franceconnect.AuthOptions{}), hLogin+"?return=/aides", fctest.DefaultUser)
	b.Get(t, o.callback(replicaB), cb)
	o.requireSuccess(t)
	assert.Equal(t, "/aides", o.ret)
}

// Two logins started in two tabs both complete, in any order.
func TestHandlersTwoTabs(t *testing.T) {
	t.Parallel()
	srv, cfg := hSetup(t)
	c := hClient(t, cfg)
	b := newHBrowser(t)
	login := c.LoginHandler(franceconnect.AuthOptions{})
	cb1 := b.Start(t, srv, login, hLogin+"?return=/onglet-1", fctest.DefaultUser)
	cb2 := b.Start(t, srv, login, hLogin+"?return=/onglet-2", fctest.DefaultUser)
	require.Len(t, b.Jar.Cookies(mustURL(t, hCallback)), 2)

	var o hOutcome
	b.Get(t, o.callback(c), cb2)
	o.requireSuccess(t)
	assert.Equal(t, "/onglet-2", o.ret)
	b.Get(t, o.callback(c), cb1)
	o.requireSuccess(t)
	assert.Equal(t, "/onglet-1", o.ret)
	assert.Empty(t, b.Jar.Cookies(mustURL(t, hCallback)))
}

// The user cancels at FranceConnect: the error handler gets a typed error
// and the French message.
func TestHandlersCancelled(t *testing.T) {
	t.Parallel()
	srv, cfg := hSetup(t)
	srv.Inject(fctest.CallbackAccessDenied)
	c := hClient(t, cfg)
	b := newHBrowser(t)
	var o hOutcome
	cb := b.Start(t, srv, c.LoginHandler(franceconnect.AuthOptions{}), hLogin, fctest.DefaultUser)
	resp := b.Get(t, o.callback(c), cb)
	require.ErrorIs(t, o.err, franceconnect.ErrAccessDenied)
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, "Vous avez annulé la connexion avec FranceConnect.\n", string(body))
	assert.Empty(t, b.Jar.Cookies(mustURL(t, hCallback)))
}

// 100 tenants of one environment, one Client each, share one key cache:
// the mock serves its JWKS once.
func TestHandlersManyTenantsOneJWKSFetch(t *testing.T) {
	t.Parallel()
	srv := fctest.NewServer(fctest.Options{})
	t.Cleanup(srv.Close)
	const tenants = 100
	clients := make([]*franceconnect.Client, tenants)
	for i := range clients {
		cfg := hRegister(srv, fmt.Sprintf("%s/account-management/t%03d-demandeurs/france-connect/code", hPortal, i))
		clients[i] = hClient(t, cfg)
	}
	var wg sync.WaitGroup
	errs := make([]error, tenants)
	for i, c := range clients {
		wg.Go(func() {
			jar, _ := cookiejar.New(nil)
			b := &hBrowser{Jar: jar}
			var o hOutcome
			resp := b.Get(t, c.LoginHandler(franceconnect.AuthOptions{}), fmt.Sprintf("%s/account-management/t%03d-demandeurs/france-connect/login?return=/t%03d", hPortal, i, i))
			cb, err := srv.Login(resp.Header.Get("Location"), fctest.DefaultUser)
			if err != nil {
				errs[i] = err
				return
			}
			b.Get(t, o.callback(c), cb)
			switch {
			case o.err != nil:
				errs[i] = o.err
			case o.ret != fmt.Sprintf("/t%03d", i):
				errs[i] = fmt.Errorf("tenant %d returned to %s", i, o.ret)
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "tenant %d", i)
	}
	st := srv.Stats()
	assert.Equal(t, int64(tenants), st.TokenRequests)
	assert.Equal(t, int64(1), st.JWKSFetches, "one JWKS fetch for the environment, not one per tenant")
}

// What FranceConnect asks of services in 2026, against the mock that
// behaves as it does now.
func TestProtocol2026(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := fctest.NewServer(fctest.Options{})
	t.Cleanup(srv.Close)
	const cb = "https://portail.example/fc/callback"
	reg := srv.Register(fctest.Registration{RedirectURIs: []string{cb}, IDPHints: []string{"france-identite"}, Prompt: true})
	c, err := franceconnect.New(franceconnect.Config{Environment: srv.Environment(), ClientID: reg.ID, ClientSecret: reg.Secret, RedirectURL: cb})
	require.NoError(t, err)

	for _, p := range []string{"none", "select_account", "login none"} {
		_, err := c.AuthCodeURL(franceconnect.AuthOptions{Prompt: p})
		assert.ErrorIs(t, err, franceconnect.ErrConfig, "prompt %q is refused at the call", p)
	}
	req, err := c.AuthCodeURL(franceconnect.AuthOptions{})
	require.NoError(t, err)
	assert.NotContains(t, req.URL, "idp_hint", "an empty hint is never sent")
	assert.NotContains(t, req.URL, "prompt")

	// An allowed hint logs in; another comes back as invalid_idp_hint.
	req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{IDPHint: "france-identite", Prompt: "login"})
	_, err = c.Exchange(ctx, req, q)
	require.NoError(t, err)
	req, q = mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{IDPHint: "another-provider"})
	_, err = c.Exchange(ctx, req, q)
	assert.ErrorIs(t, err, franceconnect.ErrIDPHintRefused)
	assert.ErrorAs(t, err, new(*franceconnect.CallbackError))
	assert.Contains(t, franceconnect.UserMessage(err), "fournisseur d’identité demandé")

	// state=undefined is no state at all.
	q.Set("state", "undefined")
	_, err = c.Exchange(ctx, req, q)
	assert.ErrorIs(t, err, franceconnect.ErrStateMismatch)
	assert.ErrorContains(t, err, "the callback has no state")
}
