package franceconnect

import (
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Error values callers branch on with errors.Is. Every error the library
// returns for a bad callback, token or response wraps one of them (or is a
// *CallbackError or *ProviderError, which match some of them too).
// Messages say what was expected and what came, never a token, a secret, a
// nonce, a subject or an identity value.
//
// The first ones are those a portal acts on (StatusCode and UserMessage
// choose the page from them); the others name the check that failed, for
// logs and tests.
var (
	// ErrAccessDenied: the provider sent back error=access_denied (the
	// user cancelled, or the provider refused the identity). Show the
	// login page again.
	ErrAccessDenied = errors.New("franceconnect: access denied")
	// ErrLoginRequired (ProConnect): a silent login (AuthOptions.Prompt
	// "none") found no session to reuse: the provider sent back
	// login_required, consent_required or interaction_required. Show the
	// login button.
	ErrLoginRequired = errors.New("franceconnect: silent login impossible, the user must log in")
	// ErrTransactionExpired: the login (or logout) attempt is older than
	// its expiry. The user starts again.
	ErrTransactionExpired = errors.New("franceconnect: login attempt expired")
	// ErrRegistrationChanged (handlers): the registration (client ID,
	// environment or accepted levels) changed while this login was
	// pending: an administrator saved new settings, or a deployment
	// changed them. Nothing was exchanged; the user starts again.
	ErrRegistrationChanged = errors.New("franceconnect: the registration's settings changed during the login")
	// ErrProviderUnavailable: the provider could not be reached, timed out,
	// or answered with a server error or garbage. The user retries later.
	ErrProviderUnavailable = errors.New("franceconnect: provider unavailable")
	// ErrConfig: the configuration (or an option) is invalid. Every error
	// of New wraps it, and so does a handler mounted without what it needs.
	// An operator must act.
	ErrConfig = errors.New("franceconnect: invalid configuration")
	// ErrAgentNotAllowed: AgentPolicy.Allow refused a ProConnect agent.
	ErrAgentNotAllowed = errors.New("franceconnect: agent not allowed on this service")
	// ErrAuthTooOld: with Config.MaxAuthAge, the user authenticated too
	// long ago (or the ID token does not say when). The user logs in
	// again.
	ErrAuthTooOld = errors.New("franceconnect: authentication too old")

	// ErrStateMismatch: the callback's (or logout return's) state is missing
	// or is not the one this attempt sent.
	ErrStateMismatch = errors.New("franceconnect: state mismatch")
	// ErrNoTransaction (handlers): no pending login (or logout) of this
	// browser matches the request: it was never started here, was already
	// completed (a replayed callback), or the browser dropped the cookie
	// once its lifetime had passed. It matches ErrStateMismatch too.
	ErrNoTransaction = fmt.Errorf("%w: no pending login or logout in this browser matches the request", ErrStateMismatch)
	// ErrInvalidTransaction (handlers): the pending login's cookie was
	// altered, was sealed under a key that is no longer in
	// Config.CookieKeys, or belongs to another registration (another
	// tenant's callback URL). It matches ErrStateMismatch too.
	ErrInvalidTransaction = fmt.Errorf("%w: invalid transaction cookie", ErrStateMismatch)
	// ErrLogout: every error of LogoutReturnHandler wraps it, beside the
	// cause, so that UserMessage speaks of logout.
	ErrLogout = errors.New("franceconnect: logout not verified")
	// ErrMissingCode: the callback has neither a code nor an error.
	ErrMissingCode = errors.New("franceconnect: callback without code")
	// ErrIDPHintRefused: the provider sent back error=invalid_idp_hint: the
	// AuthOptions.IDPHint is not among the identity providers it allows
	// for this service.
	ErrIDPHintRefused = errors.New("franceconnect: identity provider hint not allowed")

	// ErrIssuerMismatch: an iss (callback parameter, ID token, userinfo,
	// discovery) is not the environment's issuer, or is missing where it is
	// required.
	ErrIssuerMismatch = errors.New("franceconnect: issuer mismatch")
	// ErrAudienceMismatch: aud does not contain the client ID, or names
	// another party too.
	ErrAudienceMismatch = errors.New("franceconnect: audience mismatch")
	// ErrTokenExpired: exp is in the past (beyond the clock skew).
	ErrTokenExpired = errors.New("franceconnect: token expired")
	// ErrIssuedAt: iat is in the future or too far in the past.
	ErrIssuedAt = errors.New("franceconnect: token issued at an invalid time")
	// ErrNonceMismatch: the ID token's nonce is missing or not the one sent.
	ErrNonceMismatch = errors.New("franceconnect: nonce mismatch")
	// ErrACRTooLow: acr is missing, unknown, or lower than accepted. It
	// matches ErrACRUnknown and ErrACRRefused too.
	ErrACRTooLow = errors.New("franceconnect: eIDAS level too low")
	// ErrACRUnknown: acr is a value the library does not know (a level
	// the provider added, or garbage): tell it apart from a refused level
	// to update the library or Config.ACRValues rather than refuse users.
	// It matches ErrACRTooLow.
	ErrACRUnknown = fmt.Errorf("%w: unknown level", ErrACRTooLow)
	// ErrACRRefused (ProConnect): acr is missing, or a known level that is
	// not among Config.ACRValues. It matches ErrACRTooLow.
	ErrACRRefused = fmt.Errorf("%w: level not accepted", ErrACRTooLow)
	// ErrSubjectMismatch: userinfo's sub differs from the ID token's.
	ErrSubjectMismatch = errors.New("franceconnect: subject mismatch")
	// ErrAlgorithm: the token is signed (or encrypted) with an algorithm
	// other than the one configured. On FranceConnect+ also: a token that
	// is only signed where a JWE is expected, and an encryption algorithm
	// FranceConnect+ does not use (PBES2, dir, key wrapping, an enc other
	// than A256GCM); elsewhere, an encrypted token.
	ErrAlgorithm = errors.New("franceconnect: unexpected token algorithm")
	// ErrSignature: the signature does not verify, or at_hash (when
	// present) does not bind the ID token to the access token.
	ErrSignature = errors.New("franceconnect: invalid token signature")
	// ErrUnknownKey: no key of the provider matches the token's kid, even
	// after refreshing the key set; on FranceConnect+, also a JWE whose kid
	// is none of Config.DecryptionKeys.
	ErrUnknownKey = errors.New("franceconnect: unknown key")
	// ErrDecryption: a FranceConnect+ token names one of
	// Config.DecryptionKeys with the right algorithm, but does not decrypt
	// with it (altered in transit, or encrypted for another key with the
	// same kid).
	ErrDecryption = errors.New("franceconnect: token does not decrypt")
	// ErrMalformedToken: the token is not a well-formed compact JWS/JWE, is
	// too large, lacks a required claim (sub, exp, iat), or its claims are
	// not a JSON object of the right types (claim names are exact; a claim
	// given twice is refused).
	ErrMalformedToken = errors.New("franceconnect: malformed token")
	// ErrUserInfoFormat: userinfo came in the wrong format (JSON where a
	// signed JWT is expected, or the reverse).
	ErrUserInfoFormat = errors.New("franceconnect: unexpected userinfo format")
	// ErrInvalidIdentity: a claim of the identity is missing (sub) or has
	// an invalid format.
	ErrInvalidIdentity = errors.New("franceconnect: invalid identity claim")
	// ErrInvalidClient: the token endpoint refused the client credentials.
	ErrInvalidClient = errors.New("franceconnect: client authentication failed")
	// ErrInvalidGrant: the token endpoint refused the code (unknown, used,
	// expired, issued to another redirect URI, or its PKCE verifier), or on
	// Client.Refresh the refresh token (expired, revoked, or already used:
	// the user logs in again).
	ErrInvalidGrant = errors.New("franceconnect: authorization code or refresh token refused")
)

// CallbackError is an error the provider sent back to the redirect URI
// (error, error_description). It matches ErrAccessDenied for
// access_denied, ErrIDPHintRefused for invalid_idp_hint, ErrLoginRequired
// for login_required, consent_required and interaction_required. The
// codes FranceConnect sends:
// access_denied (the user cancelled, "User auth aborted"), invalid_acr,
// invalid_scope, invalid_request, invalid_idp_hint ("An idp_hint was
// provided but is not allowed"), login_required, consent_required,
// server_error. Problems FranceConnect cannot send back (unknown client
// Y04EA6EF, unregistered redirect_uri Y04C013C, invalid parameters
// Y030007, Y040001, unreachable sector_identifier_uri Y04A8220) are pages
// it shows the user: the portal never sees them (README: Troubleshooting).
type CallbackError struct {
	Code        string // e.g. access_denied, invalid_acr, server_error
	Description string // e.g. "User auth aborted"
	provider    string // who sent it, for Error (FranceConnect when empty)
}

// Error names the provider and the code, e.g. "franceconnect: FranceConnect
// returned access_denied: User auth aborted".
func (e *CallbackError) Error() string {
	msg := "franceconnect: " + cmp.Or(e.provider, "FranceConnect") + " returned " + e.Code
	if e.Description == "" {
		return msg
	}
	return msg + ": " + e.Description
}

// Is reports whether target is the error of the code: ErrAccessDenied for
// access_denied, ErrIDPHintRefused for invalid_idp_hint, ErrLoginRequired
// for login_required, consent_required and interaction_required.
func (e *CallbackError) Is(target error) bool {
	switch target {
	case ErrAccessDenied:
		return e.Code == "access_denied"
	case ErrIDPHintRefused:
		return e.Code == "invalid_idp_hint"
	case ErrLoginRequired:
		return e.Code == "login_required" || e.Code == "consent_required" || e.Code == "interaction_required"
	}
	return false
}

// ProviderError is an HTTP error from the token, userinfo or revocation
// endpoint. It
// matches ErrInvalidClient (invalid_client), ErrInvalidGrant (invalid_grant)
// or ErrProviderUnavailable (5xx, and 200 answers that are unusable, such
// as a token response without id_token).
type ProviderError struct {
	Endpoint    string // "token", "userinfo" or "revocation"
	StatusCode  int    // HTTP status; 200 for an unusable answer
	Code        string // OAuth error code, e.g. invalid_grant
	Description string // error_description
	// YCode is FranceConnect's own error code, taken from the code
	// parameter of error_uri: Y0434A7B (401 invalid_client: wrong client ID
	// or secret), Y048017B (a missing parameter), Y049E20B (invalid_grant:
	// the code is unknown, used, expired, or issued to another
	// redirect_uri); look others up in FranceConnect's error catalogue.
	YCode string
}

// Error names the endpoint, the HTTP status, the OAuth code and the Y-code.
func (e *ProviderError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "franceconnect: %s endpoint answered HTTP %d", e.Endpoint, e.StatusCode)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.YCode != "" {
		b.WriteString(" (" + e.YCode + ")")
	}
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	return b.String()
}

// Is matches the sentinel that describes the error's cause.
func (e *ProviderError) Is(target error) bool {
	switch target {
	case ErrInvalidClient:
		return e.Code == "invalid_client" || e.StatusCode == 401 && e.Endpoint != "userinfo"
	case ErrInvalidGrant:
		return e.Code == "invalid_grant"
	case ErrProviderUnavailable:
		return e.StatusCode >= 500 || e.StatusCode == 0 || e.StatusCode == 200
	}
	return false
}

// yCode extracts FranceConnect's Y-code from an error_uri such as
// https://docs.partenaires.franceconnect.gouv.fr/fs/fs-technique/fs-technique-erreurs/?code=Y049E20B&id=...
func yCode(errorURI string) string {
	u, err := url.Parse(errorURI)
	if errorURI == "" || err != nil {
		return ""
	}
	code := u.Query().Get("code")
	if len(code) > 16 || strings.ContainsFunc(code, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	}) {
		return ""
	}
	return code
}

// safe returns a short printable form of a value that came from the network
// and is not personal data (an algorithm name, an error code), so that
// messages stay readable and bounded.
func safe(s string) string {
	const max = 64
	if len(s) > max {
		s = s[:max] + "..."
	}
	return fmt.Sprintf("%q", s)
}

// printable bounds s and replaces every rune that is not printable (C0 and
// C1 controls, NEL, line and paragraph separators, bidi and other format
// characters) or not valid UTF-8, so that a provider's (or an attacker's)
// text cannot forge or disguise log lines.
func printable(s string, max int) string {
	if len(s) > max {
		s = s[:max]
	}
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || !unicode.IsPrint(r) {
			return '?'
		}
		return r
	}, s)
}
