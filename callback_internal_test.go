package franceconnect

import (
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestCallbackChecks(t *testing.T) {
	t.Parallel()
	const state = "s7ate-s7ate-s7ate-s7ate-s7ate-s7ate-s7ate"
	v2 := Production
	v1 := ProductionV1
	q := func(s string) url.Values { v, _ := url.ParseQuery(s); return v }
	now := time.Now()

	tests := []struct {
		name string
		err  error
		want error
	}{
		{"no error", checkCallbackError(q("code=x")), nil},
		{"access denied", checkCallbackError(q("error=access_denied&error_description=User+auth+aborted")), ErrAccessDenied},
		{"invalid_acr", checkCallbackError(q("error=invalid_acr")), ErrProviderError},
		{"server_error", checkCallbackError(q("error=server_error")), ErrProviderError},

		{"state ok", checkState(q("state="+state), state), nil},
		{"state other", checkState(q("state=other"), state), ErrStateMismatch},
		{"state missing", checkState(q("code=x"), state), ErrStateMismatch},
		{"state empty", checkState(q("state="), state), ErrStateMismatch},
		{"state twice", checkState(q("state="+state+"&state="+state), state), ErrStateMismatch},
		{"state expected empty", checkState(q("state="), ""), ErrStateMismatch},

		{"iss ok", checkIssuerParam(q("iss="+url.QueryEscape(v2.Issuer)), v2), nil},
		{"iss other", checkIssuerParam(q("iss=https%3A%2F%2Fevil.example"), v2), ErrIssuerMismatch},
		{"iss missing v2", checkIssuerParam(q("code=x"), v2), ErrIssuerMismatch},
		{"iss twice", checkIssuerParam(q("iss=a&iss=b"), v2), ErrIssuerMismatch},
		{"iss missing v1", checkIssuerParam(q("code=x"), v1), nil},
		{"iss other v1", checkIssuerParam(q("iss=x"), v1), ErrIssuerMismatch},

		{"code ok", func() error { _, err := callbackCode(q("code=abc")); return err }(), nil},
		{"code missing", func() error { _, err := callbackCode(q("state=x")); return err }(), ErrMissingCode},

		{"fresh", checkTransactionExpiry(&AuthRequest{Expiry: now.Add(time.Minute)}, now), nil},
		{"expired", checkTransactionExpiry(&AuthRequest{Expiry: now.Add(-time.Second)}, now), ErrTransactionExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want == nil {
				assert.NoError(t, tt.err)
				return
			}
			assert.ErrorIs(t, tt.err, tt.want)
		})
	}
}

func TestCallbackErrorIsTyped(t *testing.T) {
	t.Parallel()
	err := checkCallbackError(url.Values{"error": {"access_denied"}, "error_description": {"User auth aborted\r\nforged log line"}})
	var ce *CallbackError
	assert.True(t, errors.As(err, &ce))
	assert.Equal(t, "access_denied", ce.Code)
	assert.NotContains(t, ce.Description, "\n", "control characters neutralised")
	assert.False(t, errors.Is(&CallbackError{Code: "server_error"}, ErrAccessDenied))
}
