package account_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/account"
)

func TestAgentPolicy(t *testing.T) {
	t.Parallel()
	agent := &franceconnect.Agent{Subject: "s", Email: "Jean.Martin@Interieur.Gouv.FR", SIRET: "11000201100044",
		IDPID: "idp-minint", Roles: []string{"lecteur"}}
	tests := []struct {
		name   string
		policy account.AgentPolicy
		allow  bool
	}{
		{"zero policy allows everyone", account.AgentPolicy{}, true},
		{"SIRET listed", account.AgentPolicy{SIRETs: []string{"13002526500013", "11000201100044"}}, true},
		{"SIRET not listed", account.AgentPolicy{SIRETs: []string{"13002526500013"}}, false},
		{"domain, any case", account.AgentPolicy{EmailDomains: []string{"interieur.gouv.fr"}}, true},
		{"domain is exact", account.AgentPolicy{EmailDomains: []string{"gouv.fr"}}, false},
		{"leading dot allows subdomains", account.AgentPolicy{EmailDomains: []string{".gouv.fr"}}, true},
		{"leading dot is not the domain itself", account.AgentPolicy{EmailDomains: []string{".interieur.gouv.fr"}}, false},
		{"suffix without dot does not match", account.AgentPolicy{EmailDomains: []string{"rieur.gouv.fr"}}, false},
		{"identity provider", account.AgentPolicy{IDPIDs: []string{"idp-minint"}}, true},
		{"other identity provider", account.AgentPolicy{IDPIDs: []string{"idp-other"}}, false},
		{"one role among several", account.AgentPolicy{Roles: []string{"admin", "lecteur"}}, true},
		{"no allowed role", account.AgentPolicy{Roles: []string{"admin"}}, false},
		{"every condition holds", account.AgentPolicy{SIRETs: []string{"11000201100044"}, EmailDomains: []string{".gouv.fr"}, Roles: []string{"lecteur"}}, true},
		{"one condition fails", account.AgentPolicy{SIRETs: []string{"11000201100044"}, IDPIDs: []string{"idp-other"}}, false},
	}
	for _, tt := range tests {
		err := tt.policy.Allow(agent)
		if tt.allow {
			assert.NoError(t, err, tt.name)
			continue
		}
		assert.ErrorIs(t, err, franceconnect.ErrAgentNotAllowed, tt.name)
		assert.NotContains(t, err.Error(), "1100020110004", tt.name)
		assert.NotContains(t, err.Error(), "Martin", tt.name)
	}
	assert.ErrorIs(t, account.AgentPolicy{}.Allow(nil), franceconnect.ErrAgentNotAllowed)
	noClaims := &franceconnect.Agent{Subject: "s"}
	assert.ErrorIs(t, account.AgentPolicy{EmailDomains: []string{".gouv.fr"}}.Allow(noClaims), franceconnect.ErrAgentNotAllowed, "a claim that did not come matches nothing")
	assert.ErrorIs(t, account.AgentPolicy{SIRETs: []string{""}}.Allow(noClaims), franceconnect.ErrAgentNotAllowed, "an empty entry allows nobody")
}
