// Package browsertest is a browser for the tests of the handlers: a cookie
// jar whose requests are served by a handler in process, and the user's
// part at the fctest mock; and a clock tests move forward.
package browsertest

import (
	"crypto/sha256"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/franceconnect-go/franceconnect/fctest"
)

// Browser is a browser: a cookie jar, and requests served by a handler in
// process.
type Browser struct{ Jar *cookiejar.Jar }

// New returns a browser with an empty jar.
func New(t testing.TB) *Browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &Browser{Jar: jar}
}

// Get sends GET rawURL with the jar's cookies to h and stores the cookies
// h sets.
func (b *Browser) Get(t testing.TB, h http.Handler, rawURL string) *http.Response {
	return b.Do(t, h, http.MethodGet, rawURL)
}

// Post is Get with POST, as a form button sends it.
func (b *Browser) Post(t testing.TB, h http.Handler, rawURL string) *http.Response {
	return b.Do(t, h, http.MethodPost, rawURL)
}

// Do sends method rawURL with the jar's cookies to h.
func (b *Browser) Do(t testing.TB, h http.Handler, method, rawURL string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(method, rawURL, nil)
	for _, ck := range b.Jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	b.Jar.SetCookies(req.URL, resp.Cookies())
	return resp
}

// Start runs the login handler at loginURL and logs u in on the mock; it
// returns the callback URL.
func (b *Browser) Start(t testing.TB, srv *fctest.Server, login http.Handler, loginURL string, u fctest.User) string {
	t.Helper()
	resp := b.Get(t, login, loginURL)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("login: %s", resp.Status)
	}
	cb, err := srv.Login(resp.Header.Get("Location"), u)
	if err != nil {
		t.Fatal(err)
	}
	return cb
}

// FollowLogout sends the browser to the provider's logout over real HTTP
// and returns where it sends it back.
func FollowLogout(t testing.TB, logoutURL string) string {
	t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 10 * time.Second}
	resp, err := hc.Get(logoutURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout: %s", resp.Status)
	}
	return resp.Header.Get("Location")
}

// Key is cookie key number b: 32 bytes that look random.
func Key(b byte) []byte {
	k := sha256.Sum256([]byte{b})
	return k[:]
}

// Clock is a clock a test moves forward, for fctest.Options.Now and
// franceconnect.Config.Now: expiries without sleeping. Its zero value
// starts at the zero time; NewClock starts now.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at the current time.
func NewClock() *Clock { return &Clock{t: time.Now()} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock forward by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
