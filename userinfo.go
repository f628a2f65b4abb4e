package franceconnect

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"

	"github.com/franceconnect-go/franceconnect/internal/httpx"
)

const (
	// maxUserInfoSize bounds the userinfo response.
	maxUserInfoSize = 64 << 10
	// maxErrorBody bounds an error response we read.
	maxErrorBody = 16 << 10
)

// userInfo fetches userinfo with the access token and verifies it for the
// ID token's subject: on v2 a JWT signed like the ID token (encrypted like
// it on FranceConnect+), on FranceConnectV1 (and on ProConnect with
// Config.UserInfoJSON) plain JSON. It reads the claims into dst and
// returns them.
func (c *Client) userInfo(ctx context.Context, accessToken, subject string, dst userInfoClaims) ([]byte, error) {
	plain := c.profile.v1() || c.cfg.UserInfoJSON
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, c.cfg.Environment.UserInfoEndpoint, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: userinfo: %v", ErrProviderUnavailable, err)
	}
	hreq.Header.Set("Authorization", "Bearer "+accessToken)
	want := "application/jwt"
	if plain {
		want = "application/json"
	}
	hreq.Header.Set("Accept", want)
	resp, err := c.http.Do(hreq)
	if err != nil {
		if ctx.Err() != nil { // the caller's deadline or cancellation, or ours
			return nil, fmt.Errorf("%w: userinfo endpoint: %w", ErrProviderUnavailable, ctx.Err())
		}
		return nil, fmt.Errorf("%w: userinfo endpoint: %s", ErrProviderUnavailable, describeTransportError(err))
	}
	defer httpx.Drain(resp)
	if resp.StatusCode != http.StatusOK {
		return nil, userInfoError(resp)
	}
	body, err := httpx.ReadLimited(resp.Body, maxUserInfoSize)
	if err != nil {
		return nil, fmt.Errorf("%w: userinfo response: %v", ErrProviderUnavailable, err)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != want {
		return nil, fmt.Errorf("%w: want %s, got %s (Config.UserInfoJSON says which the registration returns)", ErrUserInfoFormat, want, safe(mt))
	}
	if !plain {
		return c.verifyUserInfoJWT(ctx, string(body), subject, dst)
	}
	if decodeObject(body, dst) != nil {
		return nil, errIdentityTypes
	}
	if err := checkSameSubject(dst.subject(), subject); err != nil {
		return nil, err
	}
	return body, nil
}

// userInfoClaims are a userinfo's claims as the client's profile reads
// them in one pass: the envelope of a signed userinfo and the user, an
// Identity on FranceConnect, an Agent on ProConnect.
type userInfoClaims interface {
	envelope() *envelopeClaims
	subject() string
	// setUser validates the user read from claims and sets it in res.
	setUser(res *Result, claims []byte) error
}

// newUserInfo returns what the client's userinfo is read into.
func (c *Client) newUserInfo() userInfoClaims {
	if c.profile.agent {
		return &agentUserInfo{}
	}
	return &identityUserInfo{}
}

// The two users; envelope and subject come with the embedded types.
type (
	identityUserInfo struct {
		envelopeClaims
		wireIdentity
	}
	agentUserInfo struct {
		envelopeClaims
		wireAgent
	}
)

func (u *identityUserInfo) setUser(res *Result, claims []byte) (err error) {
	res.Identity, err = u.identity(claims)
	return err
}

func (u *agentUserInfo) setUser(res *Result, claims []byte) (err error) {
	res.Agent, err = u.agent(claims)
	return err
}

func (e *envelopeClaims) envelope() *envelopeClaims { return e }
func (w *wireIdentity) subject() string             { return w.Sub }
func (w *wireAgent) subject() string                { return w.Sub }

// userInfoError reads a userinfo error answer (JSON body or
// WWW-Authenticate header) into a *ProviderError.
func userInfoError(resp *http.Response) error {
	pe := &ProviderError{Endpoint: "userinfo", StatusCode: resp.StatusCode}
	body, _ := httpx.ReadLimited(resp.Body, maxErrorBody)
	var e struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
		ErrorURI         string `json:"error_uri"`
	}
	if json.Unmarshal(body, &e) == nil {
		pe.Code = printable(e.Error, 64)
		pe.Description = printable(e.ErrorDescription, maxDescription)
		pe.YCode = yCode(e.ErrorURI)
	}
	return pe
}
