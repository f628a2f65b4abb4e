package account_test

import (
	"errors"
	"fmt"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/account"
)

// A citizen logs in with FranceConnect; the portal has an account whose
// identity was typed by hand, with accents and hyphens of its own.
func ExampleMatchIdentity() {
	verified := &franceconnect.Identity{ // res.Identity
		GivenName: "Zoë Anaïs", FamilyName: "D'ARTAGNAN-CŒUR", Gender: franceconnect.GenderFemale,
		Birthdate: franceconnect.Birthdate{Year: 1991, Month: 2, Day: 14}, Birthplace: "13055", Birthcountry: "99100",
	}
	stored := &franceconnect.Identity{
		GivenName: "zoe anais", FamilyName: "d’Artagnan Coeur", Gender: franceconnect.GenderFemale,
		Birthdate: franceconnect.Birthdate{Year: 1991, Month: 2, Day: 14}, Birthplace: "13055", Birthcountry: "99100",
	}
	fmt.Println(account.MatchIdentity(verified, stored))

	stored.Birthdate.Day = 15 // a twin
	fmt.Println(account.MatchIdentity(verified, stored))
	// Output:
	// {true []}
	// {false [birthdate]}
}

// ProConnect logs in anyone its identity providers vouch for: the service
// restricts access itself.
func ExampleAgentPolicy() {
	agent := &franceconnect.Agent{ // res.Agent
		Subject: "s", Email: "jean.martin@interieur.gouv.fr", SIRET: "11000201100044",
	}
	policy := account.AgentPolicy{EmailDomains: []string{".gouv.fr"}, SIRETs: []string{"11000201100044"}}
	fmt.Println(policy.Allow(agent))

	err := account.AgentPolicy{EmailDomains: []string{"numerique.gouv.fr"}}.Allow(agent)
	fmt.Println(errors.Is(err, franceconnect.ErrAgentNotAllowed), franceconnect.StatusCode(err))
	// Output:
	// <nil>
	// true 403
}
