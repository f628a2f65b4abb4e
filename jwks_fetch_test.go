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
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
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

// 1,000 callbacks arrive together right after the provider rotated its
// keys: their tokens name a kid the cache does not know, and the key set
// is fetched once for all of them. Not parallel with the other tests: the
// 1,000 codes must be redeemed within their 30 s.
func TestJWKSOneFetchForConcurrentCallbacksAfterRotation(t *testing.T) {
	const callbacks = 1000
	srv := fctest.NewServer(fctest.Options{})
	t.Cleanup(srv.Close)
	// The provider rotates its keys right after our first fetch: the
	// first unknown kid refetches at once, the others share that fetch.
	c := jwksClient(t, srv, jwksHTTPClient(t), nil)
	servers := map[*franceconnect.Client]*fctest.Server{c: srv}

	require.Empty(t, jwksExchangeAll(jwksLogins(t, servers, []*franceconnect.Client{c})))
	require.EqualValues(t, 1, srv.Stats().JWKSFetches)

	srv.RotateKeys()
	ps := jwksLogins(t, servers, repeatClient(c, callbacks)) // signed at the token endpoint, with the new keys
	failed := jwksExchangeAll(ps)
	require.Empty(t, failed, "%d of %d callbacks failed", len(failed), callbacks)

	st := srv.Stats()
	assert.EqualValues(t, 2, st.JWKSFetches, "one fetch for the %d callbacks after the rotation", callbacks)
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
