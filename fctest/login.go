package fctest

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

var (
	interactionRe = regexp.MustCompile(`action="(/api/v[12])/interaction/([A-Za-z0-9_-]+)/login"`)
	errorCodeRe   = regexp.MustCompile(`data-error-code="(Y[0-9A-Z]+)"`)
)

// Login logs u in without a browser: it sends the authorization request
// authURL (built by the code under test, pointing at this server's
// /authorize) over real HTTP, then picks u on the chooser page, without
// following redirects. It returns the Location of the final redirect: the
// callback URL with code, state and iss, or with error and
// error_description when FranceConnect redirects an error.
//
// u may be any identity, not only one of [Users]: the server uses it for
// this login only. u.Login must not be empty. When FranceConnect would
// show an error page instead of redirecting (unknown client, unregistered
// redirect_uri, missing parameter...), Login returns an error naming the
// HTTP status and the Y-code.
func (s *Server) Login(authURL string, u User) (callbackURL string, err error) {
	if u.Login == "" {
		return "", errors.New("fctest: Login: User.Login is empty")
	}
	hc := *s.srv.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	resp, err := hc.Get(authURL)
	if err != nil {
		return "", fmt.Errorf("fctest: Login: authorize: %w", err)
	}
	body, err := readBody(resp)
	if err != nil {
		return "", fmt.Errorf("fctest: Login: authorize: %w", err)
	}
	switch resp.StatusCode {
	case http.StatusSeeOther:
		return location(resp)
	case http.StatusOK:
	default:
		return "", statusError("authorize", resp, body)
	}
	m := interactionRe.FindSubmatch(body)
	if m == nil {
		return "", errors.New("fctest: Login: authorize: no login form on the page (is authURL this server's?)")
	}
	prefix, uid := string(m[1]), string(m[2])
	s.mu.Lock()
	if ia := s.interactions[uid]; ia != nil {
		uc := u.clone()
		ia.user = &uc
	}
	s.mu.Unlock()

	loginURL := strings.TrimSuffix(resp.Request.URL.Scheme+"://"+resp.Request.URL.Host, "/") +
		prefix + "/interaction/" + uid + "/login"
	resp, err = hc.PostForm(loginURL, url.Values{"login": {u.Login}})
	if err != nil {
		return "", fmt.Errorf("fctest: Login: login: %w", err)
	}
	body, err = readBody(resp)
	if err != nil {
		return "", fmt.Errorf("fctest: Login: login: %w", err)
	}
	if resp.StatusCode != http.StatusSeeOther {
		return "", statusError("login", resp, body)
	}
	return location(resp)
}

func readBody(resp *http.Response) ([]byte, error) {
	defer resp.Body.Close()
	return io.ReadAll(io.LimitReader(resp.Body, 1<<20))
}

func location(resp *http.Response) (string, error) {
	loc := resp.Header.Get("Location")
	if loc == "" {
		return "", fmt.Errorf("fctest: Login: %s without Location", resp.Status)
	}
	return loc, nil
}

func statusError(step string, resp *http.Response, body []byte) error {
	code := "no Y-code"
	if m := errorCodeRe.FindSubmatch(body); m != nil {
		code = string(m[1])
	}
	return fmt.Errorf("fctest: %s: HTTP %s (%s)", step, resp.Status, code)
}

// Logout plays the browser at FranceConnect's logout: it follows logoutURL
// (a Client's LogoutRequest.URL, or the Location the logout handler
// answered) and returns the URL FranceConnect sends the browser back to,
// the post-logout URL with its state. When FranceConnect would show a page
// instead (an unregistered post-logout URL, a forged id_token_hint...), it
// returns an error naming the HTTP status and the Y-code.
func (s *Server) Logout(logoutURL string) (returnURL string, err error) {
	hc := *s.srv.Client()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Get(logoutURL)
	if err != nil {
		return "", fmt.Errorf("fctest: Logout: %w", err)
	}
	body, err := readBody(resp)
	if err != nil {
		return "", fmt.Errorf("fctest: Logout: %w", err)
	}
	if resp.StatusCode != http.StatusSeeOther {
		return "", statusError("session/end", resp, body)
	}
	return location(resp)
}
