package franceconnect

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestProviderErrorYCode(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "Y049E20B", yCode("https://docs.partenaires.franceconnect.gouv.fr/fs/fs-technique/fs-technique-erreurs/?code=Y049E20B&id=abc"))
	assert.Equal(t, "", yCode("https://x/?code=<script>"))
	assert.Equal(t, "", yCode(":bad"))
	pe := &ProviderError{Endpoint: "token", StatusCode: 400, Code: "invalid_grant", YCode: "Y049E20B"}
	assert.ErrorIs(t, pe, ErrInvalidGrant)
	assert.NotErrorIs(t, pe, ErrProviderUnavailable)
	assert.Contains(t, pe.Error(), "Y049E20B")
	assert.ErrorIs(t, &ProviderError{Endpoint: "token", StatusCode: 401, Code: "invalid_client"}, ErrInvalidClient)
	assert.ErrorIs(t, &ProviderError{Endpoint: "userinfo", StatusCode: 502}, ErrProviderUnavailable)
	assert.ErrorIs(t, &ProviderError{Endpoint: "token", StatusCode: 200, Description: "no id_token in the token response"}, ErrProviderUnavailable)
	assert.NotErrorIs(t, &ProviderError{Endpoint: "userinfo", StatusCode: 401, Code: "invalid_token"}, ErrProviderUnavailable)
}

// A registration changed by an administrator reads as what it is, not as
// an attack on the state.
func TestRegistrationChangedIsNoStateMismatch(t *testing.T) {
	t.Parallel()
	assert.NotErrorIs(t, ErrRegistrationChanged, ErrStateMismatch)
	assert.NotContains(t, ErrRegistrationChanged.Error(), "state")
	assert.Contains(t, ErrRegistrationChanged.Error(), "settings changed")
	assert.Equal(t, msgChanged, UserMessage(ErrRegistrationChanged))
}
