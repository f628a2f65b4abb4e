package fctest

import (
	"cmp"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	franceconnect "github.com/franceconnect-go/franceconnect"
)

// FranceConnect's lifetimes (core-fcp-low).
const (
	codeTTL        = 30 * time.Second
	tokenTTL       = 60 * time.Second
	interactionTTL = 30 * time.Minute
	// maxEntries bounds each in-memory table (interactions, codes, tokens).
	maxEntries = 50_000
	// maxBody bounds every request body.
	maxBody = 64 << 10
	// evil is the foreign party the faults name.
	evilIssuer   = "https://evil.example/api/v2"
	evilAudience = "https://evil.example"
)

// Server is a mock provider listening on the loopback interface: a
// FranceConnect, FranceConnect+, ProConnect or FranceConnect v1. Create it
// with [NewServer] and stop it with [Server.Close]. All its methods are
// safe for concurrent use.
type Server struct {
	// URL is the base URL of the server, e.g. http://127.0.0.1:PORT, without
	// a trailing slash. The API lives under URL + "/api/v2" (URL +
	// "/api/v1" for FranceConnectV1).
	URL string

	federation   franceconnect.Federation
	plus, pc, v1 bool   // the federation, for short
	prefix       string // /api/v2 or /api/v1
	issuer       string
	srv          *httptest.Server
	clock        func() time.Time
	stats        struct {
		authorize, token, userinfo, jwks, discovery, logout, conns, revocations atomic.Int64
	}

	mu           sync.Mutex
	keys         *keyPair
	clients      map[string]Registration
	users        map[string]User
	userOrder    []string
	faults       map[Fault]bool
	interactions map[string]*interaction
	sessions     map[string]string // FranceConnect session cookie -> user login
	codes        map[string]*authCode
	tokens       map[string]*accessToken
	refreshes    map[string]*refreshToken // ProConnect
}

// Registration is a service provider (fournisseur de service) registered on the
// mock.
type Registration struct {
	// ID is the client_id; [Server.Register] generates 64 hex chars
	// when empty.
	ID string
	// Secret is the client_secret; generated (64 hex chars) when empty.
	Secret string
	// RedirectURIs are the registered callback URLs, compared byte for byte
	// (query string included) with the redirect_uri parameter.
	RedirectURIs []string
	// PostLogoutRedirectURIs are the registered logout return URLs.
	PostLogoutRedirectURIs []string
	// Alg signs the client's ID tokens and userinfo: "ES256" (default) or
	// "RS256"; on a ProConnect server also "HS256", keyed with Secret.
	// FranceConnect+ accepts ES256 only; FranceConnect v1 signs with HS256
	// keyed with Secret whatever Alg says.
	Alg string
	// UserInfoJSON (ProConnect) registers no userinfo signing algorithm:
	// userinfo is plain JSON.
	UserInfoJSON bool
	// EncryptionKeys are the client's public encryption keys, FranceConnect+
	// only: ID tokens and userinfo are encrypted for the
	// first one, with its alg (RSA-OAEP, RSA-OAEP-256 or ECDH-ES; by
	// default RSA-OAEP for an RSA key, ECDH-ES for an EC P-256 key) and
	// kid. Private keys are accepted: only their public part is kept.
	EncryptionKeys []jose.JSONWebKey
	// Name is the service's name on the mock's pages (default: its ID).
	Name string
	// Prompt puts the service on FranceConnect's prompt allow-list:
	// prompt=login then forces a new authentication (the mock does not
	// offer to continue its session). Without it, prompt is ignored.
	Prompt bool
	// IDPHints are the idp_hint values FranceConnect allows the service;
	// any other (an empty one included) comes back as
	// error=invalid_idp_hint.
	IDPHints []string
	// Faults apply to this registration only, as Inject does for every
	// one. The discovery and key set faults, which concern no client, are
	// the server's only: Register panics on them.
	Faults []Fault
}

// Stats counts the requests the server received, per endpoint.
type Stats struct {
	AuthorizeRequests int64 // GET or POST /authorize
	TokenRequests     int64 // POST /token (codes and refreshes)
	UserInfoRequests  int64 // /userinfo
	JWKSFetches       int64 // GET /jwks
	DiscoveryFetches  int64 // GET /.well-known/openid-configuration
	LogoutRequests    int64 // /session/end
	// Revocations counts the tokens revoked at /token/revocation that the
	// server had issued to the client asking.
	Revocations int64
	// Connections counts the TCP connections clients opened: with
	// connections reused, it stays far below the number of requests.
	Connections int64
}

// Options choose what a Server mocks and how it listens. The zero Options
// give a FranceConnect v2 on a loopback port, over http.
type Options struct {
	// Federation is the provider to mock: franceconnect.FranceConnect (the
	// default), FranceConnectPlus (eidas2 and eidas3, ES256 only, ID tokens
	// and userinfo encrypted for each registration's key), ProConnect (the
	// agents of [Agents], levels through the claims parameter, silent
	// login, hints, HS256 and JSON-userinfo registrations, refresh tokens)
	// or FranceConnectV1 (the legacy API under /api/v1: issuer without
	// path, HS256 keyed with the secret, JSON userinfo, /logout).
	Federation franceconnect.Federation
	// TLS serves https, as httptest.NewTLSServer: give the server's
	// HTTPClient (which trusts its certificate) to Config.HTTPClient.
	TLS bool
	// Listener is a listener of yours (an address chosen in advance, as
	// cmd/fcmock does); Close closes it. Nil listens on a loopback port.
	Listener net.Listener
	// Now is the server's clock (default time.Now), by which codes (30 s),
	// tokens (60 s) and interactions (30 min) expire: move it forward to
	// test an expiry, or hold it while a slow machine prepares many logins
	// at once. Give the client under test the same clock.
	Now func() time.Time
}

// NewServer starts a mock provider as opts say. Stop it with Close. It
// knows the identities of [Users] (of [Agents] on ProConnect) and no
// client: register one with [Server.Register]. It panics on a Federation
// that is none.
func NewServer(opts Options) *Server {
	f := cmp.Or(opts.Federation, franceconnect.FranceConnect)
	if _, err := franceconnect.NewEnvironment(f, "http://127.0.0.1"); err != nil {
		panic(fmt.Sprintf("fctest: NewServer: %v is not a federation", f))
	}
	s := &Server{
		federation:   f,
		plus:         f == franceconnect.FranceConnectPlus,
		pc:           f == franceconnect.ProConnect,
		v1:           f == franceconnect.FranceConnectV1,
		prefix:       "/api/v2",
		clock:        opts.Now,
		keys:         sharedKeys(),
		clients:      map[string]Registration{},
		users:        map[string]User{},
		faults:       map[Fault]bool{},
		interactions: map[string]*interaction{},
		sessions:     map[string]string{},
		codes:        map[string]*authCode{},
		tokens:       map[string]*accessToken{},
		refreshes:    map[string]*refreshToken{},
	}
	if s.v1 {
		s.prefix = "/api/v1"
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	users := Users()
	if s.pc {
		users = Agents()
	}
	for _, u := range users {
		s.AddUser(u)
	}
	s.start(opts)
	return s
}

// start serves s as opts say and sets its URL and issuer.
func (s *Server) start(opts Options) {
	s.srv = httptest.NewUnstartedServer(s.routes())
	if opts.Listener != nil {
		s.srv.Listener.Close()
		s.srv.Listener = opts.Listener
	}
	s.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.stats.conns.Add(1)
		}
	}
	if opts.TLS {
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	s.URL = s.srv.URL
	s.issuer = s.URL + "/api/v2"
	if s.v1 {
		s.issuer = s.URL // v1's issuer has no path
	}
}

// HTTPClient returns a client for the server's own URL (which trusts its
// certificate, with Options.TLS).
func (s *Server) HTTPClient() *http.Client { return s.srv.Client() }

// Close shuts the server down and blocks until all requests have finished.
func (s *Server) Close() { s.srv.Close() }

// Environment returns the franceconnect.Environment of this server: its
// federation, its issuer (URL + "/api/v2", or URL on FranceConnectV1, as
// in its tokens, userinfo and callbacks) and its endpoints, named
// "fctest".
func (s *Server) Environment() franceconnect.Environment {
	env, err := franceconnect.NewEnvironment(s.federation, s.issuer)
	if err != nil {
		panic("fctest: " + err.Error()) // the issuer is always a valid loopback URL
	}
	env.Name = "fctest"
	return env
}

// Register registers c and returns it as registered: ID and Secret
// generated when empty (64 hex chars each), Alg defaulting to "ES256"
// (HS256 on FranceConnectV1). Registering an existing ID replaces that
// client. It panics if Alg is neither "ES256" nor "RS256", the two
// algorithms FranceConnect v2 offers (on a ProConnect server, "HS256"
// too), on UserInfoJSON elsewhere than on a ProConnect server, and on a
// fault that cannot apply to one registration.
func (s *Server) Register(c Registration) Registration {
	c.ID = cmp.Or(c.ID, randomHex(32))
	c.Secret = cmp.Or(c.Secret, randomHex(32))
	c.Alg = s.registeredAlg(c.Alg)
	if c.UserInfoJSON && !s.pc {
		panic("fctest: Registration.UserInfoJSON: FranceConnect always signs userinfo (JSON userinfo is ProConnect's)")
	}
	s.checkFaults("Registration.Faults", true, c.Faults)
	c = s.registerPlus(c) // encryption keys (plus.go)
	c.RedirectURIs = slices.Clone(c.RedirectURIs)
	c.PostLogoutRedirectURIs = slices.Clone(c.PostLogoutRedirectURIs)
	s.mu.Lock()
	s.clients[c.ID] = c
	s.mu.Unlock()
	out := c
	out.RedirectURIs = slices.Clone(c.RedirectURIs)
	out.PostLogoutRedirectURIs = slices.Clone(c.PostLogoutRedirectURIs)
	out.EncryptionKeys = slices.Clone(c.EncryptionKeys)
	return out
}

// registeredAlg checks a registration's algorithm and gives its default.
func (s *Server) registeredAlg(alg string) string {
	switch {
	case s.v1:
		return HS256 // v1 signs with the secret
	case alg == "":
		return ES256
	case alg == ES256 || alg == RS256:
		return alg
	case alg == HS256 && s.pc:
		return alg
	case alg == HS256:
		panic("fctest: Registration.Alg HS256: FranceConnect v2 offers ES256 or RS256 (HS256 is ProConnect's)")
	}
	panic(fmt.Sprintf("fctest: Registration.Alg %q: FranceConnect v2 offers ES256 or RS256", alg))
}

// AddUser adds u to the identities of the chooser page, or replaces the
// user with the same Login.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[u.Login]; !ok {
		s.userOrder = append(s.userOrder, u.Login)
	}
	s.users[u.Login] = u.clone()
}

// Stats returns the request counters.
func (s *Server) Stats() Stats {
	return Stats{
		AuthorizeRequests: s.stats.authorize.Load(),
		TokenRequests:     s.stats.token.Load(),
		UserInfoRequests:  s.stats.userinfo.Load(),
		JWKSFetches:       s.stats.jwks.Load(),
		DiscoveryFetches:  s.stats.discovery.Load(),
		LogoutRequests:    s.stats.logout.Load(),
		Revocations:       s.stats.revocations.Load(),
		Connections:       s.stats.conns.Load(),
	}
}

// RotateKeys gives the server new signing keys with new kids. The old keys
// disappear from the JWKS at once: tokens signed before no longer verify
// against it. It generates an RSA-2048 key, which takes a moment.
func (s *Server) RotateKeys() {
	kp := mustGenerateKeys()
	s.mu.Lock()
	s.keys = kp
	s.mu.Unlock()
}

// now is the server's clock.
func (s *Server) now() time.Time {
	return s.clock()
}

func (s *Server) currentKeys() *keyPair {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keys
}

func (s *Server) client(id string) (Registration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	return c, ok
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	p := s.prefix
	mux.HandleFunc(p+"/authorize", s.handleAuthorize)
	mux.HandleFunc("POST "+p+"/interaction/{uid}/login", s.handleInteractionLogin)
	mux.HandleFunc("GET "+p+"/interaction/{uid}/abort", s.handleInteractionAbort)
	mux.HandleFunc(p+"/token", s.handleToken)
	mux.HandleFunc(p+"/userinfo", s.handleUserInfo)
	if s.v1 { // no discovery, no key set
		mux.HandleFunc(p+"/logout", s.handleSessionEnd)
	} else {
		mux.HandleFunc("GET "+p+"/.well-known/openid-configuration", s.handleDiscovery)
		mux.HandleFunc("GET "+p+"/jwks", s.handleJWKS)
		mux.HandleFunc("POST "+p+"/token/revocation", s.handleRevocation)
		mux.HandleFunc(p+"/session/end", s.handleSessionEnd)
	}
	if s.federation == franceconnect.FranceConnect { // API Particulier's FranceConnect mode (particulier.go)
		mux.HandleFunc("GET /v3/dss/{endpoint}/france_connect", s.handleParticulier)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		mux.ServeHTTP(w, r)
	})
}
