package keys

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// FuzzParse reads arbitrary JWKS documents. Invariants: no panic; an error
// wraps ErrFetch; what is kept is at most maxKeys usable public signing
// keys (EC P-256, RSA of 2048 bits or more; use empty or "sig"); a lookup
// returns only a key that fits the algorithm, and a kid-less lookup only
// when exactly one key fits.
func FuzzParse(f *testing.F) {
	d := sha256.Sum256([]byte("franceconnect keys fuzz"))
	ec, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), d[:])
	if err != nil {
		f.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		f.Fatal(err)
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		f.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	enc := func(k jose.JSONWebKey) string {
		b, err := json.Marshal(k)
		if err != nil {
			f.Fatal(err)
		}
		return string(b)
	}
	ecPub := enc(jose.JSONWebKey{Key: &ec.PublicKey, KeyID: "ec", Algorithm: "ES256", Use: "sig"})
	ecPriv := enc(jose.JSONWebKey{Key: ec, KeyID: "ec-priv", Algorithm: "ES256"})
	rsaPub := enc(jose.JSONWebKey{Key: &rk.PublicKey, KeyID: "rsa", Algorithm: "RS256", Use: "sig"})
	rsaPriv := enc(jose.JSONWebKey{Key: rk, KeyID: "rsa-priv"})
	rsaSmall := enc(jose.JSONWebKey{Key: &small.PublicKey, KeyID: "small", Algorithm: "RS256"})
	ec384 := enc(jose.JSONWebKey{Key: &p384.PublicKey, KeyID: "p384"})
	oct := `{"kty":"oct","kid":"hmac","k":"c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"}`
	pub, _ := ec.PublicKey.Bytes()
	x := fmt.Sprintf("%x", pub[1:33]) // the X coordinate in hex, not base64url

	for _, doc := range []string{
		`{"keys":[` + ecPub + `]}`,
		`{"keys":[` + ecPub + `,` + rsaPub + `]}`,
		`{"keys":[` + ecPriv + `,` + rsaPriv + `]}`,
		`{"keys":[` + rsaSmall + `,` + ec384 + `,` + oct + `,` + ecPub + `]}`,
		`{"keys":[` + strings.Replace(ecPub, `"use":"sig"`, `"use":"enc"`, 1) + `]}`,
		`{"keys":[` + strings.Replace(ecPub, `"alg":"ES256"`, `"alg":"RS256"`, 1) + `]}`,
		`{"keys":[` + strings.Replace(ecPub, `"alg":"ES256"`, `"alg":"none"`, 1) + `]}`,
		`{"keys":[` + strings.Replace(ecPub, `"kid":"ec"`, `"kid":42`, 1) + `]}`,
		`{"keys":[` + strings.Replace(ecPub, `"crv":"P-256"`, `"crv":"P-384"`, 1) + `]}`,
		`{"keys":[` + strings.Replace(rsaPub, `"e":"AQAB"`, `"e":"AQ"`, 1) + `]}`,
		`{"keys":[` + strings.Replace(rsaPub, `"e":"AQAB"`, `"e":"////////////////"`, 1) + `]}`,
		`{"keys":[{"kty":"RSA","n":"` + strings.Repeat("_", 3000) + `","e":"AQAB"}]}`,
		`{"keys":[{"kty":"EC","crv":"P-256","x":"!!","y":"??"}]}`,
		`{"keys":[{"kty":"EC","crv":"P-256","x":"` + x + `","y":"AAAA"}]}`,
		`{"keys":[{"kty":"EC","crv":"P-256","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}]}`,
		`{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`,
		`{"keys":[{"kty":"what"},{"kty":null},{},42,"key",null,[],true]}`,
		`{"keys":[{"kty":"EC","crv":"P-256","x5c":["MIIB","!!"]}]}`,
		`{"keys":[{"kty":"EC","crv":"P-256","x5u":"https://evil.example/cert"}]}`,
		`{"keys":[` + strings.Repeat(ecPub+",", 100) + ecPub + `]}`,
		`{"keys":[` + ecPub + `],"keys":[]}`,
		`{"KEYS":[` + ecPub + `]}`,
		`{"keys":{"0":` + ecPub + `}}`,
		`{"keys":"nope"}`,
		`{"keys":null}`,
		`{"keys":[` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `]}`,
		`{"keys":[{"kty":"EC","kid":"` + strings.Repeat("\u202e", 1000) + `","crv":"P-256"}]}`,
		`[]`,
		`null`,
		``,
		`<html>`,
		"\xff\xfe",
	} {
		f.Add([]byte(doc), "ec", "ES256")
		f.Add([]byte(doc), "", "RS256")
	}
	f.Fuzz(func(t *testing.T, doc []byte, kid, alg string) {
		keys, err := Parse(doc)
		if err != nil {
			if !errors.Is(err, ErrFetch) || keys != nil {
				t.Fatalf("untyped error or keys with an error: %v", err)
			}
			return
		}
		if len(keys) > maxKeys {
			t.Fatalf("%d keys kept, at most %d", len(keys), maxKeys)
		}
		for i := range keys {
			k := &keys[i]
			if !k.IsPublic() {
				t.Fatalf("key %d keeps private material", i)
			}
			if k.Use != "" && k.Use != "sig" {
				t.Fatalf("key %d has use %q", i, k.Use)
			}
			switch pub := k.Key.(type) {
			case *ecdsa.PublicKey:
				if pub.Curve != elliptic.P256() {
					t.Fatalf("key %d on curve %v", i, pub.Curve.Params().Name)
				}
			case *rsa.PublicKey:
				if pub.N.BitLen() < 2048 || pub.E < 2 {
					t.Fatalf("key %d: RSA %d bits, e=%d", i, pub.N.BitLen(), pub.E)
				}
			default:
				t.Fatalf("key %d of type %T", i, k.Key)
			}
		}
		for _, a := range []string{alg, "ES256", "RS256"} {
			for _, id := range []string{kid, ""} {
				key, ok := lookup(keys, id, a)
				if !ok {
					continue
				}
				n, match := 0, false
				for i := range keys {
					if fits(&keys[i], a) {
						n++
						match = match || keys[i].KeyID == id && keys[i].Key == key
					}
				}
				switch {
				case a != "ES256" && a != "RS256":
					t.Fatalf("a key for alg %q", a)
				case id == "" && n != 1:
					t.Fatalf("kid-less lookup accepted with %d candidate keys", n)
				case id != "" && !match:
					t.Fatalf("lookup of kid %q returned a key that is not its", id)
				}
			}
		}
	})
}
