// Package portal is the demo portal of examples/portal: a small French
// portal with the FranceConnect button, a profile page showing the
// verified identité pivot, and logout through FranceConnect; and an
// « Espace agents » with the ProConnect button (agents.go). It runs
// against an in-process fctest mock by default, or against a real
// FranceConnect environment configured by environment variables (see
// Load). It is a package of its own, not package main, so that the
// browser test of the e2e module can start it.
package portal

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/franceconnect-go/franceconnect"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

var pages = map[string]*template.Template{
	"home":    parsePage("home"),
	"profile": parsePage("profile"),
}

func parsePage(name string) *template.Template {
	return template.Must(template.New(name).ParseFS(templateFS, "templates/layout.html", "templates/logout.html", "templates/"+name+".html"))
}

// handlerOptions is what newHandler needs besides the client.
type handlerOptions struct {
	Config      franceconnect.Config // as given to franceconnect.New
	ButtonStyle ButtonStyle
	Mock        bool
	Logger      *slog.Logger
	Now         func() time.Time
	MaxSessions int
	// Agents is the Espace agents' ProConnect client (nil: no Espace
	// agents), configured with AgentsConfig.
	Agents       *franceconnect.Client
	AgentsConfig *franceconnect.Config
}

// handler is the portal.
type handler struct {
	fc       *franceconnect.Client
	sessions *store
	button   ButtonStyle
	mock     bool
	env      franceconnect.Environment
	secure   bool   // https: Secure session cookie
	origin   string // scheme://host of the callback URL when it is a loopback URL ("" behind a proxy)
	host     string // its host:port
	csp      string
	log      *slog.Logger
	mux      *http.ServeMux
	logout   http.Handler
	agents   http.Handler          // the Espace agents' logout (nil without it)
	pc       *franceconnect.Client // the Espace agents' client, which revokes refresh tokens
}

// tokenKey carries the RawIDToken of the session being logged out to the
// library's LogoutHandler.
type tokenKey struct{}

func newHandler(fc *franceconnect.Client, o handlerOptions) (*handler, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxSessions == 0 {
		o.MaxSessions = defaultMaxSession
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	ru, err := url.Parse(o.Config.RedirectURL)
	if err != nil {
		return nil, err
	}
	pu, err := url.Parse(o.Config.PostLogoutRedirectURL)
	if err != nil {
		return nil, err
	}
	h := &handler{
		fc:       fc,
		sessions: newStore(o.MaxSessions, defaultSessionTTL, o.Now),
		button:   o.ButtonStyle,
		mock:     o.Mock,
		env:      fc.Environment(),
		secure:   ru.Scheme == "https",
		log:      o.Logger,
		mux:      http.NewServeMux(),
	}
	if isLoopback(ru.Hostname()) {
		h.origin, h.host = ru.Scheme+"://"+ru.Host, ru.Host
	}
	envs := []franceconnect.Environment{h.env}
	if o.Agents != nil {
		envs = append(envs, o.Agents.Environment())
	}
	h.csp = contentSecurityPolicy(envs...)

	var loginOpts franceconnect.AuthOptions
	if h.env.Federation != franceconnect.FranceConnectV1 {
		loginOpts.Claims = franceconnect.ClaimsAMR // amr in the ID token
	}
	h.mux.Handle("GET "+staticPrefix, http.StripPrefix(staticPrefix, Static()))
	h.mux.HandleFunc("GET /{$}", h.home)
	h.mux.HandleFunc("GET "+ProfilePath, h.profile)
	h.mux.Handle("GET "+LoginPath, fc.LoginHandler(loginOpts))
	h.mux.Handle("GET "+pathOf(ru), fc.CallbackHandler(h.loggedIn, h.loginFailed("")))
	h.logout = fc.LogoutHandler(sessionIDToken)
	h.mux.HandleFunc("POST "+LogoutPath, h.startLogout)
	h.mux.Handle("GET "+pathOf(pu), fc.LogoutReturnHandler(h.loggedOut(""), h.logoutFailed("")))
	if o.Agents != nil {
		if err := h.mountAgents(o.Agents, *o.AgentsConfig); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// contentSecurityPolicy is the portal's policy. The login and logout forms
// end at the providers: form-action must allow their origins (Chromium
// checks the redirects of a form too).
func contentSecurityPolicy(envs ...franceconnect.Environment) string {
	formAction := []string{"'self'"}
	for _, env := range envs {
		for _, e := range []string{env.AuthorizationEndpoint, env.EndSessionEndpoint} {
			if u, err := url.Parse(e); err == nil && u.Host != "" && !slices.Contains(formAction, u.Scheme+"://"+u.Host) {
				formAction = append(formAction, u.Scheme+"://"+u.Host)
			}
		}
	}
	return "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action " + strings.Join(formAction, " ") + "; frame-ancestors 'none'; base-uri 'none'"
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", h.csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Frame-Options", "DENY")
	// The login cookies are kept for the callback URL's host: a user who
	// typed localhost instead of 127.0.0.1 (or the reverse) is sent to the
	// host the callback uses, so that the login completes.
	if h.origin != "" && !strings.EqualFold(r.Host, h.host) &&
		(r.Method == http.MethodGet || r.Method == http.MethodHead) {
		http.Redirect(w, r, h.origin+r.URL.RequestURI(), http.StatusTemporaryRedirect)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// message is a notice shown at the top of a page.
type message struct {
	Kind string // info, success, error
	Code string // data-message attribute, for tests
	Text string
}

// pageData feeds the templates.
type pageData struct {
	Title       string
	Mock        bool
	EnvName     string
	ProviderURL string
	ButtonStyle ButtonStyle
	LoginPath   string
	LogoutPath  string
	Message     *message
	Session     *sessionView
	// AgentsLoginPath is the Espace agents' login, "" without it.
	AgentsLoginPath string
}

func (h *handler) page(title string) pageData {
	return pageData{
		Title:       title,
		Mock:        h.mock,
		EnvName:     h.env.Name,
		ProviderURL: strings.TrimSuffix(h.env.Issuer, "/"),
		ButtonStyle: h.button,
		LoginPath:   LoginPath,
		LogoutPath:  LogoutPath,
		AgentsLoginPath: func() string {
			if h.agents == nil {
				return ""
			}
			return AgentsLoginPath
		}(),
	}
}

func (h *handler) render(w http.ResponseWriter, status int, name string, data pageData) {
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		h.log.Error("portal: template", "page", name, "error", err)
		http.Error(w, "Erreur interne du portail.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// agreementCookie keeps, from logout to the logout return, the grammatical
// agreement of "déconnecté": the session is gone by then.
const agreementCookie = "portal_accord"

func (h *handler) home(w http.ResponseWriter, r *http.Request) {
	data := h.page("Accueil")
	if m, ok := homeMessages[r.URL.Query().Get("deconnexion")]; ok {
		agreement := ""
		if ck, err := r.Cookie(agreementCookie); err == nil && (ck.Value == "e" || ck.Value == "·e" || ck.Value == "%C2%B7e") {
			agreement = strings.ReplaceAll(ck.Value, "%C2%B7", "·")
			http.SetCookie(w, &http.Cookie{Name: agreementCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
		}
		m.Text = fmt.Sprintf(m.Text, agreement)
		data.Message = &m
	}
	if m, ok := loginMessages[r.URL.Query().Get("connexion")]; ok {
		data.Message = &m
	}
	if _, s := h.sessions.get(r); s != nil {
		data.Session = newSessionView(s)
	}
	h.render(w, http.StatusOK, "home", data)
}

func (h *handler) profile(w http.ResponseWriter, r *http.Request) {
	_, s := h.sessions.get(r)
	if s == nil {
		http.Redirect(w, r, HomePath, http.StatusSeeOther)
		return
	}
	data := h.page("Mon profil")
	data.Session = newSessionView(s)
	h.render(w, http.StatusOK, "profile", data)
}

// loggedIn starts the portal's session: a new random ID (never the one the
// browser came with), the verified identity (a citizen's, or an agent's)
// and the raw ID token for logout.
func (h *handler) loggedIn(w http.ResponseWriter, r *http.Request, res *franceconnect.Result) {
	if id, _ := h.sessions.get(r); id != "" {
		h.sessions.remove(id)
	}
	id := h.sessions.create(&session{Identity: res.Identity, Agent: res.Agent, IDToken: res.IDToken, RawIDToken: res.RawIDToken, RefreshToken: res.RefreshToken})
	http.SetCookie(w, h.sessionCookie(id, int(defaultSessionTTL/time.Second)))
	h.log.Info("portal: login", "acr", string(res.IDToken.ACR), "mfa", res.IDToken.MFA, "agent", res.Agent != nil)
	http.Redirect(w, r, res.ReturnTo, http.StatusSeeOther)
}

// loginFailed sends the browser to the home page with the library's
// message in French (a cancelled login is a normal page, and a reload of
// the callback URL replays nothing); err holds no personal data and goes
// to the log. space is "" for citizens, "agents-" for the Espace agents,
// whose messages name ProConnect.
func (h *handler) loginFailed(space string) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		h.log.Warn("portal: login failed", "space", space, "error", err.Error())
		http.Redirect(w, r, HomePath+"?connexion="+space+loginCode(err), http.StatusSeeOther)
	}
}

func (h *handler) sessionCookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     sessionCookie,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   h.secure,
		SameSite: http.SameSiteLaxMode,
	}
}

// Static serves the portal's stylesheet and assets (mount it on
// "GET /static/" with http.StripPrefix), for the other examples.
func Static() http.Handler {
	static, _ := fs.Sub(staticFS, "static")
	return http.FileServerFS(static)
}
