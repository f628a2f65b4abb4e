package franceconnect

import (
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEnvironmentFromURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    Environment
		wantErr bool
	}{
		{"https://oidc.franceconnect.gouv.fr", Production, false},
		{"https://oidc.franceconnect.gouv.fr/", Production, false},
		{"https://oidc.franceconnect.gouv.fr/api/v2", Production, false},
		{"https://oidc.franceconnect.gouv.fr/api/v2/", Production, false},
		{"  https://OIDC.franceconnect.gouv.fr  ", Production, false},
		{"https://fcp-low.sbx.dev-franceconnect.fr", Sandbox, false},
		{"https://fcp-low.integ01.dev-franceconnect.fr/api/v2", Integration, false},
		{"https://app.franceconnect.gouv.fr", ProductionV1, false},
		{"https://fcp.integ01.dev-franceconnect.fr/api/v1", IntegrationV1, false},
		{"https://oidc.franceconnect.gouv.fr/api/v1", Environment{}, true},
		{"https://app.franceconnect.gouv.fr/api/v2", Environment{}, true},
		{"http://oidc.franceconnect.gouv.fr", Environment{}, true},
		{"https://evil.example", Environment{}, true},
		{"oidc.franceconnect.gouv.fr", Environment{}, true},
		{"", Environment{}, true},
		{"https://oidc.franceconnect.gouv.fr.evil.example", Environment{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := EnvironmentFromURL(tt.in)
			if tt.wantErr {
				require.Error(t, err)
				assert.True(t, errors.Is(err, ErrConfig))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestPresets(t *testing.T) {
	t.Parallel()
	for _, env := range presets() {
		require.NoError(t, env.validate(), env.Name)
	}
	assert.Equal(t, "https://oidc.franceconnect.gouv.fr/api/v2/session/end", Production.EndSessionEndpoint)
	assert.Equal(t, "https://oidc.franceconnect.gouv.fr/api/v2/jwks", Production.JWKSURI)
	assert.Equal(t, "https://fcp-low.sbx.dev-franceconnect.fr/api/v2", Sandbox.Issuer)
	assert.Equal(t, "https://app.franceconnect.gouv.fr/api/v1/logout", ProductionV1.EndSessionEndpoint)
	assert.Equal(t, "https://fcp.integ01.dev-franceconnect.fr", IntegrationV1.Issuer)
	assert.Empty(t, ProductionV1.JWKSURI)
}

func TestNewEnvironment(t *testing.T) {
	t.Parallel()
	env, err := NewEnvironment(FranceConnect, "http://127.0.0.1:8080/api/v2")
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:8080/api/v2/token", env.TokenEndpoint)
	assert.Equal(t, FranceConnect, env.Federation)

	env, err = NewEnvironment(FranceConnect, "https://idp.example/")
	require.NoError(t, err)
	assert.Equal(t, "https://idp.example/", env.Issuer, "issuer kept byte for byte")
	assert.Equal(t, "https://idp.example/authorize", env.AuthorizationEndpoint)

	v1, err := NewEnvironment(FranceConnectV1, "http://127.0.0.1:9")
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:9/api/v1/userinfo", v1.UserInfoEndpoint)
	assert.Equal(t, FranceConnectV1, v1.Federation)

	for _, bad := range []string{"", "ftp://x", "https://", "https://x/?a=b", "https://x/#f", "https://u:p@x",
		"http://idp.example/api/v2", "http://10.0.0.1/api/v2", "http://localhost.example/api/v2"} {
		_, err := NewEnvironment(FranceConnect, bad)
		assert.Error(t, err, bad)
		_, err = NewEnvironment(FranceConnectV1, bad)
		assert.Error(t, err, bad)
	}
	for _, loopback := range []string{"http://localhost:9/api/v2", "http://127.0.0.2/api/v2", "http://[::1]:8/api/v2"} {
		_, err := NewEnvironment(FranceConnect, loopback)
		assert.NoError(t, err, loopback)
	}
	// A hand-built environment: every endpoint https, http only on loopback.
	env = Production
	env.TokenEndpoint = "http://oidc.franceconnect.gouv.fr/api/v2/token"
	assert.ErrorContains(t, env.validate(), "TokenEndpoint")
	env = Production
	env.JWKSURI = "http://127.0.0.1:1/jwks"
	assert.NoError(t, env.validate())
	for _, p := range presets() {
		assert.NoError(t, p.validate(), p.Name)
		assert.True(t, strings.HasPrefix(p.Issuer, "https://"), p.Name)
	}
}

// The « URL du service » is the address alone: a port, a query, a fragment
// or user info is refused with a message that says so.
func TestEnvironmentFromURLAddressAlone(t *testing.T) {
	t.Parallel()
	for _, raw := range []string{
		"https://oidc.franceconnect.gouv.fr:443", "https://oidc.franceconnect.gouv.fr/?x=1", "https://oidc.franceconnect.gouv.fr?",
		"https://oidc.franceconnect.gouv.fr/#frag", "https://admin@oidc.franceconnect.gouv.fr",
	} {
		_, err := EnvironmentFromURL(raw)
		assert.ErrorIs(t, err, ErrConfig, raw)
		assert.ErrorContains(t, err, "address alone", raw)
	}
}
