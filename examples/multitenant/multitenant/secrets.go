package multitenant

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// sealer encrypts the client secrets kept in the database (AES-256-GCM,
// with a key that is never stored beside them), each bound to its tenant:
// a sealed secret copied to another tenant's row does not open.
type sealer struct{ aead cipher.AEAD }

// sealedPrefix names the format, so that another can follow.
const sealedPrefix = "v1."

func newSealer(key []byte) (*sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("the secrets key has %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealer{aead: aead}, nil
}

// seal returns the secret of tenant, sealed ("" stays "").
func (s *sealer) seal(tenant, secret string) string {
	if secret == "" {
		return ""
	}
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return sealedPrefix + base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, []byte(secret), []byte("tenant "+tenant)))
}

// errSealed: a sealed secret that this key does not open (another key, or
// another tenant's secret).
var errSealed = errors.New("the client secret does not open with this secrets key")

// open returns the secret of tenant that seal sealed.
func (s *sealer) open(tenant, sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(sealed, sealedPrefix))
	if err != nil || !strings.HasPrefix(sealed, sealedPrefix) || len(raw) < s.aead.NonceSize() {
		return "", errSealed
	}
	plain, err := s.aead.Open(nil, raw[:s.aead.NonceSize()], raw[s.aead.NonceSize():], []byte("tenant "+tenant))
	if err != nil {
		return "", errSealed
	}
	return string(plain), nil
}
