package franceconnect

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// ErrUnknownTenant: no tenant of the set has that name (never added, or
// removed).
var ErrUnknownTenant = errors.New("franceconnect: unknown tenant")

// ErrTenantChanged: the tenant's registration (client ID, environment or
// level) changed while this login or logout was pending; the user starts
// again. It matches ErrInvalidTransaction and ErrStateMismatch too.
var ErrTenantChanged = fmt.Errorf("%w: the tenant's FranceConnect settings changed during the login", ErrInvalidTransaction)

// TenantsConfig is what every tenant of a portal shares: the handlers'
// cookies and where they send the user, and the HTTP client (tenants of
// one environment then share one key cache).
type TenantsConfig struct {
	CookieKeys        [][]byte // as Config.CookieKeys, required
	CookieName        string   // as Config.CookieName
	DefaultReturnPath string   // as Config.DefaultReturnPath
	// PostLogoutRedirectURL is the post-logout URL every tenant registers
	// (a tenant's Config may name its own).
	PostLogoutRedirectURL string
	HTTPClient            *http.Client // as Config.HTTPClient
	Logger                *slog.Logger // as Config.Logger
	Now                   func() time.Time
}

// Tenants is a set of Clients keyed by tenant, for a product that one
// vendor runs for many organisations, each with its own FranceConnect
// registration. Tenants are added, replaced and removed while the portal
// runs (an administrator saves new settings); it is safe for concurrent
// use. One mount of its handlers serves every tenant: the tenant comes
// from the request path at login and callback (tenantOf), and from the
// sealed pending logout at the shared post-logout URL.
//
// A login started before a change completes if the change kept the
// tenant's client ID, environment and level; otherwise it fails with
// ErrTenantChanged.
type Tenants struct {
	shared TenantsConfig

	mu      sync.RWMutex
	tenants map[string]*tenant
}

type tenant struct {
	client   *Client
	previous *Client   // before the last change, to tell ErrTenantChanged
	changed  time.Time // of the last change
}

// NewTenants returns an empty set whose tenants share cfg.
func NewTenants(cfg TenantsConfig) (*Tenants, error) {
	if len(cfg.CookieKeys) == 0 {
		return nil, fmt.Errorf("%w: TenantsConfig.CookieKeys is empty: the handlers need at least one 32-byte key", ErrConfig)
	}
	cfg.CookieKeys = slices.Clone(cfg.CookieKeys)
	return &Tenants{shared: cfg, tenants: map[string]*tenant{}}, nil
}

// Set adds tenant, or replaces its Client, with cfg completed by what the
// tenants share (cookie keys and name always; the rest where cfg leaves it
// empty). The name is 1 to 64 letters, digits, '-' or '_'. Errors wrap
// ErrConfig; the tenant is then left as it was.
func (s *Tenants) Set(name string, cfg Config) error {
	if len(name) > 64 || !isStateID(name) {
		return fmt.Errorf("%w: tenant name %s: use 1 to 64 letters, digits, '-' or '_'", ErrConfig, safe(name))
	}
	cfg.CookieKeys, cfg.CookieName = s.shared.CookieKeys, s.shared.CookieName
	cfg.DefaultReturnPath = cmp.Or(cfg.DefaultReturnPath, s.shared.DefaultReturnPath)
	cfg.PostLogoutRedirectURL = cmp.Or(cfg.PostLogoutRedirectURL, s.shared.PostLogoutRedirectURL)
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = s.shared.HTTPClient
	}
	if cfg.Logger == nil {
		cfg.Logger = s.shared.Logger
	}
	if cfg.Now == nil {
		cfg.Now = s.shared.Now
	}
	if cfg.PostLogoutRedirectURL == "" {
		return fmt.Errorf("%w: tenant %s: no post-logout URL (TenantsConfig.PostLogoutRedirectURL or the tenant's Config)", ErrConfig, name)
	}
	c, err := New(cfg)
	if err != nil {
		return err
	}
	c.tenant = name
	s.mu.Lock()
	defer s.mu.Unlock()
	t := &tenant{client: c}
	if old := s.tenants[name]; old != nil {
		t.previous, t.changed = old.client, c.cfg.Now()
	}
	s.tenants[name] = t
	return nil
}

// Remove removes tenant: its pending logins fail with ErrUnknownTenant.
func (s *Tenants) Remove(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.tenants, name)
}

// Client returns the tenant's Client, or an error wrapping
// ErrUnknownTenant.
func (s *Tenants) Client(name string) (*Client, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if t := s.tenants[name]; t != nil {
		return t.client, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrUnknownTenant, safe(name))
}

// previous returns the tenant's Client before its last change, if that
// change is more recent than a pending login can be.
func (s *Tenants) previous(name string) *Client {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t := s.tenants[name]
	if t == nil || t.previous == nil || t.client.cfg.Now().Sub(t.changed) > t.previous.cfg.TransactionTTL {
		return nil
	}
	return t.previous
}

// LoginHandler is [Client.LoginHandler] for the tenant tenantOf names,
// e.g. with the pattern "GET /account-management/{space}/france-connect/login"
// and tenantOf returning strings.TrimSuffix(r.PathValue("space"), "-demandeurs"):
// a ServeMux wildcard is a whole path segment, so the segment is matched
// whole and the suffix removed by tenantOf. An unknown tenant gets 404.
// Options no federation accepts panic at mount; options the tenant's
// federation refuses (prompt=none on FranceConnect) fail its logins.
func (s *Tenants) LoginHandler(tenantOf func(*http.Request) string, opts AuthOptions) http.Handler {
	if err := opts.validate(proConnect); err != nil { // the widest profile
		panic("franceconnect: Tenants.LoginHandler: " + strings.TrimPrefix(err.Error(), "franceconnect: "))
	}
	return s.serve(tenantOf, func(c *Client) http.Handler { return c.LoginHandler(opts) })
}

// serve answers with the handler h makes of the tenant's Client, or 404
// for an unknown tenant.
func (s *Tenants) serve(tenantOf func(*http.Request) string, h func(*Client) http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := s.Client(tenantOf(r))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		h(c).ServeHTTP(w, r)
	})
}

// CallbackHandler is [Client.CallbackHandler] for the tenant tenantOf
// names; onSuccess also receives the tenant's name. A callback of an
// unknown tenant gives ErrUnknownTenant; a login that another tenant
// started, ErrInvalidTransaction; one started before the tenant's client ID
// changed, ErrTenantChanged.
func (s *Tenants) CallbackHandler(tenantOf func(*http.Request) string, onSuccess func(w http.ResponseWriter, r *http.Request, tenant string, res *Result, returnTo string), onError func(w http.ResponseWriter, r *http.Request, err error)) http.Handler {
	if onSuccess == nil {
		panic("franceconnect: Tenants.CallbackHandler: onSuccess is nil")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := tenantOf(r)
		c, err := s.Client(name)
		if err != nil {
			w.Header().Set("Cache-Control", "no-store")
			onErrorOr(onError, nil)(w, r, err)
			return
		}
		page := onErrorOr(onError, c) // in the words of the tenant's federation
		c.CallbackHandler(func(w http.ResponseWriter, r *http.Request, res *Result, returnTo string) {
			onSuccess(w, r, name, res, returnTo)
		}, func(w http.ResponseWriter, r *http.Request, err error) {
			page(w, r, s.explain(name, w, r, err))
		}).ServeHTTP(w, r)
	})
}

// explain turns the ErrInvalidTransaction of a login that the tenant's
// previous Client started into ErrTenantChanged. (Opening the cookie again
// deletes it again: the same header twice.)
func (s *Tenants) explain(name string, w http.ResponseWriter, r *http.Request, err error) error {
	prev := s.previous(name)
	if prev == nil || !errors.Is(err, ErrInvalidTransaction) {
		return err
	}
	t, terr := prev.transactions()
	if terr != nil {
		return err
	}
	if _, _, perr := t.finishLogin(w, r, r.URL.Query(), prev.cfg.Now()); perr == nil {
		return ErrTenantChanged
	}
	return err
}

// LogoutHandler is [Client.LogoutHandler] for the tenant tenantOf names.
func (s *Tenants) LogoutHandler(tenantOf func(*http.Request) string, rawIDToken func(r *http.Request) (string, error)) http.Handler {
	return s.serve(tenantOf, func(c *Client) http.Handler { return c.LogoutHandler(rawIDToken) })
}

// LogoutReturnHandler is [Client.LogoutReturnHandler] at the post-logout
// URL every tenant shares: the tenant comes from the pending logout's
// cookie, and its Client verifies the return. onSuccess receives the
// tenant's name.
func (s *Tenants) LogoutReturnHandler(onSuccess func(w http.ResponseWriter, r *http.Request, tenant string), onError func(w http.ResponseWriter, r *http.Request, err error)) http.Handler {
	if onSuccess == nil {
		panic("franceconnect: Tenants.LogoutReturnHandler: onSuccess is nil")
	}
	name := cmp.Or(s.shared.CookieName, defaultCookiePrefix) + "_out"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		owner, ok := logoutOwner(r, cookieName(true, name))
		if !ok {
			owner, ok = logoutOwner(r, name) // http on a loopback host
		}
		c, err := s.Client(owner)
		if !ok {
			err = ErrNoTransaction
		}
		if err != nil {
			w.Header().Set("Cache-Control", "no-store")
			onErrorOr(onError, nil)(w, r, err)
			return
		}
		c.LogoutReturnHandler(func(w http.ResponseWriter, r *http.Request) { onSuccess(w, r, owner) }, onError).ServeHTTP(w, r)
	})
}
