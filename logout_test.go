package franceconnect_test

import (
	"bytes"
	"context"
	"errors"
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

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
	"github.com/franceconnect-go/franceconnect/internal/browsertest"
)

func loggedIn(t *testing.T, f flavor, mutate ...func(*franceconnect.Config)) (*fctest.Server, *franceconnect.Client, *franceconnect.Result) {
	t.Helper()
	srv, c := flavorSetup(t, f, mutate...)
	req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
	res, err := c.Exchange(context.Background(), req, q)
	require.NoError(t, err)
	return srv, c, res
}

func TestLogoutURL(t *testing.T) {
	t.Parallel()
	_, c, res := loggedIn(t, flavors[0])
	lreq, err := c.LogoutURL(res.RawIDToken, franceconnect.LogoutOptions{})
	require.NoError(t, err)
	u, err := url.Parse(lreq.URL)
	require.NoError(t, err)
	q := u.Query()
	assert.Equal(t, res.RawIDToken, q.Get("id_token_hint"))
	assert.Equal(t, lreq.State, q.Get("state"))
	assert.Equal(t, "https://portail.example/", q.Get("post_logout_redirect_uri"))
	assert.GreaterOrEqual(t, len(lreq.State), 32)

	other, err := c.LogoutURL(res.RawIDToken, franceconnect.LogoutOptions{})
	require.NoError(t, err)
	assert.NotEqual(t, lreq.State, other.State, "a fresh state each time")
}

func TestLogoutNegativeCases(t *testing.T) {
	t.Parallel()
	for _, f := range flavors {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()

			t.Run("missing ID token hint: error before any redirect", func(t *testing.T) {
				t.Parallel()
				srv, c, _ := loggedIn(t, f)
				_, err := c.LogoutURL("", franceconnect.LogoutOptions{})
				assert.ErrorIs(t, err, franceconnect.ErrMalformedToken)
				_, err = c.LogoutURL("not-a-jwt", franceconnect.LogoutOptions{})
				assert.ErrorIs(t, err, franceconnect.ErrMalformedToken)
				assert.Zero(t, srv.Stats().LogoutRequests)
			})

			t.Run("unregistered post-logout URI refused by the provider", func(t *testing.T) {
				t.Parallel()
				_, c, res := loggedIn(t, f)
				lreq, err := c.LogoutURL(res.RawIDToken, franceconnect.LogoutOptions{PostLogoutRedirectURL: "https://evil.example/"})
				require.NoError(t, err)
				back, status := logoutAt(t, lreq.URL)
				assert.Nil(t, back)
				assert.Equal(t, http.StatusBadRequest, status)
			})

			t.Run("forged ID token hint refused by the provider", func(t *testing.T) {
				t.Parallel()
				_, c, res := loggedIn(t, f)
				parts := strings.Split(res.RawIDToken, ".")
				forged := parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
				lreq, err := c.LogoutURL(forged, franceconnect.LogoutOptions{})
				require.NoError(t, err)
				back, status := logoutAt(t, lreq.URL)
				assert.Nil(t, back)
				assert.Equal(t, http.StatusBadRequest, status)
			})

			for _, tc := range []struct {
				name  string
				fault fctest.Fault
			}{{"other state", fctest.LogoutWrongState}, {"no state", fctest.LogoutNoState}} {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					srv, c, res := loggedIn(t, f)
					srv.Inject(tc.fault)
					lreq, err := c.LogoutURL(res.RawIDToken, franceconnect.LogoutOptions{})
					require.NoError(t, err)
					back, _ := logoutAt(t, lreq.URL)
					require.NotNil(t, back)
					assert.ErrorIs(t, c.VerifyLogout(lreq, back.Query()), franceconnect.ErrStateMismatch)
				})
			}

			t.Run("state replayed from another logout", func(t *testing.T) {
				t.Parallel()
				_, c, res := loggedIn(t, f)
				first, err := c.LogoutURL(res.RawIDToken, franceconnect.LogoutOptions{})
				require.NoError(t, err)
				back, _ := logoutAt(t, first.URL)
				require.NotNil(t, back)
				second, err := c.LogoutURL(res.RawIDToken, franceconnect.LogoutOptions{})
				require.NoError(t, err)
				err = c.VerifyLogout(second, back.Query())
				assert.ErrorIs(t, err, franceconnect.ErrStateMismatch)
				// The words name what happened: a logout, not a login.
				assert.ErrorContains(t, err, "the logout return's state is not the one this logout sent")
				assert.NotContains(t, err.Error(), "login")
			})
		})
	}
}

func TestLogoutAllowMissingState(t *testing.T) {
	t.Parallel()
	srv, c, res := loggedIn(t, flavors[0], func(cfg *franceconnect.Config) { cfg.AllowLogoutWithoutState = true })
	srv.Inject(fctest.LogoutNoState)
	lreq, err := c.LogoutURL(res.RawIDToken, franceconnect.LogoutOptions{})
	require.NoError(t, err)
	back, _ := logoutAt(t, lreq.URL)
	require.NotNil(t, back)
	assert.NoError(t, c.VerifyLogout(lreq, back.Query()), "a missing state is accepted when allowed")

	srv.Reset()
	srv.Inject(fctest.LogoutWrongState)
	back, _ = logoutAt(t, lreq.URL)
	require.NotNil(t, back)
	assert.ErrorIs(t, c.VerifyLogout(lreq, back.Query()), franceconnect.ErrStateMismatch, "a wrong state never is")
}

// The mock keeps a FranceConnect session in the browser after a login and
// offers to continue as the same user; logging out ends it.
func TestLogoutEndsTheFranceConnectSession(t *testing.T) {
	t.Parallel()
	srv, c := flavorSetup(t, flavors[0])
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	chooser := func() string {
		req, err := c.AuthCodeURL(franceconnect.AuthOptions{})
		require.NoError(t, err)
		resp, err := browser.Get(req.URL)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	page := chooser()
	assert.NotContains(t, page, `data-session="active"`)
	action := page[strings.Index(page, `action="`)+8:]
	action = action[:strings.Index(action, `"`)]
	resp, err := browser.PostForm(srv.URL+action, url.Values{"login": {fctest.DefaultUser.Login}})
	require.NoError(t, err)
	resp.Body.Close()
	cb, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.NotEmpty(t, cb.Query().Get("code"))

	assert.Contains(t, chooser(), `data-session="active"`, "single sign-on: FranceConnect remembers the user")

	// Log in for real to get an ID token, then log out in this browser.
	req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
	res, err := c.Exchange(context.Background(), req, q)
	require.NoError(t, err)
	lreq, err := c.LogoutURL(res.RawIDToken, franceconnect.LogoutOptions{})
	require.NoError(t, err)
	resp, err = browser.Get(lreq.URL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)

	assert.NotContains(t, chooser(), `data-session="active"`, "after logout FranceConnect asks again")
}

func TestHandlersLogout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault fctest.Fault
		want  error
	}{
		{"ok", 0, nil},
		{"wrong state", fctest.LogoutWrongState, franceconnect.ErrStateMismatch},
		{"no state", fctest.LogoutNoState, franceconnect.ErrStateMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, cfg := hSetup(t)
			c := hClient(t, cfg)
			b := newHBrowser(t)
			var o hOutcome
			cb := b.Start(t, srv, c.LoginHandler(franceconnect.AuthOptions{}), hLogin, fctest.DefaultUser)
			b.Get(t, o.callback(c), cb)
			raw := o.requireSuccess(t).RawIDToken

			if tt.fault != 0 {
				srv.Inject(tt.fault)
			}
			sessionEnded := false
			resp := b.Post(t, c.LogoutHandler(func(*http.Request) (string, error) {
				sessionEnded = true // the portal ends its own session here
				return raw, nil
			}), hPortal+"/fc/logout")
			require.Equal(t, http.StatusFound, resp.StatusCode)
			assert.True(t, sessionEnded)
			back := hFollowLogout(t, resp.Header.Get("Location"))
			require.True(t, strings.HasPrefix(back, hLoggedOut), back)

			var lo hOutcome
			ret := lo.logoutReturn(c)
			b.Get(t, ret, back)
			if tt.want != nil {
				assert.ErrorIs(t, lo.err, tt.want)
			} else {
				require.NoError(t, lo.err)
				assert.True(t, lo.logout)
			}
			if tt.fault == fctest.LogoutWrongState {
				// A forged return names no pending logout: it cancels none
				// (another tab's logout still completes).
				assert.Len(t, b.Jar.Cookies(mustURL(t, hLoggedOut)), 1)
				return
			}
			assert.Empty(t, b.Jar.Cookies(mustURL(t, hLoggedOut)), "the logout cookie is deleted whatever the outcome")

			// Replayed return: no pending logout any more. Without a state
			// either, it is a plain visit of the page.
			lo.err = nil
			resp = b.Get(t, ret, back)
			if tt.fault == fctest.LogoutNoState {
				require.NoError(t, lo.err)
				assert.Equal(t, http.StatusOK, resp.StatusCode)
				return
			}
			assert.ErrorIs(t, lo.err, franceconnect.ErrNoTransaction)
		})
	}
}

// hFollowLogout sends the browser to FranceConnect's logout over real HTTP
// and returns where it sends it back.
var hFollowLogout = browsertest.FollowLogout

func TestHandlersLogoutWithoutToken(t *testing.T) {
	t.Parallel()
	_, cfg := hSetup(t)
	var logs bytes.Buffer
	c := hClient(t, cfg, func(c *franceconnect.Config) {
		c.DefaultReturnPath = "/accueil"
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	tests := []struct {
		name   string
		tok    string
		err    error
		status int
		loc    string
	}{
		{"no FranceConnect session", "", nil, http.StatusFound, "/accueil"},
		{"not a JWT", "garbage", nil, http.StatusFound, "/accueil"},
		{"session store down", "", errors.New("redis: connection refused"), http.StatusInternalServerError, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			c.LogoutHandler(func(*http.Request) (string, error) { return tt.tok, tt.err }).
				ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/fc/logout", nil))
			assert.Equal(t, tt.status, rec.Code)
			assert.Equal(t, tt.loc, rec.Header().Get("Location"))
			assert.Nil(t, setCookie(rec.Result(), "fc_tx_out0"))
		})
	}
}
