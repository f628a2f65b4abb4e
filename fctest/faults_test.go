package fctest_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
)

const evilIssuer = "https://evil.example/api/v2"

var callbackFaults = map[fctest.Fault]func(q, state url.Values) bool{
	fctest.CallbackWrongIss:   func(q, s url.Values) bool { return q.Get("iss") == evilIssuer && q.Get("code") != "" },
	fctest.CallbackNoIss:      func(q, s url.Values) bool { return !q.Has("iss") && q.Get("code") != "" },
	fctest.CallbackNoState:    func(q, s url.Values) bool { return !q.Has("state") && q.Get("code") != "" },
	fctest.CallbackWrongState: func(q, s url.Values) bool { return q.Get("state") != "" && q.Get("state") != s.Get("state") },
	fctest.CallbackAccessDenied: func(q, s url.Values) bool {
		return q.Get("error") == "access_denied" && q.Get("error_description") == "User auth aborted" &&
			!q.Has("code") && q.Get("state") == s.Get("state")
	},
}

func TestCallbackFaults(t *testing.T) {
	t.Parallel()
	for fault, ok := range callbackFaults {
		t.Run(fault.String(), func(t *testing.T) {
			t.Parallel()
			srv, c := setup(t, "")
			srv.Inject(fault)
			q := authParams(c, callback)
			if cb := login(t, srv, q, fctest.DefaultUser); !ok(cb.Query(), q) {
				t.Fatalf("callback %s", cb)
			}
		})
	}
}

var tokenFaults = map[fctest.Fault]func(t *testing.T, status int, hdr http.Header, body []byte){
	fctest.TokenServerError: func(t *testing.T, status int, hdr http.Header, body []byte) {
		if status != 500 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
			t.Fatalf("%d %s", status, hdr.Get("Content-Type"))
		}
	},
	fctest.TokenGarbage: func(t *testing.T, status int, _ http.Header, body []byte) {
		if status != 200 || json.Valid(body) {
			t.Fatalf("%d %q", status, body)
		}
	},
	fctest.TokenUnauthorized: func(t *testing.T, status int, _ http.Header, body []byte) {
		if code, y := oauthErr(t, body); status != 401 || code != "invalid_client" || y != "Y0434A7B" {
			t.Fatalf("%d %s", status, body)
		}
	},
	fctest.TokenBadRequest: func(t *testing.T, status int, _ http.Header, body []byte) {
		if code, y := oauthErr(t, body); status != 400 || code != "invalid_grant" || y != "Y049E20B" {
			t.Fatalf("%d %s", status, body)
		}
	},
	fctest.OversizedToken: func(t *testing.T, status int, _ http.Header, body []byte) {
		if status != 200 || len(body) < 10<<20 || !json.Valid(body) {
			t.Fatalf("%d, %d bytes", status, len(body))
		}
	},
	fctest.TokenDotsIDToken: func(t *testing.T, status int, _ http.Header, body []byte) {
		var tok map[string]any
		_ = json.Unmarshal(body, &tok)
		if status != 200 || tok["id_token"] != strings.Repeat(".", 1<<20) {
			t.Fatalf("%d, id_token of %d bytes", status, len(body))
		}
	},
}

func TestTokenFaults(t *testing.T) {
	t.Parallel()
	for fault, check := range tokenFaults {
		t.Run(fault.String(), func(t *testing.T) {
			t.Parallel()
			srv, c := setup(t, "")
			srv.Inject(fault)
			cb := login(t, srv, authParams(c, callback), fctest.DefaultUser)
			status, body, hdr := exchange(t, srv, c, cb.Query().Get("code"), callback)
			check(t, status, hdr, body)
		})
	}
}

type userInfoCheck func(t *testing.T, e faultEnv, f *flow, resp *http.Response, body []byte)

func signedClaimIs(claim string, want any) userInfoCheck {
	return func(t *testing.T, e faultEnv, f *flow, _ *http.Response, body []byte) {
		_, claims := verify(t, e.srv, string(body))
		if claims[claim] != want {
			t.Fatalf("%s = %v, want %v", claim, claims[claim], want)
		}
	}
}

var userInfoFaults = map[fctest.Fault]userInfoCheck{
	fctest.UserInfoWrongIssuer:   signedClaimIs("iss", evilIssuer),
	fctest.UserInfoWrongAudience: signedClaimIs("aud", "https://evil.example"),
	fctest.UserInfoSubMismatch: func(t *testing.T, e faultEnv, f *flow, _ *http.Response, body []byte) {
		_, id := verify(t, e.srv, f.idToken(t))
		_, ui := verify(t, e.srv, string(body))
		if s, _ := ui["sub"].(string); s == id["sub"] || len(s) != 66 {
			t.Fatalf("userinfo sub %v, ID token sub %v", ui["sub"], id["sub"])
		}
	},
	fctest.UserInfoJSON: func(t *testing.T, e faultEnv, f *flow, resp *http.Response, body []byte) {
		var claims map[string]any
		if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || json.Unmarshal(body, &claims) != nil || claims["sub"] == nil {
			t.Fatalf("%s %q", resp.Header.Get("Content-Type"), body)
		}
	},
	fctest.UserInfoBadSignature: func(t *testing.T, e faultEnv, f *flow, _ *http.Response, body []byte) {
		_, _, sig := unverified(t, string(body))
		mustNotVerify(t, e, string(body))
		mustVerify(t, e, xorBack(string(body), sig))
	},
	fctest.UserInfoAlgNone: func(t *testing.T, e faultEnv, f *flow, _ *http.Response, body []byte) {
		h, c, sig := unverified(t, string(body))
		if h["alg"] != "none" || len(sig) != 0 || c["sub"] == nil {
			t.Fatalf("header %v", h)
		}
	},
	fctest.UserInfoServerError: func(t *testing.T, e faultEnv, f *flow, resp *http.Response, _ []byte) {
		if resp.StatusCode != 500 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("%s", resp.Status)
		}
	},
	fctest.OversizedUserInfo: func(t *testing.T, e faultEnv, f *flow, resp *http.Response, body []byte) {
		if resp.StatusCode != 200 || len(body) < 10<<20 {
			t.Fatalf("%s, %d bytes", resp.Status, len(body))
		}
	},
}

func TestUserInfoFaults(t *testing.T) {
	t.Parallel()
	for fault, check := range userInfoFaults {
		t.Run(fault.String(), func(t *testing.T) {
			t.Parallel()
			srv, c := setup(t, "")
			f := fullFlow(t, srv, c, authParams(c, callback), fctest.DefaultUser)
			srv.Inject(fault)
			resp, body := userinfo(t, srv, f.accessToken(t))
			check(t, faultEnv{srv, c}, f, resp, body)
		})
	}
}

func TestSlowFaults(t *testing.T) {
	t.Parallel()
	for _, fault := range []fctest.Fault{fctest.SlowToken, fctest.SlowUserInfo} {
		t.Run(fault.String(), func(t *testing.T) {
			t.Parallel()
			srv, c := setup(t, "")
			srv.Inject(fault)
			endpoint := srv.Environment().Issuer + "/token"
			if fault == fctest.SlowUserInfo {
				endpoint = srv.Environment().Issuer + "/userinfo"
			}
			// A client that gives up early is released early.
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader("client_id="+c.ID))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			start := time.Now()
			if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("want a timeout, got %v", err)
			}
			// A patient client waits 3 s.
			resp, err := http.Post(endpoint, "application/x-www-form-urlencoded", strings.NewReader(""))
			if err != nil {
				t.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if d := time.Since(start); d < 3*time.Second {
				t.Fatalf("answered after %v", d)
			}
		})
	}
}

func TestJWKSWithBadKeys(t *testing.T) {
	t.Parallel()
	srv, _ := setup(t, "")
	srv.Inject(fctest.JWKSWithBadKeys)
	var set struct{ Keys []json.RawMessage }
	getJSON(t, srv.Environment().Issuer+"/jwks", &set)
	good := 0
	for _, raw := range set.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err == nil {
			good++
		}
	}
	if len(set.Keys) != 6 || good != 2 {
		t.Fatalf("%d keys, %d parseable: want 6 and 2", len(set.Keys), good)
	}
	var strict jose.JSONWebKeySet
	if json.Unmarshal(mustMarshal(t, set), &strict) == nil {
		t.Fatal("a strict JWKS parser accepts the set")
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDiscoveryWrongIssuer(t *testing.T) {
	t.Parallel()
	srv, _ := setup(t, "")
	srv.Inject(fctest.DiscoveryWrongIssuer)
	var doc map[string]any
	getJSON(t, srv.Environment().Issuer+"/.well-known/openid-configuration", &doc)
	if doc["issuer"] != evilIssuer || doc["token_endpoint"] != srv.Environment().Issuer+"/token" {
		t.Fatalf("discovery %v", doc)
	}
}

// Every fault is covered by a test here and has a name.
func TestEveryFaultTested(t *testing.T) {
	t.Parallel()
	// Tested one by one in TestJWKSWithBadKeys, TestDiscoveryWrongIssuer,
	// TestSlowFaults and TestLogout.
	covered := map[fctest.Fault]bool{
		fctest.JWKSWithBadKeys: true, fctest.DiscoveryWrongIssuer: true, fctest.SlowToken: true,
		fctest.SlowUserInfo: true, fctest.LogoutNoState: true, fctest.LogoutWrongState: true,
	}
	for f := range idTokenFaults {
		covered[f] = true
	}
	for f := range callbackFaults {
		covered[f] = true
	}
	for f := range tokenFaults {
		covered[f] = true
	}
	for f := range userInfoFaults {
		covered[f] = true
	}
	for f := range plusFaults { // plus_test.go
		covered[f] = true
	}
	for f := range pcFaults { // proconnect_test.go
		covered[f] = true
	}
	var all []fctest.Fault
	for _, f := range []franceconnect.Federation{franceconnect.FranceConnect, franceconnect.FranceConnectPlus, franceconnect.ProConnect, franceconnect.FranceConnectV1} {
		for _, x := range fctest.Faults(f) {
			if !slices.Contains(all, x) {
				all = append(all, x)
			}
		}
	}
	if len(all) != len(covered) {
		t.Errorf("%d faults, %d covered", len(all), len(covered))
	}
	for _, f := range all {
		if !covered[f] {
			t.Errorf("fault %v has no test", f)
		}
		if strings.HasPrefix(f.String(), "Fault(") {
			t.Errorf("fault %d has no name", int(f))
		}
	}
}
