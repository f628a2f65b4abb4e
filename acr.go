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

// level is what the library knows of an acr value: its rank on the eIDAS
// ladder (0 for a value FranceConnect does not send) and whether it
// includes a second factor.
type level struct {
	acr  ACR
	rank int
	mfa  bool
}

// levels lists every acr value the library knows: ProConnect's, of which
// the eIDAS ladder is a part. A level a provider adds or removes is one
// line here.
var levels = []level{
	{EIDAS0, 0, false},
	{EIDAS0MFA, 0, true},
	{EIDAS1, 1, false},
	{EIDAS1MFA, 0, true},
	{EIDAS2, 2, true},
	{EIDAS3, 3, true},
	{ACRCertificationDirigeant, 0, false},
}

// lookupLevel returns what is known of a (the zero level when nothing).
func lookupLevel(a ACR) level {
	for _, l := range levels {
		if l.acr == a {
			return l
		}
	}
	return level{}
}

func (a ACR) known() bool { return lookupLevel(a).acr != "" }
func (a ACR) rank() int   { return lookupLevel(a).rank }

// AtLeast reports whether a is a level of the eIDAS ladder (eidas1,
// eidas2, eidas3) at least min. ProConnect's levels are a set: see
// Config.ACRValues and ACR.MFA.
func (a ACR) AtLeast(min ACR) bool {
	return a.rank() != 0 && a.rank() >= min.rank()
}

// MFA reports whether a includes a second authentication factor: the
// "-mfa" levels, eidas2 and eidas3. Use it when a page needs MFA whatever
// the level, as ANSSI requires of State information systems.
func (a ACR) MFA() bool { return lookupLevel(a).mfa }

// checkACRValues sets the accepted levels (the federation's default when
// empty) and reports what is wrong with them: each known and listed once;
// on a ladder, each one the federation delivers.
func (c *Config) checkACRValues() []string {
	p := c.profile()
	if len(c.ACRValues) == 0 {
		c.ACRValues = slices.Clone(p.defaultACR)
		return nil
	}
	var problems []string
	for i, a := range c.ACRValues {
		switch {
		case p.ladder != nil && !slices.Contains(p.ladder, a):
			problems = append(problems, fmt.Sprintf("ACRValues[%d] %s is not available on %s (%s)", i, safe(string(a)), p.label, acrList(p.ladder)))
		case !a.known():
			problems = append(problems, fmt.Sprintf("ACRValues[%d] %s is not a %s level (known: %s)", i, safe(string(a)), p.name, acrList(knownLevels())))
		case slices.Contains(c.ACRValues[:i], a):
			problems = append(problems, fmt.Sprintf("ACRValues[%d] %s is listed twice", i, a))
		}
	}
	c.ACRValues = slices.Clone(c.ACRValues)
	return problems
}

// floor is the lowest of accepted on the eIDAS ladder: what acr_values
// asks for and the least an ID token may come back with.
func floor(accepted []ACR) ACR {
	low := accepted[0]
	for _, a := range accepted[1:] {
		if a.rank() < low.rank() {
			low = a
		}
	}
	return low
}

// knownLevels lists the table's levels, for messages.
func knownLevels() []ACR {
	out := make([]ACR, len(levels))
	for i, l := range levels {
		out[i] = l.acr
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
// refused one).
func (c *Client) checkLevel(got *string) error {
	if c.floor != "" {
		return checkLadder(got, c.floor)
	}
	return checkACRSet(got, c.cfg.ACRValues)
}

func checkLadder(got *string, min ACR) error {
	switch {
	case got == nil || *got == "":
		return fmt.Errorf("%w: acr is missing, want %s or higher", ErrACRTooLow, min)
	case !ACR(*got).known():
		return fmt.Errorf("%w: got %s, want %s or higher", ErrACRUnknown, safe(*got), min)
	case !ACR(*got).AtLeast(min):
		return fmt.Errorf("%w: want %s or higher, got %s", ErrACRTooLow, min, safe(*got))
	}
	return nil
}

func checkACRSet(got *string, accepted []ACR) error {
	switch {
	case got == nil || *got == "":
		return fmt.Errorf("%w: acr is missing, want one of %s", ErrACRRefused, acrList(accepted))
	case !ACR(*got).known():
		return fmt.Errorf("%w: got %s, want one of %s", ErrACRUnknown, safe(*got), acrList(accepted))
	case !slices.Contains(accepted, ACR(*got)):
		return fmt.Errorf("%w: got %s, want one of %s", ErrACRRefused, *got, acrList(accepted))
	}
	return nil
}

// acrClaimsRequest merges the request for acr among accepted into the
// claims parameter the caller gave (e.g. ClaimsAMR):
// {"id_token":{"acr":{"essential":true,"values":[...]}}}.
func acrClaimsRequest(claims string, accepted []ACR) (string, error) {
	req := map[string]map[string]any{}
	if claims != "" {
		if err := decodeObject([]byte(claims), &req); err != nil {
			return "", fmt.Errorf("%w: claims must be a JSON object of objects such as ClaimsAMR", ErrConfig)
		}
	}
	if _, ok := req["id_token"]["acr"]; ok {
		return "", fmt.Errorf("%w: claims asks for acr itself: on ProConnect the levels come from Config.ACRValues", ErrConfig)
	}
	if req["id_token"] == nil {
		req["id_token"] = map[string]any{}
	}
	req["id_token"]["acr"] = map[string]any{"essential": true, "values": accepted}
	b, err := json.Marshal(req)
	if err != nil {
		return "", fmt.Errorf("%w: claims: %v", ErrConfig, err)
	}
	return string(b), nil
}
