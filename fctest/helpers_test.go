package fctest_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/franceconnect-go/franceconnect/fctest"
)

const callback = "https://app.example/callback"

// noRedirect is an HTTP client that returns redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// setup starts a server with one client of the given alg.
func setup(t *testing.T, alg string) (*fctest.Server, fctest.Registration) {
	t.Helper()
	return setupWith(t, fctest.Options{}, alg)
}

// setupWith is setup on a server started with opts.
func setupWith(t *testing.T, opts fctest.Options, alg string) (*fctest.Server, fctest.Registration) {
	t.Helper()
	srv := fctest.NewServer(opts)
	t.Cleanup(srv.Close)
	c := srv.Register(fctest.Registration{
		RedirectURIs:           []string{callback},
		PostLogoutRedirectURIs: []string{"https://app.example/logged-out"},
		Alg:                    alg,
	})
	return srv, c
}

// authParams are the parameters of a valid authorization request.
func authParams(c fctest.Registration, redirectURI string) url.Values {
	return url.Values{
		"response_type": {"code"},
		"client_id":     {c.ID},
		"redirect_uri":  {redirectURI},
		"scope":         {"openid profile birth email"},
		"state":         {random(32)},
		"nonce":         {random(32)},
		"acr_values":    {"eidas1"},
		"prompt":        {"login consent"},
	}
}

func authURL(srv *fctest.Server, q url.Values) string {
	return srv.Environment().Issuer + "/authorize?" + q.Encode()
}

// flow is one login: its request and what came back.
type flow struct {
	params   url.Values
	callback *url.URL
	token    map[string]any // decoded token response
	raw      []byte
	status   int
}

// login logs DefaultUser (or u) in and returns the parsed callback.
func login(t *testing.T, srv *fctest.Server, q url.Values, u fctest.User) *url.URL {
	t.Helper()
	cb, err := srv.Login(authURL(srv, q), u)
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	parsed, err := url.Parse(cb)
	if err != nil {
		t.Fatalf("callback %q: %v", cb, err)
	}
	return parsed
}

// exchange posts the code to the token endpoint.
func exchange(t *testing.T, srv *fctest.Server, c fctest.Registration, code, redirectURI string) (int, []byte, http.Header) {
	t.Helper()
	return postForm(t, srv.Environment().Issuer+"/token", url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {redirectURI},
		"client_id":     {c.ID},
		"client_secret": {c.Secret},
	})
}

func postForm(t *testing.T, u string, form url.Values) (int, []byte, http.Header) {
	t.Helper()
	resp, err := noRedirect.PostForm(u, form)
	if err != nil {
		t.Fatalf("POST %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return resp.StatusCode, body, resp.Header
}

// fullFlow logs in and exchanges the code; it fails the test if either fails.
func fullFlow(t *testing.T, srv *fctest.Server, c fctest.Registration, q url.Values, u fctest.User) *flow {
	t.Helper()
	f := &flow{params: q, callback: login(t, srv, q, u)}
	code := f.callback.Query().Get("code")
	if code == "" {
		t.Fatalf("callback without code: %s", f.callback)
	}
	f.status, f.raw, _ = exchange(t, srv, c, code, q.Get("redirect_uri"))
	if f.status == http.StatusOK {
		if err := json.Unmarshal(f.raw, &f.token); err != nil {
			t.Fatalf("token response %q: %v", f.raw, err)
		}
	}
	return f
}

func (f *flow) idToken(t *testing.T) string {
	t.Helper()
	s, ok := f.token["id_token"].(string)
	if !ok {
		t.Fatalf("no id_token in %s", f.raw)
	}
	return s
}

func (f *flow) accessToken(t *testing.T) string {
	t.Helper()
	s, ok := f.token["access_token"].(string)
	if !ok {
		t.Fatalf("no access_token in %s", f.raw)
	}
	return s
}

// getJSON fetches u and decodes it.
func getJSON(t *testing.T, u string, v any) http.Header {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", u, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return resp.Header
}

func jwks(t *testing.T, srv *fctest.Server) jose.JSONWebKeySet {
	t.Helper()
	var set jose.JSONWebKeySet
	getJSON(t, srv.Environment().Issuer+"/jwks", &set)
	return set
}

// verify checks a compact JWS against the server's JWKS and returns its
// header and claims.
func verify(t *testing.T, srv *fctest.Server, token string) (jose.Header, map[string]any) {
	t.Helper()
	jws, err := jose.ParseSignedCompact(token, []jose.SignatureAlgorithm{jose.ES256, jose.RS256})
	if err != nil {
		t.Fatalf("parse %q: %v", token, err)
	}
	h := jws.Signatures[0].Header
	set := jwks(t, srv)
	keys := set.Key(h.KeyID)
	if len(keys) != 1 {
		t.Fatalf("kid %q: %d keys in the JWKS", h.KeyID, len(keys))
	}
	if keys[0].Algorithm != h.Algorithm {
		t.Fatalf("kid %q is for %s, token says %s", h.KeyID, keys[0].Algorithm, h.Algorithm)
	}
	payload, err := jws.Verify(keys[0])
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return h, decodeClaims(t, payload)
}

func decodeClaims(t *testing.T, payload []byte) map[string]any {
	t.Helper()
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatalf("claims %q: %v", payload, err)
	}
	return claims
}

// unverified splits a compact JWS and decodes its header and claims
// without checking anything.
func unverified(t *testing.T, token string) (header, claims map[string]any, sig []byte) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("%d parts in %q", len(parts), token)
	}
	dec := func(s string) []byte {
		b, err := base64.RawURLEncoding.DecodeString(s)
		if err != nil {
			t.Fatalf("base64 %q: %v", s, err)
		}
		return b
	}
	return decodeClaims(t, dec(parts[0])), decodeClaims(t, dec(parts[1])), dec(parts[2])
}

// userinfo calls the userinfo endpoint with the bearer token.
func userinfo(t *testing.T, srv *fctest.Server, token string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.Environment().Issuer+"/userinfo", nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("userinfo: %v", err)
	}
	return resp, body
}

// oauthErr decodes a FranceConnect JSON error and checks its shape.
func oauthErr(t *testing.T, body []byte) (code, ycode string) {
	t.Helper()
	var e map[string]string
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	if len(e) != 3 || e["error"] == "" || e["error_description"] == "" {
		t.Fatalf("error body %q: want exactly error, error_description, error_uri", body)
	}
	const prefix = "https://docs.partenaires.franceconnect.gouv.fr/fs/fs-technique/fs-technique-erreurs/?code="
	if !strings.HasPrefix(e["error_uri"], prefix) {
		t.Fatalf("error_uri %q", e["error_uri"])
	}
	if !strings.Contains(string(body), "&id=") {
		t.Fatalf("error body %s: error_uri must keep a literal &", body)
	}
	u, err := url.Parse(e["error_uri"])
	if err != nil || len(u.Query().Get("id")) != 36 {
		t.Fatalf("error_uri %q: want a uuid id", e["error_uri"])
	}
	return e["error"], u.Query().Get("code")
}
