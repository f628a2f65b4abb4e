package portal

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
)

// The « Espace agents »: agents log in through ProConnect, beside the
// citizens' FranceConnect button, with a second franceconnect.Client on
// the ProConnect profile. In mock mode it runs against an embedded fctest
// ProConnect server; with a real FranceConnect environment it is enabled
// by the PC_* variables.

// Environment variables of the Espace agents (real mode).
const (
	EnvPCServiceURL            = "PC_SERVICE_URL"
	EnvPCClientID              = "PC_CLIENT_ID"
	EnvPCClientSecret          = "PC_CLIENT_SECRET"
	EnvPCRedirectURL           = "PC_REDIRECT_URL"
	EnvPCPostLogoutRedirectURL = "PC_POST_LOGOUT_REDIRECT_URL"
	EnvPCAlgorithm             = "PC_ALGORITHM"
	EnvPCUserInfo              = "PC_USERINFO"
)

// The Espace agents' paths (in mock mode; with a real environment the
// callback and the post-logout return are those of PC_REDIRECT_URL and
// PC_POST_LOGOUT_REDIRECT_URL).
const (
	AgentsLoginPath     = "/agents/login"
	AgentsCallbackPath  = "/agents/callback"
	AgentsLoggedOutPath = "/agents/logged-out"
)

const agentsEnvHelp = `Espace agents (ProConnect), with a real environment only:
  PC_SERVICE_URL                e.g. https://fca.integ01.dev-agentconnect.fr (integration)
  PC_CLIENT_ID, PC_CLIENT_SECRET  from ProConnect's partner space
  PC_REDIRECT_URL               registered callback URL, e.g. http://localhost:8080/agents/callback
  PC_POST_LOGOUT_REDIRECT_URL   registered logout return URL, e.g. http://localhost:8080/agents/logged-out
  PC_ALGORITHM                  ES256 (default) | RS256 | HS256
  PC_USERINFO                   jwt (default) | json: json when no userinfo signing algorithm was registered
`

// loadAgents reads the PC_* variables into s.PC; without PC_CLIENT_ID the
// Espace agents is off (real mode).
func loadAgents(s *Settings, get, getenv func(string) string, add func(string, ...any)) {
	if get(EnvPCClientID) == "" {
		for _, k := range []string{EnvPCServiceURL, EnvPCClientSecret, EnvPCRedirectURL, EnvPCPostLogoutRedirectURL, EnvPCAlgorithm, EnvPCUserInfo} {
			if get(k) != "" {
				add("%s is set without %s: set it to open the Espace agents", k, EnvPCClientID)
			}
		}
		return
	}
	pc := franceconnect.Config{ClientID: get(EnvPCClientID), ClientSecret: getenv(EnvPCClientSecret),
		RedirectURL: get(EnvPCRedirectURL), PostLogoutRedirectURL: get(EnvPCPostLogoutRedirectURL),
		Algorithm: get(EnvPCAlgorithm), CookieKeys: s.FC.CookieKeys}
	env, err := franceconnect.EnvironmentFromURL(get(EnvPCServiceURL))
	switch {
	case err != nil:
		add("%s: %v", EnvPCServiceURL, err)
	case env.Federation != franceconnect.ProConnect:
		add("%s %s is not a ProConnect address (e.g. https://auth.agentconnect.gouv.fr)", EnvPCServiceURL, get(EnvPCServiceURL))
	}
	pc.Environment = env
	switch strings.ToLower(get(EnvPCUserInfo)) {
	case "", "jwt":
	case "json":
		pc.UserInfoJSON = true
	default:
		add("%s %q: use jwt or json, as registered in ProConnect's partner space", EnvPCUserInfo, get(EnvPCUserInfo))
	}
	for _, k := range []string{EnvPCClientSecret, EnvPCRedirectURL, EnvPCPostLogoutRedirectURL} {
		if get(k) == "" {
			add("%s is required with %s", k, EnvPCClientID)
		}
	}
	s.PC = &pc
}

// agentsMock starts the embedded ProConnect and returns the configuration
// registered on it, for a portal at base.
func agentsMock(base string, cookieKeys [][]byte) (*fctest.Server, franceconnect.Config) {
	srv := fctest.NewServer(fctest.Options{Federation: franceconnect.ProConnect})
	cfg := franceconnect.Config{
		Environment:           srv.Environment(),
		RedirectURL:           base + AgentsCallbackPath,
		PostLogoutRedirectURL: base + AgentsLoggedOutPath,
		CookieKeys:            cookieKeys,
	}
	reg := srv.Register(fctest.Registration{
		RedirectURIs:           []string{cfg.RedirectURL},
		PostLogoutRedirectURIs: []string{cfg.PostLogoutRedirectURL},
	})
	cfg.ClientID, cfg.ClientSecret = reg.ID, reg.Secret
	return srv, cfg
}

// agentsConfig completes the Espace agents' client configuration.
func agentsConfig(cfg franceconnect.Config, fc franceconnect.Config) franceconnect.Config {
	cfg.CookieName = "pc_tx" // the citizens' client has its own cookies
	cfg.Logger, cfg.DefaultReturnPath = fc.Logger, fc.DefaultReturnPath
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = []string{"given_name", franceconnect.ScopeUsualName, franceconnect.ScopeEmail,
			franceconnect.ScopeUID, franceconnect.ScopeSIRET, franceconnect.ScopeIDPID, "belonging_population"}
	}
	return cfg
}

// agentView is the profile page of an agent.
func agentView(s *session) *sessionView {
	a, notSent := s.Agent, "Non transmis"
	v := &sessionView{CSRF: s.CSRF, Agreement: "·e", Agent: true}
	v.DisplayName = strings.TrimSpace(a.GivenName + " " + a.UsualName)
	v.Identity = []row{
		{Key: "given_name", Label: "Prénoms", Claim: "given_name", Value: orText(a.GivenName, notSent)},
		{Key: "usual_name", Label: "Nom d’usage", Claim: "usual_name", Value: orText(a.UsualName, notSent)},
		{Key: "email", Label: "Adresse électronique professionnelle", Claim: "email", Value: orText(a.Email, "Non transmise")},
		{Key: "organization_label", Label: "Organisation", Claim: "organization_label", Value: orText(a.OrganizationLabel, "Non transmise")},
		{Key: "siret", Label: "SIRET de l’établissement", Claim: "siret", Value: orText(a.SIRET, notSent), Note: map[bool]string{true: "Somme de contrôle vérifiée."}[a.SIRET != ""]},
		{Key: "belonging_population", Label: "Population", Claim: "belonging_population", List: a.BelongingPopulation, Value: notSent},
		{Key: "uid", Label: "Identifiant chez le fournisseur d’identité", Claim: "uid", Value: orText(a.UID, notSent)},
	}
	tok := s.IDToken
	mfa := "sans second facteur"
	if tok.MFA {
		mfa = "avec second facteur (double authentification)"
	}
	amrNote := ""
	if slices.Contains(tok.AMR, franceconnect.AMRMail) {
		amrNote = "mail : ProConnect a envoyé un code par courriel pour atteindre le niveau demandé."
	}
	v.Auth = []row{
		{Key: "acr", Label: "Niveau de garantie", Claim: "acr", Value: string(tok.ACR), Note: fmt.Sprintf("Connexion %s.", mfa)},
		{Key: "amr", Label: "Méthodes d’authentification", Claim: "amr", Value: orText(strings.Join(tok.AMR, " "), "Non transmises"), Note: amrNote},
		{Key: "idp_id", Label: "Fournisseur d’identité", Claim: "idp_id", Value: orText(a.IDPID, notSent)},
		{Key: "sub", Label: "Identifiant ProConnect", Claim: "sub", Value: a.Subject,
			Note: "Propre au portail et au fournisseur d’identité : un autre fournisseur donnerait un autre identifiant."},
	}
	return v
}

// mountAgents adds the Espace agents' routes: its login, its callback and
// its logout return (logout itself is the portal's form, which picks the
// session's client).
func (h *handler) mountAgents(pc *franceconnect.Client, cfg franceconnect.Config) error {
	ru, err := url.Parse(cfg.RedirectURL)
	if err != nil {
		return err
	}
	pu, err := url.Parse(cfg.PostLogoutRedirectURL)
	if err != nil {
		return err
	}
	// « MFA if possible » (the home page's box, on by default): the second
	// factor preferred, not required, so that an agent whose identity
	// provider has none, and who cannot receive ProConnect's e-mail code,
	// still gets in; the profile says what the login had.
	plain := pc.LoginHandler(franceconnect.AuthOptions{Claims: franceconnect.ClaimsAMR})
	preferMFA := pc.LoginHandler(franceconnect.AuthOptions{Claims: franceconnect.ClaimsAMR, PreferredACR: []franceconnect.ACR{franceconnect.EIDAS1MFA}})
	h.mux.HandleFunc("GET "+AgentsLoginPath, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("mfa") == "si-possible" {
			preferMFA.ServeHTTP(w, r)
			return
		}
		plain.ServeHTTP(w, r)
	})
	h.mux.Handle("GET "+pathOf(ru), pc.CallbackHandler(h.loggedIn, h.loginFailed(agentsSpace)))
	h.mux.Handle("GET "+pathOf(pu), pc.LogoutReturnHandler(h.loggedOut(agentsSpace), h.logoutFailed(agentsSpace)))
	h.agents, h.pc = pc.LogoutHandler(sessionIDToken), pc
	return nil
}

// agentsSpace prefixes the codes of the Espace agents' messages.
const agentsSpace = "agents-"
