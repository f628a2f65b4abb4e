package franceconnect_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
	"github.com/franceconnect-go/franceconnect/internal/browsertest"
)

// ProConnect sessions as services use them in 2026 (refresh, revocation,
// PKCE), levels preferred or required, amr as an open set, and the
// freshness of an authentication, against the mock.

// A session refreshed: new tokens, the same subject and auth_time, the new
// ID token verified (after a key rotation too); the old refresh token no
// longer works; a refresh about another user is refused; revoked at
// logout, the session no longer refreshes, and the provider saw it.
func TestRefreshAndRevoke(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"ES256", "HS256"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			srv, c := pcSetup(t, alg, false)
			req, q := mockLogin(t, srv, c, agent(t, "agent"), franceconnect.AuthOptions{})
			res, err := c.Exchange(context.Background(), req, q)
			require.NoError(t, err)
			require.NotEmpty(t, res.RefreshToken)

			srv.RotateKeys()
			renewed, err := c.Refresh(context.Background(), res.RefreshToken, res.RawIDToken)
			require.NoError(t, err)
			assert.Equal(t, res.IDToken.Subject, renewed.IDToken.Subject)
			assert.Equal(t, res.IDToken.AuthTime, renewed.IDToken.AuthTime)
			assert.Equal(t, res.IDToken.ACR, renewed.IDToken.ACR)
			assert.NotEqual(t, res.RawIDToken, renewed.RawIDToken)
			assert.NotEqual(t, res.AccessToken, renewed.AccessToken)
			assert.NotEqual(t, res.RefreshToken, renewed.RefreshToken, "rotated")
			assert.Nil(t, renewed.Agent, "no userinfo on a refresh")

			_, err = c.Refresh(context.Background(), res.RefreshToken, res.RawIDToken)
			assert.ErrorIs(t, err, franceconnect.ErrInvalidGrant, "the used refresh token")

			// Again, from the refreshed session.
			again, err := c.Refresh(context.Background(), renewed.RefreshToken, renewed.RawIDToken)
			require.NoError(t, err)

			require.NoError(t, c.Revoke(context.Background(), again.RefreshToken))
			assert.EqualValues(t, 1, srv.Stats().Revocations, "the provider revoked it")
			_, err = c.Refresh(context.Background(), again.RefreshToken, again.RawIDToken)
			assert.ErrorIs(t, err, franceconnect.ErrInvalidGrant, "revoked")
		})
	}
}

func TestRefreshRefused(t *testing.T) {
	t.Parallel()
	srv, c := pcSetup(t, "ES256", false)
	req, q := mockLogin(t, srv, c, agent(t, "agent"), franceconnect.AuthOptions{})
	res, err := c.Exchange(context.Background(), req, q)
	require.NoError(t, err)

	srv.Inject(fctest.RefreshOtherSubject)
	_, err = c.Refresh(context.Background(), res.RefreshToken, res.RawIDToken)
	assert.ErrorIs(t, err, franceconnect.ErrSubjectMismatch, "a refresh about another user")
	srv.Reset()

	for name, tt := range map[string]struct {
		refresh, idToken string
		want             error
	}{
		"no refresh token":           {"", res.RawIDToken, franceconnect.ErrInvalidGrant},
		"an unknown refresh token":   {strings.Repeat("r", 43), res.RawIDToken, franceconnect.ErrInvalidGrant},
		"no session ID token":        {res.RefreshToken, "", franceconnect.ErrMalformedToken},
		"a session ID token garbled": {res.RefreshToken, "a.b.c", franceconnect.ErrMalformedToken},
	} {
		_, err := c.Refresh(context.Background(), tt.refresh, tt.idToken)
		assert.ErrorIs(t, err, tt.want, name)
		assert.NotContains(t, err.Error(), res.RefreshToken, name)
	}

	// FranceConnect issues no refresh token; v1 has no revocation.
	_, fc := mockSetup(t, "ES256")
	_, err = fc.Refresh(context.Background(), "anything", res.RawIDToken)
	assert.ErrorIs(t, err, franceconnect.ErrConfig)
	v1 := fctest.NewServer(fctest.Options{Federation: franceconnect.FranceConnectV1})
	t.Cleanup(v1.Close)
	old := clientOn(t, v1, fctest.Registration{}, franceconnect.Config{})
	assert.ErrorIs(t, old.Revoke(context.Background(), "token"), franceconnect.ErrConfig)
}

// PKCE on ProConnect: the verifier sealed with the pending login reaches
// the token endpoint, which checks it; a login without it, or with
// another, is refused. FranceConnect never sees PKCE (its authorize
// parameters are tested in login_test.go).
func TestPKCE(t *testing.T) {
	t.Parallel()
	srv, c := pcSetup(t, "ES256", false, func(cfg *franceconnect.Config) { cfg.CookieKeys = [][]byte{browsertest.Key(1)} })
	p := newPCPortal(t, c)
	b := browsertest.New(t)
	b.Get(t, p.mux, b.Start(t, srv, p.mux, "https://portail.example/pc/login", agent(t, "agent")))
	require.NoError(t, p.err, "through the handlers: the sealed verifier")

	req, q := mockLogin(t, srv, c, agent(t, "agent"), franceconnect.AuthOptions{})
	other := *req
	other.CodeVerifier = strings.Repeat("x", 43)
	_, err := c.Exchange(context.Background(), &other, q)
	assert.ErrorIs(t, err, franceconnect.ErrInvalidGrant, "the provider refuses another verifier")

	req, q = mockLogin(t, srv, c, agent(t, "agent"), franceconnect.AuthOptions{})
	req.CodeVerifier = ""
	tokens := srv.Stats().TokenRequests
	_, err = c.Exchange(context.Background(), req, q)
	assert.ErrorIs(t, err, franceconnect.ErrInvalidTransaction)
	assert.Equal(t, tokens, srv.Stats().TokenRequests, "refused before any call")
}

// pcPortal mounts a ProConnect client's handlers.
type pcPortal struct {
	mux *http.ServeMux
	res *franceconnect.Result
	err error
}

func newPCPortal(t *testing.T, c *franceconnect.Client, opts ...franceconnect.AuthOptions) *pcPortal {
	t.Helper()
	p := &pcPortal{mux: http.NewServeMux()}
	opt := franceconnect.AuthOptions{}
	if len(opts) > 0 {
		opt = opts[0]
	}
	p.mux.Handle("GET /pc/login", c.LoginHandler(opt))
	p.mux.Handle("GET /fc/callback", c.CallbackHandler(func(w http.ResponseWriter, r *http.Request, res *franceconnect.Result) {
		p.res, p.err = res, nil
	}, func(w http.ResponseWriter, r *http.Request, err error) { p.err = err }))
	return p
}

// An essential level the agent cannot reach stops the agent on
// ProConnect's Y020032 page: no callback; the pending login expires, and
// the next login of that browser (preferring MFA) gets in at the lower
// level, said so.
func TestRequiredLevelDeadEnd(t *testing.T) {
	t.Parallel()
	clock := browsertest.NewClock()
	srv := fctest.NewServer(fctest.Options{Federation: franceconnect.ProConnect, Now: clock.Now})
	t.Cleanup(srv.Close)
	mfa := []franceconnect.ACR{franceconnect.EIDAS1MFA}
	u := agent(t, "agent")
	u.NoMailCode = true
	c := clientOn(t, srv, fctest.Registration{}, franceconnect.Config{Now: clock.Now, CookieKeys: [][]byte{browsertest.Key(1)},
		ACRValues: []franceconnect.ACR{franceconnect.EIDAS1, franceconnect.EIDAS1MFA}})
	required := clientOn(t, srv, fctest.Registration{}, franceconnect.Config{Now: clock.Now, CookieKeys: [][]byte{browsertest.Key(1)}, ACRValues: mfa})

	b := browsertest.New(t)
	p := newPCPortal(t, required)
	resp := b.Get(t, p.mux, "https://portail.example/pc/login")
	require.Equal(t, http.StatusFound, resp.StatusCode)
	_, err := srv.Login(resp.Header.Get("Location"), u)
	require.ErrorContains(t, err, "Y020032", "no callback: the agent stays on ProConnect")
	assert.Zero(t, srv.Stats().TokenRequests)

	clock.Add(11 * time.Minute) // TransactionTTL
	preferring := newPCPortal(t, c, franceconnect.AuthOptions{PreferredACR: mfa})
	b.Get(t, preferring.mux, b.Start(t, srv, preferring.mux, "https://portail.example/pc/login", u))
	require.NoError(t, preferring.err)
	assert.Equal(t, franceconnect.EIDAS1, preferring.res.IDToken.ACR, "in, at the level it had")
	assert.False(t, preferring.res.IDToken.MFA)

	// The preferred levels must be accepted ones, on ProConnect only.
	_, err = required.AuthCodeURL(franceconnect.AuthOptions{PreferredACR: []franceconnect.ACR{franceconnect.EIDAS1}})
	assert.ErrorIs(t, err, franceconnect.ErrConfig)
	_, fc := mockSetup(t, "ES256")
	_, err = fc.AuthCodeURL(franceconnect.AuthOptions{PreferredACR: []franceconnect.ACR{franceconnect.EIDAS1}})
	assert.ErrorIs(t, err, franceconnect.ErrConfig)
	req, err := c.AuthCodeURL(franceconnect.AuthOptions{PreferredACR: mfa, Claims: franceconnect.ClaimsAMR})
	require.NoError(t, err)
	assert.JSONEq(t, `{"id_token":{"amr":{"essential":true},"acr":{"essential":false,"values":["eidas1-mfa"]}}}`, mustURL(t, req.URL).Query().Get("claims"))
}

// amr is an open set: values the library does not know are kept as they
// came, never an error; "mfa" among them says a second factor took place.
func TestAMROpenSet(t *testing.T) {
	t.Parallel()
	srv, c := pcSetup(t, "ES256", false)
	for _, tt := range []struct {
		amr []string
		mfa bool
	}{
		{[]string{franceconnect.AMRPassword, "face", "x-new-method"}, false},
		{[]string{franceconnect.AMRPassword, franceconnect.AMROTP, franceconnect.AMRMFA}, true},
	} {
		u := agent(t, "agent")
		u.AMR = tt.amr
		req, q := mockLogin(t, srv, c, u, franceconnect.AuthOptions{Claims: franceconnect.ClaimsAMR})
		res, err := c.Exchange(context.Background(), req, q)
		require.NoError(t, err)
		assert.Equal(t, tt.amr, res.IDToken.AMR)
		assert.Equal(t, tt.mfa, res.IDToken.MFA, "%v", tt.amr)
	}
}

// Config.MaxAuthAge refuses an authentication older than it, or of unknown
// age, and asks for a new one (prompt=login).
func TestMaxAuthAge(t *testing.T) {
	t.Parallel()
	clock := browsertest.NewClock()
	srv := fctest.NewServer(fctest.Options{Now: clock.Now})
	t.Cleanup(srv.Close)
	c := clientOn(t, srv, fctest.Registration{}, franceconnect.Config{Now: clock.Now, ClockSkew: time.Second, MaxAuthAge: 10 * time.Second})

	req, err := c.AuthCodeURL(franceconnect.AuthOptions{})
	require.NoError(t, err)
	assert.Equal(t, "login", mustURL(t, req.URL).Query().Get("prompt"), "a new authentication asked for")
	cb, err := srv.Login(req.URL, fctest.DefaultUser)
	require.NoError(t, err)
	clock.Add(5 * time.Second)
	_, err = c.Exchange(context.Background(), req, mustURL(t, cb).Query())
	require.NoError(t, err, "5 s old")

	req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
	clock.Add(20 * time.Second) // the code lives 30 s
	userinfo := srv.Stats().UserInfoRequests
	_, err = c.Exchange(context.Background(), req, q)
	assert.ErrorIs(t, err, franceconnect.ErrAuthTooOld, "20 s old")
	assert.Equal(t, userinfo, srv.Stats().UserInfoRequests, "no userinfo")
	assert.NotEmpty(t, franceconnect.UserMessage(err))

	// v1 tokens carry no auth_time: of unknown age, refused.
	v1 := fctest.NewServer(fctest.Options{Federation: franceconnect.FranceConnectV1})
	t.Cleanup(v1.Close)
	old := clientOn(t, v1, fctest.Registration{}, franceconnect.Config{MaxAuthAge: time.Hour})
	req, q = mockLogin(t, v1, old, fctest.DefaultUser, franceconnect.AuthOptions{})
	_, err = old.Exchange(context.Background(), req, q)
	assert.ErrorIs(t, err, franceconnect.ErrAuthTooOld)
}

// Declared levels are checked like the built-in ones.
func TestLevelsDeclared(t *testing.T) {
	t.Parallel()
	for name, levels := range map[string][]franceconnect.Level{
		"empty acr":   {{ACR: "", Rank: 1}},
		"rank 4":      {{ACR: "eidas4", Rank: 4}},
		"twice":       {{ACR: "x-new"}, {ACR: "x-new", MFA: true}},
		"with spaces": {{ACR: "eidas 1"}},
	} {
		_, err := franceconnect.New(franceconnect.Config{Environment: franceconnect.ProConnectIntegration, ClientID: "id",
			ClientSecret: strings.Repeat("s", 32), RedirectURL: "https://portail.example/cb", Levels: levels})
		assert.ErrorIs(t, err, franceconnect.ErrConfig, name)
	}
	// On FranceConnect+'s ladder, a declared level with its rank.
	_, err := franceconnect.New(franceconnect.Config{Environment: franceconnect.Production, ClientID: "id", ClientSecret: "secret",
		RedirectURL: "https://portail.example/cb", ACRValues: []franceconnect.ACR{"eidas1-bis"}, Levels: []franceconnect.Level{{ACR: "eidas1-bis", Rank: 1}}})
	assert.NoError(t, err)
	_, err = franceconnect.New(franceconnect.Config{Environment: franceconnect.Production, ClientID: "id", ClientSecret: "secret",
		RedirectURL: "https://portail.example/cb", ACRValues: []franceconnect.ACR{"eidas1-bis"}})
	assert.ErrorIs(t, err, franceconnect.ErrConfig, "undeclared")
}

// The message of ProConnect's Y020032, should it ever come back to the
// service.
func TestLevelUnreachableMessage(t *testing.T) {
	t.Parallel()
	err := &franceconnect.CallbackError{Code: "access_denied", Description: "Y020032 none of the requested ACRs could be obtained"}
	msg := franceconnect.UserMessage(err)
	assert.Contains(t, msg, "niveau de sécurité")
	assert.NotEqual(t, franceconnect.UserMessage(&franceconnect.CallbackError{Code: "access_denied"}), msg)
}

// PKCE is never sent to FranceConnect (v2, FranceConnect+, v1), which
// refuses parameters it does not list.
func TestNoPKCEOnFranceConnect(t *testing.T) {
	t.Parallel()
	for _, env := range []franceconnect.Environment{franceconnect.Production, franceconnect.PlusProduction, franceconnect.ProductionV1} {
		cfg := franceconnect.Config{Environment: env, ClientID: "client", ClientSecret: strings.Repeat("s", 32), RedirectURL: "https://portail.example/fc/callback"}
		if env.Federation == franceconnect.FranceConnectPlus {
			cfg.DecryptionKeys = []jose.JSONWebKey{fctest.ClientKey("RSA-OAEP")}
		}
		c, err := franceconnect.New(cfg)
		require.NoError(t, err, env.Name)
		req, err := c.AuthCodeURL(franceconnect.AuthOptions{})
		require.NoError(t, err)
		q := mustURL(t, req.URL).Query()
		assert.False(t, q.Has("code_challenge") || q.Has("code_challenge_method") || req.CodeVerifier != "", env.Name)
	}
}
