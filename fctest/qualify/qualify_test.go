package qualify_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
	"github.com/franceconnect-go/franceconnect/fctest/qualify"
)

// qualPortal is a small portal on the library's handlers, or broken on
// purpose: its callback does not check the state, its logout calls
// FranceConnect from the server.
func qualPortal(t *testing.T, srv *fctest.Server, broken bool) qualify.Portal {
	return qualPortalWith(t, srv, broken, false)
}

// qualPortalWith is qualPortal; with presenceOnly, the portal's callback
// checks that the ID token has an acr, not which: it logs the user in
// whatever level came.
func qualPortalWith(t *testing.T, srv *fctest.Server, broken, presenceOnly bool) qualify.Portal {
	t.Helper()
	mux := http.NewServeMux()
	portal := httptest.NewServer(mux)
	t.Cleanup(portal.Close)
	reg := srv.Register(fctest.Registration{RedirectURIs: []string{portal.URL + "/fc/callback"}, PostLogoutRedirectURIs: []string{portal.URL + "/fc/logged-out"}})
	c, err := franceconnect.New(franceconnect.Config{
		Environment: srv.Environment(), ClientID: reg.ID, ClientSecret: reg.Secret,
		RedirectURL: portal.URL + "/fc/callback", PostLogoutRedirectURL: portal.URL + "/fc/logged-out",
		CookieKeys: [][]byte{[]byte("0123456789abcdef0123456789ABCDEF")},
	})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	sessions := map[string]string{} // cookie → raw ID token
	login := func(w http.ResponseWriter, r *http.Request, res *franceconnect.Result) {
		mu.Lock()
		sessions["s-"+res.IDToken.Subject[:8]] = res.RawIDToken
		mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "session", Value: "s-" + res.IDToken.Subject[:8], Path: "/"})
		http.Redirect(w, r, "/espace", http.StatusFound)
	}
	token := func(r *http.Request) string {
		ck, err := r.Cookie("session")
		if err != nil {
			return ""
		}
		mu.Lock()
		defer mu.Unlock()
		tok := sessions[ck.Value]
		delete(sessions, ck.Value)
		return tok
	}
	mux.HandleFunc("GET /espace", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("connecté")) })
	mux.HandleFunc("GET /refus", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("refusé")) })
	mux.HandleFunc("GET /au-revoir", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("au revoir")) })
	mux.Handle("GET /fc/login", c.LoginHandler(franceconnect.AuthOptions{}))
	refuse := func(w http.ResponseWriter, r *http.Request, err error) {
		http.Redirect(w, r, "/refus", http.StatusFound)
	}
	if broken {
		// The state is taken from the callback itself: never checked.
		pending := map[string]*franceconnect.AuthRequest{}
		mux.HandleFunc("GET /fc/login-broken", func(w http.ResponseWriter, r *http.Request) {
			req, _ := c.AuthCodeURL(franceconnect.AuthOptions{})
			mu.Lock()
			pending["n"] = req
			mu.Unlock()
			http.Redirect(w, r, req.URL, http.StatusFound)
		})
		mux.HandleFunc("GET /fc/callback", func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			req := *pending["n"]
			mu.Unlock()
			req.State = r.URL.Query().Get("state")
			res, err := c.Exchange(r.Context(), &req, r.URL.Query())
			if err != nil {
				refuse(w, r, err)
				return
			}
			login(w, r, res)
		})
		mux.HandleFunc("POST /fc/logout", func(w http.ResponseWriter, r *http.Request) {
			if lreq, err := c.LogoutURL(token(r), franceconnect.LogoutOptions{}); err == nil {
				if resp, err := http.Get(lreq.URL); err == nil { // from the server: FranceConnect's session stays in the browser
					resp.Body.Close()
				}
			}
			http.Redirect(w, r, "/au-revoir", http.StatusFound)
		})
	} else if presenceOnly {
		mux.Handle("GET /fc/callback", c.CallbackHandler(login, func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, franceconnect.ErrACRTooLow) && !strings.Contains(err.Error(), "acr is missing") {
				login(w, r, &franceconnect.Result{IDToken: &franceconnect.IDTokenClaims{Subject: "someone-at-a-low-level"}}) // "an acr came"
				return
			}
			refuse(w, r, err)
		}))
		mux.Handle("POST /fc/logout", c.LogoutHandler(func(r *http.Request) (string, error) { return token(r), nil }))
	} else {
		mux.Handle("GET /fc/callback", c.CallbackHandler(login, refuse))
		mux.Handle("POST /fc/logout", c.LogoutHandler(func(r *http.Request) (string, error) { return token(r), nil }))
	}
	mux.Handle("GET /fc/logged-out", c.LogoutReturnHandler(http.RedirectHandler("/au-revoir", http.StatusFound), refuse))
	loginURL := portal.URL + "/fc/login"
	if broken {
		loginURL += "-broken"
	}
	return qualify.Portal{
		Registration: reg,
		LoginURL:     loginURL,
		LoggedIn:     func(resp *http.Response, body string) bool { return resp.Request.URL.Path == "/espace" },
		Logout: func(b *http.Client) (*http.Response, error) {
			return b.PostForm(portal.URL+"/fc/logout", url.Values{})
		},
		LoggedOut: func(resp *http.Response, body string) bool { return resp.Request.URL.Path == "/au-revoir" },
	}
}

func TestQualify(t *testing.T) {
	t.Parallel()
	srv := fctest.NewServer(fctest.Options{})
	defer srv.Close()
	report := qualify.Run(srv, qualPortal(t, srv, false))
	t.Log("\n" + report.String())
	if !report.Passed() {
		t.Errorf("a portal on the library's handlers fails:\n%s", report)
	}
	for _, i := range report {
		if i.Verdict != qualify.Passed {
			t.Errorf("%s: %s", i.Name, i.Verdict)
		}
	}
}

// A portal that does not check the state and logs out from its server
// fails exactly those items.
func TestQualifyBrokenPortal(t *testing.T) {
	t.Parallel()
	srv := fctest.NewServer(fctest.Options{})
	defer srv.Close()
	report := qualify.Run(srv, qualPortal(t, srv, true))
	t.Log("\n" + report.String())
	want := map[string]qualify.Verdict{
		"state vérifié au retour (un state falsifié est refusé)":                                                 qualify.Failed,
		"déconnexion par redirection du navigateur (id_token_hint, state, post_logout_redirect_uri enregistrée)": qualify.Failed,
		"state vérifié au retour de la déconnexion":                                                              qualify.Skipped,
	}
	for _, i := range report {
		w, ok := want[i.Name]
		if !ok {
			w = qualify.Passed
		}
		if i.Verdict != w {
			t.Errorf("%s: %s, want %s (%s)", i.Name, i.Verdict, w, i.Detail)
		}
	}
}

// A portal that checks the presence of acr, not its value, logs users in
// at eidas0: it fails the level item, and only that one.
func TestQualifyLevelPresenceOnly(t *testing.T) {
	t.Parallel()
	srv := fctest.NewServer(fctest.Options{})
	defer srv.Close()
	report := qualify.Run(srv, qualPortalWith(t, srv, false, true))
	t.Log("\n" + report.String())
	for _, i := range report {
		want := qualify.Passed
		if strings.HasPrefix(i.Name, "niveau eIDAS (acr) vérifié") {
			want = qualify.Failed
			if !strings.Contains(i.Detail, "IDTokenACRLow") || !strings.Contains(i.Detail, "IDTokenACRUnknown") || strings.Contains(i.Detail, "IDTokenMissingACR") {
				t.Errorf("detail %q: want the low and unknown levels, not the missing one", i.Detail)
			}
		}
		if i.Verdict != want {
			t.Errorf("%s: %s, want %s (%s)", i.Name, i.Verdict, want, i.Detail)
		}
	}
}
