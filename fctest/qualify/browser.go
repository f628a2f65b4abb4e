package qualify

// The browser of the qualification: a login, a logout, redirects followed
// within the portal.

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"

	"github.com/franceconnect-go/franceconnect/fctest"
)

// login runs one login as a browser, with faults injected for its tokens
// and its callback query edited, and tells whether the portal logged the
// user in.
func (q *qualification) login(edit func(url.Values), faults []fctest.Fault) (bool, error) {
	q.s.Reset()
	defer q.s.Reset()
	jar, _ := cookiejar.New(nil) // a new browser: no session of a previous login
	q.browser = &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := q.browser.Get(q.p.LoginURL)
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	for i := 0; resp.StatusCode/100 == 3 && !strings.HasPrefix(resp.Header.Get("Location"), q.s.URL) && i < 10; i++ {
		if resp, err = q.browser.Get(absolute(resp)); err != nil {
			return false, err
		}
		resp.Body.Close()
	}
	authURL := resp.Header.Get("Location")
	u, err := url.Parse(authURL)
	if err != nil || !strings.HasPrefix(authURL, q.s.URL) {
		return false, fmt.Errorf("le portail n’a pas redirigé vers FranceConnect (%s)", resp.Status)
	}
	params := u.Query()
	q.authorize = append(q.authorize, params)
	q.states, q.nonces = append(q.states, params.Get("state")), append(q.nonces, params.Get("nonce"))
	q.s.Inject(faults...)
	cb, err := q.s.Login(authURL, fctest.DefaultUser)
	if err != nil {
		return false, err
	}
	if edit != nil {
		c, _ := url.Parse(cb)
		v := c.Query()
		edit(v)
		c.RawQuery = v.Encode()
		cb = c.String()
	}
	resp, body, err := q.follow(cb)
	if err != nil {
		return false, err
	}
	return q.p.LoggedIn(resp, body), nil
}

// follow gets u and the portal's own redirects.
func (q *qualification) follow(u string) (*http.Response, string, error) {
	for range 10 {
		resp, err := q.browser.Get(u)
		if err != nil {
			return nil, "", err
		}
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode/100 != 3 || strings.HasPrefix(absolute(resp), q.s.URL) {
			return resp, string(body), nil
		}
		u = absolute(resp)
	}
	return nil, "", fmt.Errorf("trop de redirections")
}

func absolute(resp *http.Response) string {
	loc, err := resp.Location()
	if err != nil {
		return ""
	}
	return loc.String()
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func redeemed(n int64) string {
	if n == 0 {
		return ""
	}
	return "le code d’un retour au state falsifié a été échangé"
}

func acceptedFaults(bad []string) string {
	if len(bad) == 0 {
		return ""
	}
	return "connexion acceptée malgré " + strings.Join(bad, ", ")
}
