package franceconnect

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"

	"github.com/franceconnect-go/franceconnect/internal/httpx"
	"github.com/franceconnect-go/franceconnect/internal/keys"
)

// Client logs users in through one FranceConnect registration (one client
// ID in one environment). It is immutable and safe for concurrent use;
// create one per tenant. Creating a Client makes no network call; the
// provider's keys are fetched on the first callback and shared by every
// Client of the same environment and HTTP client.
type Client struct {
	cfg   Config
	keys  *keys.Set // nil on v1
	oauth oauth2.Config
	// tokenHTTP is cfg.HTTPClient with responses bounded to
	// maxTokenResponse, for x/oauth2, which would read up to 1 MiB.
	// Its Timeout is moved to tokenTimeout, which redeem applies as a
	// context deadline: for a RoundTripper it does not know (tokenHTTP
	// wraps the transport), net/http enforces Client.Timeout with a
	// goroutine and a timer per request.
	tokenHTTP    *http.Client
	tokenTimeout time.Duration
	log          *slog.Logger

	// authPrefix is the constant part of every authorization URL.
	authPrefix string
}

// New checks cfg and returns a Client. Every problem of the configuration
// is reported at once, in one error wrapping ErrConfig.
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg: cfg,
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			RedirectURL:  cfg.RedirectURL,
			Endpoint: oauth2.Endpoint{
				AuthURL:   cfg.Environment.AuthorizationEndpoint,
				TokenURL:  cfg.Environment.TokenEndpoint,
				AuthStyle: oauth2.AuthStyleInParams, // client_secret_post
			},
		},
		log: cfg.Logger,
	}
	c.tokenHTTP = httpx.LimitClient(cfg.HTTPClient, maxTokenResponse)
	c.tokenTimeout, c.tokenHTTP.Timeout = c.tokenHTTP.Timeout, 0
	if cfg.Environment.Version == V2 {
		c.keys = keys.Shared(cfg.Environment.JWKSURI, cfg.HTTPClient, cfg.Now)
	}
	c.authPrefix = c.buildAuthPrefix()
	return c, nil
}

// Environment returns the environment the client talks to.
func (c *Client) Environment() Environment { return c.cfg.Environment }

func (c *Client) buildAuthPrefix() string {
	var b strings.Builder
	b.WriteString(c.cfg.Environment.AuthorizationEndpoint)
	if strings.Contains(c.cfg.Environment.AuthorizationEndpoint, "?") {
		b.WriteByte('&')
	} else {
		b.WriteByte('?')
	}
	b.WriteString("response_type=code&client_id=")
	b.WriteString(url.QueryEscape(c.cfg.ClientID))
	// The redirect URI is escaped as one opaque value: FranceConnect
	// decodes it back to the registered string, byte for byte.
	b.WriteString("&redirect_uri=")
	b.WriteString(url.QueryEscape(c.cfg.RedirectURL))
	b.WriteString("&scope=")
	b.WriteString(url.QueryEscape(strings.Join(c.cfg.Scopes, " ")))
	b.WriteString("&acr_values=")
	b.WriteString(string(c.cfg.ACR))
	return b.String()
}

// AuthOptions are the optional parameters of an authorization request.
// The zero value sends none of them.
type AuthOptions struct {
	// Prompt is "", "login", "consent" or "login consent"; FranceConnect
	// refuses any other value.
	Prompt string
	// Claims is the JSON claims request parameter, e.g. ClaimsAMR to get
	// the authentication methods in the ID token.
	Claims string
	// IDPHint preselects an identity provider; FranceConnect refuses hints
	// it has not allowed for the portal.
	IDPHint string
}

// ClaimsAMR asks for the amr claim (authentication methods) in the ID token.
const ClaimsAMR = `{"id_token":{"amr":{"essential":true}}}`

// AuthRequest is an authorization request: the URL to send the browser to,
// and what the callback must check. Keep it (server side, or sealed as the
// handlers do) until the callback; use it once.
type AuthRequest struct {
	URL    string    // where to redirect the browser
	State  string    // compared with the callback's state
	Nonce  string    // compared with the ID token's nonce
	ACR    ACR       // minimum eIDAS level accepted
	Expiry time.Time // the callback is refused after this instant
}

// randomLen is the length of state and nonce: 32 random bytes, 43
// base64url characters without padding (no dots, FranceConnect asks for 22
// at least).
const randomLen = 43

// newRandom returns n independent random strings of randomLen characters.
func newRandom(buf []byte) {
	var raw [32]byte
	for i := 0; i < len(buf); i += randomLen {
		if _, err := rand.Read(raw[:]); err != nil {
			panic("franceconnect: crypto/rand failed: " + err.Error()) // unreachable since Go 1.24
		}
		base64.RawURLEncoding.Encode(buf[i:i+randomLen], raw[:])
	}
}

// AuthCodeURL builds the authorization request: the seven parameters
// FranceConnect requires (response_type=code, client_id, redirect_uri,
// scope with openid, state, nonce, acr_values), fresh random state and
// nonce, and the options. It sends nothing FranceConnect rejects: no PKCE,
// no response_mode.
func (c *Client) AuthCodeURL(opts AuthOptions) (*AuthRequest, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	var rnd [2 * randomLen]byte
	newRandom(rnd[:])
	// One allocation holds both strings.
	both := string(rnd[:])
	state, nonce := both[:randomLen], both[randomLen:]

	var b strings.Builder
	b.Grow(len(c.authPrefix) + 2*randomLen + 16 + len(opts.Prompt) + 3*len(opts.Claims) + 3*len(opts.IDPHint) + 40)
	b.WriteString(c.authPrefix)
	b.WriteString("&state=")
	b.WriteString(state)
	b.WriteString("&nonce=")
	b.WriteString(nonce)
	if opts.Prompt != "" {
		b.WriteString("&prompt=")
		b.WriteString(url.QueryEscape(opts.Prompt))
	}
	if opts.Claims != "" {
		b.WriteString("&claims=")
		b.WriteString(url.QueryEscape(opts.Claims))
	}
	if opts.IDPHint != "" {
		b.WriteString("&idp_hint=")
		b.WriteString(url.QueryEscape(opts.IDPHint))
	}
	return &AuthRequest{
		URL:    b.String(),
		State:  state,
		Nonce:  nonce,
		ACR:    c.cfg.ACR,
		Expiry: c.cfg.Now().Add(c.cfg.TransactionTTL),
	}, nil
}

func (o AuthOptions) validate() error {
	switch o.Prompt {
	case "", "login", "consent", "login consent", "consent login":
	default:
		return fmt.Errorf("%w: prompt %s: FranceConnect accepts login, consent or both", ErrConfig, safe(o.Prompt))
	}
	if o.Claims != "" && !jsonObject(o.Claims) {
		return fmt.Errorf("%w: claims must be a JSON object such as ClaimsAMR", ErrConfig)
	}
	if len(o.IDPHint) > 256 {
		return fmt.Errorf("%w: idp_hint is longer than 256 bytes", ErrConfig)
	}
	return nil
}

// logDebug logs one step at debug level when a logger is set. Callers pass
// only values that are not tokens, secrets or personal data.
func (c *Client) logDebug(ctx context.Context, msg string, attrs ...slog.Attr) {
	if c.log == nil || !c.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	c.log.LogAttrs(ctx, slog.LevelDebug, msg, append(attrs, slog.String("environment", c.cfg.Environment.Name), slog.String("client_id", c.cfg.ClientID))...)
}
