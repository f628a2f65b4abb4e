package franceconnect

import (
	"fmt"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4/json"
)

// ProConnect (formerly AgentConnect) is the State's identity federation
// for professionals: public agents and company staff. Its core is a fork
// of FranceConnect's, so a Client speaks to it through the same pipeline;
// an Environment with ProConnect set selects ProConnect's profile:
//
//   - the levels a login may come back with are a set, Config.ACRValues,
//     requested through the claims parameter and checked as a set (an
//     unknown level and a refused one are two errors: ErrACRUnknown,
//     ErrACRRefused);
//   - AuthOptions may ask for a silent login (Prompt "none", which comes
//     back as ErrLoginRequired when the user has no ProConnect session)
//     and send login_hint and siret_hint;
//   - ID tokens are signed ES256, RS256, or HS256 keyed with the client
//     secret; userinfo is a signed JWT, or JSON when Config.UserInfoJSON
//     says the registration has no userinfo signing algorithm;
//   - the verified user is an [Agent] (Result.Agent), and the refresh
//     token comes back in Result.RefreshToken.

// The ProConnect presets. Internet and RIE (the State's internal network)
// are separate registrations: credentials do not cross.
var (
	ProConnectIntegration    = proConnectEnvironment("proconnect-integration", "https://fca.integ01.dev-agentconnect.fr/api/v2")
	ProConnectProduction     = proConnectEnvironment("proconnect-production", "https://auth.agentconnect.gouv.fr/api/v2")
	ProConnectIntegrationRIE = proConnectEnvironment("proconnect-integration-rie", "https://fca.integ02.agentconnect.rie.gouv.fr/api/v2")
	ProConnectProductionRIE  = proConnectEnvironment("proconnect-production-rie", "https://auth.agentconnect.rie.gouv.fr/api/v2")
)

func proConnectEnvironment(name, issuer string) Environment {
	e := v2Environment(name, issuer)
	e.ProConnect = true
	return e
}

// NewProConnectEnvironment is [NewEnvironment] for a ProConnect provider
// (ProConnect set), such as fctest's ProConnect server. Endpoints found by
// [DiscoverEnvironment] serve too: set ProConnect on its result.
func NewProConnectEnvironment(issuer string) (Environment, error) {
	env, err := NewEnvironment(issuer)
	if err != nil {
		return Environment{}, err
	}
	env.Name = "custom-proconnect"
	env.ProConnect = true
	return env, nil
}

// ProConnect's levels of assurance, beside EIDAS1, EIDAS2 and EIDAS3. The
// "-mfa" levels add a second factor (ProConnect's own e-mail code when the
// identity provider has none).
const (
	EIDAS0    ACR = "eidas0"     // no assurance on the identity
	EIDAS0MFA ACR = "eidas0-mfa" // eidas0 and a second factor
	EIDAS1MFA ACR = "eidas1-mfa" // eidas1 and a second factor
	// ACRCertificationDirigeant: the user is an officer (dirigeant) of the
	// company of the SIRET, checked against the company registers.
	ACRCertificationDirigeant ACR = "https://proconnect.gouv.fr/assurance/certification-dirigeant"
)

// level is what the library knows of an acr value: its rank on
// FranceConnect's ladder (0 for a value FranceConnect does not send) and
// whether it includes a second factor.
type level struct {
	acr  ACR
	rank int
	mfa  bool
}

// levels lists every acr value the library knows: ProConnect's, of which
// FranceConnect's ladder is a part. A level ProConnect adds or removes is
// one line here.
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

// known reports whether a is in the table of levels.
func (a ACR) known() bool { return lookupLevel(a).acr != "" }

// knownLevels lists the table's levels, for messages.
func knownLevels() []ACR {
	out := make([]ACR, len(levels))
	for i, l := range levels {
		out[i] = l.acr
	}
	return out
}

// MFA reports whether a includes a second authentication factor: the
// "-mfa" levels, eidas2 and eidas3. Use it when a page needs MFA whatever
// the level, as ANSSI requires of State information systems.
func (a ACR) MFA() bool { return lookupLevel(a).mfa }

// defaultProConnectACRs is Config.ACRValues' default on ProConnect:
// eidas1 and above, with or without a second factor.
var defaultProConnectACRs = []ACR{EIDAS1, EIDAS1MFA, EIDAS2, EIDAS3}

// checkACRSet requires acr to be one of the accepted levels, and tells an
// unknown level from a known one that was not accepted.
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

func acrList(acrs []ACR) string {
	s := make([]string, len(acrs))
	for i, a := range acrs {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
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
