package franceconnect_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect"
)

func TestSettingsCheck(t *testing.T) {
	t.Parallel()
	valid := franceconnect.Settings{
		Enabled: true, Button: franceconnect.ButtonDefault, ConnectionText: "Espace demandeurs",
		ClientID: "6925fb8143c76eded44d32b40c0cb1006065f7f003de52712b78985704f39950", ClientSecret: "s3cr3t-value-0123456789",
		ServiceURL: "https://oidc.franceconnect.gouv.fr",
	}
	tests := []struct {
		name   string
		mutate func(*franceconnect.Settings)
		field  string // "" means valid
		fr     string // part of the French message
	}{
		{"valid", func(*franceconnect.Settings) {}, "", ""},
		{"sandbox with path", func(s *franceconnect.Settings) { s.ServiceURL = "https://fcp-low.sbx.dev-franceconnect.fr/api/v2/" }, "", ""},
		{"disabled and empty", func(s *franceconnect.Settings) { *s = franceconnect.Settings{Button: franceconnect.ButtonContrast} }, "", ""},
		{"no button", func(s *franceconnect.Settings) { s.Button = "" }, "Button", "bouton"},
		{"long text", func(s *franceconnect.Settings) { s.ConnectionText = string(make([]byte, 201)) }, "ConnectionText", "200 caractères"},
		{"text with a line break", func(s *franceconnect.Settings) { s.ConnectionText = "a\nb" }, "ConnectionText", "retour à la ligne"},
		{"no client ID", func(s *franceconnect.Settings) { s.ClientID = "" }, "ClientID", "identifiant"},
		{"client ID with spaces", func(s *franceconnect.Settings) { s.ClientID = " abc " }, "ClientID", "espaces"},
		{"no secret", func(s *franceconnect.Settings) { s.ClientSecret = "" }, "ClientSecret", "secret"},
		{"secret with a newline", func(s *franceconnect.Settings) { s.ClientSecret = "s3cr3t-value\n" }, "ClientSecret", "retour à la ligne"},
		{"no service URL", func(s *franceconnect.Settings) { s.ServiceURL = "" }, "ServiceURL", "bac à sable"},
		{"not FranceConnect", func(s *franceconnect.Settings) { s.ServiceURL = "https://example.com" }, "ServiceURL", "pas une plateforme FranceConnect"},
		{"port", func(s *franceconnect.Settings) { s.ServiceURL = "https://oidc.franceconnect.gouv.fr:443" }, "ServiceURL", "sans port"},
		{"query", func(s *franceconnect.Settings) { s.ServiceURL = "https://oidc.franceconnect.gouv.fr/?x=1" }, "ServiceURL", "sans port, paramètre"},
		{"v1", func(s *franceconnect.Settings) { s.ServiceURL = "https://app.franceconnect.gouv.fr" }, "ServiceURL", "septembre 2025"},
		{"ProConnect", func(s *franceconnect.Settings) { s.ServiceURL = "https://auth.agentconnect.gouv.fr" }, "ServiceURL", "celle de ProConnect"},
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
	_, err = franceconnect.Settings{}.Config(franceconnect.Config{})
	assert.ErrorIs(t, err, franceconnect.ErrConfig, "disabled")
}
