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

// APIVersion is the version of FranceConnect's API an environment speaks.
type APIVersion int

const (
	// V2 is the current API (/api/v2): ES256 or RS256 ID tokens checked
	// against the provider's JWKS, userinfo as a signed JWT, /session/end.
	V2 APIVersion = 2
	// V1 is the legacy API (/api/v1): HS256 ID tokens keyed with the client
	// secret, userinfo as plain JSON, /logout. FranceConnect has retired it.
	V1 APIVersion = 1
)

// String returns "v1" or "v2".
func (v APIVersion) String() string {
	switch v {
	case V1:
		return "v1"
	case V2:
		return "v2"
	}
	return fmt.Sprintf("APIVersion(%d)", int(v))
}

// Environment is where a FranceConnect client talks to: the issuer it
// expects in tokens and the endpoints it calls. The presets below are plain
// data; a custom Environment (a mock, a self-hosted test provider, a host
// FranceConnect moved to) is built with [NewEnvironment] or
// [NewV1Environment], or filled in by hand.
//
// An Environment is a value: copying it is safe and Client keeps its own copy.
type Environment struct {
	// Name is a short label for messages and logs ("production", "sandbox"...).
	Name string
	// Version is the API version: V2, or V1 for the legacy API.
	Version APIVersion
	// Plus is true for FranceConnect+ (eIDAS substantial and high, encrypted
	// tokens).
	Plus bool
	// ProConnect is true for ProConnect, the federation for professionals,
	// whose profile differs from FranceConnect's (see ProConnectProduction).
	ProConnect bool

	// Issuer is compared byte for byte with the iss claim of ID tokens and
	// signed userinfo, and with the iss parameter of callbacks.
	Issuer string

	AuthorizationEndpoint string // authorize
	TokenEndpoint         string // token (client_secret_post)
	UserInfoEndpoint      string // userinfo (bearer)
	EndSessionEndpoint    string // session/end on V2, logout on V1
	// JWKSURI is the provider's key set. Empty on V1, whose ID tokens are
	// signed with the client secret.
	JWKSURI string
}

// The FranceConnect v2 presets. The sandbox is the current test platform
// (credentials from the partner portal); integration is the older test
// platform some early v2 client IDs still use.
var (
	Sandbox     = v2Environment("sandbox", "https://fcp-low.sbx.dev-franceconnect.fr/api/v2")
	Integration = v2Environment("integration", "https://fcp-low.integ01.dev-franceconnect.fr/api/v2")
	Production  = v2Environment("production", "https://oidc.franceconnect.gouv.fr/api/v2")
)

// The FranceConnect+ presets (eIDAS substantial and high: eidas2, eidas3).
// FranceConnect+ encrypts ID tokens and userinfo: a Config for them needs
// DecryptionKeys. No FranceConnect+ sandbox host is known; integration is
// its test platform.
var (
	PlusIntegration = plusEnvironment("plus-integration", "https://auth.integ01.dev-franceconnect.fr/api/v2")
	PlusProduction  = plusEnvironment("plus-production", "https://auth.franceconnect.gouv.fr/api/v2")
)

// The FranceConnect v1 (legacy) presets. The v1 issuer is the bare host
// without path; FranceConnect's documentation confirms it for integration
// only, so set Environment.Issuer if a v1 production token says otherwise.
var (
	IntegrationV1 = v1Environment("integration-v1", "https://fcp.integ01.dev-franceconnect.fr")
	ProductionV1  = v1Environment("production-v1", "https://app.franceconnect.gouv.fr")
)

func v2Environment(name, issuer string) Environment {
	e := withEndpoints(Environment{Name: name, Version: V2, Issuer: issuer}, issuer, "/session/end")
	e.JWKSURI = issuer + "/jwks"
	return e
}

func plusEnvironment(name, issuer string) Environment {
	e := v2Environment(name, issuer)
	e.Plus = true
	return e
}

func v1Environment(name, base string) Environment {
	return withEndpoints(Environment{Name: name, Version: V1, Issuer: base}, base+"/api/v1", "/logout")
}

// withEndpoints sets FranceConnect's route names under root.
func withEndpoints(e Environment, root, endSession string) Environment {
	e.AuthorizationEndpoint = root + "/authorize"
	e.TokenEndpoint = root + "/token"
	e.UserInfoEndpoint = root + "/userinfo"
	e.EndSessionEndpoint = root + endSession
	return e
}

// presets lists every preset, for the "URL du service" lookup.
func presets() []Environment {
	return []Environment{Sandbox, Integration, Production, PlusIntegration, PlusProduction, IntegrationV1, ProductionV1,
		ProConnectIntegration, ProConnectProduction, ProConnectIntegrationRIE, ProConnectProductionRIE}
}

// EnvironmentFromURL returns the preset for the "URL du service" an
// administrator types into a portal's settings: a FranceConnect (or
// ProConnect) host, with
// or without a trailing slash, with or without its API path
// ("https://oidc.franceconnect.gouv.fr", "https://oidc.franceconnect.gouv.fr/",
// "https://oidc.franceconnect.gouv.fr/api/v2" all give [Production]). The
// host decides the preset; a path that contradicts it (/api/v1 on a v2 host)
// is an error, so a wrong setting is caught before the first login.
//
// The ProConnect hosts give the ProConnect presets
// ("https://auth.agentconnect.gouv.fr" gives [ProConnectProduction]): check
// Environment.ProConnect where only one federation makes sense. Hosts that
// are neither FranceConnect's nor ProConnect's return an error wrapping
// [ErrUnknownEnvironment]; use [NewEnvironment] for those.
func EnvironmentFromURL(serviceURL string) (Environment, error) {
	u, err := url.Parse(strings.TrimSpace(serviceURL))
	if err != nil || u.Host == "" {
		return Environment{}, fmt.Errorf("%w: %q is not an absolute URL (expected e.g. https://oidc.franceconnect.gouv.fr)", ErrUnknownEnvironment, serviceURL)
	}
	if u.Scheme != "https" {
		return Environment{}, fmt.Errorf("%w: %q must use https", ErrUnknownEnvironment, serviceURL)
	}
	if u.Port() != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.User != nil {
		return Environment{}, fmt.Errorf("%w: %q: give the address alone, without port, query, fragment or user (e.g. https://oidc.franceconnect.gouv.fr)", ErrUnknownEnvironment, serviceURL)
	}
	host := strings.ToLower(u.Host)
	for _, env := range presets() {
		p, _ := url.Parse(env.Issuer)
		if p.Host != host {
			continue
		}
		path := strings.TrimSuffix(u.Path, "/")
		want := "/api/" + env.Version.String()
		if path != "" && path != want {
			return Environment{}, fmt.Errorf("%w: %s is a %s %s host, whose API lives under %s, not %s", ErrUnknownEnvironment, host, env.profile().name, env.Version, want, path)
		}
		return env, nil
	}
	return Environment{}, fmt.Errorf("%w: host %q is not a FranceConnect or ProConnect host (known: %s)", ErrUnknownEnvironment, host, knownHosts())
}

func knownHosts() string {
	var hosts []string
	for _, env := range presets() {
		p, _ := url.Parse(env.Issuer)
		hosts = append(hosts, p.Host)
	}
	return strings.Join(hosts, ", ")
}

// NewEnvironment returns a v2 environment for a custom issuer, with
// FranceConnect's route names under it (issuer + "/authorize", "/token",
// "/userinfo", "/session/end", "/jwks"). The issuer must be an absolute
// http(s) URL without query or fragment; a trailing slash is kept, since the
// issuer is compared byte for byte.
//
// Use it for the fctest mock, a self-hosted test provider, or a host
// FranceConnect moved to. Name it by setting the Name field if you wish.
func NewEnvironment(issuer string) (Environment, error) {
	if err := checkIssuerURL(issuer); err != nil {
		return Environment{}, err
	}
	return v2Environment("custom", strings.TrimSuffix(issuer, "/")).withIssuer(issuer), nil
}

// NewPlusEnvironment is [NewEnvironment] for a FranceConnect+ provider
// (Plus set: encrypted tokens, eidas2 and eidas3), such as the fctest
// mock's FranceConnect+ mode.
func NewPlusEnvironment(issuer string) (Environment, error) {
	env, err := NewEnvironment(issuer)
	if err != nil {
		return Environment{}, err
	}
	env.Name = "custom-plus"
	env.Plus = true
	return env, nil
}

// NewV1Environment returns a v1 (legacy) environment rooted at base: issuer
// base, endpoints base + "/api/v1/authorize", "/token", "/userinfo",
// "/logout", no JWKS.
func NewV1Environment(base string) (Environment, error) {
	if err := checkIssuerURL(base); err != nil {
		return Environment{}, err
	}
	return v1Environment("custom-v1", strings.TrimSuffix(base, "/")).withIssuer(base), nil
}

func (e Environment) withIssuer(issuer string) Environment {
	e.Issuer = issuer
	return e
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
	if e.Version != V1 && e.Version != V2 {
		return fmt.Errorf("environment Version is %v: set V1 or V2", e.Version)
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
	if e.Version == V2 {
		endpoints = append(endpoints, struct{ name, value string }{"JWKSURI", e.JWKSURI})
	}
	for _, ep := range endpoints {
		u, err := url.Parse(ep.value)
		if err != nil || u.Host == "" || !secureEndpoint(u) {
			return fmt.Errorf("environment %s is %q: want an absolute https URL (http only on a loopback host)", ep.name, ep.value)
		}
	}
	if e.Plus && e.Version != V2 {
		return errors.New("environment Plus requires Version V2: FranceConnect+ has no v1 API")
	}
	if e.ProConnect && (e.Version != V2 || e.Plus) {
		return errors.New("environment ProConnect requires Version V2 and no Plus: ProConnect speaks the v2 API, without encryption")
	}
	return nil
}

// maxDiscoverySize bounds the discovery document.
const maxDiscoverySize = 256 << 10

// DiscoverEnvironment reads a v2 provider's discovery document
// (issuer + "/.well-known/openid-configuration") and returns the
// environment it describes. The document's issuer must equal issuer byte
// for byte (ErrIssuerMismatch otherwise): a provider announcing another
// issuer is not the one configured.
//
// The presets need no discovery; use this for a provider whose endpoints
// are not FranceConnect's route names. client may be nil (10 s timeout).
func DiscoverEnvironment(ctx context.Context, issuer string, client *http.Client) (Environment, error) {
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
	// go-oidc exposes neither of these: read them in one pass.
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
		JWKSURI    string `json:"jwks_uri"`
	}
	if err := p.Claims(&meta); err != nil {
		return Environment{}, fmt.Errorf("%w: discovery document: %v", ErrProviderUnavailable, err)
	}
	env := Environment{
		Name:                  "discovered",
		Version:               V2,
		Issuer:                issuer,
		AuthorizationEndpoint: p.Endpoint().AuthURL,
		TokenEndpoint:         p.Endpoint().TokenURL,
		UserInfoEndpoint:      p.UserInfoEndpoint(),
		EndSessionEndpoint:    meta.EndSession,
		JWKSURI:               meta.JWKSURI,
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
	for _, ep := range []string{e.AuthorizationEndpoint, e.TokenEndpoint, e.UserInfoEndpoint, e.EndSessionEndpoint, e.JWKSURI} {
		u, err := url.Parse(ep)
		if err != nil || u.Scheme != iss.Scheme || u.Host != iss.Host {
			return fmt.Errorf("endpoint %q is not on the issuer's scheme and host %s://%s", ep, iss.Scheme, iss.Host)
		}
	}
	return nil
}
