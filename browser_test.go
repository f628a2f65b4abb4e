package franceconnect_test

import (
	"crypto/sha256"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

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

// hKey is cookie key number b: 32 bytes that look random.
func hKey(b byte) []byte {
	k := sha256.Sum256([]byte{b})
	return k[:]
}

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
	return b.do(t, h, http.MethodGet, rawURL)
}

// post is get with POST, as a form button sends it.
func (b *hBrowser) post(t *testing.T, h http.Handler, rawURL string) *http.Response {
	return b.do(t, h, http.MethodPost, rawURL)
}

func (b *hBrowser) do(t *testing.T, h http.Handler, method, rawURL string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, rawURL, nil)
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

// txCookieNames lists the pending-login cookies resp sets.
func txCookieNames(resp *http.Response) []string {
	var names []string
	for _, ck := range resp.Cookies() {
		if strings.HasPrefix(strings.TrimPrefix(ck.Name, "__Host-"), "fc_tx_") && !strings.HasSuffix(ck.Name, "_out") {
			names = append(names, ck.Name)
		}
	}
	return names
}

// slotPrefix is the clear part of a pending-login cookie's value, "<state
// id>.<expiry>.", before the sealed login.
func slotPrefix(v string) string {
	i := strings.Index(v, ".")
	j := strings.Index(v[i+1:], ".")
	return v[:i+1+j+1]
}
