package fctest

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
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
	acr                                 string   // level to deliver
	levels                              []string // ProConnect: the levels asked,
	essential                           bool     // required or only preferred
	challenge                           string   // ProConnect: the PKCE code challenge
	expires                             time.Time
	user                                *User // set by Login
}

// authCode is an issued authorization code.
type authCode struct {
	clientID, redirectURI, nonce string
	scopes                       []string
	amrInIDToken                 bool
	acr                          string
	user                         User
	authTime, expires            time.Time
	used                         bool
	accessToken                  string // issued for it, revoked on replay
	challenge, sid               string // ProConnect: PKCE, the session's ID
}

// handleAuthorize checks the request as the provider does, in its order:
// what ends on an error page (parameters, client, redirect_uri), then what
// is redirected as an error; then it shows the chooser page, or answers a
// silent login at once.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	s.stats.authorize.Add(1)
	q, ok := s.requestParams(w, r)
	if !ok {
		return
	}
	c, ok := s.authorizeClient(w, q)
	if !ok {
		return
	}
	ia, code, desc := s.newInteraction(c, q)
	if code != "" {
		s.redirectError(w, c.ID, ia.redirectURI, ia.state, code, desc)
		return
	}
	uid := randomToken()
	now := s.now()
	s.mu.Lock()
	prune(s.interactions, func(ia *interaction) bool { return now.After(ia.expires) })
	s.interactions[uid] = ia
	s.mu.Unlock()
	current := s.sessionUser(r)
	if s.pc && q.Get("prompt") == "none" { // silent login: the session, or an error
		s.silentLogin(w, uid, current)
		return
	}
	if (c.Prompt || s.pc) && strings.Contains(q.Get("prompt"), "login") {
		current = "" // prompt=login: a new authentication, no « Continuer en tant que »
	}
	s.chooserPage(w, uid, cmp.Or(c.Name, c.ID), s.userList(), current)
}

// authorizeClient answers the provider's error page for what it does not
// redirect (invalid parameters, unknown client, unregistered
// redirect_uri), or returns the registration.
func (s *Server) authorizeClient(w http.ResponseWriter, q url.Values) (Registration, bool) {
	if ycode, msg := s.checkParams(q); msg != "" {
		s.errorPage(w, http.StatusBadRequest, ycode, msg)
		return Registration{}, false
	}
	c, ok := s.client(q.Get("client_id"))
	if !ok {
		s.errorPage(w, http.StatusBadRequest, yUnknownClient, "Le fournisseur de service (client_id) est inconnu.")
		return Registration{}, false
	}
	if !slices.Contains(c.RedirectURIs, q.Get("redirect_uri")) {
		s.errorPage(w, http.StatusBadRequest, yBadRedirectURI, "L’adresse de retour (redirect_uri) n’est pas enregistrée pour ce fournisseur de service.")
		return Registration{}, false
	}
	return c, true
}

// newInteraction returns the login the request asks for, or the error
// code and description the provider redirects with.
func (s *Server) newInteraction(c Registration, q url.Values) (ia *interaction, code, desc string) {
	ia = &interaction{clientID: c.ID, redirectURI: q.Get("redirect_uri"), state: q.Get("state"), nonce: q.Get("nonce"),
		scopes: uniqueFields(q.Get("scope")), expires: s.now().Add(interactionTTL)}
	hint, hinted := q["idp_hint"]
	switch rt := q.Get("response_type"); {
	case ia.state == "" && !s.v1:
		return ia, "invalid_request", "missing required parameter 'state'"
	case hinted && !s.v1 && !slices.Contains(c.IDPHints, hint[0]):
		return ia, "invalid_idp_hint", "An idp_hint was provided but is not allowed"
	case rt == "":
		return ia, "invalid_request", "missing required parameter 'response_type'"
	case rt != "code":
		return ia, "unsupported_response_type", "unsupported response_type requested"
	case !slices.Contains(ia.scopes, "openid"):
		return ia, "invalid_request", openidRequiredDesc
	case slices.ContainsFunc(ia.scopes, func(sc string) bool { _, known := s.scopeTable()[sc]; return !known }):
		return ia, "invalid_scope", invalidScopeDesc
	}
	code, desc = s.levelsAndPKCE(ia, q)
	return ia, code, desc
}

// levelsAndPKCE reads the levels asked, whether amr is, and the PKCE
// challenge into ia, or returns the error the provider redirects with.
func (s *Server) levelsAndPKCE(ia *interaction, q url.Values) (code, desc string) {
	var invalidACR string
	ia.acr, invalidACR = s.requestedACR(q.Get("acr_values")) // plus.go
	if invalidACR != "" && !s.pc {
		return "invalid_acr", invalidACR
	}
	var err error
	var claimsOK bool
	ia.levels, ia.essential, claimsOK = requestedLevels(q) // ProConnect (proconnect.go)
	if ia.amrInIDToken, err = amrRequested(q.Get("claims")); err != nil || !claimsOK {
		return "invalid_request", "could not parse the claims parameter JSON"
	}
	if desc := checkPKCE(q); s.pc && desc != "" {
		return "invalid_request", desc
	}
	ia.challenge = q.Get("code_challenge")
	return "", ""
}

// userList returns the users of the chooser page, in order.
func (s *Server) userList() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	users := make([]User, 0, len(s.userOrder))
	for _, login := range s.userOrder {
		users = append(users, s.users[login])
	}
	return users
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
	if s.pc {
		u = withChoices(u, r.PostForm)
	}
	s.issueCode(w, uid, ia, u, now) // unlocks s.mu
}

// issueCode ends the interaction uid with a code for u, or with
// access_denied under CallbackAccessDenied, and redirects to the client.
// The caller holds s.mu; issueCode releases it.
func (s *Server) issueCode(w http.ResponseWriter, uid string, ia *interaction, u User, now time.Time) {
	delete(s.interactions, uid)
	denied := s.hasForLocked(ia.clientID, CallbackAccessDenied)
	acr, mailCode, deadEnd := ia.acr, false, false
	if s.pc {
		acr, mailCode, deadEnd = delivered(u, ia.levels, ia.essential)
	}
	var code string
	if !denied && !deadEnd {
		u = u.clone()
		if mailCode {
			u.AMR = append(u.AMR, "mail")
		}
		code = randomToken()
		prune(s.codes, func(c *authCode) bool { return now.After(c.expires) })
		s.codes[code] = &authCode{
			clientID: ia.clientID, redirectURI: ia.redirectURI, nonce: ia.nonce,
			scopes: ia.scopes, amrInIDToken: ia.amrInIDToken, acr: acr, user: u,
			authTime: now, expires: now.Add(codeTTL), challenge: ia.challenge, sid: s.newSID(),
		}
	}
	s.mu.Unlock()
	if deadEnd { // the agent stays on ProConnect: no callback
		s.errorPage(w, http.StatusBadRequest, yNoLevel, "access_denied: none of the requested ACRs could be obtained")
		return
	}
	if denied {
		s.redirectError(w, ia.clientID, ia.redirectURI, ia.state, "access_denied", accessDeniedDesc)
		return
	}
	s.startSession(w, u.Login)
	s.redirect(w, ia.clientID, ia.redirectURI, [][2]string{{"code", code}}, ia.state)
}

// silentLogin answers prompt=none (ProConnect): a code for the user of the
// browser's session, or error=login_required without one.
func (s *Server) silentLogin(w http.ResponseWriter, uid, current string) {
	s.mu.Lock()
	ia, u, ok := s.interactions[uid], s.users[current], current != ""
	if !ok || ia == nil {
		delete(s.interactions, uid)
		s.mu.Unlock()
		if ia != nil {
			s.redirectError(w, ia.clientID, ia.redirectURI, ia.state, "login_required", "End-User authentication is required")
		}
		return
	}
	s.issueCode(w, uid, ia, u, s.now())
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
	s.redirectError(w, ia.clientID, ia.redirectURI, ia.state, "access_denied", accessDeniedDesc)
}

// redirectError redirects to the client with error, error_description,
// state and (v2) iss.
func (s *Server) redirectError(w http.ResponseWriter, clientID, redirectURI, state, code, desc string) {
	s.redirect(w, clientID, redirectURI, [][2]string{{"error", code}, {"error_description", desc}}, state)
}

// redirect answers 303 to redirectURI with params, then state and iss
// (v2 only; subject to the Callback faults), appended to its query string
// without touching the bytes already there.
func (s *Server) redirect(w http.ResponseWriter, clientID, redirectURI string, params [][2]string, state string) {
	switch {
	case s.hasFor(clientID, CallbackNoState):
	case s.hasFor(clientID, CallbackWrongState):
		params = append(params, [2]string{"state", randomToken()})
	case state == "" && !s.v1:
		params = append(params, [2]string{"state", "undefined"}) // as FranceConnect writes it
	default:
		params = append(params, [2]string{"state", state})
	}
	switch {
	case s.hasFor(clientID, CallbackWrongIss):
		params = append(params, [2]string{"iss", evilIssuer})
	case s.hasFor(clientID, CallbackNoIss) || s.v1:
	default:
		params = append(params, [2]string{"iss", s.issuer})
	}
	w.Header().Set("Location", appendQuery(redirectURI, params))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusSeeOther)
}
