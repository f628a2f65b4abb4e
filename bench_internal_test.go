package franceconnect

// Benchmarks of token verification, each next to its references measured
// in the same run (see bench_test.go for how to run and compare them):
//
//   - impl=gojose: a bare go-jose ParseSigned + Verify with the key in hand
//     and a json.Unmarshal of the payload into a plain struct, no checks;
//   - impl=baseline: the baseline of baseline_test.go, go-oidc's verifier (warm
//     RemoteKeySet) plus the nonce and acr checks.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// benchClock is the fixed instant of the verification benchmarks, so that
// tokens never expire however long a run lasts.
var benchClock = time.Unix(1_900_000_000, 0)

// benchProvider is a minimal v2 provider: a JWKS endpoint and keys to sign
// with, kid and claims shaped like FranceConnect's.
type benchProvider struct {
	srv    *httptest.Server
	issuer string
	ec     *ecdsa.PrivateKey
	rsa    *rsa.PrivateKey
}

const (
	benchClientID = "6925fb8143c76eded44d32b40c0cb1006065f7f003de52712b78985704f39950"
	benchSecret   = "7a5a2c3bb2a4b2b4f6b4d5b0b4b2b5b4b2b4b5b6b7b8b9b0b1b2b3b4b5b6b7b8"
	benchNonce    = "n-0S6_WzA2Mj-n-0S6_WzA2Mj-n-0S6_WzA2Mj-abc"
	benchSub      = "b6048e95bb134ec5b1d1e1fa69f287172e91722b9354d637a1bcf2ebb0fd2ef5v1"
	benchAccess   = "Fr1yGn9sXpZ8o4kE8eS4l5sYfR0bQ5rQYpK9-bR0m2w"
)

func newBenchProvider(tb testing.TB) *benchProvider {
	tb.Helper()
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		tb.Fatal(err)
	}
	p := &benchProvider{ec: ec, rsa: rk}
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
		{Key: &ec.PublicKey, KeyID: "pkcs11:ES256:hsm", Algorithm: "ES256", Use: "sig"},
		{Key: &rk.PublicKey, KeyID: "pkcs11:RS256:hsm", Algorithm: "RS256", Use: "sig"},
	}}
	doc, err := json.Marshal(set)
	if err != nil {
		tb.Fatal(err)
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	}))
	tb.Cleanup(p.srv.Close)
	p.issuer = p.srv.URL + "/api/v2"
	return p
}

// sign returns a compact JWS of claims, signed with alg (HS256 with the
// client secret, as v1 does).
func (p *benchProvider) sign(tb testing.TB, alg string, claims any) string {
	tb.Helper()
	var key jose.SigningKey
	opts := &jose.SignerOptions{}
	switch alg {
	case "ES256":
		key = jose.SigningKey{Algorithm: jose.ES256, Key: p.ec}
		opts = opts.WithHeader("kid", "pkcs11:ES256:hsm")
	case "RS256":
		key = jose.SigningKey{Algorithm: jose.RS256, Key: p.rsa}
		opts = opts.WithHeader("kid", "pkcs11:RS256:hsm")
	case "HS256":
		key = jose.SigningKey{Algorithm: jose.HS256, Key: []byte(benchSecret)}
	}
	sig, err := jose.NewSigner(key, opts)
	if err != nil {
		tb.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		tb.Fatal(err)
	}
	obj, err := sig.Sign(payload)
	if err != nil {
		tb.Fatal(err)
	}
	raw, err := obj.CompactSerialize()
	if err != nil {
		tb.Fatal(err)
	}
	return raw
}

// idTokenClaims are FranceConnect's v2 ID token claims (v1: the issuer
// without path, an idp claim, no auth_time).
func (p *benchProvider) idTokenClaims(v1 bool) map[string]any {
	c := map[string]any{
		"sub":       benchSub,
		"auth_time": benchClock.Add(-5 * time.Second).Unix(),
		"acr":       "eidas1",
		"nonce":     benchNonce,
		"aud":       benchClientID,
		"exp":       benchClock.Add(60 * time.Second).Unix(),
		"iat":       benchClock.Unix(),
		"iss":       p.issuer,
	}
	if v1 {
		c["iss"] = p.srv.URL
		c["idp"] = "FC"
		delete(c, "auth_time")
	}
	return c
}

// userInfoClaims are the default test user's, for identite_pivot and
// email, with the JWT envelope FranceConnect adds.
func (p *benchProvider) userInfoClaims() map[string]any {
	return map[string]any{
		"sub":              benchSub,
		"given_name":       "Angela Claire Louise",
		"given_name_array": []string{"Angela", "Claire", "Louise"},
		"family_name":      "DUBOIS",
		"birthdate":        "1962-08-24",
		"gender":           "female",
		"birthplace":       "75107",
		"birthcountry":     "99100",
		"email":            "wossewodda-3728@yopmail.com",
		"iss":              p.issuer,
		"aud":              benchClientID,
		"iat":              benchClock.Unix(),
		"exp":              benchClock.Add(60 * time.Second).Unix(),
	}
}

// client returns our Client for alg (v1 for HS256), its key cache warm.
func (p *benchProvider) client(tb testing.TB, alg string) *Client {
	tb.Helper()
	env, err := NewEnvironment(FranceConnect, p.issuer)
	if alg == "HS256" {
		env, err = NewEnvironment(FranceConnectV1, p.srv.URL)
		alg = "" // v1 implies HS256
	}
	if err != nil {
		tb.Fatal(err)
	}
	c, err := New(Config{
		Environment: env, ClientID: benchClientID, ClientSecret: benchSecret,
		RedirectURL: "https://portail.example/fc/callback", Algorithm: alg,
		HTTPClient: p.srv.Client(), Now: func() time.Time { return benchClock },
	})
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

func (p *benchProvider) baseline(alg string) *BaselineRP {
	return NewBaseline(BaselineConfig{
		Issuer: p.issuer, ClientID: benchClientID, ClientSecret: benchSecret,
		Algorithm: alg, ACR: "eidas1", JWKSURL: p.issuer + "/jwks",
		HTTPClient: p.srv.Client(), Now: func() time.Time { return benchClock },
	})
}

// benchBareClaims is what the bare go-jose reference decodes.
type benchBareClaims struct {
	Iss      string `json:"iss"`
	Sub      string `json:"sub"`
	Aud      string `json:"aud"`
	Exp      int64  `json:"exp"`
	Iat      int64  `json:"iat"`
	AuthTime int64  `json:"auth_time"`
	Nonce    string `json:"nonce"`
	ACR      string `json:"acr"`
	IdP      string `json:"idp"`
}

// benchBareIdentity is what the bare go-jose reference decodes from
// userinfo.
type benchBareIdentity struct {
	benchBareClaims
	GivenName      string   `json:"given_name"`
	GivenNameArray []string `json:"given_name_array"`
	FamilyName     string   `json:"family_name"`
	Birthdate      string   `json:"birthdate"`
	Gender         string   `json:"gender"`
	Birthplace     string   `json:"birthplace"`
	Birthcountry   string   `json:"birthcountry"`
	Email          string   `json:"email"`
}

func benchBare(b *testing.B, raw string, alg jose.SignatureAlgorithm, key, into any) {
	b.ReportAllocs()
	defer BenchCPU(b)()
	for b.Loop() {
		jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{alg})
		if err != nil {
			b.Fatal(err)
		}
		payload, err := jws.Verify(key)
		if err != nil {
			b.Fatal(err)
		}
		if err := json.Unmarshal(payload, into); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyIDToken: every ID token check (signature through the warm
// key cache on v2, the client secret on v1).
func BenchmarkVerifyIDToken(b *testing.B) {
	p := newBenchProvider(b)
	ctx := context.Background()
	req := &AuthRequest{Nonce: benchNonce}
	for _, alg := range []string{"ES256", "RS256", "HS256"} {
		raw := p.sign(b, alg, p.idTokenClaims(alg == "HS256"))
		var key any
		switch alg {
		case "ES256":
			key = &p.ec.PublicKey
		case "RS256":
			key = &p.rsa.PublicKey
		default:
			key = []byte(benchSecret)
		}
		b.Run("alg="+alg+"/impl=gojose", func(b *testing.B) {
			var claims benchBareClaims
			benchBare(b, raw, jose.SignatureAlgorithm(alg), key, &claims)
		})
		b.Run("alg="+alg+"/impl=ours", func(b *testing.B) {
			c := p.client(b, alg)
			if _, err := c.verifyIDToken(ctx, raw, req, benchAccess); err != nil { // warms the key cache
				b.Fatal(err)
			}
			b.ReportAllocs()
			defer BenchCPU(b)()
			for b.Loop() {
				if _, err := c.verifyIDToken(ctx, raw, req, benchAccess); err != nil {
					b.Fatal(err)
				}
			}
		})
		if alg == "HS256" {
			continue // go-oidc verifies asymmetric signatures only
		}
		b.Run("alg="+alg+"/impl=baseline", func(b *testing.B) {
			rp := p.baseline(alg)
			if _, err := rp.VerifyIDToken(ctx, raw, benchNonce, "eidas1"); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			defer BenchCPU(b)()
			for b.Loop() {
				if _, err := rp.VerifyIDToken(ctx, raw, benchNonce, "eidas1"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkUserInfo: decoding a signed userinfo (ES256): signature, iss,
// aud, exp, sub, then ParseIdentity.
func BenchmarkUserInfo(b *testing.B) {
	p := newBenchProvider(b)
	ctx := context.Background()
	raw := p.sign(b, "ES256", p.userInfoClaims())
	b.Run("impl=gojose", func(b *testing.B) {
		var id benchBareIdentity
		benchBare(b, raw, jose.ES256, &p.ec.PublicKey, &id)
	})
	b.Run("impl=ours", func(b *testing.B) {
		c := p.client(b, "ES256")
		decode := func() {
			id, err := c.userInfoIdentity(ctx, raw, benchSub)
			if err != nil || id.FamilyName != "DUBOIS" {
				b.Fatal(err)
			}
		}
		decode()
		b.ReportAllocs()
		defer BenchCPU(b)()
		for b.Loop() {
			decode()
		}
	})
	b.Run("impl=baseline", func(b *testing.B) {
		rp := p.baseline("ES256")
		decode := func() {
			id, err := rp.DecodeUserInfo(ctx, raw, benchSub)
			if err != nil || id.FamilyName != "DUBOIS" {
				b.Fatal(err)
			}
		}
		decode()
		b.ReportAllocs()
		defer BenchCPU(b)()
		for b.Loop() {
			decode()
		}
	})
}

// The claims of the benchmarks pass every check: if they stopped passing,
// the benchmarks would measure an error path.
func TestBenchTokensVerify(t *testing.T) {
	t.Parallel()
	p := newBenchProvider(t)
	ctx := context.Background()
	for _, alg := range []string{"ES256", "RS256", "HS256"} {
		c := p.client(t, alg)
		_, err := c.verifyIDToken(ctx, p.sign(t, alg, p.idTokenClaims(alg == "HS256")), &AuthRequest{Nonce: benchNonce}, benchAccess)
		if err != nil {
			t.Errorf("%s: %v", alg, err)
		}
	}
	c := p.client(t, "ES256")
	id, err := c.userInfoIdentity(ctx, p.sign(t, "ES256", p.userInfoClaims()), benchSub)
	if err != nil || !strings.HasPrefix(id.GivenName, "Angela") {
		t.Fatalf("%v %+v", err, id)
	}

}
