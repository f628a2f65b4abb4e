package tenant_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/tenant"
)

func TestSettingsCheck(t *testing.T) {
	t.Parallel()
	valid := tenant.Settings{
		ClientID: "6925fb8143c76eded44d32b40c0cb1006065f7f003de52712b78985704f39950", ClientSecret: "s3cr3t-value-0123456789",
		ServiceURL: "https://oidc.franceconnect.gouv.fr",
	}
	tests := []struct {
		name   string
		mutate func(*tenant.Settings)
		field  string // "" means valid
		fr     string // part of the French message
	}{
		{"valid", func(*tenant.Settings) {}, "", ""},
		{"sandbox with path", func(s *tenant.Settings) { s.ServiceURL = "https://fcp-low.sbx.dev-franceconnect.fr/api/v2/" }, "", ""},
		{"no client ID", func(s *tenant.Settings) { s.ClientID = "" }, "ClientID", "identifiant"},
		{"client ID with spaces", func(s *tenant.Settings) { s.ClientID = " abc " }, "ClientID", "espaces"},
		{"no secret", func(s *tenant.Settings) { s.ClientSecret = "" }, "ClientSecret", "secret"},
		{"secret with a newline", func(s *tenant.Settings) { s.ClientSecret = "s3cr3t-value\n" }, "ClientSecret", "retour à la ligne"},
		{"no service URL", func(s *tenant.Settings) { s.ServiceURL = "" }, "ServiceURL", "bac à sable"},
		{"not FranceConnect", func(s *tenant.Settings) { s.ServiceURL = "https://example.com" }, "ServiceURL", "pas une plateforme FranceConnect"},
		{"port", func(s *tenant.Settings) { s.ServiceURL = "https://oidc.franceconnect.gouv.fr:443" }, "ServiceURL", "sans port"},
		{"query", func(s *tenant.Settings) { s.ServiceURL = "https://oidc.franceconnect.gouv.fr/?x=1" }, "ServiceURL", "sans port, paramètre"},
		{"v1", func(s *tenant.Settings) { s.ServiceURL = "https://app.franceconnect.gouv.fr" }, "ServiceURL", "septembre 2025"},
		{"ProConnect", func(s *tenant.Settings) { s.ServiceURL = "https://auth.agentconnect.gouv.fr" }, "ServiceURL", "celle de ProConnect"},
		{"the mock", func(s *tenant.Settings) { s.ServiceURL = "http://127.0.0.1:9000" }, "ServiceURL", "sans port"},
		{"the mock in development", func(s *tenant.Settings) { s.ServiceURL, s.Development = "http://127.0.0.1:9000", true }, "", ""},
		{"another host in development", func(s *tenant.Settings) { s.ServiceURL, s.Development = "http://10.0.0.1:9000", true }, "ServiceURL", "sans port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := valid
			tt.mutate(&s)
			problems := s.Check()
			for _, p := range problems {
				assert.NotContains(t, p.Message+p.Detail, "s3cr3t", "the secret is never echoed")
			}
			if tt.field == "" {
				assert.Empty(t, problems)
				return
			}
			require.Len(t, problems, 1, "%+v", problems)
			assert.Equal(t, tt.field, problems[0].Field)
			assert.Contains(t, problems[0].Message, tt.fr)
			assert.NotEmpty(t, problems[0].Detail)
		})
	}
	assert.NotContains(t, fmt.Sprintf("%v %+v %#v %s", valid, valid, valid, valid), "s3cr3t")

	cfg, err := valid.Config(franceconnect.Config{RedirectURL: "https://portail.example/cb"})
	require.NoError(t, err)
	assert.Equal(t, franceconnect.Production, cfg.Environment)
	assert.Equal(t, valid.ClientID, cfg.ClientID)
	_, err = franceconnect.New(cfg)
	require.NoError(t, err)
	bad := valid
	bad.ClientSecret = ""
	_, err = bad.Config(franceconnect.Config{})
	assert.ErrorIs(t, err, franceconnect.ErrConfig)
	_, err = tenant.Settings{}.Config(franceconnect.Config{})
	assert.ErrorIs(t, err, franceconnect.ErrConfig, "empty")

	dev := valid
	dev.ServiceURL, dev.Development = "http://127.0.0.1:9000/", true
	cfg, err = dev.Config(franceconnect.Config{})
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:9000/api/v2", cfg.Environment.Issuer, "the mock's issuer")
	assert.Equal(t, franceconnect.FranceConnect, cfg.Environment.Federation)
}
