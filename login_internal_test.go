package franceconnect

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The redirect URI of a multi-tenant grant portal, which carries its own
// query string: it must reach FranceConnect byte for byte.
const tenantRedirect = "https://portail.example/account-management/aidestpe-demandeurs/france-connect/code?redirectUrl=https%3A%2F%2Fportail.example%2Faides%2F%23%2Faidestpe%2Fconnecte%2Fdashboard%2Faccueil&jwtKey=jwt-aidestpe-portail-depot-demande-aides"

func TestAuthCodeURL(t *testing.T) {
	t.Parallel()
	cfg := validConfig()
	cfg.RedirectURL = tenantRedirect
	c, err := New(cfg)
	require.NoError(t, err)

	req, err := c.AuthCodeURL(AuthOptions{})
	require.NoError(t, err)
	u, err := url.Parse(req.URL)
	require.NoError(t, err)
	assert.Equal(t, "https://oidc.franceconnect.gouv.fr/api/v2/authorize", u.Scheme+"://"+u.Host+u.Path)
	q := u.Query()
	assert.Equal(t, "code", q.Get("response_type"))
	assert.Equal(t, "client", q.Get("client_id"))
	assert.Equal(t, tenantRedirect, q.Get("redirect_uri"), "redirect_uri byte for byte")
	assert.Equal(t, "openid identite_pivot", q.Get("scope"))
	assert.Equal(t, "eidas1", q.Get("acr_values"))
	assert.Equal(t, req.State, q.Get("state"))
	assert.Equal(t, req.Nonce, q.Get("nonce"))
	assert.Len(t, q, 7, "exactly the seven mandatory parameters")
	for _, p := range []string{"code_challenge", "prompt", "response_mode"} {
		assert.NotContains(t, q, p)
	}
	assert.False(t, req.Expiry.IsZero())
}

func TestAuthCodeURLRandomness(t *testing.T) {
	t.Parallel()
	c, err := New(validConfig())
	require.NoError(t, err)
	seen := map[string]bool{}
	for i := 0; i < 200; i++ {
		req, err := c.AuthCodeURL(AuthOptions{})
		require.NoError(t, err)
		for _, v := range []string{req.State, req.Nonce} {
			assert.GreaterOrEqual(t, len(v), 32)
			assert.NotContains(t, v, ".")
			assert.Equal(t, url.QueryEscape(v), v, "URL-safe")
			assert.False(t, seen[v], "fresh every time")
			seen[v] = true
		}
	}
}

func TestAuthCodeURLOptions(t *testing.T) {
	t.Parallel()
	c, err := New(validConfig())
	require.NoError(t, err)
	req, err := c.AuthCodeURL(AuthOptions{Prompt: "login consent", Claims: ClaimsAMR, IDPHint: "idp-1"})
	require.NoError(t, err)
	u, _ := url.Parse(req.URL)
	assert.Equal(t, "login consent", u.Query().Get("prompt"))
	assert.Equal(t, ClaimsAMR, u.Query().Get("claims"))
	assert.Equal(t, "idp-1", u.Query().Get("idp_hint"))

	for _, bad := range []AuthOptions{{Prompt: "none"}, {Prompt: "select_account"}, {Claims: "amr"}, {Claims: "[1]"}, {IDPHint: strings.Repeat("x", 300)}} {
		_, err := c.AuthCodeURL(bad)
		assert.True(t, errors.Is(err, ErrConfig), "%+v", bad)
	}
}
