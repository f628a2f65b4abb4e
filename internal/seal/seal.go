// Package seal seals small JSON payloads into cookie values: compact JWE,
// "dir" key management with A256GCM content encryption (go-jose), under
// 32-byte symmetric keys.
//
// The first key seals; every key opens, so keys rotate without breaking
// values in flight: put the new key first and keep the old one listed
// until the longest-lived value sealed under it has expired. Each value
// names its key in the JWE "kid" header (a hash prefix of the key, never
// the key), carries its own expiry and an audience (who may open it, for
// what purpose), all under the AEAD tag: a value sealed for another client
// or purpose, or after its expiry, is refused.
package seal

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/franceconnect-go/franceconnect/internal/compact"
)

const (
	// KeySize is the size of a key: 32 bytes for A256GCM.
	KeySize = 32
	// MaxKeys bounds the number of keys (current + retired).
	MaxKeys = 16
	// MaxSealedSize bounds a sealed value, checked before any parsing. A
	// cookie holds about 4 KiB anyway.
	MaxSealedSize = 4096
)

var (
	// ErrInvalid: the value is not a sealed value we made, or was altered.
	ErrInvalid = errors.New("seal: invalid sealed value")
	// ErrUnknownKey: the value names a key that is not (or no longer)
	// configured. It wraps ErrInvalid.
	ErrUnknownKey = fmt.Errorf("%w: sealed under a key that is not configured", ErrInvalid)
	// ErrAudience: the value was sealed for another audience (another
	// client, another purpose). It wraps ErrInvalid.
	ErrAudience = fmt.Errorf("%w: sealed for another audience", ErrInvalid)
	// ErrExpired: the value is authentic but past its expiry.
	ErrExpired = errors.New("seal: sealed value expired")
	// ErrKeys: the keys given to New are unusable.
	ErrKeys = errors.New("seal: invalid keys")
)

type key struct {
	id  string
	raw []byte
}

// Sealer seals and opens values. It is immutable and safe for concurrent
// use.
type Sealer struct {
	keys []key
}

// KeyID returns the identifier written in the header of values sealed
// under k: the first 8 bytes of its SHA-256, base64url.
func KeyID(k []byte) string {
	sum := sha256.Sum256(k)
	return base64.RawURLEncoding.EncodeToString(sum[:8])
}

// New returns a Sealer for keys, which it copies. The first key seals.
func New(keys [][]byte) (*Sealer, error) {
	switch {
	case len(keys) == 0:
		return nil, fmt.Errorf("%w: no key", ErrKeys)
	case len(keys) > MaxKeys:
		return nil, fmt.Errorf("%w: %d keys, at most %d", ErrKeys, len(keys), MaxKeys)
	}
	s := &Sealer{keys: make([]key, 0, len(keys))}
	seen := map[string]bool{}
	for i, k := range keys {
		if len(k) != KeySize {
			return nil, fmt.Errorf("%w: key %d is %d bytes, want %d (e.g. openssl rand -base64 32)", ErrKeys, i, len(k), KeySize)
		}
		if bytes.Count(k, k[:1]) == len(k) {
			return nil, fmt.Errorf("%w: key %d is one byte repeated: use 32 random bytes (e.g. openssl rand -base64 32)", ErrKeys, i)
		}
		id := KeyID(k)
		if seen[id] {
			return nil, fmt.Errorf("%w: key %d is listed twice", ErrKeys, i)
		}
		seen[id] = true
		s.keys = append(s.keys, key{id: id, raw: append([]byte(nil), k...)})
	}
	return s, nil
}

// envelope is the sealed plaintext.
type envelope struct {
	Aud  string          `json:"aud"`
	Exp  int64           `json:"exp"` // Unix seconds
	Data json.RawMessage `json:"data"`
}

// Seal marshals v to JSON and seals it for aud until exp, under the first
// key.
func (s *Sealer) Seal(aud string, exp time.Time, v any) (string, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	plain, err := json.Marshal(envelope{Aud: aud, Exp: exp.Unix(), Data: data})
	if err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	k := s.keys[0]
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.DIRECT, Key: k.raw, KeyID: k.id}, nil)
	if err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	obj, err := enc.Encrypt(plain)
	if err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	out, err := obj.CompactSerialize()
	if err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	if len(out) > MaxSealedSize {
		return "", fmt.Errorf("seal: sealed value is %d bytes, more than %d", len(out), MaxSealedSize)
	}
	return out, nil
}

// Open checks that sealed was made by Seal under one of the keys, for aud,
// and has not expired at now; then it unmarshals the payload into v and
// returns the sealed expiry. Errors wrap ErrInvalid (ErrUnknownKey,
// ErrAudience) or ErrExpired; they never repeat the value.
func (s *Sealer) Open(sealed, aud string, now time.Time, v any) (time.Time, error) {
	if len(sealed) > MaxSealedSize {
		return time.Time{}, fmt.Errorf("%w: %d bytes, more than %d", ErrInvalid, len(sealed), MaxSealedSize)
	}
	if compact.BadByte(sealed) >= 0 {
		return time.Time{}, fmt.Errorf("%w: not base64url", ErrInvalid)
	}
	if _, rest, _ := strings.Cut(sealed, "."); strings.Count(sealed, ".") != 4 || !strings.HasPrefix(rest, ".") {
		// dir: five parts, the second (the encrypted key) empty.
		return time.Time{}, fmt.Errorf("%w: not a compact JWE with direct encryption", ErrInvalid)
	}
	obj, err := jose.ParseEncryptedCompact(sealed, []jose.KeyAlgorithm{jose.DIRECT}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: unparseable or not dir+A256GCM", ErrInvalid)
	}
	var k []byte
	for _, c := range s.keys {
		if subtle.ConstantTimeCompare([]byte(c.id), []byte(obj.Header.KeyID)) == 1 {
			k = c.raw
			break
		}
	}
	if k == nil {
		return time.Time{}, ErrUnknownKey
	}
	plain, err := obj.Decrypt(k)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: authentication failed", ErrInvalid)
	}
	var env envelope
	if err := json.Unmarshal(plain, &env); err != nil {
		return time.Time{}, fmt.Errorf("%w: bad envelope", ErrInvalid)
	}
	if subtle.ConstantTimeCompare([]byte(env.Aud), []byte(aud)) != 1 {
		return time.Time{}, ErrAudience
	}
	if env.Exp == 0 || now.Unix() > env.Exp {
		return time.Time{}, ErrExpired
	}
	if err := json.Unmarshal(env.Data, v); err != nil {
		return time.Time{}, fmt.Errorf("%w: bad payload", ErrInvalid)
	}
	return time.Unix(env.Exp, 0), nil
}
