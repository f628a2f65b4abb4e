package tenant_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
	"github.com/franceconnect-go/franceconnect/internal/browsertest"
	"github.com/franceconnect-go/franceconnect/tenant"
)

// store is a portal's store of settings, shared by replicas: what
// franceconnect.Config each tenant has, and whether it is up.
type store struct {
	mu      sync.Mutex
	configs map[string]franceconnect.Config
	down    bool
	hung    chan struct{} // when not nil, reads wait for it or their deadline
	reads   atomic.Int64
}

func (st *store) source(ctx context.Context, name string) (map[string]franceconnect.Config, error) {
	st.reads.Add(1)
	st.mu.Lock()
	hung := st.hung
	st.mu.Unlock()
	if hung != nil {
		select {
		case <-hung:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.down {
		return nil, errors.New("connection refused")
	}
	out := map[string]franceconnect.Config{}
	for n, cfg := range st.configs {
		if name == "" || n == name || name == "evil-extra" {
			out[n] = cfg
		}
	}
	return out, nil
}

func (st *store) put(name string, cfg franceconnect.Config) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.configs[name] = cfg
}

func (st *store) remove(name string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.configs, name)
}

// replicas starts n portals (processes of one product: their own sets,
// the store and the cookie keys shared) on one mock.
func replicas(t *testing.T, st *store, n int) (*fctest.Server, []*grantPortal) {
	t.Helper()
	srv := fctest.NewServer(fctest.Options{})
	t.Cleanup(srv.Close)
	var out []*grantPortal
	for range n {
		p := newGrantPortalWith(t, srv, tenant.Config{CookieKeys: [][]byte{browsertest.Key(1)}, PostLogoutRedirectURL: hPortal + "/aides", Source: st.source})
		require.NoError(t, p.set.Reload(t.Context(), ""))
		out = append(out, p)
	}
	return srv, out
}

// register declares tenant name on srv (with secret, "" for a new one)
// and returns its settings.
func register(t *testing.T, srv *fctest.Server, name, id, secret string) franceconnect.Config {
	t.Helper()
	urls, err := tenant.GrantPortalURLs(hPortal, name)
	require.NoError(t, err)
	reg := srv.Register(fctest.Registration{ID: id, Secret: secret, RedirectURIs: []string{urls.RedirectURL}, PostLogoutRedirectURIs: []string{urls.PostLogoutRedirectURL}})
	return urls.Config(franceconnect.Config{Environment: srv.Environment(), ClientID: reg.ID, ClientSecret: reg.Secret})
}

// A full listing is applied at once: added, replaced, removed; a tenant
// whose settings did not change keeps its client.
func TestReloadAppliesAListing(t *testing.T) {
	t.Parallel()
	st := &store{configs: map[string]franceconnect.Config{}}
	srv, ps := replicas(t, st, 1)
	p := ps[0]
	st.put("a", register(t, srv, "a", "", ""))
	st.put("b", register(t, srv, "b", "", ""))
	require.NoError(t, p.set.Reload(t.Context(), ""))
	b, err := p.set.Client("b")
	require.NoError(t, err)

	cfg := st.configs["b"]
	cfg.Scopes = []string{franceconnect.ScopeEmail}
	st.put("b", cfg)
	st.remove("a")
	st.put("c", register(t, srv, "c", "", ""))
	require.NoError(t, p.set.Reload(t.Context(), ""))
	_, err = p.set.Client("a")
	assert.ErrorIs(t, err, tenant.ErrUnknownTenant, "removed")
	b2, err := p.set.Client("b")
	require.NoError(t, err)
	assert.NotSame(t, b, b2, "replaced")
	_, err = p.set.Client("c")
	assert.NoError(t, err, "added")

	require.NoError(t, p.set.Reload(t.Context(), ""))
	b3, _ := p.set.Client("b")
	assert.Same(t, b2, b3, "unchanged: the same client")
}

// A store that is down keeps the last good settings, and says so.
func TestStoreDownKeepsTheLastGoodSettings(t *testing.T) {
	t.Parallel()
	st := &store{configs: map[string]franceconnect.Config{}}
	srv := fctest.NewServer(fctest.Options{})
	t.Cleanup(srv.Close)
	st.put("a", register(t, srv, "a", "", ""))
	var logs bytes.Buffer
	p := newGrantPortalWith(t, srv, tenant.Config{CookieKeys: [][]byte{browsertest.Key(1)}, PostLogoutRedirectURL: hPortal + "/aides",
		Source: st.source, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	require.NoError(t, p.set.Reload(t.Context(), ""))

	st.down = true
	assert.Error(t, p.set.Reload(t.Context(), ""))
	assert.Contains(t, logs.String(), "the last good settings stay in force")
	br := newHBrowser(t)
	br.Get(t, p.mux, br.Start(t, srv, p.mux, spacePath("a", "login"), fctest.DefaultUser))
	require.NoError(t, p.err, "a login still completes on the last good settings")

	// A tenant it never had stays unknown: no wrong tenant out of an error.
	resp := br.Get(t, p.mux, spacePath("zz", "login"))
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// A reload of one tenant applies that tenant only, whatever else the
// store answers.
func TestReloadOneTenantOnly(t *testing.T) {
	t.Parallel()
	st := &store{configs: map[string]franceconnect.Config{}}
	srv, ps := replicas(t, st, 1)
	st.put("a", register(t, srv, "a", "", ""))
	require.NoError(t, ps[0].set.Reload(t.Context(), "evil-extra"))
	_, err := ps[0].set.Client("a")
	assert.ErrorIs(t, err, tenant.ErrUnknownTenant)
}

// Logins started on one replica complete on another that has not loaded
// the settings yet: a new tenant, a new client ID, a new secret. A login
// whose registration really changed under it fails, typed, before any call.
func TestLoginsAcrossReplicas(t *testing.T) {
	t.Parallel()
	st := &store{configs: map[string]franceconnect.Config{}}
	srv, ps := replicas(t, st, 2)
	a, b := ps[0], ps[1]
	cross := func(name string) error { // start on a, complete on b
		t.Helper()
		br := newHBrowser(t)
		cb := br.Start(t, srv, a.mux, spacePath(name, "login"), fctest.DefaultUser)
		b.err = nil
		br.Get(t, b.mux, cb)
		return b.err
	}

	st.put("t1", register(t, srv, "t1", "id-1", ""))
	require.NoError(t, a.set.Reload(t.Context(), "t1"))
	require.NoError(t, cross("t1"), "a new tenant")

	st.put("t1", register(t, srv, "t1", "id-2", ""))
	require.NoError(t, a.set.Reload(t.Context(), "t1"))
	require.NoError(t, cross("t1"), "a new client ID")

	cfg := register(t, srv, "t1", "id-2", strings.Repeat("s", 64)) // the provider rotated the secret
	st.put("t1", cfg)
	require.NoError(t, a.set.Reload(t.Context(), "t1"))
	require.NoError(t, cross("t1"), "a new secret")

	// Started under the old client ID, completed after the change: the
	// registration changed under it.
	br := newHBrowser(t)
	cb := br.Start(t, srv, b.mux, spacePath("t1", "login"), fctest.DefaultUser)
	st.put("t1", register(t, srv, "t1", "id-3", ""))
	require.NoError(t, a.set.Reload(t.Context(), "t1"))
	tokens := srv.Stats().TokenRequests
	br.Get(t, a.mux, cb)
	assert.ErrorIs(t, a.err, franceconnect.ErrRegistrationChanged)
	assert.Equal(t, tokens, srv.Stats().TokenRequests, "nothing exchanged")
}

// A login reads its tenant before it starts: on a replica that has not
// reloaded, it starts with the settings of the moment (a new client ID and
// scopes, a removed tenant, a new one); a store that hangs holds it 2 s at
// most, and the last good settings start it.
func TestLoginStartsWithTheSettingsOfTheMoment(t *testing.T) {
	t.Parallel()
	st := &store{configs: map[string]franceconnect.Config{}}
	srv, ps := replicas(t, st, 2)
	a, b := ps[0], ps[1]
	st.put("t1", register(t, srv, "t1", "id-1", ""))
	require.NoError(t, b.set.Reload(t.Context(), ""))
	start := func(name string) *http.Response {
		t.Helper()
		return newHBrowser(t).Get(t, b.mux, spacePath(name, "login"))
	}

	cfg := register(t, srv, "t1", "id-2", "")
	cfg.Scopes = []string{franceconnect.ScopeEmail}
	st.put("t1", cfg) // saved by a, b not told
	resp := start("t1")
	require.Equal(t, http.StatusFound, resp.StatusCode)
	q := mustURL(t, resp.Header.Get("Location")).Query()
	assert.Equal(t, "id-2", q.Get("client_id"))
	assert.Equal(t, "openid email", q.Get("scope"))

	st.put("t2", register(t, srv, "t2", "", ""))
	assert.Equal(t, http.StatusFound, start("t2").StatusCode, "a new tenant")
	st.remove("t2")
	assert.Equal(t, http.StatusNotFound, start("t2").StatusCode, "a removed tenant")

	// Its login completes on a replica that has not reloaded either.
	br := newHBrowser(t)
	br.Get(t, a.mux, br.Start(t, srv, b.mux, spacePath("t1", "login"), fctest.DefaultUser))
	require.NoError(t, a.err)

	st.mu.Lock()
	st.hung = make(chan struct{})
	st.mu.Unlock()
	defer close(st.hung)
	began := time.Now()
	resp = start("t1")
	assert.Equal(t, http.StatusFound, resp.StatusCode, "started on the last good settings")
	t.Logf("a login waited %v for a store that hangs", time.Since(began).Round(time.Millisecond))
}

// A storm of misses for one tenant costs one read of the store per
// interval, not one per request.
func TestMissesShareReloads(t *testing.T) {
	t.Parallel()
	st := &store{configs: map[string]franceconnect.Config{}}
	_, ps := replicas(t, st, 1)
	before, began := st.reads.Load(), time.Now()
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			resp := newHBrowser(t).Get(t, ps[0].mux, spacePath("zz", "login"))
			assert.Equal(t, http.StatusNotFound, resp.StatusCode)
		})
	}
	wg.Wait()
	// At most one read per 100 ms (and the one under way): a few reads
	// on an idle machine, whatever the machine's speed.
	allowed := 2 + int64(time.Since(began)/(100*time.Millisecond))
	reads := st.reads.Load() - before
	assert.LessOrEqual(t, reads, allowed, "100 misses, %d reads", reads)
	t.Logf("100 misses: %d reads of the store", reads)
}

// Reloads run at once (a poll, the administrator's push, the reads of
// logins and callbacks) while the store changes and the portal puts and
// removes tenants itself: the set stays consistent (the -race build checks
// every access), and once the store settles a last reload leaves exactly
// its settings in force.
func TestConcurrentReloads(t *testing.T) {
	t.Parallel()
	st := &store{configs: map[string]franceconnect.Config{}}
	srv, ps := replicas(t, st, 1)
	p := ps[0]
	names := []string{"t1", "t2", "t3", "t4"}
	configs := map[string]franceconnect.Config{}
	for _, n := range names {
		configs[n] = register(t, srv, n, "", "")
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				n := names[(g+i)%len(names)]
				switch i % 4 {
				case 0:
					cfg := configs[n]
					cfg.Scopes = []string{franceconnect.ScopeEmail, fmt.Sprint("x", i)}[:1+i%2]
					st.put(n, cfg)
				case 1:
					st.remove(n)
				case 2:
					_ = p.set.Put(n, configs[n])
				}
				_ = p.set.Reload(t.Context(), []string{"", n}[i%2])
			}
		})
	}
	wg.Wait()
	for _, n := range names {
		st.put(n, configs[n])
	}
	require.NoError(t, p.set.Reload(t.Context(), ""))
	for _, n := range names {
		_, err := p.set.Client(n)
		assert.NoError(t, err, n)
	}
}
