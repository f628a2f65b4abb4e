package franceconnect

// The fixtures and independent oracles of the fuzz targets (fuzz_test.go):
// a provider without sockets, pathological inputs, and checks written
// without the library's helpers.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

const (
	fuzzIssuer   = "https://fc.fuzz.example/api/v2"
	fuzzClientID = "6925fb8143c76eded44d32b40c0cb1006065f7f003de52712b78985704f39950"
	fuzzSecret   = "client-secret-fuzz-0123456789abcdef0123456789abcdef0123456789abcdef"
	fuzzKid      = "fuzz-es256"
	fuzzState    = "s7ate-s7ate-s7ate-s7ate-s7ate-s7ate-s7ate-s"
	fuzzNonce    = "n0nce-n0nce-n0nce-n0nce-n0nce-n0nce-n0nce-n"
	fuzzSub      = "b6048e95bb134ec5b1d1e1fa69f287172e91722b9354d637a1bcf2ebb0fd2ef5v1"
	fuzzAccess   = "access-token-fuzz-0123456789"
)

// fuzzNow is the fixed clock of the fuzz client, so that a saved input
// means the same thing on every run.
var fuzzNow = time.Unix(1_800_000_000, 0)

// fuzzProvider is a FranceConnect v2 behind an http.RoundTripper. A fuzz
// iteration holds mu while it sets the answers and runs the library.
type fuzzProvider struct {
	mu sync.Mutex

	key  *ecdsa.PrivateKey
	jwks []byte

	tokenStatus  int
	tokenBody    []byte
	userInfoType string
	userInfoBody []byte

	tokenCalls, userInfoCalls, jwksCalls, discoveryCalls atomic.Int64
	discoveryBody                                        []byte
}

func (p *fuzzProvider) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	resp := func(status int, ctype string, body []byte) (*http.Response, error) {
		h := make(http.Header)
		h.Set("Content-Type", ctype)
		return &http.Response{
			StatusCode: status, Status: http.StatusText(status), Header: h, Request: r,
			Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		}, nil
	}
	switch r.URL.Path {
	case "/api/v2/jwks":
		p.jwksCalls.Add(1)
		return resp(200, "application/json", p.jwks)
	case "/api/v2/token":
		p.tokenCalls.Add(1)
		return resp(p.tokenStatus, "application/json", p.tokenBody)
	case "/api/v2/userinfo":
		p.userInfoCalls.Add(1)
		return resp(200, p.userInfoType, p.userInfoBody)
	case "/api/v2/.well-known/openid-configuration":
		p.discoveryCalls.Add(1)
		return resp(200, "application/json", p.discoveryBody)
	}
	return resp(404, "text/html", []byte("<html>not found</html>"))
}

// sign signs header.payload with the provider's key (ES256, r||s).
func (p *fuzzProvider) sign(header, payload []byte) string {
	in := fuzzB64(header) + "." + fuzzB64(payload)
	h := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, p.key, h[:])
	if err != nil {
		panic(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return in + "." + fuzzB64(sig)
}

func fuzzB64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

type fuzzFixture struct {
	p   *fuzzProvider
	c   *Client
	req *AuthRequest
}

var fuzzSetup = sync.OnceValue(func() *fuzzFixture {
	// A fixed scalar: the same key in every process, so saved inputs that
	// carry a valid signature still verify when replayed.
	d := sha256.Sum256([]byte("franceconnect fuzz key"))
	key, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
	if err != nil {
		panic(err)
	}
	jwks, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: fuzzKid, Algorithm: "ES256", Use: "sig"}}})
	if err != nil {
		panic(err)
	}
	p := &fuzzProvider{key: key, jwks: jwks}
	env, err := NewEnvironment(FranceConnect, fuzzIssuer)
	if err != nil {
		panic(err)
	}
	c, err := New(Config{
		Environment:           env,
		ClientID:              fuzzClientID,
		ClientSecret:          fuzzSecret,
		RedirectURL:           "https://portail.example/fc/callback",
		PostLogoutRedirectURL: "https://portail.example/",
		Algorithm:             "ES256",
		HTTPClient:            &http.Client{Transport: p, Timeout: 5 * time.Second},
		Now:                   func() time.Time { return fuzzNow },
	})
	if err != nil {
		panic(err)
	}
	req := &AuthRequest{State: fuzzState, Nonce: fuzzNonce, Expiry: fuzzNow.Add(10 * time.Minute)}
	return &fuzzFixture{p: p, c: c, req: req}
})

// fuzzIDClaims are the ID token claims FranceConnect would send for the
// fixture's request.
func fuzzIDClaims() map[string]any {
	now := fuzzNow.Unix()
	return map[string]any{
		"iss": fuzzIssuer, "sub": fuzzSub, "aud": fuzzClientID,
		"exp": now + 60, "iat": now, "auth_time": now,
		"nonce": fuzzNonce, "acr": "eidas1", "amr": []string{"pwd"},
	}
}

func fuzzUserInfoClaims() map[string]any {
	return map[string]any{
		"iss": fuzzIssuer, "aud": fuzzClientID, "sub": fuzzSub,
		"exp": fuzzNow.Unix() + 60, "iat": fuzzNow.Unix(),
		"given_name": "Angela Claire Louise", "given_name_array": []string{"Angela", "Claire", "Louise"},
		"family_name": "DUBOIS", "birthdate": "1962-08-24", "gender": "female",
		"birthplace": "75107", "birthcountry": "99100", "email": "wossewodda-3728@yopmail.com",
		"idp_birthdate": "1962-08-24",
	}
}

func fuzzJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func claimsWith(m map[string]any, kv ...any) []byte {
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(c, kv[i].(string))
			continue
		}
		c[kv[i].(string)] = kv[i+1]
	}
	return fuzzJSON(c)
}

var fuzzES256Header = []byte(`{"alg":"ES256","kid":"` + fuzzKid + `","typ":"JWT"}`)

// pathologicalHeaders are JOSE headers that broke other JOSE libraries or
// that an attacker would try: embedded keys, crit, alg none and friends,
// wrong types, nesting, unicode, duplicates, size.
func pathologicalHeaders() [][]byte {
	attacker, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwk := fuzzJSON(jose.JSONWebKey{Key: &attacker.PublicKey, Algorithm: "ES256"})
	hs := [][]byte{
		fuzzES256Header,
		[]byte(`{"alg":"ES256"}`),
		[]byte(`{"alg":"none"}`),
		[]byte(`{"alg":"None","kid":"` + fuzzKid + `"}`),
		[]byte(`{"alg":"HS256","kid":"` + fuzzKid + `"}`),
		[]byte(`{"alg":"RS256","kid":"` + fuzzKid + `"}`),
		[]byte(`{"alg":"ES256 ","kid":"` + fuzzKid + `"}`),
		[]byte(`{"alg":"es256","kid":"` + fuzzKid + `"}`),
		[]byte(`{"alg":"ES256","alg":"none","kid":"` + fuzzKid + `"}`),
		[]byte(`{"alg":"none","alg":"ES256","kid":"` + fuzzKid + `"}`),
		[]byte(`{"ALG":"none","alg":"ES256","kid":"` + fuzzKid + `"}`),
		[]byte(`{"alg":["ES256"],"kid":"` + fuzzKid + `"}`),
		[]byte(`{"alg":null}`),
		[]byte(`{"alg":"ES256","kid":42}`),
		[]byte(`{"alg":"ES256","kid":{"kid":"` + fuzzKid + `"}}`),
		[]byte(`{"alg":"ES256","kid":"../../../etc/passwd"}`),
		[]byte(`{"alg":"ES256","kid":"\u0000` + fuzzKid + `"}`),
		[]byte(`{"alg":"ES256","kid":"` + fuzzKid + `\u202e"}`),
		[]byte(`{"alg":"ES256","jwk":` + string(jwk) + `}`),
		[]byte(`{"alg":"ES256","kid":"` + fuzzKid + `","jwk":` + string(jwk) + `}`),
		[]byte(`{"alg":"ES256","jku":"https://evil.example/jwks","kid":"evil"}`),
		[]byte(`{"alg":"ES256","x5u":"https://evil.example/cert","kid":"` + fuzzKid + `"}`),
		[]byte(`{"alg":"ES256","x5c":["MIIB"],"kid":"` + fuzzKid + `"}`),
		[]byte(`{"alg":"ES256","kid":"` + fuzzKid + `","crit":["exp"],"exp":1}`),
		[]byte(`{"alg":"ES256","kid":"` + fuzzKid + `","crit":["b64"],"b64":false}`),
		[]byte(`{"alg":"ES256","kid":"` + fuzzKid + `","crit":["b64"],"b64":true}`),
		[]byte(`{"alg":"ES256","kid":"` + fuzzKid + `","crit":[]}`),
		[]byte(`{"alg":"ES256","kid":"` + fuzzKid + `","crit":"b64"}`),
		[]byte(`{"alg":"ES256","kid":"` + fuzzKid + `","enc":"A256GCM","zip":"DEF"}`),
		[]byte(`{"alg":"ES256","kid":"` + fuzzKid + `","typ":{"a":{"b":{"c":[[[[[[[]]]]]]]}}}}`),
		[]byte(`{"alg":"ES256","kid":"` + fuzzKid + `","x":"` + strings.Repeat("A", 20000) + `"}`),
		[]byte(`{"alg":"ES256","kid":"` + strings.Repeat("k", 10000) + `"}`),
		[]byte(`{"alg":"ES256","kid":"clé-ü-€-𝄞"}`),
		[]byte(`{"alg":"ES256","kid":"` + fuzzKid + `"`),
		[]byte(`["alg","ES256"]`),
		[]byte(`"ES256"`),
		[]byte(`null`),
		[]byte(``),
		[]byte("\xff\xfe{\"alg\":\"ES256\"}"),
	}
	return hs
}

// pathologicalTokens are raw token strings: wrong shapes, bad base64,
// dots, sizes, whitespace.
func pathologicalTokens(p *fuzzProvider) []string {
	good := p.sign(fuzzES256Header, fuzzJSON(fuzzIDClaims()))
	h, rest, _ := strings.Cut(good, ".")
	pl, sig, _ := strings.Cut(rest, ".")
	return []string{
		good,
		"",
		".",
		"..",
		"...",
		"....",
		strings.Repeat(".", 1<<16),
		strings.Repeat("a.", 1<<14),
		h + "." + pl + ".",
		h + "." + pl,
		h + ".." + sig,
		"." + pl + "." + sig,
		h + "." + pl + "." + sig + "." + sig,
		h + "." + pl + "." + sig + "..",
		h + "=." + pl + "." + sig,
		h + "." + pl + "==." + sig,
		h + "." + pl + "." + sig + "=",
		strings.ReplaceAll(good, "-", "+"),
		strings.ReplaceAll(good, "_", "/"),
		" " + good,
		good + "\n",
		good + "\x00",
		strings.ToUpper(good),
		h + ".!!!." + sig,
		h + "." + pl + ".%%%",
		h + "." + pl + "." + sig[:len(sig)-1],
		h + "." + pl + "." + sig[:len(sig)-2],
		h + "." + pl + "." + fuzzB64(make([]byte, 64)),
		h + "." + pl + "." + fuzzB64(bytes.Repeat([]byte{0xff}, 64)),
		h + "." + pl + "." + fuzzB64(make([]byte, 10000)),
		fuzzB64([]byte(`{"alg":"none"}`)) + "." + pl + ".",
		fuzzB64([]byte(`{"alg":"none"}`)) + "." + pl + "." + sig,
		fuzzB64([]byte(`{"alg":"HS256","kid":"`+fuzzKid+`"}`)) + "." + pl + "." + sig,
		// JWE shapes (five parts) where a JWS is expected.
		fuzzB64([]byte(`{"alg":"RSA-OAEP","enc":"A256GCM"}`)) + ".a.b.c.d",
		fuzzB64([]byte(`{"alg":"dir","enc":"A256GCM"}`)) + "....",
		"eyJ" + strings.Repeat("A", maxTokenSize),
		"é.é.é",
		"\u202e.\u202e.\u202e",
		h + "." + fuzzB64([]byte(`{"iss":`+strings.Repeat("[", 5000)+`}`)) + "." + sig,
	}
}

// fuzzSentinels are the documented error values of the package.
var fuzzSentinels = []error{
	ErrAccessDenied, ErrStateMismatch, ErrMissingCode, ErrTransactionExpired,
	ErrIssuerMismatch, ErrAudienceMismatch, ErrTokenExpired, ErrIssuedAt, ErrNonceMismatch,
	ErrACRTooLow, ErrSubjectMismatch, ErrAlgorithm, ErrSignature, ErrUnknownKey,
	ErrMalformedToken, ErrSignature, ErrUserInfoFormat, ErrInvalidIdentity,
	ErrProviderUnavailable, ErrInvalidClient, ErrInvalidGrant, ErrConfig, ErrMalformedToken,
	ErrConfig, ErrDecryption, ErrLoginRequired, ErrIDPHintRefused,
}

// requireDocumentedError fails unless err is one of the documented error types and
// its message is safe to log: one line, bounded.
func requireDocumentedError(t *testing.T, err error, allowed ...error) {
	t.Helper()
	if err == nil {
		return
	}
	typed := false
	for _, s := range fuzzSentinels {
		if errors.Is(err, s) {
			typed = true
			break
		}
	}
	var pe *ProviderError
	var ce *CallbackError
	if !typed && !errors.As(err, &pe) && !errors.As(err, &ce) {
		t.Fatalf("untyped error %T: %v", err, err)
	}
	if len(allowed) > 0 {
		ok := false
		for _, a := range allowed {
			if errors.Is(err, a) || a == errAnyCallbackError && errors.As(err, &ce) {
				ok = true
			}
		}
		if !ok {
			t.Fatalf("error %v is none of %v", err, allowed)
		}
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\r\n") {
		t.Fatalf("error message spans lines: %q", msg)
	}
	if len(msg) > 2048 {
		t.Fatalf("error message of %d bytes", len(msg))
	}
}

// exactObject decodes a JSON object with its exact member names (a map,
// unlike a struct, does not fold case).
func exactObject(b []byte) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, false
	}
	return m, true
}

func exactString(m map[string]json.RawMessage, name string) (string, bool) {
	raw, ok := m[name]
	if !ok {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil || string(bytes.TrimSpace(raw)) == "null" {
		return "", false
	}
	return s, true
}

func exactNumber(m map[string]json.RawMessage, name string) (float64, bool) {
	raw, ok := m[name]
	if !ok {
		return 0, false
	}
	var f float64
	if json.Unmarshal(raw, &f) != nil || string(bytes.TrimSpace(raw)) == "null" || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// oracleJWS verifies a compact ES256 JWS with the fixture key, without the
// library: it returns the payload, or an explanation of why the token is
// not one the library may accept.
func oracleJWS(p *fuzzProvider, raw string) ([]byte, error) {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("%d parts", len(parts))
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, fmt.Errorf("header base64: %v", err)
	}
	h, ok := exactObject(hb)
	if !ok {
		return nil, errors.New("header is not an object")
	}
	if alg, _ := exactString(h, "alg"); alg != "ES256" {
		return nil, fmt.Errorf("alg %q", alg)
	}
	if kid, _ := exactString(h, "kid"); kid != "" && kid != fuzzKid {
		return nil, fmt.Errorf("kid %q", kid)
	}
	if crit, ok := h["crit"]; ok {
		var names []string
		if json.Unmarshal(crit, &names) != nil {
			return nil, errors.New("crit is not a list")
		}
		for _, n := range names {
			if n != "b64" {
				return nil, fmt.Errorf("crit %q not understood", n)
			}
		}
		// go-jose understands b64 (RFC 7797); anything but b64:true would
		// change the signing input, which the oracle does not model.
		if b, ok := h["b64"]; ok && string(b) != "true" {
			return nil, errors.New("b64 is not true")
		}
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, fmt.Errorf("payload base64: %v", err)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return nil, errors.New("signature is not 64 bytes of base64url")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
	if !ecdsa.Verify(&p.key.PublicKey, digest[:], r, s) {
		return nil, errors.New("signature does not verify")
	}
	return payload, nil
}

// oracleAudience: aud is the client ID, alone (string or array); azp, if
// a non-empty string, is the client ID.
func oracleAudience(m map[string]json.RawMessage) error {
	raw, ok := m["aud"]
	if !ok {
		return errors.New("aud missing")
	}
	var one string
	var many []string
	switch {
	case json.Unmarshal(raw, &one) == nil && string(raw) != "null":
		many = []string{one}
	case json.Unmarshal(raw, &many) == nil:
	default:
		return errors.New("aud of another type")
	}
	if len(many) == 0 {
		return errors.New("aud empty")
	}
	for _, a := range many {
		if a != fuzzClientID {
			return fmt.Errorf("aud %q", a)
		}
	}
	if azp, ok := exactString(m, "azp"); ok && azp != "" && azp != fuzzClientID {
		return fmt.Errorf("azp %q", azp)
	}
	return nil
}

// oracleIDToken re-checks every ID token rule on the exact claim names.
// Times are compared with one second of slack: the oracle is about
// rules, not nanosecond rounding.
func oracleIDToken(payload []byte, accessToken string) error {
	m, ok := exactObject(payload)
	if !ok {
		return errors.New("claims are not an object")
	}
	if iss, ok := exactString(m, "iss"); !ok || iss != fuzzIssuer {
		return fmt.Errorf("iss %q", iss)
	}
	if err := oracleAudience(m); err != nil {
		return err
	}
	now := float64(fuzzNow.Unix())
	const skew = 30
	exp, ok := exactNumber(m, "exp")
	if !ok || exp+skew < now-1 {
		return fmt.Errorf("exp %v", exp)
	}
	iat, ok := exactNumber(m, "iat")
	if !ok || iat > now+skew+1 || now-iat > 600+skew+1 {
		return fmt.Errorf("iat %v", iat)
	}
	if n, ok := exactString(m, "nonce"); !ok || n != fuzzNonce {
		return fmt.Errorf("nonce %q", n)
	}
	if acr, ok := exactString(m, "acr"); !ok || (acr != "eidas1" && acr != "eidas2" && acr != "eidas3") {
		return fmt.Errorf("acr %q", acr)
	}
	if sub, ok := exactString(m, "sub"); !ok || sub == "" || len(sub) > maxClaimLen {
		return fmt.Errorf("sub %q", sub)
	}
	if ah, ok := exactString(m, "at_hash"); ok && ah != "" {
		sum := sha256.Sum256([]byte(accessToken))
		if ah != fuzzB64(sum[:16]) {
			return errors.New("at_hash")
		}
	}
	return nil
}

// oracleUserInfoJWT re-checks the userinfo JWT rules.
func oracleUserInfoJWT(payload []byte, subject string) error {
	m, ok := exactObject(payload)
	if !ok {
		return errors.New("claims are not an object")
	}
	if iss, ok := exactString(m, "iss"); !ok || iss != fuzzIssuer {
		return fmt.Errorf("iss %q", iss)
	}
	if err := oracleAudience(m); err != nil {
		return err
	}
	if _, present := m["exp"]; present && string(m["exp"]) != "null" {
		exp, ok := exactNumber(m, "exp")
		if !ok || exp+30 < float64(fuzzNow.Unix())-1 {
			return fmt.Errorf("exp %v", exp)
		}
	}
	if sub, ok := exactString(m, "sub"); !ok || sub == "" || sub != subject {
		return fmt.Errorf("sub %q", sub)
	}
	return nil
}

// oracleIdentity re-checks a parsed identity against the exact claims.
func oracleIdentity(claims []byte, id *Identity) error {
	m, ok := exactObject(claims)
	if !ok {
		return errors.New("claims are not an object")
	}
	if sub, ok := exactString(m, "sub"); !ok || sub == "" || sub != id.Subject {
		return fmt.Errorf("sub %q, parsed %q", sub, id.Subject)
	}
	for name, got := range map[string]string{
		"given_name": id.GivenName, "family_name": id.FamilyName, "preferred_username": id.PreferredUsername,
		"gender": string(id.Gender), "birthplace": id.Birthplace, "birthcountry": id.Birthcountry,
		"email": id.Email, "idp_id": id.IDPID, "phone_number": id.PhoneNumber,
	} {
		want, _ := exactString(m, name)
		if want != got {
			return fmt.Errorf("%s %q, parsed %q", name, want, got)
		}
	}
	if bd, ok := exactString(m, "birthdate"); ok {
		b, err := ParseBirthdate(bd)
		if err != nil || b != id.Birthdate || b.String() != bd {
			return fmt.Errorf("birthdate %q, parsed %v", bd, id.Birthdate)
		}
	} else if !id.Birthdate.IsZero() {
		return errors.New("birthdate parsed from nothing")
	}
	switch id.Gender {
	case "", GenderMale, GenderFemale, GenderUnspecified:
	default:
		return fmt.Errorf("gender %q", id.Gender)
	}
	if id.Birthplace != "" && !isCOG(id.Birthplace) {
		return fmt.Errorf("birthplace %q", id.Birthplace)
	}
	if id.Birthcountry != "" && (len(id.Birthcountry) != 5 || !strings.HasPrefix(id.Birthcountry, "99")) {
		return fmt.Errorf("birthcountry %q", id.Birthcountry)
	}
	var all map[string]any
	if err := id.Claims(&all); err != nil || len(all) != len(m) {
		return fmt.Errorf("Claims gives %d members of %d: %v", len(all), len(m), err)
	}
	return nil
}

// plusFixture is a FranceConnect+ client of the same provider: tokens are
// the provider's signed JWTs, encrypted for one of two decryption keys
// (ECDH-ES with a fixed P-256 key, RSA-OAEP-256 with a fresh RSA key).
type plusFixture struct {
	c      *Client
	req    *AuthRequest
	ec, rs jose.JSONWebKey
}

var plusFuzzSetup = sync.OnceValue(func() *plusFixture {
	fx := fuzzSetup()
	d := sha256.Sum256([]byte("franceconnect plus fuzz key"))
	ecPriv, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
	if err != nil {
		panic(err)
	}
	rsPriv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	ec := jose.JSONWebKey{Key: ecPriv, KeyID: "enc-ec", Algorithm: string(jose.ECDH_ES), Use: "enc"}
	rs := jose.JSONWebKey{Key: rsPriv, KeyID: "enc-rsa", Algorithm: string(jose.RSA_OAEP_256), Use: "enc"}
	env, err := NewEnvironment(FranceConnectPlus, fuzzIssuer)
	if err != nil {
		panic(err)
	}
	c, err := New(Config{
		Environment:    env,
		ClientID:       fuzzClientID,
		ClientSecret:   fuzzSecret,
		RedirectURL:    "https://portail.example/fc/callback",
		Algorithm:      "ES256",
		ACRValues:      []ACR{EIDAS2},
		DecryptionKeys: []jose.JSONWebKey{ec, rs},
		HTTPClient:     fx.c.cfg.HTTPClient,
		Now:            func() time.Time { return fuzzNow },
	})
	if err != nil {
		panic(err)
	}
	req := &AuthRequest{State: fuzzState, Nonce: fuzzNonce, Expiry: fuzzNow.Add(10 * time.Minute)}
	return &plusFixture{c: c, req: req, ec: ec, rs: rs}
})

// encrypt makes a compact JWE of inner for key, with extra headers.
func (px *plusFixture) encrypt(inner string, key jose.JSONWebKey, enc jose.ContentEncryption, opts *jose.EncrypterOptions) string {
	if opts == nil {
		opts = &jose.EncrypterOptions{}
	}
	e, err := jose.NewEncrypter(enc, jose.Recipient{Algorithm: jose.KeyAlgorithm(key.Algorithm), Key: key.Public().Key, KeyID: key.KeyID}, opts)
	if err != nil {
		panic(err)
	}
	obj, err := e.Encrypt([]byte(inner))
	if err != nil {
		panic(err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return out
}

// oraclePlusHeader checks the protected header of a JWE FranceConnect+
// may send.
func oraclePlusHeader(raw string) error {
	parts := strings.Split(raw, ".")
	if len(parts) != 5 {
		return fmt.Errorf("%d parts", len(parts))
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return err
	}
	h, ok := exactObject(hb)
	if !ok {
		return errors.New("header is not an object")
	}
	switch alg, _ := exactString(h, "alg"); alg {
	case string(jose.RSA_OAEP), string(jose.RSA_OAEP_256), string(jose.ECDH_ES):
	default:
		return fmt.Errorf("alg %q", alg)
	}
	if enc, _ := exactString(h, "enc"); enc != "A256GCM" {
		return fmt.Errorf("enc %q", enc)
	}
	if cty, _ := exactString(h, "cty"); !strings.EqualFold(cty, "JWT") {
		return fmt.Errorf("cty %q", cty)
	}
	for _, name := range []string{"zip", "crit"} {
		if _, ok := h[name]; ok {
			return fmt.Errorf("%s present", name)
		}
	}
	if kid, _ := exactString(h, "kid"); kid != "" && kid != "enc-ec" && kid != "enc-rsa" {
		return fmt.Errorf("kid %q", kid)
	}
	return nil
}

// TestFuzzOraclesAcceptValidInput keeps the fuzz targets honest: their
// valid seeds pass both the library and the oracles, so "no oracle
// failure" is not vacuous.
func TestFuzzOraclesAcceptValidInput(t *testing.T) {
	fx := fuzzSetup()
	idt := fx.p.sign(fuzzES256Header, fuzzJSON(fuzzIDClaims()))
	fx.p.mu.Lock()
	_, err := fx.c.verifyIDToken(context.Background(), idt, fx.req, fuzzAccess)
	fx.p.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	p, err := oracleJWS(fx.p, idt)
	if err != nil {
		t.Fatal(err)
	}
	if err := oracleIDToken(p, fuzzAccess); err != nil {
		t.Fatal(err)
	}

	ui := fx.p.sign(fuzzES256Header, fuzzJSON(fuzzUserInfoClaims()))
	fx.p.mu.Lock()
	defer fx.p.mu.Unlock()
	fx.p.tokenStatus = 200
	fx.p.tokenBody = fuzzJSON(map[string]any{"access_token": fuzzAccess, "token_type": "Bearer", "expires_in": 60, "id_token": idt, "scope": "openid"})
	fx.p.userInfoType, fx.p.userInfoBody = "application/jwt", []byte(ui)
	res, err := fx.c.exchange(context.Background(), fx.req, url.Values{"code": {"abc"}, "state": {fuzzState}, "iss": {fuzzIssuer}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Identity.FamilyName != "DUBOIS" || res.IDToken.Subject != fuzzSub {
		t.Fatalf("%+v", res.Identity)
	}
	if err := oracleIdentity(fuzzJSON(fuzzUserInfoClaims()), res.Identity); err != nil {
		t.Fatal(err)
	}
	if n := fx.p.jwksCalls.Load(); n != 1 {
		t.Fatalf("%d JWKS fetches", n)
	}

	px := plusFuzzSetup()
	claims := fuzzIDClaims()
	claims["acr"] = "eidas3"
	for _, key := range []jose.JSONWebKey{px.ec, px.rs} {
		jwe := px.encrypt(fx.p.sign(fuzzES256Header, fuzzJSON(claims)), key, jose.A256GCM, (&jose.EncrypterOptions{}).WithContentType("JWT"))
		jws, err := px.c.openToken(context.Background(), jwe)
		if err != nil {
			t.Fatal(err)
		}
		if err := oraclePlusHeader(jwe); err != nil {
			t.Fatal(err)
		}
		if _, err := px.c.verifyIDToken(context.Background(), jws, px.req, fuzzAccess); err != nil {
			t.Fatal(err)
		}
	}
}
