package multitenant

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect/fctest"
)

// demo runs the app on a test server; restart runs a new app on the same
// mock and data directory.
type demo struct {
	t    *testing.T
	mock *fctest.Server
	dir  string
	srv  *httptest.Server
	hc   *http.Client
}

func startDemo(t *testing.T, mock *fctest.Server, dir string) *demo {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	st, err := newStore(dir)
	require.NoError(t, err)
	key := []byte("0123456789abcdef0123456789ABCDEF")
	a, err := newApp("http://"+srv.Listener.Addr().String(), mock, st, key, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	srv.Config.Handler = a.routes()
	srv.Start()
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &demo{t: t, mock: mock, dir: dir, srv: srv, hc: hc}
}

func (d *demo) do(method, path string, form url.Values) (*http.Response, string) {
	d.t.Helper()
	u := path
	if !strings.HasPrefix(u, "http") {
		u = d.srv.URL + path
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
	cb, err := d.mock.Login(resp.Header.Get("Location"), u)
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
	end, err := http.NewRequest(http.MethodGet, resp.Header.Get("Location"), nil)
	require.NoError(d.t, err)
	back, err := d.hc.Do(end)
	require.NoError(d.t, err)
	back.Body.Close()
	require.Equal(d.t, http.StatusSeeOther, back.StatusCode)
	require.True(d.t, strings.HasPrefix(back.Header.Get("Location"), d.srv.URL+"/aides?"))
	resp, _ = d.do(http.MethodGet, back.Header.Get("Location"), nil)
	require.Equal(d.t, http.StatusSeeOther, resp.StatusCode, "verified: the page without the state")
	resp, body := d.do(http.MethodGet, resp.Header.Get("Location"), nil)
	return resp.StatusCode, body
}

func TestTwoTenantsLoginAndSharedLogout(t *testing.T) {
	t.Parallel()
	mock := fctest.NewServer(fctest.Options{})
	defer mock.Close()
	d := startDemo(t, mock, t.TempDir())

	_, home := d.do(http.MethodGet, "/aides", nil)
	assert.Equal(t, 2, strings.Count(home, `class="fr-connect"`), "one button per organisation")

	landedA := d.login("t1", fctest.DefaultUser)
	landedB := d.login("t2", fctest.Users()[1])
	assert.Equal(t, d.srv.URL+"/aides/#/t1/connecte/dashboard/accueil", landedA, "the redirectUrl of t1's registered callback, fragment intact")
	assert.Equal(t, d.srv.URL+"/aides/#/t2/connecte/dashboard/accueil", landedB)
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
	mock := fctest.NewServer(fctest.Options{})
	defer mock.Close()
	dir := t.TempDir()
	d := startDemo(t, mock, dir)
	id, secret := demoCredentials("t1")

	_, admin := d.do(http.MethodGet, "/admin/t1/france-connect", nil)
	assert.Contains(t, admin, "Intégration FranceConnect – Commune de Saint-Exemple")
	assert.NotContains(t, admin, secret, "the secret is never shown")
	assert.Contains(t, admin, "/account-management/t1-demandeurs/france-connect/code?redirectUrl=http%3A%2F%2F", "the URL to declare")

	form := url.Values{"enabled": {"on"}, "button": {"contrast"}, "text": {"Espace des demandeurs de la commune"}, "client_id": {id}, "client_secret": {""}, "service_url": {"mock"}}
	resp, body := d.do(http.MethodPost, "/admin/t1/france-connect", form)
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

	// A new process on the same data directory keeps the saved settings.
	restarted := startDemo(t, mock, dir)
	_, home = restarted.do(http.MethodGet, "/aides", nil)
	assert.Contains(t, home, `data-button-style="contrast"`)

	// Disabled: no button, and its login path answers 404.
	off := url.Values{"button": {"default"}, "service_url": {"mock"}}
	resp, _ = d.do(http.MethodPost, "/admin/t2/france-connect", off)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	_, home = d.do(http.MethodGet, "/aides", nil)
	assert.Contains(t, home, `data-disabled="t2"`)
	resp, _ = d.do(http.MethodGet, "/account-management/t2-demandeurs/france-connect/login", nil)
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)
}

// Start and Close: the portal answers, then stops with its mock.
func TestStart(t *testing.T) {
	t.Parallel()
	inst, err := Start("127.0.0.1:0", t.TempDir(), io.Discard)
	require.NoError(t, err)
	resp, err := http.Get(inst.URL + "/aides")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.NoError(t, inst.Close())
}
