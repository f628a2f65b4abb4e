package tenant

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/franceconnect-go/franceconnect"
)

// URLs are the strings a tenant declares in FranceConnect's partner space,
// byte for byte, and gives to its franceconnect.Config.
type URLs struct {
	// RedirectURL is the login callback URL (Config.RedirectURL).
	RedirectURL string
	// PostLogoutRedirectURL is the post-logout URL, the same for every
	// tenant of the portal (tenant.Config.PostLogoutRedirectURL).
	PostLogoutRedirectURL string
	// DestinationParam is the query parameter of RedirectURL that names
	// where the user lands after login ("" when it has none).
	DestinationParam string
}

// Config returns base with the URLs set.
func (u URLs) Config(base franceconnect.Config) franceconnect.Config {
	base.RedirectURL, base.PostLogoutRedirectURL, base.DestinationParam = u.RedirectURL, u.PostLogoutRedirectURL, u.DestinationParam
	return base
}

// GrantPortalURLs returns the URLs of tenant on a grant-portal product
// served at base (an https origin such as "https://aides.example", or
// http on a loopback host):
//
//	login callback: {base}/account-management/{tenant}-demandeurs/france-connect/code?redirectUrl={base}/aides/#/{tenant}/connecte/dashboard/accueil&jwtKey=jwt-{tenant}-portail-depot-demande-aides
//	post-logout:    {base}/aides
//
// where the redirectUrl value is percent-encoded (%3A%2F%2F...%23...).
// The callback carries the page the user lands on after login
// (DestinationParam "redirectUrl"); the post-logout URL, also the page of
// the FranceConnect button, is the same for every tenant.
func GrantPortalURLs(base, tenant string) (URLs, error) {
	b, err := checkBase(base, tenant)
	if err != nil {
		return URLs{}, err
	}
	landing := b + "/aides/#/" + tenant + "/connecte/dashboard/accueil"
	return URLs{
		RedirectURL: b + "/account-management/" + tenant + "-demandeurs/france-connect/code" +
			"?redirectUrl=" + url.QueryEscape(landing) + "&jwtKey=jwt-" + tenant + "-portail-depot-demande-aides",
		PostLogoutRedirectURL: b + "/aides",
		DestinationParam:      "redirectUrl",
	}, nil
}

// GenericURLs returns the URLs of tenant for any other portal served at
// base: {base}/fc/{tenant}/callback and, shared, {base}/fc/logged-out.
func GenericURLs(base, tenant string) (URLs, error) {
	b, err := checkBase(base, tenant)
	if err != nil {
		return URLs{}, err
	}
	return URLs{RedirectURL: b + "/fc/" + tenant + "/callback", PostLogoutRedirectURL: b + "/fc/logged-out"}, nil
}

// checkBase returns base without a trailing slash, if it is an origin
// that New accepts in a redirect URL and tenant is a tenant name.
func checkBase(base, tenant string) (string, error) {
	b := strings.TrimSuffix(base, "/")
	u, err := url.Parse(b)
	switch {
	case !validName(tenant):
		return "", fmt.Errorf("%w: tenant name %q: use 1 to 64 letters, digits, '-' or '_'", franceconnect.ErrConfig, printable(tenant))
	case err != nil || u.Host == "" || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return "", fmt.Errorf("%w: base %q: want an origin such as https://aides.example", franceconnect.ErrConfig, printable(base))
	case u.Scheme != "https" && !(u.Scheme == "http" && isLoopbackURL(b)):
		return "", fmt.Errorf("%w: base %q: use https (http only on this machine)", franceconnect.ErrConfig, printable(base))
	}
	return b, nil
}

// validName reports whether name is a tenant name: 1 to 64 letters,
// digits, '-' or '_'.
func validName(name string) bool {
	return name != "" && len(name) <= 64 && !strings.ContainsFunc(name, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	})
}
