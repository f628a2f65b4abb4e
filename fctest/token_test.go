package fctest_test

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/franceconnect-go/franceconnect/fctest"
	"github.com/franceconnect-go/franceconnect/internal/browsertest"
)

func TestTokenSuccess(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"ES256", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			srv, c := setup(t, alg)
			q := authParams(c, callback)
			cb := login(t, srv, q, fctest.DefaultUser)
			status, raw, hdr := exchange(t, srv, c, cb.Query().Get("code"), callback)
			if status != http.StatusOK {
				t.Fatalf("token: %d %s", status, raw)
			}
			if hdr.Get("Cache-Control") != "no-store" || !strings.HasPrefix(hdr.Get("Content-Type"), "application/json") {
				t.Errorf("headers %v", hdr)
			}
			var tok map[string]any
			if err := json.Unmarshal(raw, &tok); err != nil {
				t.Fatal(err)
			}
			keys := slices.Sorted(maps.Keys(tok))
			if want := []string{"access_token", "expires_in", "id_token", "scope", "token_type"}; !slices.Equal(keys, want) {
				t.Fatalf("token response fields %v, want %v", keys, want)
			}
			if tok["token_type"] != "Bearer" || tok["expires_in"] != float64(60) || tok["scope"] != "openid profile birth email" {
				t.Fatalf("token response %s", raw)
			}
			h, claims := verify(t, srv, tok["id_token"].(string))
			if h.Algorithm != alg || h.KeyID == "" {
				t.Fatalf("header alg %q kid %q", h.Algorithm, h.KeyID)
			}
			names := slices.Sorted(maps.Keys(claims))
			if want := []string{"acr", "aud", "auth_time", "exp", "iat", "iss", "nonce", "sub"}; !slices.Equal(names, want) {
				t.Fatalf("ID token claims %v, want %v", names, want)
			}
			iat, exp := claims["iat"].(float64), claims["exp"].(float64)
			if claims["iss"] != srv.Environment().Issuer || claims["aud"] != c.ID || claims["nonce"] != q.Get("nonce") ||
				claims["acr"] != "eidas1" || exp-iat != 60 || time.Since(time.Unix(int64(iat), 0)).Abs() > 5*time.Second {
				t.Fatalf("claims %v", claims)
			}
			if !regexp.MustCompile(`^[0-9a-f]{64}v1$`).MatchString(claims["sub"].(string)) {
				t.Fatalf("sub %q: want 64 hex chars and v1", claims["sub"])
			}
		})
	}
}

func TestAMRRequestedWithClaims(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, "")
	q := authParams(c, callback)
	q.Set("claims", `{"id_token":{"amr":{"essential":true}}}`)
	f := fullFlow(t, srv, c, q, fctest.DefaultUser)
	_, claims := verify(t, srv, f.idToken(t))
	if amr, _ := claims["amr"].([]any); len(amr) != 1 || amr[0] != "pwd" {
		t.Fatalf("amr %v, want [pwd]", claims["amr"])
	}
}

func TestSubIsPairwise(t *testing.T) {
	t.Parallel()
	srv, c1 := setup(t, "")
	c2 := srv.Register(fctest.Registration{RedirectURIs: []string{callback}})
	sub := func(c fctest.Registration, u fctest.User) any {
		_, claims := verify(t, srv, fullFlow(t, srv, c, authParams(c, callback), u).idToken(t))
		return claims["sub"]
	}
	other := fctest.Users()[1]
	a, b, again, d := sub(c1, fctest.DefaultUser), sub(c2, fctest.DefaultUser), sub(c1, fctest.DefaultUser), sub(c1, other)
	if a == b || a != again || a == d {
		t.Fatalf("subs %v %v %v %v: want stable per client and user, different across clients and users", a, b, again, d)
	}
}

func TestTokenSingleUse(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, "")
	f := fullFlow(t, srv, c, authParams(c, callback), fctest.DefaultUser)
	if f.status != http.StatusOK {
		t.Fatalf("first exchange: %d %s", f.status, f.raw)
	}
	status, body, _ := exchange(t, srv, c, f.callback.Query().Get("code"), callback)
	if code, y := oauthErr(t, body); status != http.StatusBadRequest || code != "invalid_grant" || y != "Y049E20B" {
		t.Fatalf("replayed code: %d %s", status, body)
	}
	// The replay revoked the access token issued with the code.
	if resp, _ := userinfo(t, srv, f.accessToken(t)); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("userinfo after replay: %s, want 401", resp.Status)
	}
}

func TestTokenErrors(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, "")
	other := srv.Register(fctest.Registration{RedirectURIs: []string{callback}})
	tests := []struct {
		name   string
		edit   func(url.Values)
		status int
		err, y string
	}{
		{"wrong secret", func(f url.Values) { f.Set("client_secret", "nope") }, 401, "invalid_client", "Y0434A7B"},
		{"no secret", func(f url.Values) { f.Del("client_secret") }, 401, "invalid_client", "Y0434A7B"},
		{"unknown client", func(f url.Values) { f.Set("client_id", "unknown") }, 401, "invalid_client", "Y0434A7B"},
		{"other client's code", func(f url.Values) {
			f.Set("client_id", other.ID)
			f.Set("client_secret", other.Secret)
		}, 400, "invalid_grant", "Y049E20B"},
		{"missing code", func(f url.Values) { f.Del("code") }, 400, "invalid_request", "Y048017B"},
		{"unknown code", func(f url.Values) { f.Set("code", "unknown") }, 400, "invalid_grant", "Y049E20B"},
		{"other redirect_uri", func(f url.Values) { f.Set("redirect_uri", callback+"/") }, 400, "invalid_grant", "Y049E20B"},
		{"grant_type refresh_token", func(f url.Values) { f.Set("grant_type", "refresh_token") }, 400, "unsupported_grant_type", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cb := login(t, srv, authParams(c, callback), fctest.DefaultUser)
			form := url.Values{
				"grant_type": {"authorization_code"}, "code": {cb.Query().Get("code")}, "redirect_uri": {callback},
				"client_id": {c.ID}, "client_secret": {c.Secret},
			}
			tt.edit(form)
			status, body, _ := postForm(t, srv.Environment().Issuer+"/token", form)
			code, y := oauthErr(t, body)
			if status != tt.status || code != tt.err || (tt.y != "" && y != tt.y) {
				t.Fatalf("got %d %s %s, want %d %s %s", status, code, y, tt.status, tt.err, tt.y)
			}
		})
	}
}

func TestTokenRefusesBasicAuth(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, "")
	cb := login(t, srv, authParams(c, callback), fctest.DefaultUser)
	form := url.Values{"grant_type": {"authorization_code"}, "code": {cb.Query().Get("code")}, "redirect_uri": {callback}}
	req, _ := http.NewRequest(http.MethodPost, srv.Environment().Issuer+"/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(c.ID, c.Secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var e map[string]string
	_ = json.NewDecoder(resp.Body).Decode(&e)
	if resp.StatusCode != http.StatusUnauthorized || e["error"] != "invalid_client" {
		t.Fatalf("client_secret_basic: %s %v, want 401 invalid_client", resp.Status, e)
	}
}

func TestTokenGETRefused(t *testing.T) {
	t.Parallel()
	srv, _ := setup(t, "")
	resp, err := http.Get(srv.Environment().Issuer + "/token")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET /token: %s", resp.Status)
	}
}

func TestRevocation(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, "")
	f := fullFlow(t, srv, c, authParams(c, callback), fctest.DefaultUser)
	status, body, _ := postForm(t, srv.Environment().Issuer+"/token/revocation", url.Values{
		"token": {f.accessToken(t)}, "client_id": {c.ID}, "client_secret": {c.Secret},
	})
	if status != http.StatusOK {
		t.Fatalf("revocation: %d %s", status, body)
	}
	if resp, _ := userinfo(t, srv, f.accessToken(t)); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("userinfo after revocation: %s", resp.Status)
	}
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	t.Run("code after 30 s", func(t *testing.T) {
		t.Parallel()
		clk := browsertest.NewClock()
		srv, c := setupWith(t, fctest.Options{Now: clk.Now}, "")
		cb := login(t, srv, authParams(c, callback), fctest.DefaultUser)
		clk.Add(31 * time.Second)
		status, body, _ := exchange(t, srv, c, cb.Query().Get("code"), callback)
		if code, y := oauthErr(t, body); status != http.StatusBadRequest || code != "invalid_grant" || y != "Y049E20B" {
			t.Fatalf("expired code: %d %s", status, body)
		}
	})
	t.Run("access token after 60 s", func(t *testing.T) {
		t.Parallel()
		clk := browsertest.NewClock()
		srv, c := setupWith(t, fctest.Options{Now: clk.Now}, "")
		f := fullFlow(t, srv, c, authParams(c, callback), fctest.DefaultUser)
		clk.Add(61 * time.Second)
		resp, body := userinfo(t, srv, f.accessToken(t))
		if code, y := oauthErr(t, body); resp.StatusCode != http.StatusUnauthorized || code != "invalid_token" || y != "Y040001" {
			t.Fatalf("expired access token: %s %s", resp.Status, body)
		}
	})
	t.Run("interaction after 30 min", func(t *testing.T) {
		t.Parallel()
		clk := browsertest.NewClock()
		srv, c := setupWith(t, fctest.Options{Now: clk.Now}, "")
		resp, err := noRedirect.Get(authURL(srv, authParams(c, callback)))
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := regexp.MustCompile(`action="(/api/v2/interaction/[^"]+/login)"`).FindSubmatch(page)
		if m == nil {
			t.Fatal("no login form")
		}
		clk.Add(31 * time.Minute)
		status, body, _ := postForm(t, srv.URL+string(m[1]), url.Values{"login": {"test"}})
		if status != http.StatusBadRequest {
			t.Fatalf("expired interaction: %d %s", status, body)
		}
	})
}
