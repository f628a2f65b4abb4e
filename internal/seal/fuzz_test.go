package seal

import (
	"bytes"
	"compress/flate"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

type fuzzPayload struct {
	State string            `json:"s"`
	N     int               `json:"n"`
	M     map[string]string `json:"m,omitempty"`
}

// FuzzOpen opens arbitrary cookie values. Invariants: no panic; an error
// wraps ErrInvalid or ErrExpired, is one bounded line and does not repeat
// the value; a success is a value an independent AES-GCM decryption (no
// go-jose) agrees was sealed under one of the keys, for this audience, not
// expired at now, and the returned expiry is the sealed one.
func FuzzOpen(f *testing.F) {
	k1, k2, k3 := testKey(1), testKey(2), testKey(3)
	s, err := New([][]byte{k1, k2})
	if err != nil {
		f.Fatal(err)
	}
	old, _ := New([][]byte{k2})
	other, _ := New([][]byte{k3})
	now := time.Unix(1_800_000_000, 0)
	exp := now.Add(10 * time.Minute)
	v := fuzzPayload{State: "s7ate-s7ate-s7ate-s7ate-s7ate-s7ate-s7ate-s", N: 7, M: map[string]string{"nonce": "n0nce", "ü": "𝄞"}}
	sealed := func(s *Sealer, aud string, exp time.Time, v any) string {
		out, err := s.Seal(aud, exp, v)
		if err != nil {
			f.Fatal(err)
		}
		return out
	}
	good := sealed(s, "client/login", exp, v)
	hdr, rest, _ := strings.Cut(good, ".")
	// Other JOSE shapes, made with go-jose: another content encryption,
	// compression, a crit header, a key-wrapping algorithm.
	joseSeal := func(alg jose.KeyAlgorithm, enc jose.ContentEncryption, key any, opts *jose.EncrypterOptions) string {
		e, err := jose.NewEncrypter(enc, jose.Recipient{Algorithm: alg, Key: key, KeyID: KeyID(k1)}, opts)
		if err != nil {
			f.Fatal(err)
		}
		obj, err := e.Encrypt([]byte(`{"aud":"client/login","exp":1800000600,"data":{"s":"x"}}`))
		if err != nil {
			f.Fatal(err)
		}
		out, err := obj.CompactSerialize()
		if err != nil {
			f.Fatal(err)
		}
		return out
	}
	b64 := base64.RawURLEncoding.EncodeToString
	seeds := []string{
		good,
		sealed(old, "client/login", exp, v), // retired key, still listed
		sealed(other, "client/login", exp, v),
		sealed(s, "client/other", exp, v),
		sealed(s, "client/login", now.Add(-time.Second), v),
		sealed(s, "client/login", time.Unix(0, 0), v),
		sealed(s, "client/login", time.Unix(1<<40, 0), v),
		sealed(s, "client/login", exp, "a string, not the payload"),
		sealed(s, "client/login", exp, map[string]any{"s": 42}),
		sealed(s, "", exp, v),
		joseSeal(jose.DIRECT, jose.A128GCM, k1[:16], nil),
		joseSeal(jose.DIRECT, jose.A256GCM, k1, (&jose.EncrypterOptions{Compression: jose.DEFLATE})),
		joseSeal(jose.DIRECT, jose.A256GCM, k1, (&jose.EncrypterOptions{}).WithHeader("crit", []string{"exp"})),
		joseSeal(jose.A256KW, jose.A256GCM, k1, nil),
		joseSeal(jose.DIRECT, jose.A256CBC_HS512, bytes.Repeat([]byte{1}, 64), nil),
		b64([]byte(`{"alg":"dir","enc":"A256GCM","kid":"`+KeyID(k1)+`","zip":"DEF"}`)) + "." + rest,
		b64([]byte(`{"alg":"none","enc":"A256GCM","kid":"`+KeyID(k1)+`"}`)) + "." + rest,
		b64([]byte(`{"alg":"dir","enc":"A256GCM"}`)) + "." + rest,
		b64([]byte(`{"alg":"dir","enc":"A256GCM","kid":["`+KeyID(k1)+`"]}`)) + "." + rest,
		b64([]byte(`{"alg":"dir","enc":"A256GCM","kid":"`+KeyID(k1)+`","jwk":{"kty":"oct","k":"AAAA"}}`)) + "." + rest,
		hdr + ".AAAA" + rest,
		hdr + "." + rest + "A",
		hdr + "." + rest[:len(rest)-1],
		hdr + "." + rest + ".",
		strings.Replace(good, ".", "..", 1),
		strings.ToUpper(good),
		" " + good,
		good + "\n",
		"....",
		".....",
		strings.Repeat(".", 4096),
		strings.Repeat("A", MaxSealedSize+1),
		"eyJ" + strings.Repeat("A", 4000) + "....",
		"",
		"\u202e....",
		"%7B.%7D...",
	}
	for i, sd := range seeds {
		aud := "client/login"
		if i%5 == 4 {
			aud = ""
		}
		f.Add(sd, aud, now.Unix())
	}
	f.Add(good, "client/login", exp.Unix())
	f.Add(good, "client/login", exp.Unix()+1)
	f.Add(good, "client/login", int64(-1<<62))

	keys := [][]byte{k1, k2}
	f.Fuzz(func(t *testing.T, value, aud string, nowUnix int64) {
		var got fuzzPayload
		gotExp, err := s.Open(value, aud, time.Unix(nowUnix, 0), &got)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrExpired) {
				t.Fatalf("untyped error: %v", err)
			}
			msg := err.Error()
			if strings.ContainsAny(msg, "\r\n") || len(msg) > 512 {
				t.Fatalf("unsafe error message: %q", msg)
			}
			if len(value) >= 16 && strings.Contains(msg, value) {
				t.Fatal("the error repeats the sealed value")
			}
			return
		}
		env, oerr := oracleOpen(keys, value)
		if oerr != "" {
			t.Fatalf("Open accepted a value the oracle refuses: %s", oerr)
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(env, &m) != nil {
			t.Fatal("envelope is not an object")
		}
		var envAud string
		var envExp int64
		if json.Unmarshal(m["aud"], &envAud) != nil || envAud != aud {
			t.Fatalf("opened for audience %q, sealed for %q", aud, envAud)
		}
		if json.Unmarshal(m["exp"], &envExp) != nil || envExp == 0 || nowUnix > envExp {
			t.Fatalf("opened at %d a value sealed until %d", nowUnix, envExp)
		}
		if !gotExp.Equal(time.Unix(envExp, 0)) {
			t.Fatalf("returned expiry %v, sealed %d", gotExp, envExp)
		}
		if _, ok := m["data"]; !ok {
			t.Fatal("no data in the envelope")
		}
	})
}

// oracleOpen decrypts a compact dir+A256GCM JWE with crypto/cipher alone
// and returns the plaintext, or why the value is not ours.
func oracleOpen(keys [][]byte, value string) ([]byte, string) {
	parts := strings.Split(value, ".")
	if len(parts) != 5 || parts[1] != "" {
		return nil, "not five parts with an empty encrypted key"
	}
	dec := base64.RawURLEncoding.DecodeString
	hb, err := dec(parts[0])
	if err != nil {
		return nil, "header base64"
	}
	var h map[string]json.RawMessage
	if json.Unmarshal(hb, &h) != nil {
		return nil, "header JSON"
	}
	if string(h["alg"]) != `"dir"` || string(h["enc"]) != `"A256GCM"` {
		return nil, "alg/enc " + string(h["alg"]) + "/" + string(h["enc"])
	}
	deflated := false
	if z, ok := h["zip"]; ok {
		// Only a holder of the key can make one; Seal never does.
		if string(z) != `"DEF"` {
			return nil, "zip " + string(z)
		}
		deflated = true
	}
	if _, ok := h["crit"]; ok {
		return nil, "crit"
	}
	var kid string
	if json.Unmarshal(h["kid"], &kid) != nil {
		return nil, "kid"
	}
	iv, err1 := dec(parts[2])
	ct, err2 := dec(parts[3])
	tag, err3 := dec(parts[4])
	if err1 != nil || err2 != nil || err3 != nil || len(iv) != 12 || len(tag) != 16 {
		return nil, "iv, ciphertext or tag"
	}
	for _, k := range keys {
		if KeyID(k) != kid {
			continue
		}
		block, _ := aes.NewCipher(k)
		gcm, _ := cipher.NewGCM(block)
		plain, err := gcm.Open(nil, iv, append(ct, tag...), []byte(parts[0]))
		if err != nil {
			return nil, "authentication"
		}
		if deflated {
			if plain, err = io.ReadAll(io.LimitReader(flate.NewReader(bytes.NewReader(plain)), 1<<20)); err != nil {
				return nil, "inflate"
			}
		}
		return plain, ""
	}
	return nil, "no key with that kid"
}

// testKey is test key number b: 32 bytes that look random.
func testKey(b byte) []byte {
	k := sha256.Sum256([]byte{b})
	return k[:]
}
