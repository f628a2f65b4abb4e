package franceconnect

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
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
	checkLadder := func(got *string, min ACR) error {
		_, err := (&Client{floor: min}).checkLevel(got)
		return err
	}
	declared := &Client{cfg: Config{ACRValues: []ACR{"eidas1-new", EIDAS1MFA}, Levels: []Level{{ACR: "eidas1-new", Rank: 1, MFA: true}}}}
	checkSet := func(got *string) error {
		_, err := declared.checkLevel(got)
		return err
	}

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
		{"exp missing", checkExpiry(numericDate{}, now, skew), ErrMalformedToken},

		{"iat ok", checkIssuedAt(date(now), now, skew), nil},
		{"iat within skew", checkIssuedAt(date(now.Add(20*time.Second)), now, skew), nil},
		{"iat future", checkIssuedAt(date(now.Add(10*time.Minute)), now, skew), ErrIssuedAt},
		{"iat far past", checkIssuedAt(date(now.Add(-time.Hour)), now, skew), ErrIssuedAt},
		{"iat missing", checkIssuedAt(numericDate{}, now, skew), ErrMalformedToken},

		{"nonce ok", checkNonce(ptr("n0nce-n0nce-n0nce-n0nce"), "n0nce-n0nce-n0nce-n0nce"), nil},
		{"nonce other", checkNonce(ptr("other"), "n0nce-n0nce-n0nce-n0nce"), ErrNonceMismatch},
		{"nonce missing", checkNonce(nil, "n0nce"), ErrNonceMismatch},
		{"nonce empty", checkNonce(ptr(""), ""), ErrNonceMismatch},

		{"acr equal", checkLadder(ptr("eidas1"), EIDAS1), nil},
		{"acr higher", checkLadder(ptr("eidas3"), EIDAS2), nil},
		{"acr lower", checkLadder(ptr("eidas1"), EIDAS2), ErrACRTooLow},
		{"acr unknown", checkLadder(ptr("eidas0"), EIDAS1), ErrACRTooLow},
		{"acr off the table", checkLadder(ptr("eidas9"), EIDAS1), ErrACRUnknown},
		{"acr missing", checkLadder(nil, EIDAS1), ErrACRTooLow},
		{"acr declared", checkSet(ptr("eidas1-new")), nil},
		{"acr built in", checkSet(ptr("eidas1-mfa")), nil},
		{"acr known, not accepted", checkSet(ptr("eidas1")), ErrACRRefused},
		{"acr declared nowhere", checkSet(ptr("eidas1-newer")), ErrACRUnknown},
		{"acr missing from a set", checkSet(nil), ErrACRRefused},

		{"sub ok", checkSubject(strings.Repeat("a", 64) + "v1"), nil},
		{"sub missing", checkSubject(""), ErrMalformedToken},
		{"sub huge", checkSubject(strings.Repeat("a", 5000)), ErrMalformedToken},

		{"at_hash absent", checkAccessTokenHash("", accessToken), nil},
		{"at_hash ok", checkAccessTokenHash(atHash(accessToken), accessToken), nil},
		{"at_hash wrong", checkAccessTokenHash(atHash("other"), accessToken), ErrSignature},

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

// Claim names are exact and a claim given twice is refused, in the ID
// token and in the signed userinfo, with real signatures.
func TestClaimNamesExactAndUnique(t *testing.T) {
	t.Parallel()
	fx := fuzzSetup()
	ctx := context.Background()
	// withRaw appends members to a valid claim set, spelled as given.
	withRaw := func(m map[string]any, drop string, members string) []byte {
		b := claimsWith(m, drop, nil)
		return append(b[:len(b)-1], []byte(","+members+"}")...)
	}
	idTokens := []struct {
		name    string
		payload []byte
		want    error
	}{
		{"valid", fuzzJSON(fuzzIDClaims()), nil},
		{"iss twice", withRaw(fuzzIDClaims(), "", `"iss":"`+fuzzIssuer+`"`), ErrMalformedToken},
		{"nonce twice", withRaw(fuzzIDClaims(), "", `"nonce":"`+fuzzNonce+`"`), ErrMalformedToken},
		{"ISS for iss", withRaw(fuzzIDClaims(), "iss", `"ISS":"`+fuzzIssuer+`"`), ErrIssuerMismatch},
		{"Nonce for nonce", withRaw(fuzzIDClaims(), "nonce", `"Nonce":"`+fuzzNonce+`"`), ErrNonceMismatch},
		{"ACR for acr", withRaw(fuzzIDClaims(), "acr", `"ACR":"eidas1"`), ErrACRTooLow},
		{"escaped name", withRaw(fuzzIDClaims(), "sub", `"s\u0075b":"`+fuzzSub+`"`), nil}, // the same name, escaped
		{"long s for sub", withRaw(fuzzIDClaims(), "sub", `"ſub":"`+fuzzSub+`"`), ErrMalformedToken},
		{"not an object", []byte(`[1]`), ErrMalformedToken},
		{"null", []byte(`null`), ErrMalformedToken},
	}
	userInfos := []struct {
		name    string
		payload []byte
		want    error
	}{
		{"valid", fuzzJSON(fuzzUserInfoClaims()), nil},
		{"sub twice", withRaw(fuzzUserInfoClaims(), "", `"sub":"other"`), ErrMalformedToken},
		{"aud twice", withRaw(fuzzUserInfoClaims(), "", `"aud":"`+fuzzClientID+`"`), ErrMalformedToken},
		{"SUB for sub", withRaw(fuzzUserInfoClaims(), "sub", `"SUB":"`+fuzzSub+`"`), ErrSubjectMismatch},
		{"Family_Name", withRaw(fuzzUserInfoClaims(), "family_name", `"Family_Name":"X"`), nil},
	}
	fx.p.mu.Lock()
	defer fx.p.mu.Unlock()
	for _, tt := range idTokens {
		_, err := fx.c.verifyIDToken(ctx, fx.p.sign(fuzzES256Header, tt.payload), fx.req, fuzzAccess)
		if tt.want == nil {
			assert.NoError(t, err, tt.name)
		} else {
			assert.ErrorIs(t, err, tt.want, tt.name)
		}
	}
	for _, tt := range userInfos {
		id, err := fx.c.userInfoIdentity(ctx, fx.p.sign(fuzzES256Header, tt.payload), fuzzSub)
		if tt.want != nil {
			assert.ErrorIs(t, err, tt.want, tt.name)
			continue
		}
		if assert.NoError(t, err, tt.name) && tt.name == "Family_Name" {
			assert.Empty(t, id.FamilyName, "Family_Name is not family_name")
		}
	}
}

// userInfoIdentity verifies a userinfo JWT and decodes its identity, as
// Exchange does on FranceConnect.
func (c *Client) userInfoIdentity(ctx context.Context, raw, subject string) (*Identity, error) {
	u := &identityUserInfo{}
	claims, err := c.verifyUserInfoJWT(ctx, raw, subject, u)
	if err != nil {
		return nil, err
	}
	var res Result
	if err := u.setUser(&res, claims); err != nil {
		return nil, err
	}
	return res.Identity, nil
}
