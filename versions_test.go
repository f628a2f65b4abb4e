package franceconnect_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
)

// flavor is one way a portal is registered: federation and algorithm.
type flavor struct {
	name string
	v1   bool   // FranceConnect v1
	alg  string // registered at the mock
	// proConnect: a ProConnect mock and client, whose userinfo is JSON
	// when userInfoJSON.
	proConnect, userInfoJSON bool
}

var flavors = []flavor{
	{name: "v2-ES256", alg: "ES256"},
	{name: "v2-RS256", alg: "RS256"},
	{name: "v1-HS256", v1: true, alg: "HS256"},
	{name: "proconnect-RS256", alg: "RS256", proConnect: true},
	{name: "proconnect-HS256-json", alg: "HS256", proConnect: true, userInfoJSON: true},
}

// flavorSetup returns a mock and a Client of the given flavor.
func flavorSetup(t *testing.T, f flavor, mutate ...func(*franceconnect.Config)) (*fctest.Server, *franceconnect.Client) {
	t.Helper()
	if f.proConnect {
		return pcSetup(t, f.alg, f.userInfoJSON, mutate...)
	}
	if !f.v1 {
		return mockSetup(t, f.alg, mutate...)
	}
	return v1Setup(t, mutate...)
}

// v1Setup starts a FranceConnect v1 mock and returns a Client for it.
func v1Setup(t *testing.T, mutate ...func(*franceconnect.Config)) (*fctest.Server, *franceconnect.Client) {
	t.Helper()
	srv := fctest.NewServer(fctest.Options{Federation: franceconnect.FranceConnectV1})
	t.Cleanup(srv.Close)
	reg := srv.Register(fctest.Registration{
		RedirectURIs:           []string{"https://portail.example/fc/callback"},
		PostLogoutRedirectURIs: []string{"https://portail.example/"},
	})
	cfg := franceconnect.Config{
		Environment:           srv.Environment(),
		ClientID:              reg.ID,
		ClientSecret:          reg.Secret,
		RedirectURL:           "https://portail.example/fc/callback",
		PostLogoutRedirectURL: "https://portail.example/",
		Scopes:                []string{franceconnect.ScopeIdentitePivot, franceconnect.ScopeEmail},
	}
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := franceconnect.New(cfg)
	require.NoError(t, err)
	return srv, c
}

// logoutAt follows a logout URL at the mock without a browser and returns
// the post-logout redirect (or the error page's status).
func logoutAt(t *testing.T, logoutURL string) (*url.URL, int) {
	t.Helper()
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(logoutURL)
	require.NoError(t, err)
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
		return nil, resp.StatusCode
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	return loc, resp.StatusCode
}

func TestLoginAndLogoutEveryFlavor(t *testing.T) {
	t.Parallel()
	for _, f := range flavors {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			srv, c := flavorSetup(t, f)
			req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
			if f.v1 {
				assert.Contains(t, req.URL, "/api/v1/authorize")
			}
			res, err := c.Exchange(context.Background(), req, q)
			require.NoError(t, err)
			assert.Equal(t, franceconnect.EIDAS1, res.IDToken.ACR)
			if f.proConnect {
				assert.Nil(t, res.Identity)
				assert.Equal(t, fctest.DefaultUser.Email, res.Agent.Email)
			} else {
				assert.Nil(t, res.Agent)
				assert.Equal(t, "DUBOIS", res.Identity.FamilyName)
			}
			if f.v1 {
				assert.Equal(t, "FC", res.IDToken.IDP)
				assert.Zero(t, srv.Stats().JWKSFetches, "no JWKS on v1")
				assert.Zero(t, srv.Stats().DiscoveryFetches, "no discovery on v1")
			}

			lreq, err := c.LogoutURL(res.RawIDToken, franceconnect.LogoutOptions{})
			require.NoError(t, err)
			wantPath := "/api/v2/session/end"
			if f.v1 {
				wantPath = "/api/v1/logout"
			}
			assert.Contains(t, lreq.URL, wantPath)
			back, _ := logoutAt(t, lreq.URL)
			require.NotNil(t, back)
			assert.Equal(t, "https://portail.example/", back.Scheme+"://"+back.Host+back.Path)
			require.NoError(t, c.VerifyLogout(lreq, back.Query()))
		})
	}
}

// Every ID token attack of the v2 suite fails on v1 with the same typed
// error; the cases whose meaning depends on asymmetric keys are listed
// with their v1 outcome.
func TestV1RefusesTheIDTokenNegativeCases(t *testing.T) {
	t.Parallel()
	v1Outcome := map[fctest.Fault]error{
		// HS256 with the client secret is exactly what v1 does.
		fctest.IDTokenHS256WithSecret: nil,
		// HMAC keyed with a public key is just a wrong HMAC key on v1.
		fctest.IDTokenHS256WithPublicKey: franceconnect.ErrSignature,
		// v1 has no key set: a kid means nothing to it.
		fctest.IDTokenUnknownKid: nil,
		// An ES256/RS256 token on a v1 client is an algorithm it cannot verify.
		fctest.IDTokenOtherAlg: franceconnect.ErrAlgorithm,
	}
	for _, tc := range negativeCases {
		if tc.stops != stopsBeforeUserInfo || tc.fault < fctest.IDTokenWrongIssuer || tc.fault > fctest.IDTokenAtHashWrong {
			continue
		}
		want := tc.want
		if w, ok := v1Outcome[tc.fault]; ok {
			want = w
		}
		t.Run(tc.fault.String(), func(t *testing.T) {
			t.Parallel()
			srv, c := v1Setup(t)
			srv.Inject(tc.fault)
			req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
			_, err := c.Exchange(context.Background(), req, q)
			if want == nil {
				require.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, want)
			assert.Zero(t, srv.Stats().UserInfoRequests, "no userinfo after a bad ID token")
		})
	}
}

// Algorithm confusion in both directions: a v2 client refuses HS256
// whatever the key, a v1 client refuses ES256/RS256.
func TestAlgorithmConfusion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		v1    bool
		fault fctest.Fault
	}{
		{"v2 refuses HS256 keyed with the secret", false, fctest.IDTokenHS256WithSecret},
		{"v2 refuses HS256 keyed with the public key", false, fctest.IDTokenHS256WithPublicKey},
		{"v2 refuses alg none", false, fctest.IDTokenAlgNone},
		{"v2 ES256 refuses a valid RS256 token", false, fctest.IDTokenOtherAlg},
		{"v1 refuses a valid ES256 token", true, fctest.IDTokenOtherAlg},
		{"v1 refuses alg none", true, fctest.IDTokenAlgNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c := mockSetup(t, "ES256")
			if tt.v1 {
				srv, c = v1Setup(t)
			}
			srv.Inject(tt.fault)
			req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
			_, err := c.Exchange(context.Background(), req, q)
			assert.ErrorIs(t, err, franceconnect.ErrAlgorithm)
		})
	}
}

func TestV1UserInfoIsJSON(t *testing.T) {
	t.Parallel()
	srv, c := v1Setup(t, func(cfg *franceconnect.Config) {
		cfg.Scopes = []string{franceconnect.ScopeIdentitePivot, "address", "phone"}
	})
	req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
	res, err := c.Exchange(context.Background(), req, q)
	require.NoError(t, err)
	assert.Equal(t, "Angela Claire Louise", res.Identity.GivenName)
	require.NotNil(t, res.Identity.Address, "v1 address scope")
	assert.Equal(t, "75015", res.Identity.Address.PostalCode)
	assert.Equal(t, "0123456789", res.Identity.PhoneNumber)

	srv.Inject(fctest.UserInfoSubMismatch)
	req, q = mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
	_, err = c.Exchange(context.Background(), req, q)
	assert.ErrorIs(t, err, franceconnect.ErrSubjectMismatch)
}
