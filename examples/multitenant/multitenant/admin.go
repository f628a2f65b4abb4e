package multitenant

import (
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"errors"
	"net/http"
	"strings"
	"unicode"

	"github.com/franceconnect-go/franceconnect/examples/portal/portal"
	"github.com/franceconnect-go/franceconnect/tenant"
)

// The administration pages: the organisations (add, remove) and each
// one's « Intégration FranceConnect » tab. A product puts them behind its
// administrators' login; the demo asks for one password (HTTP Basic,
// user "admin").

func (a *app) adminRoutes(mux *http.ServeMux) {
	mux.Handle("GET /admin/{$}", a.adminOnly(a.orgsPage))
	mux.Handle("POST /admin/{$}", a.adminOnly(a.orgsPage))
	mux.Handle("POST /admin/{tenant}/delete", a.adminOnly(a.deleteOrg))
	mux.Handle("GET /admin/{tenant}/france-connect", a.adminOnly(a.settingsTab))
	mux.Handle("POST /admin/{tenant}/france-connect", a.adminOnly(a.settingsTab))
}

// adminOnly lets through the requests that give the admin password.
func (a *app) adminOnly(h http.HandlerFunc) http.Handler {
	want := sha256.Sum256([]byte(a.adminPassword))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, ok := r.BasicAuth()
		got := sha256.Sum256([]byte(pass))
		if !ok || user != "admin" || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="Administration du portail", charset="UTF-8"`)
			http.Error(w, "Identifiez-vous : utilisateur admin, et le mot de passe d’administration.", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h(w, r)
	})
}

// orgsView is the list of organisations, and the form that adds one.
type orgsView struct {
	Orgs               []org // secrets emptied
	Name, Label, Error string
	Added              string
}

// orgsPage lists the organisations, and adds one (FranceConnect off until
// its tab is filled).
func (a *app) orgsPage(w http.ResponseWriter, r *http.Request) {
	ov, status := &orgsView{}, http.StatusOK
	if r.Method == http.MethodPost {
		ov.Name, ov.Label = strings.TrimSpace(r.PostFormValue("name")), strings.TrimSpace(r.PostFormValue("label"))
		switch {
		case !validOrgName.MatchString(ov.Name):
			ov.Error = "L’identifiant compte 1 à 32 lettres minuscules, chiffres ou tirets, et commence par une lettre ou un chiffre."
		case ov.Label == "" || len(ov.Label) > maxLabel || strings.ContainsFunc(ov.Label, func(r rune) bool { return !unicode.IsPrint(r) }):
			ov.Error = "Le nom de l’organisation compte 1 à 100 caractères, sans retour à la ligne."
		default:
			err := a.store.create(r.Context(), ov.Name, ov.Label)
			switch {
			case errors.Is(err, errExists):
				ov.Error = "Une organisation porte déjà cet identifiant."
			case err != nil:
				a.storeFailed(w, r, err)
				return
			default:
				a.log.Info("multitenant: organisation added", "tenant", ov.Name)
				ov.Added, ov.Name, ov.Label = ov.Name, "", ""
			}
		}
		if ov.Error != "" {
			status = http.StatusUnprocessableEntity
		}
	}
	orgs, err := a.store.list(r.Context(), "")
	if err != nil {
		a.storeFailed(w, r, err)
		return
	}
	for _, o := range orgs {
		o.ClientSecret = ""
		ov.Orgs = append(ov.Orgs, o)
	}
	a.write(w, status, view{Orgs: ov})
}

// deleteOrg removes an organisation: its logins end, its button goes, and
// every replica stops serving it.
func (a *app) deleteOrg(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("tenant")
	if err := a.store.remove(r.Context(), name); err != nil {
		a.storeFailed(w, r, err)
		return
	}
	_ = a.tenants.Reload(r.Context(), name) // this replica at once; logged there
	a.log.Info("multitenant: organisation removed", "tenant", name)
	http.Redirect(w, r, "/admin/", http.StatusSeeOther)
}

// adminView is the « Intégration FranceConnect » tab of one organisation.
type adminView struct {
	Org         org // ClientSecret always empty
	HasSecret   bool
	Problems    map[string]string // field → French message
	Saved       bool
	CallbackURL string
	LogoutURL   string
}

// settingsTab shows and saves the « Intégration FranceConnect » tab.
// Saved settings apply at once on this replica, and on the others at
// their next login, callback or poll.
func (a *app) settingsTab(w http.ResponseWriter, r *http.Request) {
	cur, err := a.store.get(r.Context(), r.PathValue("tenant"))
	if errors.Is(err, sql.ErrNoRows) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		a.storeFailed(w, r, err)
		return
	}
	urls, _ := tenant.GrantPortalURLs(a.base, cur.Name)
	av := &adminView{Org: cur, CallbackURL: urls.RedirectURL, LogoutURL: urls.PostLogoutRedirectURL, Problems: map[string]string{}}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		next := formSettings(r, cur)
		problems := next.check()
		if len(problems) == 0 && next.Enabled {
			if _, err := a.config(next); err != nil {
				problems = append(problems, tenant.Problem{Field: "ClientID", Message: "Ces réglages ne permettent pas de se connecter à FranceConnect.", Detail: err.Error()})
			}
		}
		for _, p := range problems {
			av.Problems[p.Field] = p.Message
		}
		if len(problems) > 0 {
			status = http.StatusUnprocessableEntity
		} else if err := a.store.save(r.Context(), next); err != nil {
			a.storeFailed(w, r, err)
			return
		} else {
			a.registerOnMock(next)
			_ = a.tenants.Reload(r.Context(), next.Name) // this replica at once; logged there
			a.log.Info("multitenant: settings saved", "tenant", next.Name, "settings", next.Settings)
			av.Saved = true
		}
		av.Org = next
	}
	av.HasSecret = av.Org.ClientSecret != ""
	av.Org.ClientSecret = "" // never echoed
	a.write(w, status, view{Admin: av})
}

// formSettings reads the tab's form over the current settings: an empty
// secret field keeps the stored secret.
func formSettings(r *http.Request, cur org) org {
	next := cur
	next.Enabled = r.PostFormValue("enabled") == "on"
	next.AskEmail = r.PostFormValue("ask_email") == "on"
	next.FetchQF = r.PostFormValue("fetch_qf") == "on"
	next.SIRET = strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("siret")), " ", "")
	next.Button = portal.ButtonStyle(r.PostFormValue("button"))
	next.ConnectionText = strings.TrimSpace(r.PostFormValue("text"))
	next.ClientID = r.PostFormValue("client_id")
	next.ServiceURL = strings.TrimSpace(r.PostFormValue("service_url"))
	if s := r.PostFormValue("client_secret"); s != "" {
		next.ClientSecret = s
	}
	return next
}

// storeFailed answers a request that the database could not serve.
func (a *app) storeFailed(w http.ResponseWriter, r *http.Request, err error) {
	a.log.Error("multitenant: database", "path", r.URL.Path, "error", err.Error())
	http.Error(w, "Le portail est momentanément indisponible : réessayez dans un instant.", http.StatusServiceUnavailable)
}
