package franceconnect

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/go-jose/go-jose/v4"
)

// FranceConnect+ (eIDAS substantial and high) signs its ID tokens and
// userinfo with ES256, then encrypts them for the service's public key:
// a compact JWE whose key management algorithm is RSA-OAEP, RSA-OAEP-256
// or ECDH-ES, content encryption A256GCM, content type JWT, and kid the
// service's key. The service publishes its public keys as a JWKS
// ([Client.EncryptionKeysHandler]) and keeps the private ones in
// Config.DecryptionKeys.
//
// This file decrypts (openToken, before the usual signature and claim
// checks), validates the keys, publishes them and generates new ones.

// Key management algorithms FranceConnect+ encrypts with.
const (
	KeyAlgRSAOAEP    = string(jose.RSA_OAEP)     // RSA-OAEP (SHA-1 and MGF1-SHA-1, as RFC 7518 defines it)
	KeyAlgRSAOAEP256 = string(jose.RSA_OAEP_256) // RSA-OAEP-256
	KeyAlgECDHES     = string(jose.ECDH_ES)      // ECDH-ES on P-256, direct key agreement
)

// plusKeyAlgorithms are the only key management algorithms accepted.
// Neither "dir", nor key wrapping (A*KW, ECDH-ES+A*KW), nor PBES2 (whose
// iteration count an attacker chooses).
var plusKeyAlgorithms = []jose.KeyAlgorithm{jose.RSA_OAEP, jose.RSA_OAEP_256, jose.ECDH_ES}

// plusContentEncryption is the only content encryption accepted.
var plusContentEncryption = []jose.ContentEncryption{jose.A256GCM}

const (
	// minRSABits is the smallest RSA decryption key accepted.
	minRSABits = 2048
	// generatedRSABits is the size of the RSA keys GenerateEncryptionKey makes.
	generatedRSABits = 3072
	// maxDecryptionKeys bounds Config.DecryptionKeys (rotation needs two).
	maxDecryptionKeys = 16
	// jwksMaxAge is how long browsers and FranceConnect+ may cache the
	// published encryption keys.
	jwksMaxAge = 3600
)

// isPlusKeyAlg reports whether alg is one of the accepted algorithms.
func isPlusKeyAlg(alg string) bool {
	return slices.Contains(plusKeyAlgorithms, jose.KeyAlgorithm(alg))
}

// checkPlusFields validates Config.DecryptionKeys against the environment
// and keeps a private copy of the slice.
func (c *Config) checkPlusFields() []string {
	if !c.Environment.Plus {
		if len(c.DecryptionKeys) > 0 {
			return []string{"DecryptionKeys are for FranceConnect+ only: FranceConnect (eIDAS low) does not encrypt tokens; remove them, or use PlusIntegration, PlusProduction or NewPlusEnvironment"}
		}
		return nil
	}
	if len(c.DecryptionKeys) == 0 {
		return []string{"DecryptionKeys is empty: FranceConnect+ encrypts ID tokens and userinfo for the service's key; " +
			"create one with GenerateEncryptionKey, keep the private key here and publish its public part with EncryptionKeysHandler"}
	}
	if len(c.DecryptionKeys) > maxDecryptionKeys {
		return []string{fmt.Sprintf("DecryptionKeys has %d keys, more than %d", len(c.DecryptionKeys), maxDecryptionKeys)}
	}
	var problems []string
	seen := map[string]bool{}
	for i, k := range c.DecryptionKeys {
		if err := checkDecryptionKey(k); err != nil {
			problems = append(problems, fmt.Sprintf("DecryptionKeys[%d]: %v", i, err))
			continue
		}
		if seen[k.KeyID] {
			problems = append(problems, fmt.Sprintf("DecryptionKeys[%d]: kid %s is used by another key: kids must be unique", i, safe(k.KeyID)))
		}
		seen[k.KeyID] = true
	}
	c.DecryptionKeys = slices.Clone(c.DecryptionKeys)
	return problems
}

// checkDecryptionKey accepts a private RSA key (at least 2048 bits) for
// RSA-OAEP or RSA-OAEP-256, or a private EC P-256 key for ECDH-ES, with a
// kid and, if use is set, use "enc".
func checkDecryptionKey(k jose.JSONWebKey) error {
	switch {
	case k.KeyID == "":
		return errors.New("kid is empty: FranceConnect+ names the key it encrypted for by its kid")
	case len(k.KeyID) > maxClaimLen:
		return fmt.Errorf("kid is longer than %d bytes", maxClaimLen)
	case k.Use != "" && k.Use != "enc":
		return fmt.Errorf("kid %s has use %s: a decryption key has use \"enc\" (or none)", safe(k.KeyID), safe(k.Use))
	case k.Algorithm == "":
		return fmt.Errorf("kid %s has no alg: set the algorithm registered with FranceConnect+ (RSA-OAEP, RSA-OAEP-256 or ECDH-ES)", safe(k.KeyID))
	case !isPlusKeyAlg(k.Algorithm):
		return fmt.Errorf("kid %s has alg %s: FranceConnect+ encrypts with RSA-OAEP, RSA-OAEP-256 or ECDH-ES", safe(k.KeyID), safe(k.Algorithm))
	}
	switch key := k.Key.(type) {
	case *rsa.PrivateKey:
		if k.Algorithm == KeyAlgECDHES {
			return fmt.Errorf("kid %s: ECDH-ES needs an EC P-256 key, not RSA", safe(k.KeyID))
		}
		if key.N == nil || key.N.BitLen() < minRSABits {
			return fmt.Errorf("kid %s: RSA key shorter than %d bits", safe(k.KeyID), minRSABits)
		}
		if err := key.Validate(); err != nil {
			return fmt.Errorf("kid %s: invalid RSA private key", safe(k.KeyID))
		}
	case *ecdsa.PrivateKey:
		if k.Algorithm != KeyAlgECDHES {
			return fmt.Errorf("kid %s: %s needs an RSA key, not EC", safe(k.KeyID), k.Algorithm)
		}
		if key.Curve != elliptic.P256() || !k.Valid() {
			return fmt.Errorf("kid %s: ECDH-ES needs a P-256 key", safe(k.KeyID))
		}
	case *rsa.PublicKey, *ecdsa.PublicKey:
		return fmt.Errorf("kid %s is a public key: DecryptionKeys need the private key (its public part is what EncryptionKeysHandler publishes)", safe(k.KeyID))
	case nil:
		return fmt.Errorf("kid %s has no key material", safe(k.KeyID))
	default:
		return fmt.Errorf("kid %s is a %T: want an RSA or EC P-256 private key", safe(k.KeyID), k.Key)
	}
	return nil
}

// openToken returns the signed JWT inside raw. On FranceConnect+ raw must
// be a compact JWE as described at the top of this file, encrypted for
// one of Config.DecryptionKeys; elsewhere raw must not be encrypted, and
// is returned as is. The inner JWT's signature is not checked here.
//
// Errors: ErrAlgorithm for a plain JWS on FranceConnect+, a JWE
// elsewhere, an algorithm other than those above (PBES2, dir, key
// wrapping, another enc, compression) or a key configured for another
// algorithm; ErrUnknownKey for a kid that is none of DecryptionKeys';
// ErrDecryption when the ciphertext does not open; ErrMalformedToken for
// the rest.
func (c *Client) openToken(ctx context.Context, raw string) (string, error) {
	plainJWS := len(raw) <= maxTokenSize && strings.Count(raw, ".") == 2
	if !c.cfg.Environment.Plus {
		if len(raw) <= maxTokenSize && strings.Count(raw, ".") == 4 {
			return "", fmt.Errorf("%w: the token is encrypted (JWE), which only FranceConnect+ does; this environment is not FranceConnect+", ErrAlgorithm)
		}
		return raw, nil
	}
	if plainJWS {
		return "", fmt.Errorf("%w: FranceConnect+ tokens are encrypted (JWE), this one is only signed (JWS)", ErrAlgorithm)
	}
	if err := checkTokenShape(raw, 5); err != nil {
		return "", err
	}
	jwe, err := jose.ParseEncryptedCompact(raw, plusKeyAlgorithms, plusContentEncryption)
	if err != nil {
		return "", classifyJWEError(raw)
	}
	h := jwe.Header
	if err := checkJWEHeader(h); err != nil {
		return "", err
	}
	if err := c.checkJWEIssuer(h); err != nil {
		return "", err
	}
	key, err := c.decryptionKey(h.KeyID, h.Algorithm)
	if err != nil {
		return "", err
	}
	plaintext, err := jwe.Decrypt(key.Key)
	if err != nil {
		return "", fmt.Errorf("%w: %s with key %s", ErrDecryption, h.Algorithm, safe(key.KeyID))
	}
	inner := string(plaintext)
	if strings.Count(inner, ".") != 2 {
		return "", fmt.Errorf("%w: the decrypted content is not a signed JWT (JWS)", ErrMalformedToken)
	}
	c.logDebug(ctx, "franceconnect: token decrypted", slog.String("kid", key.KeyID), slog.String("alg", h.Algorithm))
	return inner, nil
}

// checkJWEIssuer checks the iss and aud FranceConnect+ repeats in the JWE
// header, when present, before any decryption: a token of another provider
// or for another service is refused without spending a private-key
// operation on it. The signed token inside is checked again as usual.
func (c *Client) checkJWEIssuer(h jose.Header) error {
	if iss, ok := h.ExtraHeaders["iss"]; ok && iss != c.cfg.Environment.Issuer {
		return fmt.Errorf("%w: the JWE header's iss is not the environment's issuer", ErrIssuerMismatch)
	}
	if aud, ok := h.ExtraHeaders["aud"]; ok && aud != c.cfg.ClientID {
		return fmt.Errorf("%w: the JWE header's aud is not the client ID", ErrAudienceMismatch)
	}
	return nil
}

// checkJWEHeader checks what ParseEncryptedCompact leaves to us: content
// type JWT, no compression, no critical extension.
func checkJWEHeader(h jose.Header) error {
	if _, ok := h.ExtraHeaders["zip"]; ok {
		return fmt.Errorf("%w: compressed (zip) JWE: FranceConnect+ does not compress", ErrAlgorithm)
	}
	if _, ok := h.ExtraHeaders["crit"]; ok {
		return fmt.Errorf("%w: JWE with critical header parameters (crit)", ErrMalformedToken)
	}
	cty, _ := h.ExtraHeaders[jose.HeaderContentType].(string)
	if !strings.EqualFold(cty, "JWT") {
		return fmt.Errorf("%w: JWE content type (cty) is %s, want JWT", ErrMalformedToken, safe(cty))
	}
	return nil
}

// decryptionKey returns the key of Config.DecryptionKeys with that kid, or
// when the header has no kid, the only key for alg. The key's algorithm
// must be alg.
func (c *Client) decryptionKey(kid, alg string) (jose.JSONWebKey, error) {
	keys := c.cfg.DecryptionKeys
	if kid == "" {
		var found []jose.JSONWebKey
		for _, k := range keys {
			if k.Algorithm == alg {
				found = append(found, k)
			}
		}
		if len(found) != 1 {
			return jose.JSONWebKey{}, fmt.Errorf("%w: the JWE has no kid and %d decryption keys are configured for %s", ErrUnknownKey, len(found), alg)
		}
		return found[0], nil
	}
	for _, k := range keys {
		if k.KeyID != kid {
			continue
		}
		if k.Algorithm != alg {
			return jose.JSONWebKey{}, fmt.Errorf("%w: the JWE uses %s with key %s, which is configured for %s", ErrAlgorithm, safe(alg), safe(kid), k.Algorithm)
		}
		return k, nil
	}
	return jose.JSONWebKey{}, fmt.Errorf("%w: the JWE is encrypted for kid %s, which is none of Config.DecryptionKeys (%s)", ErrUnknownKey, safe(kid), c.decryptionKIDs())
}

func (c *Client) decryptionKIDs() string {
	kids := make([]string, len(c.cfg.DecryptionKeys))
	for i, k := range c.cfg.DecryptionKeys {
		kids[i] = strconv.Quote(k.KeyID)
	}
	return strings.Join(kids, ", ")
}

// classifyJWEError tells an algorithm we refuse from garbage, reading the
// protected header only after go-jose refused the token.
func classifyJWEError(raw string) error {
	var h struct {
		Alg string `json:"alg"`
		Enc string `json:"enc"`
	}
	seg, _, _ := strings.Cut(raw, ".")
	if b, err := base64.RawURLEncoding.DecodeString(seg); err == nil && json.Unmarshal(b, &h) == nil {
		switch {
		case h.Alg != "" && !isPlusKeyAlg(h.Alg):
			return fmt.Errorf("%w: JWE key management algorithm %s: want RSA-OAEP, RSA-OAEP-256 or ECDH-ES", ErrAlgorithm, safe(h.Alg))
		case h.Enc != "" && h.Enc != string(jose.A256GCM):
			return fmt.Errorf("%w: JWE content encryption %s: want A256GCM", ErrAlgorithm, safe(h.Enc))
		}
	}
	return fmt.Errorf("%w: not a compact JWE", ErrMalformedToken)
}

// EncryptionJWKS returns the public parts of Config.DecryptionKeys: for
// each key its kid, its alg, use "enc" and the public key members, nothing
// else. It is empty for a client that is not FranceConnect+.
func (c *Client) EncryptionJWKS() jose.JSONWebKeySet {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{}}
	for _, k := range c.cfg.DecryptionKeys {
		pub := k.Public()
		if !pub.IsPublic() { // unreachable: New accepts RSA and EC private keys only
			continue
		}
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: pub.Key, KeyID: k.KeyID, Algorithm: k.Algorithm, Use: "enc"})
	}
	return set
}

// EncryptionKeysHandler serves [Client.EncryptionJWKS] as a JWKS document
// (GET and HEAD; application/json; cacheable for an hour). Mount it at the
// URL registered with FranceConnect+ as the service's JWKS URL (jwks_uri),
// e.g. mux.Handle("GET /fc/jwks", c.EncryptionKeysHandler()).
//
// It publishes every key of Config.DecryptionKeys, so that adding a key
// publishes it: see the README on key rotation.
func (c *Client) EncryptionKeysHandler() http.Handler {
	body, err := json.Marshal(c.EncryptionJWKS())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		if err != nil { // unreachable for the keys New accepts
			http.Error(w, "encryption keys unavailable", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age="+strconv.Itoa(jwksMaxAge))
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			_, _ = w.Write(body)
		}
	})
}

// GenerateEncryptionKey creates a key pair for a new FranceConnect+
// deployment (or a key rotation): RSA 3072 bits for "RSA-OAEP" and
// "RSA-OAEP-256", EC P-256 for "ECDH-ES", with a random kid, alg set and
// use "enc". Keep the result, private key included, in a secret store
// (json.Marshal gives a private JWK, json.Unmarshal reads it back) and
// pass it in Config.DecryptionKeys. An RSA key takes a moment to generate.
func GenerateEncryptionKey(alg string) (jose.JSONWebKey, error) {
	var key any
	var err error
	switch alg {
	case KeyAlgRSAOAEP, KeyAlgRSAOAEP256:
		key, err = rsa.GenerateKey(rand.Reader, generatedRSABits)
	case KeyAlgECDHES:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		return jose.JSONWebKey{}, fmt.Errorf("%w: GenerateEncryptionKey: alg %s: want RSA-OAEP, RSA-OAEP-256 or ECDH-ES", ErrConfig, safe(alg))
	}
	if err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("franceconnect: GenerateEncryptionKey: %w", err)
	}
	var kid [12]byte
	if _, err := rand.Read(kid[:]); err != nil {
		return jose.JSONWebKey{}, fmt.Errorf("franceconnect: GenerateEncryptionKey: %w", err)
	}
	return jose.JSONWebKey{
		Key:       key,
		KeyID:     "enc-" + base64.RawURLEncoding.EncodeToString(kid[:]),
		Algorithm: alg,
		Use:       "enc",
	}, nil
}
