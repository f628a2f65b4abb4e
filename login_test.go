package franceconnect_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"
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
	srv := fctest.NewServer()
	t.Cleanup(srv.Close)
	reg := srv.Register(fctest.Registration{
		RedirectURIs:           []string{"https://portail.example/fc/callback", tenantRedirect},
		PostLogoutRedirectURIs: []string{"https://portail.example/"},
		Alg:                    alg,
	})
	cfg := franceconnect.Config{
		Environment:           srv.Environment(),
		ClientID:              reg.ID,
		ClientSecret:          reg.Secret,
		RedirectURL:           "https://portail.example/fc/callback",
		PostLogoutRedirectURL: "https://portail.example/",
		Algorithm:             alg,
		Scopes:                []string{franceconnect.ScopeIdentitePivot, franceconnect.ScopeEmail, franceconnect.ScopeIDPBirthdate},
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := franceconnect.New(cfg)
	require.NoError(t, err)
	return srv, c
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

func TestNoSecretsInLogsOrErrors(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, c := mockSetup(t, "ES256", func(cfg *franceconnect.Config) { cfg.Logger = logger })
	req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
	res, err := c.Exchange(context.Background(), req, q)
	require.NoError(t, err)

	var errs []string
	for _, f := range []fctest.Fault{fctest.IDTokenWrongNonce, fctest.UserInfoSubMismatch, fctest.IDTokenBadSignature, fctest.TokenUnauthorized} {
		srv.Inject(f)
		req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
		_, err := c.Exchange(context.Background(), req, q)
		require.Error(t, err)
		errs = append(errs, err.Error())
		srv.Reset()
	}
	out := logs.String() + strings.Join(errs, "\n")
	require.Contains(t, logs.String(), "login verified", "debug logging is on")
	secrets := []string{res.RawIDToken, res.AccessToken, req.State, req.Nonce, res.Identity.Subject,
		"Angela", "DUBOIS", "1962-08-24", "75107", res.Identity.Email}
	for _, s := range secrets {
		assert.NotContains(t, out, s)
	}
}
