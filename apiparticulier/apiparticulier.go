// Package apiparticulier calls API Particulier in its FranceConnect mode
// ("modalité FranceConnect"): the data the State holds about the citizen
// who has just logged in with FranceConnect (the quotient familial of the
// CAF or the MSA, the complémentaire santé solidaire), fetched with the
// FranceConnect access token instead of typed by the citizen.
//
// The login must ask for the endpoint's business scopes beside the identity
// scopes (ScopeQuotientFamilial, ScopeComplementaireSanteSolidaire...: each
// needs its own habilitation, granted through DataPass), and the call must
// happen inside the callback: FranceConnect's access token lives 60
// seconds. With the handlers of package franceconnect, that is the onLogin
// function, before the portal's session starts:
//
//	ctx, cancel := context.WithDeadline(r.Context(), res.AccessTokenExpiry)
//	defer cancel()
//	qf, err := particulier.QuotientFamilial(ctx, res.AccessToken)
//	if err != nil {
//		log.Warn("quotient familial not fetched", "error", err) // typed, no personal data, no token
//		// the citizen types it: a failed call never fails the login
//	}
//
// Responses are read into types that follow the provider's published
// payloads; errors are *Error values that match ErrTokenRefused,
// ErrScope, ErrNotFound or ErrUnavailable. The package depends on the
// standard library only; it never logs, never follows a redirect (the
// bearer token would follow it), bounds every answer to 1 MiB and every
// call to the HTTP client's Timeout (10 s by default), and no error names
// the token or the person.
package apiparticulier

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/franceconnect-go/franceconnect/internal/httpx"
)

// API Particulier's hosts.
const (
	Production = "https://particulier.api.gouv.fr"
	Staging    = "https://staging.particulier.api.gouv.fr"
)

// The business scopes a FranceConnect login asks for, beside the identity
// scopes, so that its access token opens the endpoints.
const (
	// ScopeQuotientFamilial opens QuotientFamilial (its value);
	// ScopeAllocataires, ScopeEnfants and ScopeAdresse its beneficiaries,
	// children and address.
	ScopeQuotientFamilial = "cnaf_quotient_familial"
	ScopeAllocataires     = "cnaf_allocataires"
	ScopeEnfants          = "cnaf_enfants"
	ScopeAdresse          = "cnaf_adresse"
	// ScopeComplementaireSanteSolidaire opens ComplementaireSanteSolidaire.
	ScopeComplementaireSanteSolidaire = "complementaire_sante_solidaire"
)

// Client calls API Particulier for one organisation. Its zero HTTPClient
// and BaseURL are defaults; Recipient is required.
type Client struct {
	// BaseURL is Production (the default) or Staging, or a mock's URL
	// (fctest's).
	BaseURL string
	// Recipient is the SIRET of the organisation the data is for (the
	// recipient parameter every call carries).
	Recipient string
	// HTTPClient makes the calls (default: a 10 s timeout). Redirects
	// are never followed, whatever it says.
	HTTPClient *http.Client
}

// Person is a beneficiary (allocataire) or a child of a family file.
type Person struct {
	BirthName  string `json:"nom_naissance"`  // nom de naissance
	UsageName  string `json:"nom_usage"`      // nom d'usage, empty when none
	GivenNames string `json:"prenoms"`        // as the file spells them, e.g. "ANGELA CLAIRE LOUISE"
	Birthdate  string `json:"date_naissance"` // YYYY-MM-DD
	Sex        string `json:"sexe"`           // "F" or "M"
}

// Address is a family file's postal address, in its lines.
type Address struct {
	Recipient          string `json:"destinataire"`                        // e.g. "Madame DUBOIS ANGELA"
	Complement         string `json:"complement_information"`              // apartment, floor...
	GeographicalDetail string `json:"complement_information_geographique"` // building, residence...
	Street             string `json:"numero_libelle_voie"`                 // e.g. "1 RUE MONTORGUEIL"
	Locality           string `json:"lieu_dit"`                            // lieu-dit
	PostcodeCity       string `json:"code_postal_ville"`                   // e.g. "75002 PARIS"
	Country            string `json:"pays"`                                // e.g. "FRANCE"
}

// QuotientFamilial is a family's quotient familial and its file: GET
// /v3/dss/quotient_familial/france_connect.
type QuotientFamilial struct {
	// Quotient is the quotient familial itself.
	Quotient struct {
		Provider      string `json:"fournisseur"` // "CNAF" or "MSA"
		Value         int    `json:"valeur"`      // in euros
		Year          int    `json:"annee"`       // the month it applies to
		Month         int    `json:"mois"`
		ComputedYear  int    `json:"annee_calcul"` // the month it was computed
		ComputedMonth int    `json:"mois_calcul"`
	} `json:"quotient_familial"`
	Beneficiaries []Person `json:"allocataires"` // with ScopeAllocataires
	Children      []Person `json:"enfants"`      // with ScopeEnfants
	Address       *Address `json:"adresse"`      // with ScopeAdresse
}

// ComplementaireSanteSolidaire is the citizen's right to the complémentaire
// santé solidaire (C2S): GET /v3/dss/complementaire_sante_solidaire/france_connect.
type ComplementaireSanteSolidaire struct {
	Beneficiary      bool   `json:"est_beneficiaire"`   // the citizen has the C2S
	WithContribution bool   `json:"avec_participation"` // the C2S with a financial contribution
	Since            string `json:"date_debut_droit"`   // YYYY-MM-DD
}

// QuotientFamilial fetches the quotient familial of the citizen whose
// FranceConnect access token this is.
func (c *Client) QuotientFamilial(ctx context.Context, accessToken string) (*QuotientFamilial, error) {
	return fetch[QuotientFamilial](ctx, c, "/v3/dss/quotient_familial/france_connect", accessToken)
}

// ComplementaireSanteSolidaire fetches the citizen's C2S right.
func (c *Client) ComplementaireSanteSolidaire(ctx context.Context, accessToken string) (*ComplementaireSanteSolidaire, error) {
	return fetch[ComplementaireSanteSolidaire](ctx, c, "/v3/dss/complementaire_sante_solidaire/france_connect", accessToken)
}

// fetch calls path and reads its data into a T.
func fetch[T any](ctx context.Context, c *Client, path, accessToken string) (*T, error) {
	var out T
	if err := c.get(ctx, path, accessToken, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Sentinels: every *Error matches one of them.
var (
	// ErrTokenRefused: the access token is expired (FranceConnect's live 60
	// s), revoked, or unknown to FranceConnect.
	ErrTokenRefused = errors.New("apiparticulier: the FranceConnect access token was refused (expired, revoked or unknown)")
	// ErrScope: the token does not carry the endpoint's business scope,
	// the organisation has no habilitation for it, or the call is refused
	// (a Recipient that is no SIRET).
	ErrScope = errors.New("apiparticulier: the endpoint's scope or habilitation is missing")
	// ErrNotFound: the data provider has no record of this citizen (no
	// CAF or MSA file, for instance).
	ErrNotFound = errors.New("apiparticulier: no record of this citizen")
	// ErrUnavailable: API Particulier or its data provider could not be
	// reached, timed out, or failed.
	ErrUnavailable = errors.New("apiparticulier: API Particulier or its data provider is unavailable")
)

// Error is an answer of API Particulier other than 200, or a call that
// failed. It never holds the token or personal data: the provider's error
// codes and titles, and a status.
type Error struct {
	Status   int    // HTTP status; 0 when no answer came
	Code     string // the provider's first error code, e.g. "37003"
	Title    string // its title, e.g. "Dossier allocataire absent CNAV"
	Provider string // the data provider named, e.g. "CNAV"
	kind     error
	cause    string
}

// Error says what failed, with the provider's code and title.
func (e *Error) Error() string {
	msg := e.kind.Error()
	if e.Status != 0 {
		msg += fmt.Sprintf(": HTTP %d", e.Status)
	}
	if e.Code != "" || e.Title != "" {
		msg += fmt.Sprintf(" %s %s", e.Code, e.Title)
	}
	if e.cause != "" {
		msg += ": " + e.cause
	}
	return strings.TrimSpace(msg)
}

// Is matches the sentinel of the error's kind.
func (e *Error) Is(target error) bool { return target == e.kind }

const (
	maxBody        = 1 << 20
	defaultTimeout = 10 * time.Second
)

func (c *Client) get(ctx context.Context, path, accessToken string, dst any) error {
	if c.Recipient == "" || accessToken == "" {
		return &Error{kind: ErrScope, cause: "the client has no Recipient, or the call no access token"}
	}
	hc := httpx.NoRedirects(cmp.Or(c.HTTPClient, http.DefaultClient)) // the bearer token never follows one
	hc.Timeout = cmp.Or(hc.Timeout, defaultTimeout)
	u := strings.TrimSuffix(cmp.Or(c.BaseURL, Production), "/") + path + "?" + url.Values{"recipient": {c.Recipient}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return &Error{kind: ErrUnavailable, cause: "BaseURL is not a URL"}
	}
	req.Header.Set("Authorization", "Bearer "+accessToken)
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		cause := "unreachable, or it redirected"
		if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
			cause = "timed out (the access token lives 60 s)"
		}
		return &Error{kind: ErrUnavailable, cause: cause}
	}
	defer httpx.Drain(resp)
	body, err := httpx.ReadLimited(resp.Body, maxBody)
	switch {
	case err != nil:
		return &Error{Status: resp.StatusCode, kind: ErrUnavailable, cause: "the answer could not be read, or is larger than 1 MiB"}
	case resp.StatusCode != http.StatusOK:
		return answerError(resp.StatusCode, body)
	}
	var envelope struct {
		Data json.RawMessage `json:"data"`
	}
	if json.Unmarshal(body, &envelope) != nil || len(envelope.Data) == 0 || json.Unmarshal(envelope.Data, dst) != nil {
		return &Error{Status: resp.StatusCode, kind: ErrUnavailable, cause: "the answer is not the documented JSON"}
	}
	return nil
}

// answerError reads API Particulier's error answer
// ({"errors":[{"code","title","detail","source","meta":{"provider"}}]}).
func answerError(status int, body []byte) *Error {
	e := &Error{Status: status, kind: ErrUnavailable}
	switch {
	case status == http.StatusUnauthorized:
		e.kind = ErrTokenRefused
	case status == http.StatusForbidden:
		e.kind = ErrScope
	case status == http.StatusNotFound:
		e.kind = ErrNotFound
	case status < 500:
		e.kind = ErrScope // a request the provider refuses: the call's settings, not the citizen
		e.cause = "request refused"
	}
	var answer struct {
		Errors []struct {
			Code  string `json:"code"`
			Title string `json:"title"`
			Meta  struct {
				Provider string `json:"provider"`
			} `json:"meta"`
		} `json:"errors"`
	}
	if json.Unmarshal(body, &answer) == nil && len(answer.Errors) > 0 {
		first := answer.Errors[0]
		e.Code, e.Title, e.Provider = printable(first.Code, 16), printable(first.Title, 120), printable(first.Meta.Provider, 32)
	}
	return e
}

// printable keeps at most n printable characters of s.
func printable(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, s)
	if r := []rune(s); len(r) > n {
		s = string(r[:n])
	}
	return s
}
