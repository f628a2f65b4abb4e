package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/franceconnect-go/franceconnect"
)

// startMock runs the command as a portal's CI would and returns its
// issuer.
func startMock(t *testing.T, args ...string) string {
	t.Helper()
	iss, _ := startMockWith(t, nil, args...)
	return iss
}

// startMockWith is startMock with the channel that asks for the
// registrations again; it also returns the lines printed after the issuer.
func startMockWith(t *testing.T, reread <-chan os.Signal, args ...string) (string, <-chan string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"-addr", "127.0.0.1:0"}, args...), pw, reread); pw.Close() }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		if iss, ok := strings.CutPrefix(sc.Text(), "issuer: "); ok {
			lines := make(chan string, 16)
			go func() {
				for sc.Scan() {
					select {
					case lines <- sc.Text():
					default: // nobody reads them
					}
				}
				_, _ = io.Copy(io.Discard, pr)
			}()
			return iss, lines
		}
	}
	t.Fatal("no issuer printed")
	return "", nil
}

var formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)

const (
	portal   = "http://127.0.0.1:8080"
	callback = portal + "/callback?tenant=a%20b"
	secret   = "0123456789abcdef0123456789abcdef"
)

// A login and a logout with nothing but net/http, as a portal in another
// language does them: authorize, the identity chooser, the callback's code,
// the token endpoint, userinfo, and session/end back to the post-logout URL.
func TestLoginAndLogoutWithAPlainClient(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := `{"clients":[{"name":"Portail de test","id":"php-portal","secret":"` + secret + `","redirect_uris":["` + callback + `"],"post_logout_redirect_uris":["` + portal + `/"]},
	  {"id":"expired","secret":"` + secret + `","redirect_uris":["` + callback + `"],"faults":["CallbackWrongIss"]}]}`
	if err := os.WriteFile(filepath.Join(dir, "clients.json"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	iss := startMock(t, "-config", filepath.Join(dir, "clients.json"))
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(u string) (*http.Response, string) {
		t.Helper()
		resp, err := hc.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	base := strings.TrimSuffix(iss, "/api/v2")

	var discovery struct {
		Issuer        string `json:"issuer"`
		TokenEndpoint string `json:"token_endpoint"`
	}
	_, doc := get(iss + "/.well-known/openid-configuration")
	if err := json.Unmarshal([]byte(doc), &discovery); err != nil || discovery.Issuer != iss {
		t.Fatalf("discovery: %v %s", err, doc)
	}

	login := func(clientID string) url.Values {
		q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {callback}, "scope": {"openid identite_pivot"},
			"state": {"state-of-the-php-portal-0123"}, "nonce": {"nonce-of-the-php-portal-0123"}, "acr_values": {"eidas1"}}
		_, page := get(iss + "/authorize?" + q.Encode())
		m := formAction.FindStringSubmatch(page)
		if m == nil {
			t.Fatalf("no chooser form: %s", page)
		}
		resp, err := hc.PostForm(base+m[1], url.Values{"login": {"test"}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if !strings.HasPrefix(loc.String(), portal+"/callback?tenant=a") {
			t.Fatalf("callback %s", loc)
		}
		return loc.Query()
	}
	cb := login("php-portal")
	if cb.Get("iss") != iss || cb.Get("state") != "state-of-the-php-portal-0123" {
		t.Fatalf("callback query %v", cb)
	}
	resp, err := hc.PostForm(discovery.TokenEndpoint, url.Values{"grant_type": {"authorization_code"}, "code": {cb.Get("code")},
		"redirect_uri": {callback}, "client_id": {"php-portal"}, "client_secret": {secret}})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
		IDToken     string `json:"id_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.IDToken == "" {
		t.Fatalf("token: %v", err)
	}
	resp.Body.Close()
	req, _ := http.NewRequest(http.MethodGet, iss+"/userinfo", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	if resp, err = hc.Do(req); err != nil || resp.Header.Get("Content-Type") != "application/jwt; charset=utf-8" {
		t.Fatalf("userinfo: %v %v", err, resp.Header)
	}
	resp.Body.Close()

	out, _ := get(iss + "/session/end?" + url.Values{"id_token_hint": {tok.IDToken}, "state": {"logout-state-0123456789"}, "post_logout_redirect_uri": {portal + "/"}}.Encode())
	if out.StatusCode != http.StatusSeeOther || out.Header.Get("Location") != portal+"/?state=logout-state-0123456789" {
		t.Fatalf("logout: %s %s", out.Status, out.Header.Get("Location"))
	}

	// The other client's fault is its own.
	if got := login("expired").Get("iss"); got == iss {
		t.Error("the registration's fault did not apply")
	}
}

func TestBadArguments(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{},
		{"-client", "id=x"},
		{"-client", "id=x,secret=" + secret + ",redirect=" + portal + ",faults=NoSuchFault"},
		{"-client", "id=x,secret=" + secret + ",redirect=" + portal + ",alg=HS256"},
		{"-client", "id=x,secret=" + secret + ",redirect=" + portal + ",userinfo=json"},
		{"-proconnect", "-client", "id=x,secret=" + secret + ",redirect=" + portal + ",userinfo=xml"},
		{"-client", "nokey"},
		{"-config", "/nonexistent/clients.json"},
	} {
		if err := run(context.Background(), append([]string{"-addr", "127.0.0.1:0"}, args...), io.Discard, nil); err == nil {
			t.Errorf("%q: accepted", args)
		}
	}
}

// The qualification self-check as a black box: a portal (here on the
// library's handlers, but any language would do) is judged by what it does
// next and by the texts of its pages, and the report is printed.
func TestQualifyBlackBox(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // fcmock listens on it below
	env, err := franceconnect.NewEnvironment(franceconnect.FranceConnect, "http://"+addr+"/api/v2")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	portal := httptest.NewServer(mux)
	defer portal.Close()
	c, err := franceconnect.New(franceconnect.Config{
		Environment: env, ClientID: "black-box", ClientSecret: secret,
		RedirectURL: portal.URL + "/fc/callback", PostLogoutRedirectURL: portal.URL + "/fc/logged-out",
		CookieKeys: [][]byte{[]byte("0123456789abcdef0123456789ABCDEF")},
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var rawIDToken string
	mux.Handle("GET /fc/login", c.LoginHandler(franceconnect.AuthOptions{}))
	mux.Handle("GET /fc/callback", c.CallbackHandler(func(w http.ResponseWriter, r *http.Request, res *franceconnect.Result) {
		mu.Lock()
		rawIDToken = res.RawIDToken
		mu.Unlock()
		_, _ = io.WriteString(w, "Bienvenue, vous êtes connecté")
	}, func(w http.ResponseWriter, r *http.Request, err error) {
		http.Error(w, "refusé", http.StatusBadRequest)
	}))
	mux.Handle("POST /fc/logout", c.LogoutHandler(func(*http.Request) (string, error) {
		mu.Lock()
		defer mu.Unlock()
		return rawIDToken, nil
	}))
	mux.Handle("GET /fc/logged-out", c.LogoutReturnHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "Au revoir")
	}), nil))

	var out strings.Builder
	err = run(context.Background(), []string{"-addr", addr,
		"-client", "id=black-box,secret=" + secret + ",redirect=" + portal.URL + "/fc/callback,logout=" + portal.URL + "/fc/logged-out",
		"-qualify", portal.URL + "/fc/login", "-logged-in", "vous êtes connecté",
		"-logout", portal.URL + "/fc/logout", "-logged-out", "Au revoir"}, &out, nil)
	t.Log(out.String())
	if err != nil {
		t.Fatalf("qualification: %v", err)
	}
	if strings.Count(out.String(), "[OK]") != 12 || strings.Contains(out.String(), "ÉCHEC") {
		t.Errorf("report:\n%s", out.String())
	}
}

// With -federation proconnect the command serves ProConnect: an HS256 client with JSON
// userinfo logs in with the library's ProConnect profile.
func TestProConnectMock(t *testing.T) {
	t.Parallel()
	iss := startMock(t, "-federation", "proconnect", "-client", "id=pc,secret="+secret+",redirect="+portal+"/agents/callback,alg=HS256,userinfo=json")
	env, err := franceconnect.NewEnvironment(franceconnect.ProConnect, iss)
	if err != nil {
		t.Fatal(err)
	}
	c, err := franceconnect.New(franceconnect.Config{Environment: env, ClientID: "pc", ClientSecret: secret,
		RedirectURL: portal + "/agents/callback", Algorithm: "HS256", UserInfoJSON: true})
	if err != nil {
		t.Fatal(err)
	}
	req, err := c.AuthCodeURL(franceconnect.AuthOptions{})
	if err != nil {
		t.Fatal(err)
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(req.URL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := formAction.FindSubmatch(page)
	if m == nil || !strings.Contains(string(page), "ProConnect") {
		t.Fatalf("chooser page:\n%s", page)
	}
	u, _ := url.Parse(req.URL)
	resp, err = noFollow.PostForm(u.Scheme+"://"+u.Host+string(m[1]), url.Values{"login": {"agent"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cb, _ := url.Parse(resp.Header.Get("Location"))
	res, err := c.Exchange(context.Background(), req, cb.Query()) // with PKCE, which the mock checks
	if err != nil || res.Agent == nil || res.Agent.UsualName != "MARTIN" {
		t.Fatalf("Exchange: %v", err)
	}
	// ProConnect's sessions: refreshed, then revoked.
	renewed, err := c.Refresh(context.Background(), res.RefreshToken, res.RawIDToken)
	if err != nil || renewed.IDToken.Subject != res.Agent.Subject {
		t.Fatalf("Refresh: %v", err)
	}
	if err := c.Revoke(context.Background(), renewed.RefreshToken); err != nil {
		t.Fatalf("Revoke: %v", err)
	}
	if _, err := c.Refresh(context.Background(), renewed.RefreshToken, renewed.RawIDToken); !errors.Is(err, franceconnect.ErrInvalidGrant) {
		t.Errorf("a revoked refresh token: %v", err)
	}
}

// Faults that concern the whole server are refused on a registration and
// offered with -fault; faults of another federation are refused.
func TestFaultsWhereTheyApply(t *testing.T) {
	t.Parallel()
	client := "id=c,secret=" + secret + ",redirect=" + callback
	for _, args := range [][]string{
		{"-client", client + ",faults=JWKSWithBadKeys"},
		{"-client", client + ",faults=DiscoveryWrongIssuer"},
		{"-client", client + ",faults=IDTokenJWEDir"}, // FranceConnect+'s
		{"-client", client, "-fault", "NoSuchFault"},
		{"-federation", "franceconnect-v1", "-client", client, "-fault", "JWKSWithBadKeys"}, // v1 has no key set
		{"-federation", "nowhere", "-client", client},
	} {
		err := run(context.Background(), append([]string{"-addr", "127.0.0.1:0"}, args...), io.Discard, nil)
		if err == nil {
			t.Errorf("%v: accepted", args)
		}
	}

	iss := startMock(t, "-client", client, "-fault", "DiscoveryWrongIssuer")
	resp, err := http.Get(iss + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct{ Issuer string }
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil || doc.Issuer == iss {
		t.Errorf("-fault DiscoveryWrongIssuer: issuer %q (%v)", doc.Issuer, err)
	}
}

// Like FranceConnect, the mock refuses the parameters FranceConnect does
// not list: a portal on a generic OpenID Connect client's defaults (PKCE
// on) fails here as it would in production.
func TestUnlistedParametersRefused(t *testing.T) {
	t.Parallel()
	iss := startMock(t, "-client", "id=c,secret="+secret+",redirect="+callback)
	q := url.Values{"response_type": {"code"}, "client_id": {"c"}, "redirect_uri": {callback}, "scope": {"openid"},
		"state": {strings.Repeat("s", 32)}, "nonce": {strings.Repeat("n", 32)}, "acr_values": {"eidas1"},
		"code_challenge": {"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"}, "code_challenge_method": {"S256"}}
	resp, err := http.Get(iss + "/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "code_challenge") {
		t.Errorf("PKCE on FranceConnect: %s\n%s", resp.Status, body)
	}
}

// On SIGHUP the registrations of -config are read again: a rotated secret
// replaces the old one at the token endpoint, a new registration is
// usable, and a file that cannot be read keeps them as they were.
func TestRegisteredAgainOnSignal(t *testing.T) {
	t.Parallel()
	cfgPath := filepath.Join(t.TempDir(), "clients.json")
	write := func(doc string) {
		t.Helper()
		if err := os.WriteFile(cfgPath, []byte(doc), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	client := func(id, sec string) string {
		return `{"id":"` + id + `","secret":"` + sec + `","redirect_uris":["` + callback + `"]}`
	}
	rotated := strings.ToUpper(secret)
	write(`{"clients":[` + client("rotating", secret) + `]}`)
	reread := make(chan os.Signal, 1)
	iss, lines := startMockWith(t, reread, "-config", cfgPath)
	base := strings.TrimSuffix(iss, "/api/v2")
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	// redeem logs in with clientID and returns the token endpoint's status
	// for sec.
	redeem := func(clientID, sec string) int {
		t.Helper()
		q := url.Values{"response_type": {"code"}, "client_id": {clientID}, "redirect_uri": {callback}, "scope": {"openid identite_pivot"},
			"state": {"state-0123456789abcdef0123"}, "nonce": {"nonce-0123456789abcdef0123"}, "acr_values": {"eidas1"}}
		resp, err := hc.Get(iss + "/authorize?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := formAction.FindSubmatch(page)
		if m == nil {
			t.Fatalf("%s: no chooser form (%s)", clientID, resp.Status)
		}
		if resp, err = hc.PostForm(base+string(m[1]), url.Values{"login": {"test"}}); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		resp, err = hc.PostForm(iss+"/token", url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
			"redirect_uri": {callback}, "client_id": {clientID}, "client_secret": {sec}})
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	reload := func(want string) {
		t.Helper()
		reread <- syscall.SIGHUP
		for got := range lines { // the start's lines first
			if strings.Contains(got, "again") || strings.Contains(got, "kept") {
				if !strings.HasPrefix(got, want) {
					t.Fatalf("after the signal: %q, want %q...", got, want)
				}
				return
			}
		}
	}

	if got := redeem("rotating", secret); got != http.StatusOK {
		t.Fatalf("before the rotation: %d", got)
	}
	write(`{"clients":[` + client("rotating", rotated) + `,` + client("added", secret) + `]}`)
	reload("clients: 2 (registered again)")
	for _, c := range []struct {
		id, secret string
		want       int
	}{{"rotating", secret, http.StatusUnauthorized}, {"rotating", rotated, http.StatusOK}, {"added", secret, http.StatusOK}} {
		if got := redeem(c.id, c.secret); got != c.want {
			t.Errorf("%s after the rotation: %d, want %d", c.id, got, c.want)
		}
	}
	write(`{"clients":[`)
	reload("fcmock: registrations kept as they were")
	if got := redeem("rotating", rotated); got != http.StatusOK {
		t.Errorf("after a bad file: %d", got)
	}
}
