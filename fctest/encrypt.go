package fctest

// FranceConnect+ encryption of ID tokens and userinfo, with its faults.

import (
	"crypto/rand"
	"encoding/base64"
	"strings"

	jose "github.com/go-jose/go-jose/v4"
)

// encrypt wraps jws in a JWE for the client's first encryption key on a
// FranceConnect+ server, applying the faults f; elsewhere it returns jws.
func (s *Server) encrypt(c Registration, jws string, f jweFaults) (string, error) {
	if !s.plus || s.hasFor(c.ID, f.notEncrypted) || len(c.EncryptionKeys) == 0 {
		return jws, nil
	}
	rcpt := s.recipient(c, f)
	enc := jose.A256GCM
	if s.hasFor(c.ID, f.wrongEnc) {
		enc = jose.A128GCM
	}
	if s.hasFor(c.ID, f.unknownKid) {
		rcpt.KeyID = "fctest-unknown-" + randomHex(8)
	}
	// FranceConnect+ repeats iss and aud in the header (before 2026 it did
	// not: a client must accept both).
	opts := (&jose.EncrypterOptions{}).WithHeader("iss", s.issuer).WithHeader("aud", c.ID)
	if !s.hasFor(c.ID, f.noCty) {
		opts = opts.WithContentType("JWT")
	}
	e, err := jose.NewEncrypter(enc, rcpt, opts)
	if err != nil {
		return "", err
	}
	obj, err := e.Encrypt([]byte(jws))
	if err != nil {
		return "", err
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		return "", err
	}
	if s.hasFor(c.ID, f.tampered) {
		out = tamperTag(out)
	}
	return out, nil
}

// recipient is the client's first encryption key, or what the faults f
// put in its place.
func (s *Server) recipient(c Registration, f jweFaults) jose.Recipient {
	k := c.EncryptionKeys[0]
	alg := jose.KeyAlgorithm(k.Algorithm)
	switch {
	case s.hasFor(c.ID, f.dir):
		cek := make([]byte, 32)
		_, _ = rand.Read(cek)
		return jose.Recipient{Algorithm: jose.DIRECT, Key: cek, KeyID: k.KeyID}
	case s.hasFor(c.ID, f.pbes2):
		// A low iteration count: the client refuses PBES2 from its header
		// anyway, and go-jose's default (600,000) costs a second a token
		// under the race detector.
		return jose.Recipient{Algorithm: jose.PBES2_HS256_A128KW, Key: []byte(c.Secret), KeyID: k.KeyID, PBES2Count: 1000}
	case s.hasFor(c.ID, f.otherAlg) && alg == jose.RSA_OAEP:
		alg = jose.RSA_OAEP_256
	case s.hasFor(c.ID, f.otherAlg) && alg == jose.RSA_OAEP_256:
		alg = jose.RSA_OAEP
	case s.hasFor(c.ID, f.otherAlg):
		alg = jose.ECDH_ES_A256KW
	}
	return jose.Recipient{Algorithm: alg, Key: k.Key, KeyID: k.KeyID}
}

// tamperTag flips the bits of the first byte of a compact JWE's tag.
func tamperTag(jwe string) string {
	i := strings.LastIndexByte(jwe, '.')
	tag, err := base64.RawURLEncoding.DecodeString(jwe[i+1:])
	if err != nil || len(tag) == 0 {
		return jwe + "x"
	}
	tag[0] ^= 0xFF
	return jwe[:i+1] + b64(tag)
}
