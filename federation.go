package franceconnect

import "fmt"

// Federation is the kind of provider an [Environment] belongs to. Its value
// carries everything that differs between the four (routes, algorithms,
// levels of assurance, allowed parameters, userinfo format, the user's
// type); every step of a login is the same code for all of them.
type Federation int

// The federations a Client speaks to.
const (
	// FranceConnect is FranceConnect v2 (/api/v2): eIDAS low (eidas1),
	// ES256 or RS256 ID tokens checked against the provider's key set,
	// userinfo as a signed JWT, logout at /session/end.
	FranceConnect Federation = iota + 1
	// FranceConnectPlus is FranceConnect+ (eIDAS substantial and high:
	// eidas2, eidas3): FranceConnect v2 whose ID tokens and userinfo are
	// signed with ES256, then encrypted for the service's key.
	FranceConnectPlus
	// ProConnect is the federation for public agents and professionals:
	// the levels are a set requested through the claims parameter, silent
	// login and login hints are allowed, ID tokens may be HS256 keyed with
	// the client secret, userinfo may be JSON, and the user is an [Agent].
	ProConnect
	// FranceConnectV1 is FranceConnect's legacy API (/api/v1): HS256 ID
	// tokens keyed with the client secret, JSON userinfo, logout at
	// /logout. FranceConnect closed it in September 2025; it is kept for
	// the portals that still carry v1 settings.
	FranceConnectV1
)

// String returns the federation's name as users read it: "FranceConnect",
// "FranceConnect+", "ProConnect" or "FranceConnect v1".
func (f Federation) String() string {
	if p := f.profile(); p != nil {
		return p.label
	}
	return fmt.Sprintf("Federation(%d)", int(f))
}

// profile is what differs between federations, as data. The steps of the
// login read it; it calls nothing.
type profile struct {
	name  string // the provider in messages: FranceConnect, FranceConnect+, ProConnect
	label string // Federation.String
	// api is the version in the endpoints' paths ("v2": endpoints under
	// the issuer; "v1": under issuer + "/api/v1", no key set, no
	// discovery, the callback's iss optional, JSON userinfo).
	api        string
	endSession string // the logout route
	// encrypted: ID tokens and userinfo are JWEs for the service's key.
	encrypted bool
	// algorithms are the ID token signing algorithms a registration may
	// have; the first is the default.
	algorithms []string
	// ladder lists the levels a Config may accept on a federation whose
	// levels are ordered (acr_values, at least the lowest accepted); nil
	// where they are a set (the claims parameter, ProConnect).
	ladder []ACR
	// defaultACR is Config.ACRValues' default.
	defaultACR []ACR
	// silent: prompt=none is allowed; hints: login_hint and siret_hint.
	silent, hints bool
	// jsonUserInfo: a registration may return userinfo as JSON (v2).
	jsonUserInfo bool
	// minRandom is the shortest state and nonce the provider accepts.
	minRandom int
	// agent: the user is an Agent, not an Identity.
	agent bool
	// pkce: logins use PKCE (S256); refresh: the provider issues refresh
	// tokens (Client.Refresh).
	pkce, refresh bool
	// scopes are the documented scopes, for typo detection;
	// defaultScopes those requested when Config.Scopes is empty;
	// removedScopes those the federation no longer grants.
	scopes, defaultScopes, removedScopes []string
}

var profiles = [...]profile{
	FranceConnect: {name: "FranceConnect", label: "FranceConnect", api: "v2", endSession: "/session/end",
		algorithms: []string{"ES256", "RS256"}, ladder: []ACR{EIDAS1}, defaultACR: []ACR{EIDAS1}, minRandom: 22,
		scopes: franceConnectScopes, defaultScopes: []string{ScopeIdentitePivot}, removedScopes: v1OnlyScopes},
	FranceConnectPlus: {name: "FranceConnect+", label: "FranceConnect+", api: "v2", endSession: "/session/end",
		encrypted: true, algorithms: []string{"ES256"}, ladder: []ACR{EIDAS2, EIDAS3}, defaultACR: []ACR{EIDAS2}, minRandom: 22,
		scopes: franceConnectScopes, defaultScopes: []string{ScopeIdentitePivot}, removedScopes: v1OnlyScopes},
	ProConnect: {name: "ProConnect", label: "ProConnect", api: "v2", endSession: "/session/end",
		algorithms: []string{"ES256", "RS256", "HS256"}, defaultACR: []ACR{EIDAS1, EIDAS1MFA, EIDAS2, EIDAS3},
		silent: true, hints: true, jsonUserInfo: true, minRandom: 32, agent: true, pkce: true, refresh: true,
		scopes: proConnectScopes, defaultScopes: []string{"given_name", ScopeUsualName, ScopeEmail, ScopeSIRET, ScopeIDPID}},
	FranceConnectV1: {name: "FranceConnect", label: "FranceConnect v1", api: "v1", endSession: "/logout",
		algorithms: []string{"HS256"}, ladder: []ACR{EIDAS1, EIDAS2, EIDAS3}, defaultACR: []ACR{EIDAS1},
		scopes: franceConnectScopes, defaultScopes: []string{ScopeIdentitePivot}},
}

// profile returns f's profile, nil for a value that is no federation.
func (f Federation) profile() *profile {
	if f <= 0 || int(f) >= len(profiles) {
		return nil
	}
	return &profiles[f]
}

// v1 reports whether the federation speaks the legacy API.
func (p *profile) v1() bool { return p.api == "v1" }

// franceConnectScopes are the scopes FranceConnect documents; others (new
// data-provider scopes) are accepted: the list only catches typos.
var franceConnectScopes = []string{ScopeOpenID, ScopeIdentitePivot, ScopeProfile, ScopeBirth, "given_name",
	"family_name", "gender", "birthdate", "birthplace", "birthcountry", ScopeEmail,
	ScopePreferredUsername, ScopeIDPBirthdate, ScopeIDPID, ScopeAMR, "address", "phone"}

// v1OnlyScopes are the scopes FranceConnect v2 removed.
var v1OnlyScopes = []string{"address", "phone"}

// proConnectScopes are the scopes ProConnect documents.
var proConnectScopes = []string{ScopeOpenID, "given_name", ScopeUsualName, ScopeEmail, ScopeUID, ScopeSIRET,
	ScopeSIREN, ScopeIDPID, "phone", "organizational_unit", "belonging_population", "chorusdt", "custom"}
