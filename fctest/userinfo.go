package fctest

import (
	"net/http"
	"strings"
	"time"
)

// handleUserInfo answers the claims the access token's scopes grant: a
// signed JWT (encrypted on FranceConnect+), or JSON on v1 and for
// ProConnect's JSON registrations.
func (s *Server) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	s.stats.userinfo.Add(1)
	cid := s.bearerClient(r)
	if s.userInfoFault(w, r, cid) {
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "only GET and POST requests are supported", yGeneric)
		return
	}
	at, c, desc, ycode := s.tokenOf(r)
	if at == nil {
		s.invalidToken(w, desc, ycode)
		return
	}
	claims := at.user.identityClaims(at.scopes, s.scopeTable())
	claims["sub"] = subject(c.ID, at.user.Login)
	if s.hasFor(cid, UserInfoSubMismatch) {
		claims["sub"] = subject(c.ID, at.user.Login+"-someone-else")
	}
	w.Header().Set("Cache-Control", "no-store")
	if (s.hasFor(cid, UserInfoJSON) || s.v1 || c.UserInfoJSON) && !s.hasFor(cid, UserInfoSigned) {
		writeJSON(w, http.StatusOK, claims)
		return
	}
	jwt, err := s.signedUserInfo(c, claims)
	if err != nil {
		writeOAuthError(w, http.StatusInternalServerError, "server_error", "could not sign the userinfo response", yGeneric)
		return
	}
	w.Header().Set("Content-Type", "application/jwt; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(jwt))
}

// userInfoFault answers the userinfo endpoint's injected faults and
// reports whether it did.
func (s *Server) userInfoFault(w http.ResponseWriter, r *http.Request, cid string) bool {
	if s.hasFor(cid, SlowUserInfo) && !sleep(r.Context(), 3*time.Second) {
		return true
	}
	switch {
	case s.hasFor(cid, UserInfoServerError):
		serverErrorPage(w)
	case s.hasFor(cid, OversizedUserInfo):
		w.Header().Set("Content-Type", "application/jwt; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		streamOversized(r.Context(), w, "eyJhbGciOiJFUzI1NiJ9.", ".c2ln")
	default:
		return false
	}
	return true
}

// tokenOf returns the live access token of the request and its
// registration, or why there is none.
func (s *Server) tokenOf(r *http.Request) (at *accessToken, c Registration, desc, ycode string) {
	token := bearer(r)
	if token == "" {
		return nil, c, "no access token provided", yUserInfoNoToken
	}
	s.mu.Lock()
	at = s.tokens[token]
	s.mu.Unlock()
	if at == nil || s.now().After(at.expires) {
		return nil, c, "invalid token provided", yGeneric
	}
	c, ok := s.client(at.clientID)
	if !ok {
		return nil, c, "invalid token provided", yGeneric
	}
	return at, c, "", ""
}

// signedUserInfo signs claims for c as a userinfo JWT (encrypted on
// FranceConnect+), with the userinfo faults applied.
func (s *Server) signedUserInfo(c Registration, claims map[string]any) (string, error) {
	now := s.now()
	claims["iss"] = s.issuer
	claims["aud"] = c.ID
	claims["iat"] = now.Unix()
	claims["exp"] = now.Add(tokenTTL).Unix()
	if s.hasFor(c.ID, UserInfoWrongIssuer) {
		claims["iss"] = evilIssuer
	}
	if s.hasFor(c.ID, UserInfoWrongAudience) {
		claims["aud"] = evilAudience
	}
	jwt, err := s.currentKeys().sign(claims, signMode{
		alg:     c.Alg,
		hmacKey: c.hmacKey(),
		algNone: s.hasFor(c.ID, UserInfoAlgNone),
		corrupt: s.hasFor(c.ID, UserInfoBadSignature),
	})
	if err != nil {
		return "", err
	}
	return s.encrypt(c, jwt, userInfoJWE) // FranceConnect+ (plus.go)
}

// bearer returns the access token of the Authorization header, or of the
// access_token query parameter, which FranceConnect also accepts.
func bearer(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return ""
		}
		return strings.TrimSpace(token)
	}
	return r.URL.Query().Get("access_token")
}

// bearerClient is the registration the request's access token was
// issued to ("" for none).
func (s *Server) bearerClient(r *http.Request) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if at := s.tokens[bearer(r)]; at != nil {
		return at.clientID
	}
	return ""
}

func (s *Server) invalidToken(w http.ResponseWriter, desc, ycode string) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="`+s.issuer+`", error="invalid_token", error_description="`+desc+`"`)
	writeOAuthError(w, http.StatusUnauthorized, "invalid_token", desc, ycode)
}
