package franceconnect

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/franceconnect-go/franceconnect/internal/seal"
)

// Config is what a portal knows about its FranceConnect registration. Only
// Environment, ClientID, ClientSecret and RedirectURL are required; [New]
// checks everything and fills in the defaults.
type Config struct {
	// Environment is where to log in: a preset (Production, Sandbox...),
	// the result of EnvironmentFromURL, or a custom environment.
	Environment Environment

	// ClientID and ClientSecret are the credentials FranceConnect's partner
	// portal issued for this environment (they work on no other).
	ClientID     string
	ClientSecret string

	// RedirectURL is the callback URL exactly as registered, query string
	// included: it is sent byte for byte, never re-encoded.
	RedirectURL string
	// PostLogoutRedirectURL is where FranceConnect sends the user back after
	// logout, exactly as registered. Required for logout.
	PostLogoutRedirectURL string

	// Scopes to request. "openid" is always sent; the default is
	// openid identite_pivot.
	Scopes []string
	// ACR is the eIDAS level requested and the minimum accepted: EIDAS1
	// (the default) on FranceConnect, EIDAS2 or EIDAS3 on FranceConnect+.
	ACR ACR
	// Algorithm is the ID token and userinfo signing algorithm chosen at
	// registration: "ES256" (the default) or "RS256". Tokens signed with
	// anything else are refused, whatever their header says. On v1 the
	// algorithm is always HS256 keyed with the client secret and this field
	// must be empty or "HS256".
	Algorithm string
	// DecryptionKeys are the service's private keys on FranceConnect+, which
	// encrypts ID tokens and userinfo for the key its JWE header names by
	// kid. Required on FranceConnect+, refused elsewhere. Each key is an RSA
	// private key (2048 bits or more) with alg RSA-OAEP or RSA-OAEP-256, or
	// an EC P-256 private key with alg ECDH-ES, with a unique kid; create
	// them with GenerateEncryptionKey and publish their public parts with
	// Client.EncryptionKeysHandler. Several keys allow rotation (README).
	DecryptionKeys []jose.JSONWebKey

	// HTTPClient is used for every call to FranceConnect (token, userinfo,
	// keys); it is the one knob, an oauth2.HTTPClient placed in a context
	// is not used. Each call is bounded by its Timeout, or by 10 s when it
	// has none (the default client); a copy of it is used that never
	// follows a redirect; response bodies are read through a size limit.
	// The default client keeps up to 256 idle connections per provider
	// host; a portal's own client should set its Transport's
	// MaxIdleConnsPerHost likewise (net/http keeps 2), and be shared by
	// every Client (one key cache per environment and HTTP client).
	HTTPClient *http.Client
	// ClockSkew is the tolerance applied to exp and iat (default 30 s;
	// FranceConnect tokens live 60 s).
	ClockSkew time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives debug lines about each step (never a token, secret or
	// identity value). Nil disables logging.
	Logger *slog.Logger

	// AllowLogoutWithoutState accepts a logout return that carries no state
	// (a return with a wrong state is still refused). FranceConnect v2
	// echoes the state, so leave it off unless a provider is known not to.
	AllowLogoutWithoutState bool

	// TransactionTTL bounds how long a login attempt stays valid between
	// the redirect to FranceConnect and the callback (default 10 min).
	TransactionTTL time.Duration

	// --- Handlers: sealed-cookie transactions. ---

	// CookieKeys seal the pending login and logout in a cookie, so that no
	// server-side store is needed and any replica sharing the keys can
	// complete a login. Each key is 32 random bytes (e.g. from
	// `openssl rand -base64 32`); the first seals, all open: to rotate, put
	// the new key first and remove the old one TransactionTTL later. Only
	// the handlers need keys: without them New succeeds and the handlers
	// fail closed (HTTP 500 and an ErrConfig error).
	CookieKeys [][]byte
	// CookieName prefixes the handlers' cookie names (default "fc_tx"):
	// "<prefix>_<8 chars of state>" per pending login, "<prefix>_out" for a
	// pending logout, "<prefix>_idx" for the list of pending logins.
	// Change it only if it clashes with the portal's own cookies.
	CookieName string
	// DefaultReturnPath is where CallbackHandler sends the user after login
	// when the login request named no acceptable local path and
	// DestinationParam names none (default "/").
	DefaultReturnPath string
	// DestinationParam names the query parameter of RedirectURL that says
	// where the user lands after login, for products whose registered
	// callback URL carries it, such as
	// ".../france-connect/code?redirectUrl=https%3A%2F%2Fportail.example%2Faides%2F%23%2Ft1&jwtKey=...":
	// "redirectUrl". It is read from RedirectURL, never from a request. The
	// destination is an absolute URL on RedirectURL's origin (or on one of
	// AllowedOrigins); its fragment is kept. A "return" local path on the
	// login link still wins.
	DestinationParam string
	// AllowedOrigins are other origins ("https://aides.example") the
	// destination may be on.
	AllowedOrigins []string
	// --- end of handler fields. ---
}

const (
	defaultClockSkew      = 30 * time.Second
	defaultTransactionTTL = 10 * time.Minute
	defaultHTTPTimeout    = 10 * time.Second
	maxClockSkew          = 5 * time.Minute
	// minV1Secret is the shortest client secret accepted on v1, where it
	// is an HMAC key (FranceConnect's are 64 hexadecimal characters).
	minV1Secret = 32
)

// String describes c without its secrets (client secret, cookie keys,
// decryption keys), for %v and %+v.
func (c Config) String() string {
	return fmt.Sprintf("franceconnect.Config{Environment: %s, ClientID: %q, ClientSecret: %s, RedirectURL: %q, PostLogoutRedirectURL: %q, Scopes: %q, ACR: %s, Algorithm: %q, CookieKeys: %d redacted, DecryptionKeys: %d redacted}",
		c.Environment.Name, c.ClientID, redacted(c.ClientSecret), c.RedirectURL, c.PostLogoutRedirectURL, c.Scopes, c.ACR, c.Algorithm, len(c.CookieKeys), len(c.DecryptionKeys))
}

// GoString is String, for %#v.
func (c Config) GoString() string { return c.String() }

// LogValue is String, for log/slog.
func (c Config) LogValue() slog.Value { return slog.StringValue(c.String()) }

func redacted(secret string) string {
	if secret == "" {
		return `""`
	}
	return "redacted"
}

// withDefaults returns a copy of c with defaults filled in, and every
// problem its field checks found, in one error wrapping ErrConfig.
func (c Config) withDefaults() (Config, error) {
	var problems []string
	for _, check := range []func() []string{
		c.checkEnvironment,
		c.checkCredentials,
		c.checkRedirects,
		c.checkAlgorithm,
		c.checkACR,
		c.checkPlusFields, // plus.go
		c.checkScopes,
		c.checkTiming,
		c.checkHandlerFields,
	} {
		problems = append(problems, check()...)
	}
	if c.HTTPClient == nil {
		c.HTTPClient = defaultHTTPClient
	}
	if len(problems) > 0 {
		return c, fmt.Errorf("%w: %s", ErrConfig, strings.Join(problems, "; "))
	}
	return c, nil
}

func (c *Config) checkEnvironment() []string {
	if c.Environment == (Environment{}) {
		return []string{"Environment is not set: use franceconnect.Production, Sandbox, EnvironmentFromURL(...) or NewEnvironment(...)"}
	}
	if err := c.Environment.validate(); err != nil {
		return []string{err.Error()}
	}
	return nil
}

func (c *Config) checkCredentials() []string {
	var problems []string
	if strings.TrimSpace(c.ClientID) == "" {
		problems = append(problems, "ClientID is empty")
	}
	switch {
	case c.ClientSecret == "":
		problems = append(problems, "ClientSecret is empty")
	case c.Environment.Version == V1 && len(c.ClientSecret) < minV1Secret:
		// It is the HS256 key of v1's ID tokens.
		problems = append(problems, fmt.Sprintf("ClientSecret is %d bytes: on v1 it keys the ID tokens' HS256 signature and must be at least %d bytes, as FranceConnect issues them", len(c.ClientSecret), minV1Secret))
	}
	return problems
}

func (c *Config) checkRedirects() []string {
	var problems []string
	if err := checkRedirect("RedirectURL", c.RedirectURL, true); err != nil {
		problems = append(problems, err.Error())
	}
	if err := checkRedirect("PostLogoutRedirectURL", c.PostLogoutRedirectURL, false); err != nil {
		problems = append(problems, err.Error())
	}
	return problems
}

// checkAlgorithm pins the signing algorithm: HS256 on v1, ES256 (the
// default) or RS256 on v2, ES256 on FranceConnect+.
func (c *Config) checkAlgorithm() []string {
	env := c.Environment
	if c.Algorithm == "" {
		c.Algorithm = "ES256"
		if env.Version == V1 {
			c.Algorithm = "HS256"
		}
	}
	switch {
	case env.Version == V1 && c.Algorithm != "HS256":
		return []string{fmt.Sprintf("Algorithm %q: FranceConnect v1 signs ID tokens with HS256 only", c.Algorithm)}
	case env.Version == V1:
		return nil
	case c.Algorithm == "HS256":
		return []string{"Algorithm HS256 is not offered on FranceConnect v2: register ES256 or RS256"}
	case c.Algorithm != "ES256" && c.Algorithm != "RS256":
		return []string{fmt.Sprintf("Algorithm %q is not supported: use ES256 or RS256", c.Algorithm)}
	case env.Plus && c.Algorithm != "ES256":
		return []string{fmt.Sprintf("Algorithm %q: FranceConnect+ signs with ES256 only", c.Algorithm)}
	}
	return nil
}

// checkACR sets the level: eidas1 on FranceConnect, eidas2 (the default)
// or eidas3 on FranceConnect+.
func (c *Config) checkACR() []string {
	env := c.Environment
	if c.ACR == "" {
		c.ACR = EIDAS1
		if env.Plus {
			c.ACR = EIDAS2
		}
	}
	switch {
	case c.ACR.rank() == 0:
		return []string{fmt.Sprintf("ACR %q is not an eIDAS level: use eidas1, eidas2 or eidas3", string(c.ACR))}
	case env.Plus && c.ACR == EIDAS1:
		return []string{"ACR eidas1 is not available on FranceConnect+: request eidas2 or eidas3"}
	case !env.Plus && env.Version == V2 && c.ACR != EIDAS1:
		return []string{fmt.Sprintf("ACR %s is not available on FranceConnect (eidas1 only): use a FranceConnect+ environment for eidas2 and eidas3", c.ACR)}
	}
	return nil
}

// checkScopes puts openid first and removes duplicates; the default is
// openid identite_pivot.
func (c *Config) checkScopes() []string {
	var problems []string
	scopes := []string{ScopeOpenID}
	if len(c.Scopes) == 0 {
		c.Scopes = []string{ScopeIdentitePivot}
	}
	for _, s := range c.Scopes {
		switch {
		case s == "" || strings.ContainsAny(s, " \t\r\n\"\\"):
			problems = append(problems, fmt.Sprintf("scope %q is not a scope token", s))
		case !slices.Contains(scopes, s):
			scopes = append(scopes, s)
		}
	}
	c.Scopes = scopes
	return problems
}

func (c *Config) checkTiming() []string {
	var problems []string
	if c.ClockSkew < 0 || c.ClockSkew > maxClockSkew {
		problems = append(problems, fmt.Sprintf("ClockSkew %v must be between 0 and %v", c.ClockSkew, maxClockSkew))
	} else if c.ClockSkew == 0 {
		c.ClockSkew = defaultClockSkew
	}
	if c.TransactionTTL < 0 {
		problems = append(problems, fmt.Sprintf("TransactionTTL %v is negative", c.TransactionTTL))
	} else if c.TransactionTTL == 0 {
		c.TransactionTTL = defaultTransactionTTL
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return problems
}

// checkHandlerFields fills in the defaults of the handler fields and
// returns their problems.
func (c *Config) checkHandlerFields() []string {
	var problems []string
	if len(c.CookieKeys) > 0 {
		if _, err := seal.New(c.CookieKeys); err != nil {
			problems = append(problems, "CookieKeys: "+strings.TrimPrefix(err.Error(), "seal: "))
		}
		keys := make([][]byte, len(c.CookieKeys))
		for i, k := range c.CookieKeys {
			keys[i] = slices.Clone(k)
		}
		c.CookieKeys = keys // the caller may reuse its buffers
	}
	if c.CookieName == "" {
		c.CookieName = defaultCookiePrefix
	} else if len(c.CookieName) > 32 || !isStateID(c.CookieName) {
		problems = append(problems, fmt.Sprintf("CookieName %s: use at most 32 letters, digits, '-' or '_'", safe(c.CookieName)))
	}
	if c.DefaultReturnPath == "" {
		c.DefaultReturnPath = defaultReturnPath
	} else if !IsLocalPath(c.DefaultReturnPath) {
		problems = append(problems, fmt.Sprintf("DefaultReturnPath %s is not a local path such as /espace-usager", safe(c.DefaultReturnPath)))
	}
	if _, err := c.destination(); err != nil {
		problems = append(problems, err.Error())
	}
	return problems
}

// defaultHTTPClient is shared by every Client without its own: one pool of
// connections per provider host, large enough that a few hundred logins in
// flight reuse their connections (net/http's default keeps 2 idle per
// host: a rush of logins would open a TLS connection each).
var defaultHTTPClient = &http.Client{Timeout: defaultHTTPTimeout, Transport: pooledTransport()}

// maxIdlePerHost is how many idle connections to one provider host the
// default client keeps.
const maxIdlePerHost = 256

func pooledTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 2 * maxIdlePerHost
	t.MaxIdleConnsPerHost = maxIdlePerHost
	return t
}

// checkRedirect accepts an absolute URL without fragment, https except on a
// loopback host (http://localhost, 127.0.0.1, [::1]).
func checkRedirect(field, raw string, required bool) error {
	if raw == "" {
		if required {
			return fmt.Errorf("%s is empty", field)
		}
		return nil
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("%s %q is not a URL", field, raw)
	case !u.IsAbs() || u.Host == "":
		return fmt.Errorf("%s %q is not absolute (want https://host/path)", field, raw)
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return fmt.Errorf("%s %q must not have a fragment", field, raw)
	case u.Scheme == "http" && !isLoopback(u.Hostname()):
		return fmt.Errorf("%s %q uses http:// outside localhost: use https", field, raw)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("%s %q must be an http(s) URL", field, raw)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
