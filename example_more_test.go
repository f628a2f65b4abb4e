package franceconnect_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"

	"github.com/go-jose/go-jose/v4"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
)

// The four handlers, login and logout end to end, as a browser goes
// through them (fctest plays the user at FranceConnect).
func ExampleClient_LoginHandler() {
	fc := fctest.NewServer(fctest.Options{})
	defer fc.Close()
	mux := http.NewServeMux()
	portal := httptest.NewServer(mux)
	defer portal.Close()
	reg := fc.Register(fctest.Registration{RedirectURIs: []string{portal.URL + "/fc/callback"}, PostLogoutRedirectURIs: []string{portal.URL + "/fc/logged-out"}})
	keys, err := franceconnect.CookieKeysFromBase64("c2VjcmV0LWtleS1vZi0zMi1ieXRlcy1leGFjdGx5ISE=") // os.Getenv("FC_COOKIE_KEYS")
	if err != nil {
		panic(err)
	}
	c, err := franceconnect.New(franceconnect.Config{
		Environment: fc.Environment(), ClientID: reg.ID, ClientSecret: reg.Secret,
		RedirectURL: portal.URL + "/fc/callback", PostLogoutRedirectURL: portal.URL + "/fc/logged-out",
		CookieKeys: keys,
	})
	if err != nil {
		panic(err)
	}
	var rawIDToken string // the portal's session, in a real portal
	mux.Handle("GET /fc/login", c.LoginHandler(franceconnect.AuthOptions{}))
	mux.Handle("GET /fc/callback", c.CallbackHandler(func(w http.ResponseWriter, r *http.Request, res *franceconnect.Result) {
		rawIDToken = res.RawIDToken
		fmt.Println("logged in:", res.Identity.GivenName, res.Identity.FamilyName, "then", res.ReturnTo)
		http.Redirect(w, r, res.ReturnTo, http.StatusFound)
	}, nil))
	mux.Handle("POST /fc/logout", c.LogoutHandler(func(*http.Request) (string, error) { return rawIDToken, nil }))
	// The post-logout URL is also a page: it shows once the return is
	// verified (and to any plain visit).
	mux.Handle("GET /fc/logged-out", c.LogoutReturnHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Println("logged out of FranceConnect")
	}), nil))

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, _ := browser.Get(portal.URL + "/fc/login?return=/mes-demandes")
	callback, _ := fc.Login(resp.Header.Get("Location"), fctest.DefaultUser)
	_, _ = browser.Get(callback)
	resp, _ = browser.PostForm(portal.URL+"/fc/logout", nil) // a form button: POST
	back, _ := fc.Logout(resp.Header.Get("Location"))
	resp, _ = browser.Get(back) // verified: 303 to the page, without the state
	_, _ = browser.Get(portal.URL + resp.Header.Get("Location"))
	// Output:
	// logged in: Angela Claire Louise DUBOIS then /mes-demandes
	// logged out of FranceConnect
}

// VerifyLogout checks the state FranceConnect echoes back to the
// post-logout URL.
func ExampleClient_VerifyLogout() {
	fc := fctest.NewServer(fctest.Options{})
	defer fc.Close()
	reg := fc.Register(fctest.Registration{RedirectURIs: []string{"https://portail.example/cb"}, PostLogoutRedirectURIs: []string{"https://portail.example/"}})
	c, _ := franceconnect.New(franceconnect.Config{Environment: fc.Environment(), ClientID: reg.ID, ClientSecret: reg.Secret,
		RedirectURL: "https://portail.example/cb", PostLogoutRedirectURL: "https://portail.example/"})
	req, _ := c.AuthCodeURL(franceconnect.AuthOptions{})
	cb, _ := fc.Login(req.URL, fctest.DefaultUser)
	u, _ := url.Parse(cb)
	res, _ := c.Exchange(context.Background(), req, u.Query())

	lreq, _ := c.LogoutURL(res.RawIDToken, franceconnect.LogoutOptions{}) // keep lreq (state, expiry) in the session
	back, _ := fc.Logout(lreq.URL)
	ret, _ := url.Parse(back)
	fmt.Println(c.VerifyLogout(lreq, ret.Query()))
	fmt.Println(errors.Is(c.VerifyLogout(lreq, url.Values{"state": {"forged"}}), franceconnect.ErrStateMismatch))
	// Output:
	// <nil>
	// true
}

// Some people are born on an unknown day or month (the civil registry
// writes 00): FranceConnect v2 completes Identity.Birthdate with 01 and
// keeps the original in Identity.IDPBirthdate.
func ExampleBirthdate() {
	for _, s := range []string{"1977-01-03", "1977-00-03"} {
		b, err := franceconnect.ParseBirthdate(s)
		if err != nil {
			panic(err)
		}
		fmt.Println(b, b.Known(), b.Month == 0)
	}
	// Output:
	// 1977-01-03 true false
	// 1977-00-03 false true
}

// FranceConnect+ encrypts ID tokens and userinfo for the service's key:
// generate it once, keep the private JWK in the secret store, publish its
// public part at the JWKS URL registered with FranceConnect+.
func ExampleGenerateEncryptionKey() {
	key, err := franceconnect.GenerateEncryptionKey(jose.ECDH_ES)
	if err != nil {
		panic(err)
	}
	secret, _ := json.Marshal(key) // the private JWK, for the secret store
	var stored jose.JSONWebKey
	_ = json.Unmarshal(secret, &stored)

	c, err := franceconnect.New(franceconnect.Config{
		Environment: franceconnect.PlusProduction, ClientID: "id", ClientSecret: "secret",
		RedirectURL: "https://portail.example/fc/callback", ACRValues: []franceconnect.ACR{franceconnect.EIDAS3},
		DecryptionKeys: []jose.JSONWebKey{stored},
	})
	if err != nil {
		panic(err)
	}
	rec := httptest.NewRecorder() // what c.EncryptionKeysHandler() serves at the registered JWKS URL
	c.EncryptionKeysHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/fc/jwks", nil))
	var published jose.JSONWebKeySet
	_ = json.Unmarshal(rec.Body.Bytes(), &published)
	fmt.Println(len(published.Keys), published.Keys[0].Algorithm, published.Keys[0].Use, published.Keys[0].IsPublic())
	// Output:
	// 1 ECDH-ES enc true
}

// What to show the user, with which status, and what to log: the error
// holds FranceConnect's Y-code for the error catalogue, never a personal
// datum.
func ExampleUserMessage() {
	err := error(&franceconnect.ProviderError{Endpoint: "token", StatusCode: 400, Code: "invalid_grant", YCode: "Y049E20B"})
	fmt.Println(franceconnect.StatusCode(err), franceconnect.UserMessage(err))
	var pe *franceconnect.ProviderError
	if errors.As(err, &pe) {
		fmt.Println("log:", pe.YCode, errors.Is(err, franceconnect.ErrInvalidGrant))
	}
	cancelled := &franceconnect.CallbackError{Code: "access_denied", Description: "User auth aborted"}
	fmt.Println(franceconnect.StatusCode(cancelled), franceconnect.UserMessage(cancelled))
	// Output:
	// 400 Votre demande de connexion a expiré. Veuillez recommencer.
	// log: Y049E20B true
	// 200 Vous avez annulé la connexion avec FranceConnect.
}
