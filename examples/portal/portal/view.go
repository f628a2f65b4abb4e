package portal

import (
	"fmt"
	"strings"
	"time"

	"github.com/franceconnect-go/franceconnect"
)

// row is one line of the profile page.
type row struct {
	Key   string   // data-claim attribute
	Label string   // in French
	Claim string   // the claim's name, shown small
	Value string   // the value, formatted in French
	List  []string // or a list of values
	Note  string   // a remark under the value
}

// sessionView is a session as the templates show it.
type sessionView struct {
	DisplayName string
	Agreement   string // "e" for a woman, "" for a man, "·e" otherwise (connecté, connectée, connecté·e)
	CSRF        string
	Identity    []row
	Auth        []row
	Agent       bool // logged in through ProConnect
}

func newSessionView(s *session) *sessionView {
	if s.Agent != nil {
		return agentView(s)
	}
	id := s.Identity
	v := &sessionView{CSRF: s.CSRF}
	switch id.Gender {
	case franceconnect.GenderFemale:
		v.Agreement = "e"
	case franceconnect.GenderMale:
	default:
		v.Agreement = "·e"
	}
	v.DisplayName = strings.TrimSpace(id.GivenName + " " + displayFamilyName(id))

	notSent := "Non transmis"
	v.Identity = []row{
		{Key: "given_name", Label: "Prénoms", Claim: "given_name", Value: orText(id.GivenName, notSent)},
		{Key: "given_name_array", Label: "Liste des prénoms", Claim: "given_name_array", List: id.GivenNames, Value: notSent},
		{Key: "family_name", Label: "Nom de naissance", Claim: "family_name", Value: orText(id.FamilyName, notSent)},
		{Key: "preferred_username", Label: "Nom d’usage", Claim: "preferred_username", Value: orText(id.PreferredUsername, "Aucun")},
		birthdateRow(id),
	}
	if !id.IDPBirthdate.IsZero() {
		v.Identity = append(v.Identity, row{
			Key: "idp_birthdate", Label: "Date transmise par le fournisseur d’identité", Claim: "idp_birthdate",
			Value: id.IDPBirthdate.String(), Note: unknownParts(id.IDPBirthdate),
		})
	}
	v.Identity = append(v.Identity,
		row{Key: "gender", Label: "Sexe", Claim: "gender", Value: genderText(id.Gender)},
		birthplaceRow(id),
		row{Key: "birthcountry", Label: "Pays de naissance", Claim: "birthcountry", Value: countryText(id.Birthcountry)},
		row{Key: "email", Label: "Adresse électronique", Claim: "email", Value: orText(id.Email, "Non transmise")},
	)

	v.Auth = authRows(s.IDToken, id)
	return v
}

// authRows are the rows of how a citizen authenticated.
func authRows(tok *franceconnect.IDTokenClaims, id *franceconnect.Identity) []row {
	amr := tok.AMR
	amrNote := "dans le jeton d’identité (demandées par le portail à la connexion)"
	if len(amr) == 0 && len(id.AMR) > 0 {
		amr, amrNote = id.AMR, "transmises par userinfo"
	}
	amrRow := row{Key: "amr", Label: "Méthodes d’authentification", Claim: "amr", Value: "Non transmises"}
	for _, m := range amr {
		amrRow.List = append(amrRow.List, amrText(m))
	}
	if len(amr) > 0 {
		amrRow.Note = "Méthodes " + amrNote + "."
	}
	rows := []row{
		{Key: "acr", Label: "Niveau de garantie eIDAS", Claim: "acr", Value: acrText(tok.ACR)},
		amrRow,
	}
	if id.IDPID != "" {
		rows = append(rows, row{Key: "idp_id", Label: "Fournisseur d’identité", Claim: "idp_id", Value: id.IDPID})
	}
	if !tok.AuthTime.IsZero() {
		rows = append(rows, row{Key: "auth_time", Label: "Heure de l’authentification", Claim: "auth_time", Value: frDateTime(tok.AuthTime)})
	}
	return append(rows, row{Key: "sub", Label: "Identifiant FranceConnect (propre au portail)", Claim: "sub", Value: id.Subject})
}

func orText(s, none string) string {
	if s == "" {
		return none
	}
	return s
}

// displayFamilyName is the nom d'usage when there is one, else the birth
// name.
func displayFamilyName(id *franceconnect.Identity) string {
	if id.PreferredUsername != "" {
		return id.PreferredUsername
	}
	return id.FamilyName
}

var frMonths = [...]string{"", "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}

// frDate writes a birthdate in French, saying which parts are unknown.
func frDate(b franceconnect.Birthdate) string {
	switch {
	case b.IsZero():
		return "Non transmise"
	case b.Known():
		day := fmt.Sprint(b.Day)
		if b.Day == 1 {
			day = "1er"
		}
		return fmt.Sprintf("%s %s %d", day, frMonths[b.Month], b.Year)
	case b.Month != 0:
		return fmt.Sprintf("%s %d (jour inconnu)", frMonths[b.Month], b.Year)
	case b.Day != 0:
		return fmt.Sprintf("Le %d d’un mois inconnu de %d", b.Day, b.Year)
	default:
		return fmt.Sprintf("%d (jour et mois inconnus)", b.Year)
	}
}

// unknownParts explains the 00 parts of a birthdate from the identity
// provider.
func unknownParts(b franceconnect.Birthdate) string {
	switch {
	case b.Month == 0 && b.Day == 0:
		return "Jour et mois de naissance inconnus à l’état civil."
	case b.Month == 0:
		return "Mois de naissance inconnu à l’état civil."
	case b.Day == 0:
		return "Jour de naissance inconnu à l’état civil."
	}
	return ""
}

func birthdateRow(id *franceconnect.Identity) row {
	r := row{Key: "birthdate", Label: "Date de naissance", Claim: "birthdate", Value: frDate(id.Birthdate)}
	if !id.Birthdate.IsZero() {
		r.Note = id.Birthdate.String()
	}
	if n := unknownParts(id.IDPBirthdate); n != "" && id.Birthdate.Known() {
		r.Note = id.Birthdate.String() + " : date complétée par FranceConnect. " + n
	}
	return r
}

var genders = map[franceconnect.Gender]string{
	franceconnect.GenderFemale:      "Féminin",
	franceconnect.GenderMale:        "Masculin",
	franceconnect.GenderUnspecified: "Non spécifié",
	"":                              "Non transmis",
}

func genderText(g franceconnect.Gender) string {
	if t, ok := genders[g]; ok {
		return t
	}
	return string(g)
}

func birthplaceRow(id *franceconnect.Identity) row {
	r := row{Key: "birthplace", Label: "Lieu de naissance", Claim: "birthplace"}
	switch {
	case id.Birthplace != "":
		r.Value = id.Birthplace
		r.Note = "Code officiel géographique (INSEE) de la commune."
	case id.Birthcountry != "" && !id.BornInFrance():
		switch id.Gender {
		case franceconnect.GenderFemale:
			r.Value = "Née à l’étranger"
		case franceconnect.GenderMale:
			r.Value = "Né à l’étranger"
		default:
			r.Value = "Né·e à l’étranger"
		}
		r.Note = "Pas de commune de naissance : FranceConnect transmet une valeur vide."
	default:
		r.Value = "Non transmis"
	}
	return r
}

// countries names a few INSEE country codes; the others are shown as
// codes.
var countries = map[string]string{
	franceconnect.CountryFrance: "France",
	"99350":                     "Maroc",
	"99351":                     "Tunisie",
	"99352":                     "Algérie",
}

func countryText(code string) string {
	if code == "" {
		return "Non transmis"
	}
	if name, ok := countries[code]; ok {
		return name + " (" + code + ")"
	}
	return code + " (code INSEE du pays)"
}

var levels = map[franceconnect.ACR]string{
	franceconnect.EIDAS1: "eidas1 (faible)",
	franceconnect.EIDAS2: "eidas2 (substantiel)",
	franceconnect.EIDAS3: "eidas3 (élevé)",
}

func acrText(a franceconnect.ACR) string {
	if t, ok := levels[a]; ok {
		return t
	}
	return string(a)
}

var amrNames = map[string]string{
	"pwd":  "mot de passe",
	"mail": "code envoyé par courriel",
	"sms":  "code envoyé par SMS",
	"otp":  "code à usage unique",
	"mfa":  "authentification à plusieurs facteurs",
	"pin":  "code personnel",
	"swk":  "clé logicielle",
	"hwk":  "clé matérielle",
}

func amrText(m string) string {
	if name, ok := amrNames[m]; ok {
		return m + " (" + name + ")"
	}
	return m
}

var paris = func() *time.Location {
	if loc, err := time.LoadLocation("Europe/Paris"); err == nil {
		return loc
	}
	return time.UTC
}()

func frDateTime(t time.Time) string {
	t = t.In(paris)
	return fmt.Sprintf("%s à %s", frDate(franceconnect.Birthdate{Year: t.Year(), Month: t.Month(), Day: t.Day()}), t.Format("15:04:05 MST"))
}
