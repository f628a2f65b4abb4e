package fctest

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"io"
	"net/http"
	"strings"
	"time"
)

// accessToken is an issued access token.
type accessToken struct {
	clientID string
	scopes   []string
	user     User
	v1       bool
	expires  time.Time
}

// tokenResponse is FranceConnect's token answer: exactly these five fields
// (v1: no scope; ProConnect adds refresh_token).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    int    `json:"expires_in"`
	IDToken      string `json:"id_token"`
	Scope        string `json:"scope,omitempty"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token,omitempty"` // ProConnect
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	s.stats.token.Add(1)
	cid := r.FormValue("client_id")
	if s.hasFor(cid, SlowToken) && !sleep(r.Context(), 3*time.Second) {
		return
	}
	switch {
	case s.hasFor(cid, TokenServerError):
		serverErrorPage(w)
		return
	case s.hasFor(cid, TokenGarbage):
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "<html>Ceci n'est pas du JSON}{")
		return
	case s.hasFor(cid, TokenUnauthorized):
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed", yInvalidClient)
		return
	case s.hasFor(cid, TokenBadRequest):
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "grant request is invalid", yInvalidGrant)
		return
	case s.hasFor(cid, OversizedToken):
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		streamOversized(r.Context(), w, `{"access_token":"`, `","expires_in":60,"id_token":"x.y.z","scope":"openid","token_type":"Bearer"}`)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "only POST requests are supported", yGeneric)
		return
	}
	if _, _, basic := r.BasicAuth(); basic || r.Header.Get("Authorization") != "" {
		// FranceConnect offers client_secret_post only.
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed", yInvalidClient)
		return
	}
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "could not parse the request body", yMissingParam)
		return
	}
	f := r.PostForm
	c, ok := s.client(f.Get("client_id"))
	if !ok || f.Get("client_secret") == "" || f.Has("client_assertion") ||
		subtle.ConstantTimeCompare([]byte(f.Get("client_secret")), []byte(c.Secret)) != 1 {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed", yInvalidClient)
		return
	}
	for _, p := range []string{"grant_type", "code", "redirect_uri"} {
		if f.Get(p) == "" {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", "missing required parameter '"+p+"'", yMissingParam)
			return
		}
	}
	if f.Get("grant_type") != "authorization_code" {
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "unsupported grant_type requested", yGeneric)
		return
	}

	now, v1 := s.now(), isV1(r)
	at := randomToken()
	s.mu.Lock()
	code := s.codes[f.Get("code")]
	valid := code != nil && !code.used && !now.After(code.expires) && code.v1 == v1 &&
		code.clientID == c.ID && code.redirectURI == f.Get("redirect_uri")
	if code != nil && code.used {
		// A replayed code revokes the token issued with it (RFC 6749 §4.1.2).
		delete(s.tokens, code.accessToken)
	}
	if valid {
		code.used = true
		code.accessToken = at
		prune(s.tokens, func(t *accessToken) bool { return now.After(t.expires) })
		s.tokens[at] = &accessToken{clientID: c.ID, scopes: code.scopes, user: code.user, v1: v1, expires: now.Add(tokenTTL)}
	}
	s.mu.Unlock()
	if !valid {
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "grant request is invalid", yInvalidGrant)
		return
	}

	idToken, err := s.idToken(c, code, at, now)
	if err != nil {
		writeOAuthError(w, http.StatusInternalServerError, "server_error", "could not sign the ID token", yGeneric)
		return
	}
	if s.hasFor(cid, TokenDotsIDToken) {
		idToken = strings.Repeat(".", 1<<20)
	}
	resp := tokenResponse{
		AccessToken: at,
		ExpiresIn:   int(tokenTTL / time.Second),
		IDToken:     idToken,
		Scope:       strings.Join(code.scopes, " "),
		TokenType:   "Bearer",
	}
	if v1 {
		resp.Scope = ""
	}
	if s.pc {
		resp.RefreshToken = randomToken()
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, resp)
}

// idToken builds and signs the ID token, applying the IDToken faults. On
// v1 it is signed with HS256 keyed with the client secret, has no kid,
// no auth_time, and an idp claim.
func (s *Server) idToken(c Registration, code *authCode, accessToken string, now time.Time) (string, error) {
	iat := now
	exp := iat.Add(tokenTTL)
	switch {
	case s.hasFor(c.ID, IDTokenExpired):
		iat = now.Add(-10 * time.Minute)
		exp = iat.Add(tokenTTL)
	case s.hasFor(c.ID, IDTokenIssuedInFuture):
		iat = now.Add(10 * time.Minute)
		exp = iat.Add(tokenTTL)
	case s.hasFor(c.ID, IDTokenIssuedLongAgo):
		iat = now.Add(-time.Hour)
	}
	claims := map[string]any{
		"iss":       s.issuer(code.v1),
		"sub":       subject(c.ID, code.user.Login),
		"aud":       c.ID,
		"exp":       exp.Unix(),
		"iat":       iat.Unix(),
		"auth_time": code.authTime.Unix(),
		"nonce":     code.nonce,
		"acr":       s.tokenACR(code),
	}
	if v, ok := code.user.claim("amr"); ok && code.amrInIDToken {
		claims["amr"] = v
	}
	if code.v1 {
		delete(claims, "auth_time")
		claims["idp"] = "FC"
	}
	edits := []struct {
		f     Fault
		claim string
		value any // nil removes the claim
	}{
		{IDTokenWrongIssuer, "iss", evilIssuer},
		{IDTokenMissingIssuer, "iss", nil},
		{IDTokenWrongAudience, "aud", evilAudience},
		{IDTokenExtraAudience, "aud", []string{c.ID, evilAudience}},
		{IDTokenMissingAudience, "aud", nil},
		{IDTokenMissingSub, "sub", nil},
		{IDTokenMissingIat, "iat", nil},
		{IDTokenMissingExp, "exp", nil},
		{IDTokenWrongNonce, "nonce", randomToken()},
		{IDTokenMissingNonce, "nonce", nil},
		{IDTokenACRLow, "acr", "eidas0"},
		{IDTokenACRUnknown, "acr", removedACR},
		{IDTokenMissingACR, "acr", nil},
		{IDTokenAtHash, "at_hash", atHash(accessToken)},
		{IDTokenAtHashWrong, "at_hash", atHash(accessToken + "x")},
	}
	for _, e := range edits {
		if !s.hasFor(c.ID, e.f) {
			continue
		}
		if e.value == nil {
			delete(claims, e.claim)
		} else {
			claims[e.claim] = e.value
		}
	}
	kp := s.currentKeys()
	m := signMode{alg: c.Alg, hmacKey: c.hmacKey()}
	if code.v1 {
		m.hmacKey = []byte(c.Secret) // v1 signs with the secret whatever the registration
	}
	switch {
	case s.hasFor(c.ID, IDTokenAlgNone):
		m.algNone = true
	case s.hasFor(c.ID, IDTokenHS256WithSecret):
		m.hmacKey = []byte(c.Secret)
	case s.hasFor(c.ID, IDTokenHS256WithPublicKey):
		m.hmacKey, m.hmacWithKid = kp.publicPEM(c.Alg), true
	case s.hasFor(c.ID, IDTokenOtherAlg) && m.hmacKey != nil:
		m.hmacKey = nil // ES256 where HS256 is expected
		m.alg = ES256
	case s.hasFor(c.ID, IDTokenOtherAlg):
		m.alg = otherAlg(c.Alg)
	}
	if s.hasFor(c.ID, IDTokenUnknownKid) {
		m.kid = "pkcs11:" + m.alg + ":unknown:" + randomHex(8)
	}
	m.noKid = s.hasFor(c.ID, IDTokenNoKid)
	m.corrupt = s.hasFor(c.ID, IDTokenBadSignature)
	jws, err := kp.sign(claims, m)
	if err != nil {
		return "", err
	}
	return s.encrypt(c, jws, idTokenJWE) // FranceConnect+ (plus.go)
}

// atHash is the OpenID Connect at_hash of an access token signed with a
// SHA-256 algorithm.
func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return b64(sum[:16])
}

// handleRevocation revokes an access token (RFC 7009, client_secret_post).
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
	if t := s.tokens[f.Get("token")]; t != nil && t.clientID == c.ID {
		delete(s.tokens, f.Get("token"))
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// sleep waits d or until ctx is done; it reports whether d elapsed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// streamOversized writes prefix, 10 MB of filler and suffix, stopping when
// the client goes away.
func streamOversized(ctx context.Context, w http.ResponseWriter, prefix, suffix string) {
	chunk := []byte(strings.Repeat("A", 32<<10))
	if _, err := io.WriteString(w, prefix); err != nil {
		return
	}
	for written := 0; written < 10<<20; written += len(chunk) {
		if ctx.Err() != nil {
			return
		}
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
	_, _ = io.WriteString(w, suffix)
}

// serverErrorPage answers 500 with an HTML body, like a failing reverse proxy.
func serverErrorPage(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusInternalServerError)
	_, _ = io.WriteString(w, "<!DOCTYPE html><html><head><title>500 Internal Server Error</title></head>"+
		"<body><h1>500 Internal Server Error</h1><p>fctest: injected fault</p></body></html>\n")
}
