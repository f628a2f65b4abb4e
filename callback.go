package franceconnect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/oauth2"

	"github.com/franceconnect-go/franceconnect/internal/httpx"
)

const (
	// maxUserInfoSize bounds the userinfo response.
	maxUserInfoSize = 64 << 10
	// maxTokenResponse bounds the token endpoint's answer (FranceConnect's
	// is about 2 KiB, FranceConnect+'s a few KiB).
	maxTokenResponse = 64 << 10
	// maxErrorBody bounds an error response we read.
	maxErrorBody = 16 << 10
	// maxDescription bounds error_description as we repeat it.
	maxDescription = 200
)

// Result is a verified login.
type Result struct {
	// Identity is the verified userinfo, typed.
	Identity *Identity
	// IDToken holds the verified ID token claims (ACR, AMR, AuthTime...).
	IDToken *IDTokenClaims
	// RawIDToken is the ID token as received. Keep it (server side, with the
	// portal's session) until logout: LogoutURL needs it as id_token_hint.
	// On FranceConnect+ it is the decrypted, signed ID token (the JWS inside
	// the JWE), which is what FranceConnect+ expects as id_token_hint.
	RawIDToken string
	// AccessToken is FranceConnect's access token (valid 60 s), for the
	// portals that call FranceConnected APIs right after login.
	AccessToken string
}

// Exchange completes a login from the callback's query parameters (the
// whole query of the request to the redirect URL), for the AuthRequest
// this browser started. In order, each step stopping at the first error:
//
//  1. the request has not expired (ErrTransactionExpired);
//  2. error parameter: a *CallbackError (errors.Is ErrAccessDenied for
//     access_denied);
//  3. state equal to the request's, compared in constant time
//     (ErrStateMismatch);
//  4. iss parameter (RFC 9207) equal to the issuer: required on v2, whose
//     provider always sends it, checked when present on v1
//     (ErrIssuerMismatch);
//  5. code exchanged at the token endpoint with client_secret_post and the
//     registered redirect_uri (*ProviderError, ErrProviderUnavailable);
//  6. ID token verified as IDTokenClaims documents (on FranceConnect+,
//     decrypted first with Config.DecryptionKeys: ErrAlgorithm,
//     ErrUnknownKey, ErrDecryption);
//  7. userinfo fetched with the access token and verified: on v2 a JWT
//     signed like the ID token (and encrypted like it on FranceConnect+)
//     with iss, aud and sub equal to the ID token's; on v1 JSON with the
//     same sub (ErrSubjectMismatch, ErrUserInfoFormat); then its claims
//     are validated (ErrInvalidIdentity).
//
// Userinfo is never called after a bad ID token. The caller must use an
// AuthRequest once: delete it whatever the outcome.
func (c *Client) Exchange(ctx context.Context, req *AuthRequest, query url.Values) (*Result, error) {
	res, err := c.exchange(ctx, req, query)
	if err != nil {
		c.logDebug(ctx, "franceconnect: login failed", slog.String("error", err.Error()))
		return nil, err
	}
	c.logDebug(ctx, "franceconnect: login verified", slog.String("acr", string(res.IDToken.ACR)))
	return res, nil
}

func (c *Client) exchange(ctx context.Context, req *AuthRequest, q url.Values) (*Result, error) {
	if req == nil {
		return nil, fmt.Errorf("%w: no login attempt to match the callback with", ErrStateMismatch)
	}
	if err := checkTransactionExpiry(req, c.cfg.Now()); err != nil {
		return nil, err
	}
	if err := checkCallbackError(q); err != nil {
		return nil, err
	}
	if err := checkState(q, req.State); err != nil {
		return nil, err
	}
	if err := checkIssuerParam(q, c.cfg.Environment); err != nil {
		return nil, err
	}
	code, err := callbackCode(q)
	if err != nil {
		return nil, err
	}
	c.logDebug(ctx, "franceconnect: callback checked, exchanging code")

	tok, err := c.redeem(ctx, code)
	if err != nil {
		return nil, err
	}
	rawIDToken, _ := tok.Extra("id_token").(string)
	if rawIDToken == "" {
		return nil, &ProviderError{Endpoint: "token", StatusCode: http.StatusOK, Description: "no id_token in the token response"}
	}
	if rawIDToken, err = c.openToken(ctx, rawIDToken); err != nil { // FranceConnect+: decrypt (plus.go)
		return nil, err
	}
	idt, err := c.verifyIDToken(ctx, rawIDToken, req, tok.AccessToken)
	if err != nil {
		return nil, err
	}
	c.logDebug(ctx, "franceconnect: ID token verified, fetching userinfo")

	id, err := c.userInfo(ctx, tok.AccessToken, idt.Subject)
	if err != nil {
		return nil, err
	}
	return &Result{Identity: id, IDToken: idt, RawIDToken: rawIDToken, AccessToken: tok.AccessToken}, nil
}

func checkTransactionExpiry(req *AuthRequest, now time.Time) error {
	if !req.Expiry.IsZero() && now.After(req.Expiry) {
		return fmt.Errorf("%w: started more than its lifetime ago", ErrTransactionExpired)
	}
	return nil
}

// checkCallbackError turns an error parameter into a *CallbackError.
func checkCallbackError(q url.Values) error {
	code := q.Get("error")
	if code == "" {
		return nil
	}
	return &CallbackError{Code: printable(code, 64), Description: printable(q.Get("error_description"), maxDescription)}
}

// printable bounds s and replaces control and invalid characters, so that a
// provider's (or an attacker's) text cannot forge log lines.
func printable(s string, max int) string {
	if len(s) > max {
		s = s[:max]
	}
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}

func checkState(q url.Values, want string) error {
	got, ok := q["state"]
	switch {
	case !ok || len(got) == 0 || got[0] == "":
		return fmt.Errorf("%w: the callback has no state", ErrStateMismatch)
	case len(got) > 1:
		return fmt.Errorf("%w: the callback has %d states", ErrStateMismatch, len(got))
	case want == "" || !equalConstantTime(got[0], want):
		return fmt.Errorf("%w: the callback's state is not this login's", ErrStateMismatch)
	}
	return nil
}

// checkIssuerParam implements RFC 9207: the iss parameter names the
// provider that answered, which defeats mix-up attacks.
func checkIssuerParam(q url.Values, env Environment) error {
	got, ok := q["iss"]
	switch {
	case !ok && env.Version == V1:
		return nil
	case !ok || len(got) != 1:
		return fmt.Errorf("%w: the callback's iss parameter is missing, want %q", ErrIssuerMismatch, env.Issuer)
	case got[0] != env.Issuer:
		return fmt.Errorf("%w: the callback's iss parameter is %s, want %q", ErrIssuerMismatch, safe(got[0]), env.Issuer)
	}
	return nil
}

func callbackCode(q url.Values) (string, error) {
	code := q.Get("code")
	switch {
	case code == "":
		return "", ErrMissingCode
	case len(code) > maxClaimLen:
		return "", fmt.Errorf("%w: code is longer than %d bytes", ErrMissingCode, maxClaimLen)
	}
	return code, nil
}

// redeem exchanges the code at the token endpoint (client_secret_post).
func (c *Client) redeem(caller context.Context, code string) (*oauth2.Token, error) {
	ctx := caller
	if c.tokenTimeout > 0 { // the HTTP client's Timeout (see Client.tokenTimeout)
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.tokenTimeout)
		defer cancel()
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, c.tokenHTTP)
	tok, err := c.oauth.Exchange(ctx, code) // reads the whole answer
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			pe := &ProviderError{Endpoint: "token", Code: printable(re.ErrorCode, 64), Description: printable(re.ErrorDescription, maxDescription), YCode: yCode(re.ErrorURI)}
			if re.Response != nil {
				pe.StatusCode = re.Response.StatusCode
			}
			return nil, pe
		}
		if caller.Err() != nil {
			return nil, fmt.Errorf("%w: token endpoint: %v", ErrProviderUnavailable, caller.Err())
		}
		return nil, fmt.Errorf("%w: token endpoint: %s", ErrProviderUnavailable, describeTransportError(err))
	}
	if !strings.EqualFold(tok.TokenType, "bearer") {
		return nil, &ProviderError{Endpoint: "token", StatusCode: http.StatusOK, Description: "token_type is not Bearer"}
	}
	return tok, nil
}

// describeTransportError keeps what helps (timeout, refused, bad JSON)
// without repeating a response body.
func describeTransportError(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return "timed out"
		}
		return ue.Err.Error()
	}
	msg := err.Error()
	if len(msg) > 120 {
		msg = msg[:120]
	}
	return printable(msg, 120)
}

// userInfo fetches and verifies userinfo for the ID token's subject.
func (c *Client) userInfo(ctx context.Context, accessToken, subject string) (*Identity, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.Environment.UserInfoEndpoint, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: userinfo: %v", ErrProviderUnavailable, err)
	}
	hreq.Header.Set("Authorization", "Bearer "+accessToken)
	if c.cfg.Environment.Version == V1 {
		hreq.Header.Set("Accept", "application/json")
	} else {
		hreq.Header.Set("Accept", "application/jwt")
	}
	resp, err := c.cfg.HTTPClient.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("%w: userinfo endpoint: %s", ErrProviderUnavailable, describeTransportError(err))
	}
	defer httpx.Drain(resp)
	if resp.StatusCode != http.StatusOK {
		return nil, userInfoError(resp)
	}
	body, err := httpx.ReadLimited(resp.Body, maxUserInfoSize)
	if err != nil {
		return nil, fmt.Errorf("%w: userinfo response: %v", ErrProviderUnavailable, err)
	}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	var claims []byte
	if c.cfg.Environment.Version == V1 {
		if mt != "application/json" {
			return nil, fmt.Errorf("%w: want application/json on v1, got %s", ErrUserInfoFormat, safe(mt))
		}
		claims = body
		if err := checkUserInfoSubject(claims, subject); err != nil {
			return nil, err
		}
	} else {
		if mt != "application/jwt" {
			return nil, fmt.Errorf("%w: want a signed application/jwt, got %s", ErrUserInfoFormat, safe(mt))
		}
		if claims, err = c.verifyUserInfoJWT(ctx, string(body), subject); err != nil {
			return nil, err
		}
	}
	return ParseIdentity(claims)
}

// verifyUserInfoJWT checks the signed userinfo: signature as the ID token,
// iss, aud, exp when present, sub equal to the ID token's.
func (c *Client) verifyUserInfoJWT(ctx context.Context, raw, subject string) ([]byte, error) {
	raw, err := c.openToken(ctx, strings.TrimSpace(raw)) // FranceConnect+: decrypt (plus.go)
	if err != nil {
		return nil, err
	}
	payload, err := c.verifySignature(ctx, raw)
	if err != nil {
		return nil, err
	}
	tc, err := decodeClaims(payload)
	if err != nil {
		return nil, err
	}
	if err := checkIssClaim(tc.Iss, c.cfg.Environment.Issuer); err != nil {
		return nil, err
	}
	if err := checkAudience(tc.Aud, tc.Azp, c.cfg.ClientID); err != nil {
		return nil, err
	}
	if tc.Exp.set {
		if err := checkExpiry(tc.Exp, c.cfg.Now(), c.cfg.ClockSkew); err != nil {
			return nil, err
		}
	}
	if err := checkSameSubject(tc.Sub, subject); err != nil {
		return nil, err
	}
	return payload, nil
}

func checkUserInfoSubject(claims []byte, subject string) error {
	var s struct {
		Sub string `json:"sub"`
	}
	if err := json.Unmarshal(claims, &s); err != nil {
		return fmt.Errorf("%w: userinfo is not a JSON object", ErrInvalidIdentity)
	}
	return checkSameSubject(s.Sub, subject)
}

func checkSameSubject(got, want string) error {
	switch {
	case got == "":
		return fmt.Errorf("%w: userinfo has no sub", ErrSubjectMismatch)
	case got != want:
		return fmt.Errorf("%w: userinfo is about another user than the ID token", ErrSubjectMismatch)
	}
	return nil
}

// userInfoError reads a userinfo error answer (JSON body or
// WWW-Authenticate header) into a *ProviderError.
func userInfoError(resp *http.Response) error {
	pe := &ProviderError{Endpoint: "userinfo", StatusCode: resp.StatusCode}
	body, _ := httpx.ReadLimited(resp.Body, maxErrorBody)
	var e struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
		ErrorURI         string `json:"error_uri"`
	}
	if json.Unmarshal(body, &e) == nil {
		pe.Code = printable(e.Error, 64)
		pe.Description = printable(e.ErrorDescription, maxDescription)
		pe.YCode = yCode(e.ErrorURI)
	}
	return pe
}
