// Package keys caches an OpenID Provider's JSON Web Key Set.
//
// Keys are fetched lazily, on the first token that needs them, and fetched
// again when a token names a kid the cache does not know. Such refetches
// are at least MinRefresh apart (so random kids cannot make us hammer the
// provider), yet a rotation fails no login: the first unknown kid refetches
// at once, and a kid unknown within MinRefresh of the last refetch waits
// for the next allowed one (at most MinRefresh, one second), bounded by its
// context. Callers that need a fetch while one is under way or
// scheduled wait for it rather than start their own. Sets are shared per
// (JWKS URL, HTTP client) through Shared, so many tenant clients of one
// environment fetch once; a shared set lives as long as a client uses it.
package keys

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/go-jose/go-jose/v4"

	"github.com/franceconnect-go/franceconnect/internal/httpx"
)

const (
	// MinRefresh is the shortest interval between two fetches caused by
	// unknown kids, and so the longest a callback waits for a rotated key:
	// one second. A provider that rotates twice in a row (or a storm of
	// random kids) costs at most one fetch a second per issuer, a load any
	// JWKS endpoint serves, while no user waits more than a second (ten
	// seconds held every callback of a second rotation for up to ten).
	MinRefresh = time.Second
	// MaxBody bounds a JWKS document.
	MaxBody = 256 << 10
	// maxKeys bounds the keys kept from one document.
	maxKeys = 64
	// fetchTimeout bounds one fetch when the HTTP client has no timeout.
	fetchTimeout = 30 * time.Second
)

var (
	// ErrUnknownKey: no key matches, even after a refresh.
	ErrUnknownKey = errors.New("no matching key")
	// ErrFetch: the key set could not be fetched or parsed.
	ErrFetch = errors.New("key set unavailable")
)

// Set is a cached remote key set. It is safe for concurrent use.
type Set struct {
	url        string
	client     *http.Client
	now        func() time.Time
	minRefresh time.Duration       // MinRefresh, shorter in tests
	sleep      func(time.Duration) // time.Sleep; tests record the waits

	mu       sync.Mutex
	keys     []jose.JSONWebKey // public keys only
	fetched  time.Time         // time of the last completed fetch
	refetch  time.Time         // time of the last fetch caused by an unknown kid
	inflight *fetch            // the fetch under way or scheduled
	lastErr  error             // error of the last fetch, nil if it succeeded

	fetches atomic.Int64
}

type fetch struct {
	done    chan struct{}
	err     error
	refetch bool // caused by an unknown kid, not the first fetch
}

// New returns an empty set for url. now may be nil (time.Now).
func New(url string, client *http.Client, now func() time.Time) *Set {
	if now == nil {
		now = time.Now
	}
	return &Set{url: url, client: httpx.NoRedirects(client), now: now, minRefresh: MinRefresh, sleep: time.Sleep}
}

type sharedKey struct {
	url    string
	client *http.Client
}

// shared holds the sets in use, weakly: a set no client uses any more is
// collected, and its entry removed, so the map is bounded by the live sets.
var shared struct {
	sync.Mutex
	sets map[sharedKey]weak.Pointer[Set]
}

// Shared returns the process-wide set for url fetched with client, creating
// it on first use: clients of one environment share one cache.
func Shared(url string, client *http.Client, now func() time.Time) *Set {
	k := sharedKey{url, client}
	shared.Lock()
	defer shared.Unlock()
	if s := shared.sets[k].Value(); s != nil {
		return s
	}
	if shared.sets == nil {
		shared.sets = map[sharedKey]weak.Pointer[Set]{}
	}
	s := New(url, client, now)
	shared.sets[k] = weak.Make(s)
	runtime.AddCleanup(s, func(k sharedKey) {
		shared.Lock()
		defer shared.Unlock()
		if shared.sets[k].Value() == nil {
			delete(shared.sets, k)
		}
	}, k)
	return s
}

// sharedLen is the number of shared sets, for tests.
func sharedLen() int {
	shared.Lock()
	defer shared.Unlock()
	return len(shared.sets)
}

// Fetches returns how many fetches this set started.
func (s *Set) Fetches() int64 { return s.fetches.Load() }

// Key returns the public key for a token signed with alg (ES256 or RS256)
// under kid. An empty kid is accepted only when exactly one key of the set
// fits alg.
//
// A kid the set does not know causes a refetch: at once when the last
// refetch is MinRefresh old, else as soon as it is (every caller in between
// waits for that one fetch, as long as its context allows).
func (s *Set) Key(ctx context.Context, kid, alg string) (any, error) {
	s.mu.Lock()
	key, found := lookup(s.keys, kid, alg)
	if found {
		s.mu.Unlock()
		return key, nil
	}
	f := s.inflight
	if f == nil {
		now := s.now()
		if err := s.lastErr; err != nil && now.Sub(s.fetched) < s.minRefresh {
			// The provider failed us less than MinRefresh ago: fail fast.
			s.mu.Unlock()
			return nil, err
		}
		// The first fetch is at once; a refetch for an unknown kid too,
		// unless the last one is less than MinRefresh old: then it is
		// scheduled for when it is.
		var wait time.Duration
		refetch := !s.fetched.IsZero()
		if refetch && !s.refetch.IsZero() {
			wait = min(max(s.minRefresh-now.Sub(s.refetch), 0), s.minRefresh)
		}
		if d, ok := ctx.Deadline(); ok && time.Until(d) < wait {
			s.mu.Unlock()
			return nil, fmt.Errorf("%w: the key set may be fetched again only in %v, after the caller's deadline", ErrUnknownKey, wait.Round(time.Millisecond))
		}
		f = &fetch{done: make(chan struct{}), refetch: refetch}
		s.inflight = f
		go s.run(context.WithoutCancel(ctx), f, wait)
	}
	s.mu.Unlock()

	select {
	case <-f.done:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: %w", ErrFetch, ctx.Err())
	}
	if f.err != nil {
		return nil, f.err
	}
	s.mu.Lock()
	key, found = lookup(s.keys, kid, alg)
	s.mu.Unlock()
	if !found {
		return nil, s.notFound(kid, alg)
	}
	return key, nil
}

func (s *Set) notFound(kid, alg string) error {
	if kid == "" {
		return fmt.Errorf("%w: token has no kid and the provider does not publish exactly one %s key", ErrUnknownKey, alg)
	}
	return fmt.Errorf("%w: no %s key with the token's kid in the provider's key set", ErrUnknownKey, alg)
}

// run performs one fetch after wait; its context is detached from the
// caller that started it (the others still wait for it) but bounded in
// time.
func (s *Set) run(ctx context.Context, f *fetch, wait time.Duration) {
	s.sleep(wait)
	s.fetches.Add(1)
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	keys, err := s.get(ctx)
	s.mu.Lock()
	if err == nil {
		s.keys = keys
	}
	// A failed fetch also counts, so an unreachable provider is not retried
	// before MinRefresh.
	s.fetched = s.now()
	if f.refetch {
		s.refetch = s.fetched
	}
	s.lastErr = err
	s.inflight = nil
	f.err = err
	s.mu.Unlock()
	close(f.done)
}

func (s *Set) get(ctx context.Context) ([]jose.JSONWebKey, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFetch, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Cache-Control", "no-cache") // a rotation must be seen now
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFetch, err)
	}
	defer httpx.Drain(resp)
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: HTTP %d", ErrFetch, resp.StatusCode)
	}
	body, err := httpx.ReadLimited(resp.Body, MaxBody)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFetch, err)
	}
	keys, err := Parse(body)
	if err != nil {
		return nil, err
	}
	return keys, nil
}

// Parse reads a JWKS document and keeps its usable public signing keys:
// EC P-256 and RSA (2048 bits or more) keys whose use, if set, is "sig".
// Keys that do not parse, symmetric keys, and other curves are ignored
// (an unparseable extra key must not take the good ones down with it).
// Private members, if any, are dropped.
func Parse(body []byte) ([]jose.JSONWebKey, error) {
	var doc struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		return nil, fmt.Errorf("%w: not a JWKS document", ErrFetch)
	}
	var out []jose.JSONWebKey
	for _, raw := range doc.Keys {
		if len(out) == maxKeys {
			break
		}
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			continue
		}
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		switch pub := k.Key.(type) {
		case *ecdsa.PrivateKey:
			k.Key = &pub.PublicKey
		case *rsa.PrivateKey:
			k.Key = &pub.PublicKey
		}
		switch pub := k.Key.(type) {
		case *ecdsa.PublicKey:
			if pub.Curve != elliptic.P256() {
				continue
			}
		case *rsa.PublicKey:
			if pub.N.BitLen() < 2048 {
				continue
			}
		default:
			continue
		}
		out = append(out, k)
	}
	return out, nil
}

// fits reports whether k can verify alg.
func fits(k *jose.JSONWebKey, alg string) bool {
	if k.Algorithm != "" && k.Algorithm != alg {
		return false
	}
	switch k.Key.(type) {
	case *ecdsa.PublicKey:
		return alg == "ES256"
	case *rsa.PublicKey:
		return alg == "RS256"
	}
	return false
}

func lookup(keys []jose.JSONWebKey, kid, alg string) (any, bool) {
	var only any
	n := 0
	for i := range keys {
		k := &keys[i]
		if !fits(k, alg) {
			continue
		}
		if kid != "" && k.KeyID == kid {
			return k.Key, true
		}
		only = k.Key
		n++
	}
	if kid == "" && n == 1 {
		return only, true
	}
	return nil, false
}
