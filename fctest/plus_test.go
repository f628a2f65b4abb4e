package fctest_test

import (
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
)

// plusSetup starts a FranceConnect+ server with one client whose
// encryption key has the given algorithm.
func plusSetup(t *testing.T, alg string) (*fctest.Server, fctest.Registration, jose.JSONWebKey) {
	t.Helper()
	srv := fctest.NewServer(fctest.Options{Federation: franceconnect.FranceConnectPlus})
	t.Cleanup(srv.Close)
	key := fctest.ClientKey(alg)
	c := srv.Register(fctest.Registration{
		RedirectURIs:           []string{callback},
		PostLogoutRedirectURIs: []string{"https://app.example/logged-out"},
		EncryptionKeys:         []jose.JSONWebKey{key},
	})
	return srv, c, key
}

func plusParams(c fctest.Registration, acr string) url.Values {
	q := authParams(c, callback)
	q.Set("acr_values", acr)
	return q
}

// openJWE checks the FranceConnect+ envelope of token and returns its
// header and the inner JWS.
func openJWE(t *testing.T, token string, key jose.JSONWebKey) (jose.Header, string) {
	t.Helper()
	if n := strings.Count(token, "."); n != 4 {
		t.Fatalf("%d parts, want a compact JWE (5): %.60s", n+1, token)
	}
	jwe, err := jose.ParseEncryptedCompact(token, []jose.KeyAlgorithm{jose.KeyAlgorithm(key.Algorithm)}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		t.Fatalf("parse JWE: %v", err)
	}
	h := jwe.Header
	if h.KeyID != key.KeyID || h.Algorithm != key.Algorithm || h.ExtraHeaders["cty"] != "JWT" || h.ExtraHeaders["enc"] != "A256GCM" {
		t.Fatalf("JWE header %+v: want kid %s, alg %s, cty JWT, enc A256GCM", h, key.KeyID, key.Algorithm)
	}
	plain, err := jwe.Decrypt(key.Key)
	if err != nil {
		t.Fatalf("decrypt: %v", err)
	}
	return h, string(plain)
}

// jweHeader decodes the protected header of a compact JWE without checks.
func jweHeader(t *testing.T, token string) map[string]any {
	t.Helper()
	seg, _, _ := strings.Cut(token, ".")
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatalf("header %q: %v", seg, err)
	}
	return decodeClaims(t, b)
}

func TestPlusFlow(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{fctest.RSAOAEP, fctest.RSAOAEP256, fctest.ECDHES} {
		for _, acr := range []string{"eidas2", "eidas3"} {
			t.Run(alg+"/"+acr, func(t *testing.T) {
				t.Parallel()
				srv, c, key := plusSetup(t, alg)
				if srv.Environment().Federation != franceconnect.FranceConnectPlus {
					t.Fatal("not a FranceConnect+ server")
				}
				f := fullFlow(t, srv, c, plusParams(c, acr), fctest.DefaultUser)
				if f.status != http.StatusOK {
					t.Fatalf("token: %d %s", f.status, f.raw)
				}
				_, inner := openJWE(t, f.idToken(t), key)
				h, claims := verify(t, srv, inner)
				if h.Algorithm != fctest.ES256 || claims["acr"] != acr || claims["aud"] != c.ID || claims["iss"] != srv.Environment().Issuer {
					t.Fatalf("inner ID token %v %v", h, claims)
				}

				resp, body := userinfo(t, srv, f.accessToken(t))
				mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
				if resp.StatusCode != http.StatusOK || mt != "application/jwt" {
					t.Fatalf("userinfo: %s %s", resp.Status, mt)
				}
				_, inner = openJWE(t, string(body), key)
				_, ui := verify(t, srv, inner)
				if ui["sub"] != claims["sub"] || ui["given_name"] != "Angela Claire Louise" {
					t.Fatalf("userinfo claims %v", ui)
				}
			})
		}
	}
}

func TestPlusACR(t *testing.T) {
	t.Parallel()
	srv, c, key := plusSetup(t, fctest.ECDHES)
	for _, tc := range []struct {
		requested string
		user      string // User.ACR
		want      string // acr claim, or "" for invalid_acr
	}{
		{"eidas2", "", "eidas2"},
		{"eidas3", "", "eidas3"},
		{"eidas2 eidas3", "", "eidas2"},
		{"eidas2", "eidas3", "eidas3"},
		{"eidas3", "eidas2", "eidas2"}, // the mock sends what the IdP vouches for; the client must refuse it
		{"eidas1", "", ""},
		{"eidas1 eidas2", "", ""},
		{"eidas4", "", ""},
	} {
		t.Run(tc.requested+"/"+tc.user, func(t *testing.T) {
			u := fctest.DefaultUser
			u.ACR = tc.user
			q := plusParams(c, tc.requested)
			if tc.want == "" {
				cb := login(t, srv, q, u)
				if cb.Query().Get("error") != "invalid_acr" || !strings.Contains(cb.Query().Get("error_description"), "eidas2,eidas3") {
					t.Fatalf("callback %s: want invalid_acr", cb)
				}
				return
			}
			f := fullFlow(t, srv, c, q, u)
			_, inner := openJWE(t, f.idToken(t), key)
			if _, claims := verify(t, srv, inner); claims["acr"] != tc.want {
				t.Fatalf("acr %v, want %s", claims["acr"], tc.want)
			}
		})
	}

	// FranceConnect (not +) refuses eidas2 and ignores User.ACR.
	fc, fcc := setup(t, fctest.ES256)
	cb := login(t, fc, plusParams(fcc, "eidas2"), fctest.DefaultUser)
	if cb.Query().Get("error") != "invalid_acr" {
		t.Fatalf("FranceConnect with eidas2: %s", cb)
	}
	u := fctest.DefaultUser
	u.ACR = "eidas3"
	f := fullFlow(t, fc, fcc, authParams(fcc, callback), u)
	if _, claims := verify(t, fc, f.idToken(t)); claims["acr"] != "eidas1" {
		t.Fatalf("FranceConnect acr %v", claims["acr"])
	}
}

func TestPlusServerDocuments(t *testing.T) {
	t.Parallel()
	srv, _, _ := plusSetup(t, fctest.RSAOAEP)
	env := srv.Environment()
	if env.Federation != franceconnect.FranceConnectPlus || env.Name != "fctest" || env.Issuer != srv.URL+"/api/v2" {
		t.Fatalf("Environment %+v", env)
	}
	var doc map[string]any
	getJSON(t, srv.Environment().Issuer+"/.well-known/openid-configuration", &doc)
	for key, want := range map[string]string{
		"acr_values_supported":                     "eidas2 eidas3",
		"id_token_signing_alg_values_supported":    "ES256",
		"userinfo_signing_alg_values_supported":    "ES256",
		"id_token_encryption_alg_values_supported": "ECDH-ES RSA-OAEP RSA-OAEP-256",
		"id_token_encryption_enc_values_supported": "A256GCM",
		"userinfo_encryption_alg_values_supported": "ECDH-ES RSA-OAEP RSA-OAEP-256",
		"userinfo_encryption_enc_values_supported": "A256GCM",
	} {
		var got []string
		for _, v := range doc[key].([]any) {
			got = append(got, v.(string))
		}
		if strings.Join(got, " ") != want {
			t.Errorf("%s = %v, want %s", key, got, want)
		}
	}
	set := jwks(t, srv)
	if len(set.Keys) != 1 || set.Keys[0].Algorithm != fctest.ES256 {
		t.Errorf("FranceConnect+ JWKS: %d keys, want the ES256 key only", len(set.Keys))
	}
	resp, err := http.Get(srv.URL + "/api/v1/authorize")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("/api/v1 on FranceConnect+: %s, want 404", resp.Status)
	}

	// FranceConnect's discovery announces no encryption.
	fc, _ := setup(t, fctest.ES256)
	doc = nil
	getJSON(t, fc.Environment().Issuer+"/.well-known/openid-configuration", &doc)
	if _, ok := doc["id_token_encryption_alg_values_supported"]; ok {
		t.Error("FranceConnect announces encryption")
	}
}

func TestPlusRegisterClient(t *testing.T) {
	t.Parallel()
	srv := fctest.NewServer(fctest.Options{Federation: franceconnect.FranceConnectPlus})
	t.Cleanup(srv.Close)
	fc := fctest.NewServer(fctest.Options{})
	t.Cleanup(fc.Close)
	key := fctest.ClientKey(fctest.RSAOAEP256)

	c := srv.Register(fctest.Registration{RedirectURIs: []string{callback}, EncryptionKeys: []jose.JSONWebKey{key}})
	if len(c.EncryptionKeys) != 1 || !c.EncryptionKeys[0].IsPublic() || c.EncryptionKeys[0].Algorithm != fctest.RSAOAEP256 || c.EncryptionKeys[0].Use != "enc" {
		t.Fatalf("registered keys %+v: want the public part only", c.EncryptionKeys)
	}
	if c.Alg != fctest.ES256 {
		t.Fatalf("Alg %q", c.Alg)
	}
	// Keys without alg get the default for their type.
	noAlg := fctest.ClientKey(fctest.ECDHES)
	noAlg.Algorithm = ""
	c = srv.Register(fctest.Registration{EncryptionKeys: []jose.JSONWebKey{noAlg}})
	if c.EncryptionKeys[0].Algorithm != fctest.ECDHES {
		t.Fatalf("EC key without alg: %q", c.EncryptionKeys[0].Algorithm)
	}

	wrongAlg := key
	wrongAlg.Algorithm = fctest.ECDHES
	for name, f := range map[string]func(){
		"RS256":                func() { srv.Register(fctest.Registration{Alg: fctest.RS256, EncryptionKeys: []jose.JSONWebKey{key}}) },
		"no keys":              func() { srv.Register(fctest.Registration{}) },
		"RSA key with ECDH-ES": func() { srv.Register(fctest.Registration{EncryptionKeys: []jose.JSONWebKey{wrongAlg}}) },
		"symmetric key": func() {
			srv.Register(fctest.Registration{EncryptionKeys: []jose.JSONWebKey{{Key: []byte("0123456789abcdef")}}})
		},
		"keys on FranceConnect": func() { fc.Register(fctest.Registration{EncryptionKeys: []jose.JSONWebKey{key}}) },
		"ClientKey(dir)":        func() { fctest.ClientKey("dir") },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		})
	}
}

// plusFaults are checked on the raw ID token or userinfo they alter; key
// is the client's.
var plusFaults = map[fctest.Fault]func(t *testing.T, token string, key jose.JSONWebKey){
	fctest.IDTokenNotEncrypted:   notEncrypted,
	fctest.UserInfoNotEncrypted:  notEncrypted,
	fctest.IDTokenJWEUnknownKid:  headerCheck(func(h map[string]any, k jose.JSONWebKey) bool { return h["kid"] != k.KeyID && h["alg"] == k.Algorithm }),
	fctest.UserInfoJWEUnknownKid: headerCheck(func(h map[string]any, k jose.JSONWebKey) bool { return h["kid"] != k.KeyID && h["alg"] == k.Algorithm }),
	fctest.IDTokenJWEDir:         headerCheck(func(h map[string]any, k jose.JSONWebKey) bool { return h["alg"] == "dir" && h["kid"] == k.KeyID }),
	fctest.UserInfoJWEDir:        headerCheck(func(h map[string]any, k jose.JSONWebKey) bool { return h["alg"] == "dir" && h["kid"] == k.KeyID }),
	fctest.IDTokenJWEPBES2: headerCheck(func(h map[string]any, k jose.JSONWebKey) bool {
		return h["alg"] == "PBES2-HS256+A128KW" && h["p2c"] != nil
	}),
	fctest.UserInfoJWEPBES2: headerCheck(func(h map[string]any, k jose.JSONWebKey) bool {
		return h["alg"] == "PBES2-HS256+A128KW" && h["p2c"] != nil
	}),
	fctest.IDTokenJWEWrongEnc: headerCheck(func(h map[string]any, k jose.JSONWebKey) bool {
		return h["enc"] == "A128GCM" && h["alg"] == k.Algorithm
	}),
	fctest.UserInfoJWEWrongEnc: headerCheck(func(h map[string]any, k jose.JSONWebKey) bool {
		return h["enc"] == "A128GCM" && h["alg"] == k.Algorithm
	}),
	fctest.IDTokenJWEOtherAlg:  otherAlg,
	fctest.UserInfoJWEOtherAlg: otherAlg,
	fctest.IDTokenJWETampered:  tampered,
	fctest.UserInfoJWETampered: tampered,
	fctest.IDTokenJWENoCty:     noCty,
	fctest.UserInfoJWENoCty:    noCty,
}

func notEncrypted(t *testing.T, token string, _ jose.JSONWebKey) {
	t.Helper()
	if strings.Count(token, ".") != 2 {
		t.Fatalf("want a plain JWS, got %d parts", strings.Count(token, ".")+1)
	}
}

func headerCheck(ok func(h map[string]any, k jose.JSONWebKey) bool) func(*testing.T, string, jose.JSONWebKey) {
	return func(t *testing.T, token string, key jose.JSONWebKey) {
		t.Helper()
		if h := jweHeader(t, token); !ok(h, key) {
			t.Fatalf("JWE header %v", h)
		}
	}
}

func otherAlg(t *testing.T, token string, key jose.JSONWebKey) {
	t.Helper()
	h := jweHeader(t, token)
	want := map[string]string{fctest.RSAOAEP: fctest.RSAOAEP256, fctest.RSAOAEP256: fctest.RSAOAEP, fctest.ECDHES: "ECDH-ES+A256KW"}[key.Algorithm]
	if h["alg"] != want || h["kid"] != key.KeyID {
		t.Fatalf("JWE header %v: want alg %s", h, want)
	}
	// It is still for the client's key: it decrypts with the other algorithm.
	jwe, err := jose.ParseEncryptedCompact(token, []jose.KeyAlgorithm{jose.KeyAlgorithm(want)}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwe.Decrypt(key.Key); err != nil {
		t.Fatalf("decrypt with %s: %v", want, err)
	}
}

func tampered(t *testing.T, token string, key jose.JSONWebKey) {
	t.Helper()
	jwe, err := jose.ParseEncryptedCompact(token, []jose.KeyAlgorithm{jose.KeyAlgorithm(key.Algorithm)}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := jwe.Decrypt(key.Key); err == nil {
		t.Fatal("a tampered JWE decrypts")
	}
}

func noCty(t *testing.T, token string, key jose.JSONWebKey) {
	t.Helper()
	if h := jweHeader(t, token); h["cty"] != nil || h["kid"] != key.KeyID {
		t.Fatalf("JWE header %v: want no cty", h)
	}
}

func TestPlusFaults(t *testing.T) {
	t.Parallel()
	for _, f := range plusOnly() {
		check := plusFaults[f]
		if check == nil {
			t.Errorf("fault %v has no check", f)
			continue
		}
		for _, alg := range []string{fctest.RSAOAEP, fctest.ECDHES} {
			t.Run(f.String()+"/"+alg, func(t *testing.T) {
				t.Parallel()
				srv, c, key := plusSetup(t, alg)
				srv.Inject(f)
				fl := fullFlow(t, srv, c, plusParams(c, "eidas2"), fctest.DefaultUser)
				idToken := fl.idToken(t)
				resp, body := userinfo(t, srv, fl.accessToken(t))
				if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/jwt; charset=utf-8" {
					t.Fatalf("userinfo %s %s", resp.Status, resp.Header.Get("Content-Type"))
				}
				target, other := idToken, string(body)
				if strings.HasPrefix(f.String(), "UserInfo") {
					target, other = other, target
				}
				check(t, target, key)
				openJWE(t, other, key) // the other response is untouched
			})
		}
	}
	// On FranceConnect the FranceConnect+ faults cannot be injected.
	srv, _ := setup(t, fctest.ES256)
	for _, f := range plusOnly() {
		if !panics(func() { srv.Inject(f) }) {
			t.Errorf("%v injected on FranceConnect", f)
		}
	}
	if !slices.Contains(fctest.Faults(franceconnect.FranceConnectPlus), fctest.IDTokenJWENoCty) {
		t.Error("Faults(FranceConnectPlus) lacks the FranceConnect+ faults")
	}
}

// plusOnly lists the faults of FranceConnect+ that FranceConnect lacks.
func plusOnly() []fctest.Fault {
	var out []fctest.Fault
	for _, f := range fctest.Faults(franceconnect.FranceConnectPlus) {
		if !slices.Contains(fctest.Faults(franceconnect.FranceConnect), f) {
			out = append(out, f)
		}
	}
	return out
}

// panics reports whether f panics.
func panics(f func()) (did bool) {
	defer func() { did = recover() != nil }()
	f()
	return false
}

func TestPlusLogout(t *testing.T) {
	t.Parallel()
	srv, c, key := plusSetup(t, fctest.RSAOAEP256)
	f := fullFlow(t, srv, c, plusParams(c, "eidas3"), fctest.DefaultUser)
	_, inner := openJWE(t, f.idToken(t), key)

	logout := func(hint string) *http.Response {
		q := url.Values{"id_token_hint": {hint}, "state": {"xyz-state"}, "post_logout_redirect_uri": {"https://app.example/logged-out"}}
		resp, err := noRedirect.Get(srv.Environment().Issuer + "/session/end?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	if resp := logout(f.idToken(t)); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("logout with the JWE as hint: %s, want 400", resp.Status)
	}
	resp := logout(inner)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://app.example/logged-out?state=xyz-state" {
		t.Errorf("logout with the inner JWS: %s %s", resp.Status, resp.Header.Get("Location"))
	}
}

func TestClientKey(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{fctest.RSAOAEP, fctest.RSAOAEP256, fctest.ECDHES} {
		k := fctest.ClientKey(alg)
		if k.IsPublic() || !k.Valid() || k.Algorithm != alg || k.KeyID != "fctest-"+alg || k.Use != "enc" {
			t.Errorf("ClientKey(%s) = kid %s alg %s", alg, k.KeyID, k.Algorithm)
		}
		if again := fctest.ClientKey(alg); again.Key != k.Key {
			t.Errorf("ClientKey(%s) is generated again", alg)
		}
		b, _ := json.Marshal(k)
		if !strings.Contains(string(b), `"d"`) {
			t.Errorf("ClientKey(%s) is not private", alg)
		}
	}
}
