package franceconnect

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// FuzzParseAgent parses arbitrary ProConnect userinfo claims: a typed
// error or an Agent the oracle agrees with, never a panic.
func FuzzParseAgent(f *testing.F) {
	for _, s := range []string{
		`{"sub":"s","given_name":"Jean","usual_name":"MARTIN","email":"jean.martin@interieur.gouv.fr","uid":"u","siret":"11000201100044","siren":"110002011","idp_id":"i","organization_label":"O","roles":["a","b"],"belonging_population":"agent","custom":{"k":[1,{"x":null}]}}`,
		`{"sub":"s","siret":"35600000049837"}`,
		`{"sub":"s","siret":"35600000049838"}`,
		`{"sub":"s","siret":"３５６00000049837"}`,
		`{"sub":"s","siret":11000201100044}`,
		`{"sub":"s","roles":"admin","belonging_population":["agent",1]}`,
		`{"sub":"s","email":"a@b","sub":"t"}`,
		`{"SUB":"s"}`,
		`{"sub":""}`,
		`[]`, `null`, ``, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, claims []byte) {
		a, err := parseAgent(claims)
		requireDocumentedError(t, err, ErrInvalidIdentity)
		if err == nil {
			if oerr := oracleAgent(claims, a); oerr != nil {
				t.Fatalf("ParseAgent accepted what the oracle refuses: %v", oerr)
			}
		}
	})
}

// oracleAgent checks a parsed Agent against the claims, independently of
// ParseAgent: exact member names, the string claims as sent, and the
// SIRET and SIREN checksums recomputed here.
func oracleAgent(claims []byte, a *Agent) error {
	m, ok := exactObject(claims)
	if !ok {
		return errors.New("claims are not an object")
	}
	for name, got := range map[string]string{
		"sub": a.Subject, "given_name": a.GivenName, "usual_name": a.UsualName, "email": a.Email, "uid": a.UID,
		"siret": a.SIRET, "siren": a.SIREN, "idp_id": a.IDPID, "organization_label": a.OrganizationLabel,
	} {
		if want, _ := exactString(m, name); want != got {
			return fmt.Errorf("%s %q, parsed %q", name, want, got)
		}
	}
	if a.Subject == "" {
		return errors.New("empty sub accepted")
	}
	if a.SIRET != "" && !oracleSIRET(a.SIRET) {
		return fmt.Errorf("siret %q accepted", a.SIRET)
	}
	if a.SIREN != "" && (len(a.SIREN) != 9 || oracleLuhnSum(a.SIREN)%10 != 0) {
		return fmt.Errorf("siren %q accepted", a.SIREN)
	}
	if a.Email != "" && !strings.Contains(a.Email, "@") {
		return fmt.Errorf("email %q accepted", a.Email)
	}
	var roles any
	if raw, ok := m["roles"]; ok && json.Unmarshal(raw, &roles) == nil {
		if s, isString := roles.(string); isString && (len(a.Roles) != 1 || a.Roles[0] != s) {
			return fmt.Errorf("roles %q, parsed %q", s, a.Roles)
		}
	}
	return nil
}

// oracleSIRET: 14 ASCII digits, Luhn, or La Poste's sum rule.
func oracleSIRET(s string) bool {
	if len(s) != 14 || strings.Trim(s, "0123456789") != "" {
		return false
	}
	sum := 0
	for _, c := range s {
		sum += int(c - '0')
	}
	return oracleLuhnSum(s)%10 == 0 || strings.HasPrefix(s, "356000000") && sum%5 == 0
}

// oracleLuhnSum is the Luhn sum, doubling from the left for odd lengths
// as the textbook states it from the right.
func oracleLuhnSum(s string) int {
	doubled := [10]int{0, 2, 4, 6, 8, 1, 3, 5, 7, 9}
	sum := 0
	for i, c := range s {
		d := int(c - '0')
		if (len(s)-i)%2 == 0 {
			d = doubled[d]
		}
		sum += d
	}
	return sum
}
