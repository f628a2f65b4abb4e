package fctest

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	"github.com/franceconnect-go/franceconnect"
)

// User is a test identity, as FranceConnect's demonstration identity
// provider would send it (after FranceConnect's RNIPP correction). Empty
// fields are not sent, except Birthplace, which FranceConnect sends as ""
// for people born abroad.
type User struct {
	// Login identifies the user on the chooser page and in [Server.Login];
	// together with the client ID it determines the pairwise sub.
	Login string
	// Label is shown on the chooser page; defaults to the names.
	Label string

	GivenName         string   // given_name: all first names, space separated
	GivenNameArray    []string // given_name_array; defaults to the words of GivenName
	FamilyName        string   // family_name: birth name
	PreferredUsername string   // preferred_username: nom d'usage
	Birthdate         string   // birthdate: YYYY-MM-DD
	Gender            string   // gender: "male", "female" or "unspecified"
	Birthplace        string   // birthplace: INSEE COG commune code, "" if born abroad
	Birthcountry      string   // birthcountry: INSEE COG country code, 99100 for France
	Email             string   // email
	IDPBirthdate      string   // idp_birthdate: as sent by the identity provider (may be YYYY-00-DD)
	IDPID             string   // idp_id: the identity provider used
	AMR               []string // amr: authentication methods, e.g. ["pwd"]
	// ACR is the eIDAS level the identity provider vouches for, on
	// FranceConnect+ only: when set, the ID token's acr is this level
	// (even below the requested one, which FranceConnect+ itself would
	// refuse: it lets a test check that the client does); when empty, the
	// requested level. FranceConnect always sends eidas1.
	ACR string

	// Address and PhoneNumber are sent by the legacy v1 API only, for the
	// address and phone scopes.
	Address     *franceconnect.Address
	PhoneNumber string
}

// demoIdP is the idp_id the test identities come from.
const demoIdP = "fia1v2"

// DefaultUser is the identity FranceConnect's demonstration provider gives
// for login "test": Angela Claire Louise DUBOIS, born on 24 August 1962 in
// Paris 7e (75107), France (99100).
var DefaultUser = defaultUser()

func defaultUser() User {
	return User{
		Login:          "test",
		Label:          "Angela Claire Louise DUBOIS (par défaut)",
		GivenName:      "Angela Claire Louise",
		GivenNameArray: []string{"Angela", "Claire", "Louise"},
		FamilyName:     "DUBOIS",
		Birthdate:      "1962-08-24",
		Gender:         "female",
		Birthplace:     "75107",
		Birthcountry:   "99100",
		Email:          "wossewodda-3728@yopmail.com",
		IDPBirthdate:   "1962-08-24",
		IDPID:          demoIdP,
		AMR:            []string{"pwd"},
		Address: &franceconnect.Address{
			Country: "France", Formatted: "26 rue Desaix, 75015 Paris", Locality: "Paris",
			PostalCode: "75015", StreetAddress: "26 rue Desaix",
		},
		PhoneNumber: "0123456789",
	}
}

// Users returns the built-in test identities: [DefaultUser] first, then
// edge cases (born abroad, unknown birth month, gender unspecified, no
// email, born in Corsica, compound and accented names, nom d'usage). Each
// call returns fresh copies.
func Users() []User {
	return []User{
		defaultUser(),
		{
			Login: "avec_nom_dusage", Label: "Marie Hélène LEBLANC, épouse MARCHAND (nom d'usage)",
			GivenName: "Marie Hélène", GivenNameArray: []string{"Marie", "Hélène"},
			FamilyName: "LEBLANC", PreferredUsername: "MARCHAND",
			Birthdate: "1980-05-12", Gender: "female", Birthplace: "69123", Birthcountry: "99100",
			Email: "marie.marchand@yopmail.com", IDPBirthdate: "1980-05-12", IDPID: demoIdP, AMR: []string{"pwd"},
		},
		{
			Login: "nom_composé", Label: "Jean-Paul Émile DE LA FONTAINE (noms composés et accents)",
			GivenName: "Jean-Paul Émile", GivenNameArray: []string{"Jean-Paul", "Émile"},
			FamilyName: "DE LA FONTAINE",
			Birthdate:  "1975-11-30", Gender: "male", Birthplace: "33063", Birthcountry: "99100",
			Email: "jean-paul.delafontaine@yopmail.com", IDPBirthdate: "1975-11-30", IDPID: demoIdP, AMR: []string{"pwd", "mail"},
		},
		{
			Login: "carac_speciaux", Label: "Zoë Anaïs D'ARTAGNAN-CŒUR (caractères spéciaux)",
			GivenName: "Zoë Anaïs", GivenNameArray: []string{"Zoë", "Anaïs"},
			FamilyName: "D'ARTAGNAN-CŒUR",
			Birthdate:  "1991-02-14", Gender: "female", Birthplace: "13055", Birthcountry: "99100",
			Email: "zoe.dartagnan@yopmail.com", IDPBirthdate: "1991-02-14", IDPID: demoIdP, AMR: []string{"pwd"},
		},
		{
			Login: "naissance_Algérie", Label: "Karim Mohamed BENALI (né à l'étranger, Algérie)",
			GivenName: "Karim Mohamed", GivenNameArray: []string{"Karim", "Mohamed"},
			FamilyName: "BENALI",
			Birthdate:  "1969-07-04", Gender: "male", Birthplace: "", Birthcountry: "99352",
			Email: "karim.benali@yopmail.com", IDPBirthdate: "1969-07-04", IDPID: demoIdP, AMR: []string{"pwd"},
		},
		{
			Login: "mois_00", Label: "Paul LEROY (mois de naissance inconnu)",
			GivenName: "Paul", GivenNameArray: []string{"Paul"},
			FamilyName: "LEROY",
			Birthdate:  "1977-01-03", Gender: "male", Birthplace: "59350", Birthcountry: "99100",
			Email: "paul.leroy@yopmail.com", IDPBirthdate: "1977-00-03", IDPID: demoIdP, AMR: []string{"pwd"},
		},
		{
			Login: "genre_indéfini", Label: "Camille PETIT (genre non spécifié)",
			GivenName: "Camille", GivenNameArray: []string{"Camille"},
			FamilyName: "PETIT",
			Birthdate:  "1988-09-21", Gender: "unspecified", Birthplace: "31555", Birthcountry: "99100",
			Email: "camille.petit@yopmail.com", IDPBirthdate: "1988-09-21", IDPID: demoIdP, AMR: []string{"pwd"},
		},
		{
			Login: "sans_mail", Label: "Louis BERNARD (sans adresse électronique)",
			GivenName: "Louis", GivenNameArray: []string{"Louis"},
			FamilyName: "BERNARD",
			Birthdate:  "1955-03-08", Gender: "male", Birthplace: "44109", Birthcountry: "99100",
			IDPBirthdate: "1955-03-08", IDPID: demoIdP, AMR: []string{"pwd"},
		},
		{
			Login: "test_CORSE_2A", Label: "Ghjuvanni Antone SANTONI (né en Corse, 2A)",
			GivenName: "Ghjuvanni Antone", GivenNameArray: []string{"Ghjuvanni", "Antone"},
			FamilyName: "SANTONI",
			Birthdate:  "1983-06-15", Gender: "male", Birthplace: "2A004", Birthcountry: "99100",
			Email: "ghjuvanni.santoni@yopmail.com", IDPBirthdate: "1983-06-15", IDPID: demoIdP, AMR: []string{"pwd"},
		},
	}
}

// label returns the text of the user's button.
func (u User) label() string {
	if u.Label != "" {
		return u.Label
	}
	if name := strings.TrimSpace(u.GivenName + " " + u.FamilyName); name != "" {
		return name
	}
	return u.Login
}

// clone returns a deep copy.
func (u User) clone() User {
	u.GivenNameArray = slices.Clone(u.GivenNameArray)
	u.AMR = slices.Clone(u.AMR)
	if u.Address != nil {
		a := *u.Address
		u.Address = &a
	}
	return u
}

// subject is the pairwise identifier of login for clientID: 64 hex chars
// and the "v1" suffix, like FranceConnect's.
func subject(clientID, login string) string {
	sum := sha256.Sum256([]byte(clientID + login))
	return hex.EncodeToString(sum[:]) + "v1"
}

// scopeClaims is FranceConnect v2's scope → claims table (core-fcp-low).
var scopeClaims = map[string][]string{
	"openid":             {"sub"},
	"profile":            {"given_name", "given_name_array", "family_name", "birthdate", "gender", "preferred_username"},
	"birth":              {"birthplace", "birthcountry"},
	"identite_pivot":     {"given_name", "given_name_array", "family_name", "birthdate", "gender", "birthplace", "birthcountry"},
	"given_name":         {"given_name", "given_name_array"},
	"family_name":        {"family_name"},
	"gender":             {"gender"},
	"birthdate":          {"birthdate"},
	"birthplace":         {"birthplace"},
	"birthcountry":       {"birthcountry"},
	"email":              {"email"},
	"preferred_username": {"preferred_username"},
	"idp_birthdate":      {"idp_birthdate"},
	"amr":                {"amr"},
	"idp_id":             {"idp_id"},
}

// scopeClaimsV1 is the legacy API's table: no given_name_array,
// idp_birthdate, idp_id or amr scope; preferred_username in
// identite_pivot; address and phone.
var scopeClaimsV1 = map[string][]string{
	"openid":             {"sub"},
	"profile":            {"given_name", "family_name", "birthdate", "gender", "preferred_username"},
	"birth":              {"birthplace", "birthcountry"},
	"identite_pivot":     {"given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry", "preferred_username"},
	"given_name":         {"given_name"},
	"family_name":        {"family_name"},
	"gender":             {"gender"},
	"birthdate":          {"birthdate"},
	"birthplace":         {"birthplace"},
	"birthcountry":       {"birthcountry"},
	"email":              {"email"},
	"preferred_username": {"preferred_username"},
	"address":            {"address"},
	"phone":              {"phone_number"},
}

// scopeTable returns the scope → claims table of the API version.
func scopeTable(v1 bool) map[string][]string {
	if v1 {
		return scopeClaimsV1
	}
	return scopeClaims
}

// identityClaims returns the user's claims granted by scopes (sub excluded).
func (u User) identityClaims(scopes []string, v1 bool) map[string]any {
	out := map[string]any{}
	for _, sc := range scopes {
		for _, name := range scopeTable(v1)[sc] {
			if v, ok := u.claim(name); ok {
				out[name] = v
			}
		}
	}
	return out
}

// claim returns the value of one identity claim, and false when the user
// has none (empty values are omitted, except birthplace).
func (u User) claim(name string) (any, bool) {
	str := func(s string) (any, bool) { return s, s != "" }
	switch name {
	case "given_name":
		return str(u.GivenName)
	case "given_name_array":
		arr := u.GivenNameArray
		if len(arr) == 0 {
			arr = strings.Fields(u.GivenName)
		}
		return slices.Clone(arr), len(arr) > 0
	case "family_name":
		return str(u.FamilyName)
	case "preferred_username":
		return str(u.PreferredUsername)
	case "birthdate":
		return str(u.Birthdate)
	case "gender":
		return str(u.Gender)
	case "birthplace":
		return u.Birthplace, true
	case "birthcountry":
		return str(u.Birthcountry)
	case "email":
		return str(u.Email)
	case "idp_birthdate":
		return str(u.IDPBirthdate)
	case "idp_id":
		return str(u.IDPID)
	case "amr":
		return slices.Clone(u.AMR), len(u.AMR) > 0
	case "address":
		if u.Address == nil {
			return nil, false
		}
		a := *u.Address
		return &a, true
	case "phone_number":
		return str(u.PhoneNumber)
	}
	return nil, false
}
