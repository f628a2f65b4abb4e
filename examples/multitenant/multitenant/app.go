package multitenant

import (
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"unicode"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/examples/portal/portal"
	"github.com/franceconnect-go/franceconnect/fctest"
	"github.com/franceconnect-go/franceconnect/tenant"
)

//go:embed templates/*.html
var templateFS embed.FS

var page = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// mockServiceURL is the « URL du service » of the embedded mock.
const mockServiceURL = "mock"

// organisation is a tenant of the demo product.
type organisation struct {
	Name, Label string
}

var organisations = []organisation{
	{"t1", "Commune de Saint-Exemple"},
	{"t2", "Département du Val-Fictif"},
}

// settings are what an organisation's administrator fills in its
// « Intégration FranceConnect » tab: whether FranceConnect is offered, the
// button and the text beside it (the portal's own), and the registration
// (package tenant's).
type settings struct {
	Enabled        bool
	Button         portal.ButtonStyle
	ConnectionText string // shown near the button
	tenant.Settings
}

const maxConnectionText = 200

// check returns every problem of s; the registration is checked only when
// FranceConnect is enabled, and the embedded mock is a valid « URL du
// service ».
func (s settings) check() []tenant.Problem {
	var out []tenant.Problem
	if s.Button != portal.ButtonDefault && s.Button != portal.ButtonContrast {
		out = append(out, tenant.Problem{Field: "Button", Message: "Choisissez le bouton FranceConnect par défaut, ou le bouton contrasté si le fond de la page l’exige.", Detail: "Button must be default or contrast"})
	}
	if len(s.ConnectionText) > maxConnectionText || strings.ContainsFunc(s.ConnectionText, func(r rune) bool { return !unicode.IsPrint(r) }) {
		out = append(out, tenant.Problem{Field: "ConnectionText", Message: fmt.Sprintf("Le texte de connexion compte au plus %d caractères, sans retour à la ligne.", maxConnectionText), Detail: "ConnectionText is too long or has control characters"})
	}
	if !s.Enabled {
		return out
	}
	for _, p := range s.Check() {
		if p.Field != "ServiceURL" || s.ServiceURL != mockServiceURL {
			out = append(out, p)
		}
	}
	return out
}

// app is a grant portal that one vendor runs for several organisations.
type app struct {
	base    string // e.g. http://127.0.0.1:8081
	mock    *fctest.Server
	tenants *tenant.Set
	store   *store
	log     *slog.Logger

	mu       sync.Mutex
	settings map[string]settings
	sessions map[string]map[string]session // cookie → tenant → login
	leaving  map[string]string             // cookie → the tenant being logged out of
}

// session is what the portal keeps of a login: the name to greet and the
// ID token for logout, nothing else.
type session struct {
	Name, RawIDToken string
	Agreement        string // of "connecté": "e" for a woman, "·e" when unspecified
}

const (
	sessionCookie = "mt_session"
	maxSessions   = 10000
	spacePattern  = "/account-management/{space}/france-connect/"
)

// demoCredentials are the fixed credentials of tenant on the mock, so that
// saved settings still match after a restart.
func demoCredentials(tenant string) (id, secret string) {
	a, b := sha256.Sum256([]byte("demo client "+tenant)), sha256.Sum256([]byte("demo secret "+tenant))
	return hex.EncodeToString(a[:]), hex.EncodeToString(b[:])
}

func newApp(base string, mock *fctest.Server, st *store, key []byte, log *slog.Logger) (*app, error) {
	set, err := tenant.New(tenant.Config{CookieKeys: [][]byte{key}, PostLogoutRedirectURL: base + "/aides", Logger: log})
	if err != nil {
		return nil, err
	}
	a := &app{base: base, mock: mock, tenants: set, store: st, log: log, settings: map[string]settings{}, sessions: map[string]map[string]session{}, leaving: map[string]string{}}
	for _, o := range organisations {
		urls, err := tenant.GrantPortalURLs(base, o.Name)
		if err != nil {
			return nil, err
		}
		id, secret := demoCredentials(o.Name)
		mock.Register(fctest.Registration{ID: id, Secret: secret, RedirectURIs: []string{urls.RedirectURL}, PostLogoutRedirectURIs: []string{urls.PostLogoutRedirectURL}})
		def := settings{Enabled: true, Button: portal.ButtonDefault, ConnectionText: "Déposez et suivez vos demandes d’aide.",
			Settings: tenant.Settings{ClientID: id, ClientSecret: secret, ServiceURL: mockServiceURL}}
		s, err := st.load(o.Name, def)
		if err != nil {
			return nil, err
		}
		if problems := a.apply(o.Name, s); len(problems) > 0 {
			log.Warn("multitenant: saved settings refused", "tenant", o.Name, "problem", problems[0].Detail)
		}
	}
	return a, nil
}

// apply checks s and puts it in force for tenant at once: its Client is
// replaced (or removed when FranceConnect is disabled).
func (a *app) apply(name string, s settings) []tenant.Problem {
	if problems := s.check(); len(problems) > 0 {
		return problems
	}
	if s.Enabled {
		urls, _ := tenant.GrantPortalURLs(a.base, name)
		cfg := urls.Config(franceconnect.Config{Scopes: []string{franceconnect.ScopeIdentitePivot, franceconnect.ScopeEmail}})
		var err error
		if s.ServiceURL == mockServiceURL {
			cfg.Environment, cfg.ClientID, cfg.ClientSecret = a.mock.Environment(), s.ClientID, s.ClientSecret
		} else {
			cfg, err = s.Config(cfg)
		}
		if err == nil {
			err = a.tenants.Put(name, cfg)
		}
		if err != nil {
			return []tenant.Problem{{Field: "ClientID", Message: "Ces réglages ne permettent pas de se connecter à FranceConnect.", Detail: err.Error()}}
		}
	} else {
		a.tenants.Remove(name)
	}
	a.mu.Lock()
	a.settings[name] = s
	a.mu.Unlock()
	return nil
}

func (a *app) routes() http.Handler {
	mux := http.NewServeMux()
	tenantOf := func(r *http.Request) string { return strings.TrimSuffix(r.PathValue("space"), "-demandeurs") }
	mux.Handle("GET /static/", http.StripPrefix("/static/", portal.Static()))
	mux.Handle("GET /{$}", http.RedirectHandler("/aides", http.StatusFound))
	// /aides is the page of the buttons and the post-logout URL every
	// tenant registered: the tenant set verifies a return from
	// FranceConnect's logout there, and serves the page otherwise.
	mux.Handle("GET /aides", a.tenants.LogoutReturnHandler(http.HandlerFunc(a.home), a.failed))
	mux.HandleFunc("GET /aides/{$}", a.home) // where logins land: /aides/#/{tenant}/...
	mux.Handle("GET "+spacePattern+"login", a.tenants.LoginHandler(tenantOf, franceconnect.AuthOptions{}, a.failed))
	mux.Handle("GET "+spacePattern+"code", a.tenants.CallbackHandler(tenantOf, a.loggedIn, a.failed))
	mux.Handle("POST "+spacePattern+"logout", a.tenants.LogoutHandler(tenantOf, a.endSession))
	mux.HandleFunc("GET /admin/{tenant}/france-connect", a.admin)
	mux.HandleFunc("POST /admin/{tenant}/france-connect", a.admin)
	return http.NewCrossOriginProtection().Handler(securityHeaders(mux))
}

func securityHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "same-origin")
		h.ServeHTTP(w, r)
	})
}

// home is the page of the buttons. After a verified logout it says which
// space the user left.
func (a *app) home(w http.ResponseWriter, r *http.Request) {
	if left := a.left(r); left != "" {
		a.render(w, r, http.StatusOK, "home", "logged-out", "Vous êtes déconnecté·e de l’espace "+label(left)+" et de FranceConnect.")
		return
	}
	a.render(w, r, http.StatusOK, "home", "", "")
}

// left returns, once, the tenant this browser is being logged out of.
func (a *app) left(r *http.Request) string {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return ""
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	t := a.leaving[ck.Value]
	delete(a.leaving, ck.Value)
	return t
}

func (a *app) loggedIn(w http.ResponseWriter, r *http.Request, res *franceconnect.Result) {
	id := a.sessionID(w, r)
	a.mu.Lock()
	if a.sessions[id] == nil {
		if len(a.sessions) >= maxSessions {
			clear(a.sessions) // a demo: bounded memory over keeping every visitor
		}
		a.sessions[id] = map[string]session{}
	}
	agreement := map[franceconnect.Gender]string{franceconnect.GenderFemale: "e", franceconnect.GenderMale: ""}[res.Identity.Gender]
	if res.Identity.Gender != franceconnect.GenderMale && agreement == "" {
		agreement = "·e"
	}
	a.sessions[id][res.Tenant] = session{Name: res.Identity.GivenName + " " + res.Identity.FamilyName, RawIDToken: res.RawIDToken, Agreement: agreement}
	a.mu.Unlock()
	http.Redirect(w, r, res.ReturnTo, http.StatusFound)
}

func (a *app) failed(w http.ResponseWriter, r *http.Request, err error) {
	a.left(r)
	a.log.Warn("multitenant: FranceConnect refused", "error", err.Error())
	a.render(w, r, http.StatusBadRequest, "home", "error", franceconnect.UserMessage(err))
}

// endSession ends the portal's session of the tenant and returns the ID
// token for FranceConnect's logout.
func (a *app) endSession(r *http.Request) (string, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return "", nil
	}
	tenant := strings.TrimSuffix(r.PathValue("space"), "-demandeurs")
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.sessions[ck.Value][tenant]
	delete(a.sessions[ck.Value], tenant)
	if s.RawIDToken != "" {
		if len(a.leaving) >= maxSessions {
			clear(a.leaving)
		}
		a.leaving[ck.Value] = tenant
	}
	return s.RawIDToken, nil
}

func (a *app) sessionID(w http.ResponseWriter, r *http.Request) string {
	if ck, err := r.Cookie(sessionCookie); err == nil && len(ck.Value) == 26 {
		return ck.Value
	}
	id := rand.Text() // 26 base32 characters, 130 random bits
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: strings.HasPrefix(a.base, "https:")})
	return id
}

func label(tenant string) string {
	for _, o := range organisations {
		if o.Name == tenant {
			return o.Label
		}
	}
	return tenant
}

// card is one organisation on the home page.
type card struct {
	organisation
	Settings  settings
	LoginURL  string
	LogoutURL string
	User      string
	Agreement string
}

type view struct {
	Page, MessageKind, Message string
	Cards                      []card
	Admin                      *adminView
	ProviderURL                string
}

func (a *app) render(w http.ResponseWriter, r *http.Request, status int, name, kind, msg string) {
	v := view{Page: name, MessageKind: kind, Message: msg, ProviderURL: a.mock.URL}
	var sessions map[string]session
	if ck, err := r.Cookie(sessionCookie); err == nil {
		a.mu.Lock()
		sessions = a.sessions[ck.Value]
		a.mu.Unlock()
	}
	a.mu.Lock()
	for _, o := range organisations {
		base := "/account-management/" + o.Name + "-demandeurs/france-connect/"
		v.Cards = append(v.Cards, card{organisation: o, Settings: a.settings[o.Name], LoginURL: base + "login", LogoutURL: base + "logout", User: sessions[o.Name].Name, Agreement: sessions[o.Name].Agreement})
	}
	a.mu.Unlock()
	a.write(w, status, v)
}

func (a *app) write(w http.ResponseWriter, status int, v view) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if err := page.ExecuteTemplate(w, "layout", v); err != nil {
		a.log.Error("multitenant: template", "error", err.Error())
	}
}

// adminView is the "Intégration FranceConnect" tab of one organisation.
type adminView struct {
	organisation
	Settings    settings // ClientSecret always empty
	HasSecret   bool
	Problems    map[string]string // field → French message
	Saved       bool
	CallbackURL string
	LogoutURL   string
}

// admin shows and saves the "Intégration FranceConnect" tab: changes apply
// at once and persist in the data directory.
func (a *app) admin(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("tenant")
	if label(name) == name {
		http.NotFound(w, r)
		return
	}
	a.mu.Lock()
	cur := a.settings[name]
	a.mu.Unlock()
	urls, _ := tenant.GrantPortalURLs(a.base, name)
	av := &adminView{organisation: organisation{name, label(name)}, Settings: cur, CallbackURL: urls.RedirectURL, LogoutURL: urls.PostLogoutRedirectURL, Problems: map[string]string{}}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		next := settings{
			Enabled:        r.PostFormValue("enabled") == "on",
			Button:         portal.ButtonStyle(r.PostFormValue("button")),
			ConnectionText: strings.TrimSpace(r.PostFormValue("text")),
			Settings: tenant.Settings{
				ClientID:     r.PostFormValue("client_id"),
				ClientSecret: r.PostFormValue("client_secret"),
				ServiceURL:   strings.TrimSpace(r.PostFormValue("service_url")),
			},
		}
		if next.ClientSecret == "" { // an empty field keeps the stored secret
			next.ClientSecret = cur.ClientSecret
		}
		problems := a.apply(name, next)
		if len(problems) == 0 {
			if err := a.store.save(name, next); err != nil {
				a.log.Error("multitenant: saving settings", "tenant", name, "error", err.Error())
				http.Error(w, "Les réglages n’ont pas pu être enregistrés.", http.StatusInternalServerError)
				return
			}
			a.log.Info("multitenant: settings saved", "tenant", name, "settings", next.Settings)
			av.Saved = true
		}
		for _, p := range problems {
			av.Problems[p.Field] = p.Message
		}
		if len(problems) > 0 {
			status = http.StatusUnprocessableEntity
		}
		av.Settings = next
	}
	av.HasSecret = av.Settings.ClientSecret != ""
	av.Settings.ClientSecret = "" // never echoed
	a.write(w, status, view{Page: "admin", Admin: av, ProviderURL: a.mock.URL})
}
