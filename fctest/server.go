package fctest

import (
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

// Server is a mock FranceConnect v2 listening on the loopback interface.
// Create it with [NewServer] and stop it with [Server.Close]. All its
// methods are safe for concurrent use.
type Server struct {
	// URL is the base URL of the server, e.g. http://127.0.0.1:PORT, without
	// a trailing slash. The API lives under URL + "/api/v2".
	URL string

	plus  bool // FranceConnect+ mode (plus.go)
	pc    bool // ProConnect mode (proconnect.go)
	srv   *httptest.Server
	skew  atomic.Int64 // added to the clock, in nanoseconds (tests)
	stats struct {
		authorize, token, userinfo, jwks, discovery, logout, conns atomic.Int64
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
	// FranceConnect+ accepts ES256 only.
	Alg string
	// UserInfoJSON (ProConnect) registers no userinfo signing algorithm:
	// userinfo is plain JSON.
	UserInfoJSON bool
	// EncryptionKeys are the client's public encryption keys, FranceConnect+
	// only (see NewPlusServer): ID tokens and userinfo are encrypted for the
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
	// one (the discovery and JWKS faults, which concern no client, are the
	// server's only).
	Faults []Fault
}

// Stats counts the requests the server received, per endpoint.
type Stats struct {
	AuthorizeRequests int64 // GET or POST /authorize
	TokenRequests     int64 // POST /token
	UserInfoRequests  int64 // /userinfo
	JWKSFetches       int64 // GET /jwks
	DiscoveryFetches  int64 // GET /.well-known/openid-configuration
	LogoutRequests    int64 // /session/end
	// Connections counts the TCP connections clients opened: with
	// connections reused, it stays far below the number of requests.
	Connections int64
}

// NewServer starts a mock FranceConnect v2 on a loopback port. Stop it
// with Close. It knows the identities of [Users] and no client: register
// one with [Server.Register].
func NewServer() *Server { return newServer(modeFranceConnect, nil, false) }

// NewTLSServer is NewServer on https, as httptest.NewTLSServer: give its
// HTTPClient (which trusts its certificate) to Config.HTTPClient.
func NewTLSServer() *Server { return newServer(modeFranceConnect, nil, true) }

// HTTPClient returns a client for the server's own URL (which trusts its
// certificate, for NewTLSServer).
func (s *Server) HTTPClient() *http.Client { return s.srv.Client() }

// NewServerOn is NewServer on ln, a listener of yours (an address chosen in
// advance, as cmd/fcmock does). Close closes ln.
func NewServerOn(ln net.Listener) *Server { return newServer(modeFranceConnect, ln, false) }

// mode is the federation a server mocks.
type mode int

const (
	modeFranceConnect mode = iota
	modePlus
	modeProConnect
)

func newServer(m mode, ln net.Listener, tls bool) *Server {
	s := &Server{
		plus:         m == modePlus,
		pc:           m == modeProConnect,
		keys:         sharedKeys(),
		clients:      map[string]Registration{},
		users:        map[string]User{},
		faults:       map[Fault]bool{},
		interactions: map[string]*interaction{},
		sessions:     map[string]string{},
		codes:        map[string]*authCode{},
		tokens:       map[string]*accessToken{},
	}
	users := Users()
	if s.pc {
		users = Agents()
	}
	for _, u := range users {
		s.AddUser(u)
	}
	s.srv = httptest.NewUnstartedServer(s.routes())
	if ln != nil {
		s.srv.Listener.Close()
		s.srv.Listener = ln
	}
	s.srv.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.stats.conns.Add(1)
		}
	}
	if tls {
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	s.URL = s.srv.URL
	return s
}

// Close shuts the server down and blocks until all requests have finished.
func (s *Server) Close() { s.srv.Close() }

// Issuer returns the issuer, URL + "/api/v2", as it appears in tokens,
// userinfo and callbacks.
func (s *Server) Issuer() string { return s.URL + "/api/v2" }

// IssuerV1 returns the issuer of the legacy API (/api/v1): URL, without
// path, as in FranceConnect v1 ID tokens.
func (s *Server) IssuerV1() string { return s.URL }

func (s *Server) issuer(v1 bool) string {
	if v1 {
		return s.IssuerV1()
	}
	return s.Issuer()
}

// Environment returns the franceconnect.Environment pointing at this
// server, named "fctest" ("fctest-plus", with Plus set, for a
// FranceConnect+ server; "fctest-proconnect", with ProConnect set, for a
// ProConnect server).
func (s *Server) Environment() franceconnect.Environment {
	switch {
	case s.plus:
		return s.plusEnvironment()
	case s.pc:
		return s.proConnectEnvironment()
	}
	env, err := franceconnect.NewEnvironment(s.Issuer())
	if err != nil {
		panic("fctest: " + err.Error()) // the issuer is always a valid http URL
	}
	env.Name = "fctest"
	return env
}

// EnvironmentV1 returns the franceconnect.Environment of the server's
// legacy API (/api/v1), named "fctest-v1".
func (s *Server) EnvironmentV1() franceconnect.Environment {
	env, err := franceconnect.NewV1Environment(s.IssuerV1())
	if err != nil {
		panic("fctest: " + err.Error())
	}
	env.Name = "fctest-v1"
	return env
}

// Register registers c and returns it as registered: ID and Secret
// generated when empty (64 hex chars each), Alg defaulting to "ES256".
// Registering an existing ID replaces that client. It panics if Alg is
// neither "ES256" nor "RS256", the two algorithms FranceConnect v2 offers
// (on a ProConnect server, "HS256" too), and on UserInfoJSON elsewhere
// than on a ProConnect server.
func (s *Server) Register(c Registration) Registration {
	if c.ID == "" {
		c.ID = randomHex(32)
	}
	if c.Secret == "" {
		c.Secret = randomHex(32)
	}
	switch c.Alg {
	case "":
		c.Alg = ES256
	case ES256, RS256:
	case HS256:
		if !s.pc {
			panic("fctest: Registration.Alg HS256: FranceConnect v2 offers ES256 or RS256 (HS256 is ProConnect's, see NewProConnectServer)")
		}
	default:
		panic(fmt.Sprintf("fctest: Registration.Alg %q: FranceConnect v2 offers ES256 or RS256", c.Alg))
	}
	if c.UserInfoJSON && !s.pc {
		panic("fctest: Registration.UserInfoJSON: FranceConnect always signs userinfo (JSON userinfo is ProConnect's, see NewProConnectServer)")
	}
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
	return time.Now().Add(time.Duration(s.skew.Load()))
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
	p := "/api/v2"
	mux.HandleFunc("GET "+p+"/.well-known/openid-configuration", s.handleDiscovery)
	mux.HandleFunc("GET "+p+"/jwks", s.handleJWKS)
	mux.HandleFunc(p+"/authorize", s.handleAuthorize)
	mux.HandleFunc("POST "+p+"/interaction/{uid}/login", s.handleInteractionLogin)
	mux.HandleFunc("GET "+p+"/interaction/{uid}/abort", s.handleInteractionAbort)
	mux.HandleFunc(p+"/token", s.handleToken)
	mux.HandleFunc("POST "+p+"/token/revocation", s.handleRevocation)
	mux.HandleFunc(p+"/userinfo", s.handleUserInfo)
	mux.HandleFunc(p+"/session/end", s.handleSessionEnd)
	if !s.plus && !s.pc { // FranceConnect+ and ProConnect have no v1
		v1 := "/api/v1"
		mux.HandleFunc(v1+"/authorize", s.handleAuthorize)
		mux.HandleFunc("POST "+v1+"/interaction/{uid}/login", s.handleInteractionLogin)
		mux.HandleFunc("GET "+v1+"/interaction/{uid}/abort", s.handleInteractionAbort)
		mux.HandleFunc(v1+"/token", s.handleToken)
		mux.HandleFunc(v1+"/userinfo", s.handleUserInfo)
		mux.HandleFunc(v1+"/logout", s.handleSessionEnd)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		mux.ServeHTTP(w, r)
	})
}
