// Package e2e drives the example portals (examples/portal and
// examples/multitenant) in a real headless Chromium: click the
// FranceConnect button, pick a test identity on the mock's page, check the
// profile, log out; two tenants and their administration page.
//
// It is a module of its own so that the library's go.mod does not depend
// on chromedp. Run it with Debian's chromium installed:
//
//	cd e2e && FC_BROWSER=1 go test -count=1 -v ./...
//
// Without FC_BROWSER=1 the tests skip; with it, a missing Chromium is a
// failure. FC_SCREENSHOT=1 also writes the screenshots of ../docs/ (the
// home page with both buttons, the profile page of the default identity and
// of an agent, the multi-tenant pages). CHROMIUM names another binary.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/franceconnect-go/franceconnect/examples/portal/portal"
	"github.com/franceconnect-go/franceconnect/fctest"
)

// chromium returns the browser to drive, or skips or fails the test.
func chromium(t *testing.T) string {
	t.Helper()
	if os.Getenv("FC_BROWSER") != "1" {
		t.Skip("browser test: set FC_BROWSER=1 to run it in headless Chromium (Debian package chromium)")
	}
	candidates := []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			candidates = append(candidates, p)
		}
	}
	for _, p := range candidates {
		if p == "" {
			continue
		}
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	t.Fatal("FC_BROWSER=1 but no Chromium found (/usr/bin/chromium): install it with apt-get install chromium, or set CHROMIUM")
	return ""
}

// browser starts a fresh headless Chromium (new profile) and returns a tab.
func browser(t *testing.T, execPath string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath),
		chromedp.Headless,
		chromedp.NoSandbox, // root in CI
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// The machine's network is closed: no background connections.
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "fr-FR"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1100, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx, chromedp.WithErrorf(t.Logf))
	// Cleanups run last-in first-out: the browser ends before its profile
	// directory (t.TempDir above) is removed.
	t.Cleanup(cancelAlloc)
	t.Cleanup(cancelCtx)
	if err := chromedp.Do(ctx); err != nil { // starts the browser
		t.Fatalf("starting %s: %v", execPath, err)
	}
	tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel)
	return tctx
}

func do(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

func run[T any](t *testing.T, ctx context.Context, step string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", step, err)
	}
	return v
}

// startPortal starts the portal on a free port with its mock.
func startPortal(t *testing.T, args ...string) *portal.Instance {
	t.Helper()
	inst, err := portal.Start(append([]string{"-addr", "127.0.0.1:0"}, args...), func(string) string { return "" }, logWriter{t})
	if err != nil {
		t.Fatalf("portal: %v", err)
	}
	t.Cleanup(func() { _ = inst.Close() })
	return inst
}

type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// claim is a value of the profile page.
type claim struct {
	Value string `json:"value"`
	Note  string `json:"note"`
}

// readClaims reads every dd[data-claim] of the profile page: its value (a
// list's items joined by ", ") and its note.
const readClaims = `Object.fromEntries([...document.querySelectorAll('dd[data-claim]')].map(dd => {
  const v = dd.querySelector('.claim-value');
  const items = v.tagName === 'UL' ? [...v.querySelectorAll('li')].map(li => li.textContent.trim()).join(', ') : v.textContent.trim();
  const n = dd.querySelector('.note');
  return [dd.dataset.claim, {value: items, note: n ? n.textContent.trim() : ''}];
}))`

// homeChecks checks the FranceConnect button of the home page (DSFR
// markup) and its computed colours.
func homeChecks(t *testing.T, ctx context.Context, wantBackground, wantColor string) {
	t.Helper()
	do(t, ctx, "home: button", chromedp.WaitVisible(chromedp.CSS(".fr-connect-group button.fr-connect")))
	if got := run(t, ctx, "login label", chromedp.Text(chromedp.CSS("button.fr-connect .fr-connect__login"))); got != "S’identifier avec" {
		t.Errorf("button login label %q", got)
	}
	if got := run(t, ctx, "brand label", chromedp.Text(chromedp.CSS("button.fr-connect .fr-connect__brand"))); got != "FranceConnect" {
		t.Errorf("button brand label %q", got)
	}
	link := run(t, ctx, "help link", chromedp.Attributes(chromedp.CSS(".fr-connect-group p a")))
	want := map[string]string{
		"href":   "https://franceconnect.gouv.fr/",
		"target": "_blank",
		"rel":    "noopener",
		"title":  "Qu’est-ce que FranceConnect ? - nouvelle fenêtre",
	}
	for k, v := range want {
		if link[k] != v {
			t.Errorf("help link %s=%q, want %q", k, link[k], v)
		}
	}
	if got := run(t, ctx, "help text", chromedp.Text(chromedp.CSS(".fr-connect-group p a"))); got != "Qu’est-ce que FranceConnect ?" {
		t.Errorf("help link text %q", got)
	}
	if icon := run(t, ctx, "new-window icon", chromedp.Evaluate[string](`getComputedStyle(document.querySelector('.fr-connect-group p a'), '::after').content`)); !strings.Contains(icon, "↗") {
		t.Errorf("the link that opens a new window has no icon: %q", icon)
	}
	if href := run(t, ctx, "skip link", chromedp.Evaluate[string](`document.querySelector('a.skip-link') ? document.querySelector('a.skip-link').getAttribute('href') : ''`)); href != "#contenu" {
		t.Errorf("skip link %q", href)
	}
	style := run(t, ctx, "button style", chromedp.Evaluate[map[string]string](`(() => {
  const b = document.querySelector('button.fr-connect'), s = getComputedStyle(b), r = b.getBoundingClientRect();
  return {background: s.backgroundColor, color: s.color, height: String(Math.round(r.height)), width: String(Math.round(r.width)),
          login: getComputedStyle(b.querySelector('.fr-connect__login')).display, brand: getComputedStyle(b.querySelector('.fr-connect__brand')).fontWeight};
})()`))
	if style["background"] != wantBackground || style["color"] != wantColor {
		t.Errorf("button colours: background %s, text %s; want %s, %s", style["background"], style["color"], wantBackground, wantColor)
	}
	if style["height"] != "56" || style["login"] != "block" || style["brand"] != "700" {
		t.Errorf("button shape: %v (want 56 px high, two lines, bold brand)", style)
	}
}

// flow runs home → button → chooser → profile → logout → home for one
// test identity and returns the profile's claims and a screenshot of it.
func flow(t *testing.T, ctx context.Context, inst *portal.Instance, u fctest.User) (map[string]claim, []byte) {
	t.Helper()
	do(t, ctx, "open home", chromedp.Navigate(inst.URL))
	homeChecks(t, ctx, "rgb(0, 0, 145)", "rgb(255, 255, 255)")

	do(t, ctx, "click the FranceConnect button", chromedp.Click(chromedp.CSS("button.fr-connect")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`button[name="login"][value=%q]`, u.Login))))
	loc := run(t, ctx, "chooser location", chromedp.Location())
	if !strings.HasPrefix(loc, inst.Mock.URL+"/api/v2/authorize?") || !strings.Contains(loc, "claims=") || !strings.Contains(loc, "scope=openid+identite_pivot+email") {
		t.Errorf("chooser at %s", loc)
	}
	if title := run(t, ctx, "chooser title", chromedp.Title()); !strings.Contains(title, "Choisissez une identité de test") {
		t.Errorf("chooser title %q", title)
	}

	do(t, ctx, "pick "+u.Login, chromedp.Click(chromedp.CSS(fmt.Sprintf(`button[name="login"][value=%q]`, u.Login))),
		chromedp.WaitVisible(chromedp.CSS(`dd[data-claim="family_name"]`)))
	if loc := run(t, ctx, "profile location", chromedp.Location()); loc != inst.URL+"profil" {
		t.Errorf("after login: at %s, want %sprofil", loc, inst.URL)
	}
	if h1 := run(t, ctx, "profile title", chromedp.Text(chromedp.CSS("h1"))); h1 != "Mon profil" {
		t.Errorf("profile h1 %q", h1)
	}
	claims := run(t, ctx, "read the profile", chromedp.Evaluate[map[string]claim](readClaims))
	if cookies := run(t, ctx, "document.cookie", chromedp.Evaluate[string](`document.cookie`)); strings.Contains(cookies, "portal_session") {
		t.Errorf("the session cookie is readable by scripts: %q", cookies)
	}
	shot := run(t, ctx, "screenshot", chromedp.FullScreenshot(100))

	do(t, ctx, "log out", chromedp.Click(chromedp.CSS("#logout")),
		chromedp.WaitVisible(chromedp.CSS(`[data-message="logged-out"]`)))
	if loc := run(t, ctx, "home location", chromedp.Location()); loc != inst.URL+"?deconnexion=ok" {
		t.Errorf("after logout: at %s", loc)
	}
	agreement := map[string]string{"female": "e", "male": ""}[u.Gender]
	if msg := run(t, ctx, "logout message", chromedp.Text(chromedp.CSS(`[data-message="logged-out"]`))); msg != "Vous êtes déconnecté"+agreement+" du portail et de FranceConnect." {
		t.Errorf("logout message %q (the agreement of the identity's gender)", msg)
	}
	homeChecks(t, ctx, "rgb(0, 0, 145)", "rgb(255, 255, 255)")
	// The profile is gone, and FranceConnect's session too.
	do(t, ctx, "profile after logout", chromedp.Navigate(inst.URL+"profil"), chromedp.WaitVisible(chromedp.CSS("button.fr-connect")))
	if loc := run(t, ctx, "location", chromedp.Location()); loc != inst.URL {
		t.Errorf("profile after logout: at %s, want home", loc)
	}
	do(t, ctx, "button again", chromedp.Click(chromedp.CSS("button.fr-connect")),
		chromedp.WaitVisible(chromedp.CSS(`button[name="login"]`)))
	if n := run(t, ctx, "FranceConnect session", chromedp.Evaluate[int](`document.querySelectorAll('[data-session="active"]').length`)); n != 0 {
		t.Error("the mock still offers to continue the FranceConnect session after logout")
	}
	return claims, shot
}

func checkClaims(t *testing.T, got map[string]claim, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got[k].Value != v {
			t.Errorf("profile %s = %q, want %q", k, got[k].Value, v)
		}
	}
}

func TestPortalDefaultIdentity(t *testing.T) {
	ctx := browser(t, chromium(t))
	inst := startPortal(t)
	claims, shot := flow(t, ctx, inst, fctest.DefaultUser)
	checkClaims(t, claims, map[string]string{
		"given_name":         "Angela Claire Louise",
		"given_name_array":   "Angela, Claire, Louise",
		"family_name":        "DUBOIS",
		"preferred_username": "Aucun",
		"birthdate":          "24 août 1962",
		"idp_birthdate":      "1962-08-24",
		"gender":             "Féminin",
		"birthplace":         "75107",
		"birthcountry":       "France (99100)",
		"email":              "wossewodda-3728@yopmail.com",
		"acr":                "eidas1 (faible)",
		"amr":                "pwd (mot de passe)",
		"idp_id":             "fia1v2",
	})
	if len(claims["sub"].Value) != 66 {
		t.Errorf("sub %q", claims["sub"].Value)
	}
	saveScreenshot(t, shot)
}

func TestPortalBornAbroad(t *testing.T) {
	var u fctest.User
	for _, c := range fctest.Users() {
		if c.Birthplace == "" && c.Birthcountry == "99352" {
			u = c
		}
	}
	if u.Login == "" {
		t.Fatal("fctest.Users has no identity born abroad (birthcountry 99352, empty birthplace)")
	}
	ctx := browser(t, chromium(t))
	inst := startPortal(t)
	claims, _ := flow(t, ctx, inst, u)
	checkClaims(t, claims, map[string]string{
		"given_name":   "Karim Mohamed",
		"family_name":  "BENALI",
		"birthdate":    "4 juillet 1969",
		"gender":       "Masculin",
		"birthplace":   "Né à l’étranger",
		"birthcountry": "Algérie (99352)",
		"email":        "karim.benali@yopmail.com",
		"acr":          "eidas1 (faible)",
		"amr":          "pwd (mot de passe)",
	})
	if !strings.Contains(claims["birthplace"].Note, "Pas de commune de naissance") {
		t.Errorf("birthplace note %q", claims["birthplace"].Note)
	}
}

// TestPortalContrastButton checks the high-contrast style chosen by the
// -button setting.
func TestPortalContrastButton(t *testing.T) {
	ctx := browser(t, chromium(t))
	inst := startPortal(t, "-button", "contrast")
	do(t, ctx, "open home", chromedp.Navigate(inst.URL))
	homeChecks(t, ctx, "rgb(255, 255, 255)", "rgb(0, 0, 145)")
	if got := run(t, ctx, "style attribute", chromedp.AttributeValue(chromedp.CSS(".fr-connect-group"), "data-button-style")); got.Value != "contrast" {
		t.Errorf("data-button-style %q", got.Value)
	}
}

// saveScreenshot is saveScreenshotAs for ../docs/profile.png.
func saveScreenshot(t *testing.T, shot []byte) { t.Helper(); saveScreenshotAs(t, shot, "profile.png") }

// saveScreenshotAs checks that shot is a PNG of a plausible size, keeps it
// in the test's temporary directory, and copies it to ../docs/<name> when
// FC_SCREENSHOT=1.
func saveScreenshotAs(t *testing.T, shot []byte, name string) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 600 {
		t.Errorf("screenshot is %dx%d", b.Dx(), b.Dy())
	}
	tmp := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(tmp, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("FC_SCREENSHOT") != "1" {
		return
	}
	dst := filepath.Join("..", "docs", name)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(tmp)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, src); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot written to %s", dst)
}
