package franceconnect

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/franceconnect-go/franceconnect/internal/httpx"
	"github.com/franceconnect-go/franceconnect/internal/keys"
)

// Client logs users in through one registration (one client ID in one
// environment). It is immutable and safe for concurrent use. Creating a
// Client makes no network call; the provider's keys are fetched on the
// first callback and shared by every Client of the same environment and
// HTTP client. Many registrations in one process (a portal for many
// organisations) are composed by package tenant.
type Client struct {
	cfg     Config
	profile *profile  // the federation's
	floor   ACR       // the least level accepted on a ladder, "" for a set
	keys    *keys.Set // nil with HS256 (v1, ProConnect)
	oauth   oauth2.Config
	// http is cfg.HTTPClient without redirects and without Timeout, which
	// withTimeout applies as a context deadline instead (for the
	// RoundTripper tokenHTTP wraps, net/http would enforce Client.Timeout
	// with a goroutine per request).
	http *http.Client
	// tokenHTTP is http with responses bounded to maxTokenResponse, for
	// x/oauth2, which would read up to 1 MiB.
	tokenHTTP *http.Client
	// timeout bounds each call: cfg.HTTPClient's Timeout, or
	// defaultHTTPTimeout when it has none.
	timeout time.Duration
	logger  *slog.Logger

	// destination is where the user lands after login, from
	// Config.DestinationParam ("" when unset).
	destination string
	// transactions prepares the handlers' cookies once.
	transactions func() (*txCookies, error)
}

// New checks cfg and returns a Client. Every problem of the configuration
// is reported at once, in one error wrapping ErrConfig.
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{
		cfg:     cfg,
		profile: cfg.Environment.Federation.profile(),
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
		logger: cfg.Logger,
	}
	c.http = httpx.NoRedirects(cfg.HTTPClient)
	c.timeout, c.http.Timeout = cmp.Or(c.http.Timeout, defaultHTTPTimeout), 0
	c.tokenHTTP = httpx.LimitClient(c.http, maxTokenResponse)
	if cfg.Algorithm != "HS256" {
		c.keys = keys.Shared(cfg.Environment.JWKSURI, cfg.HTTPClient, cfg.Now)
	}
	if c.profile.ladder != nil {
		c.floor = floor(cfg.ACRValues, cfg.Levels)
	}
	c.destination, _ = cfg.destination() // checked by withDefaults
	if c.profile.v1() {
		c.log(context.Background(), slog.LevelWarn, "franceconnect: FranceConnect v1 closed in September 2025: ask for v2 credentials in the partner space and use a v2 environment")
	}
	c.transactions = sync.OnceValues(c.newTransactions)
	return c, nil
}

// Format writes the client without its secrets, for every verb: %v, %+v,
// %#v, %s.
func (c *Client) Format(f fmt.State, _ rune) {
	io.WriteString(f, "franceconnect.Client("+c.cfg.describe()+")")
}

// withTimeout bounds a call to the provider in time, even when the portal's
// HTTP client has no Timeout.
func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, c.timeout)
}

// Environment returns the environment the client talks to.
func (c *Client) Environment() Environment { return c.cfg.Environment }

// logDebug logs one step at debug level when a logger is set. Callers pass
// only values that are not tokens, secrets or personal data.
func (c *Client) logDebug(ctx context.Context, msg string, attrs ...slog.Attr) {
	c.log(ctx, slog.LevelDebug, msg, attrs...)
}

// log logs at level when a logger is set, with the environment and client
// ID. Callers pass only values that are not tokens, secrets or personal
// data.
func (c *Client) log(ctx context.Context, level slog.Level, msg string, attrs ...slog.Attr) {
	if c.logger == nil || !c.logger.Enabled(ctx, level) {
		return
	}
	c.logger.LogAttrs(ctx, level, msg, append(attrs, c.logAttrs()...)...)
}

// logError logs at error level when a logger is set. err must hold no
// token, secret or personal data (the library's errors do not).
func (c *Client) logError(ctx context.Context, msg string, err error) {
	c.log(ctx, slog.LevelError, msg, slog.String("error", err.Error()))
}

// logFailure logs a failed login or logout at the level its cause calls
// for: what an operator must act on (configuration, client credentials) at
// ERROR, what may be the provider's or an attacker's doing (provider down,
// unknown key, refused token, state mismatch) at WARN, the user's own
// doing (cancellation, expired or replayed attempt) at INFO. FranceConnect's
// Y-code comes with it when the provider sent one.
func (c *Client) logFailure(ctx context.Context, msg string, err error) {
	level := slog.LevelWarn
	switch {
	case errors.Is(err, ErrConfig), errors.Is(err, ErrInvalidClient):
		level = slog.LevelError
	case errors.Is(err, ErrAccessDenied), errors.Is(err, ErrLoginRequired), errors.Is(err, ErrTransactionExpired), errors.Is(err, ErrNoTransaction), errors.Is(err, ErrRegistrationChanged):
		level = slog.LevelInfo
	}
	attrs := []slog.Attr{slog.String("error", err.Error())}
	if pe := (*ProviderError)(nil); errors.As(err, &pe) && pe.YCode != "" {
		attrs = append(attrs, slog.String("y_code", pe.YCode))
	}
	c.log(ctx, level, msg, attrs...)
}

func (c *Client) logAttrs() []slog.Attr {
	attrs := []slog.Attr{slog.String("environment", c.cfg.Environment.Name), slog.String("client_id", c.cfg.ClientID)}
	if c.cfg.Tenant != "" {
		attrs = append(attrs, slog.String("tenant", c.cfg.Tenant))
	}
	return attrs
}
