package franceconnect_test

// Faults of the network and of the provider, over real HTTP: netUnreachable,
// slow beyond the HTTP client's timeout and beyond the caller's deadline,
// 500 with HTML, 200 with garbage, 10 MB bodies, a megabyte of dots. Each
// must end in a typed error, in bounded time and memory, with nothing
// called after the failed step and no goroutine left behind.
//
// These tests are not parallel: they count goroutines and bytes allocated
// by the whole process.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
)

const (
	// shortTimeout stands for the HTTP client's timeout (10 s by default)
	// and for the caller's deadline.
	shortTimeout = 250 * time.Millisecond
	// slowFor is how long a slow provider waits before answering: longer
	// than timeBound, so a client that waited for it would fail.
	slowFor = 10 * time.Second
	// timeBound is how soon a failed call must end: far above what it
	// takes (shortTimeout, or a few milliseconds), far below slowFor, so
	// that a loaded machine does not change the verdict.
	timeBound = 8 * time.Second
	// tenMB is the size of an oversized body.
	tenMB = 10 << 20
	// allocBudget bounds the bytes allocated by one Exchange facing a 10 MB
	// body: it must not grow with the body.
	allocBudget = 4 << 20
	// tokenAllocBudget is the same for the token endpoint, whose answer
	// is cut at 64 KiB before x/oauth2 reads it.
	tokenAllocBudget = 1 << 20
)

// netFault is how the faulty endpoint answers.
type netFault int

const (
	netUnreachable netFault = iota // closed port
	netSlowClient                  // slower than the HTTP client's timeout
	netSlowCaller                  // slower than the caller's context deadline
	netServerError                 // 500 with an HTML page
	netGarbage                     // 200 with a body that is not what was asked
	netTenMB                       // 200 with 10 MB, streamed
	netDots                        // 200 with a megabyte of dots where a token goes
)

func (f netFault) String() string {
	return [...]string{"unreachable", "slow-beyond-client-timeout", "slow-beyond-caller-deadline",
		"500-html", "200-garbage", "10MB-body", "megabyte-of-dots"}[f]
}

// bigBodyChunk is written again and again for big bodies: the server side
// allocates nothing per byte, so the memory measured is the client's.
var bigBodyChunk = bytes.Repeat([]byte("A"), 32<<10)

var megabyteOfDots = bytes.Repeat([]byte("."), 1_000_000)

// faultyHandler answers every request with f. ctype is the content type a
// well-behaved endpoint would use; prefix and suffix wrap big bodies so
// they start like the real thing.
func faultyHandler(f netFault, ctype, prefix, suffix string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
		switch f {
		case netSlowClient, netSlowCaller:
			select {
			case <-r.Context().Done():
				return
			case <-time.After(slowFor):
			}
			http.Error(w, "too late", http.StatusServiceUnavailable)
		case netServerError:
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, "<!DOCTYPE html><html><body><h1>500 Internal Server Error</h1><p>nginx</p></body></html>")
		case netGarbage:
			w.Header().Set("Content-Type", ctype)
			_, _ = io.WriteString(w, "\x00\xff<html>Maintenance en cours</html>\x1b[31m")
		case netTenMB:
			w.Header().Set("Content-Type", ctype)
			_, _ = io.WriteString(w, prefix)
			for n := 0; n < tenMB; n += len(bigBodyChunk) {
				if _, err := w.Write(bigBodyChunk); err != nil {
					return // the client stopped reading: good
				}
			}
			_, _ = io.WriteString(w, suffix)
		case netDots:
			w.Header().Set("Content-Type", ctype)
			_, _ = io.WriteString(w, prefix)
			_, _ = w.Write(megabyteOfDots)
			_, _ = io.WriteString(w, suffix)
		}
	}
}

// closedURL returns a URL on a loopback port nobody listens on.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr
}

// noLeak records the goroutines running now and, at cleanup (which runs
// after every cleanup registered later: servers closed, idle connections
// closed), waits a moment for them to be back to that number.
func noLeak(t *testing.T, settle time.Duration) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(settle)
		n := runtime.NumGoroutine()
		for n > before && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			n = runtime.NumGoroutine()
		}
		if n > before {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Errorf("%d goroutines before, %d after %v:\n%s", before, n, settle, buf)
		}
	})
}

// faultyEnv starts a mock whose endpoint (token, userinfo or jwks) is
// replaced by a faulty one, and a client with its own transport.
func faultyEnv(t *testing.T, endpoint string, f netFault) (*fctest.Server, *franceconnect.Client) {
	t.Helper()
	srv := fctest.NewServer(fctest.Options{})
	t.Cleanup(srv.Close)
	reg := srv.Register(fctest.Registration{RedirectURIs: []string{"https://portail.example/fc/callback"}, Alg: "ES256"})

	var ctype, prefix, suffix string
	switch endpoint {
	case "token":
		ctype = "application/json"
		prefix, suffix = `{"access_token":"x","token_type":"Bearer","expires_in":60,"id_token":"`, `"}`
	case "userinfo":
		ctype = "application/jwt"
	case "jwks":
		ctype = "application/json"
		prefix, suffix = `{"keys":[{"kty":"EC","crv":"P-256","kid":"`, `"}]}`
	}
	base := closedURL(t)
	if f != netUnreachable {
		bad := httptest.NewServer(faultyHandler(f, ctype, prefix, suffix))
		t.Cleanup(bad.Close)
		base = bad.URL
	}
	env := srv.Environment()
	switch endpoint {
	case "token":
		env.TokenEndpoint = base + "/api/v2/token"
	case "userinfo":
		env.UserInfoEndpoint = base + "/api/v2/userinfo"
	case "jwks":
		env.JWKSURI = base + "/api/v2/jwks"
	}
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	switch f {
	case netSlowClient:
		hc.Timeout = shortTimeout
	case netSlowCaller:
		hc.Timeout = 0 // the caller's deadline alone bounds the call
	}
	c, err := franceconnect.New(franceconnect.Config{
		Environment:  env,
		ClientID:     reg.ID,
		ClientSecret: reg.Secret,
		RedirectURL:  "https://portail.example/fc/callback",
		HTTPClient:   hc,
	})
	require.NoError(t, err)
	return srv, c
}

func TestProviderFaults(t *testing.T) {
	cases := []struct {
		endpoint string
		fault    netFault
		want     error
	}{
		{"token", netUnreachable, franceconnect.ErrProviderUnavailable},
		{"token", netSlowClient, franceconnect.ErrProviderUnavailable},
		{"token", netSlowCaller, franceconnect.ErrProviderUnavailable},
		{"token", netServerError, franceconnect.ErrProviderUnavailable},
		{"token", netGarbage, franceconnect.ErrProviderUnavailable},
		{"token", netTenMB, franceconnect.ErrProviderUnavailable}, // cut at 64 KiB
		{"token", netDots, franceconnect.ErrProviderUnavailable},  // over the 64 KiB token response limit

		{"jwks", netUnreachable, franceconnect.ErrProviderUnavailable},
		{"jwks", netSlowClient, franceconnect.ErrProviderUnavailable},
		{"jwks", netSlowCaller, franceconnect.ErrProviderUnavailable},
		{"jwks", netServerError, franceconnect.ErrProviderUnavailable},
		{"jwks", netGarbage, franceconnect.ErrProviderUnavailable},
		{"jwks", netTenMB, franceconnect.ErrProviderUnavailable},

		{"userinfo", netUnreachable, franceconnect.ErrProviderUnavailable},
		{"userinfo", netSlowClient, franceconnect.ErrProviderUnavailable},
		{"userinfo", netSlowCaller, franceconnect.ErrProviderUnavailable},
		{"userinfo", netServerError, franceconnect.ErrProviderUnavailable},
		{"userinfo", netGarbage, franceconnect.ErrMalformedToken},
		{"userinfo", netTenMB, franceconnect.ErrProviderUnavailable},
		{"userinfo", netDots, franceconnect.ErrProviderUnavailable}, // over the 64 KiB userinfo limit
	}
	for _, tc := range cases {
		t.Run(tc.endpoint+"/"+tc.fault.String(), func(t *testing.T) {
			// A shared JWKS fetch is detached from the caller that started
			// it (others may be waiting for it): after the caller's
			// deadline it runs on until the HTTP client's timeout or the
			// provider's answer. Give it that long to finish.
			settle := timeBound
			if tc.endpoint == "jwks" && tc.fault == netSlowCaller {
				settle = slowFor + timeBound
			}
			noLeak(t, settle)
			srv, c := faultyEnv(t, tc.endpoint, tc.fault)
			req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})

			ctx := context.Background()
			if tc.fault == netSlowCaller {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, shortTimeout)
				defer cancel()
			}
			runtime.GC()
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			start := time.Now()
			res, err := c.Exchange(ctx, req, q)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&m1)
			alloc := m1.TotalAlloc - m0.TotalAlloc

			require.Error(t, err)
			assert.Nil(t, res)
			assert.ErrorIs(t, err, tc.want)
			msg := err.Error()
			assert.NotContains(t, msg, "<html", "no response body in the error")
			assert.NotContains(t, msg, "\n")
			assert.Less(t, len(msg), 300, "a short message: %s", msg)
			assert.Less(t, elapsed, timeBound, "bounded in time: before the provider answers")
			switch {
			case tc.fault != netTenMB && tc.fault != netDots:
			case tc.endpoint == "token":
				// x/oauth2 reads the token response up to 1 MiB, then
				// decodes it (twice: fields and extras) before we see the
				// ID token: 2 to 3 MiB allocated, 4.5 to 5.5 MiB under
				// -race, whatever the body's size beyond. Our own check of
				// the ID token then costs nothing (TestMegabyteOfDotsAllocs).
				assert.Less(t, alloc, uint64(tokenAllocBudget), "bounded in memory: %d bytes allocated", alloc)
			default:
				assert.Less(t, alloc, uint64(allocBudget), "bounded in memory: %d bytes allocated", alloc)
			}
			if tc.endpoint != "userinfo" {
				assert.Zero(t, srv.Stats().UserInfoRequests, "userinfo is not called after a failed %s step", tc.endpoint)
			}
			t.Logf("%v in %v, %d KiB allocated: %s", tc.want, elapsed.Round(time.Millisecond), alloc>>10, msg)
		})
	}
}

// TestDiscoveryFaults: the same faults on the discovery document.
func TestDiscoveryFaults(t *testing.T) {
	for _, f := range []netFault{netUnreachable, netSlowClient, netSlowCaller, netServerError, netGarbage, netTenMB} {
		t.Run(f.String(), func(t *testing.T) {
			noLeak(t, timeBound)
			base := closedURL(t)
			if f != netUnreachable {
				bad := httptest.NewServer(faultyHandler(f, "application/json", `{"issuer":"`, `"}`))
				t.Cleanup(bad.Close)
				base = bad.URL
			}
			tr := &http.Transport{}
			t.Cleanup(tr.CloseIdleConnections)
			hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
			ctx := context.Background()
			switch f {
			case netSlowClient:
				hc.Timeout = shortTimeout
			case netSlowCaller:
				hc.Timeout = 0
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, shortTimeout)
				defer cancel()
			}
			runtime.GC()
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			start := time.Now()
			_, err := franceconnect.DiscoverEnvironment(ctx, franceconnect.FranceConnect, base+"/api/v2", hc)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&m1)
			assert.ErrorIs(t, err, franceconnect.ErrProviderUnavailable)
			assert.Less(t, elapsed, timeBound)
			assert.Less(t, m1.TotalAlloc-m0.TotalAlloc, uint64(allocBudget))
		})
	}
}

// TestGoroutinesAfterLogins: a burst of logins and failures leaves no
// goroutine once the client's idle connections are closed.
func TestGoroutinesAfterLogins(t *testing.T) {
	noLeak(t, timeBound)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	srv, c := mockSetup(t, "ES256", func(cfg *franceconnect.Config) {
		cfg.HTTPClient = &http.Client{Transport: tr, Timeout: 10 * time.Second}
	})
	for i := 0; i < 20; i++ {
		req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
		if i%2 == 1 {
			q.Set("state", "x")
		}
		_, err := c.Exchange(context.Background(), req, q)
		if i%2 == 0 {
			require.NoError(t, err, fmt.Sprint(i))
		} else {
			require.ErrorIs(t, err, franceconnect.ErrStateMismatch)
		}
	}
	srv.Inject(fctest.SlowUserInfo)
	req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), shortTimeout)
	defer cancel()
	_, err := c.Exchange(ctx, req, q)
	require.ErrorIs(t, err, franceconnect.ErrProviderUnavailable)
}

// No call to the provider follows a redirect, whatever the portal's HTTP
// client allows: a 307 from the token endpoint would re-send the client
// secret and the code to wherever it points.
func TestBackChannelRefusesRedirects(t *testing.T) {
	t.Parallel()
	var stolen atomic.Int64
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { stolen.Add(1) }))
	defer evil.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, evil.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	follows := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return nil }}

	for _, endpoint := range []string{"token", "userinfo", "jwks"} {
		t.Run(endpoint, func(t *testing.T) {
			srv, c := mockSetup(t, "ES256", func(cfg *franceconnect.Config) {
				cfg.HTTPClient = follows
				switch endpoint {
				case "token":
					cfg.Environment.TokenEndpoint = redirector.URL + "/token"
				case "userinfo":
					cfg.Environment.UserInfoEndpoint = redirector.URL + "/userinfo"
				case "jwks":
					cfg.Environment.JWKSURI = redirector.URL + "/jwks-" + t.Name()
				}
			})
			req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
			_, err := c.Exchange(context.Background(), req, q)
			assert.ErrorIs(t, err, franceconnect.ErrProviderUnavailable)
			assert.ErrorContains(t, err, "redirect")
		})
	}
	_, err := franceconnect.DiscoverEnvironment(context.Background(), franceconnect.FranceConnect, redirector.URL+"/api/v2", follows)
	assert.ErrorIs(t, err, franceconnect.ErrProviderUnavailable)
	assert.Zero(t, stolen.Load(), "nothing reached the redirect's target")
}
