package fctest

import (
	"net/http"
	"strings"
	"time"
)

func (s *Server) handleUserInfo(w http.ResponseWriter, r *http.Request) {
	s.stats.userinfo.Add(1)
	cid := s.bearerClient(r)
	if s.hasFor(cid, SlowUserInfo) && !sleep(r.Context(), 3*time.Second) {
		return
	}
	switch {
	case s.hasFor(cid, UserInfoServerError):
		serverErrorPage(w)
		return
	case s.hasFor(cid, OversizedUserInfo):
		w.Header().Set("Content-Type", "application/jwt; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		streamOversized(r.Context(), w, "eyJhbGciOiJFUzI1NiJ9.", ".c2ln")
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "only GET and POST requests are supported", yGeneric)
		return
	}
	token, v1 := bearer(r), isV1(r)
	if token == "" {
		s.invalidToken(w, "no access token provided", yUserInfoNoToken)
		return
	}
	now := s.now()
	s.mu.Lock()
	at := s.tokens[token]
	s.mu.Unlock()
	if at == nil || now.After(at.expires) || at.v1 != v1 {
		s.invalidToken(w, "invalid token provided", yGeneric)
		return
	}
	c, ok := s.client(at.clientID)
	if !ok {
		s.invalidToken(w, "invalid token provided", yGeneric)
		return
	}

	claims := at.user.identityClaims(at.scopes, s.scopeTable(at.v1))
	claims["sub"] = subject(c.ID, at.user.Login)
	if s.hasFor(cid, UserInfoSubMismatch) {
		claims["sub"] = subject(c.ID, at.user.Login+"-someone-else")
	}
	w.Header().Set("Cache-Control", "no-store")
	if (s.hasFor(cid, UserInfoJSON) || at.v1 || c.UserInfoJSON) && !s.hasFor(cid, UserInfoSigned) {
		writeJSON(w, http.StatusOK, claims)
		return
	}
	claims["iss"] = s.Issuer()
	claims["aud"] = c.ID
	claims["iat"] = now.Unix()
	claims["exp"] = now.Add(tokenTTL).Unix()
	if s.hasFor(cid, UserInfoWrongIssuer) {
		claims["iss"] = evilIssuer
	}
	if s.hasFor(cid, UserInfoWrongAudience) {
		claims["aud"] = evilAudience
	}
	jwt, err := s.currentKeys().sign(claims, signMode{
		alg:     c.Alg,
		hmacKey: c.hmacKey(),
		algNone: s.hasFor(cid, UserInfoAlgNone),
		corrupt: s.hasFor(cid, UserInfoBadSignature),
	})
	if err == nil {
		jwt, err = s.encrypt(c, jwt, userInfoJWE) // FranceConnect+ (plus.go)
	}
	if err != nil {
		writeOAuthError(w, http.StatusInternalServerError, "server_error", "could not sign the userinfo response", yGeneric)
		return
	}
	w.Header().Set("Content-Type", "application/jwt; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(jwt))
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
	w.Header().Set("WWW-Authenticate", `Bearer realm="`+s.Issuer()+`", error="invalid_token", error_description="`+desc+`"`)
	writeOAuthError(w, http.StatusUnauthorized, "invalid_token", desc, ycode)
}
