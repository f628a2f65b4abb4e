package tenant

import (
	"net/http"

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
func (s *Set) LoginHandler(tenantOf func(*http.Request) string, opts franceconnect.AuthOptions, onError franceconnect.ErrorFunc) http.Handler {
	return s.serve(tenantOf, nil, func(c *franceconnect.Client) http.Handler {
		if _, err := c.AuthCodeURL(opts); err != nil {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fail(w, r, onError, err) })
		}
		return c.LoginHandler(opts)
	})
}

// CallbackHandler is franceconnect.Client.CallbackHandler for the tenant
// tenantOf names; onLogin finds it in Result.Tenant. The callback of an
// unknown tenant gives onError ErrUnknownTenant.
func (s *Set) CallbackHandler(tenantOf func(*http.Request) string, onLogin franceconnect.LoginFunc, onError franceconnect.ErrorFunc) http.Handler {
	if onLogin == nil {
		panic("tenant: CallbackHandler: onLogin is nil")
	}
	unknown := func(w http.ResponseWriter, r *http.Request, err error) { fail(w, r, onError, err) }
	return s.serve(tenantOf, unknown, func(c *franceconnect.Client) http.Handler {
		return c.CallbackHandler(onLogin, onError)
	})
}

// LogoutHandler is franceconnect.Client.LogoutHandler for the tenant
// tenantOf names. An unknown tenant gets 404.
func (s *Set) LogoutHandler(tenantOf func(*http.Request) string, rawIDToken func(*http.Request) (string, error)) http.Handler {
	if rawIDToken == nil {
		panic("tenant: LogoutHandler: rawIDToken is nil")
	}
	return s.serve(tenantOf, nil, func(c *franceconnect.Client) http.Handler {
		return c.LogoutHandler(rawIDToken)
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
	m := &mount{build: func(c *franceconnect.Client) http.Handler { return c.LogoutReturnHandler(page, onError) }}
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

// serve answers with the handler build makes of the tenant's client, or
// for an unknown tenant with unknown (404 when nil).
func (s *Set) serve(tenantOf func(*http.Request) string, unknown func(http.ResponseWriter, *http.Request, error), build func(*franceconnect.Client) http.Handler) http.Handler {
	if tenantOf == nil {
		panic("tenant: tenantOf is nil")
	}
	m := &mount{build: build}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e, err := s.entry(tenantOf(r))
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
