package franceconnect_test

import (
	"crypto/rand"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
)

// A portal serving several tenants, each with its own FranceConnect
// registration (client ID, secret, callback URL
// /account-management/{tenant}-demandeurs/france-connect/code). One Client
// per tenant: creating one is cheap, and the clients of one environment
// share one cache of FranceConnect's keys. Any replica with the same cookie
// key completes a login another one started.
func Example_multiTenant() {
	fc := fctest.NewServer() // in production: Environment: franceconnect.Production
	defer fc.Close()
	mux := http.NewServeMux()
	portal := httptest.NewServer(mux) // in production: https://portail.example
	defer portal.Close()

	// In production: 32 random bytes from the secret store, the same on
	// every replica (e.g. base64-decoded from an environment variable).
	cookieKey := make([]byte, 32)
	_, _ = rand.Read(cookieKey)

	type tenantHandlers struct{ login, callback http.Handler }
	tenants := map[string]tenantHandlers{}
	for _, name := range []string{"aides", "bourses", "stages"} {
		base := portal.URL + "/account-management/" + name + "-demandeurs/france-connect"
		reg := fc.Register(fctest.Registration{RedirectURIs: []string{base + "/code"}}) // the tenant's registration
		c, err := franceconnect.New(franceconnect.Config{
			Environment:  fc.Environment(),
			ClientID:     reg.ID,
			ClientSecret: reg.Secret,
			RedirectURL:  base + "/code",
			CookieKeys:   [][]byte{cookieKey},
		})
		if err != nil {
			log.Fatal(err)
		}
		onLogin := func(w http.ResponseWriter, r *http.Request, res *franceconnect.Result, returnPath string) {
			// Start the tenant's session here (keep res.RawIDToken for
			// logout), then http.Redirect(w, r, returnPath, http.StatusFound).
			fmt.Fprintf(w, "%s: bienvenue %s %s, retour vers %s", name, res.Identity.GivenName, res.Identity.FamilyName, returnPath)
		}
		onError := func(w http.ResponseWriter, r *http.Request, err error) {
			log.Printf("tenant %s: %v", name, err) // no personal data in err
			http.Error(w, franceconnect.UserMessage(err), http.StatusBadRequest)
		}
		tenants[name] = tenantHandlers{login: c.LoginHandler(franceconnect.AuthOptions{}), callback: c.CallbackHandler(onLogin, onError)}
	}

	// A ServeMux wildcard is a whole path segment: {space} is
	// "aides-demandeurs"; the tenant is what precedes "-demandeurs".
	route := func(pick func(tenantHandlers) http.Handler) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			name, ok := strings.CutSuffix(r.PathValue("space"), "-demandeurs")
			h, known := tenants[name]
			if !ok || !known {
				http.NotFound(w, r)
				return
			}
			pick(h).ServeHTTP(w, r)
		}
	}
	mux.Handle("GET /account-management/{space}/france-connect/login", route(func(h tenantHandlers) http.Handler { return h.login }))
	mux.Handle("GET /account-management/{space}/france-connect/code", route(func(h tenantHandlers) http.Handler { return h.callback }))

	// A user of each tenant logs in (fc.Login plays the user at FranceConnect).
	for _, name := range []string{"aides", "bourses", "stages"} {
		jar, _ := cookiejar.New(nil)
		browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := browser.Get(portal.URL + "/account-management/" + name + "-demandeurs/france-connect/login?return=/" + name + "/mes-demandes")
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
		callback, err := fc.Login(resp.Header.Get("Location"), fctest.DefaultUser)
		if err != nil {
			log.Fatal(err)
		}
		resp, err = browser.Get(callback)
		if err != nil {
			log.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(string(page))
	}
	fmt.Println("JWKS fetches:", fc.Stats().JWKSFetches)
	// Output:
	// aides: bienvenue Angela Claire Louise DUBOIS, retour vers /aides/mes-demandes
	// bourses: bienvenue Angela Claire Louise DUBOIS, retour vers /bourses/mes-demandes
	// stages: bienvenue Angela Claire Louise DUBOIS, retour vers /stages/mes-demandes
	// JWKS fetches: 1
}
