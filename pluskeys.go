package franceconnect

// FranceConnect+ keys: the service's decryption keys, validated when New
// reads them, published as a JWKS, and generated.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/go-jose/go-jose/v4"
)

// checkPlusFields validates Config.DecryptionKeys against the environment
// and keeps a private copy of the slice.
func (c *Config) checkPlusFields() []string {
	if !c.profile().encrypted {
		if len(c.DecryptionKeys) > 0 {
			return []string{"DecryptionKeys are for FranceConnect+ only: FranceConnect (eIDAS low) does not encrypt tokens; remove them, or use a FranceConnectPlus environment"}
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
	return checkKeyMaterial(k)
}

// checkKeyMaterial checks that k's key is a private key that fits its
// algorithm.
func checkKeyMaterial(k jose.JSONWebKey) error {
	ecdh := k.Algorithm == string(jose.ECDH_ES)
	switch key := k.Key.(type) {
	case *rsa.PrivateKey:
		switch {
		case ecdh:
			return fmt.Errorf("kid %s: ECDH-ES needs an EC P-256 key, not RSA", safe(k.KeyID))
		case key.N == nil || key.N.BitLen() < minRSABits:
			return fmt.Errorf("kid %s: RSA key shorter than %d bits", safe(k.KeyID), minRSABits)
		case key.Validate() != nil:
			return fmt.Errorf("kid %s: invalid RSA private key", safe(k.KeyID))
		}
	case *ecdsa.PrivateKey:
		switch {
		case !ecdh:
			return fmt.Errorf("kid %s: %s needs an RSA key, not EC", safe(k.KeyID), k.Algorithm)
		case key.Curve != elliptic.P256() || !k.Valid():
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

// encryptionJWKS returns the public parts of Config.DecryptionKeys: for
// each key its kid, its alg, use "enc" and the public key members, nothing
// else. It is empty for a client that is not FranceConnect+.
func (c *Client) encryptionJWKS() jose.JSONWebKeySet {
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

// EncryptionKeysHandler serves the public parts of Config.DecryptionKeys
// as a JWKS document: for each key its kid, its alg, use "enc" and the
// public key members, nothing else (an empty set for a client that is not
// FranceConnect+). It answers GET and HEAD, application/json, cacheable
// for an hour. Mount it at the URL registered with FranceConnect+ as the
// service's JWKS URL (jwks_uri), e.g. mux.Handle("GET /fc/jwks",
// c.EncryptionKeysHandler()).
//
// It publishes every key of Config.DecryptionKeys, so that adding a key
// publishes it: see the README on key rotation.
func (c *Client) EncryptionKeysHandler() http.Handler {
	body, err := json.Marshal(c.encryptionJWKS())
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
// deployment (or a key rotation): RSA 3072 bits for jose.RSA_OAEP and
// jose.RSA_OAEP_256, EC P-256 for jose.ECDH_ES, with a random kid, alg set
// and use "enc". Keep the result, private key included, in a secret store
// (json.Marshal gives a private JWK, json.Unmarshal reads it back) and
// pass it in Config.DecryptionKeys. An RSA key takes a moment to generate.
func GenerateEncryptionKey(alg jose.KeyAlgorithm) (jose.JSONWebKey, error) {
	var key any
	var err error
	switch alg {
	case jose.RSA_OAEP, jose.RSA_OAEP_256:
		key, err = rsa.GenerateKey(rand.Reader, generatedRSABits)
	case jose.ECDH_ES:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		return jose.JSONWebKey{}, fmt.Errorf("%w: GenerateEncryptionKey: alg %s: want RSA-OAEP, RSA-OAEP-256 or ECDH-ES", ErrConfig, safe(string(alg)))
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
		Algorithm: string(alg),
		Use:       "enc",
	}, nil
}
