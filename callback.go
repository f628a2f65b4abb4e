package franceconnect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

const (
	// maxTokenResponse bounds the token endpoint's answer (FranceConnect's
	// is about 2 KiB, FranceConnect+'s a few KiB).
	maxTokenResponse = 64 << 10
	// maxDescription bounds error_description as we repeat it.
	maxDescription = 200
)

// Exchange completes a login from the callback's query parameters (the
// whole query of the request to the redirect URL), for the AuthRequest
// this browser started. In order, each step stopping at the first error:
//
//  1. the request has an expiry, not past (ErrTransactionExpired);
//  2. state equal to the request's, compared in constant time
//     (ErrStateMismatch);
//  3. iss parameter (RFC 9207) equal to the issuer: required on v2, whose
//     provider always sends it, checked when present on FranceConnectV1
//     (ErrIssuerMismatch);
//  4. error parameter, once the state and issuer say it answers this
//     login: a *CallbackError (errors.Is ErrAccessDenied for
//     access_denied);
//  5. code exchanged at the token endpoint with client_secret_post and the
//     registered redirect_uri (*ProviderError, ErrProviderUnavailable);
//  6. ID token verified as IDTokenClaims documents (on FranceConnect+,
//     decrypted first with Config.DecryptionKeys: ErrAlgorithm,
//     ErrUnknownKey, ErrDecryption);
//  7. userinfo fetched with the access token and verified: on v2 a JWT
//     signed like the ID token (and encrypted like it on FranceConnect+)
//     with iss, aud and sub equal to the ID token's; on FranceConnectV1
//     (and on ProConnect with Config.UserInfoJSON) JSON with the same sub
//     (ErrSubjectMismatch, ErrUserInfoFormat); then its claims are
//     validated as an Identity, or an Agent on ProConnect
//     (ErrInvalidIdentity).
//
// Userinfo is never called after a bad ID token. The caller must use an
// AuthRequest once: delete it whatever the outcome.
func (c *Client) Exchange(ctx context.Context, req *AuthRequest, query url.Values) (*Result, error) {
	res, err := c.exchange(ctx, req, query)
	if err != nil {
		c.logFailure(ctx, "franceconnect: login failed", err)
		return nil, c.named(err)
	}
	c.logDebug(ctx, "franceconnect: login verified", slog.String("acr", string(res.IDToken.ACR)))
	return res, nil
}

func (c *Client) exchange(ctx context.Context, req *AuthRequest, q url.Values) (*Result, error) {
	code, err := c.checkCallback(req, q)
	if err != nil {
		return nil, err
	}
	c.logDebug(ctx, "franceconnect: callback checked, exchanging code")

	received := c.cfg.Now()
	tok, err := c.tokenRequest(ctx, func(ctx context.Context) (*oauth2.Token, error) {
		if req.CodeVerifier != "" {
			return c.oauth.Exchange(ctx, code, oauth2.VerifierOption(req.CodeVerifier))
		}
		return c.oauth.Exchange(ctx, code)
	})
	if err != nil {
		return nil, err
	}
	rawIDToken, err := idTokenOf(tok)
	if err != nil {
		return nil, err
	}
	if rawIDToken, err = c.openToken(ctx, rawIDToken); err != nil { // FranceConnect+: decrypt (plus.go)
		return nil, err
	}
	idt, err := c.verifyIDToken(ctx, rawIDToken, req, tok.AccessToken)
	if err != nil {
		return nil, err
	}
	c.logDebug(ctx, "franceconnect: ID token verified, fetching userinfo")

	user := c.newUserInfo()
	claims, err := c.userInfo(ctx, tok.AccessToken, idt.Subject, user)
	if err != nil {
		return nil, err
	}
	res := &Result{IDToken: idt, RawIDToken: rawIDToken, AccessToken: tok.AccessToken, AccessTokenExpiry: accessExpiry(tok, received),
		RefreshToken: tok.RefreshToken, Tenant: c.cfg.Tenant}
	if err := user.setUser(res, claims); err != nil {
		return nil, err
	}
	return res, nil
}

// checkCallback runs the checks that come before any call: the login
// attempt (expiry, PKCE verifier), then the callback's state and issuer,
// and only then its error parameter (the user's answer only if it answers
// this login: a third party cannot cancel it), and its code.
func (c *Client) checkCallback(req *AuthRequest, q url.Values) (code string, err error) {
	if req == nil {
		return "", fmt.Errorf("%w: no login attempt to match the callback with", ErrStateMismatch)
	}
	var pkce error
	if c.profile.pkce && req.CodeVerifier == "" {
		pkce = fmt.Errorf("%w: the login attempt has no PKCE verifier", ErrInvalidTransaction)
	}
	for _, err := range [...]error{
		c.checkRequest(req),
		pkce,
		checkState(q, req.State, "callback", "login"),
		checkIssuerParam(q, c.cfg.Environment.Issuer, c.profile.v1()),
		checkCallbackError(q, c.profile.name),
	} {
		if err != nil {
			return "", err
		}
	}
	return callbackCode(q)
}

// idTokenOf returns the ID token of a token response, which must have
// one.
func idTokenOf(tok *oauth2.Token) (string, error) {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", &ProviderError{Endpoint: "token", StatusCode: http.StatusOK, Description: "no id_token in the token response"}
	}
	return raw, nil
}

// expiry is when tok's access token expires, by the client's clock: its
// expires_in counted from the request (the provider's lifetime when it
// sends none is unknown: zero).
func accessExpiry(tok *oauth2.Token, requested time.Time) time.Time {
	if tok.ExpiresIn <= 0 {
		return time.Time{}
	}
	return requested.Add(time.Duration(tok.ExpiresIn) * time.Second)
}

// checkRequest refuses a login attempt that has expired (a zero Expiry
// counts as expired).
func (c *Client) checkRequest(req *AuthRequest) error {
	if req.Expiry.IsZero() || c.cfg.Now().After(req.Expiry) {
		return fmt.Errorf("%w: started more than its lifetime ago, or without an expiry", ErrTransactionExpired)
	}
	return nil
}

// checkCallbackError turns an error parameter into a *CallbackError from
// provider (FranceConnect, ProConnect...).
func checkCallbackError(q url.Values, provider string) error {
	code := q.Get("error")
	if code == "" {
		return nil
	}
	return &CallbackError{Code: printable(code, 64), Description: printable(q.Get("error_description"), maxDescription), provider: provider}
}

// checkState requires the state of what (a callback, a logout return) to
// be the one of its attempt (a login, a logout).
func checkState(q url.Values, want, what, attempt string) error {
	got, ok := q["state"]
	switch {
	case !ok || len(got) == 0 || got[0] == "" || got[0] == "undefined":
		// FranceConnect writes state=undefined for a request without one.
		return fmt.Errorf("%w: the %s has no state", ErrStateMismatch, what)
	case len(got) > 1:
		return fmt.Errorf("%w: the %s has %d states", ErrStateMismatch, what, len(got))
	case want == "" || !equalConstantTime(got[0], want):
		return fmt.Errorf("%w: the %s's state is not the one this %s sent", ErrStateMismatch, what, attempt)
	}
	return nil
}

// checkIssuerParam implements RFC 9207: the iss parameter names the
// provider that answered, which defeats mix-up attacks.
func checkIssuerParam(q url.Values, issuer string, optional bool) error {
	got, ok := q["iss"]
	switch {
	case !ok && optional:
		return nil
	case !ok || len(got) != 1:
		return fmt.Errorf("%w: the callback's iss parameter is missing, want %q", ErrIssuerMismatch, issuer)
	case got[0] != issuer:
		return fmt.Errorf("%w: the callback's iss parameter is %s, want %q", ErrIssuerMismatch, safe(got[0]), issuer)
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

// tokenRequest runs a request of the token endpoint (client_secret_post):
// a code exchanged, or a refresh.
func (c *Client) tokenRequest(caller context.Context, do func(context.Context) (*oauth2.Token, error)) (*oauth2.Token, error) {
	ctx, cancel := c.withTimeout(caller)
	defer cancel()
	ctx = context.WithValue(ctx, oauth2.HTTPClient, c.tokenHTTP)
	tok, err := do(ctx) // reads the whole answer
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
			return nil, fmt.Errorf("%w: token endpoint: %w", ErrProviderUnavailable, caller.Err())
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

// CallbackHandler completes a login on the redirect URL (e.g. "GET
// /fc/callback"). It finds the cookie of the login this callback answers,
// opens it, deletes it whatever the outcome, and runs [Client.Exchange];
// then it calls onLogin with the verified Result, whose ReturnTo says
// where to send the user, or onError.
//
// onError receives the error of Exchange, or ErrNoTransaction (no cookie:
// never started here, replayed, dropped after its lifetime),
// ErrInvalidTransaction (altered cookie, unknown key, another
// registration's login), ErrRegistrationChanged (this registration's
// settings changed since the login started) or ErrTransactionExpired. A
// nil onError answers UserMessage(err) as text with StatusCode(err).
//
// A replayed callback finds no cookie (the first one deleted it); if an
// attacker kept the cookie, the provider refuses the code, which is
// single-use (ErrInvalidGrant). CallbackHandler panics if onLogin is nil
// or Config.CookieKeys is empty.
func (c *Client) CallbackHandler(onLogin LoginFunc, onError ErrorFunc) http.Handler {
	if onLogin == nil {
		panic("franceconnect: CallbackHandler: onLogin is nil")
	}
	t := c.handlerCookies("CallbackHandler", false)
	return c.returnHandler(onError, func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		req, ret, err := t.finishLogin(w, r, q, c.cfg.Now())
		if err != nil {
			c.logFailure(r.Context(), "franceconnect: callback refused", err)
			return err
		}
		res, err := c.Exchange(r.Context(), req, q)
		if err != nil {
			return err
		}
		res.ReturnTo = c.returnTo(ret)
		onLogin(w, r, res)
		return nil
	})
}
