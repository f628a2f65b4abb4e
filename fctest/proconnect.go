package fctest

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// ProConnect mode: the federation for professionals runs a fork of
// FranceConnect's core, so the mock differs only where ProConnect does.
// The level is asked through the claims parameter as a set; prompt=none
// is a silent login; login_hint and siret_hint are accepted and any
// other parameter is refused (Y000400); registrations may sign with HS256
// and return userinfo as JSON; the token response carries a refresh
// token; the identities are agents ([Agents]).

// removedACR is a level ProConnect sent until June 2026.
const removedACR = "https://proconnect.gouv.fr/assurance/self-asserted-2fa"

// yUnknownParam is ProConnect's error page for an undocumented parameter.
const yUnknownParam = "Y000400"

// proConnectParams are the authorize parameters ProConnect accepts.
var proConnectParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
	"acr_values", "claims", "prompt", "idp_hint", "login_hint", "siret_hint"}

// checkProConnectParams does ProConnect's parameter validation and
// returns the Y-code and message of its error page, or "" and "".
func checkProConnectParams(q url.Values) (yCode, msg string) {
	for k, v := range q {
		if !slices.Contains(proConnectParams, k) {
			return yUnknownParam, "Le paramètre " + k + " n’est pas autorisé."
		}
		if len(v) > 1 {
			return yBadParams, "Le paramètre " + k + " est présent plusieurs fois."
		}
	}
	for _, k := range []string{"client_id", "redirect_uri", "scope", "state", "nonce"} {
		switch {
		case q.Get(k) == "":
			return yBadParams, "Le paramètre obligatoire " + k + " est absent."
		case (k == "state" || k == "nonce") && utf8.RuneCountInString(q.Get(k)) < 32:
			return yBadParams, "Le paramètre " + k + " doit compter au moins 32 caractères."
		}
	}
	return yBadParams, checkProConnectValues(q)
}

// checkProConnectValues checks the values ProConnect constrains.
func checkProConnectValues(q url.Values) string {
	if u, err := url.Parse(q.Get("redirect_uri")); err != nil || u.Host == "" {
		return "Le paramètre redirect_uri n’est pas une URL."
	}
	if p, ok := q["prompt"]; ok && p[0] != "none" && strings.Trim(strings.ReplaceAll(strings.ReplaceAll(p[0], "login", ""), "consent", ""), " ") != "" {
		return "Le paramètre prompt n’accepte que none, login ou consent."
	}
	if h, ok := q["siret_hint"]; ok && (len(h[0]) != 14 || strings.Trim(h[0], "0123456789") != "") {
		return "Le paramètre siret_hint doit compter 14 chiffres."
	}
	return ""
}

// requestedLevels reads the acr values of the claims parameter
// ({"id_token":{"acr":{"essential":true,"values":[...]}}}), or of the
// tolerated acr_values; ok is false when the claims parameter is not JSON.
func requestedLevels(q url.Values) (levels []string, ok bool) {
	if c := q.Get("claims"); c != "" {
		var req struct {
			IDToken struct {
				ACR struct {
					Value  string   `json:"value"`
					Values []string `json:"values"`
				} `json:"acr"`
			} `json:"id_token"`
		}
		if json.Unmarshal([]byte(c), &req) != nil {
			return nil, false
		}
		levels = req.IDToken.ACR.Values
		if v := req.IDToken.ACR.Value; v != "" {
			levels = append(levels, v)
		}
	}
	if len(levels) == 0 {
		levels = strings.Fields(q.Get("acr_values"))
	}
	return levels, true
}

// deliveredACR is the level of a login of u when requested were asked:
// the agent's own level (eidas1 by default), raised to its "-mfa" variant
// when only that was asked (ProConnect's e-mail code), else as it is, even
// when not requested: the client must check.
func deliveredACR(u User, requested []string) string {
	level := u.ACR
	if level == "" {
		level = "eidas1"
	}
	if len(requested) > 0 && !slices.Contains(requested, level) && slices.Contains(requested, level+"-mfa") {
		return level + "-mfa"
	}
	return level
}

// proConnectScopeClaims is ProConnect's scope → claims table: each scope
// asks for the claim of its name; organization_label and roles come with
// openid, as ProConnect adds them.
var proConnectScopeClaims = withSingleClaimScopes(map[string][]string{
	"openid": {"organization_label", "roles"},
}, "given_name", "usual_name", "email", "uid", "siret", "siren", "idp_id",
	"phone", "organizational_unit", "belonging_population", "chorusdt", "custom")

// hmacKey is the client's HS256 key: its secret, when it registered
// HS256 (ProConnect, and every client of a v1 server).
func (c Registration) hmacKey() []byte {
	if c.Alg == HS256 {
		return []byte(c.Secret)
	}
	return nil
}

// proConnectDiscovery adapts the discovery document to ProConnect.
func (s *Server) proConnectDiscovery(doc *discovery) {
	if !s.pc {
		return
	}
	doc.ScopesSupported = nil
	for sc := range proConnectScopeClaims {
		doc.ScopesSupported = append(doc.ScopesSupported, sc)
	}
	slices.Sort(doc.ScopesSupported)
	doc.ClaimsSupported = []string{"sub", "given_name", "usual_name", "email", "uid", "siret", "siren", "idp_id",
		"organization_label", "roles", "phone", "organizational_unit", "belonging_population", "chorusdt", "custom",
		"acr", "amr", "auth_time", "iss"}
	doc.AcrValuesSupported = []string{"eidas0", "eidas0-mfa", "eidas1", "eidas1-mfa", "eidas2", "eidas3",
		"https://proconnect.gouv.fr/assurance/certification-dirigeant"}
	doc.GrantTypesSupported = []string{"authorization_code", "refresh_token"}
}

// Agents returns the built-in ProConnect test identities: a State agent
// (the default, login "agent"), one with a second factor (eidas1-mfa), a
// La Poste agent whose SIRET follows La Poste's checksum rule, a
// private-sector employee with roles, and a company officer
// (certification-dirigeant). Each call returns fresh copies.
func Agents() []User {
	agent := func(login, label, given, usual, email, siret, org, idp, acr string) User {
		return User{Login: login, Label: label, GivenName: given, UsualName: usual, Email: email,
			UID: login + "-uid", SIRET: siret, SIREN: siret[:9], OrganizationLabel: org, IDPID: idp, ACR: acr,
			BelongingPopulation: "agent", AMR: []string{"pwd"}}
	}
	mfa := agent("agent_mfa", "Karima ZIANE, DINUM (double authentification, eidas1-mfa)", "Karima", "ZIANE",
		"karima.ziane@numerique.gouv.fr", "13002526500013", "DINUM", "proconnect-identite", "eidas1-mfa")
	mfa.AMR = []string{"pwd", "mail"}
	laPoste := agent("agent_la_poste", "Paul DURAND, La Poste (SIRET à la règle de La Poste)", "Paul", "DURAND",
		"paul.durand@laposte.fr", "35600000049837", "LA POSTE", "proconnect-identite", "")
	private := agent("salarie_prive", "Inès MOREAU, salariée d'une entreprise (rôles)", "Inès", "MOREAU",
		"ines.moreau@entreprise.example", "73282932000074", "ENTREPRISE EXEMPLE", "proconnect-identite", "")
	private.BelongingPopulation = "salarie"
	private.Roles = []string{"gestionnaire", "lecteur"}
	officer := agent("dirigeant", "Louis GARNIER, dirigeant (certification dirigeant)", "Louis", "GARNIER",
		"louis.garnier@entreprise.example", "73282932000074", "ENTREPRISE EXEMPLE", "proconnect-identite",
		"https://proconnect.gouv.fr/assurance/certification-dirigeant")
	return []User{
		agent("agent", "Jean MARTIN, ministère de l'Intérieur (par défaut)", "Jean", "MARTIN",
			"jean.martin@interieur.gouv.fr", "11000201100044", "MINISTERE DE L'INTERIEUR", "fia1v2", ""),
		mfa, laPoste, private, officer,
	}
}
