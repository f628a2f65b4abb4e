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
	URL    string
	State  string
	Expiry time.Time
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
	if rawIDToken == "" {
		return nil, ErrMissingIDToken
	}
	if err := checkTokenShape(rawIDToken, 3); err != nil {
		return nil, fmt.Errorf("%w: id_token_hint: %w", ErrMissingIDToken, err)
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

// VerifyLogout checks the return from FranceConnect to the post-logout URL:
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
	return checkState(query, req.State)
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
		if errors.Is(err, ErrMissingIDToken) {
			c.logError(r.Context(), "franceconnect: logout without FranceConnect", err)
			http.Redirect(w, r, c.cfg.DefaultReturnPath, http.StatusFound)
			return
		}
		if err == nil {
			err = t.startLogout(w, lreq)
		}
		if err != nil {
			c.failClosed(w, r, err)
			return
		}
		http.Redirect(w, r, lreq.URL, http.StatusFound)
	})
}

// LogoutReturnHandler checks the return from FranceConnect's logout (its
// errors wrap ErrLogout),
// mounted on the path of Config.PostLogoutRedirectURL (a path of its own,
// e.g. "GET /fc/logged-out"). It opens and deletes the logout cookie, runs
// [Client.VerifyLogout], and calls onSuccess or onError
// (ErrNoTransaction, ErrInvalidTransaction, ErrTransactionExpired,
// ErrStateMismatch). Either way the user is logged out of the portal
// already; onError typically logs and redirects home too. A nil onError
// answers as CallbackHandler's. It panics if onSuccess is nil, or without
// Config.CookieKeys or Config.PostLogoutRedirectURL.
func (c *Client) LogoutReturnHandler(onSuccess func(w http.ResponseWriter, r *http.Request), onError func(w http.ResponseWriter, r *http.Request, err error)) http.Handler {
	if onSuccess == nil {
		panic("franceconnect: LogoutReturnHandler: onSuccess is nil")
	}
	t := c.handlerCookies("LogoutReturnHandler", true)
	return c.returnHandler(onError, func(w http.ResponseWriter, r *http.Request) error {
		lreq, err := t.finishLogout(w, r, c.cfg.Now())
		if err == nil {
			err = c.VerifyLogout(lreq, r.URL.Query())
		}
		if err != nil {
			err = fmt.Errorf("%w: %w", ErrLogout, err)
			c.logFailure(r.Context(), "franceconnect: logout return refused", err)
			return err
		}
		onSuccess(w, r)
		return nil
	})
}
