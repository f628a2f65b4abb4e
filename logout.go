package franceconnect

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// ErrMissingIDToken: LogoutURL was called without the raw ID token kept
// from login. FranceConnect requires it as id_token_hint.
var ErrMissingIDToken = errors.New("franceconnect: logout needs the ID token from login")

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
	var rnd [randomLen]byte
	newRandom(rnd[:])
	state := string(rnd[:])

	var b strings.Builder
	b.WriteString(c.cfg.Environment.EndSessionEndpoint)
	if strings.Contains(c.cfg.Environment.EndSessionEndpoint, "?") {
		b.WriteByte('&')
	} else {
		b.WriteByte('?')
	}
	b.WriteString("id_token_hint=")
	b.WriteString(url.QueryEscape(rawIDToken))
	b.WriteString("&state=")
	b.WriteString(state)
	b.WriteString("&post_logout_redirect_uri=")
	b.WriteString(url.QueryEscape(post))
	c.logDebug(context.Background(), "franceconnect: logout requested")
	return &LogoutRequest{URL: b.String(), State: state, Expiry: c.cfg.Now().Add(c.cfg.TransactionTTL)}, nil
}

// VerifyLogout checks the return from FranceConnect to the post-logout URL:
// its state must be the request's (constant time). A return without state
// is refused unless Config.AllowLogoutWithoutState is set, for providers
// known not to echo it. Errors wrap ErrStateMismatch or
// ErrTransactionExpired.
func (c *Client) VerifyLogout(req *LogoutRequest, query url.Values) error {
	if req == nil {
		return fmt.Errorf("%w: no logout to match the return with", ErrStateMismatch)
	}
	if !req.Expiry.IsZero() && c.cfg.Now().After(req.Expiry) {
		return fmt.Errorf("%w: logout started more than its lifetime ago", ErrTransactionExpired)
	}
	if _, ok := query["state"]; !ok && c.cfg.AllowLogoutWithoutState {
		return nil
	}
	return checkState(query, req.State)
}
