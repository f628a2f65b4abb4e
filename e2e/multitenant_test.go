package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/franceconnect-go/franceconnect/examples/multitenant/multitenant"
	"github.com/franceconnect-go/franceconnect/fctest"
)

// TestMultiTenant drives examples/multitenant: two organisations log in
// one after the other in one browser, each lands on the page its
// registered callback URL names (fragment included), both log out through
// the shared post-logout URL, and an administrator switches an
// organisation's button to the contrasted one, which its public page shows
// at once.
func TestMultiTenant(t *testing.T) {
	ctx := browser(t, chromium(t))
	inst, err := multitenant.Start(multitenant.Options{Addr: "127.0.0.1:0", DataDir: t.TempDir(), AdminPassword: "mot de passe de test", Log: logWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = inst.Close() })
	card := func(tenant string) string { return fmt.Sprintf(`section[data-tenant=%q]`, tenant) }

	do(t, ctx, "open the portal", chromedp.Navigate(inst.URL+"/aides"), chromedp.WaitVisible(chromedp.CSS(card("t2")+" button.fr-connect")))
	for _, step := range []struct {
		tenant string
		user   fctest.User
		name   string
	}{{"t1", fctest.DefaultUser, "Angela Claire Louise DUBOIS"}, {"t2", fctest.Users()[1], "Marie Hélène LEBLANC"}} {
		do(t, ctx, step.tenant+": click its button", chromedp.Click(chromedp.CSS(card(step.tenant)+" button.fr-connect")),
			chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`button[name="login"][value=%q]`, step.user.Login))))
		do(t, ctx, step.tenant+": pick an identity", chromedp.Click(chromedp.CSS(fmt.Sprintf(`button[name="login"][value=%q]`, step.user.Login))),
			chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`[data-user=%q]`, step.tenant))))
		if loc := run(t, ctx, "landing", chromedp.Location()); loc != inst.URL+"/aides#/"+step.tenant+"/connecte/dashboard/accueil" && loc != inst.URL+"/aides/#/"+step.tenant+"/connecte/dashboard/accueil" {
			t.Errorf("%s: landed at %s", step.tenant, loc)
		}
		if got := run(t, ctx, "greeting", chromedp.Text(chromedp.CSS(fmt.Sprintf(`[data-user=%q] strong`, step.tenant)))); got != step.name {
			t.Errorf("%s: greeted %q", step.tenant, got)
		}
	}
	saveScreenshotAs(t, run(t, ctx, "two tenants", chromedp.FullScreenshot(100)), "multitenant-logged-in.png")

	for _, tenant := range []string{"t2", "t1"} {
		do(t, ctx, tenant+": log out", chromedp.Navigate(inst.URL+"/aides"), chromedp.WaitVisible(chromedp.CSS(card(tenant)+" form[method=post] button")),
			chromedp.Click(chromedp.CSS(card(tenant)+" form[method=post] button")),
			chromedp.WaitVisible(chromedp.CSS(`[data-message="logged-out"]`)))
		msg := run(t, ctx, "logout message", chromedp.Text(chromedp.CSS(`[data-message="logged-out"]`)))
		if !strings.Contains(msg, "déconnecté·e de l’espace") || (tenant == "t1") != strings.Contains(msg, "Saint-Exemple") {
			t.Errorf("%s: logout message %q", tenant, msg)
		}
	}
	if n := run(t, ctx, "sessions left", chromedp.Evaluate[int](`document.querySelectorAll('[data-user]').length`)); n != 0 {
		t.Errorf("%d sessions left after both logouts", n)
	}

	// The administrator's login (HTTP Basic, user "admin").
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:mot de passe de test"))
	do(t, ctx, "admin login", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		if _, err := cdp.Call(ctx, tg, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		_, err := cdp.Call(ctx, tg, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": basic}})
		return err
	}))
	do(t, ctx, "admin page", chromedp.Navigate(inst.URL+"/admin/t2/france-connect"), chromedp.WaitVisible(chromedp.CSS(`input[name="button"][value="contrast"]`)))
	if v := run(t, ctx, "secret field", chromedp.Evaluate[string](`document.querySelector('#client_secret').value`)); v != "" {
		t.Error("the secret is shown on the admin page")
	}
	saveScreenshotAs(t, run(t, ctx, "admin", chromedp.FullScreenshot(100)), "multitenant-admin.png")
	do(t, ctx, "choose the contrasted button", chromedp.Click(chromedp.CSS(`input[name="button"][value="contrast"]`)),
		chromedp.Click(chromedp.CSS(`form.admin-form button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-message="saved"]`)))
	do(t, ctx, "public page", chromedp.Navigate(inst.URL+"/aides"), chromedp.WaitVisible(chromedp.CSS(card("t2")+" button.fr-connect")))
	styles := run(t, ctx, "buttons", chromedp.Evaluate[map[string]string](`Object.fromEntries([...document.querySelectorAll('section[data-tenant]')].map(s =>
  [s.dataset.tenant, s.querySelector('.fr-connect-group').dataset.buttonStyle + ' ' + getComputedStyle(s.querySelector('button.fr-connect')).backgroundColor]))`))
	if styles["t2"] != "contrast rgb(255, 255, 255)" || styles["t1"] != "default rgb(0, 0, 145)" {
		t.Errorf("buttons after the change: %v", styles)
	}
	saveScreenshotAs(t, run(t, ctx, "public page", chromedp.FullScreenshot(100)), "multitenant-home.png")

	// FranceConnected data: t1 fetches the quotient familial at login.
	do(t, ctx, "t1's tab", chromedp.Navigate(inst.URL+"/admin/t1/france-connect"), chromedp.WaitVisible(chromedp.CSS(`input[name="fetch_qf"]`)),
		chromedp.Click(chromedp.CSS(`input[name="fetch_qf"]`)), chromedp.SendKeys(chromedp.CSS(`#siret`), "13002526500013"),
		chromedp.Click(chromedp.CSS(`form.admin-form button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(`[data-message="saved"]`)))
	do(t, ctx, "t1: log in", chromedp.Navigate(inst.URL+"/aides"), chromedp.Click(chromedp.CSS(card("t1")+" button.fr-connect")),
		chromedp.WaitVisible(chromedp.CSS(`button[name="login"][value="test"]`)), chromedp.Click(chromedp.CSS(`button[name="login"][value="test"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-quotient="fetched"]`)))
	if got := run(t, ctx, "quotient", chromedp.Text(chromedp.CSS(`[data-quotient="fetched"]`))); !strings.Contains(got, "2 550 € (CNAF, février 2024)") || !strings.Contains(got, "grâce à FranceConnect") {
		t.Errorf("quotient familial shown as %q", got)
	}
	saveScreenshotAs(t, run(t, ctx, "quotient screenshot", chromedp.FullScreenshot(100)), "multitenant-quotient.png")
}
