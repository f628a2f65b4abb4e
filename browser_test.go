package franceconnect_test

import (
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
	"github.com/franceconnect-go/franceconnect/internal/browsertest"
)

const (
	hPortal    = "https://portail.example"
	hCallback  = hPortal + "/fc/callback"
	hLoggedOut = hPortal + "/fc/logged-out"
	hLogin     = hPortal + "/fc/login"
)

// hKey is cookie key number b: 32 bytes that look random.
var hKey = browsertest.Key

// hSetup starts a mock with one registered client and returns the Config
// of a portal for it, with one cookie key.
func hSetup(t *testing.T) (*fctest.Server, franceconnect.Config) {
	t.Helper()
	srv := fctest.NewServer(fctest.Options{})
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
type hBrowser = browsertest.Browser

var newHBrowser = browsertest.New

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
	return c.CallbackHandler(func(w http.ResponseWriter, r *http.Request, res *franceconnect.Result) {
		o.mu.Lock()
		o.res, o.ret, o.err, o.calls = res, res.ReturnTo, nil, o.calls+1
		o.mu.Unlock()
		http.Redirect(w, r, res.ReturnTo, http.StatusFound)
	}, func(w http.ResponseWriter, r *http.Request, err error) {
		o.mu.Lock()
		o.res, o.ret, o.err, o.calls = nil, "", err, o.calls+1
		o.mu.Unlock()
		http.Error(w, franceconnect.UserMessage(err), http.StatusBadRequest)
	})
}

// logoutReturn is c's LogoutReturnHandler, recording a verified return
// (the handler's 303 to the post-logout URL without its state) or the
// error.
func (o *hOutcome) logoutReturn(c *franceconnect.Client) http.Handler {
	h := c.LogoutReturnHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "page") // a plain visit
	}), func(w http.ResponseWriter, r *http.Request, err error) {
		o.mu.Lock()
		o.logout, o.err, o.calls = false, err, o.calls+1
		o.mu.Unlock()
		http.Error(w, franceconnect.UserMessage(err), http.StatusBadRequest)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code == http.StatusSeeOther {
			o.mu.Lock()
			o.logout, o.err, o.calls = true, nil, o.calls+1
			o.mu.Unlock()
		}
		maps.Copy(w.Header(), rec.Header())
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
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
