package multitenant

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/examples/portal/portal"
	"github.com/franceconnect-go/franceconnect/fctest"
	"github.com/franceconnect-go/franceconnect/tenant"
)

//go:embed templates/*.html
var templateFS embed.FS

var page = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// app is one replica of a grant portal that one vendor runs for several
// organisations. Everything it knows lives in the database; the tenant
// set follows it (store.go).
type app struct {
	base     string // e.g. http://127.0.0.1:8081
	host     string // the Host every request must name
	https    bool
	provider string         // the demo's FranceConnect: « URL du service » "mock"
	mock     *fctest.Server // the embedded one, nil with Options.Provider
	db       *db
	store    *store
	tenants  *tenant.Set
	log      *slog.Logger

	adminPassword string
}

const spacePattern = "/account-management/{space}/france-connect/"

func tenantOf(r *http.Request) string { return strings.TrimSuffix(r.PathValue("space"), "-demandeurs") }

// demoOrgs are the organisations of a new database on the embedded mock.
var demoOrgs = []struct{ name, label string }{
	{"t1", "Commune de Saint-Exemple"},
	{"t2", "Département du Val-Fictif"},
}

// demoCredentials are the fixed credentials of tenant on the embedded
// mock, so that saved settings still match after a restart.
func demoCredentials(tenant string) (id, secret string) {
	a, b := sha256.Sum256([]byte("demo client "+tenant)), sha256.Sum256([]byte("demo secret "+tenant))
	return hex.EncodeToString(a[:]), hex.EncodeToString(b[:])
}

// seed fills a new database with the demo's organisations, and registers
// every organisation that uses the embedded mock on it, as FranceConnect's
// partner space would have.
func (a *app) seed(ctx context.Context) error {
	orgs, err := a.store.list(ctx, "")
	if err != nil {
		return err
	}
	if len(orgs) == 0 {
		for _, d := range demoOrgs {
			id, secret := demoCredentials(d.name)
			o := org{Name: d.name, Label: d.label, Enabled: true, Button: portal.ButtonDefault, AskEmail: true,
				ConnectionText: "Déposez et suivez vos demandes d’aide.",
				Settings:       tenant.Settings{ClientID: id, ClientSecret: secret, ServiceURL: mockServiceURL}}
			if err := a.store.create(ctx, o.Name, o.Label); err != nil && !errors.Is(err, errExists) {
				return err // another process seeds it
			}
			if err := a.store.save(ctx, o); err != nil {
				return err
			}
			orgs = append(orgs, o)
		}
	}
	for _, o := range orgs {
		a.registerOnMock(o)
	}
	return nil
}

// registerOnMock registers the organisation's client on the embedded
// mock, when it uses it.
func (a *app) registerOnMock(o org) {
	if a.mock == nil || o.ServiceURL != mockServiceURL || o.ClientID == "" || o.ClientSecret == "" {
		return
	}
	urls, err := tenant.GrantPortalURLs(a.base, o.Name)
	if err != nil {
		return
	}
	a.mock.Register(fctest.Registration{Name: o.Label, ID: o.ClientID, Secret: o.ClientSecret,
		RedirectURIs: []string{urls.RedirectURL}, PostLogoutRedirectURIs: []string{urls.PostLogoutRedirectURL}})
}

func (a *app) dbName(o Options) string {
	if a.db.postgres {
		return "PostgreSQL" // its URL may hold a password
	}
	return filepath.Join(o.DataDir, "portal.db")
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", portal.Static()))
	mux.Handle("GET /{$}", http.RedirectHandler("/aides", http.StatusFound))
	// /aides is the page of the buttons and the post-logout URL every
	// tenant registered: the tenant set verifies a return from
	// FranceConnect's logout there, and serves the page otherwise.
	mux.Handle("GET /aides", a.tenants.LogoutReturnHandler(http.HandlerFunc(a.home), a.failed))
	mux.HandleFunc("GET /aides/{$}", a.home) // where logins land: /aides/#/{tenant}/...
	mux.Handle("GET "+spacePattern+"login", a.tenants.LoginHandler(tenantOf, franceconnect.AuthOptions{}, a.failed))
	mux.Handle("GET "+spacePattern+"code", a.tenants.CallbackHandler(tenantOf, a.loggedIn, a.failed))
	mux.Handle("POST "+spacePattern+"logout", a.tenants.LogoutHandler(tenantOf, func(r *http.Request) (string, error) {
		return a.endLogin(r.Context(), r, tenantOf(r))
	}))
	mux.HandleFunc("POST /aides/{tenant}/quotient", a.typeQuotient)
	a.adminRoutes(mux)
	return http.NewCrossOriginProtection().Handler(a.checkHost(securityHeaders(mux)))
}

// checkHost answers 421 to a request for another host than the portal's:
// a page of another site whose name points at this address (DNS
// rebinding) reaches no handler.
func (a *app) checkHost(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host != a.host {
			http.Error(w, "Misdirected Request", http.StatusMisdirectedRequest)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "same-origin")
		w.Header().Set("X-Frame-Options", "DENY")
		h.ServeHTTP(w, r)
	})
}

// home is the page of the buttons. After a verified logout it says which
// organisation the user left.
func (a *app) home(w http.ResponseWriter, r *http.Request) {
	if left := a.takeLeaving(r.Context(), r); left != "" {
		a.render(w, r, http.StatusOK, "logged-out", "Vous êtes déconnecté·e de l’espace "+a.label(r.Context(), left)+" et de FranceConnect.")
		return
	}
	a.render(w, r, http.StatusOK, "", "")
}

func (a *app) loggedIn(w http.ResponseWriter, r *http.Request, res *franceconnect.Result) {
	agreement := map[franceconnect.Gender]string{franceconnect.GenderFemale: "e", franceconnect.GenderMale: ""}[res.Identity.Gender]
	if res.Identity.Gender != franceconnect.GenderMale && agreement == "" {
		agreement = "·e"
	}
	l := login{Name: res.Identity.GivenName + " " + res.Identity.FamilyName, RawIDToken: res.RawIDToken, Agreement: agreement}
	if o, err := a.store.get(r.Context(), res.Tenant); err == nil && o.FetchQF {
		l.Quotient = a.fetchQuotient(r.Context(), o, res) // within the access token's 60 s, before the session
	}
	if err := a.startSession(r.Context(), w, r, res.Tenant, l); err != nil {
		a.log.Error("multitenant: recording a login", "tenant", res.Tenant, "error", err.Error())
		a.render(w, r, http.StatusInternalServerError, "error", "La connexion n’a pas pu être enregistrée : réessayez dans un instant.")
		return
	}
	http.Redirect(w, r, res.ReturnTo, http.StatusFound)
}

func (a *app) failed(w http.ResponseWriter, r *http.Request, err error) {
	a.takeLeaving(r.Context(), r)
	a.log.Warn("multitenant: FranceConnect refused", "error", err.Error())
	a.render(w, r, franceconnect.StatusCode(err), "error", franceconnect.UserMessage(err))
}

// label returns the name of an organisation for its users.
func (a *app) label(ctx context.Context, name string) string {
	if o, err := a.store.get(ctx, name); err == nil {
		return o.Label
	}
	return name
}

// card is one organisation on the home page.
type card struct {
	org
	LoginURL, LogoutURL string
	User, Agreement     string
	Quotient            *quotient
}

type view struct {
	MessageKind, Message string
	Cards                []card
	Admin                *adminView
	Orgs                 *orgsView
	ProviderURL          string
}

func (a *app) render(w http.ResponseWriter, r *http.Request, status int, kind, msg string) {
	v := view{MessageKind: kind, Message: msg}
	orgs, err := a.store.list(r.Context(), "")
	if err != nil {
		a.log.Error("multitenant: reading the organisations", "error", err.Error())
		status, v.MessageKind, v.Message = http.StatusServiceUnavailable, "error", "Le portail est momentanément indisponible."
	}
	logins, err := a.logins(r.Context(), r)
	if err != nil {
		a.log.Error("multitenant: reading the session", "error", err.Error())
	}
	for _, o := range orgs {
		base := "/account-management/" + o.Name + "-demandeurs/france-connect/"
		o.ClientSecret = ""
		l := logins[o.Name]
		v.Cards = append(v.Cards, card{org: o, LoginURL: base + "login", LogoutURL: base + "logout", User: l.Name, Agreement: l.Agreement, Quotient: l.Quotient})
	}
	a.write(w, status, v)
}

func (a *app) write(w http.ResponseWriter, status int, v view) {
	v.ProviderURL = a.provider
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := page.ExecuteTemplate(w, "layout", v); err != nil {
		a.log.Error("multitenant: template", "error", err.Error())
	}
}
