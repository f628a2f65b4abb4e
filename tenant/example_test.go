package tenant_test

import (
	"crypto/rand"
	"fmt"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
	"github.com/franceconnect-go/franceconnect/tenant"
)

// A grant portal that one vendor runs for several organisations, each
// with its own FranceConnect registration: one Set, one mount for all of
// them. Each tenant's registered callback carries the page its
// users land on (redirectUrl); the post-logout URL /aides is shared. Any
// replica with the same cookie key completes a login another one started,
// and the tenants of one environment fetch FranceConnect's keys once.
func Example() {
	fc := fctest.NewServer(fctest.Options{}) // in production: franceconnect.EnvironmentFromURL(settings.ServiceURL)
	defer fc.Close()
	mux := http.NewServeMux()
	portal := httptest.NewServer(mux) // in production: https://aides.example
	defer portal.Close()

	cookieKey := make([]byte, 32) // in production: from the secret store, the same on every replica
	_, _ = rand.Read(cookieKey)
	tenants, err := tenant.New(tenant.Config{CookieKeys: [][]byte{cookieKey}, PostLogoutRedirectURL: portal.URL + "/aides"})
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range []string{"t1", "t2"} { // and again whenever an administrator saves settings
		urls, err := tenant.GrantPortalURLs(portal.URL, name) // the URLs declared to FranceConnect
		if err != nil {
			log.Fatal(err)
		}
		reg := fc.Register(fctest.Registration{RedirectURIs: []string{urls.RedirectURL}, PostLogoutRedirectURIs: []string{urls.PostLogoutRedirectURL}})
		cfg := urls.Config(franceconnect.Config{Environment: fc.Environment(), ClientID: reg.ID, ClientSecret: reg.Secret})
		if err := tenants.Put(name, cfg); err != nil {
			log.Fatal(err)
		}
	}

	// A ServeMux wildcard is a whole path segment: {space} is
	// "t1-demandeurs"; the tenant is what precedes "-demandeurs".
	tenantOf := func(r *http.Request) string { return strings.TrimSuffix(r.PathValue("space"), "-demandeurs") }
	mux.Handle("GET /account-management/{space}/france-connect/login", tenants.LoginHandler(tenantOf, franceconnect.AuthOptions{}, nil))
	mux.Handle("GET /account-management/{space}/france-connect/code", tenants.CallbackHandler(tenantOf,
		func(w http.ResponseWriter, r *http.Request, res *franceconnect.Result) {
			// Start the tenant's session here (keep res.RawIDToken for logout).
			fmt.Printf("%s: %s %s, then %s\n", res.Tenant, res.Identity.GivenName, res.Identity.FamilyName, strings.TrimPrefix(res.ReturnTo, portal.URL))
			http.Redirect(w, r, res.ReturnTo, http.StatusFound)
		}, nil))

	for _, name := range []string{"t1", "t2"} { // a user of each tenant logs in
		jar, _ := cookiejar.New(nil)
		browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := browser.Get(portal.URL + "/account-management/" + name + "-demandeurs/france-connect/login")
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		callback, err := fc.Login(resp.Header.Get("Location"), fctest.DefaultUser) // the user at FranceConnect
		if err != nil {
			log.Fatal(err)
		}
		if resp, err = browser.Get(callback); err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
	}
	fmt.Println("JWKS fetches:", fc.Stats().JWKSFetches)
	// Output:
	// t1: Angela Claire Louise DUBOIS, then /aides/#/t1/connecte/dashboard/accueil
	// t2: Angela Claire Louise DUBOIS, then /aides/#/t2/connecte/dashboard/accueil
	// JWKS fetches: 1
}
