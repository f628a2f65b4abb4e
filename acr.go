package franceconnect

import (
	"fmt"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4/json"
)

// Levels of assurance: the eIDAS ladder of FranceConnect and
// FranceConnect+, ProConnect's set, what a Config accepts, and the check of
// the acr an ID token comes back with. This file is the only place that
// knows them.

// ACR is a level of assurance as FranceConnect and ProConnect name it (the
// acr claim).
type ACR string

// The eIDAS levels, ordered: EIDAS1 < EIDAS2 < EIDAS3. FranceConnect
// delivers eidas1 only; FranceConnect+ delivers eidas2 and eidas3.
const (
	EIDAS1 ACR = "eidas1" // low
	EIDAS2 ACR = "eidas2" // substantial
	EIDAS3 ACR = "eidas3" // high
)

// ProConnect's levels beside eidas1, eidas2 and eidas3. The "-mfa" levels
// add a second factor (ProConnect's own e-mail code when the identity
// provider has none).
const (
	EIDAS0    ACR = "eidas0"     // no assurance on the identity
	EIDAS0MFA ACR = "eidas0-mfa" // eidas0 and a second factor
	EIDAS1MFA ACR = "eidas1-mfa" // eidas1 and a second factor
	// ACRCertificationDirigeant: the user is an officer (dirigeant) of the
	// company of the SIRET, checked against the company registers.
	ACRCertificationDirigeant ACR = "https://proconnect.gouv.fr/assurance/certification-dirigeant"
)

// Level is what the library knows of an acr value: its rank on the eIDAS
// ladder and whether it includes a second factor. The built-in table
// knows every level above; Config.Levels declares one it does not know yet
// (a provider's new value, accepted from the day it is announced, without
// waiting for a release of this library).
type Level struct {
	ACR  ACR  // the acr value
	Rank int  // 1 low, 2 substantial, 3 high on the eIDAS ladder; 0 off it
	MFA  bool // the level includes a second authentication factor
}

// builtinLevels lists every acr value the library knows: ProConnect's, of
// which the eIDAS ladder is a part. A level a provider adds or removes is
// one line here.
var builtinLevels = []Level{
	{EIDAS0, 0, false},
	{EIDAS0MFA, 0, true},
	{EIDAS1, 1, false},
	{EIDAS1MFA, 0, true},
	{EIDAS2, 2, true},
	{EIDAS3, 3, true},
	{ACRCertificationDirigeant, 0, false},
}

// levelOf returns what declared, then the built-in table, say of a.
func levelOf(declared []Level, a ACR) (Level, bool) {
	for _, table := range [...][]Level{declared, builtinLevels} {
		for _, l := range table {
			if l.ACR == a {
				return l, true
			}
		}
	}
	return Level{}, false
}

// AtLeast reports whether a is a built-in level of the eIDAS ladder
// (eidas1, eidas2, eidas3) at least min. ProConnect's levels are a set:
// see Config.ACRValues and ACR.MFA.
func (a ACR) AtLeast(min ACR) bool {
	l, _ := levelOf(nil, a)
	m, _ := levelOf(nil, min)
	return l.Rank != 0 && l.Rank >= m.Rank
}

// MFA reports whether a built-in level includes a second authentication
// factor: the "-mfa" levels, eidas2 and eidas3. After a login,
// IDTokenClaims.MFA says it for the level the login had, declared levels
// included.
func (a ACR) MFA() bool {
	l, _ := levelOf(nil, a)
	return l.MFA
}

// checkACRValues sets the accepted levels (the federation's default when
// empty) and reports what is wrong with them and with the declared
// levels: each known (built in or declared) and listed once; on a ladder,
// each one the federation delivers or one declared.
func (c *Config) checkACRValues() []string {
	p := c.profile()
	problems := checkDeclared(c.Levels)
	if len(c.ACRValues) == 0 {
		c.ACRValues = slices.Clone(p.defaultACR)
		return problems
	}
	for i, a := range c.ACRValues {
		_, known := levelOf(c.Levels, a)
		declared := slices.ContainsFunc(c.Levels, func(l Level) bool { return l.ACR == a })
		switch {
		case p.ladder != nil && !slices.Contains(p.ladder, a) && !declared:
			problems = append(problems, fmt.Sprintf("ACRValues[%d] %s is not available on %s (%s)", i, safe(string(a)), p.label, acrList(p.ladder)))
		case !known:
			problems = append(problems, fmt.Sprintf("ACRValues[%d] %s is not a %s level (known: %s; declare a new one in Config.Levels)", i, safe(string(a)), p.name, acrList(knownLevels())))
		case slices.Contains(c.ACRValues[:i], a):
			problems = append(problems, fmt.Sprintf("ACRValues[%d] %s is listed twice", i, a))
		}
	}
	c.ACRValues = slices.Clone(c.ACRValues)
	c.Levels = slices.Clone(c.Levels)
	return problems
}

// checkDeclared reports what is wrong with declared levels.
func checkDeclared(declared []Level) []string {
	var problems []string
	for i, l := range declared {
		switch {
		case l.ACR == "" || len(l.ACR) > 256 || printable(string(l.ACR), 256) != string(l.ACR) || strings.ContainsRune(string(l.ACR), ' '):
			problems = append(problems, fmt.Sprintf("Levels[%d]: the acr must be 1 to 256 printable characters without spaces", i))
		case l.Rank < 0 || l.Rank > 3:
			problems = append(problems, fmt.Sprintf("Levels[%d] %s: rank %d, want 0 (off the eIDAS ladder) to 3", i, safe(string(l.ACR)), l.Rank))
		case slices.ContainsFunc(declared[:i], func(o Level) bool { return o.ACR == l.ACR }):
			problems = append(problems, fmt.Sprintf("Levels[%d] %s is declared twice", i, safe(string(l.ACR))))
		}
	}
	return problems
}

// floor is the lowest of accepted on the eIDAS ladder: what acr_values
// asks for and the least an ID token may come back with.
func floor(accepted []ACR, declared []Level) ACR {
	rank := func(a ACR) int { l, _ := levelOf(declared, a); return l.Rank }
	low := accepted[0]
	for _, a := range accepted[1:] {
		if rank(a) < rank(low) {
			low = a
		}
	}
	return low
}

// knownLevels lists the built-in levels, for messages.
func knownLevels() []ACR {
	out := make([]ACR, len(builtinLevels))
	for i, l := range builtinLevels {
		out[i] = l.ACR
	}
	return out
}

func acrList(acrs []ACR) string {
	s := make([]string, len(acrs))
	for i, a := range acrs {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

// checkLevel checks the ID token's acr: at least the floor on a ladder,
// one of the accepted levels in a set (an unknown level told apart from a
// refused one). It returns what is known of it.
func (c *Client) checkLevel(got *string) (Level, error) {
	if got == nil || *got == "" {
		if c.floor != "" {
			return Level{}, fmt.Errorf("%w: acr is missing, want %s or higher", ErrACRTooLow, c.floor)
		}
		return Level{}, fmt.Errorf("%w: acr is missing, want one of %s", ErrACRRefused, acrList(c.cfg.ACRValues))
	}
	l, known := levelOf(c.cfg.Levels, ACR(*got))
	min, _ := levelOf(c.cfg.Levels, c.floor)
	switch {
	case !known && c.floor != "":
		return l, fmt.Errorf("%w: got %s, want %s or higher", ErrACRUnknown, safe(*got), c.floor)
	case !known:
		return l, fmt.Errorf("%w: got %s, want one of %s", ErrACRUnknown, safe(*got), acrList(c.cfg.ACRValues))
	case c.floor != "" && (l.Rank == 0 || l.Rank < min.Rank):
		return l, fmt.Errorf("%w: want %s or higher, got %s", ErrACRTooLow, c.floor, safe(*got))
	case c.floor == "" && !slices.Contains(c.cfg.ACRValues, l.ACR):
		return l, fmt.Errorf("%w: got %s, want one of %s", ErrACRRefused, *got, acrList(c.cfg.ACRValues))
	}
	return l, nil
}

// acrClaimsRequest merges the request for acr into the claims parameter
// the caller gave (e.g. ClaimsAMR): the accepted levels, essential
// ({"id_token":{"acr":{"essential":true,"values":[...]}}}), or the
// preferred ones, not essential.
func acrClaimsRequest(claims string, accepted, preferred []ACR) (string, error) {
	req := map[string]map[string]any{}
	if claims != "" {
		if err := decodeObject([]byte(claims), &req); err != nil {
			return "", fmt.Errorf("%w: claims must be a JSON object of objects such as ClaimsAMR", ErrConfig)
		}
	}
	if _, ok := req["id_token"]["acr"]; ok {
		return "", fmt.Errorf("%w: claims asks for acr itself: on ProConnect the levels come from Config.ACRValues and AuthOptions.PreferredACR", ErrConfig)
	}
	if req["id_token"] == nil {
		req["id_token"] = map[string]any{}
	}
	req["id_token"]["acr"] = map[string]any{"essential": true, "values": accepted}
	if len(preferred) > 0 {
		req["id_token"]["acr"] = map[string]any{"essential": false, "values": preferred}
	}
	b, err := json.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("%w: claims: %v", ErrConfig, err)
	}
	return string(b), nil
}
