package multitenant

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect/fctest"
)

const adminPassword = "mot de passe de test"

// demo is one process of the portal, on its embedded mock, and a browser.
type demo struct {
	t    *testing.T
	inst *Instance
	hc   *http.Client
	logs *lockedWriter
}

func startDemo(t *testing.T, dir string) *demo {
	t.Helper()
	logs := &lockedWriter{w: &bytes.Buffer{}}
	inst, err := Start(Options{Addr: "127.0.0.1:0", DataDir: dir, AdminPassword: adminPassword,
		CookieKeys: [][]byte{[]byte("0123456789abcdef0123456789ABCDEF")}, Log: logs})
	require.NoError(t, err)
	t.Cleanup(func() { _ = inst.Close() })
	return (&demo{t: t, inst: inst, logs: logs}).browser()
}

// browser returns d with a browser of its own.
func (d *demo) browser() *demo {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &demo{t: d.t, inst: d.inst, hc: hc, logs: d.logs}
}

// lockedWriter is a log that the replica and the test share.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

// do sends a request as the browser; the admin's carry the password.
func (d *demo) do(method, path string, form url.Values) (*http.Response, string) {
	d.t.Helper()
	u := path
	if !strings.HasPrefix(u, "http") {
		u = d.inst.URL + path
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(context.Background(), method, u, body)
	require.NoError(d.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if strings.Contains(u, "/admin/") {
		req.SetBasicAuth("admin", adminPassword)
	}
	resp, err := d.hc.Do(req)
	require.NoError(d.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(d.t, err)
	return resp, string(b)
}

// login logs u in on tenant and returns where the portal sent the browser.
func (d *demo) login(tenant string, u fctest.User) string {
	d.t.Helper()
	resp, _ := d.do(http.MethodGet, "/account-management/"+tenant+"-demandeurs/france-connect/login", nil)
	require.Equal(d.t, http.StatusFound, resp.StatusCode)
	cb, err := d.inst.Mock.Login(resp.Header.Get("Location"), u)
	require.NoError(d.t, err)
	resp, body := d.do(http.MethodGet, cb, nil)
	require.Equal(d.t, http.StatusFound, resp.StatusCode, body)
	return resp.Header.Get("Location")
}

// logout logs tenant out through the mock and returns the page shown at
// the shared post-logout URL.
func (d *demo) logout(tenant string) (int, string) {
	d.t.Helper()
	resp, _ := d.do(http.MethodPost, "/account-management/"+tenant+"-demandeurs/france-connect/logout", nil)
	require.Equal(d.t, http.StatusFound, resp.StatusCode)
	back, err := d.inst.Mock.Logout(resp.Header.Get("Location"))
	require.NoError(d.t, err)
	require.True(d.t, strings.HasPrefix(back, d.inst.URL+"/aides?"))
	resp, _ = d.do(http.MethodGet, back, nil)
	require.Equal(d.t, http.StatusSeeOther, resp.StatusCode, "verified: the page without the state")
	resp, body := d.do(http.MethodGet, resp.Header.Get("Location"), nil)
	return resp.StatusCode, body
}

// tab is the form of the « Intégration FranceConnect » tab.
func tab(id, button, text string) url.Values {
	return url.Values{"enabled": {"on"}, "ask_email": {"on"}, "button": {button}, "text": {text}, "client_id": {id}, "client_secret": {""}, "service_url": {"mock"}}
}

func TestTwoTenantsLoginAndSharedLogout(t *testing.T) {
	t.Parallel()
	d := startDemo(t, t.TempDir())

	_, home := d.do(http.MethodGet, "/aides", nil)
	assert.Equal(t, 2, strings.Count(home, `class="fr-connect"`), "one button per organisation")

	landedA := d.login("t1", fctest.DefaultUser)
	landedB := d.login("t2", fctest.Users()[1])
	assert.Equal(t, d.inst.URL+"/aides/#/t1/connecte/dashboard/accueil", landedA, "the redirectUrl of t1's registered callback, fragment intact")
	assert.Equal(t, d.inst.URL+"/aides/#/t2/connecte/dashboard/accueil", landedB)
	resp, home := d.do(http.MethodGet, landedA, nil) // the browser drops the fragment
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, home, `data-user="t1"`)
	assert.Contains(t, home, "connectée en tant que <strong>Angela Claire Louise DUBOIS", "the agreement of her gender")
	assert.Contains(t, home, "Marie Hélène LEBLANC")

	status, page := d.logout("t2")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, page, "déconnecté·e de l’espace Département du Val-Fictif")
	assert.Contains(t, page, `data-user="t1"`, "t1's session stays")
	status, page = d.logout("t1")
	assert.Equal(t, http.StatusOK, status)
	assert.Contains(t, page, "déconnecté·e de l’espace Commune de Saint-Exemple")
	assert.NotContains(t, page, `data-user=`)
}

func TestAdminChangesApplyAtOnceAndPersist(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := startDemo(t, dir)
	id, secret := demoCredentials("t1")

	_, admin := d.do(http.MethodGet, "/admin/t1/france-connect", nil)
	assert.Contains(t, admin, "Intégration FranceConnect – Commune de Saint-Exemple")
	assert.NotContains(t, admin, secret, "the secret is never shown")
	assert.Contains(t, admin, "/account-management/t1-demandeurs/france-connect/code?redirectUrl=http%3A%2F%2F", "the URL to declare")

	resp, body := d.do(http.MethodPost, "/admin/t1/france-connect", tab(id, "contrast", "Espace des demandeurs de la commune"))
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, `data-message="saved"`)
	_, home := d.do(http.MethodGet, "/aides", nil)
	assert.Contains(t, home, `data-button-style="contrast"`)
	assert.Contains(t, home, "Espace des demandeurs de la commune")
	d.login("t1", fctest.DefaultUser) // the kept secret still works

	bad := url.Values{"enabled": {"on"}, "button": {"default"}, "client_id": {id}, "client_secret": {secret + "\n"}, "service_url": {"https://oidc.franceconnect.gouv.fr:443"}}
	resp, body = d.do(http.MethodPost, "/admin/t1/france-connect", bad)
	assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode)
	assert.Contains(t, body, "sans port")
	assert.Contains(t, body, "retour à la ligne")
	assert.NotContains(t, body, secret)

	// Without the email scope, logins ask for the identité pivot alone.
	noEmail := tab(id, "contrast", "Espace des demandeurs de la commune")
	noEmail.Del("ask_email")
	resp, _ = d.do(http.MethodPost, "/admin/t1/france-connect", noEmail)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = d.do(http.MethodGet, "/account-management/t1-demandeurs/france-connect/login", nil)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	assert.Equal(t, "openid identite_pivot", loc.Query().Get("scope"))

	// Disabled: no button, and its login path answers 404.
	off := url.Values{"button": {"default"}, "service_url": {"mock"}}
	resp, _ = d.do(http.MethodPost, "/admin/t2/france-connect", off)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	_, home = d.do(http.MethodGet, "/aides", nil)
	assert.Contains(t, home, `data-disabled="t2"`)
	resp, _ = d.do(http.MethodGet, "/account-management/t2-demandeurs/france-connect/login", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	// A new process on the same data directory keeps the saved settings,
	// and the sessions.
	require.NoError(t, d.inst.Close())
	restarted := startDemo(t, dir)
	restarted.hc.Jar = d.hc.Jar
	_, admin = restarted.do(http.MethodGet, "/admin/t1/france-connect", nil)
	assert.Contains(t, admin, `value="contrast" checked`)
	_, home = restarted.do(http.MethodGet, "/aides", nil)
	assert.Contains(t, home, `data-disabled="t2"`)
	assert.Contains(t, home, `data-user="t1"`, "the session outlives the process")
	restarted.login("t1", fctest.DefaultUser)
}

// An organisation added by the administrator is usable as soon as its tab
// is filled; removed, its button and its logins go.
func TestOrganisationsAddedAndRemoved(t *testing.T) {
	t.Parallel()
	d := startDemo(t, t.TempDir())
	resp, body := d.do(http.MethodPost, "/admin/", url.Values{"name": {"t3"}, "label": {"Ville de Testville"}})
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, `data-message="added"`)
	_, home := d.do(http.MethodGet, "/aides", nil)
	assert.Contains(t, home, `data-disabled="t3"`, "off until its tab is filled")

	for _, bad := range []url.Values{{"name": {"t3"}, "label": {"Encore"}}, {"name": {"T 3"}, "label": {"x"}}, {"name": {"t4"}, "label": {""}}} {
		resp, _ = d.do(http.MethodPost, "/admin/", bad)
		assert.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, bad)
	}

	form := tab("client-of-t3", "default", "")
	form.Set("client_secret", strings.Repeat("s", 64))
	resp, body = d.do(http.MethodPost, "/admin/t3/france-connect", form)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Equal(t, d.inst.URL+"/aides/#/t3/connecte/dashboard/accueil", d.login("t3", fctest.DefaultUser))

	resp, _ = d.do(http.MethodPost, "/admin/t3/delete", url.Values{})
	assert.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, home = d.do(http.MethodGet, "/aides", nil)
	assert.NotContains(t, home, `data-tenant="t3"`)
	resp, _ = d.do(http.MethodGet, "/account-management/t3-demandeurs/france-connect/login", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	resp, _ = d.do(http.MethodGet, "/admin/t3/france-connect", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// A session ID planted before the login is worth nothing after it: the
// login gives the browser a fresh one.
func TestSessionFixation(t *testing.T) {
	t.Parallel()
	d := startDemo(t, t.TempDir())
	attacker := d.browser()
	attacker.login("t2", fctest.Users()[1])
	base, _ := url.Parse(d.inst.URL)
	planted := attacker.hc.Jar.Cookies(base)
	require.Len(t, planted, 1)
	d.hc.Jar.SetCookies(base, planted)

	d.login("t1", fctest.DefaultUser)
	got := d.hc.Jar.Cookies(base)
	require.Len(t, got, 1)
	assert.NotEqual(t, planted[0].Value, got[0].Value, "a fresh session ID at login")
	_, home := attacker.do(http.MethodGet, "/aides", nil)
	assert.NotContains(t, home, "data-user=", "the planted ID opens nothing")
	assert.NotContains(t, home, "Angela")
}

// The administration pages ask for the password; every page refuses a
// Host other than the portal's (DNS rebinding).
func TestAdminPasswordAndHost(t *testing.T) {
	t.Parallel()
	d := startDemo(t, t.TempDir())
	id, _ := demoCredentials("t1")
	for _, c := range []struct {
		name       string
		user, pass string
		host       string
		want       int
	}{
		{"no password", "", "", "", http.StatusUnauthorized},
		{"wrong password", "admin", "mot de passe", "", http.StatusUnauthorized},
		{"wrong user", "root", adminPassword, "", http.StatusUnauthorized},
		{"another host", "admin", adminPassword, "evil.example", http.StatusMisdirectedRequest},
		{"the admin", "admin", adminPassword, "", http.StatusOK},
	} {
		req, _ := http.NewRequest(http.MethodPost, d.inst.URL+"/admin/t1/france-connect", strings.NewReader(tab(id, "contrast", "rebound").Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if c.user != "" {
			req.SetBasicAuth(c.user, c.pass)
		}
		if c.host != "" {
			req.Host = c.host
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, c.want, resp.StatusCode, c.name)
		if c.want == http.StatusUnauthorized {
			assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Basic")
		}
	}
	req, _ := http.NewRequest(http.MethodGet, d.inst.URL+"/aides", nil)
	req.Host = "evil.example"
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusMisdirectedRequest, resp.StatusCode, "the public pages too")
}

// The data directory: made private, and refused when others may write to
// it or when it is a link.
func TestDataDirectory(t *testing.T) {
	t.Parallel()
	fresh := filepath.Join(t.TempDir(), "new")
	startDemo(t, fresh)
	info, err := os.Stat(fresh)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), info.Mode().Perm())

	open := t.TempDir()
	require.NoError(t, os.Chmod(open, 0o777)) //nolint:gosec // the case under test
	_, err = Start(Options{Addr: "127.0.0.1:0", DataDir: open})
	assert.ErrorContains(t, err, "may be written by other users")

	link := filepath.Join(t.TempDir(), "link")
	require.NoError(t, os.Symlink(t.TempDir(), link))
	_, err = Start(Options{Addr: "127.0.0.1:0", DataDir: link})
	assert.ErrorContains(t, err, "symbolic link")
}

// Client secrets are sealed in the database: no file of the database
// holds one in clear; another secrets key opens none, and its
// organisations fail closed.
func TestSecretsSealedAtRest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := startDemo(t, dir)
	secret := "un-secret-tout-neuf-de-trente-deux-octets-ou-plus"
	form := tab("rotated-client", "default", "")
	form.Set("client_secret", secret)
	resp, body := d.do(http.MethodPost, "/admin/t1/france-connect", form)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	_, demoSecret := demoCredentials("t2")
	require.NoError(t, d.inst.Close())

	files, err := filepath.Glob(filepath.Join(dir, "portal.db*"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		assert.NotContains(t, string(b), secret, f)
		assert.NotContains(t, string(b), demoSecret, f)
	}

	logs := &lockedWriter{w: &bytes.Buffer{}}
	other, err := Start(Options{Addr: "127.0.0.1:0", DataDir: dir, AdminPassword: adminPassword, SecretsKey: bytes.Repeat([]byte{7}, 32), Log: logs})
	require.NoError(t, err)
	defer other.Close()
	resp, err = http.Get(other.URL + "/account-management/t1-demandeurs/france-connect/login")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode, "no login with a secret that does not open")
	assert.Contains(t, logs.String(), "does not open with this secrets key")
	assert.NotContains(t, logs.String(), secret)
}

func TestStart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	inst, err := Start(Options{Addr: "127.0.0.1:0", DataDir: dir})
	require.NoError(t, err)
	resp, err := http.Get(inst.URL + "/aides")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NoError(t, inst.Close())
	for _, f := range []string{"admin-password", "secrets.key"} {
		info, err := os.Stat(filepath.Join(dir, f))
		require.NoError(t, err, "made for a single process")
		assert.Equal(t, os.FileMode(0o600), info.Mode().Perm())
	}
}

// An organisation that opts in fetches the citizen's quotient familial at
// login (API Particulier on the mock) and shows it as coming from the
// administration; a citizen without a file logs in all the same and types
// it.
func TestQuotientFamilial(t *testing.T) {
	t.Parallel()
	d := startDemo(t, t.TempDir())
	id, _ := demoCredentials("t1")
	form := tab(id, "default", "")
	form.Set("fetch_qf", "on")
	resp, body := d.do(http.MethodPost, "/admin/t1/france-connect", form)
	require.Equal(t, http.StatusUnprocessableEntity, resp.StatusCode, "the SIRET is required")
	assert.Contains(t, body, "SIRET de l’organisation")
	form.Set("siret", "130 025 265 00013")
	resp, body = d.do(http.MethodPost, "/admin/t1/france-connect", form)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)

	resp, _ = d.do(http.MethodGet, "/account-management/t1-demandeurs/france-connect/login", nil)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	assert.Contains(t, strings.Fields(loc.Query().Get("scope")), "cnaf_quotient_familial", "the business scope asked for")

	d.login("t1", fctest.DefaultUser)
	_, home := d.do(http.MethodGet, "/aides/", nil)
	assert.Contains(t, home, `data-quotient="fetched"`)
	assert.Contains(t, home, "<strong>2\u202f550\u00a0€</strong> (CNAF, février 2024)")
	assert.Contains(t, home, "grâce à FranceConnect : vous avez accepté ce partage")

	other := d.browser()
	var abroad fctest.User
	for _, u := range fctest.Users() {
		if u.Login == "naissance_Algérie" {
			abroad = u
		}
	}
	other.login("t1", abroad)
	_, home = other.do(http.MethodGet, "/aides/", nil)
	assert.Contains(t, home, `data-user="t1"`, "logged in without the data")
	assert.Contains(t, home, `data-quotient="absent"`)
	resp, _ = other.do(http.MethodPost, "/aides/t1/quotient", url.Values{"qf": {"850"}})
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
	_, home = other.do(http.MethodGet, "/aides/", nil)
	assert.Contains(t, home, `data-quotient="typed"`)
	assert.Contains(t, home, "850\u00a0€")
	assert.Contains(t, d.logs.String(), "quotient familial not fetched")
	assert.NotContains(t, d.logs.String(), "BENALI", "no personal data in the log")
}
