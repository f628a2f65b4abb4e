package franceconnect_test

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
)

func TestHandlersLogin(t *testing.T) {
	t.Parallel()
	srv, cfg := hSetup(t)
	c := hClient(t, cfg)
	b := newHBrowser(t)
	var o hOutcome
	cb := b.Start(t, srv, c.LoginHandler(franceconnect.AuthOptions{}), hLogin+"?return="+url.QueryEscape("/dossiers/42?onglet=pieces#haut"), fctest.DefaultUser)
	resp := b.Get(t, o.callback(c), cb)

	res := o.requireSuccess(t)
	assert.Equal(t, "DUBOIS", res.Identity.FamilyName)
	assert.NotEmpty(t, res.RawIDToken)
	assert.Equal(t, "/dossiers/42?onglet=pieces#haut", o.ret)
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	assert.Empty(t, b.Jar.Cookies(mustURL(t, hCallback)), "the login cookie is deleted once used")
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u
}

// Without cookie keys New succeeds (the low-level calls need none), and
// mounting a handler panics with what to fix: the problem shows at
// start-up, not at the first login.
func TestHandlersWithoutKeys(t *testing.T) {
	t.Parallel()
	_, cfg := hSetup(t)
	c := hClient(t, cfg, func(c *franceconnect.Config) { c.CookieKeys = nil })
	noPost := hClient(t, cfg, func(c *franceconnect.Config) { c.PostLogoutRedirectURL = "" })
	tests := map[string]struct {
		mount func()
		want  string
	}{
		"login":         {func() { c.LoginHandler(franceconnect.AuthOptions{}) }, "LoginHandler: invalid configuration: Config.CookieKeys is empty"},
		"login options": {func() { noPost.LoginHandler(franceconnect.AuthOptions{Prompt: "none"}) }, "LoginHandler: invalid configuration: prompt"},
		"callback": {func() {
			c.CallbackHandler(func(http.ResponseWriter, *http.Request, *franceconnect.Result) {}, nil)
		}, "CallbackHandler: invalid configuration: Config.CookieKeys is empty"},
		"logout":                     {func() { c.LogoutHandler(func(*http.Request) (string, error) { return "", nil }) }, "LogoutHandler: invalid configuration: Config.CookieKeys is empty"},
		"logout return":              {func() { c.LogoutReturnHandler(http.NotFoundHandler(), nil) }, "CookieKeys is empty"},
		"no post-logout URL":         {func() { noPost.LogoutHandler(func(*http.Request) (string, error) { return "", nil }) }, "LogoutHandler: invalid configuration: Config.PostLogoutRedirectURL is empty"},
		"no post-logout URL, return": {func() { noPost.LogoutReturnHandler(http.NotFoundHandler(), nil) }, "PostLogoutRedirectURL is empty"},
	}
	for name, tt := range tests {
		func() {
			defer func() {
				r := recover()
				require.NotNil(t, r, "%s: mounting must panic", name)
				assert.Contains(t, fmt.Sprint(r), tt.want, name)
			}()
			tt.mount()
		}()
	}
	// The login handler of a client that has them still mounts.
	assert.NotPanics(t, func() { noPost.LoginHandler(franceconnect.AuthOptions{}) })
}

// The three handlers on a Go 1.22 http.ServeMux, over real HTTP, with a
// browser's cookie jar.
func TestHandlersServeMux(t *testing.T) {
	t.Parallel()
	srv := fctest.NewServer(fctest.Options{})
	t.Cleanup(srv.Close)

	var mux http.ServeMux
	portal := httptest.NewServer(&mux)
	t.Cleanup(portal.Close)
	reg := srv.Register(fctest.Registration{
		RedirectURIs:           []string{portal.URL + "/fc/callback"},
		PostLogoutRedirectURIs: []string{portal.URL + "/fc/logged-out"},
	})
	c, err := franceconnect.New(franceconnect.Config{
		Environment: srv.Environment(), ClientID: reg.ID, ClientSecret: reg.Secret,
		RedirectURL: portal.URL + "/fc/callback", PostLogoutRedirectURL: portal.URL + "/fc/logged-out",
		CookieKeys: [][]byte{hKey(3)},
	})
	require.NoError(t, err)

	var mu sync.Mutex
	sessions := map[string]string{} // session ID -> raw ID token
	mux.Handle("GET /fc/login", c.LoginHandler(franceconnect.AuthOptions{}))
	mux.Handle("GET /fc/callback", c.CallbackHandler(func(w http.ResponseWriter, r *http.Request, res *franceconnect.Result) {
		mu.Lock()
		sessions["s1"] = res.RawIDToken
		mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "s1", Path: "/", HttpOnly: true})
		http.Redirect(w, r, res.ReturnTo, http.StatusFound)
	}, func(w http.ResponseWriter, r *http.Request, err error) {
		http.Error(w, franceconnect.UserMessage(err), http.StatusBadRequest)
	}))
	mux.Handle("POST /fc/logout", c.LogoutHandler(func(r *http.Request) (string, error) {
		ck, err := r.Cookie("session")
		if err != nil {
			return "", nil
		}
		mu.Lock()
		defer mu.Unlock()
		tok := sessions[ck.Value]
		delete(sessions, ck.Value)
		return tok, nil
	}))
	mux.Handle("GET /fc/logged-out", c.LogoutReturnHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "déconnecté")
	}), nil))
	mux.HandleFunc("GET /dossiers/{id}", func(w http.ResponseWriter, r *http.Request) {
		ck, err := r.Cookie("session")
		mu.Lock()
		defer mu.Unlock()
		if err != nil || sessions[ck.Value] == "" {
			http.Error(w, "non connecté", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "dossier "+r.PathValue("id"))
	})

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	fcHost := mustURL(t, srv.URL).Host
	browser := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(r *http.Request, _ []*http.Request) error {
		if r.URL.Host == fcHost {
			return http.ErrUseLastResponse // srv.Login plays the user at FranceConnect
		}
		return nil
	}}
	resp, err := browser.Get(portal.URL + "/fc/login?return=" + url.QueryEscape("/dossiers/42"))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	cb, err := srv.Login(resp.Header.Get("Location"), fctest.DefaultUser)
	require.NoError(t, err)

	resp, err = browser.Get(cb)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "dossier 42", string(body))

	resp, err = browser.Post(portal.URL+"/fc/logout", "", nil)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	back := hFollowLogout(t, resp.Header.Get("Location"))
	resp, err = browser.Get(back)
	require.NoError(t, err)
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, "déconnecté", string(body))

	resp, err = browser.Get(portal.URL + "/dossiers/42")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

// A login started on another host than the redirect URL's (localhost
// against 127.0.0.1 in development) says so in the log: the callback will
// not find its cookie, and would only say "expired".
func TestLoginOnAnotherHostIsLogged(t *testing.T) {
	t.Parallel()
	_, cfg := hSetup(t)
	var logs bytes.Buffer
	c := hClient(t, cfg, func(c *franceconnect.Config) {
		c.RedirectURL = "http://127.0.0.1:8080/fc/callback"
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	login := c.LoginHandler(franceconnect.AuthOptions{})
	login.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/fc/login", nil))
	assert.Empty(t, logs.String(), "same host: nothing to say")
	login.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "http://localhost:8080/fc/login", nil))
	assert.Contains(t, logs.String(), "level=WARN")
	assert.Contains(t, logs.String(), "another host than the redirect URL's")
	assert.Contains(t, logs.String(), "host=localhost:8080")

	// Behind a reverse proxy the Host may be the upstream's: no warning.
	logs.Reset()
	proxied := hClient(t, cfg, func(c *franceconnect.Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	proxied.LoginHandler(franceconnect.AuthOptions{}).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "http://app:8080/fc/login", nil))
	assert.Empty(t, logs.String())
}
