// Package fctest is a mock FranceConnect (v2, core-fcp-low) for your own
// tests, in the style of net/http/httptest.
//
// A [Server] listens on the loopback interface and speaks FranceConnect's
// v2 protocol under /api/v2: discovery, authorize, token, userinfo,
// session/end and jwks. It checks what FranceConnect checks (the mandatory
// authorize parameters, nonce length, prompt values, registered redirect
// URIs compared byte for byte, client_secret_post only, single-use codes
// valid 30 seconds, 60-second tokens) and answers the way FranceConnect
// answers (callbacks with code, state and iss; errors with Y-codes and
// FranceConnect's error_uri; ID tokens and userinfo signed with ES256 or
// RS256 depending on the client; userinfo as application/jwt).
//
// A typical test registers a client, sends the user's browser to the
// authorization URL built by the code under test, and uses [Server.Login]
// instead of a browser:
//
//	srv := fctest.NewServer()
//	defer srv.Close()
//	client := srv.Register(fctest.Registration{RedirectURIs: []string{"https://app.example/callback"}})
//	// ... build authURL with client.ID, then:
//	callback, err := srv.Login(authURL, fctest.DefaultUser)
//	// ... hand callback to the code under test, which calls srv's token
//	// and userinfo endpoints.
//
// Humans get an HTML page listing the test identities (see [Users]), so a
// demo application can run against the mock in a real browser.
//
// Negative tests switch on one [Fault] each with [Server.Inject]: wrong
// issuer, expired token, bad signature, alg none, userinfo as JSON, slow or
// oversized answers... [Server.RotateKeys] replaces the signing keys, and
// [Server.Stats] counts the requests each endpoint received.
//
// To keep many parallel tests fast, servers share one pre-generated pair of
// signing keys until [Server.RotateKeys] gives a server keys of its own.
//
// The legacy API is served too, under /api/v1 (see [Server.EnvironmentV1]):
// issuer without path, no acr_values or nonce length check, callbacks
// without iss, ID tokens signed with HS256 keyed with the client secret,
// userinfo as plain JSON, logout at /api/v1/logout.
//
// After a login the browser keeps a FranceConnect session (a cookie of the
// mock): the chooser page offers to continue as the same user, until a
// logout, which checks that the id_token_hint is signed by the mock for
// the client, ends it.
//
// [NewPlusServer] starts a FranceConnect+ mock instead (eidas2 and eidas3,
// ES256 only, ID tokens and userinfo encrypted for the key each client
// registers in [Registration.EncryptionKeys]; [ClientKey] gives test keys, and
// [PlusFaults] the faults that alter the encryption).
//
// [Server.Logout] plays the browser at FranceConnect's logout as
// [Server.Login] does at login; [Registration.Faults] applies faults to one
// registration only; [NewTLSServer] serves over https, [NewServerOn] on a
// listener of yours (the standalone command cmd/fcmock serves the mock
// this way for portals in any language).
//
// [NewProConnectServer] mocks ProConnect, the agents' federation: the
// agents of [Agents], levels requested through the claims parameter (an
// eidas1 agent is raised to eidas1-mfa when only that is asked, as
// ProConnect's e-mail code does), prompt=none answered from the mock's
// session or with login_required, login_hint and siret_hint accepted and
// any undocumented parameter refused with Y000400, state and nonce of 32
// characters at least, HS256 registrations keyed with the secret, JSON
// userinfo for [Registration.UserInfoJSON], and a refresh token in every
// token response. The faults apply as on FranceConnect, with
// [UserInfoSigned] and [IDTokenACRUnknown] besides.
//
// [Server.Qualify] runs FranceConnect's qualification self-check on a
// portal registered on the mock, judging it by what it does next, and
// returns a report to attach to the qualification request.
//
// The mock is for tests: it keeps everything in memory.
package fctest
