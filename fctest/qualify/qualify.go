// Package qualify runs the technical checks of FranceConnect's
// qualification on a portal, against the fctest mock: it drives the
// portal's real login and logout with browsers of its own and judges the
// portal by what it does next, item by item, in a report a team attaches
// to its qualification request.
package qualify

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/franceconnect-go/franceconnect/fctest"
)

// Portal is a portal under qualification, as a browser sees it: Run
// drives it with browsers of its own (a new cookie jar for each login, no
// JavaScript) and judges it by what it does next at the mock.
type Portal struct {
	// Registration is the portal's registration on the mock, with its
	// real redirect and post-logout URLs.
	Registration fctest.Registration
	// LoginURL starts a login: the portal answers with a redirect (through
	// its own pages if it likes) to the mock's authorize endpoint.
	LoginURL string
	// LoggedIn tells, from the portal's last answer after the callback (its
	// own redirects followed), whether the user is logged in.
	LoggedIn func(resp *http.Response, body string) bool
	// Logout, when set, asks the portal to log the logged-in browser out
	// (e.g. posts its logout form) and returns the portal's answer, not
	// followed. Without it, the logout items are skipped.
	Logout func(browser *http.Client) (*http.Response, error)
	// LoggedOut tells, from the portal's answer at its post-logout URL,
	// whether it accepted the logout return. Without it, the return's state
	// is not checked.
	LoggedOut func(resp *http.Response, body string) bool
}

// Verdict is the outcome of one item of a qualification.
type Verdict string

// The verdicts.
const (
	Passed  Verdict = "OK"
	Failed  Verdict = "ÉCHEC"
	Skipped Verdict = "NON VÉRIFIÉ"
)

// Item is one check of FranceConnect's qualification.
type Item struct {
	Name    string  // in French, as the qualification request lists them
	Verdict Verdict // OK, failed, or not tested
	Detail  string  // what the mock saw, in French
}

// Report lists every item, in order.
type Report []Item

// Passed reports whether no item failed.
func (r Report) Passed() bool {
	return !slices.ContainsFunc(r, func(i Item) bool { return i.Verdict == Failed })
}

// String is the report as a team attaches it to its qualification request.
func (r Report) String() string {
	var b strings.Builder
	b.WriteString("Auto-contrôle FranceConnect (fctest)\n")
	for _, i := range r {
		fmt.Fprintf(&b, "[%s] %s", i.Verdict, i.Name)
		if i.Detail != "" {
			b.WriteString(" : " + i.Detail)
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// Run runs the technical checks of FranceConnect's qualification on a
// portal registered on s (p.Registration, with the portal's real redirect
// and post-logout URLs), reporting item by item: state and nonce of at least 22
// characters, random and unique per login; the state verified (the mock
// sends a forged one: a portal that redeems its code did not check it);
// the nonce, the ID token's signature and its acr verified (a portal that
// calls userinfo after a bad one did not check it); acr_values sent; the
// exact registered redirect_uri; no unknown parameter; the signed
// userinfo verified (signature, iss, aud, sub: a portal that logs the user
// in anyway did not check it); logout as a browser redirect with
// id_token_hint, state and the registered post-logout URL, and the
// return's state verified.
//
// It injects faults into s: run it on a mock of its own, with no other
// test at the same time.
func Run(s *fctest.Server, p Portal) Report {
	q := &qualification{s: s, p: p}
	q.run()
	return q.report
}

type qualification struct {
	s       *fctest.Server
	p       Portal
	browser *http.Client
	report  Report
	// what the portal sent to authorize, login after login
	states, nonces []string
	authorize      []url.Values
}

func (q *qualification) add(name string, ok bool, detail string) {
	v := Passed
	if !ok {
		v = Failed
	}
	q.report = append(q.report, Item{Name: name, Verdict: v, Detail: detail})
}

func (q *qualification) skip(name, why string) {
	q.report = append(q.report, Item{Name: name, Verdict: Skipped, Detail: why})
}

var randomChars = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

var authParams = []string{"response_type", "client_id", "redirect_uri", "scope", "state", "nonce", "acr_values", "prompt", "claims", "idp_hint", "ui_locales"}

// The items of the report whose names are used more than once.
const (
	browserLogout = "déconnexion par redirection du navigateur (id_token_hint, state, post_logout_redirect_uri enregistrée)"
	returnState   = "state vérifié au retour de la déconnexion"
)

func (q *qualification) run() {
	q.s.Reset()
	loggedIn, err := q.login(nil, nil)
	q.add("Connexion nominale : le portail connecte l’usager", err == nil && loggedIn, errText(err))
	if err == nil {
		q.checkState()
		q.checkIDToken()
		q.checkUserInfo()
		q.checkRequests()
	}
	q.checkRedirectURIs()
	if err == nil {
		q.logout()
	}
}

// checkState sends a forged state: the portal must not redeem its code.
func (q *qualification) checkState() {
	tokens := q.s.Stats().TokenRequests
	loggedIn, err := q.login(func(cb url.Values) { cb.Set("state", forged()) }, nil)
	q.add("state vérifié au retour (un state falsifié est refusé)", err == nil && !loggedIn && q.s.Stats().TokenRequests == tokens,
		redeemed(q.s.Stats().TokenRequests-tokens))
}

// checkIDToken sends bad ID tokens: the portal must refuse them before
// userinfo. The level is probed three ways (missing, below eidas1, a value
// no federation knows): a portal that only checks that acr is there fails.
func (q *qualification) checkIDToken() {
	for _, c := range []struct {
		name   string
		faults []fctest.Fault
	}{
		{"nonce vérifié (un nonce différent est refusé)", []fctest.Fault{fctest.IDTokenWrongNonce}},
		{"signature du jeton d’identité vérifiée", []fctest.Fault{fctest.IDTokenBadSignature}},
		{"niveau eIDAS (acr) vérifié (absent, inférieur ou inconnu : refusé)", []fctest.Fault{fctest.IDTokenMissingACR, fctest.IDTokenACRLow, fctest.IDTokenACRUnknown}},
	} {
		var accepted []string
		for _, f := range c.faults {
			userinfo := q.s.Stats().UserInfoRequests
			if loggedIn, err := q.login(nil, []fctest.Fault{f}); err != nil || loggedIn || q.s.Stats().UserInfoRequests != userinfo {
				accepted = append(accepted, f.String())
			}
		}
		q.add(c.name, len(accepted) == 0, acceptedFaults(accepted))
	}
}

// checkUserInfo sends bad userinfo: the user must not be logged in.
func (q *qualification) checkUserInfo() {
	var bad []string
	for _, f := range []fctest.Fault{fctest.UserInfoBadSignature, fctest.UserInfoWrongIssuer, fctest.UserInfoWrongAudience, fctest.UserInfoSubMismatch} {
		if loggedIn, err := q.login(nil, []fctest.Fault{f}); err != nil || loggedIn {
			bad = append(bad, f.String())
		}
	}
	q.add("userinfo vérifié (signature, iss, aud, sub)", len(bad) == 0, acceptedFaults(bad))
}

// checkRequests judges what every authorize request sent.
func (q *qualification) checkRequests() {
	values := append(slices.Clone(q.states), q.nonces...)
	short, unique := "", true
	for i, v := range values {
		if len(v) < 22 || !randomChars.MatchString(v) {
			short = fmt.Sprintf("valeur %d : %d caractères", i+1, len(v))
		}
		unique = unique && !slices.Contains(values[:i], v)
	}
	q.add("state et nonce d’au moins 22 lettres et chiffres, aléatoires, uniques par connexion", short == "" && unique, short+map[bool]string{false: " valeurs répétées", true: ""}[unique])
	var noACR, unknown []string
	for _, a := range q.authorize {
		if a.Get("acr_values") == "" {
			noACR = append(noACR, "absent")
		}
		for k := range a {
			if !slices.Contains(authParams, k) && !slices.Contains(unknown, k) {
				unknown = append(unknown, k)
			}
		}
	}
	q.add("acr_values envoyé", len(noACR) == 0, "")
	q.add("aucun paramètre inconnu de FranceConnect", len(unknown) == 0, strings.Join(unknown, ", "))
}

// checkRedirectURIs checks that every authorize request named a redirect
// URI registered for its client, byte for byte.
func (q *qualification) checkRedirectURIs() {
	var bad []string
	for _, a := range q.authorize {
		if a.Get("client_id") != q.p.Registration.ID || !slices.Contains(q.p.Registration.RedirectURIs, a.Get("redirect_uri")) {
			bad = append(bad, a.Get("redirect_uri"))
		}
	}
	q.add("redirect_uri enregistrée, à l’identique", len(q.authorize) > 0 && len(bad) == 0, strings.Join(bad, ", "))
}

// logout logs out twice: with the provider's return as it comes, then
// with a forged state, which the portal must refuse.
func (q *qualification) logout() {
	if q.p.Logout == nil {
		q.skip(browserLogout, "Portal.Logout non fourni")
		q.skip(returnState, "Portal.Logout non fourni")
		return
	}
	for _, forge := range []bool{false, true} {
		back, ok := q.logoutOnce(!forge)
		if !ok {
			return
		}
		if q.p.LoggedOut == nil {
			q.skip(returnState, "Portal.LoggedOut non fourni")
			return
		}
		if forge {
			u, _ := url.Parse(back)
			v := u.Query()
			v.Set("state", forged())
			u.RawQuery = v.Encode()
			back = u.String()
		}
		resp, body, err := q.follow(back)
		accepted := err == nil && q.p.LoggedOut(resp, body)
		switch {
		case forge:
			q.add(returnState, !accepted, map[bool]string{true: "un state falsifié est accepté", false: ""}[accepted])
		case !accepted:
			q.add(returnState, false, "le retour légitime est refusé")
			return
		}
	}
}

// logoutOnce logs a browser in, then out through the portal, and returns
// the URL the provider sends it back to; report says whether to report the
// way the portal logged out.
func (q *qualification) logoutOnce(report bool) (back string, ok bool) {
	if loggedIn, err := q.login(nil, nil); err != nil || !loggedIn {
		q.skip(browserLogout, "connexion impossible : "+errText(err))
		return "", false
	}
	logouts := q.s.Stats().LogoutRequests
	resp, err := q.p.Logout(q.browser)
	if err != nil {
		q.add(browserLogout, false, err.Error())
		return "", false
	}
	resp.Body.Close()
	end, _ := url.Parse(resp.Header.Get("Location"))
	browser := resp.StatusCode/100 == 3 && end != nil && strings.HasPrefix(end.String(), q.s.URL) && q.s.Stats().LogoutRequests == logouts
	detail := ""
	if !browser {
		detail = "le portail n’a pas renvoyé le navigateur vers session/end (appel côté serveur ?)"
	} else if p := end.Query(); p.Get("id_token_hint") == "" || p.Get("state") == "" || p.Get("post_logout_redirect_uri") == "" {
		detail, browser = "id_token_hint, state ou post_logout_redirect_uri manquant", false
	}
	if report {
		q.add(browserLogout, browser, detail)
	}
	if !browser {
		q.skip(returnState, "pas de retour de déconnexion à vérifier")
		return "", false
	}
	back, err = q.s.Logout(end.String())
	if err != nil {
		q.add(browserLogout, false, err.Error())
		return "", false
	}
	return back, true
}

// forged returns a random state the portal never sent.
func forged() string { return rand.Text() }
