package franceconnect

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// AuthOptions are the optional parameters of an authorization request.
// The zero value sends none of them. Their rules are checked by
// AuthCodeURL, and by LoginHandler when it is mounted.
type AuthOptions struct {
	// Prompt is "", "login", "consent" or "login consent". FranceConnect
	// honours it only for services on its allow-list ("login" then skips
	// the consent page), and refuses "none" and "select_account" (Y030007):
	// AuthCodeURL refuses them at once. ProConnect accepts "none" too: a
	// silent login that reuses the user's ProConnect session, or comes back
	// as ErrLoginRequired.
	Prompt string
	// Claims is the JSON claims request parameter, e.g. ClaimsAMR to get
	// the authentication methods in the ID token. On ProConnect the acr
	// request of Config.ACRValues is merged into it.
	Claims string
	// IDPHint sends the user straight to one identity provider (e.g.
	// France Identité). It is sent only when not empty; a hint FranceConnect
	// has not allowed for the service comes back as error=invalid_idp_hint
	// (ErrIDPHintRefused).
	IDPHint string
	// LoginHint (ProConnect) is the user's e-mail address, to fill in
	// ProConnect's first page.
	LoginHint string
	// SIRETHint (ProConnect) suggests the organisation (14-digit SIRET) to
	// log in for; the user may pick another, so check Agent.SIRET.
	SIRETHint string
	// PreferredACR (ProConnect) asks for these levels without requiring
	// them (essential false), e.g. EIDAS1MFA for « MFA if possible »:
	// ProConnect tries them (running its own e-mail code when the agent's
	// identity provider has no second factor), and a login at another level
	// of Config.ACRValues still succeeds; Result.IDToken says which level
	// came and whether a second factor took place. Each must be one of
	// Config.ACRValues. Empty, Config.ACRValues are required (essential
	// true): an agent who can reach none of them is stopped on ProConnect's
	// page (Y020032) and the service gets no callback; the pending login
	// expires.
	PreferredACR []ACR
}

// AMR values: the authentication methods an ID token's amr lists (RFC
// 8176, and ProConnect's own "mail"). The set is open: IDTokenClaims.AMR
// keeps a value not listed here as it came.
const (
	AMRPassword          = "pwd"
	AMRMail              = "mail" // ProConnect's e-mail code or link, which it adds to reach an "-mfa" level
	AMROTP               = "otp"  // a one-time code (was "totp" until June 2026)
	AMRPIN               = "pin"
	AMRProofOfPossession = "pop"
	AMRHardwareKey       = "hwk"
	AMRSoftwareKey       = "swk"
	AMRMFA               = "mfa" // several factors
)

// ClaimsAMR asks for the amr claim (authentication methods) in the ID token.
const ClaimsAMR = `{"id_token":{"amr":{"essential":true}}}`

// AuthRequest is an authorization request: the URL to send the browser to,
// and what the callback must check. Keep it (server side, or sealed as the
// handlers do) until the callback; use it once.
type AuthRequest struct {
	URL    string    // where to redirect the browser
	State  string    // compared with the callback's state
	Nonce  string    // compared with the ID token's nonce
	Expiry time.Time // the callback is refused after this instant
	// CodeVerifier is the PKCE verifier (ProConnect; empty on
	// FranceConnect, which refuses PKCE), sent with the code.
	CodeVerifier string
}

// newRandom returns 32 random bytes as 43 base64url characters (no dots;
// FranceConnect asks for 22 characters at least).
func newRandom() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return base64.RawURLEncoding.EncodeToString(b)
}

// AuthCodeURL builds the authorization request: the seven parameters
// FranceConnect requires (response_type=code, client_id, redirect_uri,
// scope with openid, state, nonce, acr_values with the lowest of
// Config.ACRValues), fresh random state and nonce of 43 characters, and
// the options. It sends nothing FranceConnect rejects: no PKCE, no
// response_mode. On ProConnect the levels go in the claims parameter
// instead of acr_values, with PKCE (S256), and nothing else is ever sent:
// ProConnect refuses unknown parameters (Y000400). With Config.MaxAuthAge
// and no AuthOptions.Prompt, it asks for a new authentication
// (prompt=login).
func (c *Client) AuthCodeURL(opts AuthOptions) (*AuthRequest, error) {
	if err := c.checkOptions(opts); err != nil {
		return nil, err
	}
	req := &AuthRequest{
		State:  newRandom(),
		Nonce:  newRandom(),
		Expiry: c.cfg.Now().Add(c.cfg.TransactionTTL),
	}
	q := url.Values{
		"response_type": {"code"},
		"client_id":     {c.cfg.ClientID},
		// FranceConnect decodes redirect_uri back to the registered string,
		// byte for byte: it is one opaque value, never parsed here.
		"redirect_uri": {c.cfg.RedirectURL},
		"scope":        {strings.Join(c.cfg.Scopes, " ")},
		"state":        {req.State},
		"nonce":        {req.Nonce},
	}
	claims := opts.Claims
	if c.floor != "" {
		q.Set("acr_values", string(c.floor))
	} else {
		var err error
		if claims, err = acrClaimsRequest(claims, c.cfg.ACRValues, opts.PreferredACR); err != nil {
			return nil, err
		}
	}
	if c.profile.pkce {
		req.CodeVerifier = oauth2.GenerateVerifier()
		q.Set("code_challenge", oauth2.S256ChallengeFromVerifier(req.CodeVerifier))
		q.Set("code_challenge_method", "S256")
	}
	if opts.Prompt == "" && c.cfg.MaxAuthAge > 0 {
		opts.Prompt = "login"
	}
	setIf(q, "prompt", opts.Prompt)
	setIf(q, "claims", claims)
	setIf(q, "idp_hint", opts.IDPHint)
	setIf(q, "login_hint", opts.LoginHint)
	setIf(q, "siret_hint", opts.SIRETHint)
	req.URL = withQuery(c.cfg.Environment.AuthorizationEndpoint, q)
	return req, nil
}

// withQuery appends q to endpoint, which may carry a query of its own. It
// builds every URL the browser is sent to (login and logout).
func withQuery(endpoint string, q url.Values) string {
	sep := "?"
	if strings.Contains(endpoint, "?") {
		sep = "&"
	}
	return endpoint + sep + q.Encode()
}

// setIf sets q[k] to v unless v is empty: an empty value is still a value.
func setIf(q url.Values, k, v string) {
	if v != "" {
		q.Set(k, v)
	}
}

// validate checks the options against the rules of the federation p.
func (o AuthOptions) validate(p *profile) error {
	if err := checkPrompt(o.Prompt, p); err != nil {
		return err
	}
	if o.Claims != "" && !jsonObject(o.Claims) {
		return fmt.Errorf("%w: claims must be a JSON object such as ClaimsAMR", ErrConfig)
	}
	if len(o.IDPHint) > 256 || len(o.LoginHint) > 256 {
		return fmt.Errorf("%w: idp_hint or login_hint is longer than 256 bytes", ErrConfig)
	}
	if (o.LoginHint != "" || o.SIRETHint != "") && !p.hints {
		return fmt.Errorf("%w: login_hint and siret_hint are ProConnect parameters: %s refuses them", ErrConfig, p.label)
	}
	if o.SIRETHint != "" && !ValidSIRET(o.SIRETHint) {
		return fmt.Errorf("%w: siret_hint is not a SIRET (14 digits with a valid checksum)", ErrConfig)
	}
	return nil
}

// checkOptions checks the options against the client's federation and
// levels.
func (c *Client) checkOptions(o AuthOptions) error {
	if err := o.validate(c.profile); err != nil {
		return err
	}
	for _, a := range o.PreferredACR {
		switch {
		case c.floor != "":
			return fmt.Errorf("%w: PreferredACR: %s asks for levels with acr_values, always required", ErrConfig, c.profile.label)
		case !slices.Contains(c.cfg.ACRValues, a):
			return fmt.Errorf("%w: PreferredACR %s is not one of Config.ACRValues (%s): it would be refused on return", ErrConfig, safe(string(a)), acrList(c.cfg.ACRValues))
		}
	}
	return nil
}

// checkPrompt accepts login, consent or both, and where silent logins are
// allowed (ProConnect) none alone.
func checkPrompt(prompt string, p *profile) error {
	if prompt == "" || prompt == "none" && p.silent {
		return nil
	}
	words := strings.Fields(prompt)
	ok := len(words) > 0 && len(words) <= 2 && strings.Join(words, " ") == prompt
	for i, w := range words {
		ok = ok && (w == "login" || w == "consent") && (i == 0 || w != words[0])
	}
	switch {
	case ok:
		return nil
	case p.silent:
		return fmt.Errorf("%w: prompt %s: %s accepts none (alone), login, consent or both", ErrConfig, safe(prompt), p.label)
	}
	return fmt.Errorf("%w: prompt %s: %s accepts login, consent or both", ErrConfig, safe(prompt), p.label)
}

// jsonObject reports whether s is a JSON object.
func jsonObject(s string) bool {
	var m map[string]any
	return decodeObject([]byte(s), &m) == nil
}

// LoginHandler starts a login with opts (usually the zero AuthOptions): it
// sends the browser to the provider and keeps the pending login in a
// sealed cookie for [Client.CallbackHandler]. Mount it on any path (e.g.
// "GET /fc/login").
//
// The optional query parameter "return" names the local path to come back
// to after login (e.g. /fc/login?return=%2Fdossiers%2F42). Only a local
// path is honoured (see [IsLocalPath]); anything else is replaced by
// Config.DefaultReturnPath.
//
// The pending-login cookie is described with [Config.CookieKeys]; a
// browser holds a bounded number of them, the oldest giving way to the
// newest. It panics without Config.CookieKeys or with invalid options: a
// configuration problem shows at start-up, not at the first login. In
// development, a login started on another loopback host than the redirect
// URL's (localhost against 127.0.0.1) is logged as such: the callback will
// not find its cookie. (Behind a reverse proxy the request's Host may be
// the proxy's upstream name: no warning there.)
func (c *Client) LoginHandler(opts AuthOptions) http.Handler {
	t := c.handlerCookies("LoginHandler", false)
	if err := c.checkOptions(opts); err != nil {
		panic("franceconnect: LoginHandler: " + strings.TrimPrefix(err.Error(), "franceconnect: "))
	}
	callbackHost := hostOf(c.cfg.RedirectURL)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if r.Host != callbackHost && isLoopback(hostname(r.Host)) && isLoopback(hostname(callbackHost)) {
			c.log(r.Context(), slog.LevelWarn, "franceconnect: login started on another host than the redirect URL's: the browser will not send the pending login's cookie to the callback",
				slog.String("host", printable(r.Host, 255)), slog.String("redirect_host", callbackHost))
		}
		req, err := c.AuthCodeURL(opts)
		if err == nil {
			err = t.startLogin(w, r, req, c.returnTo(r.URL.Query().Get(returnParam)))
		}
		if err != nil {
			c.failClosed(w, r, err)
			return
		}
		c.logDebug(r.Context(), "franceconnect: login started")
		http.Redirect(w, r, req.URL, http.StatusFound)
	})
}

// hostname is host without its port.
func hostname(host string) string { return (&url.URL{Host: host}).Hostname() }

// hostOf is the host (and port) of a validated URL.
func hostOf(raw string) string {
	u, _ := url.Parse(raw)
	return u.Host
}
