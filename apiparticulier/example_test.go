package apiparticulier_test

import (
	"context"
	"fmt"
	"net/url"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/apiparticulier"
	"github.com/franceconnect-go/franceconnect/fctest"
)

// The quotient familial of the citizen who has just logged in, fetched in
// the callback, within the 60 seconds of the access token: against the
// mock, which serves API Particulier's FranceConnect mode too.
func Example() {
	srv := fctest.NewServer(fctest.Options{})
	defer srv.Close()
	reg := srv.Register(fctest.Registration{RedirectURIs: []string{"https://aides.example/fc/callback"}})
	fc, err := franceconnect.New(franceconnect.Config{
		Environment: srv.Environment(), ClientID: reg.ID, ClientSecret: reg.Secret,
		RedirectURL: "https://aides.example/fc/callback",
		// The business scope beside the identity scopes.
		Scopes: []string{franceconnect.ScopeIdentitePivot, apiparticulier.ScopeQuotientFamilial},
	})
	if err != nil {
		panic(err)
	}
	particulier := &apiparticulier.Client{BaseURL: srv.URL, Recipient: "13002526500013"} // apiparticulier.Production in production

	// The browser's part (the handlers do it in a portal).
	req, _ := fc.AuthCodeURL(franceconnect.AuthOptions{})
	cb, _ := srv.Login(req.URL, fctest.DefaultUser)
	q, _ := url.Parse(cb)
	res, err := fc.Exchange(context.Background(), req, q.Query())
	if err != nil {
		panic(err)
	}

	// In onLogin, before the portal's session starts.
	ctx, cancel := context.WithDeadline(context.Background(), res.AccessTokenExpiry)
	defer cancel()
	qf, err := particulier.QuotientFamilial(ctx, res.AccessToken)
	if err != nil {
		fmt.Println("the citizen types it:", err) // the login goes on
		return
	}
	fmt.Printf("quotient familial %d € (%s, %02d/%d)\n", qf.Quotient.Value, qf.Quotient.Provider, qf.Quotient.Month, qf.Quotient.Year)
	// Output: quotient familial 2550 € (CNAF, 02/2024)
}
