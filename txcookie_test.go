package franceconnect_test

import (
	"encoding/base64"
	"fmt"
	"math/rand/v2"
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
			cb := b.Start(t, srv, a.LoginHandler(franceconnect.AuthOptions{}), hLogin, fctest.DefaultUser)
			b.Get(t, o.callback(z), cb)
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
				e.b.Jar, _ = cookiejar.New(nil)
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
				e.b.Jar.SetCookies(mustURL(t, hCallback), []*http.Cookie{{Name: e.cookie.Name, Value: string(v), Path: "/"}})
				var o hOutcome
				return e.cb, o.callback(e.c), &o
			},
			want: franceconnect.ErrInvalidTransaction,
		},
		{
			name: "garbage",
			prepare: func(t *testing.T, e *env) (string, http.Handler, *hOutcome) {
				e.b.Jar.SetCookies(mustURL(t, hCallback), []*http.Cookie{{Name: e.cookie.Name, Value: slotPrefix(e.cookie.Value) + strings.Repeat(".", 3000), Path: "/"}})
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
			// Same callback URL: that callback's registration changed.
			want: franceconnect.ErrRegistrationChanged,
		},
		{
			name: "other environment",
			prepare: func(t *testing.T, e *env) (string, http.Handler, *hOutcome) {
				srv2 := fctest.NewServer(fctest.Options{})
				t.Cleanup(srv2.Close)
				other := hClient(t, e.cfg, func(c *franceconnect.Config) { c.Environment = srv2.Environment() })
				var o hOutcome
				return e.cb, o.callback(other), &o
			},
			// Same callback URL: that callback's registration changed.
			want: franceconnect.ErrRegistrationChanged,
		},
		{
			name: "logout cookie as login cookie",
			prepare: func(t *testing.T, e *env) (string, http.Handler, *hOutcome) {
				resp := e.b.Post(t, e.c.LogoutHandler(func(*http.Request) (string, error) { return hFakeIDToken(e.srv, e.cfg.ClientID), nil }), hPortal+"/fc/logout")
				out := setCookie(resp, "__Host-fc_tx_out0")
				require.NotNil(t, out)
				e.b.Jar.SetCookies(mustURL(t, hCallback), []*http.Cookie{{Name: out.Name, Path: "/", MaxAge: -1}})
				e.b.Jar.SetCookies(mustURL(t, hCallback), []*http.Cookie{{Name: e.cookie.Name, Value: slotPrefix(e.cookie.Value) + out.Value, Path: "/"}})
				var o hOutcome
				return e.cb, o.callback(e.c), &o
			},
			want: franceconnect.ErrInvalidTransaction,
		},
		{
			name: "another login's cookie under this state's name",
			prepare: func(t *testing.T, e *env) (string, http.Handler, *hOutcome) {
				b2 := newHBrowser(t)
				resp := b2.Get(t, e.c.LoginHandler(franceconnect.AuthOptions{}), hLogin)
				names := txCookieNames(resp)
				require.Len(t, names, 1)
				other := setCookie(resp, names[0]).Value
				e.b.Jar.SetCookies(mustURL(t, hCallback), []*http.Cookie{{Name: e.cookie.Name, Value: slotPrefix(e.cookie.Value) + other[len(slotPrefix(other)):], Path: "/"}})
				var o hOutcome
				return e.cb, o.callback(e.c), &o
			},
			want: franceconnect.ErrStateMismatch,
		},
		{
			name: "replayed callback",
			prepare: func(t *testing.T, e *env) (string, http.Handler, *hOutcome) {
				var first hOutcome
				e.b.Get(t, first.callback(e.c), e.cb)
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
				e.b.Get(t, first.callback(e.c), e.cb)
				first.requireSuccess(t)
				e.b.Jar.SetCookies(mustURL(t, hCallback), []*http.Cookie{{Name: e.cookie.Name, Value: e.cookie.Value, Path: "/"}})
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
			resp := e.b.Get(t, e.c.LoginHandler(franceconnect.AuthOptions{}), hLogin)
			names := txCookieNames(resp)
			require.Len(t, names, 1)
			e.cookie = setCookie(resp, names[0])
			cb, err := srv.Login(resp.Header.Get("Location"), fctest.DefaultUser)
			require.NoError(t, err)
			e.cb = cb

			cb, h, o := tt.prepare(t, e)
			sent := len(e.b.Jar.Cookies(mustURL(t, hCallback)))
			resp = e.b.Get(t, h, cb)
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
				assert.Equal(t, "/", del.Path)
			}
			assert.NotContains(t, o.err.Error(), e.cookie.Value[:30])
			if tt.keep {
				assert.Nil(t, setCookie(resp, e.cookie.Name))
			} else {
				assert.Empty(t, e.b.Jar.Cookies(mustURL(t, hCallback)))
			}
		})
	}
}

// hFakeIDToken is an unsigned token shaped like the mock's ID tokens: the
// mock does not check id_token_hint signatures.
func hFakeIDToken(srv *fctest.Server, aud string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"ES256"}`)) + "." + enc(fmt.Appendf(nil, `{"iss":%q,"aud":%q,"sub":"x"}`, srv.Environment().Issuer, aud)) + ".c2ln"
}

// A browser holds at most 3 pending login cookies: more logins replace the
// oldest, and the newest still complete.
func TestHandlersPendingLoginsBounded(t *testing.T) {
	t.Parallel()
	srv, cfg := hSetup(t)
	c := hClient(t, cfg)
	b := newHBrowser(t)
	login := c.LoginHandler(franceconnect.AuthOptions{})
	var cbs []string
	for i := range 8 {
		cbs = append(cbs, b.Start(t, srv, login, fmt.Sprintf("%s?return=/t%d", hLogin, i), fctest.DefaultUser))
		assert.LessOrEqual(t, len(b.Jar.Cookies(mustURL(t, hCallback))), 3)
	}
	assert.Len(t, b.Jar.Cookies(mustURL(t, hCallback)), 3)

	var o hOutcome
	for i, cb := range cbs {
		b.Get(t, o.callback(c), cb)
		if i < 5 {
			assert.ErrorIs(t, o.err, franceconnect.ErrNoTransaction, "login %d was replaced", i)
			continue
		}
		o.requireSuccess(t)
		assert.Equal(t, fmt.Sprintf("/t%d", i), o.ret)
	}
	// Garbage in every slot only frees them.
	for i := range 3 {
		b.Jar.SetCookies(mustURL(t, hLogin), []*http.Cookie{{Name: fmt.Sprintf("__Host-fc_tx_%d", i), Value: "x.1:" + strings.Repeat("abcdefgh.9999999999:", 40), Path: "/"}})
	}
	cb := b.Start(t, srv, login, hLogin+"?return=/apres", fctest.DefaultUser)
	assert.Len(t, b.Jar.Cookies(mustURL(t, hCallback)), 3)
	b.Get(t, o.callback(c), cb)
	o.requireSuccess(t)
	assert.Equal(t, "/apres", o.ret)
}

// Forty logins at once, on every spelling of the login path, each with the
// longest return path: the browser keeps 3 pending logins, the Cookie
// header they make stays under 4 KB, and the last ones started complete.
func TestHandlersPendingLoginsBoundedUnderConcurrency(t *testing.T) {
	t.Parallel()
	srv, cfg := hSetup(t)
	c := hClient(t, cfg)
	b := newHBrowser(t)
	login := c.LoginHandler(franceconnect.AuthOptions{})
	longest := "/" + strings.Repeat("d", 255)
	require.True(t, franceconnect.IsLocalPath(longest))
	spellings := []string{"/fc/login", "/fc/%6Cogin", "/fc/LOGIN", "/fc//login", "/fc/login/", "/FC/login"}
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp := b.Get(t, login, hPortal+spellings[i%len(spellings)]+"?return="+longest)
			assert.Equal(t, http.StatusFound, resp.StatusCode)
		}()
	}
	wg.Wait()
	cookies := b.Jar.Cookies(mustURL(t, hCallback))
	assert.LessOrEqual(t, len(cookies), 3)
	header := len((&http.Request{Header: http.Header{}}).Header.Get("Cookie"))
	for _, ck := range cookies {
		header += len(ck.String()) + 2
	}
	assert.Less(t, header, 4096, "the Cookie header of the pending logins")

	// A new login still completes, with its return path.
	cb := b.Start(t, srv, c.LoginHandler(franceconnect.AuthOptions{}), hLogin+"?return="+longest, fctest.DefaultUser)
	var o hOutcome
	b.Get(t, o.callback(c), cb)
	o.requireSuccess(t)
	assert.Equal(t, longest, o.ret)
}

// Cookie attributes: HttpOnly, SameSite=Lax, Path=/, TransactionTTL, and
// on https Secure with the __Host- prefix; on http loopback hosts (local
// development) neither.
func TestHandlersCookieAttributes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		redirect   string
		secure     bool
		ttl        time.Duration
		wantMaxAge int
	}{
		{"https://portail.example/fc/callback", true, 0, 600},
		{"https://portail.example", true, 0, 600},
		{"https://portail.example/account-management/aides-demandeurs/france-connect/code?redirectUrl=x&jwtKey=y", true, 0, 600},
		{"http://localhost:8080/fc/callback", false, 0, 600},
		{"http://127.0.0.1:8080/auth/cb", false, 5 * time.Minute, 300},
		{"http://[::1]/cb", false, 0, 600},
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

			prefix := ""
			if tt.secure {
				prefix = "__Host-"
			}
			require.Len(t, resp.Cookies(), 1, "one cookie per login")
			ck := setCookie(resp, prefix+"fc_tx_0")
			require.NotNil(t, ck, "the first free slot")
			assert.True(t, ck.HttpOnly)
			assert.Equal(t, tt.secure, ck.Secure)
			assert.Equal(t, http.SameSiteLaxMode, ck.SameSite)
			assert.Equal(t, "/", ck.Path)
			assert.Empty(t, ck.Domain)
			assert.Equal(t, tt.wantMaxAge, ck.MaxAge)
			assert.True(t, strings.HasPrefix(ck.Value, state[:8]+"."), "the slot names its login by 8 characters of the state")
			assert.NotContains(t, ck.Value, state)

			// The callback deletes it with the same attributes.
			var o hOutcome
			req := httptest.NewRequest(http.MethodGet, "/cb?state="+state+"&iss="+url.QueryEscape(franceconnect.Sandbox.Issuer)+"&error=access_denied", nil)
			req.AddCookie(&http.Cookie{Name: ck.Name, Value: ck.Value})
			rec = httptest.NewRecorder()
			o.callback(c).ServeHTTP(rec, req)
			assert.ErrorIs(t, o.err, franceconnect.ErrAccessDenied)
			del := setCookie(rec.Result(), ck.Name)
			require.NotNil(t, del)
			assert.Equal(t, -1, del.MaxAge)
			assert.Equal(t, "/", del.Path)
			assert.Equal(t, tt.secure, del.Secure)
			assert.True(t, del.HttpOnly)

			// The logout cookie: the same attributes.
			rec = httptest.NewRecorder()
			c.LogoutHandler(func(*http.Request) (string, error) { return "a.b.c", nil }).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/fc/logout", nil))
			out := setCookie(rec.Result(), prefix+"fc_tx_out0")
			require.NotNil(t, out)
			assert.Equal(t, "/", out.Path)
			assert.Equal(t, tt.secure, out.Secure)
			assert.True(t, out.HttpOnly)
			assert.Equal(t, http.SameSiteLaxMode, out.SameSite)
			assert.Equal(t, tt.wantMaxAge, out.MaxAge)
		})
	}
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
	cb := b.Start(t, srv, login, hLogin, fctest.DefaultUser)
	k[0] ^= 0xff
	b.Get(t, callback.callback(c), cb)
	callback.requireSuccess(t)
}

// worstReturnPath is the longest return path IsLocalPath accepts, made of
// every character it accepts (a percent-encoded one among them) and padded
// with "&", which HTML-escaping JSON would have written as six bytes.
func worstReturnPath(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("/")
	for c := byte(0x21); c < 0x7f; c++ {
		if c != '%' && c != '\\' && c != '"' {
			b.WriteByte(c)
		}
	}
	b.WriteString("%41")
	for b.Len() < 256 {
		b.WriteByte('&')
	}
	p := b.String()
	require.True(t, franceconnect.IsLocalPath(p), p)
	require.False(t, franceconnect.IsLocalPath(p+"&"), "the longest")
	return p
}

// The worst case in bytes: two clients on one host (FranceConnect and
// ProConnect), each with every pending-login and pending-logout slot
// taken, every login with the worst return path: the browser's Cookie
// header stays under 8 KB, under 4 KB for each client.
func TestHandlersCookieBytesWorstCase(t *testing.T) {
	t.Parallel()
	fcSrv, fcCfg := hSetup(t)
	pc := fctest.NewServer(fctest.Options{Federation: franceconnect.ProConnect})
	t.Cleanup(pc.Close)
	reg := pc.Register(fctest.Registration{RedirectURIs: []string{hPortal + "/agents/callback"}, PostLogoutRedirectURIs: []string{hPortal + "/agents/logged-out"}})
	pcCfg := franceconnect.Config{Environment: pc.Environment(), ClientID: reg.ID, ClientSecret: reg.Secret,
		RedirectURL: hPortal + "/agents/callback", PostLogoutRedirectURL: hPortal + "/agents/logged-out",
		CookieKeys: [][]byte{hKey(1)}, CookieName: "pc_tx"}
	worst := worstReturnPath(t)
	b := newHBrowser(t)
	for _, x := range []struct {
		srv *fctest.Server
		cfg franceconnect.Config
	}{{fcSrv, fcCfg}, {pc, pcCfg}} {
		c := hClient(t, x.cfg)
		for range 3 {
			resp := b.Get(t, c.LoginHandler(franceconnect.AuthOptions{}), hLogin+"?return="+url.QueryEscape(worst))
			require.Equal(t, http.StatusFound, resp.StatusCode)
			resp = b.Post(t, c.LogoutHandler(func(*http.Request) (string, error) { return hFakeIDToken(x.srv, x.cfg.ClientID), nil }), hPortal+"/logout")
			require.Equal(t, http.StatusFound, resp.StatusCode)
		}
	}
	perClient := map[string]int{}
	var pairs []string
	for _, ck := range b.Jar.Cookies(mustURL(t, hPortal+"/")) {
		pairs = append(pairs, ck.Name+"="+ck.Value)
		perClient[strings.SplitN(strings.TrimPrefix(ck.Name, "__Host-"), "_", 2)[0]] += len(ck.Name) + 1 + len(ck.Value) + 2
	}
	header := strings.Join(pairs, "; ")
	require.Len(t, pairs, 12, "3 logins and 3 logouts for each client")
	t.Logf("Cookie header: %d bytes (%v per client)", len(header), perClient)
	assert.Less(t, len(header), 8192)
	for client, n := range perClient {
		assert.Less(t, n, 4096, client)
	}
}

// Every path the guard accepts starts a login, whatever its characters.
func TestHandlersEveryLocalPathStartsALogin(t *testing.T) {
	t.Parallel()
	_, cfg := hSetup(t)
	login := hClient(t, cfg).LoginHandler(franceconnect.AuthOptions{})
	rng := rand.New(rand.NewPCG(1, 2))
	paths := []string{worstReturnPath(t)}
	for len(paths) < 500 {
		p := make([]byte, 1+rng.IntN(300))
		p[0] = '/'
		for i := 1; i < len(p); i++ {
			p[i] = byte(0x21 + rng.IntN(0x7f-0x21))
		}
		if franceconnect.IsLocalPath(string(p)) {
			paths = append(paths, string(p))
		}
	}
	for _, p := range paths {
		rec := httptest.NewRecorder()
		login.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, hLogin+"?return="+url.QueryEscape(p), nil))
		require.Equal(t, http.StatusFound, rec.Code, "%q", p)
	}
}
