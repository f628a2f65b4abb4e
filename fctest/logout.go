package fctest

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"

	"github.com/go-jose/go-jose/v4"
)

// handleSessionEnd is FranceConnect's RP-initiated logout. It requires an
// id_token_hint this server signed for the client, ends the browser's
// FranceConnect session, and redirects 303 to a registered
// post_logout_redirect_uri with state as the only parameter. Without
// post_logout_redirect_uri it shows a confirmation page.
func (s *Server) handleSessionEnd(w http.ResponseWriter, r *http.Request) {
	s.stats.logout.Add(1)
	q, ok := s.requestParams(w, r)
	if !ok {
		return
	}
	hint := q.Get("id_token_hint")
	if hint == "" {
		s.errorPage(w, http.StatusBadRequest, yBadParams, "Le paramètre obligatoire id_token_hint est absent.")
		return
	}
	iss, aud, ok := s.verifyHint(hint)
	if !ok || iss != s.issuer {
		s.errorPage(w, http.StatusBadRequest, yBadParams, "Le paramètre id_token_hint n’est pas un jeton émis par ce serveur.")
		return
	}
	c, ok := s.client(aud)
	if !ok || (q.Get("client_id") != "" && q.Get("client_id") != aud) {
		s.errorPage(w, http.StatusBadRequest, yUnknownClient, "Le fournisseur de service est inconnu.")
		return
	}
	target := q.Get("post_logout_redirect_uri")
	if target != "" && !slices.Contains(c.PostLogoutRedirectURIs, target) {
		s.errorPage(w, http.StatusBadRequest, yBadParams, "L’adresse de retour après déconnexion (post_logout_redirect_uri) n’est pas enregistrée.")
		return
	}
	s.endSession(w, r)
	if target == "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">`+
			`<title>Déconnexion – FranceConnect (fctest)</title></head><body><main>`+
			`<h1>Vous êtes bien déconnecté de FranceConnect</h1></main></body></html>`+"\n")
		return
	}
	var params [][2]string
	switch {
	case s.hasFor(c.ID, LogoutNoState):
	case s.hasFor(c.ID, LogoutWrongState):
		params = append(params, [2]string{"state", randomToken()})
	case q.Get("state") != "":
		params = append(params, [2]string{"state", q.Get("state")})
	}
	loc := target
	if len(params) > 0 {
		loc = appendQuery(target, params)
	}
	w.Header().Set("Location", loc)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusSeeOther)
}

// verifyHint checks that jwt is an ID token this server signed for one of
// its clients (the algorithm and key of that client), and returns its iss
// and aud.
func (s *Server) verifyHint(jwt string) (iss, aud string, ok bool) {
	if len(jwt) > maxBody {
		return "", "", false
	}
	jws, err := jose.ParseSignedCompact(jwt, []jose.SignatureAlgorithm{jose.ES256, jose.RS256, jose.HS256})
	if err != nil || len(jws.Signatures) != 1 {
		return "", "", false
	}
	iss, aud, ok = hintClaims(jws.UnsafePayloadWithoutVerification())
	c, found := s.client(aud)
	if !ok || !found || jws.Signatures[0].Header.Algorithm != c.Alg {
		return "", "", false
	}
	var key any = c.hmacKey()
	if c.Alg != HS256 {
		key = s.currentKeys().public(c.Alg)
	}
	if _, err := jws.Verify(key); err != nil {
		return "", "", false
	}
	return iss, aud, true
}

// hintClaims reads iss and aud (or its first element) from a JWT payload.
func hintClaims(payload []byte) (iss, aud string, ok bool) {
	var c struct {
		Iss string          `json:"iss"`
		Aud json.RawMessage `json:"aud"`
	}
	if json.Unmarshal(payload, &c) != nil {
		return "", "", false
	}
	if json.Unmarshal(c.Aud, &aud) != nil {
		var auds []string
		if json.Unmarshal(c.Aud, &auds) != nil || len(auds) == 0 {
			return "", "", false
		}
		aud = auds[0]
	}
	return c.Iss, aud, true
}
