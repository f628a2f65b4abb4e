package franceconnect

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4/json"
)

// Scopes of FranceConnect. Each scope asks for the claims of the same name,
// or for the group documented on it; a claim's own name is a scope too
// ("given_name", "birthdate"...). Config.Scopes refuses a misspelling of a
// documented scope.
const (
	ScopeOpenID = "openid" // sub; always sent
	// ScopeIdentitePivot: given_name, given_name_array, family_name,
	// birthdate, gender, birthplace, birthcountry (v1 adds
	// preferred_username).
	ScopeIdentitePivot = "identite_pivot"
	// ScopeProfile: given_name, given_name_array, family_name, birthdate,
	// gender, preferred_username.
	ScopeProfile           = "profile"
	ScopeBirth             = "birth" // birthplace, birthcountry
	ScopeEmail             = "email"
	ScopePreferredUsername = "preferred_username" // nom d'usage
	ScopeIDPBirthdate      = "idp_birthdate"      // birthdate as the identity provider sent it
	ScopeIDPID             = "idp_id"             // identifier of the identity provider used
	ScopeAMR               = "amr"                // authentication methods
)

// Gender as FranceConnect sends it.
type Gender string

// The genders FranceConnect knows. GenderUnspecified comes from the civil
// registry's "indéterminé".
const (
	GenderMale        Gender = "male"
	GenderFemale      Gender = "female"
	GenderUnspecified Gender = "unspecified"
)

// CountryFrance is the INSEE COG code of France as a birth country.
const CountryFrance = "99100"

// Address is the v1 address claim.
type Address struct {
	Country       string `json:"country,omitempty"`        // country
	Formatted     string `json:"formatted,omitempty"`      // the full address, in lines
	Locality      string `json:"locality,omitempty"`       // city
	PostalCode    string `json:"postal_code,omitempty"`    // code postal
	StreetAddress string `json:"street_address,omitempty"` // number and street
}

// Identity is the identité pivot and the other claims userinfo returned,
// typed and validated. Fields the scopes did not ask for are zero. Claims
// the library does not type are read with [Identity.Claims].
type Identity struct {
	Subject string // sub: pairwise, stable per user and portal

	GivenName         string    // all given names, space separated
	GivenNames        []string  // given_name_array (v2), or GivenName split on spaces
	FamilyName        string    // birth name
	PreferredUsername string    // nom d'usage, may be empty
	Birthdate         Birthdate // from the civil registry (unknown parts completed by FranceConnect v2 with 01)
	Gender            Gender    // female, male or unspecified
	// Birthplace is the INSEE COG code of the commune of birth (5
	// characters, 2A/2B for Corsica), empty for people born abroad.
	Birthplace string
	// Birthcountry is the INSEE COG code of the country of birth (99100 for
	// France).
	Birthcountry string
	Email        string // checked as an address

	// IDPBirthdate is the birthdate exactly as the identity provider sent
	// it, where 00 marks an unknown month or day (v2).
	IDPBirthdate Birthdate
	IDPID        string   // identity provider used (v2)
	AMR          []string // authentication methods, when requested

	Address     *Address // v1 only
	PhoneNumber string   // v1 only

	raw []byte // the verified claims, for Claims
}

// BornInFrance reports whether the birth country is France.
func (i *Identity) BornInFrance() bool { return i.Birthcountry == CountryFrance }

// Claims decodes the verified userinfo claims into v (a pointer to a
// struct or a map), for claims the library does not type, such as those of
// newer data-provider scopes. Member names match exactly and a claim given
// twice was refused already.
func (i *Identity) Claims(v any) error { return decodeVerified(i.raw, "Identity", v) }

// decodeVerified decodes the verified claims raw of an Identity or an
// Agent (what) into v.
func decodeVerified(raw []byte, what string, v any) error {
	if raw == nil {
		return errors.New("franceconnect: this " + what + " was not decoded from claims")
	}
	return json.Unmarshal(raw, v)
}

// wireIdentity mirrors the wire format.
type wireIdentity struct {
	Sub               string   `json:"sub"`
	GivenName         *string  `json:"given_name"`
	GivenNameArray    []string `json:"given_name_array"`
	FamilyName        *string  `json:"family_name"`
	PreferredUsername *string  `json:"preferred_username"`
	Birthdate         *string  `json:"birthdate"`
	Gender            *string  `json:"gender"`
	Birthplace        *string  `json:"birthplace"`
	Birthcountry      *string  `json:"birthcountry"`
	Email             *string  `json:"email"`
	IDPBirthdate      *string  `json:"idp_birthdate"`
	IDPID             *string  `json:"idp_id"`
	AMR               []string `json:"amr"`
	Address           *Address `json:"address"`
	PhoneNumber       *string  `json:"phone_number"`
}

var errIdentityTypes = fmt.Errorf("%w: userinfo claims are not a JSON object of the expected types", ErrInvalidIdentity)

// parseIdentity decodes and validates userinfo claims (a JSON object).
// Claim names are exact and a claim given twice is refused. Errors wrap
// ErrInvalidIdentity and name the claim, never its value.
func parseIdentity(claims []byte) (*Identity, error) {
	var w wireIdentity
	if err := decodeObject(claims, &w); err != nil {
		return nil, errIdentityTypes
	}
	return w.identity(claims)
}

// identity validates w, decoded from claims.
func (w *wireIdentity) identity(claims []byte) (*Identity, error) {
	id := &Identity{
		Subject:           w.Sub,
		GivenName:         deref(w.GivenName),
		GivenNames:        w.GivenNameArray,
		FamilyName:        deref(w.FamilyName),
		PreferredUsername: deref(w.PreferredUsername),
		Gender:            Gender(deref(w.Gender)),
		Birthplace:        deref(w.Birthplace),
		Birthcountry:      deref(w.Birthcountry),
		Email:             deref(w.Email),
		IDPID:             deref(w.IDPID),
		AMR:               w.AMR,
		Address:           w.Address,
		PhoneNumber:       deref(w.PhoneNumber),
		raw:               claims,
	}
	if id.Subject == "" {
		return nil, fmt.Errorf("%w: sub is missing", ErrInvalidIdentity)
	}
	if id.GivenNames == nil && id.GivenName != "" {
		id.GivenNames = strings.Fields(id.GivenName)
	}
	var err error
	if w.Birthdate != nil {
		if id.Birthdate, err = ParseBirthdate(*w.Birthdate); err != nil {
			return nil, err
		}
	}
	if w.IDPBirthdate != nil && *w.IDPBirthdate != "" {
		if id.IDPBirthdate, err = ParseBirthdate(*w.IDPBirthdate); err != nil {
			return nil, fmt.Errorf("%w: idp_birthdate is not YYYY-MM-DD", ErrInvalidIdentity)
		}
	}
	if err := id.checkCodes(); err != nil {
		return nil, err
	}
	return id, nil
}

// checkCodes validates the coded claims: gender, birthplace, birthcountry
// and email.
func (id *Identity) checkCodes() error {
	switch id.Gender {
	case "", GenderMale, GenderFemale, GenderUnspecified:
	default:
		return fmt.Errorf("%w: gender is not male, female or unspecified", ErrInvalidIdentity)
	}
	if id.Birthplace != "" && !isCOG(id.Birthplace) {
		return fmt.Errorf("%w: birthplace is not a 5-character INSEE COG code", ErrInvalidIdentity)
	}
	if id.Birthcountry != "" && (!allDigits(id.Birthcountry) || len(id.Birthcountry) != 5 || !strings.HasPrefix(id.Birthcountry, "99")) {
		return fmt.Errorf("%w: birthcountry is not a 99xxx INSEE COG country code", ErrInvalidIdentity)
	}
	if id.Email != "" && !plausibleEmail(id.Email) {
		return fmt.Errorf("%w: email is not an address", ErrInvalidIdentity)
	}
	return nil
}

// envelopeClaims are the claims every signed token of the provider
// carries.
type envelopeClaims struct {
	Iss *string     `json:"iss"`
	Aud stringList  `json:"aud"`
	Azp string      `json:"azp"`
	Exp numericDate `json:"exp"`
}

// idTokenClaims is the wire form of an ID token's claims.
type idTokenClaims struct {
	envelopeClaims
	Sub      string      `json:"sub"`
	Iat      numericDate `json:"iat"`
	AuthTime numericDate `json:"auth_time"`
	Nonce    *string     `json:"nonce"`
	ACR      *string     `json:"acr"`
	AMR      []string    `json:"amr"`
	AtHash   string      `json:"at_hash"`
	IDP      string      `json:"idp"`
}

// decodeObject reads a JSON object into v by exact member names, refusing
// duplicates.
func decodeObject(b []byte, v any) error {
	if t := bytes.TrimLeft(b, " \t\r\n"); len(t) == 0 || t[0] != '{' {
		return errors.New("not a JSON object")
	}
	return json.Unmarshal(b, v)
}

// stringList accepts a string or an array of strings (aud, and
// ProConnect claims some providers send either way).
type stringList []string

func (a *stringList) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*a = stringList{s}
		return nil
	}
	return json.Unmarshal(b, (*[]string)(a))
}

// numericDate is a JWT NumericDate (seconds, integer or not).
type numericDate struct {
	t   time.Time
	set bool
}

func (n *numericDate) UnmarshalJSON(b []byte) error {
	var f *float64
	if err := json.Unmarshal(b, &f); err != nil {
		return errors.New("date is not a number")
	}
	if f == nil { // null
		return nil
	}
	if math.IsNaN(*f) || *f < 0 || *f > 1e11 {
		return errors.New("date out of range")
	}
	sec, frac := math.Modf(*f)
	n.t, n.set = time.Unix(int64(sec), int64(frac*1e9)), true
	return nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// isCOG accepts a commune code: 5 digits, or 2A/2B followed by 3 digits.
func isCOG(s string) bool {
	if len(s) != 5 {
		return false
	}
	if s[0] == '2' && (s[1] == 'A' || s[1] == 'B') {
		return allDigits(s[2:])
	}
	return allDigits(s)
}

func plausibleEmail(s string) bool {
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1 && len(s) <= 254 && !strings.ContainsAny(s, " \t\r\n<>")
}
