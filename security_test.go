package franceconnect_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
)

// step is how far a failed login got at the mock: a check that fails must
// stop everything after it.
type step int

const (
	stopsBeforeToken    step = iota // no token request
	stopsBeforeUserInfo             // token request, no userinfo
	reachesUserInfo                 // failure at or after userinfo
)

// negativeCases are the attacks and faults the callback must refuse, each
// produced by one fault switch of the mock: OpenID Foundation RP tests that
// apply, FAPI extras, FranceConnect extras.
var negativeCases = []struct {
	fault fctest.Fault
	want  error
	stops step
}{
	// Callback parameters.
	{fctest.CallbackAccessDenied, franceconnect.ErrAccessDenied, stopsBeforeToken},
	{fctest.CallbackWrongState, franceconnect.ErrStateMismatch, stopsBeforeToken},
	{fctest.CallbackNoState, franceconnect.ErrStateMismatch, stopsBeforeToken},
	{fctest.CallbackWrongIss, franceconnect.ErrIssuerMismatch, stopsBeforeToken},
	{fctest.CallbackNoIss, franceconnect.ErrIssuerMismatch, stopsBeforeToken},
	// Token endpoint.
	{fctest.TokenUnauthorized, franceconnect.ErrInvalidClient, stopsBeforeUserInfo},
	{fctest.TokenBadRequest, franceconnect.ErrInvalidGrant, stopsBeforeUserInfo},
	{fctest.TokenServerError, franceconnect.ErrProviderUnavailable, stopsBeforeUserInfo},
	{fctest.TokenGarbage, franceconnect.ErrProviderUnavailable, stopsBeforeUserInfo},
	{fctest.OversizedToken, franceconnect.ErrProviderUnavailable, stopsBeforeUserInfo},
	{fctest.TokenDotsIDToken, franceconnect.ErrProviderUnavailable, stopsBeforeUserInfo}, // over the 1 MiB token response limit
	// ID token.
	{fctest.IDTokenWrongIssuer, franceconnect.ErrIssuerMismatch, stopsBeforeUserInfo},
	{fctest.IDTokenMissingIssuer, franceconnect.ErrIssuerMismatch, stopsBeforeUserInfo},
	{fctest.IDTokenWrongAudience, franceconnect.ErrAudienceMismatch, stopsBeforeUserInfo},
	{fctest.IDTokenExtraAudience, franceconnect.ErrAudienceMismatch, stopsBeforeUserInfo},
	{fctest.IDTokenMissingAudience, franceconnect.ErrAudienceMismatch, stopsBeforeUserInfo},
	{fctest.IDTokenExpired, franceconnect.ErrTokenExpired, stopsBeforeUserInfo},
	{fctest.IDTokenIssuedInFuture, franceconnect.ErrIssuedAt, stopsBeforeUserInfo},
	{fctest.IDTokenIssuedLongAgo, franceconnect.ErrIssuedAt, stopsBeforeUserInfo},
	{fctest.IDTokenMissingSub, franceconnect.ErrMalformedToken, stopsBeforeUserInfo},
	{fctest.IDTokenMissingIat, franceconnect.ErrMalformedToken, stopsBeforeUserInfo},
	{fctest.IDTokenMissingExp, franceconnect.ErrMalformedToken, stopsBeforeUserInfo},
	{fctest.IDTokenMissingNonce, franceconnect.ErrNonceMismatch, stopsBeforeUserInfo},
	{fctest.IDTokenWrongNonce, franceconnect.ErrNonceMismatch, stopsBeforeUserInfo},
	{fctest.IDTokenMissingACR, franceconnect.ErrACRTooLow, stopsBeforeUserInfo},
	{fctest.IDTokenACRLow, franceconnect.ErrACRTooLow, stopsBeforeUserInfo},
	{fctest.IDTokenBadSignature, franceconnect.ErrSignature, stopsBeforeUserInfo},
	{fctest.IDTokenAlgNone, franceconnect.ErrAlgorithm, stopsBeforeUserInfo},
	{fctest.IDTokenHS256WithSecret, franceconnect.ErrAlgorithm, stopsBeforeUserInfo},
	{fctest.IDTokenHS256WithPublicKey, franceconnect.ErrAlgorithm, stopsBeforeUserInfo},
	{fctest.IDTokenOtherAlg, franceconnect.ErrAlgorithm, stopsBeforeUserInfo},
	{fctest.IDTokenUnknownKid, franceconnect.ErrUnknownKey, stopsBeforeUserInfo},
	{fctest.IDTokenAtHashWrong, franceconnect.ErrSignature, stopsBeforeUserInfo},
	// Userinfo.
	{fctest.UserInfoSubMismatch, franceconnect.ErrSubjectMismatch, reachesUserInfo},
	{fctest.UserInfoJSON, franceconnect.ErrUserInfoFormat, reachesUserInfo},
	{fctest.UserInfoWrongIssuer, franceconnect.ErrIssuerMismatch, reachesUserInfo},
	{fctest.UserInfoWrongAudience, franceconnect.ErrAudienceMismatch, reachesUserInfo},
	{fctest.UserInfoBadSignature, franceconnect.ErrSignature, reachesUserInfo},
	{fctest.UserInfoAlgNone, franceconnect.ErrAlgorithm, reachesUserInfo},
	{fctest.UserInfoServerError, franceconnect.ErrProviderUnavailable, reachesUserInfo},
	{fctest.OversizedUserInfo, franceconnect.ErrProviderUnavailable, reachesUserInfo},
}

// acceptedFaults deviate from FranceConnect without being attacks: the
// login must still succeed.
var acceptedFaults = []fctest.Fault{
	fctest.IDTokenNoKid,    // one key fits the algorithm: accepted (kid-absent policy)
	fctest.IDTokenAtHash,   // a correct at_hash is checked and accepted
	fctest.JWKSWithBadKeys, // unparseable extra keys are ignored
}

func TestCallbackRefusesEveryNegativeCase(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"ES256", "RS256"} {
		for _, tc := range negativeCases {
			t.Run(alg+"/"+tc.fault.String(), func(t *testing.T) {
				t.Parallel()
				srv, c := mockSetup(t, alg)
				checkRefused(t, srv, c, tc.want, tc.stops, tc.fault)
			})
		}
	}
}

// checkRefused runs a login against srv with the faults on and checks the
// error and how far the client went.
func checkRefused(t *testing.T, srv *fctest.Server, c *franceconnect.Client, want error, stops step, faults ...fctest.Fault) {
	t.Helper()
	srv.Inject(faults...)
	req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
	res, err := c.Exchange(context.Background(), req, q)
	require.Error(t, err)
	assert.Nil(t, res, "no partial login")
	assert.ErrorIs(t, err, want)
	st := srv.Stats()
	switch stops {
	case stopsBeforeToken:
		assert.Zero(t, st.TokenRequests, "no token request after a bad callback")
		assert.Zero(t, st.UserInfoRequests)
	case stopsBeforeUserInfo:
		assert.EqualValues(t, 1, st.TokenRequests)
		assert.Zero(t, st.UserInfoRequests, "userinfo is never called after a bad ID token")
	case reachesUserInfo:
		assert.EqualValues(t, 1, st.UserInfoRequests)
	}
}

func TestCallbackAcceptsHarmlessDeviations(t *testing.T) {
	t.Parallel()
	for _, f := range acceptedFaults {
		t.Run(f.String(), func(t *testing.T) {
			t.Parallel()
			srv, c := mockSetup(t, "ES256")
			srv.Inject(f)
			req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
			_, err := c.Exchange(context.Background(), req, q)
			require.NoError(t, err)
		})
	}
}

func TestCallbackErrorCarriesFranceConnectText(t *testing.T) {
	t.Parallel()
	srv, c := mockSetup(t, "ES256")
	srv.Inject(fctest.CallbackAccessDenied)
	req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
	_, err := c.Exchange(context.Background(), req, q)
	var ce *franceconnect.CallbackError
	require.True(t, errors.As(err, &ce))
	assert.Equal(t, "access_denied", ce.Code)
	assert.Equal(t, "User auth aborted", ce.Description)
}

func TestCallbackReplays(t *testing.T) {
	t.Parallel()
	srv, c := mockSetup(t, "ES256")
	reqA, qA := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
	reqB, qB := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})

	// A code from another transaction: B's callback presented to A.
	_, err := c.Exchange(context.Background(), reqA, qB)
	assert.ErrorIs(t, err, franceconnect.ErrStateMismatch)

	// An expired attempt.
	old := *reqA
	old.Expiry = time.Now().Add(-time.Second)
	_, err = c.Exchange(context.Background(), &old, qA)
	assert.ErrorIs(t, err, franceconnect.ErrTransactionExpired)

	_, err = c.Exchange(context.Background(), reqB, qB)
	require.NoError(t, err)
	// The same callback again: the code is single use.
	_, err = c.Exchange(context.Background(), reqB, qB)
	assert.ErrorIs(t, err, franceconnect.ErrInvalidGrant)
}

func TestCallbackBoundedInTime(t *testing.T) {
	t.Parallel()
	for _, f := range []fctest.Fault{fctest.SlowToken, fctest.SlowUserInfo} {
		t.Run(f.String(), func(t *testing.T) {
			t.Parallel()
			srv, c := mockSetup(t, "ES256")
			srv.Inject(f)
			req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err := c.Exchange(ctx, req, q)
			assert.ErrorIs(t, err, franceconnect.ErrProviderUnavailable)
			assert.ErrorIs(t, err, context.DeadlineExceeded, "the context's error shows through")
			assert.Less(t, time.Since(start), 2*time.Second, "the caller's deadline is honoured")

			req, q = mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
			cctx, cancelNow := context.WithCancel(context.Background())
			time.AfterFunc(100*time.Millisecond, cancelNow)
			_, err = c.Exchange(cctx, req, q)
			assert.ErrorIs(t, err, franceconnect.ErrProviderUnavailable)
			assert.ErrorIs(t, err, context.Canceled)
		})
	}
}

func TestKeyRotationBetweenLogins(t *testing.T) {
	t.Parallel()
	// A rotation fails no login: the first unknown kid refetches the key
	// set at once; another within 10 s of that refetch waits for its end
	// (internal/keys tests the wait). The client's clock jumps 9.5 s, so
	// that the wait is half a second at most.
	var offset atomic.Int64
	srv, c := mockSetup(t, "ES256", func(cfg *franceconnect.Config) {
		cfg.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	})
	login := func() error {
		req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
		_, err := c.Exchange(context.Background(), req, q)
		return err
	}
	require.NoError(t, login())
	srv.RotateKeys()
	require.NoError(t, login(), "the rotation is picked up at once")
	assert.EqualValues(t, 2, srv.Stats().JWKSFetches)

	srv.RotateKeys()
	offset.Store(int64(9500 * time.Millisecond))
	require.NoError(t, login(), "a second rotation within 10 s waits for the next allowed fetch")
	assert.EqualValues(t, 3, srv.Stats().JWKSFetches)
}

// The level of assurance is a floor from configuration: a level lowered
// in the authorize URL by the user is refused, and a pending-login cookie
// of a client with a lower floor does not open for a higher one.
func TestLevelFloor(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, c := plusSetup(t, fctest.ECDHES, func(cfg *franceconnect.Config) { cfg.ACRValues = []franceconnect.ACR{franceconnect.EIDAS3} })

	// The user lowers acr_values in the authorize URL; the portal keeps a
	// request at eidas2 (its own transaction store, or a forged one).
	req, err := c.AuthCodeURL(franceconnect.AuthOptions{})
	require.NoError(t, err)
	lowered := strings.Replace(req.URL, "acr_values=eidas3", "acr_values=eidas2", 1)
	require.NotEqual(t, req.URL, lowered)
	cb, err := srv.Login(lowered, fctest.DefaultUser)
	require.NoError(t, err)
	q := mustURL(t, cb).Query()
	_, err = c.Exchange(ctx, req, q)
	assert.ErrorIs(t, err, franceconnect.ErrACRTooLow, "eidas2 delivered to a client whose floor is eidas3")
}

// Two clients of one registration, eidas2 and eidas3, same redirect URL and
// cookie keys: the eidas3 callback refuses a login the eidas2 one started,
// as a change of the registration's levels, before any call.
func TestLevelBoundToPendingLogin(t *testing.T) {
	t.Parallel()
	srv := fctest.NewServer(fctest.Options{Federation: franceconnect.FranceConnectPlus})
	t.Cleanup(srv.Close)
	cfg := plusConfig(srv, fctest.ClientKey(fctest.ECDHES))
	cfg.CookieKeys = [][]byte{hKey(1)}
	cfg.ACRValues = []franceconnect.ACR{franceconnect.EIDAS2}
	low := hClient(t, cfg)
	registerPublished(t, srv, cfg, low)
	high := hClient(t, cfg, func(c *franceconnect.Config) { c.ACRValues = []franceconnect.ACR{franceconnect.EIDAS3} })

	b := newHBrowser(t)
	cb := b.Start(t, srv, low.LoginHandler(franceconnect.AuthOptions{}), hLogin, fctest.DefaultUser)
	var o hOutcome
	b.Get(t, o.callback(high), cb)
	assert.ErrorIs(t, o.err, franceconnect.ErrRegistrationChanged)
	assert.Zero(t, srv.Stats().TokenRequests)
}

// An error parameter is reported as the user's answer only when the state
// (and on v2 the iss parameter) say it answers this login: a third party
// cannot cancel a pending login.
func TestCallbackErrorMustAnswerThisLogin(t *testing.T) {
	t.Parallel()
	srv, c := mockSetup(t, "ES256")
	req, err := c.AuthCodeURL(franceconnect.AuthOptions{})
	require.NoError(t, err)
	iss := url.QueryEscape(srv.Environment().Issuer)
	tests := []struct {
		query string
		want  error
	}{
		{"error=access_denied&state=" + req.State + "&iss=" + iss, franceconnect.ErrAccessDenied},
		{"error=access_denied&state=another-login-state-another-login-sta&iss=" + iss, franceconnect.ErrStateMismatch},
		{"error=access_denied&iss=" + iss, franceconnect.ErrStateMismatch},
		{"error=access_denied&state=" + req.State, franceconnect.ErrIssuerMismatch},
		{"error=access_denied&state=" + req.State + "&iss=https%3A%2F%2Fevil.example", franceconnect.ErrIssuerMismatch},
	}
	for _, tt := range tests {
		q, err := url.ParseQuery(tt.query)
		require.NoError(t, err)
		_, err = c.Exchange(context.Background(), req, q)
		assert.ErrorIs(t, err, tt.want, tt.query)
		if tt.want != franceconnect.ErrAccessDenied {
			assert.NotErrorIs(t, err, franceconnect.ErrAccessDenied, tt.query)
		}
	}
}

// The logout handler acts on POST only: a cross-site link or image (GET)
// logs nobody out.
func TestLogoutHandlerPostOnly(t *testing.T) {
	t.Parallel()
	_, cfg := hSetup(t)
	c := hClient(t, cfg)
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPut} {
		called := false
		rec := httptest.NewRecorder()
		c.LogoutHandler(func(*http.Request) (string, error) { called = true; return "a.b.c", nil }).
			ServeHTTP(rec, httptest.NewRequest(method, "/fc/logout", nil))
		assert.Equal(t, http.StatusMethodNotAllowed, rec.Code, method)
		assert.Equal(t, http.MethodPost, rec.Header().Get("Allow"))
		assert.False(t, called, "%s: the portal's session is not ended", method)
		assert.Empty(t, rec.Result().Cookies(), method)
		assert.Empty(t, rec.Header().Get("Location"), method)
	}
}
