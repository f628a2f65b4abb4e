package fctest_test

import (
	"fmt"
	"net/url"

	"github.com/franceconnect-go/franceconnect/fctest"
)

// A test starts the mock, registers its client, builds the authorization
// URL the way the code under test would, and logs a test identity in
// without a browser. The callback URL it gets back is what the browser
// would bring to the application.
func Example() {
	srv := fctest.NewServer(fctest.Options{})
	defer srv.Close()

	client := srv.Register(fctest.Registration{
		RedirectURIs: []string{"https://app.example/callback"},
	})

	authURL := srv.Environment().AuthorizationEndpoint + "?" + url.Values{
		"response_type": {"code"},
		"client_id":     {client.ID},
		"redirect_uri":  {"https://app.example/callback"},
		"scope":         {"openid identite_pivot email"},
		"state":         {"state-0123456789abcdef0123456789"},
		"nonce":         {"nonce-0123456789abcdef0123456789"},
		"acr_values":    {"eidas1"},
	}.Encode()

	callback, err := srv.Login(authURL, fctest.DefaultUser)
	if err != nil {
		fmt.Println(err)
		return
	}
	u, _ := url.Parse(callback)
	fmt.Println(u.Host + u.Path)
	fmt.Println(u.Query().Get("state"))
	fmt.Println(u.Query().Get("iss") == srv.Environment().Issuer)
	fmt.Println(u.Query().Get("code") != "")

	// Negative tests switch one fault on.
	srv.Inject(fctest.CallbackAccessDenied)
	callback, _ = srv.Login(authURL, fctest.DefaultUser)
	u, _ = url.Parse(callback)
	fmt.Println(u.Query().Get("error"), "-", u.Query().Get("error_description"))
	// Output:
	// app.example/callback
	// state-0123456789abcdef0123456789
	// true
	// true
	// access_denied - User auth aborted
}
