package franceconnect

// The baseline is the reference the benchmarks measure the library
// against: the FranceConnect login a careful developer would write by hand
// with go-oidc, x/oauth2 and go-jose, doing the same checks as the library
// on the happy path, and nothing more.
//
// It is test code, not a product: it exists only for the benchmarks
// (bench_test.go, bench_internal_test.go), exported to the external test
// package. It uses only go-oidc, x/oauth2, go-jose and the standard
// library.
//
// Checks, in order: callback error parameter; state (constant time); iss
// parameter (RFC 9207); code exchanged with client_secret_post
// (AuthStyleInParams) and the registered redirect_uri; token_type Bearer;
// ID token through oidc.IDTokenVerifier (signature with the algorithm
// pinned in SupportedSigningAlgs and the provider's keys from a
// RemoteKeySet, iss, aud, exp); nonce (constant time); acr a known eIDAS
// level at least the requested one; userinfo fetched with the bearer
// token, Content-Type application/jwt, read through a size limit, its JWT
// verified by the same verifier (go-jose underneath: signature with the
// pinned algorithm, iss, aud, exp); sub equal to the ID token's; claims
// decoded into a struct.
//
// The userinfo signature goes through the IDTokenVerifier rather than a
// direct go-jose call because RemoteKeySet does not expose its keys and
// its VerifySignature method accepts any algorithm (its documentation
// forbids calling it directly): the verifier is what a careful user has.

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// BaselineConfig is what the hand-written client knows.
type BaselineConfig struct {
	Issuer       string // e.g. https://oidc.franceconnect.gouv.fr/api/v2
	ClientID     string
	ClientSecret string
	RedirectURL  string
	Scopes       []string // "openid" included
	ACR          string   // requested and minimum accepted: eidas1...
	Algorithm    string   // ES256 or RS256

	AuthURL, TokenURL, UserInfoURL, JWKSURL string

	HTTPClient *http.Client     // required
	Now        func() time.Time // nil: time.Now
}

// BaselineRP is the hand-written relying party. Safe for concurrent use.
type BaselineRP struct {
	cfg      BaselineConfig
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
}

// NewBaseline builds the relying party; the key set is fetched lazily by go-oidc.
func NewBaseline(cfg BaselineConfig) *BaselineRP {
	ctx := oidc.ClientContext(context.Background(), cfg.HTTPClient)
	keys := oidc.NewRemoteKeySet(ctx, cfg.JWKSURL)
	return &BaselineRP{
		cfg: cfg,
		oauth: oauth2.Config{
			ClientID:     cfg.ClientID,
			ClientSecret: cfg.ClientSecret,
			RedirectURL:  cfg.RedirectURL,
			Scopes:       cfg.Scopes,
			Endpoint: oauth2.Endpoint{
				AuthURL:   cfg.AuthURL,
				TokenURL:  cfg.TokenURL,
				AuthStyle: oauth2.AuthStyleInParams, // client_secret_post
			},
		},
		verifier: oidc.NewVerifier(cfg.Issuer, keys, &oidc.Config{
			ClientID:             cfg.ClientID,
			SupportedSigningAlgs: []string{cfg.Algorithm},
			Now:                  cfg.Now,
		}),
	}
}

// BaselineTransaction is what the portal keeps between the redirect and the
// callback.
type BaselineTransaction struct {
	URL, State, Nonce, ACR string
}

// AuthCodeURL draws state and nonce (32 random bytes each) and builds the
// authorization URL with x/oauth2.
func (rp *BaselineRP) AuthCodeURL() BaselineTransaction {
	state, nonce := baselineRandom(), baselineRandom()
	u := rp.oauth.AuthCodeURL(state,
		oidc.Nonce(nonce),
		oauth2.SetAuthURLParam("acr_values", rp.cfg.ACR))
	return BaselineTransaction{URL: u, State: state, Nonce: nonce, ACR: rp.cfg.ACR}
}

func baselineRandom() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// BaselineIdentity is FranceConnect's userinfo, decoded into a struct.
type BaselineIdentity struct {
	Issuer            string   `json:"iss"`
	Subject           string   `json:"sub"`
	GivenName         string   `json:"given_name"`
	GivenNameArray    []string `json:"given_name_array"`
	FamilyName        string   `json:"family_name"`
	PreferredUsername string   `json:"preferred_username"`
	Birthdate         string   `json:"birthdate"`
	Gender            string   `json:"gender"`
	Birthplace        string   `json:"birthplace"`
	Birthcountry      string   `json:"birthcountry"`
	Email             string   `json:"email"`
	IDPBirthdate      string   `json:"idp_birthdate"`
	IDPID             string   `json:"idp_id"`
	AMR               []string `json:"amr"`
}

// BaselineResult is a verified login.
type BaselineResult struct {
	IDToken     *oidc.IDToken
	ACR         string
	Identity    *BaselineIdentity
	RawIDToken  string
	AccessToken string
}

var errBaselineCheck = errors.New("baseline: check failed")

// Exchange completes the login from the callback's query.
func (rp *BaselineRP) Exchange(ctx context.Context, tx BaselineTransaction, q url.Values) (*BaselineResult, error) {
	if e := q.Get("error"); e != "" {
		return nil, fmt.Errorf("%w: provider error %q", errBaselineCheck, e)
	}
	if tx.State == "" || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(tx.State)) != 1 {
		return nil, fmt.Errorf("%w: state", errBaselineCheck)
	}
	if q.Get("iss") != rp.cfg.Issuer {
		return nil, fmt.Errorf("%w: iss parameter", errBaselineCheck)
	}
	code := q.Get("code")
	if code == "" {
		return nil, fmt.Errorf("%w: no code", errBaselineCheck)
	}

	ctx = oidc.ClientContext(ctx, rp.cfg.HTTPClient)
	tok, err := rp.oauth.Exchange(ctx, code)
	if err != nil {
		return nil, err
	}
	if !strings.EqualFold(tok.TokenType, "Bearer") {
		return nil, fmt.Errorf("%w: token_type", errBaselineCheck)
	}
	raw, _ := tok.Extra("id_token").(string)
	idt, err := rp.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	if tx.Nonce == "" || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(tx.Nonce)) != 1 {
		return nil, fmt.Errorf("%w: nonce", errBaselineCheck)
	}
	var extra struct {
		ACR string `json:"acr"`
	}
	if err := idt.Claims(&extra); err != nil {
		return nil, err
	}
	if baselineRank(extra.ACR) == 0 || baselineRank(extra.ACR) < baselineRank(tx.ACR) {
		return nil, fmt.Errorf("%w: acr", errBaselineCheck)
	}

	id, err := rp.userInfo(ctx, tok.AccessToken, idt.Subject)
	if err != nil {
		return nil, err
	}
	return &BaselineResult{IDToken: idt, ACR: extra.ACR, Identity: id, RawIDToken: raw, AccessToken: tok.AccessToken}, nil
}

func (rp *BaselineRP) userInfo(ctx context.Context, accessToken, subject string) (*BaselineIdentity, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rp.cfg.UserInfoURL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/jwt")
	resp, err := rp.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: userinfo HTTP %d", errBaselineCheck, resp.StatusCode)
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/jwt" {
		return nil, fmt.Errorf("%w: userinfo is not a JWT", errBaselineCheck)
	}
	ui, err := rp.verifier.Verify(ctx, strings.TrimSpace(string(body)))
	if err != nil {
		return nil, err
	}
	if ui.Subject != subject {
		return nil, fmt.Errorf("%w: userinfo sub", errBaselineCheck)
	}
	var id BaselineIdentity
	if err := ui.Claims(&id); err != nil {
		return nil, err
	}
	return &id, nil
}

// VerifyIDToken runs the ID token checks alone (for the verification
// benchmark): go-oidc's verifier, then nonce and acr.
func (rp *BaselineRP) VerifyIDToken(ctx context.Context, raw, nonce, acr string) (*oidc.IDToken, error) {
	idt, err := rp.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return nil, fmt.Errorf("%w: nonce", errBaselineCheck)
	}
	var extra struct {
		ACR string `json:"acr"`
	}
	if err := idt.Claims(&extra); err != nil {
		return nil, err
	}
	if baselineRank(extra.ACR) == 0 || baselineRank(extra.ACR) < baselineRank(acr) {
		return nil, fmt.Errorf("%w: acr", errBaselineCheck)
	}
	return idt, nil
}

// DecodeUserInfo verifies a userinfo JWT and decodes it (for the userinfo
// benchmark).
func (rp *BaselineRP) DecodeUserInfo(ctx context.Context, raw, subject string) (*BaselineIdentity, error) {
	ui, err := rp.verifier.Verify(ctx, raw)
	if err != nil {
		return nil, err
	}
	if ui.Subject != subject {
		return nil, fmt.Errorf("%w: userinfo sub", errBaselineCheck)
	}
	var id BaselineIdentity
	if err := ui.Claims(&id); err != nil {
		return nil, err
	}
	return &id, nil
}

func baselineRank(acr string) int {
	if i := slices.Index([]string{"eidas1", "eidas2", "eidas3"}, acr); i >= 0 {
		return i + 1
	}
	return 0
}
