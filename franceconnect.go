// Package franceconnect lets a portal backend offer "S'identifier avec
// FranceConnect", the French State's identity federation, doing every check
// FranceConnect's qualification asks for.
//
// The flow has three steps. [New] checks a [Config] and returns a [Client]
// (immutable, safe for concurrent use, one per tenant, no network call
// until the first callback):
//
//	c, err := franceconnect.New(franceconnect.Config{
//		Environment:           franceconnect.Production, // or EnvironmentFromURL("https://oidc.franceconnect.gouv.fr")
//		ClientID:              id,
//		ClientSecret:          secret,
//		RedirectURL:           "https://portail.example/fc/callback",
//		PostLogoutRedirectURL: "https://portail.example/",
//		Scopes:                []string{franceconnect.ScopeIdentitePivot, franceconnect.ScopeEmail},
//	})
//
//	// 1. Send the browser to FranceConnect; keep req until the callback.
//	req, err := c.AuthCodeURL(franceconnect.AuthOptions{})
//	http.Redirect(w, r, req.URL, http.StatusFound)
//
//	// 2. On the callback: every check, then the verified identity.
//	res, err := c.Exchange(ctx, req, r.URL.Query())
//	// res.Identity.GivenName, res.Identity.Birthdate, res.IDToken.ACR...
//	// keep res.RawIDToken with the session, for logout.
//
//	// 3. Log out of FranceConnect too, and check the return.
//	lreq, err := c.LogoutURL(rawIDToken, franceconnect.LogoutOptions{})
//	err = c.VerifyLogout(lreq, r.URL.Query())
//
// [Client.AuthCodeURL] builds the authorization request with fresh state
// and nonce; [Client.Exchange] checks the callback, redeems the code,
// verifies the ID token (see [IDTokenClaims]) and the userinfo, and
// returns a typed [Identity]; [Client.LogoutURL] and [Client.VerifyLogout]
// log out through FranceConnect.
//
// Most portals mount the net/http handlers instead: [Client.LoginHandler],
// [Client.CallbackHandler], [Client.LogoutHandler] and
// [Client.LogoutReturnHandler]. They keep the pending login in a cookie
// sealed with Config.CookieKeys, so a login started on one replica
// completes on any other.
//
// Errors wrap the Err* values of this package (use errors.Is), or are
// [*CallbackError] and [*ProviderError] (use errors.As); their messages
// never contain a token, a secret or a personal datum. [UserMessage] gives
// the sentence to show the user.
//
// Both API versions are served from one API: the [Environment] decides
// ([V2], or the legacy [V1]); FranceConnect+ environments add encrypted
// tokens. ProConnect, the sibling federation for public agents and
// professionals, is a second profile over the same pipeline: with a
// ProConnect environment ([ProConnectProduction]...), the accepted levels
// are a set ([Config.ACRValues]), silent login and hints are allowed, and
// the result carries a typed [Agent] instead of an [Identity]. Package
// fctest is a mock FranceConnect (and ProConnect) for tests.
package franceconnect
