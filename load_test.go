package franceconnect_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
)

// TestLoadConcurrentLogins runs 1,000 logins at once against one mock,
// several test identities mixed: zero failures, each caller gets its own
// user's identity, and the provider's keys are fetched exactly once
// (every login needs them at the same instant: they share one fetch). The
// mock's and the client's clock is held, so that the codes prepared first
// are still valid when the last ones are, however slow the machine.
func TestLoadConcurrentLogins(t *testing.T) {
	if testing.Short() {
		t.Skip("1,000 concurrent logins: skipped with -short")
	}
	const n = 1000
	start := time.Now()

	tr := &http.Transport{MaxIdleConns: n, MaxIdleConnsPerHost: n, IdleConnTimeout: 30 * time.Second}
	t.Cleanup(tr.CloseIdleConnections)
	clock := heldClock()
	srv := fctest.NewServer(fctest.Options{Now: clock})
	t.Cleanup(srv.Close)
	c := clientOn(t, srv, fctest.Registration{}, franceconnect.Config{Now: clock, Scopes: []string{franceconnect.ScopeIdentitePivot},
		// 1,000 calls at once: the time limit is not what this test judges.
		HTTPClient: &http.Client{Transport: tr, Timeout: 10 * time.Minute}})
	users := fctest.Users()

	// Every goroutine plays a browser (authorize, pick the user: the mock's
	// part, done before), then waits at the gate; the gate opens once all
	// 1,000 callbacks are in hand, and every Exchange starts at once.
	var (
		gate     = make(chan struct{})
		ready    sync.WaitGroup
		done     sync.WaitGroup
		failures atomic.Int64
		errMu    sync.Mutex
		firstErr []string
	)
	fail := func(i int, err error) {
		failures.Add(1)
		errMu.Lock()
		if len(firstErr) < 5 {
			firstErr = append(firstErr, fmt.Sprintf("login %d: %v", i, err))
		}
		errMu.Unlock()
	}
	// The browser part is the mock's, not the library's: bound it.
	browsers := make(chan struct{}, 4*runtime.GOMAXPROCS(0))
	ready.Add(n)
	done.Add(n)
	for i := 0; i < n; i++ {
		go func() {
			defer done.Done()
			u := users[i%len(users)]
			browsers <- struct{}{}
			req, err := c.AuthCodeURL(franceconnect.AuthOptions{})
			var cb string
			if err == nil {
				cb, err = srv.Login(req.URL, u)
			}
			<-browsers
			ready.Done()
			<-gate
			if err != nil {
				fail(i, err)
				return
			}
			q, err := callbackQuery(cb)
			if err != nil {
				fail(i, err)
				return
			}
			res, err := c.Exchange(context.Background(), req, q)
			switch {
			case err != nil:
				fail(i, err)
			case res.Identity.FamilyName != u.FamilyName || res.Identity.Birthdate.String() != u.Birthdate:
				fail(i, fmt.Errorf("got the identity of another login"))
			}
		}()
	}
	ready.Wait()
	browsersDone := time.Since(start)
	close(gate)
	done.Wait()
	elapsed := time.Since(start)

	assert.Zero(t, failures.Load(), "failures: %v", firstErr)
	st := srv.Stats()
	assert.EqualValues(t, 1, st.JWKSFetches, "one key fetch for 1,000 concurrent logins")
	assert.EqualValues(t, n, st.TokenRequests)
	assert.EqualValues(t, n, st.UserInfoRequests)
	t.Logf("%d logins: browser part %v, all done in %v; %d JWKS fetch(es)", n, browsersDone.Round(time.Millisecond), elapsed.Round(time.Millisecond), st.JWKSFetches)
}

func callbackQuery(callback string) (url.Values, error) {
	u, err := url.Parse(callback)
	if err != nil {
		return nil, err
	}
	return u.Query(), nil
}

// The default HTTP client reuses its connections at the concurrency of a
// rush hour: 64 callbacks at a time, after a warm-up, open new connections
// for fewer than 5 in 100 logins (net/http's default pool of 2 idle
// connections per host opened about 1.26 per login).
func TestDefaultClientReusesConnections(t *testing.T) {
	t.Parallel()
	const concurrency, rounds = 64, 4
	srv, c := mockSetup(t, "ES256") // Config.HTTPClient nil: the default client
	// round runs concurrency callbacks at once and returns the connections
	// they opened.
	round := func() int64 {
		type login struct {
			req *franceconnect.AuthRequest
			q   url.Values
		}
		logins := make([]login, concurrency)
		for i := range logins { // the browser's part, before any measure
			logins[i].req, logins[i].q = mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
		}
		before := srv.Stats().Connections
		var wg sync.WaitGroup
		for _, l := range logins {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := c.Exchange(context.Background(), l.req, l.q)
				assert.NoError(t, err)
			}()
		}
		wg.Wait()
		return srv.Stats().Connections - before
	}
	round() // warm-up: the pool fills
	var opened int64
	for range rounds {
		opened += round()
	}
	t.Logf("%d logins, %d at a time: %d new connections", concurrency*rounds, concurrency, opened)
	assert.Less(t, float64(opened)/float64(concurrency*rounds), 0.05, "new connections per login")
}
