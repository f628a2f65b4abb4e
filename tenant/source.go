package tenant

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"reflect"
	"sync"
	"time"

	"github.com/franceconnect-go/franceconnect"
)

// Source reads the portal's store of settings (its database, shared by
// every replica): every tenant when name is "", the tenant name alone
// otherwise. A tenant that is not in the store, or whose FranceConnect is
// off, is not in the map. Each Config is what Put takes (build it with
// Settings.Config and the tenant's URLs). It is called at start, when the
// portal reloads, and when a request names a tenant, or a registration,
// that this replica does not have yet.
type Source func(ctx context.Context, name string) (map[string]franceconnect.Config, error)

// minReload is the shortest interval between two reloads of one tenant on
// a miss: a storm of callbacks for a changed tenant costs one query per
// interval, and none waits longer.
const minReload = 100 * time.Millisecond

// maxReloaders bounds the tenants whose reloads are tracked (names from
// requests included).
const maxReloaders = 10_000

// Reload reads the settings of tenant name from Config.Source ("" for
// every tenant) and puts them in force: a tenant added, replaced or
// removed; a tenant whose settings did not change keeps its client, so
// that its pending logins are untouched. A full listing is applied at
// once, and reloads run one at a time, each reading the store after the
// previous one applied what it read. When the store fails, the set keeps the settings it had, logs the
// failure and returns it; a tenant whose new settings franceconnect.New
// refuses keeps its previous client, and its error is returned. Call it at
// start and whenever the portal learns that the store changed (a
// notification, a poll): a replica that has not reloaded yet still
// completes the logins another one started, since the handlers reload a
// tenant they do not know, or whose login they cannot complete with the
// settings they have, before deciding.
func (s *Set) Reload(ctx context.Context, name string) error {
	if s.shared.Source == nil {
		return errors.New("tenant: Reload needs Config.Source")
	}
	// One reload at a time, each reading the store after the one before
	// applied what it read: an older listing never overwrites a newer one.
	s.loading.Lock()
	defer s.loading.Unlock()
	listing, err := s.shared.Source(ctx, name)
	if err != nil {
		s.log(ctx, slog.LevelError, "tenant: the store of settings failed: the last good settings stay in force", name, err)
		return err
	}
	if name != "" { // only that tenant, whatever else came
		one, ok := listing[name]
		listing = map[string]franceconnect.Config{}
		if ok {
			listing[name] = one
		}
	}
	return s.apply(ctx, name, listing)
}

// apply puts listing in force: for every tenant when all is "", for
// tenant all alone otherwise.
func (s *Set) apply(ctx context.Context, all string, listing map[string]franceconnect.Config) error {
	s.mu.RLock()
	current := maps.Clone(s.tenants) // Put and Remove may write the set's map meanwhile
	s.mu.RUnlock()
	changed := map[string]*entry{}
	var errs []error
	for name, cfg := range listing {
		if e := current[name]; e != nil && sameSettings(e.raw, cfg) {
			continue
		}
		e, err := s.newEntry(name, cfg)
		if err != nil {
			s.log(ctx, slog.LevelError, "tenant: settings refused: the previous ones stay in force", name, err)
			errs = append(errs, err)
			continue
		}
		changed[name] = e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for name, e := range changed {
		s.tenants[name], s.last = e, e
	}
	for name := range s.tenants {
		if _, listed := listing[name]; !listed && (all == "" || all == name) {
			s.remove(name)
		}
	}
	return errors.Join(errs...)
}

// sameSettings reports whether a tenant's settings did not change. The
// clock, HTTP client and logger count by identity.
func sameSettings(a, b franceconnect.Config) bool {
	if a.HTTPClient != b.HTTPClient || a.Logger != b.Logger || (a.Now == nil) != (b.Now == nil) {
		return false
	}
	a.HTTPClient, a.Logger, a.Now = nil, nil, nil
	b.HTTPClient, b.Logger, b.Now = nil, nil, nil
	return reflect.DeepEqual(a, b)
}

// reloader coalesces the reloads of one tenant on a miss: every miss is
// served by a reload that starts after it, shared with the misses of the
// same moment, and the reloads of a tenant are at least minReload apart.
type reloader struct {
	mu      sync.Mutex
	running bool          // a loop is under way
	pending chan struct{} // closed by the next reload to start
	last    time.Time
}

// refresh reloads tenant name after a miss and waits for it (as long as
// ctx allows).
func (s *Set) refresh(ctx context.Context, name string) {
	if s.shared.Source == nil || !validName(name) {
		return
	}
	r := s.reloaderOf(name)
	r.mu.Lock()
	if r.pending == nil {
		r.pending = make(chan struct{})
	}
	done := r.pending
	if !r.running {
		r.running = true
		go s.reloadLoop(context.WithoutCancel(ctx), name, r)
	}
	r.mu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// reloadLoop reloads the tenant while misses wait, at most once per
// minReload.
func (s *Set) reloadLoop(ctx context.Context, name string, r *reloader) {
	for {
		r.mu.Lock()
		wait := minReload - time.Since(r.last)
		r.mu.Unlock()
		if wait > 0 {
			time.Sleep(wait)
		}
		r.mu.Lock()
		done := r.pending
		r.pending = nil
		if done == nil {
			r.running = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_ = s.Reload(rctx, name) // logged there
		cancel()
		r.mu.Lock()
		r.last = time.Now()
		r.mu.Unlock()
		close(done)
	}
}

func (s *Set) reloaderOf(name string) *reloader {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	if r := s.reloaders[name]; r != nil {
		return r
	}
	if len(s.reloaders) >= maxReloaders {
		clear(s.reloaders)
	}
	r := &reloader{}
	s.reloaders[name] = r
	return r
}

func (s *Set) log(ctx context.Context, level slog.Level, msg, name string, err error) {
	if l := s.shared.Logger; l != nil {
		l.LogAttrs(ctx, level, msg, slog.String("tenant", name), slog.String("error", err.Error()))
	}
}
