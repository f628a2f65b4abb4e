package portal

import (
	"errors"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/franceconnect-go/franceconnect/fctest"
	"github.com/franceconnect-go/franceconnect/fctest/qualify"
)

// env returns a getenv over a map.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func startMock(t *testing.T, args ...string) *Instance {
	t.Helper()
	inst, err := Start(append([]string{"-addr", "127.0.0.1:0"}, args...), env(nil), testWriter{t})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := inst.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return inst
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// browser is a cookie-keeping HTTP client that records the pages it saw.
type browser struct {
	t  *testing.T
	hc *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, hc: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

func (b *browser) do(req *http.Request) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.hc.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp, string(body)
}

func (b *browser) get(u string) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

func (b *browser) post(u string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var (
	chooserAction = regexp.MustCompile(`<form method="post" action="([^"]+/login)"`)
	csrfField     = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	claimRe       = regexp.MustCompile(`(?s)<dd data-claim="([a-z_]+)">(.*?)</dd>`)
	tagRe         = regexp.MustCompile(`<[^>]+>`)
)

// claims reads the profile page's values, tags removed.
func claims(page string) map[string]string {
	out := map[string]string{}
	for _, m := range claimRe.FindAllStringSubmatch(page, -1) {
		out[m[1]] = strings.Join(strings.Fields(html.UnescapeString(tagRe.ReplaceAllString(m[2], " "))), " ")
	}
	return out
}

// login runs home → button → chooser → pick login → profile and returns
// the profile page.
func login(t *testing.T, b *browser, inst *Instance, who string) string {
	t.Helper()
	resp, home := b.get(inst.URL)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("home: %s", resp.Status)
	}
	for _, want := range []string{`<div class="fr-connect-group"`, `<button class="fr-connect" type="submit">`,
		`<span class="fr-connect__login">S’identifier avec</span>`, `<span class="fr-connect__brand">FranceConnect</span>`,
		`href="https://franceconnect.gouv.fr/" target="_blank" rel="noopener" title="Qu’est-ce que FranceConnect ? - nouvelle fenêtre"`} {
		if !strings.Contains(home, want) {
			t.Fatalf("home page lacks %s:\n%s", want, home)
		}
	}
	// The button's form: GET /fc/login?return=/profil.
	resp, chooser := b.get(inst.URL + "fc/login?return=%2Fprofil")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.String(), inst.Mock.URL+"/api/v2/authorize") {
		t.Fatalf("login: %s at %s", resp.Status, resp.Request.URL)
	}
	if !strings.Contains(resp.Request.URL.RawQuery, "claims=") {
		t.Errorf("authorize request without claims (ClaimsAMR): %s", resp.Request.URL.RawQuery)
	}
	m := chooserAction.FindStringSubmatch(chooser)
	if m == nil || !strings.Contains(chooser, `value="`+who+`"`) {
		t.Fatalf("chooser page without a form or without %s:\n%s", who, chooser)
	}
	resp, profile := b.post(inst.Mock.URL+m[1], url.Values{"login": {who}})
	if resp.StatusCode != http.StatusOK || resp.Request.URL.String() != inst.URL+"profil" {
		t.Fatalf("after the chooser: %s at %s:\n%s", resp.Status, resp.Request.URL, profile)
	}
	return profile
}

func TestFlowDefaultUser(t *testing.T) {
	inst := startMock(t)
	b := newBrowser(t)
	profile := login(t, b, inst, fctest.DefaultUser.Login)

	got := claims(profile)
	want := map[string]string{
		"given_name":         "Angela Claire Louise",
		"given_name_array":   "Angela Claire Louise",
		"family_name":        "DUBOIS",
		"preferred_username": "Aucun",
		"birthdate":          "24 août 1962 1962-08-24",
		"idp_birthdate":      "1962-08-24",
		"gender":             "Féminin",
		"birthplace":         "75107 Code officiel géographique (INSEE) de la commune.",
		"birthcountry":       "France (99100)",
		"email":              "wossewodda-3728@yopmail.com",
		"acr":                "eidas1 (faible)",
		"amr":                "pwd (mot de passe) Méthodes dans le jeton d’identité (demandées par le portail à la connexion).",
		"idp_id":             "fia1v2",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("profile %s = %q, want %q", k, got[k], v)
		}
	}
	if len(got["sub"]) != 66 {
		t.Errorf("profile sub = %q, want 64 hex chars + v1", got["sub"])
	}

	// The session cookie: HttpOnly, SameSite=Lax, not readable elsewhere.
	if n := inst.h.sessions.len(); n != 1 {
		t.Errorf("%d sessions, want 1", n)
	}

	// Home shows the logged-in user.
	_, home := b.get(inst.URL)
	if !strings.Contains(home, `<strong data-user="name">Angela Claire Louise DUBOIS</strong>`) || strings.Contains(home, `class="fr-connect"`) {
		t.Errorf("home page when logged in:\n%s", home)
	}

	// A logout without the CSRF token is refused and keeps the session.
	resp, _ := b.post(inst.URL+"fc/logout", url.Values{"csrf": {"x"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("logout without the CSRF token: %s, want 403", resp.Status)
	}

	// Logout: through FranceConnect and back home with a message.
	m := csrfField.FindStringSubmatch(profile)
	if m == nil {
		t.Fatalf("profile page without the logout form:\n%s", profile)
	}
	resp, home = b.post(inst.URL+"fc/logout", url.Values{"csrf": {m[1]}})
	if resp.StatusCode != http.StatusOK || resp.Request.URL.String() != inst.URL+"?deconnexion=ok" {
		t.Fatalf("after logout: %s at %s", resp.Status, resp.Request.URL)
	}
	if !strings.Contains(home, "Vous êtes déconnectée du portail et de FranceConnect.") || !strings.Contains(home, `class="fr-connect"`) { // Angela: the agreement of her gender
		t.Errorf("home page after logout:\n%s", home)
	}
	if n := inst.h.sessions.len(); n != 0 {
		t.Errorf("%d sessions after logout, want 0", n)
	}
	if s := inst.Mock.Stats(); s.LogoutRequests != 1 {
		t.Errorf("mock saw %d logouts, want 1", s.LogoutRequests)
	}
	// The profile is gone.
	resp, _ = b.get(inst.URL + "profil")
	if resp.Request.URL.String() != inst.URL {
		t.Errorf("profile after logout: at %s, want home", resp.Request.URL)
	}
	// And FranceConnect's session too: the chooser offers no "continue as".
	_, chooser := b.get(inst.URL + "fc/login")
	if strings.Contains(chooser, `data-session="active"`) {
		t.Error("the mock still has a FranceConnect session after logout")
	}
}

func TestFlowBornAbroad(t *testing.T) {
	inst := startMock(t)
	var abroad fctest.User
	for _, u := range fctest.Users() {
		if u.Birthplace == "" && u.Birthcountry != "99100" {
			abroad = u
		}
	}
	if abroad.Login == "" {
		t.Fatal("fctest has no user born abroad")
	}
	got := claims(login(t, newBrowser(t), inst, abroad.Login))
	if got["birthplace"] != "Né à l’étranger Pas de commune de naissance : FranceConnect transmet une valeur vide." {
		t.Errorf("birthplace = %q", got["birthplace"])
	}
	if got["birthcountry"] != "Algérie (99352)" {
		t.Errorf("birthcountry = %q", got["birthcountry"])
	}
}

func TestFlowUnknownMonth(t *testing.T) {
	inst := startMock(t)
	got := claims(login(t, newBrowser(t), inst, "mois_00"))
	if got["idp_birthdate"] != "1977-00-03 Mois de naissance inconnu à l’état civil." {
		t.Errorf("idp_birthdate = %q", got["idp_birthdate"])
	}
	if !strings.Contains(got["birthdate"], "complétée par FranceConnect") {
		t.Errorf("birthdate = %q", got["birthdate"])
	}
}

func TestSessionCookie(t *testing.T) {
	inst := startMock(t)
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	// Log in without a browser, then deliver the callback by hand.
	jar, _ := cookiejar.New(nil)
	hc.Jar = jar
	resp, err := hc.Get(inst.URL + "fc/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cb, err := inst.Mock.Login(resp.Header.Get("Location"), fctest.DefaultUser)
	if err != nil {
		t.Fatal(err)
	}
	resp, err = hc.Get(cb)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var sc *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			sc = c
		}
	}
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Path != "/" || sc.Secure {
		t.Fatalf("session cookie %+v", sc)
	}
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Errorf("callback: %s to %q", resp.Status, resp.Header.Get("Location"))
	}
	// A replayed callback: the login is gone, a message in French.
	resp, err = hc.Get(cb)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/?connexion=inconnue" {
		t.Errorf("replayed callback: %s to %q\n%s", resp.Status, resp.Header.Get("Location"), body)
	}
}

func TestButtonStyles(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, `data-button-style="default"`},
		{[]string{"-button", "contrast"}, `data-button-style="contrast"`},
	} {
		inst := startMock(t, tc.args...)
		_, home := newBrowser(t).get(inst.URL)
		if !strings.Contains(home, tc.want) {
			t.Errorf("%v: home lacks %s", tc.args, tc.want)
		}
	}
	s, err := Load(nil, env(map[string]string{EnvButtonStyle: "contrast"}))
	if err != nil || s.ButtonStyle != ButtonContrast {
		t.Errorf("FC_BUTTON_STYLE=contrast: %v %v", s.ButtonStyle, err)
	}
}

func TestSecurityHeadersAndStatic(t *testing.T) {
	inst := startMock(t)
	b := newBrowser(t)
	resp, _ := b.get(inst.URL)
	csp := resp.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "form-action 'self' "+inst.Mock.URL) || !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
	resp, css := b.get(inst.URL + "static/portal.css")
	if resp.StatusCode != http.StatusOK || !strings.Contains(css, ".fr-connect") || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/css") {
		t.Errorf("portal.css: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	// localhost is sent to the host of the callback URL.
	u, _ := url.Parse(inst.URL)
	resp, _ = b.get("http://localhost:" + u.Port() + "/profil")
	if resp.Request.URL.String() != inst.URL {
		t.Errorf("localhost: ended at %s, want %s", resp.Request.URL, inst.URL)
	}
}

func TestStoreBounded(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	st := newStore(3, time.Hour, func() time.Time { return now })
	var ids []string
	for range 5 {
		ids = append(ids, st.create(&session{}))
		now = now.Add(time.Second)
	}
	if st.len() != 3 {
		t.Fatalf("%d sessions, want 3", st.len())
	}
	get := func(id string) *session {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		r.AddCookie(&http.Cookie{Name: sessionCookie, Value: id})
		_, s := st.get(r)
		return s
	}
	if get(ids[0]) != nil || get(ids[1]) != nil || get(ids[4]) == nil {
		t.Error("the oldest sessions were not the ones dropped")
	}
	now = now.Add(2 * time.Hour)
	if get(ids[4]) != nil {
		t.Error("an expired session is still served")
	}
}

// TestLoginCancelled: the user goes back from FranceConnect's page; the
// portal says so in French, without a session.
func TestLoginCancelled(t *testing.T) {
	inst := startMock(t)
	b := newBrowser(t)
	_, chooser := b.get(inst.URL + "fc/login")
	m := regexp.MustCompile(`href="([^"]+/abort)"`).FindStringSubmatch(chooser)
	if m == nil {
		t.Fatalf("no abort link:\n%s", chooser)
	}
	resp, page := b.get(inst.Mock.URL + m[1])
	if resp.StatusCode != http.StatusOK || resp.Request.URL.String() != inst.URL+"?connexion=annulee" {
		t.Fatalf("after abort: %s at %s: a clean page, not the callback URL", resp.Status, resp.Request.URL)
	}
	if !strings.Contains(page, `data-message="login-annulee"><p>Vous avez annulé la connexion avec FranceConnect.</p>`) || !strings.Contains(page, `class="fr-connect"`) {
		t.Errorf("page after abort:\n%s", page)
	}
	if n := inst.h.sessions.len(); n != 0 {
		t.Errorf("%d sessions", n)
	}
}

// The demo portal passes FranceConnect's qualification self-check, item by
// item.
func TestQualification(t *testing.T) {
	inst := startMock(t)
	csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	report := qualify.Run(inst.Mock, qualify.Portal{
		Registration: fctest.Registration{ID: inst.Settings.FC.ClientID, RedirectURIs: []string{inst.Settings.FC.RedirectURL}},
		LoginURL:     inst.URL + "fc/login",
		LoggedIn:     func(resp *http.Response, body string) bool { return strings.Contains(body, `data-user="name"`) },
		Logout: func(b *http.Client) (*http.Response, error) {
			resp, err := b.Get(inst.URL + "profil")
			if err != nil {
				return nil, err
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			m := csrf.FindSubmatch(page)
			if m == nil {
				return nil, errors.New("no logout form on the profile page")
			}
			return b.PostForm(inst.URL+"fc/logout", url.Values{"csrf": {string(m[1])}})
		},
		LoggedOut: func(resp *http.Response, body string) bool { return resp.Request.URL.RawQuery == "deconnexion=ok" },
	})
	t.Log("\n" + report.String())
	for _, i := range report {
		if i.Verdict != qualify.Passed {
			t.Errorf("%s: %s %s", i.Name, i.Verdict, i.Detail)
		}
	}
}
