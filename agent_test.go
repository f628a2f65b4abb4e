package franceconnect_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect"
)

func TestValidSIRET(t *testing.T) {
	t.Parallel()
	tests := []struct {
		siret string
		want  bool
	}{
		{"13002526500013", true},  // DINUM
		{"11000201100044", true},  // a ministry
		{"73282932000074", true},  // a company
		{"35600000000048", true},  // La Poste's head office: Luhn holds
		{"35600000049837", true},  // a La Poste establishment: only the sum of digits is a multiple of 5
		{"35600000049838", false}, // neither rule
		{"73282932000075", false}, // Luhn fails, not La Poste
		{"73282932000083", false}, // digit sum multiple of 5 is La Poste's rule only
		{"1300252650001", false},  // 13 digits
		{"130025265000130", false},
		{"1300252650001A", false},
		{"13002 526500013", false},
		{"", false},
		{"００２５２６５０００１３", false}, // full-width digits
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, franceconnect.ValidSIRET(tt.siret), tt.siret)
	}
	assert.True(t, franceconnect.ValidSIREN("130025265"))
	assert.True(t, franceconnect.ValidSIREN("356000000"))
	assert.False(t, franceconnect.ValidSIREN("130025266"))
	assert.False(t, franceconnect.ValidSIREN("13002526"))
}

func TestParseAgent(t *testing.T) {
	t.Parallel()
	full := `{"sub":"s1","given_name":"Jean","usual_name":"MARTIN","email":"jean.martin@interieur.gouv.fr","uid":"u1",
		"siret":"11000201100044","siren":"110002011","idp_id":"idp","organization_label":"MININT",
		"roles":["gestionnaire","lecteur"],"phone":"01 23 45 67 89","organizational_unit":"DNUM",
		"belonging_population":"agent","chorusdt":"MININT/12345","custom":{"grade":"attaché","n":2}}`
	a, err := franceconnect.ParseAgent([]byte(full))
	require.NoError(t, err)
	assert.Equal(t, franceconnect.Agent{
		Subject: "s1", GivenName: "Jean", UsualName: "MARTIN", Email: "jean.martin@interieur.gouv.fr", UID: "u1",
		SIRET: "11000201100044", SIREN: "110002011", IDPID: "idp", OrganizationLabel: "MININT",
		Roles: []string{"gestionnaire", "lecteur"}, Phone: "01 23 45 67 89", OrganizationalUnit: "DNUM",
		BelongingPopulation: []string{"agent"}, ChorusDT: "MININT/12345",
		Custom: map[string]any{"grade": "attaché", "n": float64(2)},
	}, withoutRaw(a))

	a, err = franceconnect.ParseAgent([]byte(`{"sub":"s","roles":"admin","belonging_population":["agent","stagiaire"]}`))
	require.NoError(t, err)
	assert.Equal(t, []string{"admin"}, a.Roles, "a single role as a string")
	assert.Equal(t, []string{"agent", "stagiaire"}, a.BelongingPopulation)

	bad := []struct {
		name, claims string
		want         error
	}{
		{"no sub", `{"email":"a@b.fr"}`, franceconnect.ErrInvalidIdentity},
		{"bad SIRET", `{"sub":"s","siret":"11000201100045"}`, franceconnect.ErrInvalidIdentity},
		{"SIRET as a number", `{"sub":"s","siret":11000201100044}`, franceconnect.ErrInvalidIdentity},
		{"bad SIREN", `{"sub":"s","siren":"110002012"}`, franceconnect.ErrInvalidIdentity},
		{"bad email", `{"sub":"s","email":"nobody"}`, franceconnect.ErrInvalidIdentity},
		{"roles of numbers", `{"sub":"s","roles":[1]}`, franceconnect.ErrInvalidIdentity},
		{"claim twice", `{"sub":"s","sub":"t"}`, franceconnect.ErrInvalidIdentity},
		{"not an object", `["sub"]`, franceconnect.ErrInvalidIdentity},
	}
	for _, tt := range bad {
		_, err := franceconnect.ParseAgent([]byte(tt.claims))
		assert.ErrorIs(t, err, tt.want, tt.name)
		if err != nil {
			assert.NotContains(t, err.Error(), "1100020110004", "%s: no value in the error", tt.name)
		}
	}
}

// withoutRaw compares an Agent's fields, not its copy of the claims.
func withoutRaw(a *franceconnect.Agent) franceconnect.Agent {
	return franceconnect.Agent{
		Subject: a.Subject, GivenName: a.GivenName, UsualName: a.UsualName, Email: a.Email, UID: a.UID,
		SIRET: a.SIRET, SIREN: a.SIREN, IDPID: a.IDPID, OrganizationLabel: a.OrganizationLabel, Roles: a.Roles,
		Phone: a.Phone, OrganizationalUnit: a.OrganizationalUnit, BelongingPopulation: a.BelongingPopulation,
		ChorusDT: a.ChorusDT, Custom: a.Custom,
	}
}

func TestProConnectEnvironments(t *testing.T) {
	t.Parallel()
	tests := map[string]franceconnect.Environment{
		"https://auth.agentconnect.gouv.fr":                   franceconnect.ProConnectProduction,
		"https://auth.agentconnect.gouv.fr/api/v2/":           franceconnect.ProConnectProduction,
		" https://fca.integ01.dev-agentconnect.fr ":           franceconnect.ProConnectIntegration,
		"https://auth.agentconnect.rie.gouv.fr":               franceconnect.ProConnectProductionRIE,
		"https://fca.integ02.agentconnect.rie.gouv.fr/api/v2": franceconnect.ProConnectIntegrationRIE,
	}
	for in, want := range tests {
		env, err := franceconnect.EnvironmentFromURL(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, env, in)
		assert.Equal(t, franceconnect.ProConnect, env.Federation, in)
		assert.Equal(t, env.Issuer+"/jwks", env.JWKSURI)
	}
	_, err := franceconnect.EnvironmentFromURL("https://auth.agentconnect.gouv.fr/api/v1")
	assert.ErrorContains(t, err, "is a ProConnect host, whose API lives under /api/v2")
	assert.Equal(t, "https://auth.agentconnect.gouv.fr/api/v2", franceconnect.ProConnectProduction.Issuer)
	assert.Equal(t, "https://auth.agentconnect.gouv.fr/api/v2/session/end", franceconnect.ProConnectProduction.EndSessionEndpoint)

	env, err := franceconnect.NewEnvironment(franceconnect.ProConnect, "http://127.0.0.1:9000/api/v2")
	require.NoError(t, err)
	assert.Equal(t, franceconnect.ProConnect, env.Federation)
	bad := env
	bad.Federation = 9
	_, err = franceconnect.New(franceconnect.Config{Environment: bad, ClientID: "id", ClientSecret: "secret", RedirectURL: "https://p.example/cb"})
	assert.ErrorContains(t, err, "environment Federation is Federation(9)")
}

func TestProConnectConfig(t *testing.T) {
	t.Parallel()
	base := func(env franceconnect.Environment) franceconnect.Config {
		return franceconnect.Config{Environment: env, ClientID: "id", ClientSecret: "0123456789abcdef0123456789abcdef",
			RedirectURL: "https://p.example/cb"}
	}
	pc, fc := franceconnect.ProConnectProduction, franceconnect.Production
	tests := []struct {
		name   string
		cfg    franceconnect.Config
		mutate func(*franceconnect.Config)
		want   string // "" for valid
	}{
		{"defaults", base(pc), func(*franceconnect.Config) {}, ""},
		{"HS256", base(pc), func(c *franceconnect.Config) { c.Algorithm = "HS256" }, ""},
		{"HS256 with a short secret", base(pc), func(c *franceconnect.Config) { c.Algorithm = "HS256"; c.ClientSecret = "short" }, "at least 32 bytes"},
		{"PS256", base(pc), func(c *franceconnect.Config) { c.Algorithm = "PS256" }, `"PS256" is not supported: use ES256 or RS256 or HS256`},
		{"unknown level", base(pc), func(c *franceconnect.Config) { c.ACRValues = []franceconnect.ACR{"eidas1-otp"} }, `ACRValues[0] "eidas1-otp" is not a ProConnect level`},
		{"level twice", base(pc), func(c *franceconnect.Config) { c.ACRValues = []franceconnect.ACR{"eidas2", "eidas2"} }, "ACRValues[1] eidas2 is listed twice"},
		{"scope typo", base(pc), func(c *franceconnect.Config) { c.Scopes = []string{"usual-name"} }, `"usual-name" is not a ProConnect scope: did you mean usual_name?`},
		{"phone is a ProConnect scope", base(pc), func(c *franceconnect.Config) { c.Scopes = []string{"phone"} }, ""},
		{"ACRValues on FranceConnect", base(fc), func(c *franceconnect.Config) { c.ACRValues = []franceconnect.ACR{"eidas1"} }, ""},
		{"a ProConnect level on FranceConnect", base(fc), func(c *franceconnect.Config) { c.ACRValues = []franceconnect.ACR{"eidas1-mfa"} }, `"eidas1-mfa" is not available on FranceConnect (eidas1)`},
		{"JSON userinfo on FranceConnect", base(fc), func(c *franceconnect.Config) { c.UserInfoJSON = true }, "UserInfoJSON: FranceConnect always signs userinfo"},
		{"HS256 on FranceConnect", base(fc), func(c *franceconnect.Config) { c.Algorithm = "HS256" }, "Algorithm HS256 is not offered on FranceConnect"},
	}
	for _, tt := range tests {
		cfg := tt.cfg
		tt.mutate(&cfg)
		c, err := franceconnect.New(cfg)
		if tt.want == "" {
			require.NoError(t, err, tt.name)
			continue
		}
		assert.ErrorIs(t, err, franceconnect.ErrConfig, tt.name)
		assert.ErrorContains(t, err, tt.want, tt.name)
		assert.Nil(t, c)
	}
}
