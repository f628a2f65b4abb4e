package franceconnect

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

const (
	defaultReturnPath = "/"
	// maxReturnPath bounds a return path: with three pending logins and
	// three pending logouts, a client's cookies stay under 4 KB.
	maxReturnPath = 256
	// returnParam is LoginHandler's query parameter naming the local path
	// to come back to.
	returnParam = "return"
)

// IsLocalPath reports whether p is a path on this site, safe to redirect
// to: "/" then not "/" or "\", printable ASCII without space, backslash
// or double quote, at most 256 bytes, and still so once percent-decoded
// (twice at most: deeper encodings are refused), so that no browser or
// framework reads it as another host. (A path that needs a space or a
// quote writes them percent-encoded: %20, %22.) The handlers use it for every return path; use
// it for the portal's own redirects too.
func IsLocalPath(p string) bool {
	if len(p) == 0 || len(p) > maxReturnPath || strings.ContainsFunc(p, func(r rune) bool { return r <= ' ' || r >= 0x7f || r == '\\' || r == '"' }) {
		return false
	}
	for range 3 {
		if !localShape(p) {
			return false
		}
		d, err := url.PathUnescape(p)
		if err != nil || d == "" {
			return false
		}
		if d == p {
			return true
		}
		p = d
	}
	return false
}

// localShape reports whether p, at one level of decoding, starts with one
// "/" not followed by "/" or "\\", and has no control character or
// backslash.
func localShape(p string) bool {
	return p[0] == '/' && (len(p) == 1 || p[1] != '/' && p[1] != '\\') &&
		!strings.ContainsFunc(p, func(r rune) bool { return r < ' ' || r == 0x7f || r == '\\' })
}

// returnTo is where the user lands after login: p if it is a local path,
// else the destination of the registered callback URL, else the default.
func (c *Client) returnTo(p string) string {
	switch {
	case IsLocalPath(p):
		return p
	case c.destination != "":
		return c.destination
	}
	return c.cfg.DefaultReturnPath
}

// destination reads DestinationParam from RedirectURL ("" when unset),
// and checks that it is an absolute http(s) URL on RedirectURL's origin or
// one of AllowedOrigins.
func (c *Config) destination() (string, error) {
	if c.DestinationParam == "" {
		return "", nil
	}
	cb, err := url.Parse(c.RedirectURL)
	if err != nil {
		return "", nil // reported by checkRedirects
	}
	raw := cb.Query().Get(c.DestinationParam)
	d, err := url.Parse(raw)
	switch {
	case raw == "":
		return "", fmt.Errorf("DestinationParam %s: RedirectURL has no such query parameter", safe(c.DestinationParam))
	case err != nil || !d.IsAbs() || d.Host == "" || d.User != nil || (d.Scheme != "https" && d.Scheme != "http"):
		return "", fmt.Errorf("DestinationParam %s: %s is not an absolute http(s) URL", safe(c.DestinationParam), safe(raw))
	}
	origin := d.Scheme + "://" + d.Host
	if origin != cb.Scheme+"://"+cb.Host && !slices.Contains(c.AllowedOrigins, origin) {
		return "", fmt.Errorf("DestinationParam %s: %s is on %s, neither RedirectURL's origin nor one of AllowedOrigins", safe(c.DestinationParam), safe(raw), origin)
	}
	return raw, nil
}
