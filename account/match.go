// Package account decides what a portal does with a person the provider
// has just verified: link a FranceConnect login to an existing account
// (MatchIdentity, on the identité pivot, never on the e-mail alone), or
// let a ProConnect agent in (AgentPolicy, which ProConnect leaves to each
// service). The login itself is package franceconnect's.
package account

import (
	"strings"
	"unicode"

	"github.com/franceconnect-go/franceconnect"
)

// IdentityMatch is what MatchIdentity found.
type IdentityMatch struct {
	// Match is true when the whole identité pivot is on both sides and
	// every field is the same once normalised.
	Match bool
	// Differences names the fields that differ or are missing on either
	// side, in this order: "family_name", "given_names", "birthdate",
	// "gender", "birthcountry", "birthplace". Never a value.
	Differences []string
}

// MatchIdentity compares an identity FranceConnect has just verified with
// one stored for an existing account, on the identité pivot, as
// FranceConnect's qualification asks of services that link a FranceConnect
// login to an account: birth name, given names, birth date, gender, birth
// country, and birthplace when the verified birth country is France
// (99100). Every one of them is required on both sides: a field missing on
// either side (a login whose scopes did not ask for it, an account that
// never recorded it) is a difference, never a match, so two identities that
// share only a name, or nothing, do not match. Never link on the e-mail
// alone, and never on sub across registrations (sub is per service).
//
// Normalisation, the same on both sides: letters compared without case or
// accents (é, È, ç, œ...), apostrophes and hyphens read as spaces, runs of
// white space as one ("D’ARTAGNAN-CŒUR" is "d artagnan coeur"). Given
// names are compared as FranceConnect sends them, all of them in civil
// registry order: "Jean-Paul Émile" matches "JEAN PAUL EMILE", not "Jean"
// nor "Émile Jean-Paul". A birth date with an unknown month or day (00)
// matches the stored date written either way FranceConnect gives it
// (birthdate, completed with 01, or idp_birthdate, with 00); 00 is not a
// wildcard.
//
// What it does not decide: a near match (one letter apart, a missing
// second given name, a nom d'usage stored as the birth name) is a
// Difference, not a match; route such cases to a person who checks the
// account by other means, rather than loosening the comparison.
func MatchIdentity(verified, stored *franceconnect.Identity) IdentityMatch {
	if verified == nil || stored == nil {
		return IdentityMatch{Differences: []string{"family_name", "given_names", "birthdate", "gender", "birthcountry", "birthplace"}}
	}
	var diff []string
	differ := func(field string, a, b string) {
		if a == "" || b == "" || a != b {
			diff = append(diff, field)
		}
	}
	differ("family_name", normName(verified.FamilyName), normName(stored.FamilyName))
	differ("given_names", normName(strings.Join(givenNames(verified), " ")), normName(strings.Join(givenNames(stored), " ")))
	if verified.Birthdate == (franceconnect.Birthdate{}) || stored.Birthdate == (franceconnect.Birthdate{}) ||
		stored.Birthdate != verified.Birthdate && stored.Birthdate != verified.IDPBirthdate {
		diff = append(diff, "birthdate")
	}
	differ("gender", string(verified.Gender), string(stored.Gender))
	differ("birthcountry", verified.Birthcountry, stored.Birthcountry)
	if verified.BornInFrance() || verified.Birthcountry == "" {
		differ("birthplace", strings.ToUpper(verified.Birthplace), strings.ToUpper(stored.Birthplace))
	}
	return IdentityMatch{Match: len(diff) == 0, Differences: diff}
}

func givenNames(id *franceconnect.Identity) []string {
	if len(id.GivenNames) > 0 {
		return id.GivenNames
	}
	return strings.Fields(id.GivenName)
}

// normName lowers s, removes accents, reads apostrophes and hyphens as
// spaces and folds white space.
func normName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case strings.ContainsRune("'’‘ʼ`´-‐‑‒–—", r):
			b.WriteByte(' ')
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		default:
			b.WriteString(unaccent(r))
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// unaccent writes the letters of French names without their accents.
func unaccent(r rune) string {
	for _, group := range [...]struct {
		base    string
		letters string
	}{
		{"a", "àáâãäåā"}, {"c", "çćč"}, {"e", "èéêëēėę"}, {"i", "ìíîïī"}, {"n", "ñń"},
		{"o", "òóôõöøō"}, {"u", "ùúûüū"}, {"y", "ýÿ"}, {"oe", "œ"}, {"ae", "æ"}, {"ss", "ß"},
	} {
		if strings.ContainsRune(group.letters, r) {
			return group.base
		}
	}
	return string(r)
}
