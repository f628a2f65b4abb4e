package fctest

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
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
	// ACR is the level the identity provider vouches for, on
	// FranceConnect+ and ProConnect: when set, the ID token's acr is this
	// level (even one the client did not ask for, which FranceConnect+
	// itself would refuse: it lets a test check that the client does;
	// ProConnect raises eidas1 to eidas1-mfa when asked, as its e-mail code
	// does, unless NoMailCode); when empty, the requested level (eidas1 on
	// ProConnect).
	// FranceConnect always sends eidas1.
	ACR string

	// Address and PhoneNumber are sent by the legacy v1 API only, for the
	// address and phone scopes.
	Address     *franceconnect.Address // address
	PhoneNumber string                 // phone_number

	// ProConnect's claims (NewProConnectServer), each sent for the scope
	// of its name; ProConnect adds OrganizationLabel and Roles whatever the
	// scopes. GivenName, Email and IDPID serve on ProConnect too; ACR is
	// the level the agent's identity provider vouches for (see Agents).
	UsualName           string         // usual_name
	UID                 string         // uid
	SIRET               string         // siret
	SIREN               string         // siren
	OrganizationLabel   string         // organization_label
	Roles               []string       // roles
	Phone               string         // phone
	OrganizationalUnit  string         // organizational_unit
	BelongingPopulation string         // belonging_population
	ChorusDT            string         // chorusdt
	Custom              map[string]any // custom
	// NoMailCode (ProConnect): ProConnect cannot run its e-mail code for
	// this agent, so it cannot raise the agent's level to its "-mfa"
	// variant: a login that requires that level (essential) stops on
	// ProConnect's Y020032 page, without a callback; one that prefers it
	// gets the agent's own level.
	NoMailCode bool

	// Extra are claims userinfo sends whatever the scopes, as the claims of
	// data-provider scopes FranceConnect adds over time.
	Extra map[string]any

	// Particulier is what the mock's API Particulier answers for this
	// user in its FranceConnect mode, by endpoint ("quotient_familial",
	// "complementaire_sante_solidaire"): the object under "data" of the
	// answer, shaped as the provider documents it. An endpoint not here
	// answers 404, no record. DefaultUser has both, the nom d'usage user of
	// Users a quotient familial from the MSA with two children, the others
	// none.
	Particulier map[string]any
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
		Particulier: map[string]any{ // API Particulier's staging data for this identity
			"quotient_familial": map[string]any{
				"allocataires": []any{person("DUBOIS", "", "ANGELA CLAIRE LOUISE", "1962-08-24", "F")},
				"enfants":      []any{},
				"adresse":      address("Madame DUBOIS ANGELA", "1 RUE MONTORGUEIL", "75002 PARIS"),
				"quotient_familial": map[string]any{"fournisseur": "CNAF", "valeur": 2550, "annee": 2024, "mois": 2,
					"annee_calcul": 2024, "mois_calcul": 12},
			},
			"complementaire_sante_solidaire": map[string]any{"est_beneficiaire": true, "avec_participation": false, "date_debut_droit": "2023-02-01"},
		},
	}
}

// person and address are API Particulier's family-file objects.
func person(birthName, usageName, givenNames, birthdate, sex string) map[string]any {
	p := map[string]any{"nom_naissance": birthName, "nom_usage": nil, "prenoms": givenNames, "date_naissance": birthdate, "sexe": sex}
	if usageName != "" {
		p["nom_usage"] = usageName
	}
	return p
}

func address(recipient, street, postcodeCity string) map[string]any {
	return map[string]any{"destinataire": recipient, "complement_information": nil, "complement_information_geographique": nil,
		"numero_libelle_voie": street, "lieu_dit": nil, "code_postal_ville": postcodeCity, "pays": "FRANCE"}
}

// Users returns the built-in test identities: [DefaultUser] first, then
// edge cases (born abroad, unknown birth month, gender unspecified, no
// email, born in Corsica, compound and accented names, nom d'usage). Each
// call returns fresh copies.
func Users() []User {
	usage := testUser("avec_nom_dusage", "Marie Hélène LEBLANC, épouse MARCHAND (nom d'usage)", "Marie Hélène", "LEBLANC", "1980-05-12", "female", "69123", "99100", "marie.marchand@yopmail.com")
	usage.PreferredUsername = "MARCHAND"
	usage.Particulier = map[string]any{"quotient_familial": map[string]any{
		"allocataires": []any{person("LEBLANC", "MARCHAND", "MARIE HELENE", "1980-05-12", "F")},
		"enfants":      []any{person("MARCHAND", "", "LUCAS", "2012-09-03", "M"), person("MARCHAND", "", "EMMA", "2016-04-21", "F")},
		"adresse":      address("Madame MARCHAND MARIE HELENE", "4 CHEMIN DES VIGNES", "69430 BEAUJEU"),
		"quotient_familial": map[string]any{"fournisseur": "MSA", "valeur": 812, "annee": 2026, "mois": 11,
			"annee_calcul": 2026, "mois_calcul": 10},
	}}
	compound := testUser("nom_composé", "Jean-Paul Émile DE LA FONTAINE (noms composés et accents)", "Jean-Paul Émile", "DE LA FONTAINE", "1975-11-30", "male", "33063", "99100", "jean-paul.delafontaine@yopmail.com")
	compound.AMR = []string{"pwd", "mail"}
	month00 := testUser("mois_00", "Paul LEROY (mois de naissance inconnu)", "Paul", "LEROY", "1977-01-03", "male", "59350", "99100", "paul.leroy@yopmail.com")
	month00.IDPBirthdate = "1977-00-03" // FranceConnect v2 completes the unknown month with 01
	return []User{
		defaultUser(),
		usage,
		compound,
		testUser("carac_speciaux", "Zoë Anaïs D'ARTAGNAN-CŒUR (caractères spéciaux)", "Zoë Anaïs", "D'ARTAGNAN-CŒUR", "1991-02-14", "female", "13055", "99100", "zoe.dartagnan@yopmail.com"),
		testUser("naissance_Algérie", "Karim Mohamed BENALI (né à l'étranger, Algérie)", "Karim Mohamed", "BENALI", "1969-07-04", "male", "", "99352", "karim.benali@yopmail.com"),
		month00,
		testUser("genre_indéfini", "Camille PETIT (genre non spécifié)", "Camille", "PETIT", "1988-09-21", "unspecified", "31555", "99100", "camille.petit@yopmail.com"),
		testUser("sans_mail", "Louis BERNARD (sans adresse électronique)", "Louis", "BERNARD", "1955-03-08", "male", "44109", "99100", ""),
		testUser("test_CORSE_2A", "Ghjuvanni Antone SANTONI (né en Corse, 2A)", "Ghjuvanni Antone", "SANTONI", "1983-06-15", "male", "2A004", "99100", "ghjuvanni.santoni@yopmail.com"),
	}
}

// testUser is an edge-case identity of the demonstration provider: given
// names as sent in given_name_array, idp_birthdate equal to birthdate,
// password authentication.
func testUser(login, label, given, family, birthdate, gender, birthplace, birthcountry, email string) User {
	return User{
		Login: login, Label: label,
		GivenName: given, GivenNameArray: strings.Fields(given), FamilyName: family,
		Birthdate: birthdate, Gender: gender, Birthplace: birthplace, Birthcountry: birthcountry,
		Email: email, IDPBirthdate: birthdate, IDPID: demoIdP, AMR: []string{"pwd"},
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
	u.Extra = maps.Clone(u.Extra)
	u.Particulier = maps.Clone(u.Particulier)
	u.Roles = slices.Clone(u.Roles)
	u.Custom = maps.Clone(u.Custom)
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

// singleClaimScopes ask for the one claim of their name, on both API
// versions.
var singleClaimScopes = []string{"family_name", "gender", "birthdate", "birthplace", "birthcountry", "email", "preferred_username"}

// scopeClaims is FranceConnect v2's scope → claims table (core-fcp-low).
var scopeClaims = withSingleClaimScopes(map[string][]string{
	"openid":         {"sub"},
	"profile":        {"given_name", "given_name_array", "family_name", "birthdate", "gender", "preferred_username"},
	"birth":          {"birthplace", "birthcountry"},
	"identite_pivot": {"given_name", "given_name_array", "family_name", "birthdate", "gender", "birthplace", "birthcountry"},
	"given_name":     {"given_name", "given_name_array"},
	"idp_birthdate":  {"idp_birthdate"},
	"amr":            {"amr"},
	"idp_id":         {"idp_id"},
	// Data providers' business scopes (API Particulier, particulier.go):
	// no claim in userinfo, they open the provider's endpoints.
	"cnaf_quotient_familial": {}, "cnaf_allocataires": {}, "cnaf_enfants": {}, "cnaf_adresse": {},
	"complementaire_sante_solidaire": {},
}, singleClaimScopes...)

// scopeClaimsV1 is the legacy API's table: no given_name_array,
// idp_birthdate, idp_id or amr scope; preferred_username in
// identite_pivot; address and phone.
var scopeClaimsV1 = withSingleClaimScopes(map[string][]string{
	"openid":         {"sub"},
	"profile":        {"given_name", "family_name", "birthdate", "gender", "preferred_username"},
	"birth":          {"birthplace", "birthcountry"},
	"identite_pivot": {"given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry", "preferred_username"},
	"given_name":     {"given_name"},
	"address":        {"address"},
	"phone":          {"phone_number"},
}, singleClaimScopes...)

// withSingleClaimScopes adds to table each scope that asks for the one
// claim of its name.
func withSingleClaimScopes(table map[string][]string, scopes ...string) map[string][]string {
	for _, s := range scopes {
		table[s] = []string{s}
	}
	return table
}

// scopeTable returns the scope → claims table of the server's federation.
func (s *Server) scopeTable() map[string][]string {
	switch {
	case s.v1:
		return scopeClaimsV1
	case s.pc:
		return proConnectScopeClaims
	}
	return scopeClaims
}

// identityClaims returns the user's claims granted by scopes in table
// (sub excluded).
func (u User) identityClaims(scopes []string, table map[string][]string) map[string]any {
	out := maps.Clone(u.Extra)
	if out == nil {
		out = map[string]any{}
	}
	for _, sc := range scopes {
		for _, name := range table[sc] {
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
	strs := map[string]string{
		"given_name": u.GivenName, "family_name": u.FamilyName, "preferred_username": u.PreferredUsername,
		"birthdate": u.Birthdate, "gender": u.Gender, "birthcountry": u.Birthcountry, "email": u.Email,
		"idp_birthdate": u.IDPBirthdate, "idp_id": u.IDPID, "phone_number": u.PhoneNumber,
		"usual_name": u.UsualName, "uid": u.UID, "siret": u.SIRET, "siren": u.SIREN,
		"organization_label": u.OrganizationLabel, "phone": u.Phone, "organizational_unit": u.OrganizationalUnit,
		"belonging_population": u.BelongingPopulation, "chorusdt": u.ChorusDT,
	}
	if s, ok := strs[name]; ok {
		return s, s != ""
	}
	switch name {
	case "given_name_array":
		arr := u.GivenNameArray
		if len(arr) == 0 {
			arr = strings.Fields(u.GivenName)
		}
		return slices.Clone(arr), len(arr) > 0
	case "birthplace":
		return u.Birthplace, true
	case "amr":
		return slices.Clone(u.AMR), len(u.AMR) > 0
	case "roles":
		return slices.Clone(u.Roles), len(u.Roles) > 0
	case "custom":
		return maps.Clone(u.Custom), len(u.Custom) > 0
	case "address":
		if u.Address == nil {
			return nil, false
		}
		a := *u.Address
		return &a, true
	}
	return nil, false
}
