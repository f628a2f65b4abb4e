package franceconnect_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
)

const (
	hPortal    = "https://portail.example"
	hCallback  = hPortal + "/fc/callback"
	hLoggedOut = hPortal + "/fc/logged-out"
	hLogin     = hPortal + "/fc/login"
)

func hKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

// hSetup starts a mock with one registered client and returns the Config
// of a portal for it, with one cookie key.
func hSetup(t *testing.T) (*fctest.Server, franceconnect.Config) {
	t.Helper()
	srv := fctest.NewServer()
	t.Cleanup(srv.Close)
	return srv, hRegister(srv, hCallback)
}

func hRegister(srv *fctest.Server, redirect string) franceconnect.Config {
	reg := srv.Register(fctest.Registration{
		RedirectURIs:           []string{redirect},
		PostLogoutRedirectURIs: []string{hLoggedOut},
	})
	return franceconnect.Config{
		Environment:           srv.Environment(),
		ClientID:              reg.ID,
		ClientSecret:          reg.Secret,
		RedirectURL:           redirect,
		PostLogoutRedirectURL: hLoggedOut,
		CookieKeys:            [][]byte{hKey(1)},
	}
}

func hClient(t *testing.T, cfg franceconnect.Config, mutate ...func(*franceconnect.Config)) *franceconnect.Client {
	t.Helper()
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := franceconnect.New(cfg)
	require.NoError(t, err)
	return c
}

// hBrowser is a browser: a cookie jar, and requests served by a handler
// in process.
type hBrowser struct{ jar *cookiejar.Jar }

func newHBrowser(t *testing.T) *hBrowser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &hBrowser{jar: jar}
}

// get sends GET rawURL with the jar's cookies to h and stores the cookies
// h sets.
func (b *hBrowser) get(t *testing.T, h http.Handler, rawURL string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, rawURL, nil)
	for _, ck := range b.jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	b.jar.SetCookies(req.URL, resp.Cookies())
	return resp
}

// start runs the login handler and logs u in on the mock; it returns the
// callback URL.
func (b *hBrowser) start(t *testing.T, srv *fctest.Server, login http.Handler, loginURL string, u fctest.User) string {
	t.Helper()
	resp := b.get(t, login, loginURL)
	require.Equal(t, http.StatusFound, resp.StatusCode)
	cb, err := srv.Login(resp.Header.Get("Location"), u)
	require.NoError(t, err)
	return cb
}

// hOutcome records what CallbackHandler (or LogoutReturnHandler) decided.
type hOutcome struct {
	mu     sync.Mutex
	res    *franceconnect.Result
	ret    string
	err    error
	calls  int
	logout bool
}

func (o *hOutcome) callback(c *franceconnect.Client) http.Handler {
	return c.CallbackHandler(func(w http.ResponseWriter, r *http.Request, res *franceconnect.Result, ret string) {
		o.mu.Lock()
		o.res, o.ret, o.err, o.calls = res, ret, nil, o.calls+1
		o.mu.Unlock()
		http.Redirect(w, r, ret, http.StatusFound)
	}, func(w http.ResponseWriter, r *http.Request, err error) {
		o.mu.Lock()
		o.res, o.ret, o.err, o.calls = nil, "", err, o.calls+1
		o.mu.Unlock()
		http.Error(w, franceconnect.UserMessage(err), http.StatusBadRequest)
	})
}

func (o *hOutcome) logoutReturn(c *franceconnect.Client) http.Handler {
	return c.LogoutReturnHandler(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.logout, o.err, o.calls = true, nil, o.calls+1
		o.mu.Unlock()
		http.Redirect(w, r, "/", http.StatusFound)
	}, func(w http.ResponseWriter, r *http.Request, err error) {
		o.mu.Lock()
		o.logout, o.err, o.calls = false, err, o.calls+1
		o.mu.Unlock()
		http.Error(w, franceconnect.UserMessage(err), http.StatusBadRequest)
	})
}

func (o *hOutcome) requireSuccess(t *testing.T) *franceconnect.Result {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	require.NoError(t, o.err)
	require.NotNil(t, o.res)
	return o.res
}

// setCookie returns the Set-Cookie of resp named name.
func setCookie(resp *http.Response, name string) *http.Cookie {
	for _, ck := range resp.Cookies() {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

func txCookieNames(resp *http.Response) []string {
	var names []string
	for _, ck := range resp.Cookies() {
		if strings.HasPrefix(ck.Name, "fc_tx_") && ck.Name != "fc_tx_idx" {
			names = append(names, ck.Name)
		}
	}
	return names
}

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

// A login started on replica A completes on replica B: two Clients with the
// same configuration and keys, no shared memory.
func TestHandlersReplicas(t *testing.T) {
	t.Parallel()
	srv, cfg := hSetup(t)
	replicaA, replicaB := hClient(t, cfg), hClient(t, cfg)
	b := newHBrowser(t)
	var o hOutcome
	cb := b.start(t, srv, replicaA.LoginHandler(franceconnect.AuthOptions{}), hLogin+"?return=/aides", fctest.DefaultUser)
	b.get(t, o.callback(replicaB), cb)
	o.requireSuccess(t)
	assert.Equal(t, "/aides", o.ret)
}

// Keys rotate: the first key seals, every listed key opens.
func TestHandlersKeyRotation(t *testing.T) {
	t.Parallel()
	k1, k2 := hKey(1), hKey(2)
	tests := []struct {
		name        string
		start, done [][]byte
		want        error
	}{
		{"same key", [][]byte{k1}, [][]byte{k1}, nil},
		{"retired but listed", [][]byte{k1}, [][]byte{k2, k1}, nil},
		{"new key, old replica knows it", [][]byte{k2, k1}, [][]byte{k1, k2}, nil},
		{"retired and removed", [][]byte{k1}, [][]byte{k2}, franceconnect.ErrInvalidTransaction},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, cfg := hSetup(t)
			a := hClient(t, cfg, func(c *franceconnect.Config) { c.CookieKeys = tt.start })
			z := hClient(t, cfg, func(c *franceconnect.Config) { c.CookieKeys = tt.done })
			b := newHBrowser(t)
			var o hOutcome
			cb := b.start(t, srv, a.LoginHandler(franceconnect.AuthOptions{}), hLogin, fctest.DefaultUser)
			b.get(t, o.callback(z), cb)
			if tt.want == nil {
				o.requireSuccess(t)
				return
			}
			require.ErrorIs(t, o.err, tt.want)
			assert.ErrorIs(t, o.err, franceconnect.ErrStateMismatch)
			assert.Zero(t, srv.Stats().TokenRequests, "nothing is exchanged without a valid transaction")
		})
	}
}

// Bad transaction cookies are refused with a typed error, the token
// endpoint is not called, and the cookie is deleted.
func TestHandlersRejectedCookies(t *testing.T) {
	t.Parallel()
	type env struct {
		srv    *fctest.Server
		cfg    franceconnect.Config
		c      *franceconnect.Client
		b      *hBrowser
		cb     string // callback URL of a login started by b on c
		cookie *http.Cookie
	}
	tests := []struct {
		name string
		// prepare alters the browser or the callback; it returns the
		// callback URL and the handler to send it to.
		prepare   func(t *testing.T, e *env) (string, http.Handler, *hOutcome)
		want      error
		wantToken bool // the token endpoint is called (and refuses)
		// keep: the callback names no login, so the cookie cannot be found
		// and stays until its Max-Age.
		keep bool
	}{
		{
			name: "no cookie",
			prepare: func(t *testing.T, e *env) (string, http.Handler, *hOutcome) {
				e.b.jar, _ = cookiejar.New(nil)
				var o hOutcome
				return e.cb, o.callback(e.c), &o
			},
			want: franceconnect.ErrNoTransaction,
		},
		{
			name: "tampered",
			prepare: func(t *testing.T, e *env) (string, http.Handler, *hOutcome) {
				v := []byte(e.cookie.Value)
				i := len(v) - 5 // in the tag
				v[i] ^= 1
				if v[i] == '.' || v[i] > 'z' {
					v[i] = 'A'
				}
				e.b.jar.SetCookies(mustURL(t, hCallback), []*http.Cookie{{Name: e.cookie.Name, Value: string(v), Path: "/fc/callback"}})
				var o hOutcome
				return e.cb, o.callback(e.c), &o
			},
			want: franceconnect.ErrInvalidTransaction,
		},
		{
			name: "garbage",
			prepare: func(t *testing.T, e *env) (string, http.Handler, *hOutcome) {
				e.b.jar.SetCookies(mustURL(t, hCallback), []*http.Cookie{{Name: e.cookie.Name, Value: strings.Repeat(".", 3000), Path: "/fc/callback"}})
				var o hOutcome
				return e.cb, o.callback(e.c), &o
			},
			want: franceconnect.ErrInvalidTransaction,
		},
		{
			name: "expired",
			prepare: func(t *testing.T, e *env) (string, http.Handler, *hOutcome) {
				later := hClient(t, e.cfg, func(c *franceconnect.Config) {
					c.Now = func() time.Time { return time.Now().Add(11 * time.Minute) }
				})
				var o hOutcome
				return e.cb, o.callback(later), &o
			},
			want: franceconnect.ErrTransactionExpired,
		},
		{
			name: "shorter TTL on the completing replica",
			prepare: func(t *testing.T, e *env) (string, http.Handler, *hOutcome) {
				// The sealed expiry is the one that counts, not the
				// replica's configuration.
				later := hClient(t, e.cfg, func(c *franceconnect.Config) { c.TransactionTTL = time.Second })
				var o hOutcome
				return e.cb, o.callback(later), &o
			},
			want: nil,
		},
		{
			name: "other tenant",
			prepare: func(t *testing.T, e *env) (string, http.Handler, *hOutcome) {
				// Same keys, same callback path, another client ID.
				other := hClient(t, hRegister(e.srv, hCallback))
				var o hOutcome
				return e.cb, o.callback(other), &o
			},
			want: franceconnect.ErrInvalidTransaction,
		},
		{
			name: "other environment",
			prepare: func(t *testing.T, e *env) (string, http.Handler, *hOutcome) {
				srv2 := fctest.NewServer()
				t.Cleanup(srv2.Close)
				other := hClient(t, e.cfg, func(c *franceconnect.Config) { c.Environment = srv2.Environment() })
				var o hOutcome
				return e.cb, o.callback(other), &o
			},
			want: franceconnect.ErrInvalidTransaction,
		},
		{
			name: "logout cookie as login cookie",
			prepare: func(t *testing.T, e *env) (string, http.Handler, *hOutcome) {
				resp := e.b.get(t, e.c.LogoutHandler(func(*http.Request) (string, error) { return hFakeIDToken(e.srv, e.cfg.ClientID), nil }), hPortal+"/fc/logout")
				out := setCookie(resp, "fc_tx_out")
				require.NotNil(t, out)
				e.b.jar.SetCookies(mustURL(t, hCallback), []*http.Cookie{{Name: e.cookie.Name, Value: out.Value, Path: "/fc/callback"}})
				var o hOutcome
				return e.cb, o.callback(e.c), &o
			},
			want: franceconnect.ErrInvalidTransaction,
		},
		{
			name: "another login's cookie under this state's name",
			prepare: func(t *testing.T, e *env) (string, http.Handler, *hOutcome) {
				b2 := newHBrowser(t)
				resp := b2.get(t, e.c.LoginHandler(franceconnect.AuthOptions{}), hLogin)
				names := txCookieNames(resp)
				require.Len(t, names, 1)
				e.b.jar.SetCookies(mustURL(t, hCallback), []*http.Cookie{{Name: e.cookie.Name, Value: setCookie(resp, names[0]).Value, Path: "/fc/callback"}})
				var o hOutcome
				return e.cb, o.callback(e.c), &o
			},
			want: franceconnect.ErrStateMismatch,
		},
		{
			name: "replayed callback",
			prepare: func(t *testing.T, e *env) (string, http.Handler, *hOutcome) {
				var first hOutcome
				e.b.get(t, first.callback(e.c), e.cb)
				first.requireSuccess(t)
				var o hOutcome
				return e.cb, o.callback(e.c), &o
			},
			want:      franceconnect.ErrNoTransaction,
			wantToken: true, // by the first, successful, callback
		},
		{
			name: "replayed callback with a kept cookie",
			prepare: func(t *testing.T, e *env) (string, http.Handler, *hOutcome) {
				var first hOutcome
				e.b.get(t, first.callback(e.c), e.cb)
				first.requireSuccess(t)
				e.b.jar.SetCookies(mustURL(t, hCallback), []*http.Cookie{{Name: e.cookie.Name, Value: e.cookie.Value, Path: "/fc/callback"}})
				var o hOutcome
				return e.cb, o.callback(e.c), &o
			},
			want:      franceconnect.ErrInvalidGrant, // the code is single-use
			wantToken: true,
		},
		{
			name: "no state",
			prepare: func(t *testing.T, e *env) (string, http.Handler, *hOutcome) {
				u := mustURL(t, e.cb)
				q := u.Query()
				q.Del("state")
				u.RawQuery = q.Encode()
				var o hOutcome
				return u.String(), o.callback(e.c), &o
			},
			want: franceconnect.ErrNoTransaction,
			keep: true,
		},
		{
			name: "two states",
			prepare: func(t *testing.T, e *env) (string, http.Handler, *hOutcome) {
				u := mustURL(t, e.cb)
				u.RawQuery += "&state=" + url.QueryEscape(u.Query().Get("state"))
				var o hOutcome
				return u.String(), o.callback(e.c), &o
			},
			want: franceconnect.ErrNoTransaction,
			keep: true,
		},
		{
			name: "state with cookie-breaking characters",
			prepare: func(t *testing.T, e *env) (string, http.Handler, *hOutcome) {
				u := mustURL(t, e.cb)
				q := u.Query()
				q.Set("state", "a;b=c\r\nSet-Cookie: x")
				u.RawQuery = q.Encode()
				var o hOutcome
				return u.String(), o.callback(e.c), &o
			},
			want: franceconnect.ErrNoTransaction,
			keep: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, cfg := hSetup(t)
			e := &env{srv: srv, cfg: cfg, c: hClient(t, cfg), b: newHBrowser(t)}
			resp := e.b.get(t, e.c.LoginHandler(franceconnect.AuthOptions{}), hLogin)
			names := txCookieNames(resp)
			require.Len(t, names, 1)
			e.cookie = setCookie(resp, names[0])
			cb, err := srv.Login(resp.Header.Get("Location"), fctest.DefaultUser)
			require.NoError(t, err)
			e.cb = cb

			cb, h, o := tt.prepare(t, e)
			sent := len(e.b.jar.Cookies(mustURL(t, hCallback)))
			resp = e.b.get(t, h, cb)
			if tt.want == nil {
				o.requireSuccess(t)
				return
			}
			require.Error(t, o.err)
			assert.ErrorIs(t, o.err, tt.want)
			assert.Nil(t, o.res)
			if !tt.wantToken {
				assert.Zero(t, srv.Stats().TokenRequests, "no code is exchanged without a valid transaction")
			}
			if sent > 0 && cb == e.cb {
				del := setCookie(resp, e.cookie.Name)
				require.NotNil(t, del, "the cookie is deleted whatever the outcome")
				assert.Equal(t, -1, del.MaxAge)
				assert.Equal(t, "/fc/callback", del.Path)
			}
			assert.NotContains(t, o.err.Error(), e.cookie.Value[:30])
			if tt.keep {
				assert.Nil(t, setCookie(resp, e.cookie.Name))
			} else {
				assert.Empty(t, e.b.jar.Cookies(mustURL(t, hCallback)))
			}
		})
	}
}

// hFakeIDToken is an unsigned token shaped like the mock's ID tokens: the
// mock does not check id_token_hint signatures.
func hFakeIDToken(srv *fctest.Server, aud string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"ES256"}`)) + "." + enc(fmt.Appendf(nil, `{"iss":%q,"aud":%q,"sub":"x"}`, srv.Issuer(), aud)) + ".c2ln"
}

// Two logins started in two tabs both complete, in any order.
func TestHandlersTwoTabs(t *testing.T) {
	t.Parallel()
	srv, cfg := hSetup(t)
	c := hClient(t, cfg)
	b := newHBrowser(t)
	login := c.LoginHandler(franceconnect.AuthOptions{})
	cb1 := b.start(t, srv, login, hLogin+"?return=/onglet-1", fctest.DefaultUser)
	cb2 := b.start(t, srv, login, hLogin+"?return=/onglet-2", fctest.DefaultUser)
	require.Len(t, b.jar.Cookies(mustURL(t, hCallback)), 2)

	var o hOutcome
	b.get(t, o.callback(c), cb2)
	o.requireSuccess(t)
	assert.Equal(t, "/onglet-2", o.ret)
	b.get(t, o.callback(c), cb1)
	o.requireSuccess(t)
	assert.Equal(t, "/onglet-1", o.ret)
	assert.Empty(t, b.jar.Cookies(mustURL(t, hCallback)))
}

// A browser holds at most 5 pending login cookies: more logins drop the
// oldest, and the newest still complete.
func TestHandlersPendingLoginsBounded(t *testing.T) {
	t.Parallel()
	srv, cfg := hSetup(t)
	c := hClient(t, cfg)
	b := newHBrowser(t)
	login := c.LoginHandler(franceconnect.AuthOptions{})
	var cbs []string
	for i := range 8 {
		cbs = append(cbs, b.start(t, srv, login, fmt.Sprintf("%s?return=/t%d", hLogin, i), fctest.DefaultUser))
		assert.LessOrEqual(t, len(b.jar.Cookies(mustURL(t, hCallback))), 5)
	}
	assert.Len(t, b.jar.Cookies(mustURL(t, hCallback)), 5)

	var o hOutcome
	for i, cb := range cbs {
		b.get(t, o.callback(c), cb)
		if i < 3 {
			assert.ErrorIs(t, o.err, franceconnect.ErrNoTransaction, "login %d was dropped", i)
			continue
		}
		o.requireSuccess(t)
		assert.Equal(t, fmt.Sprintf("/t%d", i), o.ret)
	}
	// The list of pending logins survives garbage.
	b.jar.SetCookies(mustURL(t, hLogin), []*http.Cookie{{Name: "fc_tx_idx", Value: "x.1:" + strings.Repeat("abcdefgh.9999999999:", 40), Path: "/fc/login"}})
	b.start(t, srv, login, hLogin, fctest.DefaultUser)
	assert.Len(t, b.jar.Cookies(mustURL(t, hCallback)), 1)
}

// Return paths are local paths only; everything else falls back to the
// default.
func TestHandlersReturnPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ret, want string
	}{
		{"/dossiers/42", "/dossiers/42"},
		{"/", "/"},
		{"/a?b=//evil.example#c", "/a?b=//evil.example#c"},
		{"/d%C3%A9marches", "/d%C3%A9marches"},
		{"", "/accueil"},
		{"//evil.example", "/accueil"},
		{"///evil.example", "/accueil"},
		{`/\evil.example`, "/accueil"},
		{`\\evil.example`, "/accueil"},
		{`/a\b`, "/accueil"},
		{"https://evil.example", "/accueil"},
		{"https:evil.example", "/accueil"},
		{"//evil.example/%2F..", "/accueil"},
		{"/%2F%2Fevil.example", "/accueil"},
		{"/%2f%2fevil.example", "/accueil"},
		{"/%5Cevil.example", "/accueil"},
		{"/%252F%252Fevil.example", "/accueil"},
		{"/%25252F%25252Fevil.example", "/accueil"},
		{"%2F%2Fevil.example", "/accueil"},
		{"javascript:alert(1)", "/accueil"},
		{"/\t/evil.example", "/accueil"},
		{"/%09/evil.example", "/accueil"},
		{"/\r\nLocation: https://evil.example", "/accueil"},
		{" /a", "/accueil"},
		{"/a b", "/accueil"},
		{"/é", "/accueil"},
		{"/%zz", "/accueil"},
		{"/" + strings.Repeat("a", 2000), "/accueil"},
	}
	srv, cfg := hSetup(t)
	c := hClient(t, cfg, func(c *franceconnect.Config) { c.DefaultReturnPath = "/accueil" })
	login := c.LoginHandler(franceconnect.AuthOptions{})
	for _, tt := range tests {
		t.Run(tt.ret, func(t *testing.T) {
			t.Parallel()
			b := newHBrowser(t)
			var o hOutcome
			cb := b.start(t, srv, login, hLogin+"?return="+url.QueryEscape(tt.ret), fctest.DefaultUser)
			resp := b.get(t, o.callback(c), cb)
			o.requireSuccess(t)
			assert.Equal(t, tt.want, o.ret)
			assert.Equal(t, tt.want, resp.Header.Get("Location"))
		})
	}
}

// Cookie attributes: HttpOnly, SameSite=Lax, Secure unless the redirect URL
// is http on a loopback host, Path of the redirect URL, TransactionTTL.
func TestHandlersCookieAttributes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		redirect   string
		path       string
		secure     bool
		ttl        time.Duration
		wantMaxAge int
	}{
		{"https://portail.example/fc/callback", "/fc/callback", true, 0, 600},
		{"https://portail.example", "/", true, 0, 600},
		{"https://portail.example/account-management/aides-demandeurs/france-connect/code?redirectUrl=x&jwtKey=y", "/account-management/aides-demandeurs/france-connect/code", true, 0, 600},
		{"http://localhost:8080/fc/callback", "/fc/callback", false, 0, 600},
		{"http://127.0.0.1:8080/auth/cb", "/auth/cb", false, 5 * time.Minute, 300},
		{"http://[::1]/cb", "/cb", false, 0, 600},
	}
	for _, tt := range tests {
		t.Run(tt.redirect, func(t *testing.T) {
			t.Parallel()
			c, err := franceconnect.New(franceconnect.Config{
				Environment: franceconnect.Sandbox, ClientID: "id", ClientSecret: "secret",
				RedirectURL: tt.redirect, PostLogoutRedirectURL: tt.redirect,
				CookieKeys: [][]byte{hKey(1)}, TransactionTTL: tt.ttl,
			})
			require.NoError(t, err)

			rec := httptest.NewRecorder()
			c.LoginHandler(franceconnect.AuthOptions{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/fc/login", nil))
			resp := rec.Result()
			require.Equal(t, http.StatusFound, resp.StatusCode)
			loc := resp.Header.Get("Location")
			assert.True(t, strings.HasPrefix(loc, franceconnect.Sandbox.AuthorizationEndpoint+"?"), loc)
			assert.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
			state := mustURL(t, loc).Query().Get("state")

			ck := setCookie(resp, "fc_tx_"+state[:8])
			require.NotNil(t, ck, "one cookie per login, named after its state")
			assert.True(t, ck.HttpOnly)
			assert.Equal(t, tt.secure, ck.Secure)
			assert.Equal(t, http.SameSiteLaxMode, ck.SameSite)
			assert.Equal(t, tt.path, ck.Path)
			assert.Equal(t, tt.wantMaxAge, ck.MaxAge)
			assert.NotContains(t, ck.Value, state)

			idx := setCookie(resp, "fc_tx_idx")
			require.NotNil(t, idx)
			assert.True(t, idx.HttpOnly)
			assert.Equal(t, "/fc/login", idx.Path)
			assert.Equal(t, http.SameSiteLaxMode, idx.SameSite)

			// The callback deletes it with the same attributes.
			var o hOutcome
			req := httptest.NewRequest(http.MethodGet, "/cb?state="+state+"&error=access_denied", nil)
			req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
			rec = httptest.NewRecorder()
			o.callback(c).ServeHTTP(rec, req)
			assert.ErrorIs(t, o.err, franceconnect.ErrAccessDenied)
			del := setCookie(rec.Result(), ck.Name)
			require.NotNil(t, del)
			assert.Equal(t, -1, del.MaxAge)
			assert.Equal(t, tt.path, del.Path)
			assert.Equal(t, tt.secure, del.Secure)
			assert.True(t, del.HttpOnly)

			// The logout cookie: Path and Secure of the post-logout URL.
			rec = httptest.NewRecorder()
			c.LogoutHandler(func(*http.Request) (string, error) { return "a.b.c", nil }).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/fc/logout", nil))
			out := setCookie(rec.Result(), "fc_tx_out")
			require.NotNil(t, out)
			assert.Equal(t, tt.path, out.Path)
			assert.Equal(t, tt.secure, out.Secure)
			assert.True(t, out.HttpOnly)
			assert.Equal(t, http.SameSiteLaxMode, out.SameSite)
			assert.Equal(t, tt.wantMaxAge, out.MaxAge)
		})
	}
}

// The index cookie follows the path the browser used, even under
// http.StripPrefix.
func TestHandlersLoginUnderStripPrefix(t *testing.T) {
	t.Parallel()
	_, cfg := hSetup(t)
	c := hClient(t, cfg)
	rec := httptest.NewRecorder()
	http.StripPrefix("/tenant", c.LoginHandler(franceconnect.AuthOptions{})).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/tenant/fc/login?return=/x", nil))
	idx := setCookie(rec.Result(), "fc_tx_idx")
	require.NotNil(t, idx)
	assert.Equal(t, "/tenant/fc/login", idx.Path)
}

// The user cancels at FranceConnect: the error handler gets a typed error
// and the French message.
func TestHandlersCancelled(t *testing.T) {
	t.Parallel()
	srv, cfg := hSetup(t)
	srv.Inject(fctest.CallbackAccessDenied)
	c := hClient(t, cfg)
	b := newHBrowser(t)
	var o hOutcome
	cb := b.start(t, srv, c.LoginHandler(franceconnect.AuthOptions{}), hLogin, fctest.DefaultUser)
	resp := b.get(t, o.callback(c), cb)
	require.ErrorIs(t, o.err, franceconnect.ErrAccessDenied)
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, "Vous avez annulé la connexion avec FranceConnect.\n", string(body))
	assert.Empty(t, b.jar.Cookies(mustURL(t, hCallback)))
}

func TestUserMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"cancelled", &franceconnect.CallbackError{Code: "access_denied", Description: "User auth aborted"}, "Vous avez annulé la connexion avec FranceConnect."},
		{"expired", fmt.Errorf("%w: x", franceconnect.ErrTransactionExpired), "Votre demande de connexion a expiré. Veuillez recommencer."},
		{"no transaction", franceconnect.ErrNoTransaction, "Votre demande de connexion a expiré. Veuillez recommencer."},
		{"code used", &franceconnect.ProviderError{Endpoint: "token", StatusCode: 400, Code: "invalid_grant"}, "Votre demande de connexion a expiré. Veuillez recommencer."},
		{"unavailable", &franceconnect.ProviderError{Endpoint: "token", StatusCode: 503}, "FranceConnect est momentanément indisponible. Veuillez réessayer dans quelques instants."},
		{"timeout", fmt.Errorf("%w: token endpoint: timed out", franceconnect.ErrProviderUnavailable), "FranceConnect est momentanément indisponible. Veuillez réessayer dans quelques instants."},
		{"invalid transaction", fmt.Errorf("%w: secret detail", franceconnect.ErrInvalidTransaction), "La connexion avec FranceConnect n’a pas abouti. Veuillez réessayer."},
		{"nonce", fmt.Errorf("%w: secret detail", franceconnect.ErrNonceMismatch), "La connexion avec FranceConnect n’a pas abouti. Veuillez réessayer."},
		{"other FC error", &franceconnect.CallbackError{Code: "invalid_acr", Description: "secret detail"}, "La connexion avec FranceConnect n’a pas abouti. Veuillez réessayer."},
		{"config", franceconnect.ErrConfig, "La connexion avec FranceConnect n’a pas abouti. Veuillez réessayer."},
		{"anything", errors.New("secret detail"), "La connexion avec FranceConnect n’a pas abouti. Veuillez réessayer."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := franceconnect.UserMessage(tt.err)
			assert.Equal(t, tt.want, got)
			assert.NotContains(t, got, "secret")
		})
	}
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
	c.LogoutHandler(func(*http.Request) (string, error) { return "a.b.c", nil }).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/fc/logout", nil))
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

func TestHandlerConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		mutate func(*franceconnect.Config)
		want   string // "" means valid
	}{
		{"no keys", func(c *franceconnect.Config) { c.CookieKeys = nil }, ""},
		{"rotation", func(c *franceconnect.Config) { c.CookieKeys = [][]byte{hKey(1), hKey(2)} }, ""},
		{"short key", func(c *franceconnect.Config) { c.CookieKeys = [][]byte{hKey(1), []byte("too short")} }, "CookieKeys: invalid keys: key 1 is 9 bytes, want 32"},
		{"duplicate key", func(c *franceconnect.Config) { c.CookieKeys = [][]byte{hKey(1), hKey(1)} }, "listed twice"},
		{"cookie name", func(c *franceconnect.Config) { c.CookieName = "fc tx;" }, "CookieName"},
		{"custom cookie name", func(c *franceconnect.Config) { c.CookieName = "aides_fc" }, ""},
		{"default return path", func(c *franceconnect.Config) { c.DefaultReturnPath = "//evil.example" }, "DefaultReturnPath"},
		{"custom return path", func(c *franceconnect.Config) { c.DefaultReturnPath = "/espace-usager" }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := franceconnect.Config{
				Environment: franceconnect.Sandbox, ClientID: "id", ClientSecret: "secret",
				RedirectURL: hCallback, CookieKeys: [][]byte{hKey(1)},
			}
			tt.mutate(&cfg)
			_, err := franceconnect.New(cfg)
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, franceconnect.ErrConfig)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), string(hKey(1)))
		})
	}
}

// The keys are copied: a portal reusing its buffer does not break logins.
func TestHandlersKeysCopied(t *testing.T) {
	t.Parallel()
	srv, cfg := hSetup(t)
	k := hKey(7)
	c := hClient(t, cfg, func(c *franceconnect.Config) { c.CookieKeys = [][]byte{k} })
	b := newHBrowser(t)
	login, callback := c.LoginHandler(franceconnect.AuthOptions{}), new(hOutcome)
	cb := b.start(t, srv, login, hLogin, fctest.DefaultUser)
	k[0] ^= 0xff
	b.get(t, callback.callback(c), cb)
	callback.requireSuccess(t)
}

func TestHandlersLogout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault fctest.Fault
		want  error
	}{
		{"ok", 0, nil},
		{"wrong state", fctest.LogoutWrongState, franceconnect.ErrStateMismatch},
		{"no state", fctest.LogoutNoState, franceconnect.ErrStateMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, cfg := hSetup(t)
			c := hClient(t, cfg)
			b := newHBrowser(t)
			var o hOutcome
			cb := b.start(t, srv, c.LoginHandler(franceconnect.AuthOptions{}), hLogin, fctest.DefaultUser)
			b.get(t, o.callback(c), cb)
			raw := o.requireSuccess(t).RawIDToken

			if tt.fault != 0 {
				srv.Inject(tt.fault)
			}
			sessionEnded := false
			resp := b.get(t, c.LogoutHandler(func(*http.Request) (string, error) {
				sessionEnded = true // the portal ends its own session here
				return raw, nil
			}), hPortal+"/fc/logout")
			require.Equal(t, http.StatusFound, resp.StatusCode)
			assert.True(t, sessionEnded)
			back := hFollowLogout(t, resp.Header.Get("Location"))
			require.True(t, strings.HasPrefix(back, hLoggedOut), back)

			var lo hOutcome
			ret := lo.logoutReturn(c)
			b.get(t, ret, back)
			if tt.want != nil {
				assert.ErrorIs(t, lo.err, tt.want)
			} else {
				require.NoError(t, lo.err)
				assert.True(t, lo.logout)
			}
			assert.Empty(t, b.jar.Cookies(mustURL(t, hLoggedOut)), "the logout cookie is deleted whatever the outcome")

			// Replayed return: no pending logout any more.
			b.get(t, ret, back)
			assert.ErrorIs(t, lo.err, franceconnect.ErrNoTransaction)
		})
	}
}

// hFollowLogout sends the browser to FranceConnect's logout over real HTTP
// and returns where it sends it back.
func hFollowLogout(t *testing.T, logoutURL string) string {
	t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}
	resp, err := hc.Get(logoutURL)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	return resp.Header.Get("Location")
}

func TestHandlersLogoutWithoutToken(t *testing.T) {
	t.Parallel()
	_, cfg := hSetup(t)
	var logs bytes.Buffer
	c := hClient(t, cfg, func(c *franceconnect.Config) {
		c.DefaultReturnPath = "/accueil"
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	tests := []struct {
		name   string
		tok    string
		err    error
		status int
		loc    string
	}{
		{"no FranceConnect session", "", nil, http.StatusFound, "/accueil"},
		{"not a JWT", "garbage", nil, http.StatusFound, "/accueil"},
		{"session store down", "", errors.New("redis: connection refused"), http.StatusInternalServerError, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			c.LogoutHandler(func(*http.Request) (string, error) { return tt.tok, tt.err }).
				ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/fc/logout", nil))
			assert.Equal(t, tt.status, rec.Code)
			assert.Equal(t, tt.loc, rec.Header().Get("Location"))
			assert.Nil(t, setCookie(rec.Result(), "fc_tx_out"))
		})
	}
}

// 100 tenants of one environment, one Client each, share one key cache:
// the mock serves its JWKS once.
func TestHandlersManyTenantsOneJWKSFetch(t *testing.T) {
	t.Parallel()
	srv := fctest.NewServer()
	t.Cleanup(srv.Close)
	const tenants = 100
	clients := make([]*franceconnect.Client, tenants)
	for i := range clients {
		cfg := hRegister(srv, fmt.Sprintf("%s/account-management/t%03d-demandeurs/france-connect/code", hPortal, i))
		clients[i] = hClient(t, cfg)
	}
	var wg sync.WaitGroup
	errs := make([]error, tenants)
	for i, c := range clients {
		wg.Go(func() {
			jar, _ := cookiejar.New(nil)
			b := &hBrowser{jar: jar}
			var o hOutcome
			resp := b.get(t, c.LoginHandler(franceconnect.AuthOptions{}), fmt.Sprintf("%s/account-management/t%03d-demandeurs/france-connect/login?return=/t%03d", hPortal, i, i))
			cb, err := srv.Login(resp.Header.Get("Location"), fctest.DefaultUser)
			if err != nil {
				errs[i] = err
				return
			}
			b.get(t, o.callback(c), cb)
			switch {
			case o.err != nil:
				errs[i] = o.err
			case o.ret != fmt.Sprintf("/t%03d", i):
				errs[i] = fmt.Errorf("tenant %d returned to %s", i, o.ret)
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "tenant %d", i)
	}
	st := srv.Stats()
	assert.Equal(t, int64(tenants), st.TokenRequests)
	assert.Equal(t, int64(1), st.JWKSFetches, "one JWKS fetch for the environment, not one per tenant")
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
