// Package tenant serves many registrations from one process: a product
// that one vendor runs for many organisations (tenants), each with its own
// FranceConnect (or ProConnect) registration, such as a grant portal or a
// citizen space.
//
// A [Set] holds one franceconnect.Client per tenant, replaced atomically
// when an administrator saves new [Settings], and one mount of its
// handlers serves every tenant: the tenant comes from the request path at
// login and callback, and the post-logout URL is one URL shared by every
// tenant. Registration URLs of the shapes products declare come from
// [GrantPortalURLs] and [GenericURLs].
//
// A login started before a change completes if the tenant kept its client
// ID, environment and levels; otherwise it fails with
// franceconnect.ErrRegistrationChanged, before any call to the provider.
// A pending login is bound to its tenant's callback URL: another tenant's
// callback refuses it (franceconnect.ErrInvalidTransaction), even when two
// tenants share one registration.
//
// A portal on several replicas gives the set a [Source] that reads its
// store of settings: [Set.Reload] applies a listing at once, a login reads
// its tenant before it starts, and a callback a replica cannot complete
// with the settings it has reloads its tenant and is served again, so that
// replicas need not be told of a change at once (README: Many replicas).
package tenant

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/internal/seal"
)

// ErrUnknownTenant: no tenant of the set has that name (never added, or
// removed).
var ErrUnknownTenant = errors.New("tenant: unknown tenant")

// Config is what every tenant of a portal shares: the handlers' cookies and
// where they send the user, and the HTTP client (tenants of one
// environment then share one key cache).
type Config struct {
	// CookieKeys seal the pending logins and logouts, as
	// franceconnect.Config.CookieKeys. Required.
	CookieKeys [][]byte
	// PostLogoutRedirectURL is the post-logout URL every tenant registers.
	// Required.
	PostLogoutRedirectURL string
	CookieName            string           // as franceconnect.Config.CookieName
	DefaultReturnPath     string           // as franceconnect.Config.DefaultReturnPath, where a tenant sets none
	HTTPClient            *http.Client     // as franceconnect.Config.HTTPClient, where a tenant sets none
	Logger                *slog.Logger     // as franceconnect.Config.Logger, where a tenant sets none; also the set's own
	Now                   func() time.Time // as franceconnect.Config.Now, where a tenant sets none
	// Source reads the portal's store of settings (see Set.Reload). Nil:
	// the portal puts and removes tenants itself.
	Source Source
}

// Format writes c without its cookie keys, for every verb: %v, %+v, %#v,
// %s.
func (c Config) Format(f fmt.State, _ rune) { io.WriteString(f, c.describe()) }

// LogValue is c without its cookie keys, for log/slog.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.describe()) }

func (c Config) describe() string {
	return fmt.Sprintf("tenant.Config{CookieKeys: %d redacted, PostLogoutRedirectURL: %q, CookieName: %q, DefaultReturnPath: %q}",
		len(c.CookieKeys), c.PostLogoutRedirectURL, c.CookieName, c.DefaultReturnPath)
}

// Set is a set of Clients keyed by tenant. Tenants are added, replaced and
// removed while the portal runs; a Set is safe for concurrent use.
type Set struct {
	shared Config

	mu      sync.RWMutex
	tenants map[string]*entry
	last    *entry // the latest added, whose client checks logout returns

	loading   sync.Mutex // one Reload at a time (source.go)
	reloadMu  sync.Mutex
	reloaders map[string]*reloader // source.go
}

// entry is one tenant's client and the handlers made of it, built once
// per mount and per change of the tenant.
type entry struct {
	client   *franceconnect.Client
	raw      franceconnect.Config // as given, to tell a change
	handlers sync.Map             // *mount -> http.Handler
}

// mount is one handler of the set mounted by the portal: how to make it of
// a tenant's entry.
type mount struct {
	build func(*entry) http.Handler
}

func (e *entry) handler(m *mount) http.Handler {
	if h, ok := e.handlers.Load(m); ok {
		return h.(http.Handler)
	}
	h, _ := e.handlers.LoadOrStore(m, m.build(e))
	return h.(http.Handler)
}

// New returns an empty set whose tenants share cfg.
func New(cfg Config) (*Set, error) {
	switch {
	case len(cfg.CookieKeys) == 0:
		return nil, fmt.Errorf("%w: tenant.Config.CookieKeys is empty: the handlers need at least one 32-byte key", franceconnect.ErrConfig)
	case cfg.PostLogoutRedirectURL == "":
		return nil, fmt.Errorf("%w: tenant.Config.PostLogoutRedirectURL is empty: every tenant registers the same post-logout URL", franceconnect.ErrConfig)
	}
	if _, err := seal.New(cfg.CookieKeys); err != nil { // refused now, not at every Put
		return nil, fmt.Errorf("%w: tenant.Config.CookieKeys: %v", franceconnect.ErrConfig, err)
	}
	return &Set{shared: cfg, tenants: map[string]*entry{}, reloaders: map[string]*reloader{}}, nil
}

// Put adds tenant name, or replaces its client, with cfg completed by what
// the tenants share: cookie keys and name and the post-logout URL always,
// the rest where cfg leaves it empty. The name (1 to 64 letters, digits,
// '-' or '_') becomes cfg.Tenant. Errors wrap franceconnect.ErrConfig; the
// tenant is then left as it was.
func (s *Set) Put(name string, cfg franceconnect.Config) error {
	e, err := s.newEntry(name, cfg)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tenants[name], s.last = e, e
	return nil
}

// newEntry makes the client of tenant name.
func (s *Set) newEntry(name string, cfg franceconnect.Config) (*entry, error) {
	raw := cfg
	cfg.Tenant = name
	if name == "" {
		return nil, fmt.Errorf("%w: tenant name is empty", franceconnect.ErrConfig)
	}
	cfg.CookieKeys, cfg.CookieName = s.shared.CookieKeys, s.shared.CookieName
	cfg.PostLogoutRedirectURL = s.shared.PostLogoutRedirectURL
	cfg.DefaultReturnPath = cmp.Or(cfg.DefaultReturnPath, s.shared.DefaultReturnPath)
	cfg.HTTPClient = cmp.Or(cfg.HTTPClient, s.shared.HTTPClient)
	cfg.Logger = cmp.Or(cfg.Logger, s.shared.Logger)
	if cfg.Now == nil {
		cfg.Now = s.shared.Now
	}
	c, err := franceconnect.New(cfg)
	if err != nil {
		return nil, err
	}
	return &entry{client: c, raw: raw}, nil
}

// Remove removes tenant name: its pending logins fail with
// ErrUnknownTenant.
func (s *Set) Remove(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remove(name)
}

// remove is Remove for a caller holding s.mu.
func (s *Set) remove(name string) {
	if s.tenants[name] == s.last {
		s.last = nil
	}
	delete(s.tenants, name)
	for _, e := range s.tenants {
		s.last = cmp.Or(s.last, e)
	}
}

// Client returns the tenant's Client, or an error wrapping
// ErrUnknownTenant.
func (s *Set) Client(name string) (*franceconnect.Client, error) {
	e, err := s.entry(name)
	if err != nil {
		return nil, err
	}
	return e.client, nil
}

func (s *Set) entry(name string) (*entry, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if e := s.tenants[name]; e != nil {
		return e, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownTenant, printable(name))
}

// find returns the entry of tenant name, reloading it from the source
// first when the set does not have it (unless the request waited for a
// reload already).
func (s *Set) find(ctx context.Context, name string) (*entry, error) {
	e, err := s.entry(name)
	if err != nil && s.shared.Source != nil && ctx.Value(reloadedKey{}) == nil {
		s.refresh(ctx, name)
		e, err = s.entry(name)
	}
	return e, err
}

// printable bounds a tenant name that came from a request, for messages.
func printable(name string) string {
	if len(name) > 64 {
		name = name[:64] + "..."
	}
	return name
}
