package franceconnect

import (
	"fmt"
	"strings"
)

// ProConnect's scopes beside ScopeOpenID, ScopeEmail and ScopeIDPID (and
// "given_name", "phone", "organizational_unit", "belonging_population",
// "chorusdt", "custom"). Each asks for the claim of the same name.
const (
	ScopeUsualName = "usual_name" // family name in use
	ScopeUID       = "uid"        // the identity provider's user id
	ScopeSIRET     = "siret"
	ScopeSIREN     = "siren"
)

// Agent is the user ProConnect verified: a public agent or a company's
// staff member, typed and validated. Fields the scopes did not ask for,
// or the identity provider does not know, are zero. Claims the library
// does not type (such as "chorusdt:matricule") are read with
// [Agent.Claims].
type Agent struct {
	// Subject is ProConnect's sub. It is specific to one identity
	// provider and one service: the same person coming through another
	// identity provider (another IDPID) has another Subject. Never match
	// accounts on Subject across identity providers; match on Email, or on
	// IDPID and UID together.
	Subject string

	GivenName string // given_name: first names, space separated
	UsualName string // usual_name: the family name in use
	Email     string // professional e-mail address
	UID       string // uid: the user's id at the identity provider
	// SIRET is the establishment the user logged in for: 14 digits whose
	// checksum was checked (see ValidSIRET).
	SIRET string
	SIREN string // siren: the company, 9 digits, when sent
	IDPID string // idp_id: the identity provider used

	OrganizationLabel   string         // organization_label: the organisation's name
	Roles               []string       // roles, when the identity provider sends them
	Phone               string         // phone, free format
	OrganizationalUnit  string         // organizational_unit: ministry, direction, service
	BelongingPopulation []string       // belonging_population: agent, prestataire, stagiaire...
	ChorusDT            string         // chorusdt: ministerial entity and staff number
	Custom              map[string]any // custom: claims the service agreed with ProConnect

	raw []byte // the verified claims, for Claims
}

// Claims decodes the verified userinfo claims into v (a pointer to a
// struct or a map), for claims Agent does not type. Member names match
// exactly and a claim given twice was refused already.
func (a *Agent) Claims(v any) error { return decodeVerified(a.raw, "Agent", v) }

// wireAgent mirrors ProConnect's userinfo.
type wireAgent struct {
	Sub                 string         `json:"sub"`
	GivenName           string         `json:"given_name"`
	UsualName           string         `json:"usual_name"`
	Email               string         `json:"email"`
	UID                 string         `json:"uid"`
	SIRET               string         `json:"siret"`
	SIREN               string         `json:"siren"`
	IDPID               string         `json:"idp_id"`
	OrganizationLabel   string         `json:"organization_label"`
	Roles               stringList     `json:"roles"`
	Phone               string         `json:"phone"`
	OrganizationalUnit  string         `json:"organizational_unit"`
	BelongingPopulation stringList     `json:"belonging_population"`
	ChorusDT            string         `json:"chorusdt"`
	Custom              map[string]any `json:"custom"`
}

// parseAgent decodes and validates ProConnect userinfo claims (a JSON
// object): sub present, email an address, siret a SIRET and siren a SIREN
// when present. Errors wrap ErrInvalidIdentity and name the claim, never
// its value.
func parseAgent(claims []byte) (*Agent, error) {
	var w wireAgent
	if decodeObject(claims, &w) != nil {
		return nil, errIdentityTypes
	}
	return w.agent(claims)
}

// agent validates w, decoded from claims.
func (w *wireAgent) agent(claims []byte) (*Agent, error) {
	a := &Agent{
		Subject: w.Sub, GivenName: w.GivenName, UsualName: w.UsualName, Email: w.Email, UID: w.UID,
		SIRET: w.SIRET, SIREN: w.SIREN, IDPID: w.IDPID, OrganizationLabel: w.OrganizationLabel,
		Roles: w.Roles, Phone: w.Phone, OrganizationalUnit: w.OrganizationalUnit,
		BelongingPopulation: w.BelongingPopulation, ChorusDT: w.ChorusDT, Custom: w.Custom, raw: claims,
	}
	switch {
	case a.Subject == "":
		return nil, fmt.Errorf("%w: sub is missing", ErrInvalidIdentity)
	case a.Email != "" && !plausibleEmail(a.Email):
		return nil, fmt.Errorf("%w: email is not an address", ErrInvalidIdentity)
	case a.SIRET != "" && !ValidSIRET(a.SIRET):
		return nil, fmt.Errorf("%w: siret is not 14 digits with a valid checksum", ErrInvalidIdentity)
	case a.SIREN != "" && !validSIREN(a.SIREN):
		return nil, fmt.Errorf("%w: siren is not 9 digits with a valid checksum", ErrInvalidIdentity)
	}
	return a, nil
}

// ValidSIRET reports whether s is a SIRET: 14 digits whose Luhn checksum
// is valid, or, for the establishments of La Poste (SIREN 356000000),
// whose digits add up to a multiple of 5, the rule INSEE gives them.
func ValidSIRET(s string) bool {
	if len(s) != 14 || !allDigits(s) {
		return false
	}
	return luhn(s) || strings.HasPrefix(s, laPosteSIREN) && digitSum(s)%5 == 0
}

// laPosteSIREN is the company whose SIRETs follow the sum rule.
const laPosteSIREN = "356000000"

// validSIREN reports whether s is a SIREN: 9 digits whose Luhn checksum
// is valid.
func validSIREN(s string) bool { return len(s) == 9 && allDigits(s) && luhn(s) }

// luhn checks the Luhn checksum of a string of digits.
func luhn(s string) bool {
	sum := 0
	for i := range len(s) {
		d := int(s[len(s)-1-i] - '0')
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

func digitSum(s string) int {
	sum := 0
	for i := range len(s) {
		sum += int(s[i] - '0')
	}
	return sum
}
