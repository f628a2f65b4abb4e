package franceconnect

import (
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/franceconnect-go/franceconnect/internal/seal"
)

// withDefaults returns a copy of c with defaults filled in, and every
// problem its field checks found, in one error wrapping ErrConfig.
func (c Config) withDefaults() (Config, error) {
	var problems []string
	for _, check := range []func() []string{
		c.checkEnvironment,
		c.checkAlgorithm, // before the credentials: HS256 needs a long secret
		c.checkCredentials,
		c.checkRedirects,
		c.checkACRValues,  // acr.go
		c.checkPlusFields, // pluskeys.go
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

// profile is the environment's profile; FranceConnect's when the
// environment is invalid (reported by checkEnvironment), so that the other
// fields are checked too.
func (c *Config) profile() *profile {
	if p := c.Environment.Federation.profile(); p != nil {
		return p
	}
	return FranceConnect.profile()
}

func (c *Config) checkEnvironment() []string {
	var problems []string
	if c.Environment == (Environment{}) {
		problems = append(problems, "Environment is not set: use franceconnect.Production, Sandbox, EnvironmentFromURL(...) or NewEnvironment(...)")
	} else if err := c.Environment.validate(); err != nil {
		problems = append(problems, err.Error())
	}
	if c.Tenant != "" && (len(c.Tenant) > 64 || !isStateID(c.Tenant)) {
		problems = append(problems, fmt.Sprintf("Tenant %s: use 1 to 64 letters, digits, '-' or '_'", safe(c.Tenant)))
	}
	return problems
}

func (c *Config) checkCredentials() []string {
	var problems []string
	switch id := c.ClientID; {
	case strings.TrimSpace(id) == "":
		problems = append(problems, "ClientID is empty")
	case strings.ContainsFunc(id, unicode.IsSpace):
		problems = append(problems, "ClientID has white space: copy it again from FranceConnect's partner space")
	}
	switch {
	case c.ClientSecret == "":
		problems = append(problems, "ClientSecret is empty")
	case strings.TrimSpace(c.ClientSecret) != c.ClientSecret:
		problems = append(problems, "ClientSecret starts or ends with white space or a line break (read from a file?): trim it")
	case c.Algorithm == "HS256" && len(c.ClientSecret) < minHMACSecret:
		// It is the HS256 key of the ID tokens.
		problems = append(problems, fmt.Sprintf("ClientSecret is %d bytes: it keys the ID tokens' HS256 signature and must be at least %d bytes", len(c.ClientSecret), minHMACSecret))
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
// default) or RS256 on v2, ES256 on FranceConnect+, and HS256 too on
// ProConnect. It also checks that userinfo may be JSON.
func (c *Config) checkAlgorithm() []string {
	p := c.profile()
	if c.Algorithm == "" {
		c.Algorithm = p.algorithms[0]
	}
	var problems []string
	switch alg := c.Algorithm; {
	case slices.Contains(p.algorithms, alg):
	case alg != "ES256" && alg != "RS256" && alg != "HS256":
		problems = append(problems, fmt.Sprintf("Algorithm %s is not supported: use %s", safe(alg), strings.Join(p.algorithms, " or ")))
	case len(p.algorithms) == 1:
		problems = append(problems, fmt.Sprintf("Algorithm %s: %s signs with %s only", alg, p.label, p.algorithms[0]))
	default:
		problems = append(problems, fmt.Sprintf("Algorithm %s is not offered on %s: register %s", alg, p.label, strings.Join(p.algorithms, " or ")))
	}
	if c.UserInfoJSON && !p.jsonUserInfo {
		problems = append(problems, fmt.Sprintf("UserInfoJSON: %s always signs userinfo (it is for ProConnect registrations without a userinfo signing algorithm)", p.label))
	}
	return problems
}

// checkScopes puts openid first and removes duplicates; the default is
// openid identite_pivot (openid given_name usual_name email siret idp_id
// on ProConnect).
func (c *Config) checkScopes() []string {
	var problems []string
	p := c.profile()
	scopes := []string{ScopeOpenID}
	if len(c.Scopes) == 0 {
		c.Scopes = p.defaultScopes
	}
	for _, s := range c.Scopes {
		switch known := closeScope(s, p.scopes); {
		case s == "" || strings.ContainsAny(s, " \t\r\n\"\\"):
			problems = append(problems, fmt.Sprintf("scope %q is not a scope token", s))
		case slices.Contains(p.removedScopes, s):
			problems = append(problems, fmt.Sprintf("scope %s is v1 only: FranceConnect v2 removed address and phone", s))
		case known != "" && known != s:
			problems = append(problems, fmt.Sprintf("scope %q is not a %s scope: did you mean %s?", s, p.name, known))
		case !slices.Contains(scopes, s):
			scopes = append(scopes, s)
		}
	}
	c.Scopes = scopes
	return problems
}

// closeScope returns the documented scope s is a spelling of, ignoring
// case, '-' against '_' and spaces; "" when there is none.
func closeScope(s string, documented []string) string {
	norm := func(s string) string { return strings.NewReplacer("-", "_", " ", "").Replace(strings.ToLower(s)) }
	for _, d := range documented {
		if norm(s) == d {
			return d
		}
	}
	return ""
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
	for i, k := range c.CookieKeys {
		if b, err := decodeKey(string(k)); err == nil && len(b) == seal.KeySize {
			problems = append(problems, fmt.Sprintf("CookieKeys[%d] is the base64 text of a key, not the key: decode it, e.g. with franceconnect.CookieKeysFromBase64", i))
		}
	}
	if len(c.CookieKeys) > 0 && len(problems) == 0 {
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
