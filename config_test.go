package franceconnect

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func validConfig() Config {
	return Config{
		Environment:           Production,
		ClientID:              "client",
		ClientSecret:          "secret",
		RedirectURL:           "https://portail.example/fc/callback",
		PostLogoutRedirectURL: "https://portail.example/",
	}
}

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	c, err := New(validConfig())
	require.NoError(t, err)
	assert.Equal(t, []string{"openid", "identite_pivot"}, c.cfg.Scopes)
	assert.Equal(t, []ACR{EIDAS1}, c.cfg.ACRValues)
	assert.Equal(t, "ES256", c.cfg.Algorithm)
	assert.Equal(t, 30*time.Second, c.cfg.ClockSkew)
	assert.Equal(t, 10*time.Minute, c.cfg.TransactionTTL)
	assert.Equal(t, 10*time.Second, c.cfg.HTTPClient.Timeout)

	cfg := validConfig()
	cfg.Environment = ProductionV1
	cfg.ClientSecret = "a7d9e0c1b2f34a5b6c7d8e9f0a1b2c3d"
	c, err = New(cfg)
	require.NoError(t, err)
	assert.Equal(t, "HS256", c.cfg.Algorithm)
	cfg.Algorithm = "HS256"
	_, err = New(cfg)
	require.NoError(t, err, "v1 with HS256 written out")

	cfg = validConfig()
	cfg.Scopes = []string{ScopeOpenID, ScopeEmail, ScopeEmail}
	c, err = New(cfg)
	require.NoError(t, err)
	assert.Equal(t, []string{"openid", "email"}, c.cfg.Scopes)
}

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"no environment", func(c *Config) { c.Environment = Environment{} }, "Environment is not set"},
		{"no client id", func(c *Config) { c.ClientID = " " }, "ClientID is empty"},
		{"no secret", func(c *Config) { c.ClientSecret = "" }, "ClientSecret is empty"},
		{"short v1 secret", func(c *Config) { c.Environment = ProductionV1; c.ClientSecret = "secret" }, "at least 32 bytes"},
		{"all-zero cookie key", func(c *Config) { c.CookieKeys = [][]byte{make([]byte, 32)} }, "one byte repeated"},
		{"no redirect", func(c *Config) { c.RedirectURL = "" }, "RedirectURL is empty"},
		{"relative redirect", func(c *Config) { c.RedirectURL = "/fc/callback" }, "not absolute"},
		{"http redirect", func(c *Config) { c.RedirectURL = "http://portail.example/cb" }, "http:// outside localhost"},
		{"fragment redirect", func(c *Config) { c.RedirectURL = "https://portail.example/cb#x" }, "fragment"},
		{"bad post logout", func(c *Config) { c.PostLogoutRedirectURL = "http://portail.example/" }, "PostLogoutRedirectURL"},
		{"unknown alg", func(c *Config) { c.Algorithm = "PS256" }, `"PS256" is not supported`},
		{"HS256 on v2", func(c *Config) { c.Algorithm = "HS256" }, "HS256 is not offered"},
		{"ES256 on v1", func(c *Config) { c.Environment = ProductionV1; c.Algorithm = "ES256" }, "HS256 only"},
		{"unknown acr", func(c *Config) { c.ACRValues = []ACR{"eidas9"} }, `"eidas9" is not available on FranceConnect (eidas1)`},
		{"eidas2 on FC", func(c *Config) { c.ACRValues = []ACR{EIDAS2} }, `"eidas2" is not available on FranceConnect (eidas1)`},
		{"bad scope", func(c *Config) { c.Scopes = []string{"a b"} }, "not a scope token"},
		{"skew", func(c *Config) { c.ClockSkew = time.Hour }, "ClockSkew"},
		{"bad environment", func(c *Config) { c.Environment = Environment{Federation: FranceConnect, Issuer: "https://x"} }, "AuthorizationEndpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := validConfig()
			tt.mutate(&cfg)
			_, err := New(cfg)
			require.Error(t, err)
			assert.True(t, errors.Is(err, ErrConfig))
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "secret\"", "never the secret")
		})
	}
}

func TestConfigAllowsLoopbackHTTP(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://localhost:8080/cb", "http://127.0.0.1/cb", "http://[::1]:9/cb"} {
		cfg := validConfig()
		cfg.RedirectURL = u
		_, err := New(cfg)
		assert.NoError(t, err, u)
	}
}

func TestConfigReportsEveryProblem(t *testing.T) {
	t.Parallel()
	_, err := New(Config{Environment: Production, HTTPClient: http.DefaultClient})
	require.Error(t, err)
	for _, want := range []string{"ClientID", "ClientSecret", "RedirectURL"} {
		assert.Contains(t, err.Error(), want)
	}
}

// Formatting a Config or a Client, with fmt or log/slog, shows no secret.
func TestConfigRedacted(t *testing.T) {
	t.Parallel()
	cfg := validConfig()
	cfg.ClientSecret = "s3cr3t-client-secret-value"
	cfg.CookieKeys = [][]byte{[]byte("k3y-k3y-k3y-k3y-k3y-k3y-k3y-k3y!")}
	c, err := New(cfg)
	require.NoError(t, err)
	var buf strings.Builder
	text := slog.New(slog.NewTextHandler(&buf, nil))
	js := slog.New(slog.NewJSONHandler(&buf, nil))
	for _, v := range []any{cfg, &cfg, c} {
		for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
			buf.WriteString(fmt.Sprintf(format, v))
		}
		text.Info("config", "value", v)
		js.Info("config", "value", v)
	}
	out := buf.String()
	assert.Contains(t, out, "client", "the client ID is shown")
	for _, secret := range []string{"s3cr3t", "k3y-k3y", "rd3_", "[107 51 121"} {
		assert.False(t, strings.Contains(out, secret), "%q is shown", secret)
	}
}

// Every misconfiguration a new portal team made is refused by New, naming
// the fix (or, for v1, logged once as a warning).
func TestMisconfigurationsFoundAtStartUp(t *testing.T) {
	t.Parallel()
	key := "c2VjcmV0LWtleS1vZi0zMi1ieXRlcy1leGFjdGx5ISE=" // what `openssl rand -base64 32` prints
	tests := []struct {
		name   string
		mutate func(*Config)
		fix    string
	}{
		{"cookie key as base64 text", func(c *Config) { c.CookieKeys = [][]byte{[]byte(key)} }, "base64 text of a key, not the key: decode it, e.g. with franceconnect.CookieKeysFromBase64"},
		{"cookie key as URL base64 text", func(c *Config) { c.CookieKeys = [][]byte{[]byte("c2VjcmV0LWtleS1vZi0zMi1ieXRlcy1leGFjdGx5ISE")} }, "decode it"},
		{"address on v2", func(c *Config) { c.Scopes = []string{ScopeIdentitePivot, "address"} }, "scope address is v1 only"},
		{"phone on v2", func(c *Config) { c.Scopes = []string{"phone"} }, "FranceConnect v2 removed address and phone"},
		{"scope typo", func(c *Config) { c.Scopes = []string{"identite-pivot"} }, `did you mean identite_pivot?`},
		{"scope case", func(c *Config) { c.Scopes = []string{"Email"} }, `did you mean email?`},
		{"client ID with spaces", func(c *Config) { c.ClientID = "abc def" }, "ClientID has white space: copy it again"},
		{"secret with a newline", func(c *Config) { c.ClientSecret = "secret-from-a-file\n" }, "ClientSecret starts or ends with white space or a line break"},
	}
	for _, tt := range tests {
		cfg := validConfig()
		tt.mutate(&cfg)
		_, err := New(cfg)
		assert.ErrorIs(t, err, ErrConfig, tt.name)
		assert.ErrorContains(t, err, tt.fix, tt.name)
		assert.NotContains(t, err.Error(), "c2VjcmV0", "%s: no key in the message", tt.name)
	}
	for _, s := range []string{"ants", "dsnj", "asc"} { // data-provider scopes: not typos
		cfg := validConfig()
		cfg.Scopes = []string{s}
		_, err := New(cfg)
		assert.NoError(t, err, s)
	}

	var logs strings.Builder
	cfg := validConfig()
	cfg.Environment, cfg.ClientSecret = ProductionV1, "0123456789abcdef0123456789abcdef"
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	_, err := New(cfg)
	require.NoError(t, err, "v1 still works")
	assert.Equal(t, 1, strings.Count(logs.String(), "level=WARN"))
	assert.Contains(t, logs.String(), "FranceConnect v1 closed in September 2025")
}

func TestCookieKeysFromBase64(t *testing.T) {
	t.Parallel()
	a := "c2VjcmV0LWtleS1vZi0zMi1ieXRlcy1leGFjdGx5ISE="
	b := "b3RoZXIta2V5LW9mLTMyLWJ5dGVzLWV4YWN0bHkhISE"
	keys, err := CookieKeysFromBase64(" " + a + ",\n" + b + " ")
	require.NoError(t, err)
	require.Len(t, keys, 2)
	assert.Equal(t, "secret-key-of-32-bytes-exactly!!", string(keys[0]), "the first key seals")
	cfg := validConfig()
	cfg.CookieKeys = keys
	_, err = New(cfg)
	assert.NoError(t, err)
	for _, bad := range []string{"", "  ", "not base64!", "c2hvcnQ=", a + ",c2hvcnQ="} {
		_, err := CookieKeysFromBase64(bad)
		assert.ErrorIs(t, err, ErrConfig, "%q", bad)
		if err != nil {
			assert.NotContains(t, err.Error(), "c2hvcnQ")
		}
	}
}
