package fctest

import (
	"cmp"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

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
