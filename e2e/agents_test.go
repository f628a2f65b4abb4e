package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// The Espace agents of the demo portal in a real browser: the ProConnect
// button beside FranceConnect's, with « MFA if possible » ticked: an agent
// whose identity provider has no second factor gets one through
// ProConnect's e-mail code, the professional profile says so (level, amr,
// MFA); logout through ProConnect revokes the refresh token; unticked, the
// agent's own level.
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

	if !run(t, ctx, "MFA if possible", chromedp.Evaluate[bool](`document.querySelector('input[name="mfa"]').checked`)) {
		t.Error("« MFA if possible » is not ticked by default")
	}
	do(t, ctx, "click the ProConnect button", chromedp.Click(chromedp.CSS("button.fr-connect--proconnect")),
		chromedp.WaitVisible(chromedp.CSS(`button[name="login"][value="agent"]`)))
	if loc := run(t, ctx, "chooser location", chromedp.Location()); !strings.HasPrefix(loc, inst.AgentsMock.URL+"/api/v2/authorize?") || strings.Contains(loc, "acr_values") {
		t.Errorf("chooser at %s", loc)
	}
	do(t, ctx, "pick agent, without a second factor at the identity provider", chromedp.Click(chromedp.CSS(`button[name="login"][value="agent"]`)),
		chromedp.WaitVisible(chromedp.CSS(`dd[data-claim="siret"]`)))
	claims := run(t, ctx, "read the profile", chromedp.Evaluate[map[string]claim](readClaims))
	checkClaims(t, claims, map[string]string{
		"given_name":         "Jean",
		"usual_name":         "MARTIN",
		"email":              "jean.martin@interieur.gouv.fr",
		"organization_label": "MINISTERE DE L'INTERIEUR",
		"siret":              "11000201100044",
		"acr":                "eidas1-mfa",
		"amr":                "pwd mail",
		"idp_id":             "fia1v2",
	})
	if note := claims["acr"].Note; !strings.Contains(note, "avec second facteur") {
		t.Errorf("acr note %q", note)
	}
	if note := claims["amr"].Note; !strings.Contains(note, "code par courriel") {
		t.Errorf("amr note %q", note)
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
	if n := inst.AgentsMock.Stats().Revocations; n != 1 {
		t.Errorf("%d refresh tokens revoked at logout, want 1", n)
	}

	do(t, ctx, "untick MFA if possible, log in again", chromedp.Click(chromedp.CSS(`input[name="mfa"]`)),
		chromedp.Click(chromedp.CSS("button.fr-connect--proconnect")), chromedp.WaitVisible(chromedp.CSS(`button[name="login"][value="agent"]`)),
		chromedp.Click(chromedp.CSS(`button[name="login"][value="agent"]`)), chromedp.WaitVisible(chromedp.CSS(`dd[data-claim="acr"]`)))
	claims = run(t, ctx, "read the profile again", chromedp.Evaluate[map[string]claim](readClaims))
	if claims["acr"].Value != "eidas1" || !strings.Contains(claims["acr"].Note, "sans second facteur") {
		t.Errorf("without MFA: acr %+v", claims["acr"])
	}
}
