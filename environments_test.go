package franceconnect_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
)

func TestDiscoverEnvironment(t *testing.T) {
	t.Parallel()
	srv := fctest.NewServer(fctest.Options{})
	defer srv.Close()
	env, err := franceconnect.DiscoverEnvironment(context.Background(), franceconnect.FranceConnect, srv.Environment().Issuer, nil)
	require.NoError(t, err)
	want := srv.Environment()
	assert.Equal(t, want.Issuer, env.Issuer)
	assert.Equal(t, want.AuthorizationEndpoint, env.AuthorizationEndpoint)
	assert.Equal(t, want.TokenEndpoint, env.TokenEndpoint)
	assert.Equal(t, want.UserInfoEndpoint, env.UserInfoEndpoint)
	assert.Equal(t, want.EndSessionEndpoint, env.EndSessionEndpoint)
	assert.Equal(t, want.JWKSURI, env.JWKSURI)

	srv.Inject(fctest.DiscoveryWrongIssuer)
	_, err = franceconnect.DiscoverEnvironment(context.Background(), franceconnect.FranceConnect, srv.Environment().Issuer, nil)
	assert.ErrorIs(t, err, franceconnect.ErrIssuerMismatch)
}

func TestDiscoverEnvironmentBounded(t *testing.T) {
	t.Parallel()
	huge := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"issuer":"` + strings.Repeat("a", 1<<20) + `"}`))
	}))
	defer huge.Close()
	_, err := franceconnect.DiscoverEnvironment(context.Background(), franceconnect.FranceConnect, huge.URL, nil)
	assert.ErrorIs(t, err, franceconnect.ErrProviderUnavailable)

	_, err = franceconnect.DiscoverEnvironment(context.Background(), franceconnect.FranceConnect, "not a url", nil)
	assert.ErrorIs(t, err, franceconnect.ErrConfig)
}

// A discovery document cannot move an endpoint to another host or scheme
// than the issuer's.
func TestDiscoverEnvironmentSameOrigin(t *testing.T) {
	t.Parallel()
	var issuer string
	for _, moved := range []string{"token_endpoint", "userinfo_endpoint", "jwks_uri", "end_session_endpoint", "authorization_endpoint"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			doc := map[string]string{
				"issuer": issuer, "authorization_endpoint": issuer + "/authorize", "token_endpoint": issuer + "/token",
				"userinfo_endpoint": issuer + "/userinfo", "end_session_endpoint": issuer + "/session/end", "jwks_uri": issuer + "/jwks",
			}
			doc[moved] = "http://localhost:1/" + moved // loopback, but another host
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(doc)
		}))
		issuer = srv.URL + "/api/v2"
		_, err := franceconnect.DiscoverEnvironment(context.Background(), franceconnect.FranceConnect, issuer, nil)
		assert.ErrorIs(t, err, franceconnect.ErrIssuerMismatch, moved)
		srv.Close()
	}
}
