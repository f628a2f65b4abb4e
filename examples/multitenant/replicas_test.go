package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/examples/multitenant/internal/pgtest"
	"github.com/franceconnect-go/franceconnect/fctest"
	"github.com/franceconnect-go/franceconnect/tenant"
)

// The replica tests run the portal as it is deployed: two processes of
// this command (built with -race) on two loopback ports, behind the base
// URL a load balancer would serve (the test's browser picks the replica of
// each request), sharing the database, the cookie keys, the secrets key
// and one mock FranceConnect (cmd/fcmock, a process too).

// base is the portal's public URL: nothing listens there, the browser's
// transport sends each request to the replica of its choice.
const base = "http://localhost:8080"

var binDir string // the built commands, removed after the tests

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	buildErr  error
)

// binaries builds this command (with -race) and cmd/fcmock once.
func binaries(t *testing.T) (portal, mock string) {
	t.Helper()
	buildOnce.Do(func() {
		if binDir, buildErr = os.MkdirTemp("", "multitenant-replicas-"); buildErr != nil {
			return
		}
		for _, args := range [][]string{
			{"build", "-race", "-o", filepath.Join(binDir, "multitenant"), "."},
			{"build", "-o", filepath.Join(binDir, "fcmock"), "github.com/franceconnect-go/franceconnect/cmd/fcmock"},
		} {
			if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "multitenant"), filepath.Join(binDir, "fcmock")
}

// proc is a process of the test, its output kept line by line.
type proc struct {
	name string
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  []logLine
	done chan struct{}
}

type logLine struct {
	at   time.Time
	text string
}

func startProc(t *testing.T, name, bin string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, cmd: exec.Command(bin, args...), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	pr, pw := io.Pipe()
	p.cmd.Stdout, p.cmd.Stderr = pw, pw
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			p.mu.Lock()
			p.out = append(p.out, logLine{time.Now(), sc.Text()})
			p.mu.Unlock()
		}
	}()
	go func() {
		_ = p.cmd.Wait()
		pw.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			p.mu.Lock()
			defer p.mu.Unlock()
			// The last lines, or those from a crash (a data race the -race
			// build found, a panic) on.
			from := max(0, len(p.out)-40)
			if i := slices.IndexFunc(p.out, func(l logLine) bool {
				return strings.Contains(l.text, "WARNING: DATA RACE") || strings.HasPrefix(l.text, "panic:") || strings.HasPrefix(l.text, "fatal error:")
			}); i >= 0 {
				from = i
				t.Errorf("%s crashed", p.name)
			}
			for _, l := range p.out[from:min(len(p.out), from+120)] {
				t.Logf("%s| %s", p.name, l.text)
			}
		}
	})
	return p
}

// stop ends the process as a deployment does (SIGTERM), and waits.
func (p *proc) stop(t *testing.T) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		t.Errorf("%s did not stop on SIGTERM", p.name)
	}
}

// waitFor returns the first line from the from-th on that matches re,
// its index and time.
func (p *proc) waitFor(t *testing.T, re *regexp.Regexp, from int) (m []string, i int, at time.Time) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute) // far beyond any machine's speed: only a hang fails
	for time.Now().Before(deadline) {
		p.mu.Lock()
		for i := from; i < len(p.out); i++ {
			if m := re.FindStringSubmatch(p.out[i].text); m != nil {
				at := p.out[i].at
				p.mu.Unlock()
				return m, i, at
			}
		}
		p.mu.Unlock()
		select {
		case <-p.done:
			t.Fatalf("%s exited, waiting for %v", p.name, re)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("%s: no line matching %v", p.name, re)
	return nil, 0, time.Time{}
}

func (p *proc) lines() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.out)
}

// registration is one client at the mock.
type registration struct {
	ID                     string   `json:"id"`
	Secret                 string   `json:"secret"`
	RedirectURIs           []string `json:"redirect_uris"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris"`
}

// deployment is the mock and two replicas of the portal on one database.
type deployment struct {
	t        *testing.T
	bin      string
	args     []string
	env      []string
	mock     *proc
	mockCfg  string
	provider string

	mu       sync.Mutex
	regs     map[string]registration // by client ID
	replicas [2]*proc
	addrs    [2]string
}

var (
	issuerLine = regexp.MustCompile(`^issuer: (\S+)/api/v2$`)
	readyLine  = regexp.MustCompile(`msg="multitenant: portal ready".* listen=(\S+)`)
	formAction = regexp.MustCompile(`<form method="post" action="(/api/v2/interaction/[^"]+/login)"`)
)

// key is key number b, 32 bytes that look random, in base64.
func key(b byte) string {
	k := sha256.Sum256([]byte{b})
	return base64.StdEncoding.EncodeToString(k[:])
}

// deploy starts the mock with regs and two replicas on the database dsn
// ("" for an SQLite file both open).
func deploy(t *testing.T, dsn string, regs ...registration) *deployment {
	t.Helper()
	bin, mockBin := binaries(t)
	d := &deployment{t: t, bin: bin, mockCfg: filepath.Join(t.TempDir(), "clients.json"), regs: map[string]registration{}}
	for _, r := range regs {
		d.regs[r.ID] = r
	}
	d.writeMockConfig()
	d.mock = startProc(t, "fcmock", mockBin, nil, "-addr", "127.0.0.1:0", "-config", d.mockCfg)
	m, _, _ := d.mock.waitFor(t, issuerLine, 0)
	d.provider = m[1]
	data := t.TempDir()
	d.args = []string{"-addr", "127.0.0.1:0", "-base", base, "-provider", d.provider, "-data", data, "-poll", "1s"}
	if dsn != "" {
		d.args = append(d.args, "-database", dsn)
	}
	d.env = []string{"MT_COOKIE_KEYS=" + key(1) + "," + key(2), "MT_SECRETS_KEY=" + key(3), "MT_ADMIN_PASSWORD=admin-of-the-test"}
	d.start(0)
	d.start(1)
	return d
}

// start starts replica i.
func (d *deployment) start(i int) {
	p := startProc(d.t, fmt.Sprintf("replica-%c", 'A'+i), d.bin, d.env, d.args...)
	m, _, _ := p.waitFor(d.t, readyLine, 0)
	d.mu.Lock()
	d.replicas[i], d.addrs[i] = p, m[1]
	d.mu.Unlock()
}

// restart stops both replicas, then starts them again.
func (d *deployment) restart() {
	d.replicas[0].stop(d.t)
	d.replicas[1].stop(d.t)
	d.start(0)
	d.start(1)
}

// writeMockConfig writes the mock's registrations.
func (d *deployment) writeMockConfig() {
	d.mu.Lock()
	doc := struct {
		Clients []registration `json:"clients"`
	}{}
	for _, r := range d.regs {
		doc.Clients = append(doc.Clients, r)
	}
	d.mu.Unlock()
	b, _ := json.Marshal(doc)
	if err := os.WriteFile(d.mockCfg, b, 0o600); err != nil {
		d.t.Fatal(err)
	}
}

// register changes a registration at the mock, as FranceConnect's partner
// space does (a new client, a rotated secret), and waits until it serves
// it.
func (d *deployment) register(r registration) {
	d.t.Helper()
	d.mu.Lock()
	d.regs[r.ID] = r
	d.mu.Unlock()
	d.writeMockConfig()
	from := d.mock.lines()
	_ = d.mock.cmd.Process.Signal(syscall.SIGHUP)
	d.mock.waitFor(d.t, regexp.MustCompile(`registered again`), from)
}

// reg is the registration of tenant name at the mock.
func reg(t *testing.T, name, id, secret string) registration {
	urls, err := tenant.GrantPortalURLs(base, name)
	if err != nil {
		t.Fatal(err)
	}
	return registration{ID: id, Secret: secret, RedirectURIs: []string{urls.RedirectURL}, PostLogoutRedirectURIs: []string{urls.PostLogoutRedirectURL}}
}

// browser is a browser behind the load balancer: one cookie jar, and the
// replica of each request chosen by the test.
type browser struct {
	d       *deployment
	clients [2]*http.Client
}

func (d *deployment) browser() *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{d: d}
	for i := range b.clients {
		dialer := &net.Dialer{Timeout: 10 * time.Second}
		tr := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr == "localhost:8080" {
				d.mu.Lock()
				addr = d.addrs[i]
				d.mu.Unlock()
			}
			return dialer.DialContext(ctx, network, addr)
		}, DisableKeepAlives: true} // a replica that restarts leaves no stale connection
		b.clients[i] = &http.Client{Jar: jar, Transport: tr, Timeout: time.Minute,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	return b
}

// do sends a request through replica i; requests to /admin/ carry the
// administrator's password.
func (b *browser) do(i int, method, rawURL string, form url.Values) (*http.Response, string, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		return nil, "", err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if strings.HasPrefix(rawURL, base+"/admin/") {
		req.SetBasicAuth("admin", "admin-of-the-test")
	}
	resp, err := b.clients[i].Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	page, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp, string(page), err
}

// must is do for the steps that cannot fail.
func (b *browser) must(i int, method, rawURL string, form url.Values, want int) string {
	b.d.t.Helper()
	resp, page, err := b.do(i, method, rawURL, form)
	if err != nil {
		b.d.t.Fatal(err)
	}
	if resp.StatusCode != want {
		b.d.t.Fatalf("%s %s on replica %c: %s, want %d\n%s", method, rawURL, 'A'+i, resp.Status, want, page)
	}
	return page
}

// pending is a login the user completed at the mock, whose callback the
// browser has not sent yet.
type pending struct {
	b        *browser
	tenant   string
	user     fctest.User
	callback string
}

// authenticate starts a login to tenant on replica i and logs the user in
// at the mock.
func (b *browser) authenticate(i int, name string, u fctest.User) (*pending, error) {
	resp, page, err := b.do(i, http.MethodGet, base+"/account-management/"+name+"-demandeurs/france-connect/login", nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusFound {
		return nil, fmt.Errorf("login start on replica %c: %s %s", 'A'+i, resp.Status, message(page))
	}
	_, chooser, err := b.do(i, http.MethodGet, resp.Header.Get("Location"), nil)
	if err != nil {
		return nil, err
	}
	m := formAction.FindStringSubmatch(chooser)
	if m == nil {
		return nil, fmt.Errorf("no identity chooser at the mock: %.300s", chooser)
	}
	resp, _, err = b.do(i, http.MethodPost, b.d.provider+html.UnescapeString(m[1]), url.Values{"login": {u.Login}})
	if err != nil {
		return nil, err
	}
	cb := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(cb, base+"/") {
		return nil, fmt.Errorf("the mock answered %s, Location %q", resp.Status, cb)
	}
	return &pending{b: b, tenant: name, user: u, callback: cb}, nil
}

// complete sends the callback to replica i and checks the landing: the
// page of the tenant's registered callback, greeting the user.
func (p *pending) complete(i int) error {
	resp, page, err := p.b.do(i, http.MethodGet, p.callback, nil)
	if err != nil {
		return err
	}
	want := base + "/aides/#/" + p.tenant + "/connecte/dashboard/accueil"
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != want {
		return &callbackError{status: resp.StatusCode, message: message(page), location: resp.Header.Get("Location")}
	}
	_, home, err := p.b.do(1-i, http.MethodGet, base+"/aides/", nil)
	if err != nil {
		return err
	}
	greeting := fmt.Sprintf(`<p data-user="%s">Vous êtes connecté`, p.tenant)
	if !strings.Contains(home, greeting) || !strings.Contains(home, html.EscapeString(p.user.GivenName+" "+p.user.FamilyName)) {
		return fmt.Errorf("landed, but the other replica does not greet %s on %s", p.user.Login, p.tenant)
	}
	return nil
}

type callbackError struct {
	status            int
	message, location string
}

func (e *callbackError) Error() string {
	return fmt.Sprintf("callback: %d %q (Location %q)", e.status, e.message, e.location)
}

var messageRe = regexp.MustCompile(`(?s)data-message="error"><p>(.*?)</p>`)

// message returns the error message of a page of the portal.
func message(page string) string {
	if m := messageRe.FindStringSubmatch(page); m != nil {
		return html.UnescapeString(m[1])
	}
	return ""
}

// login logs u in to tenant, started on replica from and completed on
// replica to.
func (b *browser) login(from, to int, name string, u fctest.User) error {
	p, err := b.authenticate(from, name, u)
	if err != nil {
		return err
	}
	return p.complete(to)
}

// tab is the form of an organisation's « Intégration FranceConnect » tab.
func tab(id, secret, button, text string, askEmail bool) url.Values {
	v := url.Values{"enabled": {"on"}, "button": {button}, "text": {text}, "client_id": {id}, "client_secret": {secret}, "service_url": {"mock"}}
	if askEmail {
		v.Set("ask_email", "on")
	}
	return v
}

// addOrg adds an organisation on replica i and fills its tab.
func (b *browser) addOrg(i int, name, label, id, secret string) {
	b.d.t.Helper()
	b.must(i, http.MethodPost, base+"/admin/", url.Values{"name": {name}, "label": {label}}, http.StatusOK)
	b.must(i, http.MethodPost, base+"/admin/"+name+"/france-connect", tab(id, secret, "default", "Demandes de "+label, true), http.StatusOK)
}

var users = fctest.Users()

// Logins start on one replica and complete on the other, interleaved
// across tenants, while an administrator changes settings on one replica:
// button and text, a secret rotation, a new tenant, a removed tenant, a
// client ID change. None fails but those whose registration really
// changed under them (typed), every landing is right, the new tenant is
// usable on both replicas at once, and the settings and sessions outlive a
// restart of both replicas.
func TestReplicas(t *testing.T) {
	t.Parallel()
	for _, db := range []struct {
		name string
		dsn  func(testing.TB) string
	}{{"sqlite", func(testing.TB) string { return "" }}, {"postgres", pgtest.Database}} {
		t.Run(db.name, func(t *testing.T) {
			t.Parallel()
			testReplicas(t, db.dsn(t))
		})
	}
}

func testReplicas(t *testing.T, dsn string) {
	const A, B = 0, 1
	secret := func(s string) string { return strings.Repeat(s, 64/len(s)) }
	d := deploy(t, dsn, reg(t, "t1", "t1-first", secret("1")), reg(t, "t1", "t1-second", secret("2")),
		reg(t, "t2", "t2-client", secret("3")), reg(t, "t3", "t3-client", secret("4")))
	admin := d.browser()
	admin.addOrg(A, "t1", "Commune de Saint-Exemple", "t1-first", secret("1"))
	admin.addOrg(B, "t2", "Département du Val-Fictif", "t2-client", secret("3"))
	both := func(name string, u fctest.User) {
		t.Helper()
		for _, hop := range [][2]int{{A, B}, {B, A}} {
			if err := d.browser().login(hop[0], hop[1], name, u); err != nil {
				t.Fatalf("%s, %c to %c: %v", name, 'A'+hop[0], 'A'+hop[1], err)
			}
		}
	}
	both("t1", users[0])
	both("t2", users[1])

	// Button and text: the other replica's page shows them at once.
	admin.must(A, http.MethodPost, base+"/admin/t1/france-connect", tab("t1-first", "", "contrast", "Espace des demandeurs", true), http.StatusOK)
	home := d.browser().must(B, http.MethodGet, base+"/aides", nil, http.StatusOK)
	if !strings.Contains(home, `data-button-style="contrast"`) || !strings.Contains(home, "Espace des demandeurs") {
		t.Error("replica B does not show replica A's button and text")
	}

	// The scopes: B's next login asks for them at once, and B's set
	// follows within a poll.
	from := d.replicas[B].lines()
	saved := time.Now()
	admin.must(A, http.MethodPost, base+"/admin/t1/france-connect", tab("t1-first", "", "contrast", "Espace des demandeurs", false), http.StatusOK)
	resp, _, err := d.browser().do(B, http.MethodGet, base+"/account-management/t1-demandeurs/france-connect/login", nil)
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("login on B: %v %v", resp, err)
	}
	if auth, _ := url.Parse(resp.Header.Get("Location")); auth.Query().Get("scope") != "openid identite_pivot" {
		t.Errorf("B's next login asks for %q", auth.Query().Get("scope"))
	}
	_, _, reloaded := d.replicas[B].waitFor(t, regexp.MustCompile(`settings reloaded`), from)
	t.Logf("propagation: replica B reloaded its settings %v after replica A saved (poll every 1 s)", reloaded.Sub(saved).Round(time.Millisecond))

	// A secret rotation: FranceConnect issues a new secret, the
	// administrator pastes it on A; a login B started under the old one
	// completes on B.
	rotating, err := d.browser().authenticate(B, "t2", users[2])
	if err != nil {
		t.Fatal(err)
	}
	d.register(reg(t, "t2", "t2-client", secret("5")))
	admin.must(A, http.MethodPost, base+"/admin/t2/france-connect", tab("t2-client", secret("5"), "default", "", true), http.StatusOK)
	if err := rotating.complete(B); err != nil {
		t.Errorf("a login across the secret rotation: %v", err)
	}
	both("t2", users[2])

	// A new tenant: usable on both replicas at once.
	admin.addOrg(A, "t3", "Ville de Testville", "t3-client", secret("4"))
	if err := d.browser().login(B, A, "t3", users[3]); err != nil {
		t.Errorf("the new tenant, started on B: %v", err)
	}
	if err := d.browser().login(A, B, "t3", users[3]); err != nil {
		t.Errorf("the new tenant, completed on B: %v", err)
	}

	// A client ID change: the login pending under the old one fails,
	// typed; the next ones use the new registration on both replicas.
	changed, err := d.browser().authenticate(B, "t1", users[0])
	if err != nil {
		t.Fatal(err)
	}
	admin.must(A, http.MethodPost, base+"/admin/t1/france-connect", tab("t1-second", secret("2"), "contrast", "Espace des demandeurs", true), http.StatusOK)
	var ce *callbackError
	if err := changed.complete(A); !errors.As(err, &ce) || ce.message != franceconnect.UserMessage(franceconnect.ErrRegistrationChanged) {
		t.Errorf("a login pending across a client ID change: %v, want the registration-changed message", err)
	}
	both("t1", users[0])

	// A removed tenant: refused at once on both replicas, its button gone.
	admin.must(B, http.MethodPost, base+"/admin/t3/delete", url.Values{}, http.StatusSeeOther)
	for i := range 2 {
		if _, err := d.browser().authenticate(i, "t3", users[3]); err == nil || !strings.Contains(err.Error(), "404") {
			t.Errorf("the removed tenant on replica %c: %v", 'A'+i, err)
		}
	}

	// A logout started on one replica returns to the other, through the
	// post-logout URL every tenant shares.
	br := d.browser()
	if err := br.login(A, B, "t2", users[1]); err != nil {
		t.Fatal(err)
	}
	loc := base + "/account-management/t2-demandeurs/france-connect/logout"
	for i, step := range []struct {
		replica, status int
	}{{B, http.StatusFound}, {A, http.StatusSeeOther}, {A, http.StatusSeeOther}} { // the portal, the mock, the verified return
		method := map[bool]string{true: http.MethodPost, false: http.MethodGet}[i == 0]
		resp, page, err := br.do(step.replica, method, loc, nil)
		if err != nil || resp.StatusCode != step.status {
			t.Fatalf("logout step %d: %v %v %s", i, resp, err, message(page))
		}
		loc = resp.Header.Get("Location")
	}
	if page := br.must(A, http.MethodGet, base+loc, nil, http.StatusOK); !strings.Contains(page, "déconnecté·e de l’espace Département du Val-Fictif") {
		t.Error("the logout's return does not say which space the user left")
	}

	// Both replicas restart: settings and sessions stay.
	kept := d.browser()
	if err := kept.login(A, B, "t1", users[0]); err != nil {
		t.Fatal(err)
	}
	d.restart()
	home = kept.must(B, http.MethodGet, base+"/aides/", nil, http.StatusOK)
	switch {
	case !strings.Contains(home, `data-user="t1"`):
		t.Error("the session did not outlive the restart")
	case strings.Contains(home, `data-tenant="t3"`):
		t.Error("the removed tenant is back")
	}
	if tabPage := admin.must(A, http.MethodGet, base+"/admin/t1/france-connect", nil, http.StatusOK); !strings.Contains(tabPage, `value="t1-second"`) || !strings.Contains(tabPage, `value="contrast" checked`) {
		t.Error("t1's settings did not outlive the restart")
	}
	both("t1", users[0])
	both("t2", users[2])
}

// 1,000 logins across two replicas (each started on one, completed on
// either, both tenants interleaved) while an administrator changes a
// setting every 100 ms on one replica or the other (button, text, the
// email scope): none is lost, every landing is right.
//
// On PostgreSQL, the database of replicas on several machines (an SQLite
// file serves the replicas of one machine; TestReplicas runs on both).
func TestThousandLoginsWhileSettingsChange(t *testing.T) {
	t.Parallel()
	const logins, workers = 1000, 16
	secret := strings.Repeat("s", 64)
	d := deploy(t, pgtest.Database(t), reg(t, "t1", "t1-client", secret), reg(t, "t2", "t2-client", secret))
	admin := d.browser()
	admin.addOrg(0, "t1", "Commune de Saint-Exemple", "t1-client", secret)
	admin.addOrg(1, "t2", "Département du Val-Fictif", "t2-client", secret)

	stop, changed := make(chan struct{}), make(chan int)
	go func() { // the administrator
		n := 0
		defer func() { changed <- n }()
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
			}
			name := []string{"t1", "t2"}[n%2]
			form := tab(name+"-client", "", []string{"default", "contrast"}[n/2%2], fmt.Sprintf("Version %d", n), n/4%2 == 0)
			resp, page, err := admin.do(n/3%2, http.MethodPost, base+"/admin/"+name+"/france-connect", form)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Errorf("change %d: %v %v %.200s", n, resp, err, page)
			}
			n++
		}
	}()

	began := time.Now()
	jobs, failures := make(chan int), make(chan error, logins)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for j := range jobs {
				from, to := j%2, j/2%2
				name := []string{"t1", "t2"}[j/4%2]
				if err := d.browser().login(from, to, name, users[j%len(users)]); err != nil {
					failures <- fmt.Errorf("login %d (%s, %c to %c): %w", j, name, 'A'+from, 'A'+to, err)
				}
			}
		})
	}
	for j := range logins {
		jobs <- j
	}
	close(jobs)
	wg.Wait()
	close(stop)
	n := <-changed
	close(failures)
	lost := 0
	for err := range failures {
		if lost++; lost <= 10 {
			t.Error(err)
		}
	}
	t.Logf("%d logins in %v across two replicas, %d settings changes meanwhile, %d lost", logins, time.Since(began).Round(time.Millisecond), n, lost)
	if n < 2 {
		t.Errorf("only %d settings changes happened during the logins", n)
	}
}
