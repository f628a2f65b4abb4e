// Package seal seals small JSON payloads into cookie values: compact JWE
// (RFC 7516), "dir" key management with A256GCM content encryption, under
// 32-byte symmetric keys. The format is JWE's, so any JOSE library opens
// the values; the code is crypto/cipher's, with each key's protected
// header computed and its AEAD made once, since every login seals and
// opens one (go-jose's general JWE machinery cost 5 to 8 times the
// AES-GCM it wraps).
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
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

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
	id     string
	header string // the base64url protected header of values sealed under it
	aad    []byte // header, the AEAD's additional data
	aead   cipher.AEAD
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
		block, _ := aes.NewCipher(k) // 32 bytes: AES-256
		aead, _ := cipher.NewGCM(block)
		header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"dir","enc":"A256GCM","kid":"` + id + `"}`))
		s.keys = append(s.keys, key{id: id, header: header, aad: []byte(header), aead: aead})
	}
	return s, nil
}

// envelope is the sealed plaintext.
type envelope struct {
	Aud  string `json:"aud"`
	Exp  int64  `json:"exp"` // Unix seconds
	Data any    `json:"data"`
}

// Seal marshals v to JSON and seals it for aud until exp, under the first
// key: a compact JWE, "dir" and A256GCM, whose protected header (computed
// once per key) is the AEAD's additional data. The JSON is not
// HTML-escaped: "<", ">" and "&" take one byte each, not six, so a sealed
// value's size follows its payload's.
func (s *Sealer) Seal(aud string, exp time.Time, v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(envelope{Aud: aud, Exp: exp.Unix(), Data: v}); err != nil {
		return "", fmt.Errorf("seal: %w", err)
	}
	plain := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	k := s.keys[0]
	var nonce [nonceSize]byte
	_, _ = rand.Read(nonce[:]) // never fails since Go 1.24
	sealed := k.aead.Seal(plain[:0], nonce[:], plain, k.aad)
	ct, tag := sealed[:len(sealed)-tagSize], sealed[len(sealed)-tagSize:]
	b64 := base64.RawURLEncoding
	out := make([]byte, 0, len(k.aad)+4+b64.EncodedLen(nonceSize)+b64.EncodedLen(len(ct))+b64.EncodedLen(tagSize))
	out = append(append(out, k.aad...), '.', '.')
	out = append(b64.AppendEncode(out, nonce[:]), '.')
	out = append(b64.AppendEncode(out, ct), '.')
	out = b64.AppendEncode(out, tag)
	if len(out) > MaxSealedSize {
		return "", fmt.Errorf("seal: sealed value is %d bytes, more than %d", len(out), MaxSealedSize)
	}
	return string(out), nil
}

const (
	nonceSize = 12 // GCM's standard nonce
	tagSize   = 16
)

// Open checks that sealed was made by Seal under one of the keys, for aud,
// and has not expired at now; then it returns the sealed expiry, with the
// payload unmarshalled into v (whose content is unspecified on error). Errors wrap ErrInvalid (ErrUnknownKey,
// ErrAudience) or ErrExpired; they never repeat the value.
//
// Only Seal's own spelling opens: the protected header must be one of the
// keys' headers byte for byte (so no JSON header is parsed), and every part
// base64url without padding.
func (s *Sealer) Open(sealed, aud string, now time.Time, v any) (time.Time, error) {
	if len(sealed) > MaxSealedSize {
		return time.Time{}, fmt.Errorf("%w: %d bytes, more than %d", ErrInvalid, len(sealed), MaxSealedSize)
	}
	if compact.BadByte(sealed) >= 0 {
		return time.Time{}, fmt.Errorf("%w: not base64url", ErrInvalid)
	}
	plain, err := s.decrypt(sealed)
	if err != nil {
		return time.Time{}, err
	}
	// v is filled in the same pass; on an error below, it is not to be used.
	env := envelope{Data: v}
	if err := json.Unmarshal(plain, &env); err != nil {
		return time.Time{}, fmt.Errorf("%w: bad envelope", ErrInvalid)
	}
	if subtle.ConstantTimeCompare([]byte(env.Aud), []byte(aud)) != 1 {
		return time.Time{}, ErrAudience
	}
	if env.Exp == 0 || now.Unix() > env.Exp {
		return time.Time{}, ErrExpired
	}
	return time.Unix(env.Exp, 0), nil
}

// decrypt splits a compact JWE in Seal's spelling and returns its
// authenticated plaintext.
func (s *Sealer) decrypt(sealed string) ([]byte, error) {
	header, rest, _ := strings.Cut(sealed, ".")
	empty, rest, _ := strings.Cut(rest, ".")
	iv, rest, _ := strings.Cut(rest, ".")
	ct, tag, ok := strings.Cut(rest, ".")
	if !ok || empty != "" || strings.Contains(tag, ".") {
		// dir: five parts, the second (the encrypted key) empty.
		return nil, fmt.Errorf("%w: not a compact JWE with direct encryption", ErrInvalid)
	}
	k, err := s.keyFor(header)
	if err != nil {
		return nil, err
	}
	// nonce, then ciphertext and tag in one buffer, as aead.Open wants them.
	b64 := base64.RawURLEncoding
	if len(iv) != b64.EncodedLen(nonceSize) || len(tag) != b64.EncodedLen(tagSize) {
		return nil, errUnparseable
	}
	buf := make([]byte, nonceSize+b64.DecodedLen(len(ct))+tagSize)
	n1, err1 := b64.Decode(buf[:nonceSize], []byte(iv))
	n2, err2 := b64.Decode(buf[nonceSize:], []byte(ct))
	n3, err3 := b64.Decode(buf[nonceSize+n2:], []byte(tag))
	if err1 != nil || err2 != nil || err3 != nil || n1 != nonceSize || n3 != tagSize {
		return nil, errUnparseable
	}
	plain, err := k.aead.Open(buf[nonceSize:nonceSize], buf[:nonceSize], buf[nonceSize:nonceSize+n2+tagSize], k.aad)
	if err != nil {
		return nil, fmt.Errorf("%w: authentication failed", ErrInvalid)
	}
	return plain, nil
}

// keyFor finds the key whose protected header is header: a header of
// another shape is not ours, one naming another kid was sealed under a key
// that is not (or no longer) configured.
func (s *Sealer) keyFor(header string) (*key, error) {
	for i := range s.keys {
		if s.keys[i].header == header {
			return &s.keys[i], nil
		}
	}
	var h struct {
		Alg, Enc, Kid string
	}
	if b, err := base64.RawURLEncoding.DecodeString(header); err == nil && json.Unmarshal(b, &h) == nil && h.Alg == "dir" && h.Enc == "A256GCM" && h.Kid != "" {
		return nil, ErrUnknownKey
	}
	return nil, errUnparseable
}

var errUnparseable = fmt.Errorf("%w: unparseable or not dir+A256GCM", ErrInvalid)
