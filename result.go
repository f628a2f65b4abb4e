package franceconnect

import (
	"fmt"
	"io"
	"log/slog"
	"time"
)

// The verified login a callback gives, as the portal keeps it.

// Result is a verified login.
type Result struct {
	// Identity is the verified userinfo, typed (FranceConnect; nil on
	// ProConnect).
	Identity *Identity
	// Agent is the verified userinfo of a ProConnect login, typed (nil on
	// FranceConnect).
	Agent *Agent
	// IDToken holds the verified ID token claims (ACR, AMR, AuthTime...).
	IDToken *IDTokenClaims
	// RawIDToken is the ID token as received. Keep it (server side, with the
	// portal's session) until logout: LogoutURL needs it as id_token_hint.
	// On FranceConnect+ it is the decrypted, signed ID token (the JWS inside
	// the JWE), which is what FranceConnect+ expects as id_token_hint.
	RawIDToken string
	// AccessToken is FranceConnect's access token (valid 60 s), for the
	// portals that call FranceConnected APIs right after login.
	AccessToken string
	// AccessTokenExpiry is when AccessToken expires (60 s after the token
	// response on FranceConnect): call FranceConnected APIs (package
	// apiparticulier) before it, in onLogin, with a context of this
	// deadline.
	AccessTokenExpiry time.Time
	// RefreshToken is the refresh token when the provider sent one
	// (ProConnect does), empty otherwise. Keep it server side like a
	// password.
	RefreshToken string
	// Tenant is Config.Tenant: which tenant the login is for, in a portal
	// of many.
	Tenant string
	// ReturnTo is where CallbackHandler sends the user after login, safe to
	// give to http.Redirect: the local path the login link named
	// ("return"), else the destination of the registered callback URL
	// (Config.DestinationParam), else Config.DefaultReturnPath. Empty from
	// Exchange.
	ReturnTo string
}

// Format writes the result without its tokens or the person's data, for
// every verb: %v, %+v, %#v, %s.
func (r Result) Format(f fmt.State, _ rune) { io.WriteString(f, r.describe()) }

// LogValue is the result without its tokens or the person's data, for
// log/slog.
func (r Result) LogValue() slog.Value { return slog.StringValue(r.describe()) }

func (r Result) describe() string {
	var acr ACR
	if r.IDToken != nil {
		acr = r.IDToken.ACR
	}
	return fmt.Sprintf("franceconnect.Result{Tenant: %q, ACR: %q, Identity: %s, Agent: %s, RawIDToken: %s, AccessToken: %s, RefreshToken: %s, ReturnTo: %q}",
		r.Tenant, acr, present(r.Identity != nil), present(r.Agent != nil), redacted(r.RawIDToken), redacted(r.AccessToken), redacted(r.RefreshToken), r.ReturnTo)
}

// present says whether personal data is there, without it.
func present(ok bool) string {
	if ok {
		return "redacted"
	}
	return "nil"
}
