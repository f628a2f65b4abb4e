package franceconnect

import (
	"context"
	"fmt"
	"log/slog"
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
	if !c.profile.encrypted {
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
	switch h := headerOf(raw); {
	case h.Alg != "" && !isPlusKeyAlg(h.Alg):
		return fmt.Errorf("%w: JWE key management algorithm %s: want RSA-OAEP, RSA-OAEP-256 or ECDH-ES", ErrAlgorithm, safe(h.Alg))
	case h.Enc != "" && h.Enc != string(jose.A256GCM):
		return fmt.Errorf("%w: JWE content encryption %s: want A256GCM", ErrAlgorithm, safe(h.Enc))
	}
	return fmt.Errorf("%w: not a compact JWE", ErrMalformedToken)
}
