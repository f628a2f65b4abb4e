package tenant

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/franceconnect-go/franceconnect"
)

// The handlers of a Set are those of franceconnect.Client, for the tenant
// a function of the request names: tenantOf, e.g. with the pattern
// "GET /account-management/{space}/france-connect/login", returns
// strings.TrimSuffix(r.PathValue("space"), "-demandeurs") (a ServeMux
// wildcard is a whole path segment, so the segment is matched whole and the
// suffix removed by tenantOf). Each is built once per tenant and change,
// not per request.

// LoginHandler is franceconnect.Client.LoginHandler for the tenant
// tenantOf names. An unknown tenant gets 404. Options the tenant's
// federation refuses (prompt=none or a login hint on FranceConnect) give
// that tenant's logins to onError, with an error wrapping
// franceconnect.ErrConfig; a nil onError answers as the callback's.
//
// With Config.Source, a login reads its tenant from the store before it
// starts, so that it starts with the settings of the moment even on a
// replica that has not reloaded (a new tenant, a removed one, a new client
// ID or secret). The reads of one tenant are shared: at most one per
// 100 ms, and a login waits at most 2 s for its read (a store that is slow
// or down leaves the last good settings in force).
func (s *Set) LoginHandler(tenantOf func(*http.Request) string, opts franceconnect.AuthOptions, onError franceconnect.ErrorFunc) http.Handler {
	h := s.serve(tenantOf, nil, func(e *entry) http.Handler {
		if _, err := e.client.AuthCodeURL(opts); err != nil {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fail(w, r, onError, err) })
		}
		return e.client.LoginHandler(opts)
	})
	if s.shared.Source == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), maxLoginRead)
		s.refresh(ctx, tenantOf(r))
		cancel()
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), reloadedKey{}, true)))
	})
}

// maxLoginRead bounds the wait of a login for its tenant's read.
const maxLoginRead = 2 * time.Second

// CallbackHandler is franceconnect.Client.CallbackHandler for the tenant
// tenantOf names; onLogin finds it in Result.Tenant. The callback of an
// unknown tenant gives onError ErrUnknownTenant.
//
// With Config.Source, a callback this replica cannot complete with the
// settings it has (a tenant it does not know yet; a login started under
// settings it has not loaded, which fails as
// franceconnect.ErrRegistrationChanged, ErrInvalidTransaction or, for a
// secret it does not have yet, ErrInvalidClient before the code is used)
// reloads the tenant and, when its settings changed, is served again with
// them, once.
func (s *Set) CallbackHandler(tenantOf func(*http.Request) string, onLogin franceconnect.LoginFunc, onError franceconnect.ErrorFunc) http.Handler {
	if onLogin == nil {
		panic("tenant: CallbackHandler: onLogin is nil")
	}
	unknown := func(w http.ResponseWriter, r *http.Request, err error) { fail(w, r, onError, err) }
	var m *mount
	m = &mount{build: func(e *entry) http.Handler {
		return e.client.CallbackHandler(onLogin, func(w http.ResponseWriter, r *http.Request, err error) {
			if fresh := s.retry(r, tenantOf(r), e, err); fresh != nil {
				fresh.handler(m).ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), reloadedKey{}, true)))
				return
			}
			fail(w, r, onError, err)
		})
	}}
	return s.serveMount(tenantOf, unknown, m)
}

// reloadedKey marks a request served after a reload of its tenant (a
// login, a callback served again): it waits for no other.
type reloadedKey struct{}

// retry returns the tenant's new entry when err may come from settings
// this replica has not loaded yet and a reload brought others, nil
// otherwise.
func (s *Set) retry(r *http.Request, name string, failed *entry, err error) *entry {
	if s.shared.Source == nil || r.Context().Value(reloadedKey{}) != nil ||
		!(errors.Is(err, franceconnect.ErrRegistrationChanged) || errors.Is(err, franceconnect.ErrInvalidTransaction) || errors.Is(err, franceconnect.ErrInvalidClient)) {
		return nil
	}
	s.refresh(r.Context(), name)
	if e, err := s.entry(name); err == nil && e != failed {
		return e
	}
	return nil
}

// LogoutHandler is franceconnect.Client.LogoutHandler for the tenant
// tenantOf names. An unknown tenant gets 404.
func (s *Set) LogoutHandler(tenantOf func(*http.Request) string, rawIDToken func(*http.Request) (string, error)) http.Handler {
	if rawIDToken == nil {
		panic("tenant: LogoutHandler: rawIDToken is nil")
	}
	return s.serve(tenantOf, nil, func(e *entry) http.Handler {
		return e.client.LogoutHandler(rawIDToken)
	})
}

// LogoutReturnHandler is franceconnect.Client.LogoutReturnHandler at the
// post-logout URL every tenant shares, which may also be the page with the
// buttons (page serves it): a pending logout is bound to that URL, so the
// return of any tenant's logout is verified there. Logouts of two tenants
// pending in one browser both complete.
func (s *Set) LogoutReturnHandler(page http.Handler, onError franceconnect.ErrorFunc) http.Handler {
	if page == nil {
		panic("tenant: LogoutReturnHandler: page is nil")
	}
	m := &mount{build: func(e *entry) http.Handler { return e.client.LogoutReturnHandler(page, onError) }}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.RLock()
		e := s.last
		s.mu.RUnlock()
		if e == nil { // no tenant: no logout can be pending
			page.ServeHTTP(w, r)
			return
		}
		e.handler(m).ServeHTTP(w, r)
	})
}

// serve answers with the handler build makes of the tenant's entry, or
// for an unknown tenant with unknown (404 when nil).
func (s *Set) serve(tenantOf func(*http.Request) string, unknown func(http.ResponseWriter, *http.Request, error), build func(*entry) http.Handler) http.Handler {
	return s.serveMount(tenantOf, unknown, &mount{build: build})
}

// serveMount is serve for a mount made already.
func (s *Set) serveMount(tenantOf func(*http.Request) string, unknown func(http.ResponseWriter, *http.Request, error), m *mount) http.Handler {
	if tenantOf == nil {
		panic("tenant: tenantOf is nil")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, err := s.find(r.Context(), tenantOf(r))
		switch {
		case err == nil:
			e.handler(m).ServeHTTP(w, r)
		case unknown != nil:
			unknown(w, r, err)
		default:
			http.NotFound(w, r)
		}
	})
}

// fail answers err with onError, or with the user message and its status.
func fail(w http.ResponseWriter, r *http.Request, onError franceconnect.ErrorFunc, err error) {
	w.Header().Set("Cache-Control", "no-store")
	if onError != nil {
		onError(w, r, err)
		return
	}
	http.Error(w, franceconnect.UserMessage(err), franceconnect.StatusCode(err))
}
