package franceconnect

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"golang.org/x/oauth2"

	"github.com/franceconnect-go/franceconnect/internal/httpx"
)

// Sessions longer than an access token (ProConnect): Refresh renews them
// with the refresh token, Revoke ends them at the provider.

// Refresh renews a session with its refresh token (ProConnect, whose
// access token lives an hour and refresh token two): rawIDToken is the ID
// token of the login, or of the last refresh, as the portal keeps it with
// the session. The new ID token is verified as strictly as a login's
// (signature, issuer, audience, expiry, a level of Config.ACRValues), and
// must name the session's subject and keep its auth_time (and its nonce,
// when it has one).
//
// The Result holds the new tokens: keep RawIDToken (for logout) and
// RefreshToken (ProConnect rotates it: the old one no longer works);
// Identity and Agent are nil, userinfo is not called. An expired, revoked
// or used refresh token is ErrInvalidGrant: the user logs in again. A
// federation that issues no refresh token (FranceConnect) gets ErrConfig.
func (c *Client) Refresh(ctx context.Context, refreshToken, rawIDToken string) (*Result, error) {
	res, err := c.refresh(ctx, refreshToken, rawIDToken)
	if err != nil {
		c.logFailure(ctx, "franceconnect: refresh failed", err)
		return nil, c.named(err)
	}
	c.logDebug(ctx, "franceconnect: session refreshed", slog.String("acr", string(res.IDToken.ACR)))
	return res, nil
}

func (c *Client) refresh(ctx context.Context, refreshToken, rawIDToken string) (*Result, error) {
	switch {
	case !c.profile.refresh:
		return nil, fmt.Errorf("%w: %s issues no refresh token", ErrConfig, c.profile.label)
	case refreshToken == "" || len(refreshToken) > maxClaimLen:
		return nil, fmt.Errorf("%w: no refresh token, or one longer than %d bytes", ErrInvalidGrant, maxClaimLen)
	}
	prev, err := c.sessionClaims(rawIDToken)
	if err != nil {
		return nil, err
	}
	requested := c.cfg.Now()
	tok, err := c.tokenRequest(ctx, func(ctx context.Context) (*oauth2.Token, error) {
		return c.oauth.TokenSource(ctx, &oauth2.Token{RefreshToken: refreshToken}).Token()
	})
	if err != nil {
		return nil, err
	}
	raw, err := idTokenOf(tok)
	if err != nil {
		return nil, err
	}
	idt, err := c.verifyIDTokenFor(ctx, raw, idTokenWant{prev: prev}, tok.AccessToken)
	if err != nil {
		return nil, err
	}
	return &Result{IDToken: idt, RawIDToken: raw, AccessToken: tok.AccessToken, AccessTokenExpiry: accessExpiry(tok, requested),
		RefreshToken: tok.RefreshToken, Tenant: c.cfg.Tenant}, nil
}

// sessionClaims reads the claims of the session's ID token, which the
// portal kept after verifying it: its signature is not checked again (the
// key that signed it may have rotated away since).
func (c *Client) sessionClaims(raw string) (*idTokenClaims, error) {
	if len(raw) > maxTokenSize {
		return nil, fmt.Errorf("%w: the session's ID token is larger than %d bytes", ErrMalformedToken, maxTokenSize)
	}
	jws, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(c.cfg.Algorithm)})
	if err != nil {
		return nil, fmt.Errorf("%w: the session's ID token: %v", ErrMalformedToken, err)
	}
	var prev idTokenClaims
	if decodeObject(jws.UnsafePayloadWithoutVerification(), &prev) != nil || prev.Sub == "" {
		return nil, fmt.Errorf("%w: the session's ID token has no subject", ErrMalformedToken)
	}
	return &prev, nil
}

// maxRevocationResponse bounds the revocation endpoint's answer.
const maxRevocationResponse = 64 << 10

// Revoke revokes token at the provider's revocation endpoint (RFC 7009,
// client_secret_post): at logout, the session's refresh token
// (ProConnect), which ends the session for the provider too. A token the
// provider no longer knows counts as revoked. Errors: ErrConfig when the
// environment has no RevocationEndpoint, ErrInvalidClient,
// ErrProviderUnavailable.
func (c *Client) Revoke(ctx context.Context, token string) error {
	err := c.revoke(ctx, token)
	if err != nil {
		c.logFailure(ctx, "franceconnect: revocation failed", err)
		return c.named(err)
	}
	return nil
}

func (c *Client) revoke(caller context.Context, token string) error {
	endpoint := c.cfg.Environment.RevocationEndpoint
	if endpoint == "" {
		return fmt.Errorf("%w: the environment has no RevocationEndpoint", ErrConfig)
	}
	form := url.Values{"token": {token}, "client_id": {c.cfg.ClientID}, "client_secret": {c.cfg.ClientSecret}}
	ctx, cancel := c.withTimeout(caller)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("%w: RevocationEndpoint: %v", ErrConfig, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%w: revocation endpoint: %s", ErrProviderUnavailable, describeTransportError(err))
	}
	defer httpx.Drain(resp)
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var answer struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	body, _ := httpx.ReadLimited(resp.Body, maxRevocationResponse)
	_ = decodeObject(body, &answer)
	return &ProviderError{Endpoint: "revocation", StatusCode: resp.StatusCode, Code: printable(answer.Error, 64), Description: printable(answer.Description, maxDescription)}
}
