package fctest_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/franceconnect-go/franceconnect/fctest"
)

var errorCode = regexp.MustCompile(`data-error-code="(Y[0-9A-Z]+)"`)

func TestAuthorizeChecks(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, "")
	set := func(k, v string) func(url.Values) { return func(q url.Values) { q.Set(k, v) } }
	del := func(k string) func(url.Values) { return func(q url.Values) { q.Del(k) } }
	tests := []struct {
		name   string
		edit   func(url.Values)
		page   string // expected Y-code of a 400 page
		err    string // expected error of a redirect
		desc   string // expected error_description, when checked
		chosen bool   // expected chooser page
	}{
		{name: "valid", edit: func(url.Values) {}, chosen: true},
		{name: "no prompt", edit: del("prompt"), chosen: true},
		{name: "prompt login", edit: set("prompt", "login"), chosen: true},
		{name: "prompt consent", edit: set("prompt", "consent"), chosen: true},
		{name: "prompt none", edit: set("prompt", "none"), page: "Y030007"},
		{name: "prompt select_account", edit: set("prompt", "select_account"), page: "Y030007"},
		{name: "prompt empty", edit: set("prompt", ""), page: "Y030007"},
		{name: "prompt login login", edit: set("prompt", "login login"), page: "Y030007"},
		{name: "nonce 22 chars", edit: set("nonce", strings.Repeat("n", 22)), chosen: true},
		{name: "nonce 21 chars", edit: set("nonce", strings.Repeat("n", 21)), page: "Y030007"},
		{name: "no nonce", edit: del("nonce"), page: "Y030007"},
		{name: "no state", edit: del("state"), err: "invalid_request", desc: "missing required parameter 'state'"},
		{name: "idp_hint not allowed", edit: set("idp_hint", "france-identite"), err: "invalid_idp_hint", desc: "An idp_hint was provided but is not allowed"},
		{name: "empty idp_hint", edit: set("idp_hint", ""), err: "invalid_idp_hint"},
		{name: "no acr_values", edit: del("acr_values"), page: "Y030007"},
		{name: "no client_id", edit: del("client_id"), page: "Y030007"},
		{name: "no redirect_uri", edit: del("redirect_uri"), page: "Y030007"},
		{name: "no scope", edit: del("scope"), page: "Y030007"},
		{name: "duplicate state", edit: func(q url.Values) { q.Add("state", "again") }, page: "Y030007"},
		{name: "unknown client", edit: set("client_id", strings.Repeat("0", 64)), page: "Y04EA6EF"},
		{name: "unregistered redirect_uri", edit: set("redirect_uri", "https://evil.example/callback"), page: "Y04C013C"},
		{name: "redirect_uri with extra query", edit: set("redirect_uri", callback+"?x=1"), page: "Y04C013C"},
		{name: "redirect_uri trailing slash", edit: set("redirect_uri", callback+"/"), page: "Y04C013C"},
		{name: "response_type token", edit: set("response_type", "token"), err: "unsupported_response_type", desc: "unsupported response_type requested"},
		{name: "no response_type", edit: del("response_type"), err: "invalid_request", desc: "missing required parameter 'response_type'"},
		{name: "no openid", edit: set("scope", "profile email"), err: "invalid_request", desc: "openid scope must be requested when using the acr_values parameter"},
		{name: "unknown scope", edit: set("scope", "openid address"), err: "invalid_scope"},
		{name: "eidas2", edit: set("acr_values", "eidas2"), err: "invalid_acr", desc: "acr_value is not valid, should be equal one of these values, expected eidas1, got eidas2"},
		{name: "eidas3 eidas2", edit: set("acr_values", "eidas3 eidas2"), err: "invalid_acr", desc: "acr_value is not valid, should be equal one of these values, expected eidas1, got eidas2"},
		{name: "eidas2 eidas1", edit: set("acr_values", "eidas2 eidas1"), chosen: true},
		{name: "unknown acr only", edit: set("acr_values", "loa-whatever"), chosen: true},
		{name: "bad claims JSON", edit: set("claims", "{"), err: "invalid_request"},
		// FranceConnect refuses every parameter it does not list.
		{name: "PKCE refused", edit: func(q url.Values) {
			q.Set("code_challenge", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
			q.Set("code_challenge_method", "S256")
		}, page: "Y030007"},
		{name: "response_mode refused", edit: set("response_mode", "query"), page: "Y030007"},
		{name: "login_hint refused", edit: set("login_hint", "angela@example.fr"), page: "Y030007"},
		{name: "request refused", edit: set("request", "e30.e30."), page: "Y030007"},
		{name: "unknown parameter refused", edit: set("foo", "bar"), page: "Y030007"},
		{name: "ui_locales ignored", edit: set("ui_locales", "fr"), chosen: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := authParams(c, callback)
			tt.edit(q)
			resp, err := noRedirect.Get(authURL(srv, q))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			switch {
			case tt.chosen:
				if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "/login\"") {
					t.Fatalf("got %s, want the chooser page:\n%s", resp.Status, body)
				}
			case tt.page != "":
				m := errorCode.FindSubmatch(body)
				if resp.StatusCode != http.StatusBadRequest || m == nil || string(m[1]) != tt.page {
					t.Fatalf("got %s %q, want 400 page %s", resp.Status, m, tt.page)
				}
				if resp.Header.Get("Location") != "" {
					t.Fatal("error page must not redirect")
				}
			default:
				if resp.StatusCode != http.StatusSeeOther {
					t.Fatalf("got %s, want a 303 error redirect", resp.Status)
				}
				loc, _ := url.Parse(resp.Header.Get("Location"))
				got := loc.Query()
				wantState := q.Get("state")
				if wantState == "" {
					wantState = "undefined" // as FranceConnect writes a missing state
				}
				if !strings.HasPrefix(loc.String(), callback+"?") || got.Get("error") != tt.err ||
					got.Get("state") != wantState || got.Get("iss") != srv.Environment().Issuer || got.Get("error_description") == "" {
					t.Fatalf("redirect %s: want error=%s with state and iss", loc, tt.err)
				}
				if tt.desc != "" && got.Get("error_description") != tt.desc {
					t.Fatalf("error_description %q, want %q", got.Get("error_description"), tt.desc)
				}
			}
		})
	}
}

func TestAuthorizePOST(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, "")
	resp, err := noRedirect.PostForm(srv.Environment().Issuer+"/authorize", authParams(c, callback))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "/api/v2/interaction/") {
		t.Fatalf("POST authorize: %s\n%s", resp.Status, body)
	}
}

func TestChooserPage(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, "")
	resp, err := noRedirect.Get(authURL(srv, authParams(c, callback)))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(body)
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	for _, want := range []string{`lang="fr"`, `method="post"`, `name="login"`, "Revenir sur le service", "Angela Claire Louise DUBOIS", "Jean-Paul Émile DE LA FONTAINE"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, u := range fctest.Users() {
		if !strings.Contains(page, `value="`+u.Login+`"`) {
			t.Errorf("page lacks a button for %q", u.Login)
		}
	}
	for _, external := range []string{"<script", "<link", "src=", "http://", "https://"} {
		if strings.Contains(page, external) {
			t.Errorf("page has external asset marker %q", external)
		}
	}
}

func TestAbortLink(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, "")
	q := authParams(c, callback)
	resp, err := noRedirect.Get(authURL(srv, q))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`href="(/api/v2/interaction/[^"]+/abort)"`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no abort link in\n%s", body)
	}
	resp, err = noRedirect.Get(srv.URL + string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	want := callback + "?error=access_denied&error_description=User+auth+aborted&state=" +
		url.QueryEscape(q.Get("state")) + "&iss=" + url.QueryEscape(srv.Environment().Issuer)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
		t.Fatalf("abort: %s %q, want 303 %q", resp.Status, resp.Header.Get("Location"), want)
	}
	// The interaction is gone.
	resp, err = noRedirect.Get(srv.URL + string(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("second abort: %s, want 400", resp.Status)
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, "")
	q := authParams(c, callback)
	cb := login(t, srv, q, fctest.DefaultUser)
	got := cb.Query()
	if len(got) != 3 || len(got.Get("code")) < 32 || got.Get("state") != q.Get("state") || got.Get("iss") != srv.Environment().Issuer {
		t.Fatalf("callback %s: want code, state and iss", cb)
	}
	if want := callback + "?code=" + got.Get("code") + "&state=" + q.Get("state") + "&iss=" + url.QueryEscape(srv.Environment().Issuer); cb.String() != want {
		t.Fatalf("callback %s, want %s", cb, want)
	}

	// Error pages become errors naming the status and the Y-code.
	bad := authParams(c, "https://evil.example/cb")
	if _, err := srv.Login(authURL(srv, bad), fctest.DefaultUser); err == nil ||
		!strings.Contains(err.Error(), "400") || !strings.Contains(err.Error(), "Y04C013C") {
		t.Fatalf("Login with unregistered redirect_uri: %v", err)
	}
	// Error redirects are returned as callbacks.
	q.Set("acr_values", "eidas2")
	cb = login(t, srv, q, fctest.DefaultUser)
	if cb.Query().Get("error") != "invalid_acr" {
		t.Fatalf("callback %s: want invalid_acr", cb)
	}
	if _, err := srv.Login(authURL(srv, authParams(c, callback)), fctest.User{}); err == nil {
		t.Fatal("Login with an empty User.Login succeeded")
	}
}

func TestLoginCustomUser(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, "")
	u := fctest.DefaultUser
	u.Login = "custom-user"
	u.Email = "custom@example.org"
	q := authParams(c, callback)
	q.Set("scope", "openid email")
	f := fullFlow(t, srv, c, q, u)
	resp, body := userinfo(t, srv, f.accessToken(t))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("userinfo: %s", resp.Status)
	}
	_, claims := verify(t, srv, string(body))
	if claims["email"] != "custom@example.org" {
		t.Fatalf("email %v, want the custom user's", claims["email"])
	}
}

// A redirect_uri that carries its own query string comes back untouched.
func TestRedirectURIWithQuery(t *testing.T) {
	t.Parallel()
	const portal = "https://portail.example/account-management/aidestpe-demandeurs/france-connect/code?redirectUrl=https%3A%2F%2Fportail.example%2Faides%2F%23%2Faidestpe%2Fconnecte%2Fdashboard%2Faccueil&jwtKey=jwt-aidestpe-portail-depot-demande-aides"
	srv := fctest.NewServer(fctest.Options{})
	defer srv.Close()
	c := srv.Register(fctest.Registration{RedirectURIs: []string{portal}})
	q := authParams(c, portal)
	cb, err := srv.Login(authURL(srv, q), fctest.DefaultUser)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cb, portal+"&code=") {
		t.Fatalf("callback %s\ndoes not start with %s&code=", cb, portal)
	}
	parsed, _ := url.Parse(cb)
	code := parsed.Query().Get("code")

	// The token endpoint wants the same bytes: a re-encoded URI is refused.
	reencoded, _ := url.Parse(portal)
	reencoded.RawQuery = reencoded.Query().Encode()
	if reencoded.String() == portal {
		t.Fatal("re-encoding did not change the URI; the test proves nothing")
	}
	if status, body, _ := exchange(t, srv, c, code, reencoded.String()); status != http.StatusBadRequest {
		t.Fatalf("re-encoded redirect_uri: %d %s", status, body)
	}
	// A refused exchange does not consume the code.
	if status, body, _ := exchange(t, srv, c, code, portal); status != http.StatusOK {
		t.Fatalf("exact redirect_uri: %d %s", status, body)
	}
}

// The registered query comes back re-encoded, in order, as FranceConnect's
// provider serializes it.
func TestAppendQueryForms(t *testing.T) {
	t.Parallel()
	for uri, want := range map[string]string{
		"https://app.example/cb?":            "https://app.example/cb?",
		"https://app.example/cb?a=1&":        "https://app.example/cb?a=1&",
		"https://app.example/cb?a=%20b+c":    "https://app.example/cb?a=+b+c&",
		"https://app.example/cb?z=1&a=%2F&b": "https://app.example/cb?z=1&a=%2F&b=&",
	} {
		t.Run(uri, func(t *testing.T) {
			t.Parallel()
			srv := fctest.NewServer(fctest.Options{})
			defer srv.Close()
			c := srv.Register(fctest.Registration{RedirectURIs: []string{uri}})
			cb, err := srv.Login(authURL(srv, authParams(c, uri)), fctest.DefaultUser)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(cb, want+"code=") {
				t.Fatalf("callback %s, want prefix %scode=", cb, want)
			}
		})
	}
}
