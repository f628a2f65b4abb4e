package keys

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type jwksServer struct {
	*httptest.Server
	mu      sync.Mutex
	doc     []byte
	hits    atomic.Int64
	noCache atomic.Bool // the last request had Cache-Control: no-cache
	delay   time.Duration
}

func newJWKSServer(t *testing.T, keys ...jose.JSONWebKey) *jwksServer {
	s := &jwksServer{}
	s.set(t, keys...)
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		s.noCache.Store(r.Header.Get("Cache-Control") == "no-cache")
		time.Sleep(s.delay)
		s.mu.Lock()
		defer s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(s.doc)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(t *testing.T, keys ...jose.JSONWebKey) {
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	require.NoError(t, err)
	s.setRaw(b)
}

func (s *jwksServer) setRaw(b []byte) {
	s.mu.Lock()
	s.doc = b
	s.mu.Unlock()
}

func ecKey(t *testing.T, kid string) jose.JSONWebKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "ES256", Use: "sig"}
}

type clock struct{ t atomic.Int64 }

func (c *clock) now() time.Time          { return time.Unix(0, c.t.Load()) }
func (c *clock) advance(d time.Duration) { c.t.Add(int64(d)) }

func newClock() *clock { c := &clock{}; c.t.Store(time.Now().UnixNano()); return c }

func TestLazyFetchAndLookup(t *testing.T) {
	t.Parallel()
	srv := newJWKSServer(t, ecKey(t, "a"))
	s := New(srv.URL, srv.Client(), nil)
	assert.Zero(t, srv.hits.Load(), "no fetch before the first token")
	k, err := s.Key(context.Background(), "a", "ES256")
	require.NoError(t, err)
	assert.IsType(t, &ecdsa.PublicKey{}, k)
	_, err = s.Key(context.Background(), "a", "ES256")
	require.NoError(t, err)
	assert.EqualValues(t, 1, srv.hits.Load(), "cached")
	_, err = s.Key(context.Background(), "a", "RS256")
	assert.ErrorIs(t, err, ErrUnknownKey, "an EC key never verifies RS256")
}

// A storm of unknown kids causes at most one fetch per interval, and each
// of them fails with ErrUnknownKey in bounded time.
func TestUnknownKidRateLimited(t *testing.T) {
	t.Parallel()
	srv := newJWKSServer(t, ecKey(t, "a"))
	clk := newClock()
	s := New(srv.URL, srv.Client(), clk.now)
	waits := recordWaits(s)
	waits.clock = clk // a wait moves the set's clock, as if slept
	_, err := s.Key(context.Background(), "a", "ES256")
	require.NoError(t, err)
	var wg sync.WaitGroup
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Key(context.Background(), "random-"+strings.Repeat("x", i), "ES256")
			assert.ErrorIs(t, err, ErrUnknownKey)
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, waits.max(), MinRefresh, "bounded: at most one interval")
	// However the 100 callers were scheduled (in one wave or many), the
	// refetches are MinRefresh apart by the set's clock: the first at once,
	// each next one at the end of the interval.
	at := waits.fetchedAt()
	assert.EqualValues(t, len(at), srv.hits.Load())
	require.GreaterOrEqual(t, len(at), 2)
	assert.Equal(t, at[0], at[1], "the first refetch at once")
	for i := 2; i < len(at); i++ {
		assert.GreaterOrEqual(t, at[i].Sub(at[i-1]), MinRefresh, "refetch %d", i)
	}
	hits := srv.hits.Load()

	// A caller whose deadline comes before the next allowed fetch fails at once.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err = s.Key(ctx, "random", "ES256")
	assert.ErrorIs(t, err, ErrUnknownKey)
	assert.Equal(t, hits, srv.hits.Load())
}

// A rotation at any moment fails no login: a kid unknown just after a fetch
// waits for the next allowed fetch, and every caller shares it.
func TestRotationWithinTheIntervalFailsNoLogin(t *testing.T) {
	t.Parallel()
	srv := newJWKSServer(t, ecKey(t, "a"))
	clk := newClock()
	s := New(srv.URL, srv.Client(), clk.now)
	waits := recordWaits(s)
	_, err := s.Key(context.Background(), "a", "ES256")
	require.NoError(t, err)

	srv.set(t, ecKey(t, "b")) // rotated right after our fetch
	assert.Zero(t, failuresOf(1000, func() error { _, err := s.Key(context.Background(), "b", "ES256"); return err }))
	assert.EqualValues(t, 2, srv.hits.Load(), "one fetch for the 1,000 callers")
	assert.Zero(t, waits.max(), "the first rotation is fetched at once")
	assert.True(t, srv.noCache.Load(), "the refetch asks caches for a fresh key set")
	_, err = s.Key(context.Background(), "a", "ES256")
	assert.ErrorIs(t, err, ErrUnknownKey, "the retired key is gone")
	assert.Equal(t, MinRefresh, waits.last(), "a kid unknown right after a refetch waits one interval")

	// A second rotation 300 ms later (by the set's clock) waits for the
	// interval's end, 700 ms: never more than one interval.
	clk.advance(300 * time.Millisecond)
	srv.set(t, ecKey(t, "c"))
	_, err = s.Key(context.Background(), "c", "ES256")
	require.NoError(t, err)
	assert.Equal(t, MinRefresh-300*time.Millisecond, waits.last())
	assert.EqualValues(t, 4, srv.hits.Load())
}

// Once the interval has passed by the set's clock, the refetch is at once.
func TestRotationAfterTheInterval(t *testing.T) {
	t.Parallel()
	srv := newJWKSServer(t, ecKey(t, "a"))
	clk := newClock()
	s := New(srv.URL, srv.Client(), clk.now)
	waits := recordWaits(s)
	_, err := s.Key(context.Background(), "a", "ES256")
	require.NoError(t, err)
	srv.set(t, ecKey(t, "b"))
	clk.advance(MinRefresh + time.Second)
	_, err = s.Key(context.Background(), "b", "ES256")
	require.NoError(t, err)
	assert.Zero(t, waits.max(), "no wait")
	assert.EqualValues(t, 2, srv.hits.Load())
}

func TestConcurrentCallersShareOneFetch(t *testing.T) {
	t.Parallel()
	srv := newJWKSServer(t, ecKey(t, "a"))
	srv.delay = 50 * time.Millisecond
	s := New(srv.URL, srv.Client(), nil)
	assert.Zero(t, failuresOf(200, func() error { _, err := s.Key(context.Background(), "a", "ES256"); return err }))
	assert.EqualValues(t, 1, srv.hits.Load())
	assert.EqualValues(t, 1, s.Fetches())
}

func TestKidAbsentPolicy(t *testing.T) {
	t.Parallel()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	rsaKey := jose.JSONWebKey{Key: &rk.PublicKey, KeyID: "r", Algorithm: "RS256", Use: "sig"}

	one := newJWKSServer(t, ecKey(t, "a"), rsaKey)
	_, err = New(one.URL, one.Client(), nil).Key(context.Background(), "", "ES256")
	assert.NoError(t, err, "a single ES256 key: accepted without kid")

	two := newJWKSServer(t, ecKey(t, "a"), ecKey(t, "b"))
	_, err = New(two.URL, two.Client(), nil).Key(context.Background(), "", "ES256")
	assert.ErrorIs(t, err, ErrUnknownKey, "several candidates: refused")
}

func TestParseIgnoresUnusableKeys(t *testing.T) {
	t.Parallel()
	good := ecKey(t, "good")
	b, _ := json.Marshal(good)
	doc := `{"keys":[{"kty":"EC","crv":"P-256","x":"!!","y":"??"},{"kty":"oct","k":"c2VjcmV0"},{"kty":"what"},42,` +
		`{"kty":"EC","crv":"P-256","kid":"enc","use":"enc","x":"` + "12345678901234567890" + `"},` + string(b) + `]}`
	keys, err := Parse([]byte(doc))
	require.NoError(t, err)
	require.Len(t, keys, 1)
	assert.Equal(t, "good", keys[0].KeyID)

	_, err = Parse([]byte(`{"keys": "nope"}`))
	assert.ErrorIs(t, err, ErrFetch)

	priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	pb, _ := json.Marshal(jose.JSONWebKey{Key: priv, KeyID: "p", Algorithm: "ES256"})
	keys, err = Parse([]byte(`{"keys":[` + string(pb) + `]}`))
	require.NoError(t, err)
	require.Len(t, keys, 1)
	assert.IsType(t, &ecdsa.PublicKey{}, keys[0].Key, "private members dropped")
}

func TestFetchFailures(t *testing.T) {
	t.Parallel()
	huge := newJWKSServer(t)
	huge.setRaw([]byte(`{"keys":[` + strings.Repeat(" ", MaxBody) + `]}`))
	_, err := New(huge.URL, huge.Client(), nil).Key(context.Background(), "a", "ES256")
	assert.ErrorIs(t, err, ErrFetch)

	down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "<html>oops", 500) }))
	defer down.Close()
	s := New(down.URL, down.Client(), nil)
	_, err = s.Key(context.Background(), "a", "ES256")
	assert.ErrorIs(t, err, ErrFetch)
	_, err = s.Key(context.Background(), "a", "ES256")
	assert.ErrorIs(t, err, ErrFetch, "the failure is remembered, not retried at once")
	assert.EqualValues(t, 1, s.Fetches())

	slow := newJWKSServer(t, ecKey(t, "a"))
	slow.delay = 300 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err = New(slow.URL, slow.Client(), nil).Key(ctx, "a", "ES256")
	assert.ErrorIs(t, err, ErrFetch, "the caller's deadline is honoured")
}

func TestShared(t *testing.T) {
	t.Parallel()
	c := &http.Client{}
	a := Shared("https://example.test/jwks", c, nil)
	assert.Same(t, a, Shared("https://example.test/jwks", c, nil))
	assert.NotSame(t, a, Shared("https://other.test/jwks", c, nil))
	assert.NotSame(t, a, Shared("https://example.test/jwks", &http.Client{}, nil))
}

// Sets made for clients that are gone are collected: a process creating
// clients with their own HTTP clients does not grow the shared map forever.
func TestSharedBounded(t *testing.T) {
	for i := range 1000 {
		_ = Shared(fmt.Sprintf("https://tenant-%d.test/jwks", i), &http.Client{}, nil)
	}
	kept := Shared("https://kept.test/jwks", &http.Client{}, nil)
	for range 20 {
		runtime.GC()
		if sharedLen() < 10 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	assert.Less(t, sharedLen(), 10, "sets no client uses are gone")
	runtime.KeepAlive(kept)
}

// failuresOf runs f from n goroutines at once and counts its errors.
func failuresOf(n int, f func() error) int64 {
	var wg sync.WaitGroup
	var failures atomic.Int64
	for range n {
		wg.Go(func() {
			if f() != nil {
				failures.Add(1)
			}
		})
	}
	wg.Wait()
	return failures.Load()
}

// waitLog records the waits a set scheduled before its fetches, instead of
// sleeping them: the tests judge the schedule, not the machine's speed.
type waitLog struct {
	mu    sync.Mutex
	waits []time.Duration
	at    []time.Time // when each fetch started, by clock
	clock *clock      // when set, a wait moves it forward
}

func recordWaits(s *Set) *waitLog {
	w := &waitLog{}
	s.sleep = func(d time.Duration) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.waits = append(w.waits, d)
		if w.clock != nil {
			w.clock.advance(d)
			w.at = append(w.at, w.clock.now())
		}
	}
	return w
}

func (w *waitLog) fetchedAt() []time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.at)
}

func (w *waitLog) last() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.waits[len(w.waits)-1]
}

func (w *waitLog) max() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	var m time.Duration
	for _, d := range w.waits {
		m = max(m, d)
	}
	return m
}
