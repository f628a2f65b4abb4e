package fctest_test

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/franceconnect-go/franceconnect/fctest"
)

func TestDiscovery(t *testing.T) {
	t.Parallel()
	srv, _ := setup(t, "")
	var doc map[string]any
	getJSON(t, srv.Environment().Issuer+"/.well-known/openid-configuration", &doc)
	iss := srv.Environment().Issuer
	if iss != srv.URL+"/api/v2" {
		t.Fatalf("Issuer %q", iss)
	}
	for k, want := range map[string]string{
		"issuer": iss, "authorization_endpoint": iss + "/authorize", "token_endpoint": iss + "/token",
		"userinfo_endpoint": iss + "/userinfo", "end_session_endpoint": iss + "/session/end", "jwks_uri": iss + "/jwks",
	} {
		if doc[k] != want {
			t.Errorf("%s = %v, want %s", k, doc[k], want)
		}
	}
	list := func(k string) string {
		var s []string
		for _, v := range doc[k].([]any) {
			s = append(s, v.(string))
		}
		return strings.Join(s, " ")
	}
	for k, want := range map[string]string{
		"acr_values_supported":                  "eidas1",
		"token_endpoint_auth_methods_supported": "client_secret_post private_key_jwt",
		"id_token_signing_alg_values_supported": "HS256 ES256 RS256",
		"userinfo_signing_alg_values_supported": "HS256 ES256 RS256",
		"response_types_supported":              "code",
	} {
		if got := list(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if doc["authorization_response_iss_parameter_supported"] != true || doc["claims_parameter_supported"] != true {
		t.Error("iss parameter and claims parameter must be advertised")
	}
	if !strings.Contains(list("scopes_supported"), "identite_pivot") || !strings.Contains(list("claims_supported"), "given_name_array") {
		t.Error("scopes_supported / claims_supported incomplete")
	}
}

func TestEnvironment(t *testing.T) {
	t.Parallel()
	srv, _ := setup(t, "")
	env := srv.Environment()
	if env.Name != "fctest" || env.Issuer != srv.Environment().Issuer || env.TokenEndpoint != srv.Environment().Issuer+"/token" || env.JWKSURI != srv.Environment().Issuer+"/jwks" {
		t.Fatalf("Environment %+v", env)
	}
}

func TestJWKS(t *testing.T) {
	t.Parallel()
	srv, _ := setup(t, "")
	resp, err := http.Get(srv.Environment().Issuer + "/jwks")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(body), `"d"`) || strings.Contains(string(body), `"p"`) {
		t.Fatalf("JWKS leaks private parts: %s", body)
	}
	set := jwks(t, srv)
	if len(set.Keys) != 2 {
		t.Fatalf("%d keys, want 2", len(set.Keys))
	}
	for _, k := range set.Keys {
		if !k.IsPublic() || k.Use != "sig" || k.KeyID == "" {
			t.Errorf("key %+v", k)
		}
		switch pub := k.Key.(type) {
		case *ecdsa.PublicKey:
			if k.Algorithm != "ES256" || pub.Curve.Params().Name != "P-256" || !strings.HasPrefix(k.KeyID, "pkcs11:ES256:") {
				t.Errorf("EC key %s %s", k.Algorithm, k.KeyID)
			}
		case *rsa.PublicKey:
			if k.Algorithm != "RS256" || pub.N.BitLen() != 2048 {
				t.Errorf("RSA key %s %d bits", k.Algorithm, pub.N.BitLen())
			}
		default:
			t.Errorf("unexpected key type %T", pub)
		}
	}
}

func TestRegisterClient(t *testing.T) {
	t.Parallel()
	srv := fctest.NewServer(fctest.Options{})
	defer srv.Close()
	c := srv.Register(fctest.Registration{})
	hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
	if !hex64.MatchString(c.ID) || !hex64.MatchString(c.Secret) || c.Alg != "ES256" {
		t.Fatalf("registered %+v", c)
	}
	kept := srv.Register(fctest.Registration{ID: "my-id", Secret: "my-secret", Alg: "RS256"})
	if kept.ID != "my-id" || kept.Secret != "my-secret" || kept.Alg != "RS256" {
		t.Fatalf("registered %+v", kept)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("Register with Alg HS256 did not panic")
		}
	}()
	srv.Register(fctest.Registration{Alg: "HS256"})
}

func TestRotateKeys(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, "")
	before := fullFlow(t, srv, c, authParams(c, callback), fctest.DefaultUser)
	h1, _ := verify(t, srv, before.idToken(t))
	srv.RotateKeys()
	set := jwks(t, srv)
	if len(set.Keys) != 2 || len(set.Key(h1.KeyID)) != 0 {
		t.Fatalf("old kid %q still in the JWKS after rotation", h1.KeyID)
	}
	after := fullFlow(t, srv, c, authParams(c, callback), fctest.DefaultUser)
	h2, _ := verify(t, srv, after.idToken(t))
	if h2.KeyID == h1.KeyID {
		t.Fatal("kid unchanged after rotation")
	}
	// Another server is not affected.
	other, oc := setup(t, "")
	h3, _ := verify(t, other, fullFlow(t, other, oc, authParams(oc, callback), fctest.DefaultUser).idToken(t))
	if h3.KeyID != h1.KeyID {
		t.Fatalf("other server's kid %q, want the shared %q", h3.KeyID, h1.KeyID)
	}
}

func TestStatsConcurrentLogins(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, "")
	const n = 1000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			cb, err := srv.Login(authURL(srv, authParams(c, callback)), fctest.DefaultUser)
			if err != nil {
				errs <- err
				return
			}
			u, _ := url.Parse(cb)
			resp, err := http.PostForm(srv.Environment().Issuer+"/token", url.Values{
				"grant_type": {"authorization_code"}, "code": {u.Query().Get("code")}, "redirect_uri": {callback},
				"client_id": {c.ID}, "client_secret": {c.Secret},
			})
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				errs <- fmt.Errorf("token: %s", resp.Status)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	jwks(t, srv)
	st := srv.Stats()
	if st.AuthorizeRequests != n || st.TokenRequests != n || st.JWKSFetches != 1 || st.UserInfoRequests != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestLogout(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, "")
	idToken := fullFlow(t, srv, c, authParams(c, callback), fctest.DefaultUser).idToken(t)
	get := func(q url.Values) *http.Response {
		resp, err := noRedirect.Get(srv.Environment().Issuer + "/session/end?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := get(url.Values{"id_token_hint": {idToken}, "state": {"st4te"}, "post_logout_redirect_uri": {"https://app.example/logged-out"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://app.example/logged-out?state=st4te" {
		t.Fatalf("logout: %s %q", resp.Status, resp.Header.Get("Location"))
	}
	if resp := get(url.Values{"id_token_hint": {idToken}, "post_logout_redirect_uri": {"https://evil.example/"}}); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("unregistered post_logout_redirect_uri: %s", resp.Status)
	}
	if resp := get(url.Values{"post_logout_redirect_uri": {"https://app.example/logged-out"}}); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("no id_token_hint: %s", resp.Status)
	}
	if resp := get(url.Values{"id_token_hint": {idToken}}); resp.StatusCode != http.StatusOK {
		t.Fatalf("no post_logout_redirect_uri: %s", resp.Status)
	}
	srv.Inject(fctest.LogoutNoState)
	if resp := get(url.Values{"id_token_hint": {idToken}, "state": {"st4te"}, "post_logout_redirect_uri": {"https://app.example/logged-out"}}); resp.Header.Get("Location") != "https://app.example/logged-out" {
		t.Fatalf("LogoutNoState: %q", resp.Header.Get("Location"))
	}
	srv.Reset()
	srv.Inject(fctest.LogoutWrongState)
	loc, _ := url.Parse(get(url.Values{"id_token_hint": {idToken}, "state": {"st4te"}, "post_logout_redirect_uri": {"https://app.example/logged-out"}}).Header.Get("Location"))
	if st := loc.Query().Get("state"); st == "" || st == "st4te" {
		t.Fatalf("LogoutWrongState: state %q", st)
	}
	if srv.Stats().LogoutRequests != 6 {
		t.Fatalf("LogoutRequests %d", srv.Stats().LogoutRequests)
	}
}

// Garbage in any endpoint gets an answer, never a panic or a hang.
func TestGarbageRequests(t *testing.T) {
	t.Parallel()
	srv, _ := setup(t, "")
	big := strings.Repeat("a=b&", 40<<10)
	paths := []string{"/authorize", "/token", "/token/revocation", "/userinfo", "/session/end", "/interaction/x/login", "/interaction/x/abort", "/jwks"}
	bodies := []string{"", "%", "client_id=%zz", big, "id_token_hint=a.b.c", "id_token_hint=a.e30.c", "id_token_hint=..", "claims={"}
	for _, p := range paths {
		for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut} {
			for _, b := range bodies {
				req, _ := http.NewRequest(method, srv.Environment().Issuer+p+"?"+url.PathEscape(b), strings.NewReader(b))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Authorization", "Bearer x y")
				resp, err := noRedirect.Do(req)
				if err != nil {
					t.Fatalf("%s %s: %v", method, p, err)
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK && p != "/jwks" {
					t.Errorf("%s %s %.20q: 200", method, p, b)
				}
			}
		}
	}
}

// Faults of one registration apply to it only; the mock's pages name the
// service; Logout plays the browser at FranceConnect's logout.
func TestRegistrationFaultsNameAndLogout(t *testing.T) {
	t.Parallel()
	srv := fctest.NewServer(fctest.Options{})
	defer srv.Close()
	const cb = "https://portail.example/cb"
	faulty := srv.Register(fctest.Registration{Name: "Mairie de Test", RedirectURIs: []string{cb}, PostLogoutRedirectURIs: []string{"https://portail.example/"}, Faults: []fctest.Fault{fctest.CallbackWrongIss, fctest.LogoutNoState}})
	clean := srv.Register(fctest.Registration{RedirectURIs: []string{cb}, PostLogoutRedirectURIs: []string{"https://portail.example/"}})
	login := func(reg fctest.Registration) url.Values {
		q := url.Values{"response_type": {"code"}, "client_id": {reg.ID}, "redirect_uri": {cb}, "scope": {"openid"},
			"state": {"state-state-state-state-state"}, "nonce": {"nonce-nonce-nonce-nonce-nonce"}, "acr_values": {"eidas1"}}
		back, err := srv.Login(srv.Environment().Issuer+"/authorize?"+q.Encode(), fctest.DefaultUser)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(back)
		return u.Query()
	}
	if got := login(faulty).Get("iss"); got == srv.Environment().Issuer {
		t.Error("the registration's fault did not apply")
	}
	if got := login(clean).Get("iss"); got != srv.Environment().Issuer {
		t.Errorf("another registration's fault applied: iss %q", got)
	}

	q := url.Values{"response_type": {"code"}, "client_id": {faulty.ID}, "redirect_uri": {cb}, "scope": {"openid"},
		"state": {"state-state-state-state-state"}, "nonce": {"nonce-nonce-nonce-nonce-nonce"}, "acr_values": {"eidas1"}}
	resp, err := http.Get(srv.Environment().Issuer + "/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "Mairie de Test") || strings.Contains(string(page), faulty.ID) {
		t.Error("the chooser names the service, not its client ID")
	}

	if _, err := srv.Logout(srv.Environment().Issuer + "/session/end?id_token_hint=a.b.c"); err == nil || !strings.Contains(err.Error(), "session/end: HTTP 400") {
		t.Errorf("a forged hint: %v", err)
	}
}

// The mock over https, with a client that trusts it.
func TestTLSServer(t *testing.T) {
	t.Parallel()
	srv := fctest.NewServer(fctest.Options{TLS: true})
	defer srv.Close()
	if !strings.HasPrefix(srv.Environment().Issuer, "https://127.0.0.1:") {
		t.Fatalf("issuer %s", srv.Environment().Issuer)
	}
	resp, err := srv.HTTPClient().Get(srv.Environment().Issuer + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("discovery over https: %s", resp.Status)
	}
}
