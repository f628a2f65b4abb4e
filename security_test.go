package franceconnect_test

import (
	"context"
	"errors"
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
	{fctest.IDTokenMissingSub, franceconnect.ErrMissingClaim, stopsBeforeUserInfo},
	{fctest.IDTokenMissingIat, franceconnect.ErrMissingClaim, stopsBeforeUserInfo},
	{fctest.IDTokenMissingExp, franceconnect.ErrMissingClaim, stopsBeforeUserInfo},
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
	{fctest.IDTokenAtHashWrong, franceconnect.ErrAccessTokenHash, stopsBeforeUserInfo},
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
			assert.Less(t, time.Since(start), 2*time.Second, "the caller's deadline is honoured")
		})
	}
}

func TestKeyRotationBetweenLogins(t *testing.T) {
	t.Parallel()
	// The key cache refreshes on an unknown kid at most every 10 s: the
	// clock jumps 11 s between the two logins.
	var offset atomic.Int64
	srv, c := mockSetup(t, "ES256", func(cfg *franceconnect.Config) {
		cfg.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	})
	req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
	_, err := c.Exchange(context.Background(), req, q)
	require.NoError(t, err)

	srv.RotateKeys()
	req, q = mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
	_, err = c.Exchange(context.Background(), req, q)
	assert.ErrorIs(t, err, franceconnect.ErrUnknownKey, "within 10 s of the last fetch, an unknown kid does not trigger a fetch")

	offset.Store(int64(11 * time.Second))
	req, q = mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
	_, err = c.Exchange(context.Background(), req, q)
	require.NoError(t, err, "the rotation is picked up")
	assert.EqualValues(t, 2, srv.Stats().JWKSFetches)
}
