package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The Espace agents of the demo portal in a real browser: the ProConnect
// button beside FranceConnect's, an agent's login with a second factor
// through the mock ProConnect, the professional profile, logout through
// ProConnect.
func TestPortalAgents(t *testing.T) {
	ctx := browser(t, chromium(t))
	inst := startPortal(t)
	do(t, ctx, "open home", chromedp.Navigate(inst.URL), chromedp.WaitVisible(chromedp.CSS("button.fr-connect--proconnect")))
	labels := run(t, ctx, "buttons", chromedp.Evaluate[[]string](`[...document.querySelectorAll('button.fr-connect')].map(b => b.innerText.replace(/\s+/g, ' ').trim())`))
	if strings.Join(labels, " | ") != "S’identifier avec FranceConnect | S’identifier avec ProConnect" {
		t.Errorf("buttons %q: FranceConnect's for citizens, then ProConnect's for agents", labels)
	}
	link := run(t, ctx, "help link", chromedp.Attributes(chromedp.CSS(".fr-connect-group--proconnect p a")))
	if link["href"] != "https://www.proconnect.gouv.fr/" || link["title"] != "Qu’est-ce que ProConnect ? - nouvelle fenêtre" || link["target"] != "_blank" {
		t.Errorf("ProConnect help link %v", link)
	}
	if h := run(t, ctx, "button height", chromedp.Evaluate[int](`Math.round(document.querySelector('button.fr-connect--proconnect').getBoundingClientRect().height)`)); h != 56 {
		t.Errorf("ProConnect button %d px high, want 56 as FranceConnect's", h)
	}

	saveScreenshotAs(t, run(t, ctx, "home screenshot", chromedp.FullScreenshot(100)), "home.png")

	do(t, ctx, "click the ProConnect button", chromedp.Click(chromedp.CSS("button.fr-connect--proconnect")),
		chromedp.WaitVisible(chromedp.CSS(`button[name="login"][value="agent_mfa"]`)))
	if loc := run(t, ctx, "chooser location", chromedp.Location()); !strings.HasPrefix(loc, inst.AgentsMock.URL+"/api/v2/authorize?") || strings.Contains(loc, "acr_values") {
		t.Errorf("chooser at %s", loc)
	}
	do(t, ctx, "pick agent_mfa", chromedp.Click(chromedp.CSS(`button[name="login"][value="agent_mfa"]`)),
		chromedp.WaitVisible(chromedp.CSS(`dd[data-claim="siret"]`)))
	claims := run(t, ctx, "read the profile", chromedp.Evaluate[map[string]claim](readClaims))
	checkClaims(t, claims, map[string]string{
		"given_name":         "Karima",
		"usual_name":         "ZIANE",
		"email":              "karima.ziane@numerique.gouv.fr",
		"organization_label": "DINUM",
		"siret":              "13002526500013",
		"acr":                "eidas1-mfa",
		"idp_id":             "proconnect-identite",
	})
	if note := claims["acr"].Note; !strings.Contains(note, "avec second facteur") {
		t.Errorf("acr note %q", note)
	}
	saveScreenshotAs(t, run(t, ctx, "screenshot", chromedp.FullScreenshot(100)), "agents.png")

	do(t, ctx, "log out", chromedp.Click(chromedp.CSS("#logout")),
		chromedp.WaitVisible(chromedp.CSS(`[data-message="agents-logged-out"]`)))
	if msg := run(t, ctx, "logout message", chromedp.Text(chromedp.CSS(`[data-message="agents-logged-out"]`))); msg != "Vous êtes déconnecté·e du portail et de ProConnect." {
		t.Errorf("logout message %q", msg)
	}
	if n := inst.AgentsMock.Stats().LogoutRequests; n != 1 {
		t.Errorf("%d logouts at ProConnect, want 1", n)
	}
}
