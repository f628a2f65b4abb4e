package portal

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/franceconnect-go/franceconnect"
)

// An agent logs in through the Espace agents' ProConnect button, sees a
// professional profile, and logs out through ProConnect.
func TestFlowAgent(t *testing.T) {
	inst := startMock(t)
	b := newBrowser(t)
	_, home := b.get(inst.URL)
	for _, want := range []string{`data-space="agents"`, `<button class="fr-connect fr-connect--proconnect" type="submit">`,
		`<span class="fr-connect__brand">ProConnect</span>`, `title="Qu’est-ce que ProConnect ? - nouvelle fenêtre">Qu’est-ce que ProConnect ?</a>`,
		`<span class="fr-connect__brand">FranceConnect</span>`} {
		if !strings.Contains(home, want) {
			t.Fatalf("home page lacks %s", want)
		}
	}
	resp, chooser := b.get(inst.URL + "agents/login?return=%2Fprofil")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.String(), inst.AgentsMock.URL+"/api/v2/authorize") {
		t.Fatalf("agents login: %s at %s", resp.Status, resp.Request.URL)
	}
	q := resp.Request.URL.Query()
	if q.Get("claims") == "" || q.Has("acr_values") || !strings.Contains(chooser, "<strong>ProConnect</strong>") {
		t.Errorf("authorize request %s", resp.Request.URL.RawQuery)
	}
	m := chooserAction.FindStringSubmatch(chooser)
	if m == nil {
		t.Fatalf("chooser page:\n%s", chooser)
	}
	resp, profile := b.post(inst.AgentsMock.URL+m[1], url.Values{"login": {"agent_mfa"}})
	if resp.StatusCode != http.StatusOK || resp.Request.URL.String() != inst.URL+"profil" {
		t.Fatalf("after the chooser: %s at %s:\n%s", resp.Status, resp.Request.URL, profile)
	}
	got := claims(profile)
	want := map[string]string{
		"given_name":         "Karima",
		"usual_name":         "ZIANE",
		"email":              "karima.ziane@numerique.gouv.fr",
		"organization_label": "DINUM",
		"siret":              "13002526500013 Somme de contrôle vérifiée.",
		"acr":                "eidas1-mfa Connexion avec second facteur (double authentification).",
		"idp_id":             "proconnect-identite",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("profile %s = %q, want %q", k, got[k], v)
		}
	}
	if !strings.Contains(profile, "Identité de l’agent") {
		t.Error("the profile page speaks of an agent")
	}

	csrf := csrfField.FindStringSubmatch(profile)
	if csrf == nil {
		t.Fatal("no logout form")
	}
	resp, home = b.post(inst.URL+"fc/logout", url.Values{"csrf": {csrf[1]}})
	if resp.StatusCode != http.StatusOK || resp.Request.URL.String() != inst.URL+"?deconnexion=agents-ok" {
		t.Fatalf("after logout: %s at %s", resp.Status, resp.Request.URL)
	}
	if !strings.Contains(home, "Vous êtes déconnecté·e du portail et de ProConnect.") {
		t.Errorf("home after logout:\n%s", home)
	}
	if inst.AgentsMock.Stats().LogoutRequests != 1 || inst.Mock.Stats().LogoutRequests != 0 {
		t.Error("the agent's logout goes through ProConnect, not FranceConnect")
	}
	if inst.AgentsMock.Stats().Revocations != 1 {
		t.Error("the agent's refresh token is not revoked at logout")
	}
}

// « MFA if possible » (the home page's box): an agent whose identity
// provider has no second factor gets one through ProConnect's e-mail code,
// and the profile says so; without the box, the agent's own level.
func TestAgentMFAIfPossible(t *testing.T) {
	inst := startMock(t)
	for _, tt := range []struct {
		query, acr, amr string
	}{
		{"&mfa=si-possible", "eidas1-mfa Connexion avec second facteur (double authentification).", "pwd mail mail : ProConnect a envoyé un code par courriel pour atteindre le niveau demandé."},
		{"", "eidas1 Connexion sans second facteur.", "pwd"},
	} {
		b := newBrowser(t)
		resp, chooser := b.get(inst.URL + "agents/login?return=%2Fprofil" + tt.query)
		if strings.Contains(resp.Request.URL.Query().Get("claims"), `"essential":false`) != (tt.query != "") {
			t.Errorf("%q: claims %s", tt.query, resp.Request.URL.Query().Get("claims"))
		}
		m := chooserAction.FindStringSubmatch(chooser)
		if m == nil {
			t.Fatalf("chooser page:\n%s", chooser)
		}
		_, profile := b.post(inst.AgentsMock.URL+m[1], url.Values{"login": {"agent"}})
		if got := claims(profile); got["acr"] != tt.acr || got["amr"] != tt.amr {
			t.Errorf("%q: acr %q amr %q, want %q %q", tt.query, got["acr"], got["amr"], tt.acr, tt.amr)
		}
	}
	if _, home := newBrowser(t).get(inst.URL); !strings.Contains(home, `name="mfa" value="si-possible" checked`) {
		t.Error("the home page does not offer MFA if possible, on by default")
	}
}

func TestLoadAgents(t *testing.T) {
	t.Parallel()
	base := with(sandbox("8080"),
		EnvPCServiceURL, "https://fca.integ01.dev-agentconnect.fr",
		EnvPCClientID, "pc-id", EnvPCClientSecret, "pc-secret",
		EnvPCRedirectURL, "http://localhost:8080/agents/callback",
		EnvPCPostLogoutRedirectURL, "http://localhost:8080/agents/logged-out",
		EnvPCUserInfo, "json")
	s, err := Load(nil, env(base))
	if err != nil {
		t.Fatal(err)
	}
	if s.PC == nil || s.PC.Environment.Federation != franceconnect.ProConnect || !s.PC.UserInfoJSON || s.PC.ClientID != "pc-id" {
		t.Fatalf("PC settings %+v", s.PC)
	}
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{with(base, EnvPCServiceURL, "https://oidc.franceconnect.gouv.fr"), "is not a ProConnect address"},
		{with(base, EnvPCUserInfo, "xml"), `PC_USERINFO "xml": use jwt or json`},
		{with(base, EnvPCRedirectURL, ""), "PC_REDIRECT_URL is required with PC_CLIENT_ID"},
		{with(base, EnvPCClientID, ""), "PC_SERVICE_URL is set without PC_CLIENT_ID"},
		{with(base, EnvServiceURL, "https://auth.agentconnect.gouv.fr", EnvEnvironment, ""), "is a ProConnect address: give it as PC_SERVICE_URL"},
	} {
		if _, err := Load(nil, env(tt.env)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load: %v, want %q", err, tt.want)
		}
	}
}
