package fctest

import (
	"crypto/subtle"
	"net/http"
	"time"
)

// Sessions beyond the code: ProConnect's refresh tokens (rotated at each
// refresh), the lifetimes of access tokens, and revocation.

// refreshToken is an issued refresh token (ProConnect): the login it
// renews.
type refreshToken struct {
	code    authCode // the login: client, scopes, user, level, auth_time, sid
	expires time.Time
}

// accessTTL is the lifetime of access tokens (and of ID tokens): 60 s on
// FranceConnect, an hour on ProConnect.
func (s *Server) accessTTL() time.Duration {
	if s.pc {
		return pcAccessTTL
	}
	return tokenTTL
}

// issueRefresh issues a refresh token for the login of code (ProConnect).
func (s *Server) issueRefresh(code *authCode) string {
	rt, now := randomToken(), s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	prune(s.refreshes, func(t *refreshToken) bool { return now.After(t.expires) })
	s.refreshes[rt] = &refreshToken{code: *code, expires: now.Add(pcRefreshTTL)}
	return rt
}

// refresh consumes refresh token rt of client c (rotation: it works once)
// and issues an access token for its login.
func (s *Server) refresh(c Registration, rt string) (*authCode, string, bool) {
	now, at := s.now(), randomToken()
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.refreshes[rt]
	if t == nil || now.After(t.expires) || t.code.clientID != c.ID {
		return nil, "", false
	}
	delete(s.refreshes, rt)
	code := t.code
	code.nonce = "" // a refreshed ID token carries no nonce
	if s.hasForLocked(c.ID, RefreshOtherSubject) {
		code.user.Login += "-other"
	}
	s.tokens[at] = &accessToken{clientID: c.ID, scopes: code.scopes, user: code.user, expires: now.Add(s.accessTTL())}
	return &code, at, true
}

// handleRevocation revokes an access token, or on ProConnect a refresh
// token (RFC 7009, client_secret_post).
func (s *Server) handleRevocation(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "could not parse the request body", yMissingParam)
		return
	}
	f := r.PostForm
	c, ok := s.client(f.Get("client_id"))
	if !ok || subtle.ConstantTimeCompare([]byte(f.Get("client_secret")), []byte(c.Secret)) != 1 {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed", yInvalidClient)
		return
	}
	if f.Get("token") == "" {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "missing required parameter 'token'", yMissingParam)
		return
	}
	s.mu.Lock()
	tok := f.Get("token")
	if t := s.tokens[tok]; t != nil && t.clientID == c.ID {
		delete(s.tokens, tok)
		s.stats.revocations.Add(1)
	}
	if t := s.refreshes[tok]; t != nil && t.code.clientID == c.ID {
		delete(s.refreshes, tok)
		s.stats.revocations.Add(1)
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}
