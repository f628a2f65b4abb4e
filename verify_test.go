package franceconnect

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func ptr(s string) *string { return &s }

func date(t time.Time) numericDate { return numericDate{t: t, set: true} }

// Each check of the callback and token pipeline has a table: a passing case
// and the failing ones, each with the error it must wrap.
func TestChecks(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_800_000_000, 0)
	skew := 30 * time.Second
	const iss = "https://oidc.franceconnect.gouv.fr/api/v2"
	accessToken := "access-token-value"

	tests := []struct {
		name string
		err  error
		want error // nil: must pass
	}{
		{"issuer ok", checkIssClaim(ptr(iss), iss), nil},
		{"issuer other", checkIssClaim(ptr("https://evil.example/api/v2"), iss), ErrIssuerMismatch},
		{"issuer trailing slash", checkIssClaim(ptr(iss+"/"), iss), ErrIssuerMismatch},
		{"issuer missing", checkIssClaim(nil, iss), ErrIssuerMismatch},

		{"aud ok", checkAudience([]string{"client"}, "", "client"), nil},
		{"aud ok azp", checkAudience([]string{"client"}, "client", "client"), nil},
		{"aud other", checkAudience([]string{"other"}, "", "client"), ErrAudienceMismatch},
		{"aud extra untrusted", checkAudience([]string{"client", "https://evil.example"}, "", "client"), ErrAudienceMismatch},
		{"aud missing", checkAudience(nil, "", "client"), ErrAudienceMismatch},
		{"azp other", checkAudience([]string{"client"}, "other", "client"), ErrAudienceMismatch},

		{"exp ok", checkExpiry(date(now.Add(time.Minute)), now, skew), nil},
		{"exp within skew", checkExpiry(date(now.Add(-10*time.Second)), now, skew), nil},
		{"exp past", checkExpiry(date(now.Add(-time.Minute)), now, skew), ErrTokenExpired},
		{"exp missing", checkExpiry(numericDate{}, now, skew), ErrMissingClaim},

		{"iat ok", checkIssuedAt(date(now), now, skew), nil},
		{"iat within skew", checkIssuedAt(date(now.Add(20*time.Second)), now, skew), nil},
		{"iat future", checkIssuedAt(date(now.Add(10*time.Minute)), now, skew), ErrIssuedAt},
		{"iat far past", checkIssuedAt(date(now.Add(-time.Hour)), now, skew), ErrIssuedAt},
		{"iat missing", checkIssuedAt(numericDate{}, now, skew), ErrMissingClaim},

		{"nonce ok", checkNonce(ptr("n0nce-n0nce-n0nce-n0nce"), "n0nce-n0nce-n0nce-n0nce"), nil},
		{"nonce other", checkNonce(ptr("other"), "n0nce-n0nce-n0nce-n0nce"), ErrNonceMismatch},
		{"nonce missing", checkNonce(nil, "n0nce"), ErrNonceMismatch},
		{"nonce empty", checkNonce(ptr(""), ""), ErrNonceMismatch},

		{"acr equal", checkACR(ptr("eidas1"), EIDAS1), nil},
		{"acr higher", checkACR(ptr("eidas3"), EIDAS2), nil},
		{"acr lower", checkACR(ptr("eidas1"), EIDAS2), ErrACRTooLow},
		{"acr unknown", checkACR(ptr("eidas0"), EIDAS1), ErrACRTooLow},
		{"acr missing", checkACR(nil, EIDAS1), ErrACRTooLow},

		{"sub ok", checkSubject(strings.Repeat("a", 64) + "v1"), nil},
		{"sub missing", checkSubject(""), ErrMissingClaim},
		{"sub huge", checkSubject(strings.Repeat("a", 5000)), ErrMalformedToken},

		{"at_hash absent", checkAccessTokenHash("", accessToken), nil},
		{"at_hash ok", checkAccessTokenHash(atHash(accessToken), accessToken), nil},
		{"at_hash wrong", checkAccessTokenHash(atHash("other"), accessToken), ErrAccessTokenHash},

		{"same sub", checkSameSubject("abc", "abc"), nil},
		{"other sub", checkSameSubject("abd", "abc"), ErrSubjectMismatch},
		{"no sub", checkSameSubject("", "abc"), ErrSubjectMismatch},

		{"shape ok", checkTokenShape("a.b.c", 3), nil},
		{"shape empty", checkTokenShape("", 3), ErrMalformedToken},
		{"shape dots", checkTokenShape(strings.Repeat(".", 1<<20), 3), ErrMalformedToken},
		{"shape parts", checkTokenShape("a.b.c.d.e", 3), ErrMalformedToken},
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

// atHash computes at_hash independently of checkAccessTokenHash.
func atHash(token string) string {
	h := sha256.New()
	h.Write([]byte(token))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:16])
}

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
