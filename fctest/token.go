package fctest

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// accessToken is an issued access token.
type accessToken struct {
	clientID string
	scopes   []string
	user     User
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

// handleToken redeems a code, or on ProConnect a refresh token, each step
// answering as the provider does.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	s.stats.token.Add(1)
	if s.tokenFault(w, r, r.FormValue("client_id")) {
		return
	}
	c, f, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	var code *authCode
	var at string
	if f.Get("grant_type") == "refresh_token" {
		code, at, ok = s.refresh(c, f.Get("refresh_token"))
	} else {
		code, at, ok = s.redeem(c, f)
	}
	if !ok {
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "grant request is invalid", yInvalidGrant)
		return
	}
	idToken, err := s.idToken(c, code, at, s.now())
	if err != nil {
		writeOAuthError(w, http.StatusInternalServerError, "server_error", "could not sign the ID token", yGeneric)
		return
	}
	if s.hasFor(c.ID, TokenDotsIDToken) {
		idToken = strings.Repeat(".", 1<<20)
	}
	resp := tokenResponse{
		AccessToken: at,
		ExpiresIn:   int(s.accessTTL() / time.Second),
		IDToken:     idToken,
		Scope:       strings.Join(code.scopes, " "),
		TokenType:   "Bearer",
	}
	if s.v1 {
		resp.Scope = ""
	}
	if s.pc {
		resp.RefreshToken = s.issueRefresh(code)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, resp)
}

// tokenFault answers the token endpoint's injected faults, before the
// request is checked (the code is not consumed), and reports whether it
// did.
func (s *Server) tokenFault(w http.ResponseWriter, r *http.Request, cid string) bool {
	if s.hasFor(cid, SlowToken) && !sleep(r.Context(), 3*time.Second) {
		return true
	}
	switch {
	case s.hasFor(cid, TokenServerError):
		serverErrorPage(w)
	case s.hasFor(cid, TokenGarbage):
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "<html>Ceci n'est pas du JSON}{")
	case s.hasFor(cid, TokenUnauthorized):
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed", yInvalidClient)
	case s.hasFor(cid, TokenBadRequest):
		writeOAuthError(w, http.StatusBadRequest, "invalid_grant", "grant request is invalid", yInvalidGrant)
	case s.hasFor(cid, OversizedToken):
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		streamOversized(r.Context(), w, `{"access_token":"`, `","expires_in":60,"id_token":"x.y.z","scope":"openid","token_type":"Bearer"}`)
	default:
		return false
	}
	return true
}

// authenticate checks the request's method and form and the client's
// credentials (client_secret_post only), answering the provider's error
// when one fails.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (Registration, url.Values, bool) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeOAuthError(w, http.StatusMethodNotAllowed, "invalid_request", "only POST requests are supported", yGeneric)
		return Registration{}, nil, false
	}
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, http.StatusBadRequest, "invalid_request", "could not parse the request body", yMissingParam)
		return Registration{}, nil, false
	}
	f := r.PostForm
	c, ok := s.client(f.Get("client_id"))
	_, _, basic := r.BasicAuth()
	// FranceConnect offers client_secret_post only.
	if !ok || basic || r.Header.Get("Authorization") != "" || f.Get("client_secret") == "" || f.Has("client_assertion") ||
		subtle.ConstantTimeCompare([]byte(f.Get("client_secret")), []byte(c.Secret)) != 1 {
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed", yInvalidClient)
		return Registration{}, nil, false
	}
	required := map[string][]string{"authorization_code": {"code", "redirect_uri"}}
	if s.pc {
		required["refresh_token"] = []string{"refresh_token"}
	}
	params, supported := required[f.Get("grant_type")]
	for _, p := range append([]string{"grant_type"}, params...) {
		if f.Get(p) == "" {
			writeOAuthError(w, http.StatusBadRequest, "invalid_request", "missing required parameter '"+p+"'", yMissingParam)
			return Registration{}, nil, false
		}
	}
	if !supported {
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type", "unsupported grant_type requested", yGeneric)
		return Registration{}, nil, false
	}
	return c, f, true
}

// redeem consumes the code of form f for client c and issues an access
// token; a replayed code revokes the token issued with it (RFC 6749
// §4.1.2).
func (s *Server) redeem(c Registration, f url.Values) (*authCode, string, bool) {
	now, at := s.now(), randomToken()
	s.mu.Lock()
	defer s.mu.Unlock()
	code := s.codes[f.Get("code")]
	if code != nil && code.used {
		delete(s.tokens, code.accessToken)
	}
	if code == nil || code.used || now.After(code.expires) || code.clientID != c.ID || code.redirectURI != f.Get("redirect_uri") ||
		!pkceVerified(code.challenge, f.Get("code_verifier")) {
		return nil, "", false
	}
	code.used, code.accessToken = true, at
	prune(s.tokens, func(t *accessToken) bool { return now.After(t.expires) })
	s.tokens[at] = &accessToken{clientID: c.ID, scopes: code.scopes, user: code.user, expires: now.Add(s.accessTTL())}
	return code, at, true
}

// idToken builds and signs the ID token, applying the IDToken faults. On
// v1 it is signed with HS256 keyed with the client secret, has no kid,
// no auth_time, and an idp claim.
func (s *Server) idToken(c Registration, code *authCode, accessToken string, now time.Time) (string, error) {
	claims := s.idTokenClaims(c, code, now)
	for _, e := range []struct {
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
	} {
		switch {
		case !s.hasFor(c.ID, e.f):
		case e.value == nil:
			delete(claims, e.claim)
		default:
			claims[e.claim] = e.value
		}
	}
	kp := s.currentKeys()
	jws, err := kp.sign(claims, s.idTokenSigning(c, kp))
	if err != nil {
		return "", err
	}
	return s.encrypt(c, jws, idTokenJWE) // FranceConnect+ (plus.go)
}

// idTokenClaims are the ID token's claims before the faults that edit
// them, with its times moved by the time faults.
func (s *Server) idTokenClaims(c Registration, code *authCode, now time.Time) map[string]any {
	iat := now
	exp := iat.Add(s.accessTTL())
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
		"iss":       s.issuer,
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
	if code.nonce == "" && !s.v1 {
		delete(claims, "nonce") // a refreshed ID token
	}
	if code.sid != "" {
		claims["sid"] = code.sid // ProConnect
	}
	if s.v1 {
		delete(claims, "auth_time")
		claims["idp"] = "FC"
	}
	return claims
}

// idTokenSigning is how the ID token of c is signed, with the signature
// faults applied.
func (s *Server) idTokenSigning(c Registration, kp *keyPair) signMode {
	m := signMode{alg: c.Alg, hmacKey: c.hmacKey()}
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
	return m
}

// atHash is the OpenID Connect at_hash of an access token signed with a
// SHA-256 algorithm.
func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return b64(sum[:16])
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
