package seal_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect/internal/seal"
)

type payload struct {
	State string `json:"s"`
	N     int    `json:"n"`
}

// key is test key number b: 32 bytes that look random.
func key(b byte) []byte {
	k := sha256.Sum256([]byte{b})
	return k[:]
}

var now = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func mustSealer(t testing.TB, keys ...[]byte) *seal.Sealer {
	t.Helper()
	s, err := seal.New(keys)
	require.NoError(t, err)
	return s
}

func TestNewKeys(t *testing.T) {
	t.Parallel()
	many := make([][]byte, seal.MaxKeys+1)
	for i := range many {
		many[i] = key(byte(i + 1))
	}
	tests := []struct {
		name string
		keys [][]byte
		ok   bool
	}{
		{"one", [][]byte{key(1)}, true},
		{"rotation", [][]byte{key(1), key(2)}, true},
		{"max", many[:seal.MaxKeys], true},
		{"none", nil, false},
		{"too many", many, false},
		{"short", [][]byte{make([]byte, 16)}, false},
		{"long", [][]byte{make([]byte, 64)}, false},
		{"retired short", [][]byte{key(1), make([]byte, 31)}, false},
		{"duplicate", [][]byte{key(1), key(1)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := seal.New(tt.keys)
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, seal.ErrKeys)
			}
		})
	}
}

func TestNewCopiesKeys(t *testing.T) {
	t.Parallel()
	k := key(1)
	s := mustSealer(t, k)
	v, err := s.Seal("aud", now.Add(time.Minute), payload{State: "x"})
	require.NoError(t, err)
	k[0] ^= 0xff // the caller reuses its buffer
	var got payload
	_, err = s.Open(v, "aud", now, &got)
	require.NoError(t, err)
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	s := mustSealer(t, key(1), key(2))
	exp := now.Add(10 * time.Minute)
	good, err := s.Seal("client login", exp, payload{State: "abc", N: 7})
	require.NoError(t, err)
	assert.Less(t, len(good), 300)
	assert.NotContains(t, good, "abc")

	// A value sealed under the retired key only.
	retired, err := mustSealer(t, key(2)).Seal("client login", exp, payload{State: "old"})
	require.NoError(t, err)
	// A value sealed under a key no longer listed.
	gone, err := mustSealer(t, key(3)).Seal("client login", exp, payload{State: "gone"})
	require.NoError(t, err)

	parts := strings.Split(good, ".")
	flip := func(i int) string {
		p := append([]string(nil), parts...)
		b := []byte(p[i])
		if b[0] == 'A' {
			b[0] = 'B'
		} else {
			b[0] = 'A'
		}
		p[i] = string(b)
		return strings.Join(p, ".")
	}
	// A dir+A256GCM value under our key but with another kid.
	otherKid := func() string {
		enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: jose.DIRECT, Key: key(1), KeyID: seal.KeyID(key(3))}, nil)
		require.NoError(t, err)
		obj, err := enc.Encrypt([]byte(`{"aud":"client login","exp":9999999999,"data":{}}`))
		require.NoError(t, err)
		out, err := obj.CompactSerialize()
		require.NoError(t, err)
		return out
	}()
	// Another algorithm: A128GCM with a 16-byte key.
	otherEnc := func() string {
		enc, err := jose.NewEncrypter(jose.A128GCM, jose.Recipient{Algorithm: jose.DIRECT, Key: key(1)[:16], KeyID: seal.KeyID(key(1))}, nil)
		require.NoError(t, err)
		obj, err := enc.Encrypt([]byte(`{"aud":"client login","exp":9999999999,"data":{}}`))
		require.NoError(t, err)
		out, err := obj.CompactSerialize()
		require.NoError(t, err)
		return out
	}()
	// Valid envelope, payload not the expected type.
	badPayload, err := s.Seal("client login", exp, []int{1})
	require.NoError(t, err)
	noExp, err := s.Seal("client login", time.Unix(0, 0), payload{})
	require.NoError(t, err)

	tests := []struct {
		name    string
		value   string
		aud     string
		at      time.Time
		want    error
		wantVal payload
	}{
		{"good", good, "client login", now, nil, payload{State: "abc", N: 7}},
		{"good at expiry", good, "client login", exp, nil, payload{State: "abc", N: 7}},
		{"retired key", retired, "client login", now, nil, payload{State: "old"}},
		{"expired", good, "client login", exp.Add(time.Second), seal.ErrExpired, payload{}},
		{"zero expiry", noExp, "client login", now, seal.ErrExpired, payload{}},
		{"other audience", good, "other login", now, seal.ErrAudience, payload{}},
		{"other purpose", good, "client logout", now, seal.ErrAudience, payload{}},
		{"unknown key", gone, "client login", now, seal.ErrUnknownKey, payload{}},
		{"kid of another key", otherKid, "client login", now, seal.ErrUnknownKey, payload{}},
		{"other enc", otherEnc, "client login", now, seal.ErrInvalid, payload{}},
		{"tampered header", flip(0), "client login", now, seal.ErrInvalid, payload{}},
		{"tampered iv", flip(2), "client login", now, seal.ErrInvalid, payload{}},
		{"tampered ciphertext", flip(3), "client login", now, seal.ErrInvalid, payload{}},
		{"tampered tag", flip(4), "client login", now, seal.ErrInvalid, payload{}},
		{"encrypted key added", parts[0] + ".AAAA." + strings.Join(parts[2:], "."), "client login", now, seal.ErrInvalid, payload{}},
		{"truncated", good[:len(good)-3], "client login", now, seal.ErrInvalid, payload{}},
		{"bad payload", badPayload, "client login", now, seal.ErrInvalid, payload{}},
		{"empty", "", "client login", now, seal.ErrInvalid, payload{}},
		{"dots", "....", "client login", now, seal.ErrInvalid, payload{}},
		{"six parts", good + ".x", "client login", now, seal.ErrInvalid, payload{}},
		{"oversized", strings.Repeat("A", seal.MaxSealedSize+1), "client login", now, seal.ErrInvalid, payload{}},
		{"megabyte of dots", strings.Repeat(".", 1<<20), "client login", now, seal.ErrInvalid, payload{}},
		{"a JWS", "eyJhbGciOiJub25lIn0.e30.", "client login", now, seal.ErrInvalid, payload{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got payload
			gotExp, err := s.Open(tt.value, tt.aud, tt.at, &got)
			if tt.want != nil {
				require.ErrorIs(t, err, tt.want)
				assert.True(t, gotExp.IsZero())
				assert.NotContains(t, err.Error(), tt.value[:min(len(tt.value), 20)]+"x")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantVal, got)
			assert.Equal(t, exp.Unix(), gotExp.Unix())
		})
	}
}

func TestExpiredIsNotInvalid(t *testing.T) {
	t.Parallel()
	s := mustSealer(t, key(1))
	v, err := s.Seal("a", now, payload{})
	require.NoError(t, err)
	_, err = s.Open(v, "a", now.Add(time.Hour), &payload{})
	assert.ErrorIs(t, err, seal.ErrExpired)
	assert.False(t, errors.Is(err, seal.ErrInvalid))
}

// TestRotation walks a key through its life: current, retired but listed,
// removed.
func TestRotation(t *testing.T) {
	t.Parallel()
	k1, k2 := key(1), key(2)
	before := mustSealer(t, k1)
	during := mustSealer(t, k2, k1)
	after := mustSealer(t, k2)

	inFlight, err := before.Seal("aud", now.Add(time.Minute), payload{State: "in flight"})
	require.NoError(t, err)
	fresh, err := during.Seal("aud", now.Add(time.Minute), payload{State: "fresh"})
	require.NoError(t, err)

	hdr := func(v string) string {
		b, err := base64.RawURLEncoding.DecodeString(strings.Split(v, ".")[0])
		require.NoError(t, err)
		return string(b)
	}
	assert.Contains(t, hdr(inFlight), `"kid":"`+seal.KeyID(k1)+`"`)
	assert.Contains(t, hdr(fresh), `"kid":"`+seal.KeyID(k2)+`"`, "the first key seals")
	assert.Contains(t, hdr(fresh), `"alg":"dir"`)
	assert.Contains(t, hdr(fresh), `"enc":"A256GCM"`)

	var p payload
	_, err = during.Open(inFlight, "aud", now, &p)
	require.NoError(t, err, "a value sealed under a retired but listed key opens")
	assert.Equal(t, "in flight", p.State)
	_, err = before.Open(fresh, "aud", now, &p)
	assert.ErrorIs(t, err, seal.ErrUnknownKey, "old replicas do not know the new key")
	_, err = after.Open(fresh, "aud", now, &p)
	require.NoError(t, err)
	_, err = after.Open(inFlight, "aud", now, &p)
	assert.ErrorIs(t, err, seal.ErrUnknownKey, "a removed key opens nothing")
}

func TestOneSpellingPerValue(t *testing.T) {
	t.Parallel()
	s := mustSealer(t, key(7))
	v, err := s.Seal("aud", now.Add(time.Minute), payload{State: "x"})
	require.NoError(t, err)
	var out payload
	_, err = s.Open(v, "aud", now, &out)
	require.NoError(t, err)
	for _, bad := range []string{v[:10] + "\r\n" + v[10:], " " + v, v + "\n", strings.Replace(v, "e", "+", 1)} {
		_, err := s.Open(bad, "aud", now, &out)
		assert.ErrorIs(t, err, seal.ErrInvalid)
	}
}

// A key that is one byte repeated (all zeros, a test value left in
// production) is refused.
func TestWeakKeys(t *testing.T) {
	t.Parallel()
	for _, b := range []byte{0, 1, 0xff, 'a'} {
		_, err := seal.New([][]byte{key(1), bytes.Repeat([]byte{b}, seal.KeySize)})
		assert.ErrorIs(t, err, seal.ErrKeys, "byte %#x repeated", b)
	}
}

// The values are JWE: go-jose opens what Seal makes, with the same key.
func TestSealedValuesAreJWE(t *testing.T) {
	t.Parallel()
	s, err := seal.New([][]byte{key(1)})
	require.NoError(t, err)
	now := time.Unix(1_800_000_000, 0)
	sealed, err := s.Seal("client login", now.Add(time.Minute), payload{State: "abc"})
	require.NoError(t, err)
	obj, err := jose.ParseEncryptedCompact(sealed, []jose.KeyAlgorithm{jose.DIRECT}, []jose.ContentEncryption{jose.A256GCM})
	require.NoError(t, err)
	assert.Equal(t, seal.KeyID(key(1)), obj.Header.KeyID)
	plain, err := obj.Decrypt(key(1))
	require.NoError(t, err)
	assert.JSONEq(t, `{"aud":"client login","exp":1800000060,"data":{"s":"abc","n":0}}`, string(plain))
}
