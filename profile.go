package franceconnect

import (
	"fmt"
	"slices"
	"strings"
)

// profile is what differs between the federations a Client speaks to,
// as data; everything else (callback checks, code redemption, token and
// userinfo verification, logout, cookies, key cache, handlers) is one
// pipeline.
type profile struct {
	name string // in messages: FranceConnect, FranceConnect+, ProConnect
	// algorithms are the ID token signing algorithms a registration may
	// have; the first is the default.
	algorithms []string
	// acrSet: the levels are a set requested through the claims parameter
	// (Config.ACRValues), not a ladder requested with acr_values.
	acrSet bool
	// silent: prompt=none is allowed.
	silent bool
	// hints: login_hint and siret_hint are allowed (idp_hint always is).
	hints bool
	// jsonUserInfo: a registration may return userinfo as JSON on v2.
	jsonUserInfo bool
	// scopes are the documented scopes, for typo detection;
	// defaultScopes those requested when Config.Scopes is empty;
	// removedScopes those of v1 that v2 no longer has.
	scopes, defaultScopes, removedScopes []string
	// user returns what userinfo is read into: an Identity, or an Agent.
	user func() userInfoClaims
}

var (
	franceConnectV2 = profile{name: "FranceConnect", algorithms: []string{"ES256", "RS256"},
		scopes: documentedScopes, defaultScopes: []string{ScopeIdentitePivot}, removedScopes: v1OnlyScopes, user: newIdentityUserInfo}
	franceConnectV1 = profile{name: "FranceConnect", algorithms: []string{"HS256"},
		scopes: documentedScopes, defaultScopes: []string{ScopeIdentitePivot}, user: newIdentityUserInfo}
	franceConnectP = profile{name: "FranceConnect+", algorithms: []string{"ES256"},
		scopes: documentedScopes, defaultScopes: []string{ScopeIdentitePivot}, removedScopes: v1OnlyScopes, user: newIdentityUserInfo}
	proConnect = profile{name: "ProConnect", algorithms: []string{"ES256", "RS256", "HS256"},
		acrSet: true, silent: true, hints: true, jsonUserInfo: true,
		scopes: proConnectScopes, defaultScopes: defaultProConnectScopes, user: newAgentUserInfo}
)

// v1OnlyScopes are the scopes FranceConnect v2 removed.
var v1OnlyScopes = []string{ScopeAddress, ScopePhone}

// profile returns the environment's profile.
func (e Environment) profile() profile {
	switch {
	case e.ProConnect:
		return proConnect
	case e.Plus:
		return franceConnectP
	case e.Version == V1:
		return franceConnectV1
	}
	return franceConnectV2
}

// checkPrompt accepts login, consent or both, and on ProConnect none
// alone.
func (p profile) checkPrompt(prompt string) error {
	if prompt == "" || prompt == "none" && p.silent {
		return nil
	}
	words := strings.Fields(prompt)
	ok := len(words) > 0 && len(words) <= 2 && strings.Join(words, " ") == prompt
	for i, w := range words {
		ok = ok && (w == "login" || w == "consent") && (i == 0 || w != words[0])
	}
	if ok {
		return nil
	}
	if p.silent {
		return fmt.Errorf("%w: prompt %s: %s accepts none (alone), login, consent or both", ErrConfig, safe(prompt), p.name)
	}
	return fmt.Errorf("%w: prompt %s: %s accepts login, consent or both", ErrConfig, safe(prompt), p.name)
}

// checkAlgorithm returns the problem with alg on this profile, "" if none.
func (p profile) checkAlgorithm(alg string) string {
	switch {
	case slices.Contains(p.algorithms, alg):
		return ""
	case !slices.Contains(proConnect.algorithms, alg):
		return fmt.Sprintf("Algorithm %q is not supported: use %s", alg, strings.Join(p.algorithms, " or "))
	case len(p.algorithms) == 1:
		return fmt.Sprintf("Algorithm %q: %s signs with %s only", alg, p.name, p.algorithms[0])
	}
	return fmt.Sprintf("Algorithm %s is not offered on %s: register %s", alg, p.name, strings.Join(p.algorithms, " or "))
}
