package portal

import (
	"errors"
	"maps"
	"strings"

	"github.com/franceconnect-go/franceconnect"
)

// Messages of the home page, chosen by a fixed code in the query string
// (never a text from the URL). %s is the agreement of "déconnecté".
var homeMessages = map[string]message{
	"ok":         {Kind: "success", Code: "logged-out", Text: "Vous êtes déconnecté%s du portail et de FranceConnect."},
	"incomplete": {Kind: "info", Code: "logged-out-unverified", Text: "Vous êtes déconnecté%s du portail. Le retour de FranceConnect n’a pas pu être vérifié : fermez votre navigateur pour être certain de terminer votre session FranceConnect."},
}

// loginMessages are the messages of a failed login, by a fixed code in the
// query string: the callback redirects to the home page, so that a reload
// does not replay it.
var loginMessages = map[string]message{}

func init() {
	for code, m := range maps.Clone(homeMessages) { // not the entries added here
		m.Code, m.Text = agentsSpace+m.Code, strings.ReplaceAll(m.Text, "FranceConnect", "ProConnect")
		homeMessages[agentsSpace+code] = m
	}
	for code, err := range map[string]error{
		"annulee": franceconnect.ErrAccessDenied, "expiree": franceconnect.ErrTransactionExpired,
		"inconnue": franceconnect.ErrNoTransaction, "indisponible": franceconnect.ErrProviderUnavailable,
		"configuration": franceconnect.ErrConfig, "echec": errors.New("other"),
	} {
		kind := "error"
		if code == "annulee" {
			kind = "info"
		}
		loginMessages[code] = message{Kind: kind, Code: "login-" + code, Text: franceconnect.UserMessage(err)}
		loginMessages[agentsSpace+code] = message{Kind: kind, Code: "login-" + agentsSpace + code,
			Text: strings.ReplaceAll(franceconnect.UserMessage(err), "FranceConnect", "ProConnect")}
	}
}

// loginCode is the code of loginMessages for err.
func loginCode(err error) string {
	for _, c := range []struct {
		code string
		err  error
	}{{"annulee", franceconnect.ErrAccessDenied}, {"configuration", franceconnect.ErrConfig}, {"configuration", franceconnect.ErrInvalidClient},
		{"expiree", franceconnect.ErrTransactionExpired}, {"expiree", franceconnect.ErrInvalidGrant}, {"inconnue", franceconnect.ErrStateMismatch},
		{"indisponible", franceconnect.ErrProviderUnavailable}} {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return "echec"
}
