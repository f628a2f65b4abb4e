package seal_test

// Sealing and opening the handlers' transaction cookie, next to a floor
// measured in the same run: impl=aesgcm is crypto/cipher AES-256-GCM over
// the same JSON, base64url, with no JWE header, key id, audience or
// expiry. Compare with benchstat -col '/impl@(aesgcm ours)' (see the
// root's bench_test.go).

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/franceconnect-go/franceconnect/internal/seal"
)

// benchTx has the shape and sizes of the handlers' pending login: state
// and nonce of 43 characters, the eIDAS level, a local return path.
type benchTx struct {
	State  string `json:"s"`
	Nonce  string `json:"n"`
	ACR    string `json:"a"`
	Return string `json:"r,omitempty"`
}

var (
	benchValue = benchTx{
		State:  "Qm9uam91ciDDoCB0b3VzLCBjZWNpIGVzdCB1biDDqXRhdA",
		Nonce:  "bm9uY2Ugbm9uY2Ugbm9uY2Ugbm9uY2Ugbm9uY2Ugbm9uY2U",
		ACR:    "eidas1",
		Return: "/aides/dashboard/accueil",
	}
	// benchAud is shaped like the handlers' audiences: 16 bytes of a hash,
	// base64url.
	benchAud = "mZ2c1qCw3n_T7m8p0XkL4A"
)

func BenchmarkSeal(b *testing.B) {
	k := sha256.Sum256([]byte("bench"))
	key := k[:]
	s, err := seal.New([][]byte{key})
	if err != nil {
		b.Fatal(err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		b.Fatal(err)
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Unix(1_900_000_000, 0)
	exp := now.Add(10 * time.Minute)

	b.Run("op=seal/impl=ours", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.Seal(benchAud, exp, benchValue); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("op=seal/impl=aesgcm", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := gcmSeal(gcm, benchValue); err != nil {
				b.Fatal(err)
			}
		}
	})

	sealed, err := s.Seal(benchAud, exp, benchValue)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("op=open/impl=ours", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v benchTx
			if _, err := s.Open(sealed, benchAud, now, &v); err != nil || v != benchValue {
				b.Fatal(err)
			}
		}
	})
	gsealed, err := gcmSeal(gcm, benchValue)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("op=open/impl=aesgcm", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v benchTx
			if err := gcmOpen(gcm, gsealed, &v); err != nil || v != benchValue {
				b.Fatal(err)
			}
		}
	})
}

func gcmSeal(gcm cipher.AEAD, v any) (string, error) {
	plain, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize(), gcm.NonceSize()+len(plain)+gcm.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(gcm.Seal(nonce, nonce, plain, nil)), nil
}

func gcmOpen(gcm cipher.AEAD, sealed string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(sealed)
	if err != nil || len(raw) < gcm.NonceSize() {
		return errors.New("bad value")
	}
	plain, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], nil)
	if err != nil {
		return err
	}
	return json.Unmarshal(plain, v)
}
