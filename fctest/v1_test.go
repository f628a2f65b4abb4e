package fctest_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
)

// v1Params is a legacy authorization request, as FranceConnect's own tests
// send it: short state and nonce, no acr_values, no prompt.
func v1Params(c fctest.Registration) url.Values {
	return url.Values{
		"response_type": {"code"},
		"client_id":     {c.ID},
		"redirect_uri":  {callback},
		"scope":         {"openid identite_pivot email"},
		"state":         {"testsBDD"},
		"nonce":         {"0123456789abcdef"},
	}
}

// v1Setup starts a FranceConnect v1 mock with one registration.
func v1Setup(t *testing.T) (*fctest.Server, fctest.Registration) {
	t.Helper()
	srv := fctest.NewServer(fctest.Options{Federation: franceconnect.FranceConnectV1})
	t.Cleanup(srv.Close)
	c := srv.Register(fctest.Registration{RedirectURIs: []string{callback}, PostLogoutRedirectURIs: []string{"https://app.example/logged-out"}})
	return srv, c
}

func TestV1Flow(t *testing.T) {
	t.Parallel()
	srv, c := v1Setup(t)
	env := srv.Environment()
	if env.Federation != franceconnect.FranceConnectV1 || env.Issuer != srv.URL || env.TokenEndpoint != srv.URL+"/api/v1/token" || env.JWKSURI != "" {
		t.Fatalf("Environment %+v", env)
	}
	if c.Alg != fctest.HS256 {
		t.Fatalf("a v1 registration signs with HS256, not %s", c.Alg)
	}
	nomDusage := fctest.Users()[1]
	cb, err := srv.Login(env.AuthorizationEndpoint+"?"+v1Params(c).Encode(), nomDusage)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(cb)
	q := u.Query()
	if q.Get("code") == "" || q.Get("state") != "testsBDD" || q.Has("iss") {
		t.Fatalf("v1 callback %s: want code and state, no iss", cb)
	}

	// A v1 server has no v2 API.
	if status, _, _ := postForm(t, srv.URL+"/api/v2/token", url.Values{"code": {q.Get("code")}}); status != http.StatusNotFound {
		t.Fatalf("v2 token endpoint on a v1 server: %d", status)
	}
	status, raw, _ := postForm(t, env.TokenEndpoint, url.Values{
		"grant_type": {"authorization_code"}, "code": {q.Get("code")}, "redirect_uri": {callback},
		"client_id": {c.ID}, "client_secret": {c.Secret},
	})
	var tok map[string]any
	if err := json.Unmarshal(raw, &tok); status != http.StatusOK || err != nil {
		t.Fatalf("v1 token: %d %s", status, raw)
	}
	if got := slices.Sorted(maps.Keys(tok)); !slices.Equal(got, []string{"access_token", "expires_in", "id_token", "token_type"}) {
		t.Fatalf("v1 token fields %v", got)
	}
	jws, err := jose.ParseSignedCompact(tok["id_token"].(string), []jose.SignatureAlgorithm{jose.HS256})
	if err != nil {
		t.Fatal(err)
	}
	payload, err := jws.Verify([]byte(c.Secret))
	if err != nil {
		t.Fatalf("v1 ID token does not verify with the client secret: %v", err)
	}
	claims := decodeClaims(t, payload)
	if jws.Signatures[0].Header.KeyID != "" || claims["iss"] != srv.URL || claims["idp"] != "FC" ||
		claims["nonce"] != "0123456789abcdef" || claims["aud"] != c.ID || claims["auth_time"] != nil {
		t.Fatalf("v1 ID token %v", claims)
	}

	// Userinfo is plain JSON, with preferred_username in identite_pivot.
	req, _ := http.NewRequest(http.MethodGet, env.UserInfoEndpoint, nil)
	req.Header.Set("Authorization", "Bearer "+tok["access_token"].(string))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("v1 userinfo: %s %v", resp.Header.Get("Content-Type"), err)
	}
	if info["sub"] != claims["sub"] || info["preferred_username"] != nomDusage.PreferredUsername ||
		info["given_name_array"] != nil || info["iss"] != nil || info["email"] != nomDusage.Email {
		t.Fatalf("v1 userinfo %v", info)
	}

	// Logout at /api/v1/logout.
	lo, err := noRedirect.Get(env.EndSessionEndpoint + "?" + url.Values{
		"id_token_hint": {tok["id_token"].(string)}, "state": {"bye"}, "post_logout_redirect_uri": {"https://app.example/logged-out"},
	}.Encode())
	if err != nil {
		t.Fatal(err)
	}
	lo.Body.Close()
	if lo.StatusCode != http.StatusSeeOther || lo.Header.Get("Location") != "https://app.example/logged-out?state=bye" {
		t.Fatalf("v1 logout: %s %q", lo.Status, lo.Header.Get("Location"))
	}
}

func TestV1AuthorizeChecks(t *testing.T) {
	t.Parallel()
	srv, c := v1Setup(t)
	for name, edit := range map[string]func(url.Values){
		"no state":       func(q url.Values) { q.Del("state") },
		"no nonce":       func(q url.Values) { q.Del("nonce") },
		"unknown client": func(q url.Values) { q.Set("client_id", "nope") },
	} {
		q := v1Params(c)
		edit(q)
		if _, err := srv.Login(srv.URL+"/api/v1/authorize?"+q.Encode(), fctest.DefaultUser); err == nil || !strings.Contains(err.Error(), "400") {
			t.Errorf("%s: %v, want a 400 page", name, err)
		}
	}
	q := v1Params(c)
	q.Set("scope", "openid address phone")
	if _, err := srv.Login(srv.URL+"/api/v1/authorize?"+q.Encode(), fctest.DefaultUser); err != nil {
		t.Errorf("v1 address and phone scopes: %v", err)
	}
}
