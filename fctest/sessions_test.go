package fctest_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
)

// ProConnect as services use it in 2026: PKCE, refresh tokens that rotate
// and can be revoked, levels preferred or required, the e-mail code that
// raises a level, the Y020032 dead end, the tester's choices per login.

// pcPreferred are the parameters of a login that prefers levels
// (essential false).
func pcPreferred(c fctest.Registration, levels ...string) url.Values {
	q := pcParams(c)
	claims, _ := json.Marshal(map[string]any{"id_token": map[string]any{"acr": map[string]any{"essential": false, "values": levels}, "amr": nil}})
	q.Set("claims", string(claims))
	return q
}

// tokenForm posts form to the token endpoint as client c.
func tokenForm(t *testing.T, srv *fctest.Server, c fctest.Registration, form url.Values) (int, map[string]any) {
	t.Helper()
	form.Set("client_id", c.ID)
	form.Set("client_secret", c.Secret)
	status, body, _ := postForm(t, srv.Environment().Issuer+"/token", form)
	var out map[string]any
	_ = json.Unmarshal(body, &out)
	return status, out
}

// A PKCE login (S256) is redeemed with its verifier only.
func TestProConnectPKCE(t *testing.T) {
	t.Parallel()
	srv, c := pcSetup(t, fctest.Registration{})
	verifier := strings.Repeat("v", 50)
	sum := sha256.Sum256([]byte(verifier))
	for _, tt := range []struct {
		name, verifier string
		want           int
	}{{"wrong verifier", strings.Repeat("w", 50), http.StatusBadRequest}, {"no verifier", "", http.StatusBadRequest}, {"its verifier", verifier, http.StatusOK}} {
		q := pcParams(c, "eidas1")
		q.Set("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
		q.Set("code_challenge_method", "S256")
		code := login(t, srv, q, fctest.Agents()[0]).Query().Get("code")
		form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback}}
		if tt.verifier != "" {
			form.Set("code_verifier", tt.verifier)
		}
		if status, body := tokenForm(t, srv, c, form); status != tt.want {
			t.Errorf("%s: %d %v, want %d", tt.name, status, body, tt.want)
		}
	}
	// A verifier without a challenge is refused too.
	code := login(t, srv, pcParams(c, "eidas1"), fctest.Agents()[0]).Query().Get("code")
	if status, _ := tokenForm(t, srv, c, url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {callback}, "code_verifier": {verifier}}); status != http.StatusBadRequest {
		t.Errorf("a verifier without a challenge: %d", status)
	}
}

// Refresh tokens: ProConnect's lifetimes, rotation, the same session in
// the new ID token (sub, auth_time, sid, acr; no nonce), revocation, and
// none on FranceConnect.
func TestProConnectRefresh(t *testing.T) {
	t.Parallel()
	srv, c := pcSetup(t, fctest.Registration{})
	f := fullFlow(t, srv, c, pcParams(c, "eidas1"), fctest.Agents()[0])
	if f.token["expires_in"] != float64(3600) {
		t.Errorf("expires_in %v, want ProConnect's hour", f.token["expires_in"])
	}
	_, first := verify(t, srv, f.idToken(t))
	if sid, _ := first["sid"].(string); sid == "" {
		t.Error("no sid in ProConnect's ID token")
	}
	rt := f.token["refresh_token"].(string)
	status, out := tokenForm(t, srv, c, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}})
	if status != http.StatusOK {
		t.Fatalf("refresh: %d %v", status, out)
	}
	_, renewed := verify(t, srv, out["id_token"].(string))
	for _, claim := range []string{"sub", "auth_time", "sid", "acr", "aud", "iss"} {
		if renewed[claim] != first[claim] {
			t.Errorf("refreshed %s %v, want the session's %v", claim, renewed[claim], first[claim])
		}
	}
	if _, ok := renewed["nonce"]; ok {
		t.Error("a refreshed ID token carries a nonce")
	}
	next, _ := out["refresh_token"].(string)
	if next == "" || next == rt {
		t.Error("the refresh token is not rotated")
	}
	if status, _ := tokenForm(t, srv, c, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}); status != http.StatusBadRequest {
		t.Errorf("the used refresh token: %d", status)
	}
	other := srv.Register(fctest.Registration{RedirectURIs: []string{callback}})
	if status, _ := tokenForm(t, srv, other, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {next}}); status != http.StatusBadRequest {
		t.Errorf("another client's refresh token: %d", status)
	}

	// Revoked, it no longer refreshes; the provider counts it.
	before := srv.Stats().Revocations
	if status, _, _ := postForm(t, srv.Environment().Issuer+"/token/revocation", url.Values{"token": {next}, "client_id": {c.ID}, "client_secret": {c.Secret}}); status != http.StatusOK {
		t.Fatalf("revocation: %d", status)
	}
	if got := srv.Stats().Revocations - before; got != 1 {
		t.Errorf("%d revocations counted", got)
	}
	if status, _ := tokenForm(t, srv, c, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {next}}); status != http.StatusBadRequest {
		t.Errorf("a revoked refresh token: %d", status)
	}

	// RefreshOtherSubject: the refreshed ID token is about someone else.
	faulty := srv.Register(fctest.Registration{RedirectURIs: []string{callback}, Faults: []fctest.Fault{fctest.RefreshOtherSubject}})
	f = fullFlow(t, srv, faulty, pcParams(faulty, "eidas1"), fctest.Agents()[0])
	_, first = verify(t, srv, f.idToken(t))
	_, out = tokenForm(t, srv, faulty, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {f.token["refresh_token"].(string)}})
	if _, renewed = verify(t, srv, out["id_token"].(string)); renewed["sub"] == first["sub"] {
		t.Error("RefreshOtherSubject: the same sub")
	}

	fc := fctest.NewServer(fctest.Options{})
	defer fc.Close()
	fcc := fc.Register(fctest.Registration{RedirectURIs: []string{callback}})
	status, body, _ := postForm(t, fc.Environment().Issuer+"/token", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {fcc.ID}, "client_secret": {fcc.Secret}})
	if status != http.StatusBadRequest || !strings.Contains(string(body), "unsupported_grant_type") {
		t.Errorf("a refresh on FranceConnect: %d %s", status, body)
	}
}

// Levels preferred or required: ProConnect's e-mail code raises eidas1 to
// eidas1-mfa (amr "mail"); an agent it cannot send the code to gets eidas1
// when MFA is only preferred, and stops on the Y020032 page (no callback)
// when it is required.
func TestProConnectPreferredAndRequiredLevels(t *testing.T) {
	t.Parallel()
	srv, c := pcSetup(t, fctest.Registration{})
	agent := fctest.Agents()[0] // eidas1, amr pwd
	noCode := agent
	noCode.NoMailCode = true
	for _, tt := range []struct {
		name    string
		q       url.Values
		u       fctest.User
		acr     string
		amr     []any
		deadEnd bool
	}{
		{"MFA preferred, the e-mail code", pcPreferred(c, "eidas1-mfa"), agent, "eidas1-mfa", []any{"pwd", "mail"}, false},
		{"MFA preferred, no code possible", pcPreferred(c, "eidas1-mfa"), noCode, "eidas1", []any{"pwd"}, false},
		{"MFA required, the e-mail code", pcParams(c, "eidas1-mfa"), agent, "eidas1-mfa", nil, false},
		{"MFA required, no code possible", pcParams(c, "eidas1-mfa"), noCode, "", nil, true},
		{"eidas2 required", pcParams(c, "eidas2"), agent, "", nil, true},
	} {
		cb, err := srv.Login(authURL(srv, tt.q), tt.u)
		if tt.deadEnd {
			if err == nil || !strings.Contains(err.Error(), "Y020032") {
				t.Errorf("%s: %s %v, want the Y020032 page", tt.name, cb, err)
			}
			continue
		}
		u, _ := url.Parse(cb)
		status, out := tokenForm(t, srv, c, url.Values{"grant_type": {"authorization_code"}, "code": {u.Query().Get("code")}, "redirect_uri": {callback}})
		if status != http.StatusOK {
			t.Fatalf("%s: %d %v", tt.name, status, out)
		}
		_, claims := verify(t, srv, out["id_token"].(string))
		if claims["acr"] != tt.acr || tt.amr != nil && !slices.Equal(claims["amr"].([]any), tt.amr) {
			t.Errorf("%s: acr %v amr %v, want %s %v", tt.name, claims["acr"], claims["amr"], tt.acr, tt.amr)
		}
	}
}

// On the chooser, a tester picks the level of the agent's identity
// provider, its amr (any value: the set is open) and its SIRET for one
// login; the error pages are ProConnect's.
func TestProConnectChooserChoices(t *testing.T) {
	t.Parallel()
	srv, c := pcSetup(t, fctest.Registration{})
	resp, err := http.Get(authURL(srv, pcPreferred(c, "eidas2", "eidas1")))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`action="([^"]+/login)"`).FindSubmatch(page)
	if m == nil || !strings.Contains(string(page), `data-choices="proconnect"`) {
		t.Fatalf("no choices on the chooser: %s", page)
	}
	resp, err = noRedirect.PostForm(srv.URL+html.UnescapeString(string(m[1])), url.Values{
		"login": {"agent"}, "choices": {"1"}, "acr": {"eidas2"}, "amr": {"pwd face"}, "siret": {"13002526500013"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cb, _ := url.Parse(resp.Header.Get("Location"))
	status, out := tokenForm(t, srv, c, url.Values{"grant_type": {"authorization_code"}, "code": {cb.Query().Get("code")}, "redirect_uri": {callback}})
	if status != http.StatusOK {
		t.Fatalf("token: %d %v", status, out)
	}
	_, claims := verify(t, srv, out["id_token"].(string))
	if claims["acr"] != "eidas2" || !slices.Equal(claims["amr"].([]any), []any{"pwd", "face"}) {
		t.Errorf("acr %v amr %v, want the tester's eidas2 and pwd face", claims["acr"], claims["amr"])
	}
	_, body := userinfo(t, srv, out["access_token"].(string))
	if _, info := verify(t, srv, string(body)); info["siret"] != "13002526500013" {
		t.Errorf("userinfo siret %v, want the tester's", info["siret"])
	}

	resp, err = http.Get(srv.Environment().Issuer + "/authorize?client_id=unknown")
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(page), "<title>Erreur – ProConnect") {
		t.Errorf("the error page is not ProConnect's: %.200s", page)
	}
	if srv.Environment().Federation != franceconnect.ProConnect {
		t.Fatal("not a ProConnect server")
	}
}
