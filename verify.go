package franceconnect

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/json"

	"github.com/franceconnect-go/franceconnect/internal/compact"
	"github.com/franceconnect-go/franceconnect/internal/keys"
)

// This file verifies signed tokens, the ID token and the userinfo JWT:
// the signature, then each claim with a small function, in the order of
// IDTokenClaims' doc. Claims are read with go-jose's JSON package: member
// names match exactly (RFC 7519 section 4: "ISS" is not "iss") and an
// object that names a member twice is refused.

const (
	// maxTokenSize bounds a token before any parsing: FranceConnect's ID
	// tokens are about 1 KiB, FranceConnect+ JWEs a few KiB.
	maxTokenSize = 32 << 10
	// maxTokenAge bounds how old an ID token's iat may be (FranceConnect's
	// tokens live 60 s).
	maxTokenAge = 10 * time.Minute
	// maxClaimLen bounds sub, nonce and other identifiers we compare.
	maxClaimLen = 1024
)

var errClaimTypes = fmt.Errorf("%w: claims are not a JSON object of the expected types", ErrMalformedToken)

// verifyUserInfoJWT checks a signed userinfo (v2, decrypted first on
// FranceConnect+): signature as the ID token, iss, aud, exp when present,
// sub equal to the ID token's. It reads the claims into dst, in one pass,
// and returns them.
func (c *Client) verifyUserInfoJWT(ctx context.Context, raw, subject string, dst userInfoClaims) ([]byte, error) {
	raw, err := c.openToken(ctx, strings.TrimSpace(raw))
	if err != nil {
		return nil, err
	}
	payload, err := c.verifySignature(ctx, raw)
	if err != nil {
		return nil, err
	}
	if err := decodeObject(payload, dst); err != nil {
		// Tell a bad envelope (a malformed token) from a bad identity.
		if decodeObject(payload, &envelopeClaims{}) != nil {
			return nil, errClaimTypes
		}
		return nil, errIdentityTypes
	}
	if err := c.checkEnvelope(dst.envelope(), c.cfg.Now(), false); err != nil {
		return nil, err
	}
	if err := checkSameSubject(dst.subject(), subject); err != nil {
		return nil, err
	}
	return payload, nil
}

// checkEnvelope checks iss, aud (and azp) and exp, which may be absent
// from a userinfo JWT but not from an ID token.
func (c *Client) checkEnvelope(e *envelopeClaims, now time.Time, expRequired bool) error {
	if err := checkIssClaim(e.Iss, c.cfg.Environment.Issuer); err != nil {
		return err
	}
	if err := checkAudience(e.Aud, e.Azp, c.cfg.ClientID); err != nil {
		return err
	}
	if !expRequired && !e.Exp.set {
		return nil
	}
	return checkExpiry(e.Exp, now, c.cfg.ClockSkew)
}

// verifySignature checks the compact JWS raw and returns its payload. The
// algorithm is the configured one; on v2 the key comes from the
// provider's key set by kid, on v1 it is the client secret.
func (c *Client) verifySignature(ctx context.Context, raw string) ([]byte, error) {
	if err := checkTokenShape(raw, 3); err != nil {
		return nil, err
	}
	alg := jose.SignatureAlgorithm(c.cfg.Algorithm)
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{alg})
	if err != nil {
		return nil, classifyParseError(raw, c.cfg.Algorithm)
	}
	if len(jws.Signatures) != 1 {
		return nil, fmt.Errorf("%w: want exactly one signature", ErrMalformedToken)
	}
	h := jws.Signatures[0].Header
	if h.Algorithm != c.cfg.Algorithm { // ParseSignedCompact checked it; say it twice
		return nil, fmt.Errorf("%w: want %s, got %s", ErrAlgorithm, c.cfg.Algorithm, safe(h.Algorithm))
	}
	var key any = []byte(c.cfg.ClientSecret) // HS256: v1, ProConnect
	if c.keys != nil {
		key, err = c.keys.Key(ctx, h.KeyID, c.cfg.Algorithm)
		switch {
		case errors.Is(err, keys.ErrUnknownKey):
			return nil, fmt.Errorf("%w: %v", ErrUnknownKey, err)
		case err != nil: // a fetch failed, or the caller's context ended
			return nil, fmt.Errorf("%w: %w", ErrProviderUnavailable, err)
		}
	}
	payload, err := jws.Verify(key)
	if err != nil {
		return nil, fmt.Errorf("%w: %s signature does not verify", ErrSignature, c.cfg.Algorithm)
	}
	return payload, nil
}

// checkTokenShape bounds the token and counts its parts (3 for a JWS, 5 for
// a JWE) before any decoding.
func checkTokenShape(raw string, parts int) error {
	if raw == "" {
		return fmt.Errorf("%w: empty token", ErrMalformedToken)
	}
	if len(raw) > maxTokenSize {
		return fmt.Errorf("%w: token of %d bytes exceeds %d", ErrMalformedToken, len(raw), maxTokenSize)
	}
	if n := strings.Count(raw, ".") + 1; n != parts {
		return fmt.Errorf("%w: token has %d parts, want %d", ErrMalformedToken, n, parts)
	}
	// Only base64url and dots: one token, one spelling.
	if i := compact.BadByte(raw); i >= 0 {
		return fmt.Errorf("%w: character %q at byte %d is not base64url", ErrMalformedToken, raw[i], i)
	}
	return nil
}

// classifyParseError tells an algorithm mismatch from garbage, reading the
// header only after go-jose refused the token.
func classifyParseError(raw, want string) error {
	if h := headerOf(raw); h.Alg != "" && h.Alg != want {
		return fmt.Errorf("%w: want %s, got %s", ErrAlgorithm, want, safe(h.Alg))
	}
	return fmt.Errorf("%w: not a compact %s JWS", ErrMalformedToken, want)
}

// header is what the errors say of a token go-jose refused.
type header struct {
	Alg string `json:"alg"`
	Enc string `json:"enc"`
}

// headerOf reads the protected header of a compact token, for messages
// only (zero when it does not decode).
func headerOf(raw string) (h header) {
	seg, _, _ := strings.Cut(raw, ".")
	if b, err := base64.RawURLEncoding.DecodeString(seg); err == nil {
		_ = json.Unmarshal(b, &h)
	}
	return h
}

func checkIssClaim(got *string, want string) error {
	switch {
	case got == nil:
		return fmt.Errorf("%w: iss is missing, want %q", ErrIssuerMismatch, want)
	case *got != want:
		return fmt.Errorf("%w: want %q, got %s", ErrIssuerMismatch, want, safe(*got))
	}
	return nil
}

// checkAudience requires the client ID in aud and no other audience: a
// token also meant for someone else is not ours to accept.
func checkAudience(aud []string, azp, clientID string) error {
	if len(aud) == 0 {
		return fmt.Errorf("%w: aud is missing", ErrAudienceMismatch)
	}
	for _, a := range aud {
		if a != clientID {
			return fmt.Errorf("%w: want only the client ID, got %s", ErrAudienceMismatch, safe(a))
		}
	}
	if azp != "" && azp != clientID {
		return fmt.Errorf("%w: azp is %s", ErrAudienceMismatch, safe(azp))
	}
	return nil
}

func checkExpiry(exp numericDate, now time.Time, skew time.Duration) error {
	switch {
	case !exp.set:
		return fmt.Errorf("%w: exp is missing", ErrMalformedToken)
	case now.After(exp.t.Add(skew)):
		return fmt.Errorf("%w: expired %v ago", ErrTokenExpired, now.Sub(exp.t).Round(time.Second))
	}
	return nil
}

func checkIssuedAt(iat numericDate, now time.Time, skew time.Duration) error {
	switch {
	case !iat.set:
		return fmt.Errorf("%w: iat is missing", ErrMalformedToken)
	case iat.t.After(now.Add(skew)):
		return fmt.Errorf("%w: iat is %v in the future", ErrIssuedAt, iat.t.Sub(now).Round(time.Second))
	case now.Sub(iat.t) > maxTokenAge+skew:
		return fmt.Errorf("%w: iat is %v in the past, more than %v", ErrIssuedAt, now.Sub(iat.t).Round(time.Second), maxTokenAge)
	}
	return nil
}

func checkNonce(got *string, want string) error {
	switch {
	case got == nil || *got == "":
		return fmt.Errorf("%w: nonce is missing", ErrNonceMismatch)
	case want == "" || !equalConstantTime(*got, want):
		return fmt.Errorf("%w: the nonce is not the one sent", ErrNonceMismatch)
	}
	return nil
}

func checkSubject(sub string) error {
	switch {
	case sub == "":
		return fmt.Errorf("%w: sub is missing", ErrMalformedToken)
	case len(sub) > maxClaimLen:
		return fmt.Errorf("%w: sub is longer than %d bytes", ErrMalformedToken, maxClaimLen)
	}
	return nil
}

// checkSameSubject requires the userinfo's sub to be the ID token's.
func checkSameSubject(got, want string) error {
	switch {
	case got == "":
		return fmt.Errorf("%w: userinfo has no sub", ErrSubjectMismatch)
	case got != want:
		return fmt.Errorf("%w: userinfo is about another user than the ID token", ErrSubjectMismatch)
	}
	return nil
}

// checkAccessTokenHash checks at_hash when present (FranceConnect does not
// send it; other providers may). The hash is the left half of SHA-256 of
// the access token for ES256 and RS256 (and HS256 on v1).
func checkAccessTokenHash(atHash, accessToken string) error {
	if atHash == "" {
		return nil
	}
	sum := sha256.Sum256([]byte(accessToken))
	if !equalConstantTime(atHash, base64.RawURLEncoding.EncodeToString(sum[:16])) {
		return fmt.Errorf("%w: at_hash does not match the access token", ErrSignature)
	}
	return nil
}

func equalConstantTime(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
