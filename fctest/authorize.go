package fctest

import (
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Y-codes of FranceConnect's error pages and JSON errors.
const (
	yBadParams         = "Y030007"  // authorize parameters missing or invalid
	yUnknownClient     = "Y04EA6EF" // unknown client_id
	yBadRedirectURI    = "Y04C013C" // redirect_uri not registered
	yGeneric           = "Y040001"  // generic; userinfo token unknown or expired
	yBadFormat         = "Y000400"  // mock: unknown interaction or user
	yInvalidClient     = "Y0434A7B" // token: client authentication failed
	yMissingParam      = "Y048017B" // token: missing parameter
	yInvalidGrant      = "Y049E20B" // token: unknown, used or expired code
	yUserInfoNoToken   = "Y04146A2" // userinfo: no access token
	accessDeniedDesc   = "User auth aborted"
	invalidScopeDesc   = "requested scope is not allowed"
	openidRequiredDesc = "openid scope must be requested when using the acr_values parameter"
)

// interaction is an authorize request waiting for the user to pick an
// identity.
type interaction struct {
	clientID, redirectURI, state, nonce string
	scopes                              []string
	amrInIDToken                        bool
	expires                             time.Time
	user                                *User // set by Login
}

// authCode is an issued authorization code.
type authCode struct {
	clientID, redirectURI, nonce string
	scopes                       []string
	amrInIDToken                 bool
	user                         User
	authTime, expires            time.Time
	used                         bool
	accessToken                  string // issued for it, revoked on replay
}

func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	s.stats.authorize.Add(1)
	var q url.Values
	switch r.Method {
	case http.MethodGet:
		q = r.URL.Query()
	case http.MethodPost:
		if err := r.ParseForm(); err != nil {
			s.errorPage(w, http.StatusBadRequest, yBadParams, "Le formulaire d’autorisation est illisible.")
			return
		}
		q = r.PostForm
	default:
		w.Header().Set("Allow", "GET, POST")
		s.errorPage(w, http.StatusMethodNotAllowed, yBadParams, "Méthode non autorisée.")
		return
	}
	if msg := checkAuthorizeParams(q); msg != "" {
		s.errorPage(w, http.StatusBadRequest, yBadParams, msg)
		return
	}
	c, ok := s.client(q.Get("client_id"))
	if !ok {
		s.errorPage(w, http.StatusBadRequest, yUnknownClient, "Le fournisseur de service (client_id) est inconnu.")
		return
	}
	redirectURI, state := q.Get("redirect_uri"), q.Get("state")
	if !slices.Contains(c.RedirectURIs, redirectURI) {
		s.errorPage(w, http.StatusBadRequest, yBadRedirectURI, "L’adresse de retour (redirect_uri) n’est pas enregistrée pour ce fournisseur de service.")
		return
	}
	fail := func(code, desc string) { s.redirectError(w, redirectURI, state, code, desc) }
	scopes := uniqueFields(q.Get("scope"))
	switch rt := q.Get("response_type"); {
	case rt == "":
		fail("invalid_request", "missing required parameter 'response_type'")
		return
	case rt != "code":
		fail("unsupported_response_type", "unsupported response_type requested")
		return
	case !slices.Contains(scopes, "openid"):
		fail("invalid_request", openidRequiredDesc)
		return
	}
	for _, sc := range scopes {
		if _, known := scopeClaims[sc]; !known {
			fail("invalid_scope", invalidScopeDesc)
			return
		}
	}
	if acr := resolveACR(q.Get("acr_values")); acr != "eidas1" {
		fail("invalid_acr", "acr_value is not valid, should be equal one of these values, expected eidas1, got "+acr)
		return
	}
	amr, err := amrRequested(q.Get("claims"))
	if err != nil {
		fail("invalid_request", "could not parse the claims parameter JSON")
		return
	}
	uid := randomToken()
	now := s.now()
	s.mu.Lock()
	prune(s.interactions, func(ia *interaction) bool { return now.After(ia.expires) })
	s.interactions[uid] = &interaction{
		clientID: c.ID, redirectURI: redirectURI, state: state, nonce: q.Get("nonce"),
		scopes: scopes, amrInIDToken: amr, expires: now.Add(interactionTTL),
	}
	var users []User
	for _, login := range s.userOrder {
		users = append(users, s.users[login])
	}
	s.mu.Unlock()
	s.chooserPage(w, uid, c.ID, users)
}

// checkAuthorizeParams does FranceConnect's parameter validation (the
// checks that end on error page Y030007) and returns what is wrong.
func checkAuthorizeParams(q url.Values) string {
	for k, v := range q {
		if len(v) > 1 {
			return "Le paramètre " + k + " est présent plusieurs fois."
		}
	}
	for _, k := range []string{"client_id", "redirect_uri", "scope", "state", "nonce", "acr_values"} {
		if q.Get(k) == "" {
			return "Le paramètre obligatoire " + k + " est absent."
		}
	}
	if u, err := url.Parse(q.Get("redirect_uri")); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "Le paramètre redirect_uri n’est pas une URL."
	}
	if utf8.RuneCountInString(q.Get("nonce")) < 22 {
		return "Le paramètre nonce doit compter au moins 22 caractères."
	}
	if prompt, ok := q["prompt"]; ok {
		words := strings.Fields(prompt[0])
		valid := len(words) > 0 && len(words) <= 2
		for i, p := range words {
			if (p != "login" && p != "consent") || (i == 1 && words[0] == p) {
				valid = false
			}
		}
		if !valid {
			return "Le paramètre prompt n’accepte que login, consent ou « login consent »."
		}
	}
	return ""
}

// resolveACR applies FranceConnect's rule: the lowest known level among the
// requested ones, eidas1 when none is known.
func resolveACR(values string) string {
	for _, level := range []string{"eidas1", "eidas2", "eidas3"} {
		if slices.Contains(strings.Fields(values), level) {
			return level
		}
	}
	return "eidas1"
}

// amrRequested reports whether the claims parameter asks for amr in the
// ID token.
func amrRequested(claims string) (bool, error) {
	if claims == "" {
		return false, nil
	}
	var req struct {
		IDToken map[string]json.RawMessage `json:"id_token"`
	}
	if err := json.Unmarshal([]byte(claims), &req); err != nil {
		return false, err
	}
	_, ok := req.IDToken["amr"]
	return ok, nil
}

// uniqueFields splits a space-separated list, dropping duplicates.
func uniqueFields(s string) []string {
	var out []string
	for _, f := range strings.Fields(s) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

func (s *Server) handleInteractionLogin(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, http.StatusBadRequest, yBadFormat, "Le formulaire est illisible.")
		return
	}
	uid, login := r.PathValue("uid"), r.PostForm.Get("login")
	now := s.now()
	s.mu.Lock()
	ia := s.interactions[uid]
	if ia == nil || now.After(ia.expires) {
		delete(s.interactions, uid)
		s.mu.Unlock()
		s.errorPage(w, http.StatusBadRequest, yBadFormat, "Cette demande de connexion est inconnue ou a expiré.")
		return
	}
	u, ok := s.users[login]
	if ia.user != nil && ia.user.Login == login {
		u, ok = *ia.user, true
	}
	if !ok || login == "" {
		s.mu.Unlock()
		s.errorPage(w, http.StatusBadRequest, yBadFormat, "Identité de test inconnue.")
		return
	}
	delete(s.interactions, uid)
	denied := s.faults[CallbackAccessDenied]
	var code string
	if !denied {
		code = randomToken()
		prune(s.codes, func(c *authCode) bool { return now.After(c.expires) })
		s.codes[code] = &authCode{
			clientID: ia.clientID, redirectURI: ia.redirectURI, nonce: ia.nonce,
			scopes: ia.scopes, amrInIDToken: ia.amrInIDToken, user: u.clone(),
			authTime: now, expires: now.Add(codeTTL),
		}
	}
	s.mu.Unlock()
	if denied {
		s.redirectError(w, ia.redirectURI, ia.state, "access_denied", accessDeniedDesc)
		return
	}
	s.redirect(w, ia.redirectURI, [][2]string{{"code", code}}, ia.state)
}

func (s *Server) handleInteractionAbort(w http.ResponseWriter, r *http.Request) {
	uid := r.PathValue("uid")
	s.mu.Lock()
	ia := s.interactions[uid]
	delete(s.interactions, uid)
	s.mu.Unlock()
	if ia == nil || s.now().After(ia.expires) {
		s.errorPage(w, http.StatusBadRequest, yBadFormat, "Cette demande de connexion est inconnue ou a expiré.")
		return
	}
	s.redirectError(w, ia.redirectURI, ia.state, "access_denied", accessDeniedDesc)
}

// redirectError redirects to the client with error, error_description,
// state and iss.
func (s *Server) redirectError(w http.ResponseWriter, redirectURI, state, code, desc string) {
	s.redirect(w, redirectURI, [][2]string{{"error", code}, {"error_description", desc}}, state)
}

// redirect answers 303 to redirectURI with params, then state and iss
// (subject to the Callback faults), appended to its query string without
// touching the bytes already there.
func (s *Server) redirect(w http.ResponseWriter, redirectURI string, params [][2]string, state string) {
	switch {
	case s.has(CallbackNoState):
	case s.has(CallbackWrongState):
		params = append(params, [2]string{"state", randomToken()})
	default:
		params = append(params, [2]string{"state", state})
	}
	switch {
	case s.has(CallbackNoIss):
	case s.has(CallbackWrongIss):
		params = append(params, [2]string{"iss", evilIssuer})
	default:
		params = append(params, [2]string{"iss", s.Issuer()})
	}
	w.Header().Set("Location", appendQuery(redirectURI, params))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusSeeOther)
}

// appendQuery adds params to the query of u, keeping u's bytes.
func appendQuery(u string, params [][2]string) string {
	var b strings.Builder
	for _, p := range params {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(p[0]) + "=" + url.QueryEscape(p[1]))
	}
	base, fragment, hasFragment := strings.Cut(u, "#")
	switch {
	case !strings.Contains(base, "?"):
		base += "?"
	case !strings.HasSuffix(base, "?") && !strings.HasSuffix(base, "&"):
		base += "&"
	}
	out := base + b.String()
	if hasFragment {
		out += "#" + fragment
	}
	return out
}

var chooserTmpl = template.Must(template.New("chooser").Parse(`<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>FranceConnect (fctest) – Choisissez une identité de test</title>
<style>
body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;color:#161616}
button{display:block;width:100%;margin:.5rem 0;padding:.75rem 1rem;font-size:1rem;text-align:left;background:#000091;color:#fff;border:0;cursor:pointer}
button:hover,button:focus{background:#1212ff}
</style>
</head>
<body>
<header><p><strong>FranceConnect</strong> · serveur de test <code>fctest</code></p></header>
<main>
<h1>Choisissez une identité de test</h1>
<p>Le service <code>{{.ClientID}}</code> demande à vous identifier (niveau eIDAS faible).</p>
<form method="post" action="/api/v2/interaction/{{.UID}}/login">
{{range .Users}}<button type="submit" name="login" value="{{.Login}}">{{.Label}}</button>
{{end}}</form>
<p><a href="/api/v2/interaction/{{.UID}}/abort">Revenir sur le service</a></p>
</main>
</body>
</html>
`))

func (s *Server) chooserPage(w http.ResponseWriter, uid, clientID string, users []User) {
	type entry struct{ Login, Label string }
	data := struct {
		UID, ClientID string
		Users         []entry
	}{UID: uid, ClientID: clientID}
	for _, u := range users {
		data.Users = append(data.Users, entry{u.Login, u.label()})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_ = chooserTmpl.Execute(w, data)
}

var errorTmpl = template.Must(template.New("error").Parse(`<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>Erreur – FranceConnect (fctest)</title>
</head>
<body data-error-code="{{.Code}}">
<main>
<h1>Une erreur est survenue</h1>
<p>{{.Message}}</p>
<p>Code d’erreur : <strong>{{.Code}}</strong></p>
<p>ID de l’erreur : {{.ID}}</p>
</main>
</body>
</html>
`))

// errorPage shows FranceConnect's error page with a Y-code; the user stays
// on FranceConnect.
func (s *Server) errorPage(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = errorTmpl.Execute(w, struct{ Code, Message, ID string }{code, msg, newUUID()})
}
