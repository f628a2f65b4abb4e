package fctest_test

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"reflect"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/franceconnect-go/franceconnect/fctest"
)

// faultEnv is what a fault check gets: a server with the fault on and a
// client.
type faultEnv struct {
	srv *fctest.Server
	c   fctest.Registration
}

// idTokenCheck inspects an ID token produced with a fault on.
type idTokenCheck func(t *testing.T, e faultEnv, f *flow, token string, h, claims map[string]any, sig []byte)

func mustVerify(t *testing.T, e faultEnv, token string) {
	t.Helper()
	verify(t, e.srv, token)
}

func mustNotVerify(t *testing.T, e faultEnv, token string) {
	t.Helper()
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	if err != nil {
		return
	}
	for _, k := range jwks(t, e.srv).Keys {
		if _, err := jws.Verify(k); err == nil {
			t.Fatalf("token verifies with key %q", k.KeyID)
		}
	}
}

// xorBack undoes IDTokenBadSignature.
func xorBack(token string, sig []byte) string {
	fixed := make([]byte, len(sig))
	for i, b := range sig {
		fixed[i] = b ^ 0x5A
	}
	return token[:strings.LastIndexByte(token, '.')+1] + base64.RawURLEncoding.EncodeToString(fixed)
}

func absent(name string) idTokenCheck {
	return func(t *testing.T, e faultEnv, _ *flow, token string, _, claims map[string]any, _ []byte) {
		if _, ok := claims[name]; ok {
			t.Fatalf("%s present: %v", name, claims[name])
		}
		mustVerify(t, e, token)
	}
}

func claimIs(name string, want func(e faultEnv) any) idTokenCheck {
	return func(t *testing.T, e faultEnv, _ *flow, token string, _, claims map[string]any, _ []byte) {
		if w := want(e); !reflect.DeepEqual(claims[name], w) {
			t.Fatalf("%s = %#v, want %#v", name, claims[name], w)
		}
		mustVerify(t, e, token)
	}
}

func constant(v any) func(faultEnv) any { return func(faultEnv) any { return v } }

func hmacVerifies(t *testing.T, token string, key []byte) {
	t.Helper()
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		t.Fatalf("parse HS256: %v", err)
	}
	if _, err := jws.Verify(key); err != nil {
		t.Fatalf("HMAC does not verify: %v", err)
	}
}

func atHashOf(token string) string {
	sum := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

var idTokenFaults = map[fctest.Fault]idTokenCheck{
	fctest.IDTokenWrongIssuer:     claimIs("iss", constant(evilIssuer)),
	fctest.IDTokenMissingIssuer:   absent("iss"),
	fctest.IDTokenWrongAudience:   claimIs("aud", constant("https://evil.example")),
	fctest.IDTokenExtraAudience:   claimIs("aud", func(e faultEnv) any { return []any{e.c.ID, "https://evil.example"} }),
	fctest.IDTokenMissingAudience: absent("aud"),
	fctest.IDTokenMissingSub:      absent("sub"),
	fctest.IDTokenMissingIat:      absent("iat"),
	fctest.IDTokenMissingExp:      absent("exp"),
	fctest.IDTokenMissingNonce:    absent("nonce"),
	fctest.IDTokenMissingACR:      absent("acr"),
	fctest.IDTokenACRLow:          claimIs("acr", constant("eidas0")),
	fctest.IDTokenExpired: func(t *testing.T, e faultEnv, _ *flow, token string, _, c map[string]any, _ []byte) {
		if exp := time.Unix(int64(c["exp"].(float64)), 0); time.Since(exp) < 5*time.Minute {
			t.Fatalf("exp %v is not long past", exp)
		}
		mustVerify(t, e, token)
	},
	fctest.IDTokenIssuedInFuture: func(t *testing.T, e faultEnv, _ *flow, token string, _, c map[string]any, _ []byte) {
		if iat := time.Unix(int64(c["iat"].(float64)), 0); time.Until(iat) < 5*time.Minute {
			t.Fatalf("iat %v is not in the future", iat)
		}
		mustVerify(t, e, token)
	},
	fctest.IDTokenIssuedLongAgo: func(t *testing.T, e faultEnv, _ *flow, token string, _, c map[string]any, _ []byte) {
		iat, exp := time.Unix(int64(c["iat"].(float64)), 0), time.Unix(int64(c["exp"].(float64)), 0)
		if time.Since(iat) < 50*time.Minute || time.Until(exp) < 30*time.Second {
			t.Fatalf("iat %v exp %v: want iat an hour ago and exp in the future", iat, exp)
		}
		mustVerify(t, e, token)
	},
	fctest.IDTokenWrongNonce: func(t *testing.T, e faultEnv, f *flow, token string, _, c map[string]any, _ []byte) {
		if n, _ := c["nonce"].(string); n == "" || n == f.params.Get("nonce") {
			t.Fatalf("nonce %q", n)
		}
		mustVerify(t, e, token)
	},
	fctest.IDTokenBadSignature: func(t *testing.T, e faultEnv, _ *flow, token string, _, _ map[string]any, sig []byte) {
		mustNotVerify(t, e, token)
		mustVerify(t, e, xorBack(token, sig))
	},
	fctest.IDTokenAlgNone: func(t *testing.T, e faultEnv, _ *flow, token string, h, c map[string]any, sig []byte) {
		if !reflect.DeepEqual(h, map[string]any{"alg": "none"}) || len(sig) != 0 || !strings.HasSuffix(token, ".") || c["sub"] == nil {
			t.Fatalf("header %v, signature %d bytes", h, len(sig))
		}
	},
	fctest.IDTokenHS256WithSecret: func(t *testing.T, e faultEnv, _ *flow, token string, h, _ map[string]any, _ []byte) {
		if h["alg"] != "HS256" || h["kid"] != nil {
			t.Fatalf("header %v", h)
		}
		hmacVerifies(t, token, []byte(e.c.Secret))
	},
	fctest.IDTokenHS256WithPublicKey: func(t *testing.T, e faultEnv, _ *flow, token string, h, _ map[string]any, _ []byte) {
		kid, _ := h["kid"].(string)
		set := jwks(t, e.srv)
		keys := set.Key(kid)
		if h["alg"] != "HS256" || len(keys) != 1 || keys[0].Algorithm != "ES256" {
			t.Fatalf("header %v: want HS256 with the ES256 key's kid", h)
		}
		der, err := x509.MarshalPKIXPublicKey(keys[0].Key)
		if err != nil {
			t.Fatal(err)
		}
		hmacVerifies(t, token, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	},
	fctest.IDTokenOtherAlg: func(t *testing.T, e faultEnv, _ *flow, token string, h, _ map[string]any, _ []byte) {
		if h["alg"] != "RS256" {
			t.Fatalf("alg %v, want RS256 for an ES256 client", h["alg"])
		}
		mustVerify(t, e, token)
	},
	fctest.IDTokenUnknownKid: func(t *testing.T, e faultEnv, _ *flow, token string, h, _ map[string]any, _ []byte) {
		set := jwks(t, e.srv)
		kid, _ := h["kid"].(string)
		if kid == "" || len(set.Key(kid)) != 0 {
			t.Fatalf("kid %q is known", kid)
		}
		jws, _ := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.ES256})
		for _, k := range set.Keys {
			if _, err := jws.Verify(k); err == nil {
				return
			}
		}
		t.Fatal("no JWKS key verifies the token")
	},
	fctest.IDTokenNoKid: func(t *testing.T, e faultEnv, _ *flow, token string, h, _ map[string]any, _ []byte) {
		if _, ok := h["kid"]; ok || h["alg"] != "ES256" {
			t.Fatalf("header %v", h)
		}
		jws, _ := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.ES256})
		for _, k := range jwks(t, e.srv).Keys {
			if _, err := jws.Verify(k); err == nil {
				return
			}
		}
		t.Fatal("no JWKS key verifies the token")
	},
	fctest.IDTokenAtHash: func(t *testing.T, e faultEnv, f *flow, token string, _, c map[string]any, _ []byte) {
		if c["at_hash"] != atHashOf(f.accessToken(t)) {
			t.Fatalf("at_hash %v", c["at_hash"])
		}
		mustVerify(t, e, token)
	},
	fctest.IDTokenAtHashWrong: func(t *testing.T, e faultEnv, f *flow, token string, _, c map[string]any, _ []byte) {
		if h, _ := c["at_hash"].(string); h == "" || h == atHashOf(f.accessToken(t)) {
			t.Fatalf("at_hash %v", c["at_hash"])
		}
		mustVerify(t, e, token)
	},
}

func TestIDTokenFaults(t *testing.T) {
	t.Parallel()
	for fault, check := range idTokenFaults {
		t.Run(fault.String(), func(t *testing.T) {
			t.Parallel()
			srv, c := setup(t, "ES256")
			srv.Inject(fault)
			f := fullFlow(t, srv, c, authParams(c, callback), fctest.DefaultUser)
			token := f.idToken(t)
			h, claims, sig := unverified(t, token)
			check(t, faultEnv{srv, c}, f, token, h, claims, sig)

			srv.Reset()
			verify(t, srv, fullFlow(t, srv, c, authParams(c, callback), fctest.DefaultUser).idToken(t))
		})
	}
}

// The RS256 variants of the signature faults.
func TestIDTokenFaultsRS256(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, "RS256")
	srv.Inject(fctest.IDTokenOtherAlg)
	h, _ := verify(t, srv, fullFlow(t, srv, c, authParams(c, callback), fctest.DefaultUser).idToken(t))
	if h.Algorithm != "ES256" {
		t.Fatalf("IDTokenOtherAlg on an RS256 client: alg %s", h.Algorithm)
	}
	srv.Reset()
	srv.Inject(fctest.IDTokenBadSignature)
	token := fullFlow(t, srv, c, authParams(c, callback), fctest.DefaultUser).idToken(t)
	_, _, sig := unverified(t, token)
	e := faultEnv{srv, c}
	mustNotVerify(t, e, token)
	mustVerify(t, e, xorBack(token, sig))
}
