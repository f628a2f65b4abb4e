package franceconnect

import "net/http"

// The net/http handlers of a Client share these callback types, and so do
// the handlers of package tenant: one family of signatures for a portal of
// one registration and for a portal of many.

// LoginFunc receives a verified login in [Client.CallbackHandler]. It is
// where the portal starts its own session: keep res.RawIDToken in it for
// logout, then redirect to res.ReturnTo (safe to give to http.Redirect).
// res.Tenant names the tenant in a portal of many.
type LoginFunc func(w http.ResponseWriter, r *http.Request, res *Result)

// ErrorFunc shows a failed login or logout: log err (it holds no personal
// data) and answer the user with UserMessage(err) and StatusCode(err). A
// nil ErrorFunc does just that, as text.
type ErrorFunc func(w http.ResponseWriter, r *http.Request, err error)

// orDefault returns f, or when the portal gives none the handlers' default
// answer: the user message with its status.
func (f ErrorFunc) orDefault() ErrorFunc {
	if f != nil {
		return f
	}
	return func(w http.ResponseWriter, _ *http.Request, err error) {
		http.Error(w, UserMessage(err), StatusCode(err))
	}
}

// failClosed answers 500 for a handler that cannot work, and logs why.
func (c *Client) failClosed(w http.ResponseWriter, r *http.Request, err error) {
	c.logError(r.Context(), "franceconnect: handler cannot work", err)
	http.Error(w, msgUnavailableService, http.StatusInternalServerError)
}

// returnHandler is the shape of the handlers the provider sends the
// browser back to (callback, logout return): responses are not cached,
// and body's error, named with the client's federation, goes to onError.
func (c *Client) returnHandler(onError ErrorFunc, body func(http.ResponseWriter, *http.Request) error) http.Handler {
	onError = onError.orDefault()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if err := body(w, r); err != nil {
			onError(w, r, c.named(err))
		}
	})
}
