package franceconnect

// Fuzz targets for everything that reads bytes from the network or the
// browser: the callback query, the ID token, userinfo (JWT and claims),
// discovery, and the whole token+userinfo exchange. Each target checks two
// invariants on every input: no panic, and either an error of a documented
// type (a sentinel of this package, a *CallbackError or a *ProviderError)
// or a success that an independent oracle, written here without the
// library's helpers, agrees is valid.
//
// The provider is an http.RoundTripper (no sockets): a fixed ES256 key
// (deterministic, so that a crasher signed with it reproduces), its JWKS,
// and token/userinfo answers set per input. Run one target with e.g.
//
//	go test -run='^$' -fuzz='^FuzzVerifyIDToken$' -fuzztime=30s .

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-jose/go-jose/v4"
)

// FuzzCallbackQuery runs the callback checks on arbitrary query strings,
// then the whole Exchange: when a check refuses the callback, the token
// endpoint must not have been called; when they all pass, the query
// really carries one state equal to the request's, the issuer and a code.
func FuzzCallbackQuery(f *testing.F) {
	fx := fuzzSetup()
	iss := url.QueryEscape(fuzzIssuer)
	for _, s := range []string{
		"code=abc&state=" + fuzzState + "&iss=" + iss,
		"code=abc&state=" + fuzzState + "&iss=" + fuzzIssuer,
		"state=" + fuzzState + "&iss=" + iss,
		"code=abc&state=" + fuzzState + "&state=" + fuzzState + "&iss=" + iss,
		"code=abc&state=" + fuzzState + "&iss=" + iss + "&iss=" + iss,
		"code=abc&state=" + fuzzState + "&iss=" + iss + "%2F",
		"code=abc&STATE=" + fuzzState + "&iss=" + iss,
		"code=abc&state=" + fuzzState[:len(fuzzState)-1] + "&iss=" + iss,
		"code=abc&state=" + fuzzState + "%00&iss=" + iss,
		"code=abc&state=" + fuzzState + ";iss=" + iss,
		"code=" + strings.Repeat("c", maxClaimLen+1) + "&state=" + fuzzState + "&iss=" + iss,
		"code=&code=abc&state=" + fuzzState + "&iss=" + iss,
		"error=access_denied&error_description=User+auth+aborted&state=" + fuzzState + "&iss=" + iss,
		"error=access_denied&error_description=%0d%0aforged: log line%1b[31m&state=" + fuzzState,
		"error=" + strings.Repeat("%ff", 300) + "&error_description=" + strings.Repeat("é", 500),
		"error=%E2%80%AEevil&error_description=%F0%9F%92%A5",
		"error=&code=abc&state=" + fuzzState + "&iss=" + iss,
		"%zz=1&code=abc&state=" + fuzzState + "&iss=" + iss,
		"code=abc&state=" + fuzzState + "&iss=https%3A%2F%2Fevil.example%2Fapi%2Fv2",
		"code=abc&state=" + fuzzState + "&iss=https%3a%2f%2ffc.fuzz.example%2fapi%2fv2",
		strings.Repeat("&", 200) + "code=abc",
		strings.Repeat("a=b&", 100),
		"",
		"?",
		"=",
		"state",
		"\u202e=\u202e",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, _ := url.ParseQuery(raw) // as r.URL.Query() does, errors ignored

		// Step by step, with the oracle beside each check.
		cbErr := checkCallbackError(q, "")
		requireDocumentedError(t, cbErr, errAnyCallbackError)
		if (cbErr != nil) != (q.Get("error") != "") {
			t.Fatalf("error parameter %q, checkCallbackError %v", q.Get("error"), cbErr)
		}
		var ce *CallbackError
		if errors.As(cbErr, &ce) {
			for _, s := range []string{ce.Code, ce.Description} {
				if !utf8.ValidString(s) || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
					t.Fatalf("unsafe text from the callback kept: %q", s)
				}
			}
			if len(ce.Code) > 64 || len(ce.Description) > maxDescription {
				t.Fatalf("callback error text not bounded: %d, %d bytes", len(ce.Code), len(ce.Description))
			}
		}

		stErr := checkState(q, fuzzState, "callback", "login")
		requireDocumentedError(t, stErr, ErrStateMismatch)
		if stateOK := len(q["state"]) == 1 && q["state"][0] == fuzzState; stateOK != (stErr == nil) {
			t.Fatalf("state %q: checkState %v", q["state"], stErr)
		}

		issErr := checkIssuerParam(q, fx.c.cfg.Environment.Issuer, false)
		requireDocumentedError(t, issErr, ErrIssuerMismatch)
		if issOK := len(q["iss"]) == 1 && q["iss"][0] == fuzzIssuer; issOK != (issErr == nil) {
			t.Fatalf("iss %q: checkIssuerParam %v", q["iss"], issErr)
		}
		v1Err := checkIssuerParam(q, ProductionV1.Issuer, true)
		requireDocumentedError(t, v1Err, ErrIssuerMismatch)
		if v1OK := q["iss"] == nil || len(q["iss"]) == 1 && q["iss"][0] == ProductionV1.Issuer; v1OK != (v1Err == nil) {
			t.Fatalf("v1 iss %q: checkIssuerParam %v", q["iss"], v1Err)
		}

		code, codeErr := callbackCode(q)
		requireDocumentedError(t, codeErr, ErrMissingCode)
		if codeErr == nil && (code == "" || code != q.Get("code") || len(code) > maxClaimLen) {
			t.Fatalf("code %q accepted from %q", code, q.Get("code"))
		}

		// The whole pipeline: the token endpoint refuses every code, so a
		// callback that passes its checks ends with ErrInvalidGrant.
		fx.p.mu.Lock()
		defer fx.p.mu.Unlock()
		fx.p.tokenStatus = http.StatusBadRequest
		fx.p.tokenBody = []byte(`{"error":"invalid_grant","error_description":"grant request is invalid"}`)
		before := fx.p.tokenCalls.Load()
		res, err := fx.c.Exchange(fuzzCtx(t), fx.req, q)
		if res != nil || err == nil {
			t.Fatal("a refused code gave a login")
		}
		requireDocumentedError(t, err)
		called := fx.p.tokenCalls.Load() != before
		passed := cbErr == nil && stErr == nil && issErr == nil && codeErr == nil
		if called != passed {
			t.Fatalf("checks passed=%v but token endpoint called=%v (err %v)", passed, called, err)
		}
		if passed && !errors.Is(err, ErrInvalidGrant) {
			t.Fatalf("want ErrInvalidGrant from the token endpoint, got %v", err)
		}
		if vErr := fx.c.VerifyLogout(&LogoutRequest{State: fuzzState, Expiry: fuzzNow.Add(time.Minute)}, q); (vErr == nil) != (stErr == nil) {
			t.Fatalf("VerifyLogout %v, checkState %v", vErr, stErr)
		}
	})
}

// verifyAndCheck runs the ID token verification and the oracle.
func verifyAndCheck(t *testing.T, fx *fuzzFixture, raw string) {
	t.Helper()
	fx.p.mu.Lock()
	defer fx.p.mu.Unlock()
	claims, err := fx.c.verifyIDToken(fuzzCtx(t), raw, fx.req, fuzzAccess)
	requireDocumentedError(t, err)
	if err != nil {
		if claims != nil {
			t.Fatal("claims returned with an error")
		}
		return
	}
	payload, oerr := oracleJWS(fx.p, raw)
	if oerr != nil {
		t.Fatalf("accepted an ID token the oracle refuses: %v", oerr)
	}
	if oerr := oracleIDToken(payload, fuzzAccess); oerr != nil {
		t.Fatalf("accepted ID token claims the oracle refuses: %v\n%s", oerr, payload)
	}
	m, _ := exactObject(payload)
	if sub, _ := exactString(m, "sub"); claims.Subject != sub || claims.Issuer != fuzzIssuer || !claims.ACR.AtLeast(EIDAS1) {
		t.Fatalf("returned claims differ from the token: %+v", claims)
	}
}

// FuzzVerifyIDToken verifies arbitrary raw ID tokens (and the same string
// as a userinfo JWT). Only the seed signed with the fixture key can pass;
// everything the fuzzer derives from it must be refused with a typed error.
func FuzzVerifyIDToken(f *testing.F) {
	fx := fuzzSetup()
	for _, tok := range pathologicalTokens(fx.p) {
		f.Add(tok)
	}
	for _, h := range pathologicalHeaders() {
		f.Add(fuzzB64(h) + "." + fuzzB64(fuzzJSON(fuzzIDClaims())) + ".c2ln")
	}
	f.Fuzz(func(t *testing.T, raw string) {
		verifyAndCheck(t, fx, raw)

		fx.p.mu.Lock()
		defer fx.p.mu.Unlock()
		id, err := fx.c.userInfoIdentity(fuzzCtx(t), raw, fuzzSub)
		requireDocumentedError(t, err)
		if err == nil {
			p, oerr := oracleJWS(fx.p, strings.TrimSpace(raw))
			if oerr == nil {
				oerr = oracleUserInfoJWT(p, fuzzSub)
			}
			if oerr != nil {
				t.Fatalf("accepted a userinfo JWT the oracle refuses: %v", oerr)
			}
			if !bytes.Equal(p, id.raw) {
				t.Fatal("payload differs from the signed one")
			}
		}
	})
}

// FuzzIDTokenClaims signs arbitrary headers and claims with the provider's
// real key: the signature is valid, so everything else (header tricks,
// claim types, duplicates, case, times, audiences) is on trial.
func FuzzIDTokenClaims(f *testing.F) {
	fx := fuzzSetup()
	good := fuzzIDClaims()
	now := fuzzNow.Unix()
	payloads := [][]byte{
		fuzzJSON(good),
		claimsWith(good, "at_hash", func() string { s := sha256.Sum256([]byte(fuzzAccess)); return fuzzB64(s[:16]) }()),
		claimsWith(good, "at_hash", "AAAAAAAAAAAAAAAAAAAAAA"),
		claimsWith(good, "at_hash", 42),
		claimsWith(good, "aud", []string{fuzzClientID}),
		claimsWith(good, "aud", []string{fuzzClientID, "https://evil.example"}),
		claimsWith(good, "aud", []string{}),
		claimsWith(good, "aud", 42),
		claimsWith(good, "aud", []any{fuzzClientID, 42}),
		claimsWith(good, "azp", "someone-else"),
		claimsWith(good, "azp", fuzzClientID),
		claimsWith(good, "iss", nil),
		claimsWith(good, "iss", fuzzIssuer+"/"),
		claimsWith(good, "iss", []string{fuzzIssuer}),
		claimsWith(good, "sub", nil),
		claimsWith(good, "sub", ""),
		claimsWith(good, "sub", 12345),
		claimsWith(good, "sub", strings.Repeat("s", 5000)),
		claimsWith(good, "exp", nil),
		claimsWith(good, "exp", "1800000060"),
		claimsWith(good, "exp", now-3600),
		claimsWith(good, "exp", 1e300),
		claimsWith(good, "exp", -1),
		claimsWith(good, "exp", float64(now)+0.5),
		claimsWith(good, "iat", nil),
		claimsWith(good, "iat", now+3600),
		claimsWith(good, "iat", now-3600),
		claimsWith(good, "iat", 0),
		claimsWith(good, "nonce", nil),
		claimsWith(good, "nonce", ""),
		claimsWith(good, "nonce", fuzzNonce+" "),
		claimsWith(good, "nonce", []string{fuzzNonce}),
		claimsWith(good, "acr", nil),
		claimsWith(good, "acr", "eidas0"),
		claimsWith(good, "acr", "EIDAS1"),
		claimsWith(good, "acr", "eidas3"),
		claimsWith(good, "amr", "pwd"),
		claimsWith(good, "amr", []any{1, 2}),
		claimsWith(good, "auth_time", "yesterday"),
		claimsWith(good, "extra", map[string]any{"a": map[string]any{"b": []any{[]any{[]any{}}}}}),
		[]byte(strings.Replace(string(fuzzJSON(good)), `"iss"`, `"ISS"`, 1)),
		[]byte(strings.Replace(string(fuzzJSON(good)), `"sub"`, `"Sub"`, 1)),
		[]byte(strings.Replace(string(fuzzJSON(good)), `"nonce"`, `"NONCE"`, 1)),
		[]byte(strings.Replace(string(fuzzJSON(good)), `{`, `{"iss":"https://evil.example/api/v2",`, 1)),
		[]byte(strings.Replace(string(fuzzJSON(good)), `}`, `,"iss":"https://evil.example/api/v2"}`, 1)),
		[]byte(strings.Replace(string(fuzzJSON(good)), `"sub":"`, `"sub":"\ud800`, 1)),
		[]byte(strings.Replace(string(fuzzJSON(good)), `"sub":"`, `"sub":"\u0000`, 1)),
		[]byte(`{"iss":` + strings.Repeat(`{"a":`, 3000) + `1` + strings.Repeat(`}`, 3000) + `}`),
		[]byte(`[` + string(fuzzJSON(good)) + `]`),
		[]byte(`null`),
		[]byte(``),
		[]byte(`{}`),
		[]byte("\xef\xbb\xbf" + string(fuzzJSON(good))),
		[]byte(string(fuzzJSON(good)) + ` {}`),
	}
	for _, p := range payloads {
		f.Add(fuzzES256Header, p)
	}
	for _, h := range pathologicalHeaders() {
		f.Add(h, fuzzJSON(good))
	}
	f.Fuzz(func(t *testing.T, header, payload []byte) {
		if len(header)+len(payload) > 3*maxTokenSize/4 {
			// Over the size limit once encoded: FuzzVerifyIDToken covers it.
			return
		}
		verifyAndCheck(t, fx, fx.p.sign(header, payload))
	})
}

// FuzzUserInfo parses arbitrary userinfo claims (ParseIdentity), and the
// same claims signed as a userinfo JWT (verifyUserInfoJWT then
// ParseIdentity, as Exchange does).
func FuzzUserInfo(f *testing.F) {
	fx := fuzzSetup()
	good := fuzzUserInfoClaims()
	for _, p := range [][]byte{
		fuzzJSON(good),
		claimsWith(good, "sub", nil),
		claimsWith(good, "sub", "other"),
		claimsWith(good, "birthdate", "1962-02-30"),
		claimsWith(good, "birthdate", "1962-00-00"),
		claimsWith(good, "birthdate", "+962-08-24"),
		claimsWith(good, "birthdate", "１９６２-08-24"),
		claimsWith(good, "birthdate", 19620824),
		claimsWith(good, "idp_birthdate", "1977-00-03"),
		claimsWith(good, "idp_birthdate", ""),
		claimsWith(good, "gender", "Female"),
		claimsWith(good, "gender", "unspecified"),
		claimsWith(good, "birthplace", "2A004"),
		claimsWith(good, "birthplace", "2C004"),
		claimsWith(good, "birthplace", ""),
		claimsWith(good, "birthplace", 75107),
		claimsWith(good, "birthcountry", "99134"),
		claimsWith(good, "birthcountry", "12345"),
		claimsWith(good, "email", "a@b"),
		claimsWith(good, "email", "<script>@x"),
		claimsWith(good, "email", nil),
		claimsWith(good, "given_name_array", "Angela"),
		claimsWith(good, "given_name_array", []any{"A", nil}),
		claimsWith(good, "given_name", "Zoë Anaïs \u202eD'ARTAGNAN-CŒUR"),
		claimsWith(good, "address", map[string]any{"formatted": "1 rue", "country": 1}),
		claimsWith(good, "address", "1 rue de la Paix"),
		claimsWith(good, "phone_number", "+33 1 23 45 67 89"),
		claimsWith(good, "aud", []string{fuzzClientID, "x"}),
		claimsWith(good, "iss", "https://evil.example/api/v2"),
		claimsWith(good, "exp", fuzzNow.Unix()-3600),
		claimsWith(good, "exp", nil),
		claimsWith(good, "custom", map[string]any{"deep": []any{[]any{[]any{"x"}}}}),
		[]byte(strings.Replace(string(fuzzJSON(good)), `"sub"`, `"SUB"`, 1)),
		[]byte(strings.Replace(string(fuzzJSON(good)), `"family_name"`, `"Family_Name"`, 1)),
		[]byte(strings.Replace(string(fuzzJSON(good)), `}`, `,"sub":"other"}`, 1)),
		[]byte(strings.Replace(string(fuzzJSON(good)), `"sub":"`, `"sub":"\udfff`, 1)),
		[]byte(`{"sub":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`),
		[]byte(`{"sub":"x","a":` + strings.Repeat(`"`+strings.Repeat("é", 100)+`",`, 10) + `1}`),
		[]byte(`[]`),
		[]byte(`null`),
		[]byte(`"sub"`),
		[]byte(``),
		[]byte("\xff"),
	} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, claims []byte) {
		id, err := parseIdentity(claims)
		requireDocumentedError(t, err, ErrInvalidIdentity)
		if err == nil {
			if oerr := oracleIdentity(claims, id); oerr != nil {
				t.Fatalf("ParseIdentity accepted what the oracle refuses: %v", oerr)
			}
		}
		if len(claims) > maxTokenSize/2 {
			return
		}
		fx.p.mu.Lock()
		defer fx.p.mu.Unlock()
		id, err = fx.c.userInfoIdentity(fuzzCtx(t), fx.p.sign(fuzzES256Header, claims), fuzzSub)
		requireDocumentedError(t, err)
		if err == nil {
			if oerr := oracleUserInfoJWT(id.raw, fuzzSub); oerr != nil {
				t.Fatalf("accepted userinfo the oracle refuses: %v", oerr)
			}
		}
	})
}

// FuzzExchangeResponses feeds arbitrary token and userinfo answers to a
// complete Exchange whose callback is valid. A success must carry an ID
// token and a userinfo the oracles accept, about the same subject; userinfo
// is never called after a refused ID token.
func FuzzExchangeResponses(f *testing.F) {
	fx := fuzzSetup()
	idt := fx.p.sign(fuzzES256Header, fuzzJSON(fuzzIDClaims()))
	ui := fx.p.sign(fuzzES256Header, fuzzJSON(fuzzUserInfoClaims()))
	tokenOK := func(kv ...any) []byte {
		m := map[string]any{"access_token": fuzzAccess, "token_type": "Bearer", "expires_in": 60, "id_token": idt, "scope": "openid identite_pivot"}
		return claimsWith(m, kv...)
	}
	for _, s := range []struct {
		status   int
		token    []byte
		uiType   string
		userinfo []byte
	}{
		{200, tokenOK(), "application/jwt", []byte(ui)},
		{200, tokenOK(), "application/jwt; charset=utf-8", []byte(ui + "\n")},
		{200, tokenOK(), "application/json", fuzzJSON(fuzzUserInfoClaims())},
		{200, tokenOK(), "application/jwt", fuzzJSON(fuzzUserInfoClaims())},
		{200, tokenOK(), "", []byte(ui)},
		{200, tokenOK(), "application/jwt", []byte(strings.Repeat(".", 70000))},
		{200, tokenOK("token_type", "mac"), "application/jwt", []byte(ui)},
		{200, tokenOK("token_type", nil), "application/jwt", []byte(ui)},
		{200, tokenOK("id_token", nil), "application/jwt", []byte(ui)},
		{200, tokenOK("id_token", 42), "application/jwt", []byte(ui)},
		{200, tokenOK("id_token", strings.Repeat(".", maxTokenSize+1)), "application/jwt", []byte(ui)},
		{200, tokenOK("access_token", ""), "application/jwt", []byte(ui)},
		{200, tokenOK("access_token", []string{"a"}), "application/jwt", []byte(ui)},
		{200, tokenOK("expires_in", "60"), "application/jwt", []byte(ui)},
		{200, tokenOK("expires_in", -1e300), "application/jwt", []byte(ui)},
		{200, []byte(`<html>maintenance</html>`), "application/jwt", []byte(ui)},
		{200, []byte(``), "application/jwt", []byte(ui)},
		{200, []byte(`{"access_token":`), "application/jwt", []byte(ui)},
		{400, []byte(`{"error":"invalid_grant","error_uri":"https://x/?code=Y049E20B"}`), "", nil},
		{401, []byte(`{"error":"invalid_client"}`), "", nil},
		{400, []byte(`{"error":"invalid_request","error_description":"` + strings.Repeat("\\n", 1000) + `"}`), "", nil},
		{500, []byte(`<html><body>500</body></html>`), "", nil},
		{302, nil, "", nil},
		{200, tokenOK(), "application/jwt", []byte(fx.p.sign(fuzzES256Header, claimsWith(fuzzUserInfoClaims(), "sub", "other")))},
	} {
		f.Add(s.status, s.token, s.uiType, s.userinfo)
	}
	q := url.Values{"code": {"abc"}, "state": {fuzzState}, "iss": {fuzzIssuer}}
	f.Fuzz(func(t *testing.T, status int, token []byte, uiType string, userinfo []byte) {
		if status < 100 || status > 999 {
			status = 200
		}
		fx.p.mu.Lock()
		defer fx.p.mu.Unlock()
		fx.p.tokenStatus, fx.p.tokenBody = status, token
		fx.p.userInfoType, fx.p.userInfoBody = uiType, userinfo
		uiBefore := fx.p.userInfoCalls.Load()
		res, err := fx.c.exchange(fuzzCtx(t), fx.req, q)
		requireDocumentedError(t, err)
		uiCalled := fx.p.userInfoCalls.Load() != uiBefore
		if err != nil {
			if res != nil {
				t.Fatal("result with an error")
			}
			if uiCalled && !isUserInfoFailure(err) {
				t.Fatalf("userinfo called, then an error of an earlier step: %v", err)
			}
			return
		}
		if !uiCalled {
			t.Fatal("login without userinfo")
		}
		p, oerr := oracleJWS(fx.p, res.RawIDToken)
		if oerr == nil {
			oerr = oracleIDToken(p, res.AccessToken)
		}
		if oerr != nil {
			t.Fatalf("login with an ID token the oracle refuses: %v", oerr)
		}
		up, oerr := oracleJWS(fx.p, strings.TrimSpace(string(userinfo)))
		if oerr == nil {
			oerr = oracleUserInfoJWT(up, res.IDToken.Subject)
		}
		if oerr == nil {
			oerr = oracleIdentity(up, res.Identity)
		}
		if oerr != nil {
			t.Fatalf("login with a userinfo the oracle refuses: %v", oerr)
		}
	})
}

// isUserInfoFailure reports errors that userinfo (the last step) can cause.
func isUserInfoFailure(err error) bool {
	var pe *ProviderError
	if errors.As(err, &pe) && pe.Endpoint == "userinfo" {
		return true
	}
	for _, s := range []error{ErrProviderUnavailable, ErrUserInfoFormat, ErrSubjectMismatch, ErrInvalidIdentity,
		ErrIssuerMismatch, ErrAudienceMismatch, ErrTokenExpired, ErrSignature, ErrAlgorithm,
		ErrUnknownKey, ErrMalformedToken} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// FuzzDiscovery reads arbitrary discovery documents: a typed error, or an
// environment for exactly the configured issuer with valid endpoints.
func FuzzDiscovery(f *testing.F) {
	fx := fuzzSetup()
	good := map[string]any{
		"issuer":                                fuzzIssuer,
		"authorization_endpoint":                fuzzIssuer + "/authorize",
		"token_endpoint":                        fuzzIssuer + "/token",
		"userinfo_endpoint":                     fuzzIssuer + "/userinfo",
		"end_session_endpoint":                  fuzzIssuer + "/session/end",
		"jwks_uri":                              fuzzIssuer + "/jwks",
		"id_token_signing_alg_values_supported": []string{"ES256", "RS256"},
	}
	for _, d := range [][]byte{
		fuzzJSON(good),
		claimsWith(good, "issuer", "https://evil.example/api/v2"),
		claimsWith(good, "issuer", fuzzIssuer+"/"),
		claimsWith(good, "issuer", nil),
		claimsWith(good, "issuer", 42),
		claimsWith(good, "jwks_uri", nil),
		claimsWith(good, "jwks_uri", "javascript:alert(1)"),
		claimsWith(good, "token_endpoint", "/relative"),
		claimsWith(good, "end_session_endpoint", []string{"x"}),
		claimsWith(good, "id_token_signing_alg_values_supported", "none"),
		[]byte(strings.Replace(string(fuzzJSON(good)), `"issuer"`, `"ISSUER"`, 1)),
		[]byte(`{"issuer":` + strings.Repeat("[", 10000) + `}`),
		[]byte(`<html>`),
		[]byte(``),
		[]byte(`null`),
	} {
		f.Add(d)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		fx.p.mu.Lock()
		defer fx.p.mu.Unlock()
		fx.p.discoveryBody = doc
		env, err := DiscoverEnvironment(fuzzCtx(t), FranceConnect, fuzzIssuer, fx.c.cfg.HTTPClient)
		requireDocumentedError(t, err, ErrIssuerMismatch, ErrProviderUnavailable)
		if err != nil {
			return
		}
		if env.Issuer != fuzzIssuer || env.Federation != FranceConnect {
			t.Fatalf("discovered %q %v", env.Issuer, env.Federation)
		}
		if verr := env.validate(); verr != nil {
			t.Fatalf("discovered an invalid environment: %v", verr)
		}
	})
}

// FuzzPlusToken opens arbitrary FranceConnect+ tokens (compact JWE around
// a signed JWT) as an ID token and as userinfo. A success must be a JWE of
// an accepted shape (RSA-OAEP, RSA-OAEP-256 or ECDH-ES; A256GCM; cty JWT;
// no zip, no crit; a kid of ours or none) around a JWT the oracles accept.
func FuzzPlusToken(f *testing.F) {
	fx := fuzzSetup()
	px := plusFuzzSetup()
	plusClaims := fuzzIDClaims()
	plusClaims["acr"] = "eidas2"
	inner := fx.p.sign(fuzzES256Header, fuzzJSON(plusClaims))
	innerUI := fx.p.sign(fuzzES256Header, fuzzJSON(fuzzUserInfoClaims()))
	jwt := (&jose.EncrypterOptions{}).WithContentType("JWT")
	good := px.encrypt(inner, px.ec, jose.A256GCM, jwt)
	hdr, rest, _ := strings.Cut(good, ".")
	attacker, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	for _, s := range []string{
		good,
		px.encrypt(inner, px.rs, jose.A256GCM, jwt),
		px.encrypt(innerUI, px.ec, jose.A256GCM, jwt),
		px.encrypt(inner, px.ec, jose.A256GCM, nil),                          // no cty
		px.encrypt(inner, px.ec, jose.A128CBC_HS256, jwt),                    // another enc
		px.encrypt(inner, px.ec, jose.A256GCM, jwt.WithHeader("zip", "DEF")), // declared compression
		px.encrypt(inner, px.ec, jose.A256GCM, (&jose.EncrypterOptions{Compression: jose.DEFLATE}).WithContentType("JWT")),
		px.encrypt(inner, px.ec, jose.A256GCM, jwt.WithHeader("crit", []string{"exp"})), // crit
		px.encrypt("not.a.jws.at.all", px.ec, jose.A256GCM, jwt),
		px.encrypt(fx.p.sign([]byte(`{"alg":"none"}`), fuzzJSON(plusClaims)), px.ec, jose.A256GCM, jwt),
		px.encrypt(px.encrypt(inner, px.ec, jose.A256GCM, jwt), px.ec, jose.A256GCM, jwt), // nested JWE
		px.encrypt(inner, jose.JSONWebKey{Key: attacker, KeyID: "enc-ec", Algorithm: string(jose.ECDH_ES)}, jose.A256GCM, jwt),
		inner, // a plain JWS on FranceConnect+
		fuzzB64([]byte(`{"alg":"dir","enc":"A256GCM","kid":"enc-ec","cty":"JWT"}`)) + "." + rest,
		fuzzB64([]byte(`{"alg":"PBES2-HS512+A256KW","enc":"A256GCM","p2c":2147483647,"p2s":"AAAAAAAAAAA","cty":"JWT"}`)) + ".AAAA.AAAA.AAAA.AAAA",
		fuzzB64([]byte(`{"alg":"ECDH-ES","enc":"A256GCM","kid":"enc-ec","cty":"JWT","epk":{"kty":"EC","crv":"P-256","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","y":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}}`)) + "." + rest,
		fuzzB64([]byte(`{"alg":"ECDH-ES","enc":"A256GCM","kid":"enc-ec","cty":"JWT","epk":{"kty":"EC","crv":"P-384","x":"AA","y":"AA"}}`)) + "." + rest,
		fuzzB64([]byte(`{"alg":"ECDH-ES","enc":"A256GCM","kid":"enc-rsa","cty":"JWT"}`)) + "." + rest,
		fuzzB64([]byte(`{"alg":"RSA-OAEP","enc":"A256GCM","kid":"enc-ec","cty":"JWT"}`)) + "." + rest,
		fuzzB64([]byte(`{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"unknown","cty":"JWT"}`)) + ".AAAA.AAAA.AAAA.AAAA",
		hdr + "." + rest + "A",
		hdr + ".." + rest,
		strings.Replace(good, ".", "..", 2),
		"....",
		strings.Repeat(".", 4) + strings.Repeat("A", maxTokenSize),
		"eyJ" + strings.Repeat("A", 4000) + ".a.b.c.d",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		fx.p.mu.Lock()
		defer fx.p.mu.Unlock()
		ctx := fuzzCtx(t)
		jws, err := px.c.openToken(ctx, raw)
		requireDocumentedError(t, err)
		if err == nil {
			if oerr := oraclePlusHeader(raw); oerr != nil {
				t.Fatalf("opened a JWE the oracle refuses: %v", oerr)
			}
			if claims, err := px.c.verifyIDToken(ctx, jws, px.req, fuzzAccess); err == nil {
				p, oerr := oracleJWS(fx.p, jws)
				if oerr == nil {
					oerr = oracleIDToken(p, fuzzAccess)
				}
				if oerr != nil || !claims.ACR.AtLeast(EIDAS2) {
					t.Fatalf("accepted a FranceConnect+ ID token the oracle refuses: %v (acr %s)", oerr, claims.ACR)
				}
			} else {
				requireDocumentedError(t, err)
			}
		}
		id, err := px.c.userInfoIdentity(ctx, raw, fuzzSub)
		requireDocumentedError(t, err)
		if err == nil {
			payload := id.raw
			jws, _ := px.c.openToken(ctx, strings.TrimSpace(raw))
			p, oerr := oracleJWS(fx.p, jws)
			if oerr == nil {
				oerr = oracleUserInfoJWT(p, fuzzSub)
			}
			if oerr == nil {
				oerr = oraclePlusHeader(strings.TrimSpace(raw))
			}
			if oerr != nil || !bytes.Equal(p, payload) {
				t.Fatalf("accepted FranceConnect+ userinfo the oracle refuses: %v", oerr)
			}
		}
	})
}

// TestMegabyteOfDotsAllocs: a megabyte of dots as an ID token or a
// userinfo JWT is refused by its size before anything is decoded: as many
// allocations as for a kilobyte of dots, and the megabyte is never copied.
func TestMegabyteOfDotsAllocs(t *testing.T) {
	fx := fuzzSetup()
	fx.p.mu.Lock()
	defer fx.p.mu.Unlock()
	ctx := fuzzCtx(t)
	for _, step := range []struct {
		name string
		run  func(tok string) error
	}{
		{"ID token", func(tok string) error { _, err := fx.c.verifyIDToken(ctx, tok, fx.req, fuzzAccess); return err }},
		{"userinfo", func(tok string) error {
			_, err := fx.c.verifyUserInfoJWT(ctx, tok, fuzzSub, &identityUserInfo{})
			return err
		}},
		{"id_token_hint", func(tok string) error { _, err := fx.c.LogoutURL(tok, LogoutOptions{}); return err }},
	} {
		var allocs [2]float64
		var bytes [2]uint64
		for i, n := range []int{1 << 10, 1 << 20} {
			tok := strings.Repeat(".", n)
			allocs[i], bytes[i] = leastCost(func() {
				if err := step.run(tok); !errors.Is(err, ErrMalformedToken) {
					panic(fmt.Sprint("want ErrMalformedToken, got ", err))
				}
			})
		}
		t.Logf("%s, 1 KiB / 1 MiB of dots: %v / %v allocations, %d / %d bytes", step.name, allocs[0], allocs[1], bytes[0], bytes[1])
		// -race drops sync.Pool items at random: allow fmt a buffer or two.
		if allocs[1] > allocs[0]+2 || bytes[1] > 4<<10 {
			t.Errorf("%s: the cost grows with the token", step.name)
		}
	}
}

// leastCost measures f's allocations and bytes per call, keeping the least
// of a few measurements: MemStats counts every goroutine of the process,
// and goroutines left by other tests (idle connections, a shared key fetch)
// can allocate during one of them. A cost that really grows with the input
// shows in every measurement, the least included.
func leastCost(f func()) (allocs float64, bytes uint64) {
	allocs, bytes = math.MaxFloat64, math.MaxUint64
	for try := 0; try < 5; try++ {
		allocs = min(allocs, testing.AllocsPerRun(20, f))
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		for j := 0; j < 20; j++ {
			f()
		}
		runtime.ReadMemStats(&m1)
		bytes = min(bytes, (m1.TotalAlloc-m0.TotalAlloc)/20)
	}
	return allocs, bytes
}

// fuzzCtx bounds a fuzz input's calls: with the fixture's fixed clock, a
// token naming an unknown kid would otherwise wait for the next allowed
// key set fetch; with a deadline it fails at once, as it would for a
// portal's request.
func fuzzCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	t.Cleanup(cancel)
	return ctx
}
