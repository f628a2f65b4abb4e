package franceconnect

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/franceconnect-go/franceconnect/internal/httpx"
)

// Environment is where a client talks to: the federation, the issuer it
// expects in tokens and the endpoints it calls. The presets below are plain
// data; a custom Environment (a mock, a self-hosted test provider, a host
// the provider moved to) is built with [NewEnvironment], or filled in by
// hand.
//
// An Environment is a value: copying it is safe and Client keeps its own copy.
type Environment struct {
	// Name is a short label for messages and logs ("production", "sandbox"...).
	Name string
	// Federation is the kind of provider: FranceConnect, FranceConnectPlus,
	// ProConnect or FranceConnectV1.
	Federation Federation

	// Issuer is compared byte for byte with the iss claim of ID tokens and
	// signed userinfo, and with the iss parameter of callbacks.
	Issuer string

	AuthorizationEndpoint string // authorize
	TokenEndpoint         string // token (client_secret_post)
	UserInfoEndpoint      string // userinfo (bearer)
	EndSessionEndpoint    string // session/end, or logout on FranceConnectV1
	// JWKSURI is the provider's key set. Empty on FranceConnectV1, whose ID
	// tokens are signed with the client secret.
	JWKSURI string
	// RevocationEndpoint revokes tokens (RFC 7009, Client.Revoke). Empty on
	// FranceConnectV1.
	RevocationEndpoint string
}

// The FranceConnect v2 presets. The sandbox is the current test platform
// (credentials from the partner portal); integration is the older test
// platform some early v2 client IDs still use.
var (
	Sandbox     = environment(FranceConnect, "sandbox", "https://fcp-low.sbx.dev-franceconnect.fr/api/v2")
	Integration = environment(FranceConnect, "integration", "https://fcp-low.integ01.dev-franceconnect.fr/api/v2")
	Production  = environment(FranceConnect, "production", "https://oidc.franceconnect.gouv.fr/api/v2")
)

// The FranceConnect+ presets (eIDAS substantial and high: eidas2, eidas3).
// FranceConnect+ encrypts ID tokens and userinfo: a Config for them needs
// DecryptionKeys. No FranceConnect+ sandbox host is known; integration is
// its test platform.
var (
	PlusIntegration = environment(FranceConnectPlus, "plus-integration", "https://auth.integ01.dev-franceconnect.fr/api/v2")
	PlusProduction  = environment(FranceConnectPlus, "plus-production", "https://auth.franceconnect.gouv.fr/api/v2")
)

// The FranceConnect v1 (legacy) presets. The v1 issuer is the bare host
// without path; FranceConnect's documentation confirms it for integration
// only, so set Environment.Issuer if a v1 production token says otherwise.
var (
	IntegrationV1 = environment(FranceConnectV1, "integration-v1", "https://fcp.integ01.dev-franceconnect.fr")
	ProductionV1  = environment(FranceConnectV1, "production-v1", "https://app.franceconnect.gouv.fr")
)

// The ProConnect presets. Internet and RIE (the State's internal network)
// are separate registrations: credentials do not cross.
var (
	ProConnectIntegration    = environment(ProConnect, "proconnect-integration", "https://fca.integ01.dev-agentconnect.fr/api/v2")
	ProConnectProduction     = environment(ProConnect, "proconnect-production", "https://auth.agentconnect.gouv.fr/api/v2")
	ProConnectIntegrationRIE = environment(ProConnect, "proconnect-integration-rie", "https://fca.integ02.agentconnect.rie.gouv.fr/api/v2")
	ProConnectProductionRIE  = environment(ProConnect, "proconnect-production-rie", "https://auth.agentconnect.rie.gouv.fr/api/v2")
)

// environment returns f's environment at issuer, with the federation's
// route names: under the issuer on v2, under issuer + "/api/v1" on v1.
func environment(f Federation, name, issuer string) Environment {
	p := f.profile()
	root := strings.TrimSuffix(issuer, "/")
	if p.v1() {
		root += "/api/v1"
	}
	e := Environment{Name: name, Federation: f, Issuer: issuer,
		AuthorizationEndpoint: root + "/authorize",
		TokenEndpoint:         root + "/token",
		UserInfoEndpoint:      root + "/userinfo",
		EndSessionEndpoint:    root + p.endSession,
	}
	if !p.v1() {
		e.JWKSURI, e.RevocationEndpoint = root+"/jwks", root+"/token/revocation"
	}
	return e
}

// presets lists every preset, for the "URL du service" lookup.
func presets() []Environment {
	return []Environment{Sandbox, Integration, Production, PlusIntegration, PlusProduction, IntegrationV1, ProductionV1,
		ProConnectIntegration, ProConnectProduction, ProConnectIntegrationRIE, ProConnectProductionRIE}
}

// EnvironmentFromURL returns the preset for the "URL du service" an
// administrator types into a portal's settings: a FranceConnect (or
// ProConnect) host, with or without a trailing slash, with or without its
// API path
// ("https://oidc.franceconnect.gouv.fr", "https://oidc.franceconnect.gouv.fr/",
// "https://oidc.franceconnect.gouv.fr/api/v2" all give [Production]). The
// host decides the preset; a path that contradicts it (/api/v1 on a v2 host)
// is an error, so a wrong setting is caught before the first login.
//
// The ProConnect hosts give the ProConnect presets
// ("https://auth.agentconnect.gouv.fr" gives [ProConnectProduction]): check
// Environment.Federation where only one federation makes sense. Hosts that
// are neither FranceConnect's nor ProConnect's return an error wrapping
// [ErrConfig]; use [NewEnvironment] for those.
func EnvironmentFromURL(serviceURL string) (Environment, error) {
	u, err := url.Parse(strings.TrimSpace(serviceURL))
	if err != nil || u.Host == "" {
		return Environment{}, fmt.Errorf("%w: unknown environment: %q is not an absolute URL (expected e.g. https://oidc.franceconnect.gouv.fr)", ErrConfig, serviceURL)
	}
	if u.Scheme != "https" {
		return Environment{}, fmt.Errorf("%w: unknown environment: %q must use https", ErrConfig, serviceURL)
	}
	if u.Port() != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.User != nil {
		return Environment{}, fmt.Errorf("%w: unknown environment: %q: give the address alone, without port, query, fragment or user (e.g. https://oidc.franceconnect.gouv.fr)", ErrConfig, serviceURL)
	}
	host := strings.ToLower(u.Host)
	for _, env := range presets() {
		p, _ := url.Parse(env.Issuer)
		if p.Host != host {
			continue
		}
		path := strings.TrimSuffix(u.Path, "/")
		want := "/api/" + env.Federation.profile().api
		if path != "" && path != want {
			return Environment{}, fmt.Errorf("%w: unknown environment: %s is a %s host, whose API lives under %s, not %s", ErrConfig, host, env.Federation, want, path)
		}
		return env, nil
	}
	return Environment{}, fmt.Errorf("%w: unknown environment: host %q is not a FranceConnect or ProConnect host (known: %s)", ErrConfig, host, knownHosts())
}

func knownHosts() string {
	var hosts []string
	for _, env := range presets() {
		p, _ := url.Parse(env.Issuer)
		hosts = append(hosts, p.Host)
	}
	return strings.Join(hosts, ", ")
}

// NewEnvironment returns an environment of federation f for a custom
// issuer, with the federation's route names: issuer + "/authorize",
// "/token", "/userinfo", "/session/end", "/jwks"; on FranceConnectV1 the
// issuer is the bare host and the routes are issuer + "/api/v1/authorize",
// "/token", "/userinfo", "/logout", without key set. The issuer must be an
// absolute https URL (http only on a loopback host) without query or
// fragment; a trailing slash is kept, since the issuer is compared byte for
// byte. Name the environment by setting its Name field if you wish.
//
// Use it for the fctest mock, a self-hosted test provider, or a host the
// provider moved to.
func NewEnvironment(f Federation, issuer string) (Environment, error) {
	if f.profile() == nil {
		return Environment{}, fmt.Errorf("%w: %v is not a federation: use FranceConnect, FranceConnectPlus, ProConnect or FranceConnectV1", ErrConfig, f)
	}
	if err := checkIssuerURL(issuer); err != nil {
		return Environment{}, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	return environment(f, "custom", issuer), nil
}

func checkIssuerURL(issuer string) error {
	u, err := url.Parse(issuer)
	switch {
	case err != nil:
		return fmt.Errorf("franceconnect: issuer %q is not a URL", issuer)
	case u.Host == "":
		return fmt.Errorf("franceconnect: issuer %q has no host", issuer)
	case !secureEndpoint(u):
		return fmt.Errorf("franceconnect: issuer %q must be https (http only on a loopback host)", issuer)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return fmt.Errorf("franceconnect: issuer %q must not carry a query, fragment or user info", issuer)
	}
	return nil
}

// secureEndpoint accepts https, and http on a loopback host only (a mock,
// a test provider): secrets and tokens never travel in clear elsewhere.
func secureEndpoint(u *url.URL) bool {
	return u.Scheme == "https" || u.Scheme == "http" && isLoopback(u.Hostname())
}

// validate reports what is missing or inconsistent in an environment.
func (e Environment) validate() error {
	p := e.Federation.profile()
	if p == nil {
		return fmt.Errorf("environment Federation is %v: set FranceConnect, FranceConnectPlus, ProConnect or FranceConnectV1", e.Federation)
	}
	if err := checkIssuerURL(e.Issuer); err != nil {
		return fmt.Errorf("environment Issuer: %w", err)
	}
	endpoints := []struct{ name, value string }{
		{"AuthorizationEndpoint", e.AuthorizationEndpoint},
		{"TokenEndpoint", e.TokenEndpoint},
		{"UserInfoEndpoint", e.UserInfoEndpoint},
		{"EndSessionEndpoint", e.EndSessionEndpoint},
	}
	if !p.v1() {
		endpoints = append(endpoints, struct{ name, value string }{"JWKSURI", e.JWKSURI})
	}
	if e.RevocationEndpoint != "" { // optional
		endpoints = append(endpoints, struct{ name, value string }{"RevocationEndpoint", e.RevocationEndpoint})
	}
	for _, ep := range endpoints {
		u, err := url.Parse(ep.value)
		if err != nil || u.Host == "" || !secureEndpoint(u) {
			return fmt.Errorf("environment %s is %q: want an absolute https URL (http only on a loopback host)", ep.name, ep.value)
		}
	}
	return nil
}

// maxDiscoverySize bounds the discovery document.
const maxDiscoverySize = 256 << 10

// DiscoverEnvironment reads the discovery document of a provider of
// federation f (issuer + "/.well-known/openid-configuration") and returns
// the environment it describes. The document's issuer must equal issuer
// byte for byte (ErrIssuerMismatch otherwise): a provider announcing
// another issuer is not the one configured. FranceConnectV1 has no
// discovery.
//
// The presets need no discovery; use this for a provider whose endpoints
// are not the federation's route names. client may be nil (10 s timeout).
func DiscoverEnvironment(ctx context.Context, f Federation, issuer string, client *http.Client) (Environment, error) {
	if p := f.profile(); p == nil || p.v1() {
		return Environment{}, fmt.Errorf("%w: discovery needs FranceConnect, FranceConnectPlus or ProConnect, not %v", ErrConfig, f)
	}
	if err := checkIssuerURL(issuer); err != nil {
		return Environment{}, fmt.Errorf("%w: %v", ErrConfig, err)
	}
	if client == nil {
		client = defaultHTTPClient
	}
	ctx = oidc.ClientContext(ctx, httpx.LimitClient(httpx.NoRedirects(client), maxDiscoverySize))
	p, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		var mismatch *oidc.IssuerMismatchError
		if errors.As(err, &mismatch) {
			return Environment{}, fmt.Errorf("%w: discovery announces %s, want %q", ErrIssuerMismatch, safe(mismatch.Discovered), issuer)
		}
		return Environment{}, fmt.Errorf("%w: discovery: %s", ErrProviderUnavailable, describeTransportError(err))
	}
	// go-oidc exposes none of these: read them in one pass.
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
		JWKSURI    string `json:"jwks_uri"`
		Revocation string `json:"revocation_endpoint"`
	}
	if err := p.Claims(&meta); err != nil {
		return Environment{}, fmt.Errorf("%w: discovery document: %v", ErrProviderUnavailable, err)
	}
	env := Environment{
		Name:                  "discovered",
		Federation:            f,
		Issuer:                issuer,
		AuthorizationEndpoint: p.Endpoint().AuthURL,
		TokenEndpoint:         p.Endpoint().TokenURL,
		UserInfoEndpoint:      p.UserInfoEndpoint(),
		EndSessionEndpoint:    meta.EndSession,
		JWKSURI:               meta.JWKSURI,
		RevocationEndpoint:    meta.Revocation,
	}
	if err := env.validate(); err != nil {
		return Environment{}, fmt.Errorf("%w: discovery document: %v", ErrProviderUnavailable, err)
	}
	if err := env.sameOrigin(); err != nil {
		return Environment{}, fmt.Errorf("%w: discovery document: %v", ErrIssuerMismatch, err)
	}
	return env, nil
}

// sameOrigin requires every endpoint on the issuer's scheme and host, so
// that a discovery document cannot send the secret or the tokens
// elsewhere.
func (e Environment) sameOrigin() error {
	iss, err := url.Parse(e.Issuer)
	if err != nil {
		return err
	}
	for _, ep := range []string{e.AuthorizationEndpoint, e.TokenEndpoint, e.UserInfoEndpoint, e.EndSessionEndpoint, e.JWKSURI, e.RevocationEndpoint} {
		if ep == e.RevocationEndpoint && ep == "" {
			continue // optional
		}
		u, err := url.Parse(ep)
		if err != nil || u.Scheme != iss.Scheme || u.Host != iss.Host {
			return fmt.Errorf("endpoint %q is not on the issuer's scheme and host %s://%s", ep, iss.Scheme, iss.Host)
		}
	}
	return nil
}
