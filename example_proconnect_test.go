package franceconnect_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/account"
	"github.com/franceconnect-go/franceconnect/fctest"
)

// ProConnect, the agents' federation, through the same Client: an
// environment of ProConnect's, the levels accepted as a set, and the
// verified Agent in the result.
func Example_proConnect() {
	srv := fctest.NewServer(fctest.Options{Federation: franceconnect.ProConnect}) // in production: franceconnect.ProConnectProduction
	defer srv.Close()
	reg := srv.Register(fctest.Registration{
		RedirectURIs:           []string{"https://portail.example/agents/callback"},
		PostLogoutRedirectURIs: []string{"https://portail.example/agents/logged-out"},
		Alg:                    "HS256", // as registered in ProConnect's partner space
		UserInfoJSON:           true,    // no userinfo signing algorithm registered
	})

	c, err := franceconnect.New(franceconnect.Config{
		Environment:           srv.Environment(),
		ClientID:              reg.ID,
		ClientSecret:          reg.Secret,
		RedirectURL:           "https://portail.example/agents/callback",
		PostLogoutRedirectURL: "https://portail.example/agents/logged-out",
		Algorithm:             "HS256",
		UserInfoJSON:          true,
		// A second factor required: the MFA levels only.
		ACRValues: []franceconnect.ACR{franceconnect.EIDAS1MFA, franceconnect.EIDAS2, franceconnect.EIDAS3},
	})
	if err != nil {
		panic(err)
	}

	req, err := c.AuthCodeURL(franceconnect.AuthOptions{LoginHint: "jean.martin@interieur.gouv.fr"})
	if err != nil {
		panic(err)
	}
	callback, _ := srv.Login(req.URL, fctest.Agents()[0]) // the agent logs in at ProConnect
	cb, _ := url.Parse(callback)

	res, err := c.Exchange(context.Background(), req, cb.Query())
	if err != nil {
		panic(err)
	}
	a := res.Agent
	fmt.Println(a.GivenName, a.UsualName, a.SIRET, res.IDToken.ACR, res.IDToken.ACR.MFA())

	// ProConnect logs in anyone its identity providers vouch for: the
	// service restricts access itself.
	policy := account.AgentPolicy{EmailDomains: []string{".gouv.fr"}, SIRETs: []string{"11000201100044"}}
	fmt.Println(policy.Allow(a))
	err = account.AgentPolicy{EmailDomains: []string{"numerique.gouv.fr"}}.Allow(a)
	fmt.Println(errors.Is(err, franceconnect.ErrAgentNotAllowed))
	// Output:
	// Jean MARTIN 11000201100044 eidas1-mfa true
	// <nil>
	// true
}

// A silent login reuses the agent's ProConnect session; without one it
// comes back as ErrLoginRequired, and the portal shows its login button.
func ExampleErrLoginRequired() {
	srv := fctest.NewServer(fctest.Options{Federation: franceconnect.ProConnect})
	defer srv.Close()
	reg := srv.Register(fctest.Registration{RedirectURIs: []string{"https://portail.example/agents/callback"}})
	c, _ := franceconnect.New(franceconnect.Config{
		Environment: srv.Environment(), ClientID: reg.ID, ClientSecret: reg.Secret,
		RedirectURL: "https://portail.example/agents/callback",
	})

	req, _ := c.AuthCodeURL(franceconnect.AuthOptions{Prompt: "none"})
	callback, _ := srv.Login(req.URL, fctest.Agents()[0]) // no ProConnect session in this browser
	cb, _ := url.Parse(callback)
	_, err := c.Exchange(context.Background(), req, cb.Query())
	fmt.Println(errors.Is(err, franceconnect.ErrLoginRequired))
	// Output: true
}
