package franceconnect

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const v1Secret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// v1Client is a v1 client whose userinfo endpoint answers body.
func v1Client(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	env, err := NewEnvironment(FranceConnectV1, srv.URL)
	require.NoError(t, err)
	hc := srv.Client()
	hc.Timeout = 0
	c, err := New(Config{Environment: env, ClientID: "client", ClientSecret: v1Secret, RedirectURL: "https://portail.example/cb", HTTPClient: hc})
	require.NoError(t, err)
	return c
}

// v1 userinfo is plain JSON, whose sub is read by its exact name, as every
// other claim: a case-folded SUB is not the sub, whatever the order.
func TestV1UserInfoSubjectExactName(t *testing.T) {
	t.Parallel()
	const sub = "b6048e95bb134ec5b1d1e1fa69f287172e91722b9354d637a1bcf2ebb0fd2ef5v1"
	tests := []struct {
		body string
		want error
	}{
		{`{"sub":"` + sub + `","given_name":"Angela"}`, nil},
		{`{"sub":"other","SUB":"` + sub + `"}`, ErrSubjectMismatch},
		{`{"SUB":"` + sub + `","sub":"other"}`, ErrSubjectMismatch},
		{`{"SUB":"` + sub + `"}`, ErrSubjectMismatch},
		{`{"Sub":"` + sub + `"}`, ErrSubjectMismatch},
		{`{"sub":"` + sub + `","sub":"` + sub + `"}`, ErrInvalidIdentity},
	}
	for _, tt := range tests {
		c := v1Client(t, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(tt.body))
		})
		u := &identityUserInfo{}
		claims, err := c.userInfo(context.Background(), "access", sub, u)
		var res Result
		if err == nil {
			err = u.setUser(&res, claims)
		}
		id := res.Identity
		if tt.want == nil {
			require.NoError(t, err, tt.body)
			assert.Equal(t, sub, id.Subject)
			continue
		}
		assert.ErrorIs(t, err, tt.want, tt.body)
	}
}

// Userinfo is bounded in time even when the portal's HTTP client has no
// Timeout: New gives it 10 s.
func TestUserInfoDeadlineWithoutClientTimeout(t *testing.T) {
	t.Parallel()
	c := v1Client(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	assert.Equal(t, defaultHTTPTimeout, c.timeout, "a client without Timeout gets the default")
	c.timeout = 100 * time.Millisecond
	start := time.Now()
	_, err := c.userInfo(context.Background(), "access", "sub", &identityUserInfo{})
	assert.ErrorIs(t, err, ErrProviderUnavailable)
	assert.Less(t, time.Since(start), 30*time.Second, "the provider never answers: only the 100 ms bound ends the call")
}
