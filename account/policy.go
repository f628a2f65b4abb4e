package account

import (
	"fmt"
	"slices"
	"strings"

	"github.com/franceconnect-go/franceconnect"
)

// AgentPolicy restricts a service to some agents, which ProConnect leaves
// to each service: it logs in anyone its identity providers vouch for.
// Each non-empty list is a condition that must hold (an agent must match
// one entry of every list set); the zero AgentPolicy allows everyone.
// Request the scopes the lists need (siret, idp_id, email): a claim that
// did not come matches no entry.
type AgentPolicy struct {
	// SIRETs are the establishments allowed.
	SIRETs []string
	// EmailDomains are the e-mail domains allowed, compared without case:
	// "interieur.gouv.fr" allows that domain only, ".gouv.fr" (a leading
	// dot) allows every domain under gouv.fr.
	EmailDomains []string
	// IDPIDs are the identity providers allowed (Agent.IDPID).
	IDPIDs []string
	// Roles are the roles allowed: the agent needs one of them.
	Roles []string
}

// Allow returns nil if a satisfies every condition of p, or an error
// wrapping franceconnect.ErrAgentNotAllowed that names the condition (never the
// agent's value).
func (p AgentPolicy) Allow(a *franceconnect.Agent) error {
	if a == nil {
		return fmt.Errorf("%w: no agent", franceconnect.ErrAgentNotAllowed)
	}
	switch {
	case len(p.SIRETs) > 0 && !listed(p.SIRETs, a.SIRET):
		return fmt.Errorf("%w: SIRET not allowed", franceconnect.ErrAgentNotAllowed)
	case len(p.EmailDomains) > 0 && !slices.ContainsFunc(p.EmailDomains, func(d string) bool { return emailInDomain(a.Email, d) }):
		return fmt.Errorf("%w: e-mail domain not allowed", franceconnect.ErrAgentNotAllowed)
	case len(p.IDPIDs) > 0 && !listed(p.IDPIDs, a.IDPID):
		return fmt.Errorf("%w: identity provider not allowed", franceconnect.ErrAgentNotAllowed)
	case len(p.Roles) > 0 && !slices.ContainsFunc(a.Roles, func(r string) bool { return listed(p.Roles, r) }):
		return fmt.Errorf("%w: no allowed role", franceconnect.ErrAgentNotAllowed)
	}
	return nil
}

// listed reports whether v is a non-empty entry of list: an empty entry
// (a blank setting) allows nobody.
func listed(list []string, v string) bool { return v != "" && slices.Contains(list, v) }

// emailInDomain reports whether email's domain is domain, or under it
// when domain starts with a dot.
func emailInDomain(email, domain string) bool {
	at := strings.LastIndexByte(email, '@')
	if at < 0 || domain == "" || domain == "." {
		return false
	}
	got, want := strings.ToLower(email[at+1:]), strings.ToLower(domain)
	if strings.HasPrefix(want, ".") {
		return strings.HasSuffix(got, want)
	}
	return got == want
}
