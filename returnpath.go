package franceconnect

import (
	"net/url"
	"strings"
)

const (
	defaultReturnPath = "/"
	// maxReturnPath bounds a return path.
	maxReturnPath = 512
	// returnParam is LoginHandler's query parameter naming the local path
	// to come back to.
	returnParam = "return"
)

// IsLocalPath reports whether p is a path on this site, safe to redirect
// to: "/" then not "/" or "\", printable ASCII without space or
// backslash, at most 512 bytes, and still so once percent-decoded (twice at
// most: deeper encodings are refused), so that no browser or framework
// reads it as another host. The handlers use it for every return path; use
// it for the portal's own redirects too.
func IsLocalPath(p string) bool {
	if len(p) == 0 || len(p) > maxReturnPath || strings.ContainsFunc(p, func(r rune) bool { return r <= ' ' || r >= 0x7f || r == '\\' }) {
		return false
	}
	for range 3 {
		if p[0] != '/' || len(p) > 1 && (p[1] == '/' || p[1] == '\\') {
			return false
		}
		if strings.ContainsFunc(p, func(r rune) bool { return r < ' ' || r == 0x7f || r == '\\' }) {
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

// returnPath returns p if it is a local path, else the default.
func (c *Client) returnPath(p string) string {
	if IsLocalPath(p) {
		return p
	}
	return c.cfg.DefaultReturnPath
}
