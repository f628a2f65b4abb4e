package franceconnect

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-jose/go-jose/v4"

	"github.com/franceconnect-go/franceconnect/internal/compact"
	"github.com/franceconnect-go/franceconnect/internal/keys"
)

// This file verifies signed tokens (ID token, userinfo JWT). Every check is
// a small function, called in the order of IDTokenClaims' doc.

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

// IDTokenClaims are the verified claims of an ID token.
//
// Verified, in order: compact JWS of bounded size; algorithm equal to the
// configured one (never taken from the header); signature with the
// provider's key by kid (v2) or the client secret (v1); iss equal to the
// environment's issuer; aud containing the client ID and nobody else (azp,
// if present, equal to it); exp present and not past (with ClockSkew); iat
// present, not in the future (with ClockSkew), not older than 10 minutes;
// nonce equal to the request's; acr a known eIDAS level at least the
// requested one; sub present; at_hash, if present, matching the access
// token.
//
// Not verified: auth_time (FranceConnect forces a fresh authentication
// anyway) and nbf (FranceConnect does not send it).
type IDTokenClaims struct {
	Issuer   string
	Subject  string
	Audience []string
	Expiry   time.Time
	IssuedAt time.Time
	AuthTime time.Time // zero when absent
	ACR      ACR
	AMR      []string // present when requested with ClaimsAMR
	IdP      string   // v1 only: the identity provider ("idp" claim)
}

// audience accepts a string or an array of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		if s, ok := plainJSONString(b); ok {
			*a = audience{s}
			return nil
		}
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = audience{s}
		return nil
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err != nil {
		return err
	}
	*a = ss
	return nil
}

// plainJSONString decodes a JSON string without escapes, the usual case,
// without the cost of json.Unmarshal; ok is false for any other value.
func plainJSONString(b []byte) (s string, ok bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	in := b[1 : len(b)-1]
	for _, c := range in {
		if c < 0x20 || c == '"' || c == '\\' {
			return "", false
		}
	}
	if !utf8.Valid(in) {
		return "", false
	}
	return string(in), true
}

// numericDate is a JWT NumericDate (seconds, integer or not).
type numericDate struct {
	t   time.Time
	set bool
}

func (n *numericDate) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	// A JSON number is what ParseFloat reads (encoding/json calls it
	// too); anything else (string, object...) is refused.
	if len(b) == 0 || (b[0] != '-' && (b[0] < '0' || b[0] > '9')) || bytes.ContainsFunc(b, notNumberByte) {
		return errors.New("date is not a number")
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return errors.New("date is not a number")
	}
	if math.IsNaN(f) || f < 0 || f > 1e11 {
		return errors.New("date out of range")
	}
	sec, frac := math.Modf(f)
	n.t = time.Unix(int64(sec), int64(frac*1e9))
	n.set = true
	return nil
}

func notNumberByte(r rune) bool {
	return (r < '0' || r > '9') && r != '-' && r != '+' && r != '.' && r != 'e' && r != 'E'
}

// tokenClaims is the wire form of the claims we check in ID tokens and
// userinfo JWTs.
type tokenClaims struct {
	Iss      *string     `json:"iss"`
	Sub      string      `json:"sub"`
	Aud      audience    `json:"aud"`
	Azp      string      `json:"azp"`
	Exp      numericDate `json:"exp"`
	Iat      numericDate `json:"iat"`
	AuthTime numericDate `json:"auth_time"`
	Nonce    *string     `json:"nonce"`
	ACR      *string     `json:"acr"`
	AMR      []string    `json:"amr"`
	AtHash   string      `json:"at_hash"`
	IdP      string      `json:"idp"`
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
	var key any
	if c.cfg.Environment.Version == V1 {
		key = []byte(c.cfg.ClientSecret)
	} else {
		key, err = c.keys.Key(ctx, h.KeyID, c.cfg.Algorithm)
		switch {
		case errors.Is(err, keys.ErrUnknownKey):
			return nil, fmt.Errorf("%w: %v", ErrUnknownKey, err)
		case err != nil:
			return nil, fmt.Errorf("%w: %v", ErrProviderUnavailable, err)
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
	var h struct {
		Alg string `json:"alg"`
	}
	seg, _, _ := strings.Cut(raw, ".")
	if b, err := base64.RawURLEncoding.DecodeString(seg); err == nil && json.Unmarshal(b, &h) == nil && h.Alg != "" && h.Alg != want {
		return fmt.Errorf("%w: want %s, got %s", ErrAlgorithm, want, safe(h.Alg))
	}
	return fmt.Errorf("%w: not a compact %s JWS", ErrMalformedToken, want)
}

// decodeClaims reads the claims we check.
func decodeClaims(payload []byte) (*tokenClaims, error) {
	if ok, _ := plainMembers(payload, tokenClaimFields, nil); ok {
		// Same result as decodeClaimsExact, in one pass.
		var tc tokenClaims
		if json.Unmarshal(payload, &tc) != nil {
			return nil, errClaimTypes
		}
		return &tc, nil
	}
	return decodeClaimsExact(payload)
}

var errClaimTypes = fmt.Errorf("%w: claims are not a JSON object of the expected types", ErrMalformedToken)

// decodeClaimsExact reads the claims we check by their exact names, for
// any payload.
func decodeClaimsExact(payload []byte) (*tokenClaims, error) {
	var obj map[string]json.RawMessage
	var tc tokenClaims
	if json.Unmarshal(payload, &obj) != nil || obj == nil || decodeExact(obj, &tc, tokenClaimNames) != nil {
		return nil, errClaimTypes
	}
	return &tc, nil
}

var (
	tokenClaimNames  = jsonNames(reflect.TypeFor[tokenClaims]())
	tokenClaimFields = fieldList(tokenClaimNames)
)

// plainMembers reports whether json.Unmarshal(obj, v), for a struct v
// whose JSON member names are fields, reads exactly what decodeExact
// reads, saving decodeExact's three passes. That is when obj is an object
// whose member names are printable ASCII written without escapes
// (encoding/json folds the case of the others, Unicode included), none
// differing from one of fields by case only, and none of fields appearing
// twice (json.Unmarshal merges two objects where decodeExact keeps the
// last). It answers false when in doubt, for instance on invalid JSON
// (json.Unmarshal then fails as decodeExact's caller would). unknown
// reports a member whose name is not in known (if known is not nil).
func plainMembers(obj []byte, fields []string, known map[string]bool) (ok, unknown bool) {
	var seen uint64
	i := skipSpace(obj, 0)
	if i == len(obj) || obj[i] != '{' {
		return false, false
	}
	i = skipSpace(obj, i+1)
	if i < len(obj) && obj[i] == '}' {
		return true, false
	}
	for i < len(obj) && obj[i] == '"' {
		start, end := i+1, i+1
		for ; end < len(obj) && obj[end] != '"'; end++ {
			if c := obj[end]; c < 0x20 || c >= 0x7f || c == '\\' {
				return false, false
			}
		}
		if end == len(obj) {
			return false, false
		}
		name := obj[start:end]
		for f, field := range fields {
			if !asciiEqualFold(field, name) {
				continue
			}
			if string(name) != field || seen&(1<<f) != 0 {
				return false, false
			}
			seen |= 1 << f
		}
		if known != nil && !known[string(name)] {
			unknown = true
		}
		i = skipSpace(obj, end+1)
		if i == len(obj) || obj[i] != ':' {
			return false, false
		}
		if i = skipValue(obj, skipSpace(obj, i+1)); i < 0 {
			return false, false
		}
		i = skipSpace(obj, i)
		switch {
		case i == len(obj):
			return false, false
		case obj[i] == '}':
			return true, unknown
		case obj[i] == ',':
			i = skipSpace(obj, i+1)
		default:
			return false, false
		}
	}
	return false, false
}

func asciiEqualFold(s string, b []byte) bool {
	if len(s) != len(b) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c, d := s[i], b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return false
		}
	}
	return true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just after the JSON value that starts at
// b[i], or -1. Valid JSON is assumed: it only finds where values end.
func skipValue(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			for i++; i < len(b) && b[i] != '"'; i++ {
				if b[i] == '\\' {
					i++
				}
			}
			if i >= len(b) {
				return -1
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i // the enclosing object ends a number or literal
			}
			if depth--; depth == 0 {
				return i + 1
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		}
	}
	if depth == 0 {
		return i
	}
	return -1
}

// fieldList returns names as a sorted list of at most 64 (the bits of
// plainMembers' set).
func fieldList(names map[string]bool) []string {
	list := slices.Sorted(maps.Keys(names))
	if len(list) > 64 {
		panic("franceconnect: more than 64 claim fields")
	}
	return list
}

// decodeExact unmarshals into v the members of obj whose names are exactly
// v's JSON names. encoding/json matches struct fields without regard to
// case, so on its own it would read "ISS", "Sub" or a second "NONCE" as
// iss, sub or nonce; claim names are case-sensitive (RFC 7519 section 4).
func decodeExact(obj map[string]json.RawMessage, v any, names map[string]bool) error {
	kept := make(map[string]json.RawMessage, len(names))
	for k, m := range obj {
		if names[k] {
			kept[k] = m
		}
	}
	b, err := json.Marshal(kept)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// jsonNames lists the JSON member names of a struct's fields.
func jsonNames(t reflect.Type) map[string]bool {
	names := make(map[string]bool, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names[name] = true
		}
	}
	return names
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
		return fmt.Errorf("%w: exp", ErrMissingClaim)
	case now.After(exp.t.Add(skew)):
		return fmt.Errorf("%w: expired %v ago", ErrTokenExpired, now.Sub(exp.t).Round(time.Second))
	}
	return nil
}

func checkIssuedAt(iat numericDate, now time.Time, skew time.Duration) error {
	switch {
	case !iat.set:
		return fmt.Errorf("%w: iat", ErrMissingClaim)
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

func checkACR(got *string, min ACR) error {
	switch {
	case got == nil || *got == "":
		return fmt.Errorf("%w: acr is missing, want %s or higher", ErrACRTooLow, min)
	case !ACR(*got).AtLeast(min):
		return fmt.Errorf("%w: want %s or higher, got %s", ErrACRTooLow, min, safe(*got))
	}
	return nil
}

func checkSubject(sub string) error {
	switch {
	case sub == "":
		return fmt.Errorf("%w: sub", ErrMissingClaim)
	case len(sub) > maxClaimLen:
		return fmt.Errorf("%w: sub is longer than %d bytes", ErrMalformedToken, maxClaimLen)
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
	var want [22]byte
	base64.RawURLEncoding.Encode(want[:], sum[:16])
	if !equalConstantTime(atHash, string(want[:])) {
		return fmt.Errorf("%w: at_hash does not match the access token", ErrAccessTokenHash)
	}
	return nil
}

func equalConstantTime(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// jsonObject reports whether s is a JSON object.
func jsonObject(s string) bool {
	t := bytes.TrimSpace([]byte(s))
	return len(t) > 1 && t[0] == '{' && json.Valid(t)
}

// verifyIDToken runs every ID token check of IDTokenClaims' doc.
func (c *Client) verifyIDToken(ctx context.Context, raw string, req *AuthRequest, accessToken string) (*IDTokenClaims, error) {
	payload, err := c.verifySignature(ctx, raw)
	if err != nil {
		return nil, err
	}
	tc, err := decodeClaims(payload)
	if err != nil {
		return nil, err
	}
	now := c.cfg.Now()
	for _, err := range [...]error{
		checkIssClaim(tc.Iss, c.cfg.Environment.Issuer),
		checkAudience(tc.Aud, tc.Azp, c.cfg.ClientID),
		checkExpiry(tc.Exp, now, c.cfg.ClockSkew),
		checkIssuedAt(tc.Iat, now, c.cfg.ClockSkew),
		checkNonce(tc.Nonce, req.Nonce),
		checkACR(tc.ACR, req.ACR),
		checkSubject(tc.Sub),
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
		ACR:      ACR(*tc.ACR),
		AMR:      tc.AMR,
		IdP:      tc.IdP,
	}, nil
}
