// Package franceconnect lets a portal backend offer "S'identifier avec
// FranceConnect", the French State's identity federation, doing every check
// FranceConnect's qualification asks for. It serves one registration (one
// client ID in one environment), as go-oidc and x/oauth2 do.
//
// The flow has three steps. [New] checks a [Config] and returns a [Client]
// (immutable, safe for concurrent use, no network call until the first
// callback):
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
// [Client.CallbackHandler] (which calls a [LoginFunc] or an [ErrorFunc]),
// [Client.LogoutHandler] and [Client.LogoutReturnHandler]. They keep the
// pending login in a cookie sealed with Config.CookieKeys, so a login
// started on one replica completes on any other.
//
// Errors wrap the Err* values of this package (use errors.Is), or are
// [*CallbackError] and [*ProviderError] (use errors.As); their messages
// never contain a token, a secret or a personal datum. [UserMessage] gives
// the sentence to show the user, and [StatusCode] the page's status.
//
// The [Environment] names its [Federation]: [FranceConnect] (v2),
// [FranceConnectPlus] (eIDAS substantial and high, encrypted tokens),
// [ProConnect] (public agents and professionals: levels as a set, required
// or preferred, silent login and hints, PKCE, sessions renewed with
// [Client.Refresh] and ended with [Client.Revoke], the user an [Agent]) or
// the legacy [FranceConnectV1].
// The federation's differences are data; every step is the same code.
//
// Other packages compose this one: tenant serves many registrations from
// one process (a product run for many organisations), account links a
// login to an existing account or lets an agent in, and fctest is a mock
// provider for tests (fctest/qualify runs FranceConnect's qualification
// self-check against a portal).
package franceconnect
