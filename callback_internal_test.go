package franceconnect

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
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
	c, err := New(Config{Environment: v2, ClientID: "id", ClientSecret: "secret", RedirectURL: "https://portail.example/cb", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		err  error
		want error
	}{
		{"no error", checkCallbackError(q("code=x"), ""), nil},
		{"access denied", checkCallbackError(q("error=access_denied&error_description=User+auth+aborted"), ""), ErrAccessDenied},
		{"invalid_acr", checkCallbackError(q("error=invalid_acr"), ""), errAnyCallbackError},
		{"server_error", checkCallbackError(q("error=server_error"), ""), errAnyCallbackError},

		{"state ok", checkState(q("state="+state), state, "callback", "login"), nil},
		{"state other", checkState(q("state=other"), state, "callback", "login"), ErrStateMismatch},
		{"state missing", checkState(q("code=x"), state, "callback", "login"), ErrStateMismatch},
		{"state empty", checkState(q("state="), state, "callback", "login"), ErrStateMismatch},
		{"state twice", checkState(q("state="+state+"&state="+state), state, "callback", "login"), ErrStateMismatch},
		{"state expected empty", checkState(q("state="), "", "callback", "login"), ErrStateMismatch},

		{"iss ok", checkIssuerParam(q("iss="+url.QueryEscape(v2.Issuer)), v2.Issuer, false), nil},
		{"iss other", checkIssuerParam(q("iss=https%3A%2F%2Fevil.example"), v2.Issuer, false), ErrIssuerMismatch},
		{"iss missing v2", checkIssuerParam(q("code=x"), v2.Issuer, false), ErrIssuerMismatch},
		{"iss twice", checkIssuerParam(q("iss=a&iss=b"), v2.Issuer, false), ErrIssuerMismatch},
		{"iss missing v1", checkIssuerParam(q("code=x"), v1.Issuer, true), nil},
		{"iss other v1", checkIssuerParam(q("iss=x"), v1.Issuer, true), ErrIssuerMismatch},

		{"code ok", func() error { _, err := callbackCode(q("code=abc")); return err }(), nil},
		{"code missing", func() error { _, err := callbackCode(q("state=x")); return err }(), ErrMissingCode},

		{"fresh", c.checkRequest(&AuthRequest{Expiry: now.Add(time.Minute)}), nil},
		{"expired", c.checkRequest(&AuthRequest{Expiry: now.Add(-time.Second)}), ErrTransactionExpired},
		{"zero expiry is expired", c.checkRequest(&AuthRequest{}), ErrTransactionExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			switch tt.want {
			case nil:
				assert.NoError(t, tt.err)
			case errAnyCallbackError:
				assert.ErrorAs(t, tt.err, new(*CallbackError))
			default:
				assert.ErrorIs(t, tt.err, tt.want)
			}
		})
	}
}

func TestCallbackErrorIsTyped(t *testing.T) {
	t.Parallel()
	err := checkCallbackError(url.Values{"error": {"access_denied"}, "error_description": {"User auth aborted\r\nforged log line"}}, "")
	var ce *CallbackError
	assert.True(t, errors.As(err, &ce))
	assert.Equal(t, "access_denied", ce.Code)
	assert.NotContains(t, ce.Description, "\n", "control characters neutralised")
	for _, r := range []string{"\u2028", "\u2029", "\u0085", "\u202e", "\u200f", "\x1b[31m", "\x7f", "\xff"} {
		err := checkCallbackError(url.Values{"error": {"access_denied" + r}, "error_description": {"User" + r + "auth"}}, "")
		var ce *CallbackError
		if assert.True(t, errors.As(err, &ce)) {
			assert.NotContains(t, ce.Code+ce.Description, r, "%q is not printable", r)
		}
		pe := userInfoError(&http.Response{StatusCode: 401, Body: io.NopCloser(strings.NewReader(`{"error":"invalid_token` + r + `","error_description":"x` + r + `"}`))})
		assert.NotContains(t, pe.Error(), r, "userinfo error %q", r)
	}
	assert.False(t, errors.Is(&CallbackError{Code: "server_error"}, ErrAccessDenied))
}

// errAnyCallbackError stands for "a *CallbackError" in the table above.
var errAnyCallbackError = errors.New("any *CallbackError")
