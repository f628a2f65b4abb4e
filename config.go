package franceconnect

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Config is what a portal knows about one registration with the provider.
// Only Environment, ClientID, ClientSecret and RedirectURL are required;
// [New] checks everything and fills in the defaults.
type Config struct {
	// Environment is where to log in: a preset (Production, Sandbox...),
	// the result of EnvironmentFromURL, or a custom environment.
	Environment Environment

	// ClientID and ClientSecret are the credentials FranceConnect's partner
	// portal issued for this environment (they work on no other).
	ClientID     string
	ClientSecret string // never shown by Format or LogValue

	// RedirectURL is the callback URL exactly as registered, query string
	// included: it is sent byte for byte, never re-encoded.
	RedirectURL string
	// PostLogoutRedirectURL is where FranceConnect sends the user back after
	// logout, exactly as registered. Required for logout.
	PostLogoutRedirectURL string

	// Scopes to request. "openid" is always sent; the default is
	// openid identite_pivot.
	Scopes []string
	// ACRValues are the levels of assurance accepted. FranceConnect's are
	// a ladder: the lowest listed is requested (acr_values) and the ID
	// token's acr must reach it (ErrACRTooLow); the default is eidas1, and
	// eidas2 on FranceConnect+ (eidas2 or eidas3 there). ProConnect's are a
	// set, requested through the claims parameter: the acr must be one of
	// them (ErrACRRefused; ErrACRUnknown for a value the library does not
	// know); the default is eidas1, eidas1-mfa, eidas2, eidas3: list only
	// the MFA levels (see ACR.MFA) to require a second factor, or see
	// AuthOptions.PreferredACR to prefer one.
	ACRValues []ACR
	// Levels declares levels the library does not know yet (a provider's
	// new acr value, from the day it is announced), with their rank and
	// whether they include a second factor; the built-in table stays in
	// force for the others. ACRValues may then list them. An acr that is
	// neither built in nor declared is still refused (ErrACRUnknown).
	Levels []Level
	// MaxAuthAge, when set, refuses a login whose authentication (the ID
	// token's auth_time) is older than it, or of unknown age
	// (ErrAuthTooOld): neither FranceConnect nor ProConnect honours
	// max_age, so the check is the service's. Logins then ask for a new
	// authentication (prompt=login) unless AuthOptions.Prompt says
	// otherwise. Client.Refresh keeps the session's auth_time and does not
	// apply it.
	MaxAuthAge time.Duration
	// Algorithm is the ID token and userinfo signing algorithm chosen at
	// registration: "ES256" (the default) or "RS256", and on ProConnect
	// also "HS256" keyed with the client secret. Tokens signed with
	// anything else are refused, whatever their header says. On
	// FranceConnectV1 the algorithm is always HS256 keyed with the client
	// secret and this field must be empty or "HS256".
	Algorithm string
	// UserInfoJSON says that the registration returns userinfo as plain
	// JSON (ProConnect, when no userinfo signing algorithm was registered)
	// rather than as a JWT signed with Algorithm. It is configured, never
	// guessed from a response: userinfo in the other format is refused
	// (ErrUserInfoFormat). ProConnect only.
	UserInfoJSON bool
	// DecryptionKeys are the service's private keys on FranceConnect+, which
	// encrypts ID tokens and userinfo for the key its JWE header names by
	// kid. Required on FranceConnect+, refused elsewhere. Each key is an RSA
	// private key (2048 bits or more) with alg RSA-OAEP or RSA-OAEP-256, or
	// an EC P-256 private key with alg ECDH-ES, with a unique kid; create
	// them with GenerateEncryptionKey and publish their public parts with
	// Client.EncryptionKeysHandler. Several keys allow rotation (README).
	DecryptionKeys []jose.JSONWebKey

	// Tenant names the tenant this registration serves, in a portal that
	// one vendor runs for many organisations (package tenant sets it): 1
	// to 64 letters, digits, '-' or '_'. It comes back in Result.Tenant and
	// in the client's log lines. Empty for a portal of one registration.
	Tenant string

	// HTTPClient is used for every call to the provider (token, userinfo,
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
	// FranceConnect's tokens live 60 s).
	ClockSkew time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives debug lines about each step (never a token, secret or
	// identity value). Nil disables logging.
	Logger *slog.Logger

	// AllowLogoutWithoutState accepts a logout return that carries no state
	// (a return with a wrong state is still refused). FranceConnect and
	// ProConnect echo the state, so leave it off unless a provider is known
	// not to.
	AllowLogoutWithoutState bool

	// TransactionTTL bounds how long a login attempt stays valid between
	// the redirect to the provider and the callback (default 10 min).
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
	// "<prefix>_0" to "<prefix>_2" for the pending logins and
	// "<prefix>_out0" to "<prefix>_out2" for the pending logouts (three of
	// each at most, the oldest giving way), each with the __Host- prefix on
	// https. Change it if it clashes with the portal's own cookies, and
	// give each client of a host its own (e.g. "pc_tx" for a ProConnect
	// client beside the FranceConnect one), so that they do not share the
	// slots (the tenants of one set share theirs).
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
	// minHMACSecret is the shortest client secret accepted with HS256,
	// where it is the HMAC key (FranceConnect's are 64 hexadecimal
	// characters).
	minHMACSecret = 32
)

// Format writes c without its secrets (client secret, cookie keys,
// decryption keys), for every verb: %v, %+v, %#v, %s.
func (c Config) Format(f fmt.State, _ rune) { io.WriteString(f, c.describe()) }

// LogValue is c without its secrets, for log/slog (whose JSON handler
// would otherwise print every field).
func (c Config) LogValue() slog.Value { return slog.StringValue(c.describe()) }

func (c Config) describe() string {
	return fmt.Sprintf("franceconnect.Config{Environment: %s, Tenant: %q, ClientID: %q, ClientSecret: %s, RedirectURL: %q, PostLogoutRedirectURL: %q, Scopes: %q, ACRValues: %s, Algorithm: %q, CookieKeys: %d redacted, DecryptionKeys: %d redacted}",
		c.Environment.Name, c.Tenant, c.ClientID, redacted(c.ClientSecret), c.RedirectURL, c.PostLogoutRedirectURL, c.Scopes, c.ACRValues, c.Algorithm, len(c.CookieKeys), len(c.DecryptionKeys))
}

func redacted(secret string) string {
	if secret == "" {
		return `""`
	}
	return "redacted"
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
