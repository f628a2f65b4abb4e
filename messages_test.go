package franceconnect_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
)

// Each class of error has its sentence and its status: a local
// misconfiguration does not blame FranceConnect, a malformed token does
// not say FranceConnect is down, an expired attempt and an unknown one are
// told apart, and logout problems speak of logout.
func TestUserMessage(t *testing.T) {
	t.Parallel()
	const (
		cancelled    = "Vous avez annulé la connexion avec FranceConnect."
		expired      = "Votre demande de connexion a expiré. Veuillez recommencer."
		unknown      = "Cette demande de connexion n’a pas été reconnue : elle a peut-être déjà servi, ou a été commencée dans un autre onglet ou navigateur. Veuillez recommencer."
		unavailable  = "FranceConnect est momentanément indisponible. Veuillez réessayer dans quelques instants."
		misconfig    = "La connexion avec FranceConnect est mal configurée sur ce site. Veuillez réessayer plus tard ; si le problème persiste, contactez le service."
		generic      = "La connexion avec FranceConnect n’a pas abouti. Veuillez réessayer."
		logout       = "Votre déconnexion de FranceConnect n’a pas pu être vérifiée. Vous êtes bien déconnecté de ce site ; fermez votre navigateur pour terminer votre session FranceConnect."
		changed      = "Les réglages de connexion de ce service ont changé pendant votre connexion. Veuillez recommencer."
		okStatus     = http.StatusOK
		badRequest   = http.StatusBadRequest
		serverError  = http.StatusInternalServerError
		unavailStatu = http.StatusServiceUnavailable
	)
	tests := []struct {
		name   string
		err    error
		want   string
		status int
	}{
		{"nil", nil, "", badRequest},
		{"cancelled", &franceconnect.CallbackError{Code: "access_denied", Description: "User auth aborted"}, cancelled, okStatus},
		{"expired", fmt.Errorf("%w: x", franceconnect.ErrTransactionExpired), expired, badRequest},
		{"code used", &franceconnect.ProviderError{Endpoint: "token", StatusCode: 400, Code: "invalid_grant"}, expired, badRequest},
		{"no transaction", franceconnect.ErrNoTransaction, unknown, badRequest},
		{"wrong state", fmt.Errorf("%w: secret detail", franceconnect.ErrStateMismatch), unknown, badRequest},
		{"invalid transaction", fmt.Errorf("%w: secret detail", franceconnect.ErrInvalidTransaction), unknown, badRequest},
		{"tenant changed", franceconnect.ErrRegistrationChanged, changed, badRequest},
		{"unavailable", &franceconnect.ProviderError{Endpoint: "token", StatusCode: 503}, unavailable, unavailStatu},
		{"timeout", fmt.Errorf("%w: token endpoint: timed out", franceconnect.ErrProviderUnavailable), unavailable, unavailStatu},
		{"malformed token", fmt.Errorf("%w: secret detail", franceconnect.ErrMalformedToken), generic, badRequest},
		{"nonce", fmt.Errorf("%w: secret detail", franceconnect.ErrNonceMismatch), generic, badRequest},
		{"other FC error", &franceconnect.CallbackError{Code: "invalid_acr", Description: "secret detail"}, generic, badRequest},
		{"config", franceconnect.ErrConfig, misconfig, serverError},
		{"wrong secret", &franceconnect.ProviderError{Endpoint: "token", StatusCode: 401, Code: "invalid_client"}, misconfig, serverError},
		{"logout", fmt.Errorf("%w: %w", franceconnect.ErrLogout, franceconnect.ErrStateMismatch), logout, badRequest},
		{"logout expired", fmt.Errorf("%w: %w", franceconnect.ErrLogout, franceconnect.ErrTransactionExpired), logout, badRequest},
		{"anything", errors.New("secret detail"), generic, badRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := franceconnect.UserMessage(tt.err)
			assert.Equal(t, tt.want, got)
			assert.NotContains(t, got, "secret")
			if tt.err != nil {
				assert.Equal(t, tt.status, franceconnect.StatusCode(tt.err))
			}
		})
	}
}

// Failed logins are logged at the level of their cause, with the Y-code,
// and nothing else is logged above debug.
func TestFailureLogLevels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		fault fctest.Fault
		level string
		extra string
	}{
		{fctest.CallbackAccessDenied, "level=INFO", "access_denied"},
		{fctest.TokenUnauthorized, "level=ERROR", "y_code=Y0434A7B"},
		{fctest.TokenServerError, "level=WARN", ""},
		{fctest.IDTokenUnknownKid, "level=WARN", "unknown key"},
		{fctest.IDTokenBadSignature, "level=WARN", "signature"},
	}
	for _, tt := range tests {
		var logs bytes.Buffer
		srv, c := mockSetup(t, "ES256", func(cfg *franceconnect.Config) {
			cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
		})
		req, err := c.AuthCodeURL(franceconnect.AuthOptions{})
		if !assert.NoError(t, err) {
			continue
		}
		srv.Inject(tt.fault)
		cb, err := srv.Login(req.URL, fctest.DefaultUser)
		if !assert.NoError(t, err) {
			continue
		}
		_, err = c.Exchange(context.Background(), req, mustURL(t, cb).Query())
		assert.Error(t, err)
		assert.Contains(t, logs.String(), tt.level, "%v: %s", tt.fault, logs.String())
		assert.Contains(t, logs.String(), tt.extra, "%v", tt.fault)
	}
}
