package fctest

import (
	"cmp"
	"fmt"
	"slices"

	jose "github.com/go-jose/go-jose/v4"
)

// The services registered on the mock.

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

func (s *Server) client(id string) (Registration, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.clients[id]
	return c, ok
}
