package multitenant

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/apiparticulier"
	"github.com/franceconnect-go/franceconnect/examples/portal/portal"
	"github.com/franceconnect-go/franceconnect/tenant"
)

// org is an organisation (a tenant) of the product, as its row holds it:
// what its administrator fills in the « Intégration FranceConnect » tab
// (whether FranceConnect is offered, the button and the text beside it,
// whether to ask for the email) and the registration (package tenant's,
// the secret opened).
type org struct {
	Name, Label    string
	Enabled        bool
	Button         portal.ButtonStyle
	ConnectionText string
	AskEmail       bool
	// FetchQF fetches the citizen's quotient familial at login (API
	// Particulier, for the organisation of SIRET).
	FetchQF bool
	SIRET   string
	tenant.Settings
	secretErr error // the stored secret did not open: ClientSecret is empty
}

const (
	maxConnectionText = 200
	maxLabel          = 100
	// mockServiceURL is the « URL du service » of the demo's provider: the
	// embedded mock, or the one -provider names.
	mockServiceURL = "mock"
)

// validOrgName: the organisation's name in its URLs.
var validOrgName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,31}$`)

// check returns every problem of o; the registration is checked only when
// FranceConnect is enabled, and the demo's provider is a valid « URL du
// service ».
func (o org) check() []tenant.Problem {
	var out []tenant.Problem
	if o.Button != portal.ButtonDefault && o.Button != portal.ButtonContrast {
		out = append(out, tenant.Problem{Field: "Button", Message: "Choisissez le bouton FranceConnect par défaut, ou le bouton contrasté si le fond de la page l’exige.", Detail: "Button must be default or contrast"})
	}
	if len(o.ConnectionText) > maxConnectionText || strings.ContainsFunc(o.ConnectionText, func(r rune) bool { return !unicode.IsPrint(r) }) {
		out = append(out, tenant.Problem{Field: "ConnectionText", Message: fmt.Sprintf("Le texte de connexion compte au plus %d caractères, sans retour à la ligne.", maxConnectionText), Detail: "ConnectionText is too long or has control characters"})
	}
	if o.FetchQF && !franceconnect.ValidSIRET(o.SIRET) {
		out = append(out, tenant.Problem{Field: "SIRET", Message: "Indiquez le SIRET de l’organisation (14 chiffres) : API Particulier transmet les données à l’organisation qui les demande.", Detail: "FetchQF needs the organisation's SIRET"})
	}
	if !o.Enabled {
		return out
	}
	for _, p := range o.Check() {
		if p.Field != "ServiceURL" || o.ServiceURL != mockServiceURL {
			out = append(out, p)
		}
	}
	return out
}

// store keeps the organisations in the database, their secrets sealed.
type store struct {
	db      *db
	secrets *sealer
}

const orgColumns = `name, label, enabled, button, connection_text, ask_email, fetch_qf, siret, client_id, client_secret, service_url`

// list returns every organisation by name, or the one named.
func (st *store) list(ctx context.Context, name string) ([]org, error) {
	q, args := `SELECT `+orgColumns+` FROM tenants ORDER BY name`, []any{}
	if name != "" {
		q, args = `SELECT `+orgColumns+` FROM tenants WHERE name = $1`, []any{name}
	}
	rows, err := st.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []org
	for rows.Next() {
		var o org
		var sealed string
		if err := rows.Scan(&o.Name, &o.Label, &o.Enabled, &o.Button, &o.ConnectionText, &o.AskEmail, &o.FetchQF, &o.SIRET, &o.ClientID, &sealed, &o.ServiceURL); err != nil {
			return nil, err
		}
		o.ClientSecret, o.secretErr = st.secrets.open(o.Name, sealed)
		out = append(out, o)
	}
	return out, rows.Err()
}

// get returns the organisation named, or sql.ErrNoRows.
func (st *store) get(ctx context.Context, name string) (org, error) {
	orgs, err := st.list(ctx, name)
	if err == nil && len(orgs) == 0 {
		err = sql.ErrNoRows
	}
	if err != nil {
		return org{}, err
	}
	return orgs[0], nil
}

// errExists: an organisation of that name exists already.
var errExists = errors.New("an organisation of that name exists")

// create adds an organisation, with FranceConnect off until its
// administrator fills the tab.
func (st *store) create(ctx context.Context, name, label string) error {
	return st.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO tenants (`+orgColumns+`) VALUES ($1, $2, FALSE, 'default', '', TRUE, FALSE, '', '', '', 'mock') ON CONFLICT (name) DO NOTHING`, name, label)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errExists
		}
		return nil
	})
}

// save writes the settings of an existing organisation (not its label).
func (st *store) save(ctx context.Context, o org) error {
	return st.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tenants SET enabled = $2, button = $3, connection_text = $4, ask_email = $5, fetch_qf = $6, siret = $7,
			client_id = $8, client_secret = $9, service_url = $10 WHERE name = $1`,
			o.Name, o.Enabled, string(o.Button), o.ConnectionText, o.AskEmail, o.FetchQF, o.SIRET, o.ClientID, st.secrets.seal(o.Name, o.ClientSecret), o.ServiceURL)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return sql.ErrNoRows
		}
		return nil
	})
}

// remove deletes an organisation and its users' logins.
func (st *store) remove(ctx context.Context, name string) error {
	return st.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM logins WHERE tenant = $1`, name); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM tenants WHERE name = $1`, name)
		return err
	})
}

// write runs change in a transaction that also counts it in
// settings_version, which the replicas poll.
func (st *store) write(ctx context.Context, change func(*sql.Tx) error) error {
	return st.db.tx(ctx, func(tx *sql.Tx) error {
		if err := change(tx); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE settings_version SET version = version + 1 WHERE id = 1`)
		return err
	})
}

// version returns the count of changes to the organisations.
func (st *store) version(ctx context.Context) (int64, error) {
	var v int64
	err := st.db.QueryRowContext(ctx, `SELECT version FROM settings_version WHERE id = 1`).Scan(&v)
	return v, err
}

// source is the tenant set's tenant.Source: the organisations that offer
// FranceConnect, as franceconnect.Configs. An organisation whose row
// cannot make one (a secret that does not open with this replica's key)
// is left out, and logged: its logins fail rather than use anything else.
func (a *app) source(ctx context.Context, name string) (map[string]franceconnect.Config, error) {
	orgs, err := a.store.list(ctx, name)
	if err != nil {
		return nil, err
	}
	out := map[string]franceconnect.Config{}
	for _, o := range orgs {
		if !o.Enabled {
			continue
		}
		cfg, err := a.config(o)
		if o.secretErr != nil {
			err = o.secretErr
		}
		if err != nil {
			a.log.Error("multitenant: an organisation's settings cannot be used", "tenant", o.Name, "error", err.Error())
			continue
		}
		out[o.Name] = cfg
	}
	return out, nil
}

// config returns the franceconnect.Config of an organisation that offers
// FranceConnect.
func (a *app) config(o org) (franceconnect.Config, error) {
	urls, err := tenant.GrantPortalURLs(a.base, o.Name)
	if err != nil {
		return franceconnect.Config{}, err
	}
	scopes := []string{franceconnect.ScopeIdentitePivot}
	if o.AskEmail {
		scopes = append(scopes, franceconnect.ScopeEmail)
	}
	if o.FetchQF {
		scopes = append(scopes, apiparticulier.ScopeQuotientFamilial)
	}
	s := o.Settings
	if s.ServiceURL == mockServiceURL {
		s.ServiceURL, s.Development = a.provider, true // a mock on this machine
	}
	return s.Config(urls.Config(franceconnect.Config{Scopes: scopes}))
}

// poll reloads the tenant set whenever settings_version moves, every
// interval, until ctx ends; seen is the version loaded at start. Polling rather than LISTEN/NOTIFY: the same
// on SQLite and PostgreSQL, nothing to reconnect, no notification lost
// while a connection is down, for one indexed read per interval; and
// logins do not wait for it (the set reads a tenant before a login starts,
// and again when a callback needs it).
func (a *app) poll(ctx context.Context, interval time.Duration, seen int64) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		v, err := a.store.version(ctx)
		if err != nil || v == seen {
			if err != nil && ctx.Err() == nil {
				a.log.Warn("multitenant: polling the settings failed", "error", err.Error())
			}
			continue
		}
		if err := a.tenants.Reload(ctx, ""); err == nil || errors.Is(err, franceconnect.ErrConfig) {
			a.log.Info("multitenant: settings reloaded", "version", v)
			seen = v
		}
	}
}
