package fctest

import (
	"cmp"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	jose "github.com/go-jose/go-jose/v4"
)

// FranceConnect+ mode (Options.Federation FranceConnectPlus): the server's
// /api/v2 behaves like FranceConnect+ (core-fcp-high):
//
//   - authorize accepts acr_values eidas2 or eidas3 and redirects
//     error=invalid_acr for eidas1 (or no known level);
//   - the ID token's acr is the requested level, or User.ACR when set;
//   - clients sign with ES256 only, and must register their public
//     encryption keys (Registration.EncryptionKeys);
//   - ID tokens and userinfo are signed with ES256, then encrypted for the
//     client's first encryption key: compact JWE with that key's algorithm
//     (RSA-OAEP, RSA-OAEP-256 or ECDH-ES) and kid, enc A256GCM, cty JWT;
//   - the JWKS has the ES256 key only; discovery announces eidas2/eidas3,
//     ES256 and the encryption algorithms;
//   - logout expects the decrypted (signed) ID token as id_token_hint: a
//     JWE is refused.
//
// Scopes and claims are FranceConnect's (the rnipp_* scopes of
// FranceConnect+ are not implemented).

// Key management algorithms a FranceConnect+ client's encryption key can
// have.
const (
	RSAOAEP    = "RSA-OAEP"
	RSAOAEP256 = "RSA-OAEP-256"
	ECDHES     = "ECDH-ES"
)

// jweFaults are the faults of one encrypted response.
type jweFaults struct {
	notEncrypted, unknownKid, dir, pbes2, wrongEnc, otherAlg, tampered, noCty Fault
}

var (
	idTokenJWE = jweFaults{IDTokenNotEncrypted, IDTokenJWEUnknownKid, IDTokenJWEDir, IDTokenJWEPBES2,
		IDTokenJWEWrongEnc, IDTokenJWEOtherAlg, IDTokenJWETampered, IDTokenJWENoCty}
	userInfoJWE = jweFaults{UserInfoNotEncrypted, UserInfoJWEUnknownKid, UserInfoJWEDir, UserInfoJWEPBES2,
		UserInfoJWEWrongEnc, UserInfoJWEOtherAlg, UserInfoJWETampered, UserInfoJWENoCty}
)

// registerPlus checks a client's encryption keys and keeps their public
// parts. It panics on a FranceConnect+ client without keys or with
// another algorithm than ES256, and on another client with keys.
func (s *Server) registerPlus(c Registration) Registration {
	if !s.plus {
		if len(c.EncryptionKeys) > 0 {
			panic("fctest: Registration.EncryptionKeys: only FranceConnect+ encrypts")
		}
		return c
	}
	if c.Alg != ES256 {
		panic(fmt.Sprintf("fctest: Registration.Alg %q: FranceConnect+ signs with ES256 only", c.Alg))
	}
	if len(c.EncryptionKeys) == 0 {
		panic("fctest: Registration.EncryptionKeys is empty: FranceConnect+ encrypts for the client's key")
	}
	keys := make([]jose.JSONWebKey, len(c.EncryptionKeys))
	for i, k := range c.EncryptionKeys {
		keys[i] = publicEncryptionKey(i, k)
	}
	c.EncryptionKeys = keys
	return c
}

// publicEncryptionKey returns the public part of a registration's i-th
// encryption key with its algorithm, or panics with what is wrong.
func publicEncryptionKey(i int, k jose.JSONWebKey) jose.JSONWebKey {
	pub := k.Public()
	if !pub.Valid() || !pub.IsPublic() {
		panic(fmt.Sprintf("fctest: Registration.EncryptionKeys[%d]: not an RSA or EC key", i))
	}
	alg := k.Algorithm
	switch key := pub.Key.(type) {
	case *rsa.PublicKey:
		alg = cmp.Or(alg, RSAOAEP)
		if alg != RSAOAEP && alg != RSAOAEP256 {
			panic(fmt.Sprintf("fctest: Registration.EncryptionKeys[%d]: alg %q for an RSA key: want RSA-OAEP or RSA-OAEP-256", i, alg))
		}
	case *ecdsa.PublicKey:
		alg = cmp.Or(alg, ECDHES)
		if alg != ECDHES || key.Curve != elliptic.P256() {
			panic(fmt.Sprintf("fctest: Registration.EncryptionKeys[%d]: want a P-256 key with alg ECDH-ES", i))
		}
	default:
		panic(fmt.Sprintf("fctest: Registration.EncryptionKeys[%d]: %T is not an RSA or EC key", i, pub.Key))
	}
	return jose.JSONWebKey{Key: pub.Key, KeyID: k.KeyID, Algorithm: alg, Use: "enc"}
}

// requestedACR applies the acr_values rules and returns the level to
// deliver, or the error_description of an invalid_acr error. FranceConnect
// delivers eidas1 whatever is asked among known levels, and refuses a
// request for eidas2 or eidas3 only; FranceConnect+ delivers the lowest of
// eidas2 and eidas3 requested, and refuses eidas1 and unknown levels.
func (s *Server) requestedACR(values string) (acr, invalid string) {
	acr = resolveACR(values)
	switch {
	case s.v1:
		return "eidas1", ""
	case !s.plus && acr != "eidas1":
		return "", "acr_value is not valid, should be equal one of these values, expected eidas1, got " + acr
	case !s.plus:
		return acr, ""
	}
	fields := strings.Fields(values)
	for _, level := range []string{"eidas2", "eidas3"} {
		if slices.Contains(fields, level) && !slices.Contains(fields, "eidas1") {
			return level, ""
		}
	}
	return "", "acr_value is not valid, should be equal one of these values, expected eidas2,eidas3, got " + values
}

// tokenACR is the acr claim of an ID token for code.
func (s *Server) tokenACR(code *authCode) string {
	switch {
	case s.pc:
		return code.acr
	case !s.plus || code.acr == "":
		return "eidas1"
	case code.user.ACR != "":
		return code.user.ACR
	}
	return code.acr
}

// plusDiscovery adapts the discovery document to FranceConnect+.
func (s *Server) plusDiscovery(doc *discovery) {
	if !s.plus {
		return
	}
	algs := []string{ECDHES, RSAOAEP, RSAOAEP256}
	doc.AcrValuesSupported = []string{"eidas2", "eidas3"}
	doc.IDTokenSigningAlgValuesSupported = []string{ES256}
	doc.UserinfoSigningAlgValuesSupported = []string{ES256}
	doc.TokenEndpointAuthSigningAlgs = []string{ES256}
	doc.IDTokenEncryptionAlgValuesSupported = algs
	doc.IDTokenEncryptionEncValuesSupported = []string{"A256GCM"}
	doc.UserinfoEncryptionAlgValuesSupported = algs
	doc.UserinfoEncryptionEncValuesSupported = []string{"A256GCM"}
}

// plusJWKS is the FranceConnect+ key set: the ES256 key only.
func (kp *keyPair) plusJWKS() []json.RawMessage {
	return []json.RawMessage{mustJSON(ecJWK(&kp.ec.PublicKey, kp.ecKid, ES256))}
}

// clientKeys are the keys ClientKey returns, generated once per algorithm.
var clientKeys sync.Map // alg -> func() jose.JSONWebKey

// ClientKey returns a private encryption key for a FranceConnect+ client
// under test, to put in franceconnect.Config.DecryptionKeys and (its public
// part, or the key itself: the server keeps only the public part) in
// [Registration.EncryptionKeys]. alg is RSAOAEP, RSAOAEP256 or ECDHES; RSA keys
// are 2048 bits. The key is generated once per algorithm and process, with
// kid "fctest-" + alg, so that many tests stay fast: use
// franceconnect.GenerateEncryptionKey for distinct keys. It panics on
// another alg.
func ClientKey(alg string) jose.JSONWebKey {
	switch alg {
	case RSAOAEP, RSAOAEP256, ECDHES:
	default:
		panic(fmt.Sprintf("fctest: ClientKey(%q): want RSA-OAEP, RSA-OAEP-256 or ECDH-ES", alg))
	}
	f, _ := clientKeys.LoadOrStore(alg, sync.OnceValue(func() jose.JSONWebKey {
		var key any
		var err error
		if alg == ECDHES {
			key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		} else {
			key, err = rsa.GenerateKey(rand.Reader, 2048)
		}
		if err != nil {
			panic("fctest: generating a client key: " + err.Error())
		}
		return jose.JSONWebKey{Key: key, KeyID: "fctest-" + alg, Algorithm: alg, Use: "enc"}
	}))
	return f.(func() jose.JSONWebKey)()
}
