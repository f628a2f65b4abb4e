package qualify_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
	"github.com/franceconnect-go/franceconnect/fctest/qualify"
)

// A portal on the library's handlers, registered on the mock with its
// real URLs, passes every item of the self-check.
func Example() {
	fc := fctest.NewServer(fctest.Options{})
	defer fc.Close()
	mux := http.NewServeMux()
	portal := httptest.NewServer(mux)
	defer portal.Close()
	reg := fc.Register(fctest.Registration{RedirectURIs: []string{portal.URL + "/fc/callback"}, PostLogoutRedirectURIs: []string{portal.URL + "/fc/logged-out"}})
	c, err := franceconnect.New(franceconnect.Config{
		Environment: fc.Environment(), ClientID: reg.ID, ClientSecret: reg.Secret,
		RedirectURL: portal.URL + "/fc/callback", PostLogoutRedirectURL: portal.URL + "/fc/logged-out",
		CookieKeys: [][]byte{[]byte("0123456789abcdef0123456789ABCDEF")},
	})
	if err != nil {
		panic(err)
	}
	var rawIDToken string // the portal's session, in a real portal
	mux.Handle("GET /fc/login", c.LoginHandler(franceconnect.AuthOptions{}))
	mux.Handle("GET /fc/callback", c.CallbackHandler(func(w http.ResponseWriter, r *http.Request, res *franceconnect.Result) {
		rawIDToken = res.RawIDToken
		fmt.Fprint(w, "Bienvenue")
	}, nil))
	mux.Handle("POST /fc/logout", c.LogoutHandler(func(*http.Request) (string, error) { return rawIDToken, nil }))
	mux.Handle("GET /fc/logged-out", c.LogoutReturnHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "Au revoir")
	}), nil))

	report := qualify.Run(fc, qualify.Portal{
		Registration: reg,
		LoginURL:     portal.URL + "/fc/login",
		LoggedIn:     func(_ *http.Response, body string) bool { return strings.Contains(body, "Bienvenue") },
		Logout:       func(b *http.Client) (*http.Response, error) { return b.PostForm(portal.URL+"/fc/logout", nil) },
		LoggedOut:    func(_ *http.Response, body string) bool { return strings.Contains(body, "Au revoir") },
	})
	fmt.Println(report.Passed(), len(report))
	// Output:
	// true 12
}
