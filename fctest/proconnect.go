package fctest

import (
	"cmp"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// ProConnect mode: the federation for professionals runs a fork of
// FranceConnect's core, so the mock differs only where ProConnect does.
// The level is asked through the claims parameter as a set, essential or
// not (ProConnect raises an agent's level to its "-mfa" variant with its
// own e-mail code when asked; an essential level it cannot reach stops
// the agent on its Y020032 page); prompt=none is a silent login;
// login_hint, siret_hint, response_mode and PKCE (S256 only) are accepted
// and any other parameter is refused (Y000400); registrations may sign
// with HS256 and return userinfo as JSON; the token response carries a
// refresh token (1 h access token, 2 h refresh token, rotated at each
// refresh, revocable); the ID token carries sid; the identities are
// agents ([Agents]), whose level, amr and SIRET the chooser page lets a
// tester pick per login.

// removedACR is a level ProConnect sent until June 2026.
const removedACR = "https://proconnect.gouv.fr/assurance/self-asserted-2fa"

// ProConnect's error pages: an undocumented parameter; a required level
// it cannot reach ("access_denied: none of the requested ACRs could be
// obtained"), where the agent stays.
const (
	yUnknownParam = "Y000400"
	yNoLevel      = "Y020032"
)

// ProConnect's lifetimes.
const (
	pcAccessTTL  = time.Hour
	pcRefreshTTL = 2 * time.Hour
)

// proConnectParams are the authorize parameters ProConnect accepts.
var proConnectParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
	"acr_values", "claims", "prompt", "idp_hint", "login_hint", "siret_hint", "response_mode",
	"code_challenge", "code_challenge_method"}

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
	if m, ok := q["response_mode"]; ok && m[0] != "query" {
		return "Le paramètre response_mode n’accepte que query."
	}
	return ""
}

// checkPKCE returns the error description ProConnect redirects with for
// a PKCE request it refuses (plain, or no method), "" otherwise.
func checkPKCE(q url.Values) string {
	challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case challenge == "" && method == "":
		return ""
	case method != "S256":
		return "Plain code_challenge_method fallback disabled, code_challenge_method must be provided"
	case len(challenge) != 43 || strings.Trim(challenge, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "":
		return "code_challenge must be a base64url SHA-256"
	}
	return ""
}

// pkceVerified reports whether verifier answers the code's challenge (or
// neither was used).
func pkceVerified(challenge, verifier string) bool {
	if challenge == "" || verifier == "" {
		return challenge == verifier
	}
	sum := sha256.Sum256([]byte(verifier))
	return subtle.ConstantTimeCompare([]byte(b64(sum[:])), []byte(challenge)) == 1
}

// requestedLevels reads the acr values of the claims parameter
// ({"id_token":{"acr":{"essential":true,"values":[...]}}}), or of the
// tolerated acr_values; ok is false when the claims parameter is not JSON.
func requestedLevels(q url.Values) (levels []string, essential, ok bool) {
	if c := q.Get("claims"); c != "" {
		var req struct {
			IDToken struct {
				ACR struct {
					Essential bool     `json:"essential"`
					Value     string   `json:"value"`
					Values    []string `json:"values"`
				} `json:"acr"`
			} `json:"id_token"`
		}
		if json.Unmarshal([]byte(c), &req) != nil {
			return nil, false, false
		}
		levels, essential = req.IDToken.ACR.Values, req.IDToken.ACR.Essential
		if v := req.IDToken.ACR.Value; v != "" {
			levels = append(levels, v)
		}
	}
	if len(levels) == 0 {
		levels = strings.Fields(q.Get("acr_values"))
	}
	return levels, essential, true
}

// delivered is what a ProConnect login of u gives when requested levels
// were asked: the agent's own level (eidas1 by default), raised to its
// "-mfa" variant by ProConnect's e-mail code (amr "mail") when that is
// asked and the agent's is not, unless u.NoMailCode; else the agent's own
// level, even one not requested (the client must check), or, when the
// request was essential, none: ProConnect's Y020032 page.
func delivered(u User, requested []string, essential bool) (acr string, mailCode, deadEnd bool) {
	level := cmp.Or(u.ACR, "eidas1")
	switch {
	case len(requested) == 0 || slices.Contains(requested, level):
		return level, false, false
	case slices.Contains(requested, level+"-mfa") && !u.NoMailCode:
		return level + "-mfa", true, false
	}
	return level, false, essential
}

// withChoices applies what the tester chose on ProConnect's chooser for
// this login: the level of the agent's identity provider, its amr, its
// SIRET, and whether ProConnect can send it its e-mail code.
func withChoices(u User, form url.Values) User {
	if acr := form.Get("acr"); acr != "" {
		u.ACR = acr
	}
	if amr := strings.Fields(form.Get("amr")); len(amr) > 0 {
		u.AMR = amr
	}
	if siret := form.Get("siret"); len(siret) == 14 && strings.Trim(siret, "0123456789") == "" {
		u.SIRET, u.SIREN = siret, siret[:9]
	}
	if form.Has("choices") {
		u.NoMailCode = form.Get("mail_code") != "on"
	}
	return u
}

// proConnectLevels are ProConnect's acr values.
var proConnectLevels = []string{"eidas0", "eidas0-mfa", "eidas1", "eidas1-mfa", "eidas2", "eidas3",
	"https://proconnect.gouv.fr/assurance/certification-dirigeant"}

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
	doc.AcrValuesSupported = proConnectLevels
	doc.GrantTypesSupported = []string{"authorization_code", "refresh_token"}
	doc.CodeChallengeMethodsSupported = []string{"S256"}
	doc.ResponseModesSupported = []string{"query"}
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

// newSID is the session ID a ProConnect ID token carries ("" elsewhere).
func (s *Server) newSID() string {
	if !s.pc {
		return ""
	}
	return randomToken()
}
