// Package fctest is a mock FranceConnect (v2, core-fcp-low; and
// FranceConnect+, ProConnect and the legacy v1) for your own tests, in the
// style of net/http/httptest.
//
// [NewServer] starts a [Server] on the loopback interface; [Options] choose
// the federation it mocks, https, or a listener of yours. It speaks the
// provider's protocol under /api/v2: discovery, authorize, token, userinfo,
// session/end and jwks. It checks what FranceConnect checks (the mandatory
// authorize parameters and nothing else, nonce length, prompt values,
// registered redirect URIs compared byte for byte, client_secret_post only,
// single-use codes valid 30 seconds, 60-second tokens) and answers the way
// FranceConnect answers (callbacks with code, state and iss; errors with
// Y-codes and FranceConnect's error_uri; ID tokens and userinfo signed with
// ES256 or RS256 depending on the registration; userinfo as
// application/jwt).
//
// A typical test registers a client, sends the user's browser to the
// authorization URL built by the code under test, and uses [Server.Login]
// instead of a browser:
//
//	srv := fctest.NewServer(fctest.Options{})
//	defer srv.Close()
//	client := srv.Register(fctest.Registration{RedirectURIs: []string{"https://app.example/callback"}})
//	// ... build authURL with client.ID and srv.Environment(), then:
//	callback, err := srv.Login(authURL, fctest.DefaultUser)
//	// ... hand callback to the code under test, which calls srv's token
//	// and userinfo endpoints.
//
// Humans get an HTML page listing the test identities (see [Users]), so a
// demo application can run against the mock in a real browser. After a
// login the browser keeps a session of the mock: the chooser page offers to
// continue as the same user, until a logout ([Server.Logout] plays the
// browser there), which checks that the id_token_hint is signed by the mock
// for the client, ends it.
//
// Negative tests switch on one [Fault] each, for every registration with
// [Server.Inject] or for one with [Registration.Faults]: wrong issuer,
// expired token, bad signature, alg none, userinfo as JSON, slow or
// oversized answers... [Faults] lists those of a federation.
// [Server.RotateKeys] replaces the signing keys, and [Server.Stats] counts
// the requests each endpoint received. To keep many parallel tests fast,
// servers share one pre-generated pair of signing keys until
// [Server.RotateKeys] gives a server keys of its own.
//
// The federations: FranceConnectPlus encrypts ID tokens and userinfo for the
// key each client registers in [Registration.EncryptionKeys] ([ClientKey]
// gives test keys); ProConnect has the agents of [Agents], levels requested
// through the claims parameter, essential or not (its e-mail code that
// raises a level, its Y020032 page when a required one cannot be reached,
// [User.NoMailCode]), the agent's level, amr and SIRET chosen per login on
// the chooser page, PKCE (S256), refresh tokens (rotated, revocable),
// silent login, hints, HS256 and JSON-userinfo registrations and Y000400
// on an unknown parameter;
// FranceConnectV1 serves /api/v1 with HS256 ID tokens keyed with the secret,
// JSON userinfo and /logout.
//
// Package fctest/qualify runs FranceConnect's qualification self-check on a
// portal registered on the mock; the standalone command cmd/fcmock serves
// the mock to portals in any language.
//
// The mock is for tests: it keeps everything in memory.
package fctest
