package franceconnect

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// The ID token: its verified claims, and what a login or a refresh
// requires of them.

// IDTokenClaims are the verified claims of an ID token.
//
// Verified, in order: compact JWS of bounded size; algorithm equal to the
// configured one (never taken from the header); signature with the
// provider's key by kid (v2) or the client secret (v1); iss equal to the
// environment's issuer; aud containing the client ID and nobody else (azp,
// if present, equal to it); exp present and not past (with ClockSkew); iat
// present, not in the future (with ClockSkew), not older than 10 minutes;
// nonce equal to the request's; acr one of Config.ACRValues (on the eIDAS
// ladder, at least the lowest of them); sub present; with
// Config.MaxAuthAge, auth_time present and recent enough; at_hash, if
// present, matching the access token. A refreshed ID token (Client.Refresh)
// passes the same checks, but names the session's subject and auth_time,
// and its nonce, when it has one, is the session's.
//
// Not verified: nbf (FranceConnect does not send it).
type IDTokenClaims struct {
	Issuer   string    // iss
	Subject  string    // sub: the person, for this service
	Audience []string  // aud
	Expiry   time.Time // exp
	IssuedAt time.Time // iat
	AuthTime time.Time // zero when absent
	// ACR is the level the login had: on ProConnect with
	// AuthOptions.PreferredACR, maybe not the one preferred.
	ACR ACR
	// AMR lists the authentication methods (present when requested with
	// ClaimsAMR), as sent: an open set, of which the AMR constants name the
	// known values; a value the library does not know is kept, never an
	// error.
	AMR []string
	// MFA reports whether a second factor took place: the level includes
	// one (eidas1-mfa, eidas2..., or a declared Level with MFA), or AMR
	// lists "mfa".
	MFA bool
	IDP string // v1 only: the identity provider ("idp" claim)
}

// idTokenWant is what an ID token must carry beside the client's rules:
// the nonce of its login, or on a refresh the claims of the session's ID
// token.
type idTokenWant struct {
	nonce string
	prev  *idTokenClaims
}

// check checks the nonce, and the session (a refresh) or the freshness of
// the authentication (a login).
func (w idTokenWant) check(c *Client, tc *idTokenClaims, now time.Time) error {
	if w.prev == nil {
		if err := checkNonce(tc.Nonce, w.nonce); err != nil {
			return err
		}
		return c.checkAuthAge(tc.AuthTime, now)
	}
	if tc.Nonce != nil && (w.prev.Nonce == nil || checkNonce(tc.Nonce, *w.prev.Nonce) != nil) {
		return fmt.Errorf("%w: the refreshed ID token's nonce is not the session's", ErrNonceMismatch)
	}
	switch {
	case tc.Sub != w.prev.Sub:
		return fmt.Errorf("%w: the refreshed ID token is about another user than the session's", ErrSubjectMismatch)
	case w.prev.AuthTime.set && !tc.AuthTime.t.Equal(w.prev.AuthTime.t):
		return fmt.Errorf("%w: the refreshed ID token's auth_time is not the session's", ErrMalformedToken)
	}
	return nil
}

// checkAuthAge refuses, with Config.MaxAuthAge, an authentication older
// than it (or of unknown age).
func (c *Client) checkAuthAge(authTime numericDate, now time.Time) error {
	switch max := c.cfg.MaxAuthAge; {
	case max == 0:
		return nil
	case !authTime.set:
		return fmt.Errorf("%w: the ID token has no auth_time", ErrAuthTooOld)
	case now.Sub(authTime.t) > max+c.cfg.ClockSkew:
		return fmt.Errorf("%w: the user authenticated %v ago, more than %v", ErrAuthTooOld, now.Sub(authTime.t).Round(time.Second), max)
	}
	return nil
}

// verifyIDToken runs every ID token check of IDTokenClaims' doc on the ID
// token of the login req.
func (c *Client) verifyIDToken(ctx context.Context, raw string, req *AuthRequest, accessToken string) (*IDTokenClaims, error) {
	return c.verifyIDTokenFor(ctx, raw, idTokenWant{nonce: req.Nonce}, accessToken)
}

// verifyIDTokenFor verifies an ID token of a login or of a refresh.
func (c *Client) verifyIDTokenFor(ctx context.Context, raw string, want idTokenWant, accessToken string) (*IDTokenClaims, error) {
	payload, err := c.verifySignature(ctx, raw)
	if err != nil {
		return nil, err
	}
	var tc idTokenClaims
	if decodeObject(payload, &tc) != nil {
		return nil, errClaimTypes
	}
	now := c.cfg.Now()
	level, levelErr := c.checkLevel(tc.ACR)
	for _, err := range [...]error{
		c.checkEnvelope(&tc.envelopeClaims, now, true),
		checkIssuedAt(tc.Iat, now, c.cfg.ClockSkew),
		levelErr,
		checkSubject(tc.Sub),
		want.check(c, &tc, now),
		checkAccessTokenHash(tc.AtHash, accessToken),
	} {
		if err != nil {
			return nil, err
		}
	}
	return &IDTokenClaims{
		Issuer:   *tc.Iss,
		Subject:  tc.Sub,
		Audience: tc.Aud,
		Expiry:   tc.Exp.t,
		IssuedAt: tc.Iat.t,
		AuthTime: tc.AuthTime.t,
		ACR:      level.ACR,
		AMR:      tc.AMR,
		MFA:      level.MFA || slices.Contains(tc.AMR, AMRMFA),
		IDP:      tc.IDP,
	}, nil
}
