package apiparticulier_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/apiparticulier"
	"github.com/franceconnect-go/franceconnect/fctest"
	"github.com/franceconnect-go/franceconnect/internal/browsertest"
)

const recipient = "13002526500013" // the DINUM's SIRET, as in the provider's examples

// setup starts the mock FranceConnect (which serves API Particulier's
// FranceConnect mode too) and a client registered on it asking for scopes.
func setup(t *testing.T, scopes ...string) (*fctest.Server, *franceconnect.Client, *browsertest.Clock, *apiparticulier.Client) {
	t.Helper()
	clk := browsertest.NewClock()
	srv := fctest.NewServer(fctest.Options{Now: clk.Now})
	t.Cleanup(srv.Close)
	reg := srv.Register(fctest.Registration{RedirectURIs: []string{"https://aides.example/fc/callback"}})
	c, err := franceconnect.New(franceconnect.Config{Environment: srv.Environment(), ClientID: reg.ID, ClientSecret: reg.Secret,
		RedirectURL: "https://aides.example/fc/callback", Scopes: append([]string{franceconnect.ScopeIdentitePivot}, scopes...), Now: clk.Now})
	require.NoError(t, err)
	return srv, c, clk, &apiparticulier.Client{BaseURL: srv.URL, Recipient: recipient}
}

// login logs u in and returns the verified result.
func login(t *testing.T, srv *fctest.Server, c *franceconnect.Client, u fctest.User) *franceconnect.Result {
	t.Helper()
	req, err := c.AuthCodeURL(franceconnect.AuthOptions{})
	require.NoError(t, err)
	cb, err := srv.Login(req.URL, u)
	require.NoError(t, err)
	q, _ := url.Parse(cb)
	res, err := c.Exchange(context.Background(), req, q.Query())
	require.NoError(t, err)
	return res
}

func user(t *testing.T, login string) fctest.User {
	t.Helper()
	for _, u := range fctest.Users() {
		if u.Login == login {
			return u
		}
	}
	t.Fatalf("no user %s", login)
	return fctest.User{}
}

// The data of the citizen who just logged in, within the token's life.
func TestFetched(t *testing.T) {
	t.Parallel()
	srv, c, _, api := setup(t, apiparticulier.ScopeQuotientFamilial, apiparticulier.ScopeAllocataires, apiparticulier.ScopeEnfants,
		apiparticulier.ScopeAdresse, apiparticulier.ScopeComplementaireSanteSolidaire)
	res := login(t, srv, c, fctest.DefaultUser)
	assert.WithinDuration(t, time.Now().Add(60*time.Second), res.AccessTokenExpiry, 5*time.Second, "FranceConnect's 60 s")
	ctx, cancel := context.WithDeadline(context.Background(), res.AccessTokenExpiry)
	defer cancel()

	qf, err := api.QuotientFamilial(ctx, res.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, "CNAF", qf.Quotient.Provider)
	assert.Equal(t, 2550, qf.Quotient.Value)
	assert.Equal(t, [4]int{2024, 2, 2024, 12}, [4]int{qf.Quotient.Year, qf.Quotient.Month, qf.Quotient.ComputedYear, qf.Quotient.ComputedMonth})
	require.Len(t, qf.Beneficiaries, 1)
	assert.Equal(t, apiparticulier.Person{BirthName: "DUBOIS", GivenNames: "ANGELA CLAIRE LOUISE", Birthdate: "1962-08-24", Sex: "F"}, qf.Beneficiaries[0])
	assert.Empty(t, qf.Children)
	assert.Equal(t, "75002 PARIS", qf.Address.PostcodeCity)

	c2s, err := api.ComplementaireSanteSolidaire(ctx, res.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, apiparticulier.ComplementaireSanteSolidaire{Beneficiary: true, Since: "2023-02-01"}, *c2s)

	other := login(t, srv, c, user(t, "avec_nom_dusage"))
	qf, err = api.QuotientFamilial(ctx, other.AccessToken)
	require.NoError(t, err)
	assert.Equal(t, "MSA", qf.Quotient.Provider)
	assert.Len(t, qf.Children, 2)
}

// Every refusal is typed, names neither the token nor the person, and
// leaves the login as it was.
func TestRefused(t *testing.T) {
	t.Parallel()
	srv, c, clk, api := setup(t, apiparticulier.ScopeQuotientFamilial)
	ctx := context.Background()

	expired := login(t, srv, c, fctest.DefaultUser)
	clk.Add(61 * time.Second)
	_, err := api.QuotientFamilial(ctx, expired.AccessToken)
	assertRefused(t, err, apiparticulier.ErrTokenRefused, expired.AccessToken, "expired")
	assert.Contains(t, err.Error(), "expiré", "reported as expired")

	live := login(t, srv, c, fctest.DefaultUser)
	_, err = api.ComplementaireSanteSolidaire(ctx, live.AccessToken)
	assertRefused(t, err, apiparticulier.ErrScope, live.AccessToken, "a scope not asked for at login")

	unknown := login(t, srv, c, user(t, "naissance_Algérie"))
	_, err = api.QuotientFamilial(ctx, unknown.AccessToken)
	assertRefused(t, err, apiparticulier.ErrNotFound, unknown.AccessToken, "a citizen without a file")
	var e *apiparticulier.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "37003", e.Code)

	revoked := login(t, srv, c, fctest.DefaultUser)
	require.NoError(t, c.Revoke(ctx, revoked.AccessToken))
	_, err = api.QuotientFamilial(ctx, revoked.AccessToken)
	assertRefused(t, err, apiparticulier.ErrTokenRefused, revoked.AccessToken, "revoked")

	noSIRET := *api
	noSIRET.Recipient = "DINUM"
	_, err = noSIRET.QuotientFamilial(ctx, login(t, srv, c, fctest.DefaultUser).AccessToken)
	assert.ErrorIs(t, err, apiparticulier.ErrScope, "a recipient that is no SIRET")
	noSIRET.Recipient = ""
	_, err = noSIRET.QuotientFamilial(ctx, "token")
	assert.ErrorIs(t, err, apiparticulier.ErrScope, "no recipient")
}

func assertRefused(t *testing.T, err, want error, token, name string) {
	t.Helper()
	require.ErrorIs(t, err, want, name)
	for _, other := range []error{apiparticulier.ErrTokenRefused, apiparticulier.ErrScope, apiparticulier.ErrNotFound, apiparticulier.ErrUnavailable} {
		if other != want {
			assert.NotErrorIs(t, err, other, name)
		}
	}
	for _, secret := range []string{token, "DUBOIS", "Angela"} {
		assert.NotContains(t, err.Error(), secret, name)
	}
}

// A provider that is slow, answers garbage, too much, or a redirect: the
// call fails as unavailable, bounded, and the token never follows a
// redirect.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	var leaked sync.Map
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store("auth", r.Header.Get("Authorization"))
	}))
	defer elsewhere.Close()
	handlers := map[string]http.HandlerFunc{
		"garbage": func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html>")) },
		"no data": func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte(`{"links":{}}`)) },
		"too much": func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"data":"` + strings.Repeat("a", 2<<20) + `"}`))
		},
		"server error": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte(`{"errors":[{"code":"37999","title":"Erreur du fournisseur","meta":{"provider":"CNAV"}}]}`))
		},
		"redirect": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, elsewhere.URL, http.StatusTemporaryRedirect)
		},
		"slow": func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done() // until the client gives up
		},
	}
	for name, h := range handlers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(h)
			defer srv.Close()
			api := &apiparticulier.Client{BaseURL: srv.URL, Recipient: recipient}
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if name == "slow" {
				ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond) // the deadline is the behaviour
			}
			defer cancel()
			_, err := api.QuotientFamilial(ctx, "the-access-token")
			assert.ErrorIs(t, err, apiparticulier.ErrUnavailable)
			assert.NotContains(t, err.Error(), "the-access-token")
		})
	}
	_, leakedAuth := leaked.Load("auth")
	assert.False(t, leakedAuth, "the bearer token followed a redirect")
}

// Through the handlers: the data is fetched in onLogin, before the
// session starts, and the login succeeds whatever the call gives (the
// data, a missing scope, no record, a token expired by then).
func TestLoginSucceedsWhateverTheData(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		scope bool
		user  string
		late  bool // the clock moves 61 s before the call
		want  error
	}{
		{"fetched", true, "test", false, nil},
		{"no scope", false, "test", false, apiparticulier.ErrScope},
		{"no record", true, "naissance_Algérie", false, apiparticulier.ErrNotFound},
		{"expired", true, "test", true, apiparticulier.ErrTokenRefused},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var scopes []string
			if tt.scope {
				scopes = []string{apiparticulier.ScopeQuotientFamilial}
			}
			srv, _, clk, api := setup(t)
			reg := srv.Register(fctest.Registration{RedirectURIs: []string{"https://aides.example/fc/callback"}})
			c, err := franceconnect.New(franceconnect.Config{Environment: srv.Environment(), ClientID: reg.ID, ClientSecret: reg.Secret,
				RedirectURL: "https://aides.example/fc/callback", Scopes: append([]string{franceconnect.ScopeIdentitePivot}, scopes...),
				Now: clk.Now, CookieKeys: [][]byte{browsertest.Key(1)}})
			require.NoError(t, err)
			var fetched *apiparticulier.QuotientFamilial
			var fetchErr error
			started := false
			mux := http.NewServeMux()
			mux.Handle("GET /fc/login", c.LoginHandler(franceconnect.AuthOptions{}))
			mux.Handle("GET /fc/callback", c.CallbackHandler(func(w http.ResponseWriter, r *http.Request, res *franceconnect.Result) {
				if tt.late {
					clk.Add(61 * time.Second)
				}
				ctx, cancel := context.WithDeadline(r.Context(), res.AccessTokenExpiry.Add(time.Minute)) // the mock's clock decides
				defer cancel()
				fetched, fetchErr = api.QuotientFamilial(ctx, res.AccessToken)
				started = true // the portal's session
				http.Redirect(w, r, res.ReturnTo, http.StatusSeeOther)
			}, nil))
			b := browsertest.New(t)
			resp := b.Get(t, mux, b.Start(t, srv, mux, "https://aides.example/fc/login", user(t, tt.user)))
			assert.Equal(t, http.StatusSeeOther, resp.StatusCode, "logged in")
			assert.True(t, started)
			if tt.want == nil {
				require.NoError(t, fetchErr)
				assert.Equal(t, 2550, fetched.Quotient.Value)
				return
			}
			assert.ErrorIs(t, fetchErr, tt.want)
		})
	}
}
