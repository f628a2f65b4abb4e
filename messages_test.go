package franceconnect_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/franceconnect-go/franceconnect"
)

func TestUserMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"cancelled", &franceconnect.CallbackError{Code: "access_denied", Description: "User auth aborted"}, "Vous avez annulé la connexion avec FranceConnect."},
		{"expired", fmt.Errorf("%w: x", franceconnect.ErrTransactionExpired), "Votre demande de connexion a expiré. Veuillez recommencer."},
		{"no transaction", franceconnect.ErrNoTransaction, "Votre demande de connexion a expiré. Veuillez recommencer."},
		{"code used", &franceconnect.ProviderError{Endpoint: "token", StatusCode: 400, Code: "invalid_grant"}, "Votre demande de connexion a expiré. Veuillez recommencer."},
		{"unavailable", &franceconnect.ProviderError{Endpoint: "token", StatusCode: 503}, "FranceConnect est momentanément indisponible. Veuillez réessayer dans quelques instants."},
		{"timeout", fmt.Errorf("%w: token endpoint: timed out", franceconnect.ErrProviderUnavailable), "FranceConnect est momentanément indisponible. Veuillez réessayer dans quelques instants."},
		{"invalid transaction", fmt.Errorf("%w: secret detail", franceconnect.ErrInvalidTransaction), "La connexion avec FranceConnect n’a pas abouti. Veuillez réessayer."},
		{"nonce", fmt.Errorf("%w: secret detail", franceconnect.ErrNonceMismatch), "La connexion avec FranceConnect n’a pas abouti. Veuillez réessayer."},
		{"other FC error", &franceconnect.CallbackError{Code: "invalid_acr", Description: "secret detail"}, "La connexion avec FranceConnect n’a pas abouti. Veuillez réessayer."},
		{"config", franceconnect.ErrConfig, "La connexion avec FranceConnect n’a pas abouti. Veuillez réessayer."},
		{"anything", errors.New("secret detail"), "La connexion avec FranceConnect n’a pas abouti. Veuillez réessayer."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := franceconnect.UserMessage(tt.err)
			assert.Equal(t, tt.want, got)
			assert.NotContains(t, got, "secret")
		})
	}
}
