package franceconnect_test

// How often the provider's key set is fetched, counted by the mock
// (Stats().JWKSFetches): never in steady state, once for a burst of
// callbacks right after a key rotation, once per issuer however many
// tenant clients share it. The 100-tenant case through the handlers is in
// handlers_test.go; here it is through Exchange, with two issuers.
//
// Each test gives its clients an HTTP client of their own: key caches are
// shared per (JWKS URL, HTTP client), so a cache from another test can
// never answer for this one's mock.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
)

// jwksHTTPClient is a client of its own, with a bounded connection pool.
func jwksHTTPClient(t *testing.T) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxConnsPerHost = 64
	tr.MaxIdleConnsPerHost = 64
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Minute} // not what these tests judge
}

// jwksClient registers a client on srv and returns a Client for it.
func jwksClient(t *testing.T, srv *fctest.Server, hc *http.Client, now func() time.Time) *franceconnect.Client {
	t.Helper()
	reg := srv.Register(fctest.Registration{RedirectURIs: []string{"https://portail.example/fc/callback"}})
	c, err := franceconnect.New(franceconnect.Config{
		Environment: srv.Environment(), ClientID: reg.ID, ClientSecret: reg.Secret,
		RedirectURL: "https://portail.example/fc/callback", HTTPClient: hc, Now: now,
	})
	require.NoError(t, err)
	return c
}

type jwksPending struct {
	c   *franceconnect.Client
	req *franceconnect.AuthRequest
	q   url.Values
}

// jwksLogins runs the browser part of one login per client, eight at a
// time.
func jwksLogins(t *testing.T, srv map[*franceconnect.Client]*fctest.Server, clients []*franceconnect.Client) []jwksPending {
	t.Helper()
	out := make([]jwksPending, len(clients))
	errs := make([]error, len(clients))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(clients); i = int(next.Add(1)) - 1 {
				c := clients[i]
				req, err := c.AuthCodeURL(franceconnect.AuthOptions{})
				if err != nil {
					errs[i] = err
					continue
				}
				cb, err := srv[c].Login(req.URL, fctest.DefaultUser)
				if err != nil {
					errs[i] = err
					continue
				}
				u, err := url.Parse(cb)
				if err != nil {
					errs[i] = err
					continue
				}
				out[i] = jwksPending{c: c, req: req, q: u.Query()}
			}
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "login %d", i)
	}
	return out
}

// jwksExchangeAll completes every login at once and returns the failures.
func jwksExchangeAll(ps []jwksPending) []error {
	start := make(chan struct{})
	errs := make([]error, len(ps))
	var wg sync.WaitGroup
	for i, p := range ps {
		wg.Go(func() {
			<-start
			_, errs[i] = p.c.Exchange(context.Background(), p.req, p.q)
		})
	}
	close(start)
	wg.Wait()
	var failed []error
	for i, err := range errs {
		if err != nil {
			failed = append(failed, fmt.Errorf("callback %d: %w", i, err))
		}
	}
	return failed
}

func repeatClient(c *franceconnect.Client, n int) []*franceconnect.Client {
	out := make([]*franceconnect.Client, n)
	for i := range out {
		out[i] = c
	}
	return out
}

// After the first login, logins fetch no keys: sequential or concurrent.
func TestJWKSNoFetchInSteadyState(t *testing.T) {
	t.Parallel()
	srv := fctest.NewServer(fctest.Options{})
	t.Cleanup(srv.Close)
	c := jwksClient(t, srv, jwksHTTPClient(t), nil)
	servers := map[*franceconnect.Client]*fctest.Server{c: srv}

	require.Empty(t, jwksExchangeAll(jwksLogins(t, servers, []*franceconnect.Client{c})))
	require.EqualValues(t, 1, srv.Stats().JWKSFetches, "the first login fetches the keys")

	for range 20 {
		require.Empty(t, jwksExchangeAll(jwksLogins(t, servers, []*franceconnect.Client{c})))
	}
	require.Empty(t, jwksExchangeAll(jwksLogins(t, servers, repeatClient(c, 100))))
	st := srv.Stats()
	assert.EqualValues(t, 1, st.JWKSFetches, "no fetch per login in steady state")
	assert.EqualValues(t, 121, st.TokenRequests)
	assert.EqualValues(t, 121, st.UserInfoRequests)
}

// heldClock is a clock that does not move: the codes of many logins
// prepared in advance stay valid however slow the machine is.
func heldClock() func() time.Time {
	t := time.Now()
	return func() time.Time { return t }
}

// 1,000 callbacks arrive while the provider rotates its keys twice, the
// second time right after the first rotation's refetch: none fails, each
// rotation costs one fetch, and the callbacks of the second rotation wait
// for the next allowed fetch (one second at most, keys.MinRefresh: the
// schedule itself is tested in internal/keys). Not parallel with the other
// tests: 1,000 logins at once.
func TestJWKSRotationsFailNoCallback(t *testing.T) {
	const callbacks = 1000
	clock := heldClock()
	srv := fctest.NewServer(fctest.Options{Now: clock})
	t.Cleanup(srv.Close)
	c := jwksClient(t, srv, jwksHTTPClient(t), clock)
	servers := map[*franceconnect.Client]*fctest.Server{c: srv}

	require.Empty(t, jwksExchangeAll(jwksLogins(t, servers, []*franceconnect.Client{c})))
	require.EqualValues(t, 1, srv.Stats().JWKSFetches)

	ps := jwksLogins(t, servers, repeatClient(c, callbacks)) // tokens are signed at the token endpoint, with the keys of then
	srv.RotateKeys()
	start := time.Now()
	var failed []error
	var slowest time.Duration
	var mu sync.Mutex
	var wg sync.WaitGroup
	exchange := func(batch []jwksPending) {
		defer wg.Done()
		errs := jwksExchangeAll(batch)
		mu.Lock()
		failed = append(failed, errs...)
		slowest = max(slowest, time.Since(start))
		mu.Unlock()
	}
	wg.Add(1)
	go exchange(ps[:callbacks/2])
	require.Eventually(t, func() bool { return srv.Stats().JWKSFetches == 2 }, time.Minute, time.Millisecond, "the first rotation's refetch")
	srv.RotateKeys() // again, right after that refetch
	wg.Add(1)
	go exchange(ps[callbacks/2:])
	wg.Wait()
	require.Empty(t, failed, "%d of %d callbacks failed", len(failed), callbacks)
	t.Logf("1,000 callbacks across two rotations: the slowest completed %v after the first rotation", slowest.Round(time.Millisecond))

	st := srv.Stats()
	assert.EqualValues(t, 3, st.JWKSFetches, "one fetch per rotation")
	assert.EqualValues(t, 1+callbacks, st.TokenRequests)
}

// 100 tenant clients on each of two issuers, sharing the portal's HTTP
// client, log in at once: each issuer serves its key set once.
func TestJWKSOneFetchPerIssuerForTenants(t *testing.T) {
	t.Parallel()
	const tenants = 100
	hc := jwksHTTPClient(t)
	issuers := []*fctest.Server{fctest.NewServer(fctest.Options{}), fctest.NewServer(fctest.Options{})}
	servers := map[*franceconnect.Client]*fctest.Server{}
	var clients []*franceconnect.Client
	for _, srv := range issuers {
		t.Cleanup(srv.Close)
		for range tenants {
			c := jwksClient(t, srv, hc, nil)
			servers[c] = srv
			clients = append(clients, c)
		}
	}
	require.Empty(t, jwksExchangeAll(jwksLogins(t, servers, clients)))
	for i, srv := range issuers {
		st := srv.Stats()
		assert.EqualValues(t, tenants, st.TokenRequests, "issuer %d", i)
		assert.EqualValues(t, 1, st.JWKSFetches, "issuer %d: one fetch for its %d tenants", i, tenants)
	}
}
