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
	cb := b.start(t, srv, c.LoginHandler(franceconnect.AuthOptions{}), hLogin+"?return="+url.QueryEscape("/dossiers/42?onglet=pieces#haut"), fctest.DefaultUser)
	resp := b.get(t, o.callback(c), cb)

	res := o.requireSuccess(t)
	assert.Equal(t, "DUBOIS", res.Identity.FamilyName)
	assert.NotEmpty(t, res.RawIDToken)
	assert.Equal(t, "/dossiers/42?onglet=pieces#haut", o.ret)
	assert.Equal(t, http.StatusFound, resp.StatusCode)
	assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	assert.Empty(t, b.jar.Cookies(mustURL(t, hCallback)), "the login cookie is deleted once used")
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u
}

// Without cookie keys New succeeds, and the handlers fail closed with a
// logged configuration message.
func TestHandlersWithoutKeys(t *testing.T) {
	t.Parallel()
	_, cfg := hSetup(t)
	var logs bytes.Buffer
	c := hClient(t, cfg, func(c *franceconnect.Config) {
		c.CookieKeys = nil
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})

	rec := httptest.NewRecorder()
	c.LoginHandler(franceconnect.AuthOptions{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/fc/login", nil))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Empty(t, rec.Result().Cookies())
	assert.Empty(t, rec.Header().Get("Location"))
	assert.Contains(t, logs.String(), "CookieKeys is empty")

	var o hOutcome
	rec = httptest.NewRecorder()
	o.callback(c).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/fc/callback?state=abcdefghijkl&code=x", nil))
	assert.ErrorIs(t, o.err, franceconnect.ErrConfig)

	rec = httptest.NewRecorder()
	c.LogoutHandler(func(*http.Request) (string, error) { return "a.b.c", nil }).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/fc/logout", nil))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)

	o = hOutcome{}
	o.logoutReturn(c).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/fc/logged-out?state=x", nil))
	assert.ErrorIs(t, o.err, franceconnect.ErrConfig)

	// Default error handler: status and French message.
	rec = httptest.NewRecorder()
	c.CallbackHandler(func(http.ResponseWriter, *http.Request, *franceconnect.Result, string) {}, nil).
		ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/fc/callback", nil))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Equal(t, "La connexion avec FranceConnect n’a pas abouti. Veuillez réessayer.\n", rec.Body.String())
}

// The three handlers on a Go 1.22 http.ServeMux, over real HTTP, with a
// browser's cookie jar.
func TestHandlersServeMux(t *testing.T) {
	t.Parallel()
	srv := fctest.NewServer()
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
	mux.Handle("GET /fc/callback", c.CallbackHandler(func(w http.ResponseWriter, r *http.Request, res *franceconnect.Result, ret string) {
		mu.Lock()
		sessions["s1"] = res.RawIDToken
		mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "s1", Path: "/", HttpOnly: true})
		http.Redirect(w, r, ret, http.StatusFound)
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
	mux.Handle("GET /fc/logged-out", c.LogoutReturnHandler(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "déconnecté")
	}, nil))
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
