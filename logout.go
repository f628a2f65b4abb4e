package franceconnect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// LogoutOptions are the optional parameters of a logout request.
type LogoutOptions struct {
	// PostLogoutRedirectURL overrides Config.PostLogoutRedirectURL; it must
	// be registered with FranceConnect exactly as written.
	PostLogoutRedirectURL string
}

// LogoutRequest is a logout through FranceConnect: the URL to send the
// browser to and the state the return must carry. Keep it until the
// return and use it once.
type LogoutRequest struct {
	URL    string    // where to redirect the browser
	State  string    // compared with the logout return's state
	Expiry time.Time // the return is refused after this instant
}

// LogoutURL builds the request that logs the user out of FranceConnect and
// of the identity provider, then sends them back to the post-logout URL:
// v2 /session/end, v1 /logout, with id_token_hint, a fresh state and
// post_logout_redirect_uri.
//
// rawIDToken is Result.RawIDToken from the login: the portal must keep it
// with its session until logout. On FranceConnect+ that is the decrypted,
// signed ID token, not the JWE the token endpoint returned. Logging out
// through FranceConnect does not end the portal's own session: end it
// too, before redirecting.
func (c *Client) LogoutURL(rawIDToken string, opts LogoutOptions) (*LogoutRequest, error) {
	if err := checkTokenShape(rawIDToken, 3); err != nil {
		return nil, fmt.Errorf("logout needs the raw ID token of the login (Result.RawIDToken) as id_token_hint: %w", err)
	}
	post := c.cfg.PostLogoutRedirectURL
	if opts.PostLogoutRedirectURL != "" {
		if err := checkRedirect("PostLogoutRedirectURL", opts.PostLogoutRedirectURL, true); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrConfig, err)
		}
		post = opts.PostLogoutRedirectURL
	}
	if post == "" {
		return nil, fmt.Errorf("%w: PostLogoutRedirectURL is not set: FranceConnect needs a registered post-logout URL", ErrConfig)
	}
	state := newRandom()
	u := withQuery(c.cfg.Environment.EndSessionEndpoint, url.Values{
		"id_token_hint":            {rawIDToken},
		"state":                    {state},
		"post_logout_redirect_uri": {post},
	})
	c.logDebug(context.Background(), "franceconnect: logout requested")
	return &LogoutRequest{URL: u, State: state, Expiry: c.cfg.Now().Add(c.cfg.TransactionTTL)}, nil
}

// VerifyLogout checks the return from the provider to the post-logout URL:
// its state must be the request's (constant time). A return without state
// is refused unless Config.AllowLogoutWithoutState is set, for providers
// known not to echo it. Errors wrap ErrStateMismatch or
// ErrTransactionExpired (also for a request without Expiry).
func (c *Client) VerifyLogout(req *LogoutRequest, query url.Values) error {
	if req == nil {
		return fmt.Errorf("%w: no logout to match the return with", ErrStateMismatch)
	}
	if req.Expiry.IsZero() || c.cfg.Now().After(req.Expiry) {
		return fmt.Errorf("%w: logout started more than its lifetime ago, or without an expiry", ErrTransactionExpired)
	}
	if _, ok := query["state"]; !ok && c.cfg.AllowLogoutWithoutState {
		return nil
	}
	return c.named(checkState(query, req.State, "logout return", "logout"))
}

// LogoutHandler logs the user out of FranceConnect, on POST only (e.g.
// "POST /fc/logout", from a form button): any other method is answered
// 405, so that a cross-site link or image cannot log users out. It sends the browser to FranceConnect's logout with the ID
// token rawIDToken returns, and keeps the logout's state in a sealed
// cookie (named "<CookieName>_out", limited to the post-logout URL's path)
// for [Client.LogoutReturnHandler].
//
// rawIDToken returns the Result.RawIDToken the portal kept in its session
// at login. Logging out of FranceConnect does not end the portal's own
// session: end it in rawIDToken (or before this handler runs). When
// rawIDToken returns "" (no FranceConnect session, or the token kept is not
// a JWT) the user goes straight to Config.DefaultReturnPath; when it
// returns an error, the handler answers 500 and logs it.
//
// It panics if rawIDToken is nil, or without Config.CookieKeys or
// Config.PostLogoutRedirectURL (a start-up error, not a 500 at logout).
func (c *Client) LogoutHandler(rawIDToken func(r *http.Request) (string, error)) http.Handler {
	if rawIDToken == nil {
		panic("franceconnect: LogoutHandler: rawIDToken is nil")
	}
	t := c.handlerCookies("LogoutHandler", true)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if r.Method != http.MethodPost {
			// A cross-site link or image must not log users out.
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, msgLogoutFailed, http.StatusMethodNotAllowed)
			return
		}
		tok, err := rawIDToken(r)
		if err != nil {
			c.logError(r.Context(), "franceconnect: logout: the portal could not give the ID token", err)
			http.Error(w, msgLogoutFailed, http.StatusInternalServerError)
			return
		}
		if tok == "" {
			http.Redirect(w, r, c.cfg.DefaultReturnPath, http.StatusFound)
			return
		}
		lreq, err := c.LogoutURL(tok, LogoutOptions{})
		if errors.Is(err, ErrMalformedToken) {
			c.logError(r.Context(), "franceconnect: logout without the provider: the token kept is not a JWT", err)
			http.Redirect(w, r, c.cfg.DefaultReturnPath, http.StatusFound)
			return
		}
		if err == nil {
			err = t.startLogout(w, r, lreq)
		}
		if err != nil {
			c.failClosed(w, r, err)
			return
		}
		http.Redirect(w, r, lreq.URL, http.StatusFound)
	})
}

// LogoutReturnHandler serves the post-logout URL (e.g. "GET /aides" or
// "GET /fc/logged-out"), which may also be an ordinary page of the portal:
// page serves it when no logout is pending in the browser. A request that
// carries a state, or comes while a logout is pending, is a return from
// the provider's logout: the handler opens and deletes the pending logout
// of that state (a return without state is refused, unless
// Config.AllowLogoutWithoutState), runs [Client.VerifyLogout], and on
// success redirects (303) to the same URL without the state, where page
// serves the plain visit. On failure it calls onError with an error wrapping ErrLogout and
// the cause (ErrNoTransaction, ErrInvalidTransaction,
// ErrTransactionExpired, ErrStateMismatch); either way the user is logged
// out of the portal already. A nil onError answers as CallbackHandler's.
// Two logouts pending in one browser (two tabs, two tenants of one set)
// both complete.
//
// It panics if page is nil, or without Config.CookieKeys or
// Config.PostLogoutRedirectURL.
func (c *Client) LogoutReturnHandler(page http.Handler, onError ErrorFunc) http.Handler {
	if page == nil {
		panic("franceconnect: LogoutReturnHandler: page is nil")
	}
	t := c.handlerCookies("LogoutReturnHandler", true)
	verify := c.returnHandler(onError, func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		lreq, err := t.finishLogout(w, r, q, c.cfg.AllowLogoutWithoutState, c.cfg.Now())
		if err == nil {
			err = c.VerifyLogout(lreq, q)
		}
		if err != nil {
			err = fmt.Errorf("%w: %w", ErrLogout, err)
			c.logFailure(r.Context(), "franceconnect: logout return refused", err)
			return err
		}
		c.logDebug(r.Context(), "franceconnect: logout verified")
		q.Del("state")
		u := *r.URL
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
		return nil
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("state") || t.pendingLogout(r) {
			verify.ServeHTTP(w, r)
			return
		}
		page.ServeHTTP(w, r)
	})
}
