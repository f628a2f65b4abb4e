package fctest

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"sync"
)

// Signing algorithms a client can register.
const (
	// ES256 is ECDSA P-256 with SHA-256, FranceConnect's recommended algorithm.
	ES256 = "ES256"
	// RS256 is RSASSA-PKCS1-v1_5 with SHA-256.
	RS256 = "RS256"
	// HS256 is HMAC SHA-256 keyed with the client secret, which ProConnect
	// offers (and FranceConnect v1 used).
	HS256 = "HS256"
)

// keyPair is a server's signing keys: one EC P-256 key for ES256 and one
// RSA-2048 key for RS256, as FranceConnect publishes.
type keyPair struct {
	ec    *ecdsa.PrivateKey
	ecKid string
	rsa   *rsa.PrivateKey
	rsKid string
}

// sharedKeys is generated once and used by every server until it rotates
// its keys: RSA generation is too slow to repeat for each of many parallel
// tests.
var sharedKeys = sync.OnceValue(mustGenerateKeys)

func mustGenerateKeys() *keyPair {
	kp, err := generateKeys()
	if err != nil {
		panic("fctest: generating signing keys: " + err.Error())
	}
	return kp
}

func generateKeys() (*keyPair, error) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	kp := &keyPair{ec: ec, rsa: rk}
	// FranceConnect's kids look like "pkcs11:ES256:hsm"; a thumbprint
	// suffix makes ours unique so that rotation changes them.
	kp.ecKid = "pkcs11:ES256:hsm:" + thumbprint(ecJWK(&ec.PublicKey, "", ""))[:16]
	kp.rsKid = "pkcs11:RS256:hsm:" + thumbprint(rsaJWK(&rk.PublicKey, "", ""))[:16]
	return kp, nil
}

// kid returns the key id for alg.
func (kp *keyPair) kid(alg string) string {
	if alg == RS256 {
		return kp.rsKid
	}
	return kp.ecKid
}

// public returns the public key for alg (ES256 or RS256).
func (kp *keyPair) public(alg string) any {
	if alg == RS256 {
		return &kp.rsa.PublicKey
	}
	return &kp.ec.PublicKey
}

// publicPEM returns the PKIX PEM encoding of the public key for alg.
func (kp *keyPair) publicPEM(alg string) []byte {
	der, err := x509.MarshalPKIXPublicKey(kp.public(alg))
	if err != nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// jwks returns the public keys as JWK objects.
func (kp *keyPair) jwks() []json.RawMessage {
	return []json.RawMessage{
		mustJSON(ecJWK(&kp.ec.PublicKey, kp.ecKid, ES256)),
		mustJSON(rsaJWK(&kp.rsa.PublicKey, kp.rsKid, RS256)),
	}
}

// badJWKs are keys no JOSE library can parse, for the JWKSWithBadKeys fault.
var badJWKsBefore = []json.RawMessage{
	json.RawMessage(`{"kty":"EC","use":"sig","crv":"P-256","kid":"fctest-bad-ec","alg":"ES256","x":"AAAA","y":"AAAA"}`),
	json.RawMessage(`{"kty":"RSA","use":"sig","kid":"fctest-bad-rsa","alg":"RS256","n":"@@not base64@@","e":"AQAB"}`),
}

var badJWKsAfter = []json.RawMessage{
	json.RawMessage(`{"kty":"XYZ","use":"sig","kid":"fctest-unknown-kty","alg":"XYZ256"}`),
	json.RawMessage(`{"use":"sig","kid":"fctest-no-kty","alg":"ES256"}`),
}

// jwk is a public JWK with members in a stable order.
type jwk struct {
	Kty string `json:"kty"`
	Use string `json:"use,omitempty"`
	Crv string `json:"crv,omitempty"`
	Kid string `json:"kid,omitempty"`
	Alg string `json:"alg,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
}

func ecJWK(pub *ecdsa.PublicKey, kid, alg string) jwk {
	k := jwk{Kty: "EC", Crv: "P-256", Kid: kid, Alg: alg}
	if alg != "" {
		k.Use = "sig"
	}
	if raw, err := pub.Bytes(); err == nil && len(raw) == 65 {
		k.X = b64(raw[1:33])
		k.Y = b64(raw[33:])
	}
	return k
}

func rsaJWK(pub *rsa.PublicKey, kid, alg string) jwk {
	k := jwk{Kty: "RSA", Kid: kid, Alg: alg, N: b64(pub.N.Bytes())}
	if alg != "" {
		k.Use = "sig"
	}
	var e [8]byte
	binary.BigEndian.PutUint64(e[:], uint64(pub.E))
	k.E = b64(new(big.Int).SetBytes(e[:]).Bytes())
	return k
}

// thumbprint is the RFC 7638 thumbprint of a public JWK, in hex.
func thumbprint(k jwk) string {
	var canonical string
	if k.Kty == "EC" {
		canonical = fmt.Sprintf(`{"crv":%q,"kty":"EC","x":%q,"y":%q}`, k.Crv, k.X, k.Y)
	} else {
		canonical = fmt.Sprintf(`{"e":%q,"kty":"RSA","n":%q}`, k.E, k.N)
	}
	sum := sha256.Sum256([]byte(canonical))
	return hex.EncodeToString(sum[:])
}

// signMode says how to sign a JWS; the zero value signs normally with the
// client's algorithm and announces its kid.
type signMode struct {
	alg         string // ES256 or RS256: the key used
	noKid       bool
	kid         string // overrides the announced kid when not empty
	algNone     bool   // unsigned
	hmacKey     []byte // HS256 with this key
	hmacWithKid bool   // keep a kid header with HS256
	corrupt     bool   // XOR the signature with 0x5A
}

// sign returns a compact JWS of claims.
func (kp *keyPair) sign(claims any, m signMode) (string, error) {
	payload, err := marshalJSON(claims)
	if err != nil {
		return "", err
	}
	header := struct {
		Alg string `json:"alg"`
		Kid string `json:"kid,omitempty"`
	}{Alg: m.alg}
	if !m.noKid {
		header.Kid = kp.kid(m.alg)
		if m.kid != "" {
			header.Kid = m.kid
		}
	}
	switch {
	case m.algNone:
		header = struct {
			Alg string `json:"alg"`
			Kid string `json:"kid,omitempty"`
		}{Alg: "none"}
	case m.hmacKey != nil:
		header.Alg = "HS256"
		if !m.hmacWithKid && m.kid == "" {
			header.Kid = ""
		}
	}
	input := b64(mustJSON(header)) + "." + b64(payload)
	if m.algNone {
		return input + ".", nil
	}
	var sig []byte
	switch {
	case m.hmacKey != nil:
		mac := hmac.New(sha256.New, m.hmacKey)
		mac.Write([]byte(input))
		sig = mac.Sum(nil)
	case m.alg == RS256:
		sum := sha256.Sum256([]byte(input))
		sig, err = rsa.SignPKCS1v15(nil, kp.rsa, crypto.SHA256, sum[:])
	default:
		sum := sha256.Sum256([]byte(input))
		var r, s *big.Int
		r, s, err = ecdsa.Sign(rand.Reader, kp.ec, sum[:])
		if err == nil {
			sig = make([]byte, 64)
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
		}
	}
	if err != nil {
		return "", err
	}
	if m.corrupt {
		for i := range sig {
			sig[i] ^= 0x5A
		}
	}
	return input + "." + b64(sig), nil
}

// otherAlg returns the algorithm that is not alg.
func otherAlg(alg string) string {
	if alg == RS256 {
		return ES256
	}
	return RS256
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// marshalJSON is json.Marshal without HTML escaping.
func marshalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("fctest: " + err.Error()) // only called on types that always marshal
	}
	return b
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// randomToken returns a random base64url string of 32 bytes (43 chars).
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return b64(b)
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return strings.Join([]string{h[:8], h[8:12], h[12:16], h[16:20], h[20:]}, "-")
}
