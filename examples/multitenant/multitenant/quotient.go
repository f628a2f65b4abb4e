package multitenant

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/apiparticulier"
)

// FranceConnected data: an organisation that opts in (« récupérer le
// quotient familial ») asks for API Particulier's business scope at
// login, and the callback fetches the citizen's quotient familial with the
// access token, within its 60 seconds, before the session starts. A call
// that fails never fails the login: the dashboard then asks the citizen
// to type it.

// quotient is a login's quotient familial: from the administration, typed
// by the citizen, or missing (why, for the page).
type quotient struct {
	Value    int    `json:"valeur,omitempty"`
	Provider string `json:"fournisseur,omitempty"` // CNAF or MSA; "" when typed
	Year     int    `json:"annee,omitempty"`
	Month    int    `json:"mois,omitempty"`
	Typed    bool   `json:"saisi,omitempty"`
	Missing  string `json:"manquant,omitempty"` // "absent": no file; "indisponible": the call failed
}

// Fetched reports whether the value came from the administration.
func (q *quotient) Fetched() bool { return q != nil && q.Provider != "" }

// MonthName is the month the value applies to, in French.
func (q *quotient) MonthName() string {
	months := [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
	if q == nil || q.Month < 1 || q.Month > 12 {
		return ""
	}
	return months[q.Month-1] + " " + strconv.Itoa(q.Year)
}

// Euros writes the value as a French amount: 2 550 €.
func (q *quotient) Euros() string {
	s := strconv.Itoa(q.Value)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "\u202f" + s[i:]
	}
	return s + "\u00a0€"
}

// fetchQuotient fetches the quotient familial of the citizen of res for
// organisation o. It always returns one: the value, or why it is missing.
func (a *app) fetchQuotient(ctx context.Context, o org, res *franceconnect.Result) *quotient {
	deadline := res.AccessTokenExpiry
	if deadline.IsZero() {
		deadline = time.Now().Add(time.Minute)
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	client := &apiparticulier.Client{BaseURL: a.particulierURL(o), Recipient: o.SIRET}
	qf, err := client.QuotientFamilial(ctx, res.AccessToken)
	if err != nil {
		// Typed, without the token or the person: the citizen types it.
		a.log.Warn("multitenant: quotient familial not fetched", "tenant", o.Name, "error", err.Error())
		if errors.Is(err, apiparticulier.ErrNotFound) {
			return &quotient{Missing: "absent"}
		}
		return &quotient{Missing: "indisponible"}
	}
	return &quotient{Value: qf.Quotient.Value, Provider: qf.Quotient.Provider, Year: qf.Quotient.Year, Month: qf.Quotient.Month}
}

// particulierURL is API Particulier for o's FranceConnect: the demo's
// mock serves it; the sandbox and integration use its staging.
func (a *app) particulierURL(o org) string {
	if o.ServiceURL == mockServiceURL {
		return a.provider
	}
	if env, err := franceconnect.EnvironmentFromURL(o.ServiceURL); err == nil && env.Issuer == franceconnect.Production.Issuer {
		return apiparticulier.Production
	}
	return apiparticulier.Staging
}

// typeQuotient records the quotient familial a citizen typed, for the
// login of that organisation.
func (a *app) typeQuotient(w http.ResponseWriter, r *http.Request) {
	name, key := r.PathValue("tenant"), a.sessionKey(r)
	value, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("qf")))
	if key == "" || err != nil || value < 0 || value > 100_000 {
		a.render(w, r, http.StatusUnprocessableEntity, "error", "Indiquez votre quotient familial en euros, un nombre entier (par exemple 850).")
		return
	}
	q, _ := json.Marshal(quotient{Value: value, Typed: true})
	err = a.db.tx(r.Context(), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(r.Context(), `UPDATE logins SET quotient = $3 WHERE session = $1 AND tenant = $2`, key, name, string(q))
		return err
	})
	if err != nil {
		a.storeFailed(w, r, err)
		return
	}
	http.Redirect(w, r, "/aides/", http.StatusSeeOther)
}
