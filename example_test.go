package franceconnect_test

import (
	"context"
	"fmt"
	"net/url"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
)

// The whole flow against the mock FranceConnect: the same code runs against
// Production with the credentials of the partner portal.
func Example() {
	srv := fctest.NewServer(fctest.Options{}) // in production: Environment: franceconnect.Production
	defer srv.Close()
	reg := srv.Register(fctest.Registration{
		RedirectURIs:           []string{"https://portail.example/fc/callback"},
		PostLogoutRedirectURIs: []string{"https://portail.example/"},
	})

	c, err := franceconnect.New(franceconnect.Config{
		Environment:           srv.Environment(),
		ClientID:              reg.ID,
		ClientSecret:          reg.Secret,
		RedirectURL:           "https://portail.example/fc/callback",
		PostLogoutRedirectURL: "https://portail.example/",
		Scopes:                []string{franceconnect.ScopeIdentitePivot, franceconnect.ScopeEmail},
	})
	if err != nil {
		panic(err)
	}

	// 1. Redirect the browser to req.URL; keep req until the callback.
	req, err := c.AuthCodeURL(franceconnect.AuthOptions{})
	if err != nil {
		panic(err)
	}

	// The user picks an identity at FranceConnect, which redirects back.
	callback, _ := srv.Login(req.URL, fctest.DefaultUser)
	cb, _ := url.Parse(callback)

	// 2. The callback: every check, then the verified identity.
	res, err := c.Exchange(context.Background(), req, cb.Query())
	if err != nil {
		panic(err)
	}
	id := res.Identity
	fmt.Println(id.GivenName, id.FamilyName, id.Birthdate, id.Gender, id.BornInFrance(), res.IDToken.ACR)

	// 3. Logout through FranceConnect with the ID token kept from login.
	lreq, err := c.LogoutURL(res.RawIDToken, franceconnect.LogoutOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println(len(lreq.State) >= 32)
	// Output:
	// Angela Claire Louise DUBOIS 1962-08-24 female true eidas1
	// true
}

func ExampleEnvironmentFromURL() {
	env, err := franceconnect.EnvironmentFromURL("https://oidc.franceconnect.gouv.fr/")
	fmt.Println(env.Name, env.Federation, env.Issuer, err)
	_, err = franceconnect.EnvironmentFromURL("https://franceconnect.example")
	fmt.Println(err != nil)
	// Output:
	// production FranceConnect https://oidc.franceconnect.gouv.fr/api/v2 <nil>
	// true
}
