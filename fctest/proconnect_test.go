package fctest_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
)

// pcFaults are the ProConnect faults, each with its check (on a JSON
// registration for UserInfoSigned).
var pcFaults = map[fctest.Fault]bool{fctest.UserInfoSigned: true, fctest.IDTokenACRUnknown: true,
	fctest.RefreshOtherSubject: true} // sessions_test.go

// pcSetup starts a ProConnect server with one client.
func pcSetup(t *testing.T, reg fctest.Registration) (*fctest.Server, fctest.Registration) {
	t.Helper()
	srv := fctest.NewServer(fctest.Options{Federation: franceconnect.ProConnect})
	t.Cleanup(srv.Close)
	reg.RedirectURIs = []string{callback}
	reg.PostLogoutRedirectURIs = []string{"https://app.example/logged-out"}
	return srv, srv.Register(reg)
}

// pcParams are the parameters of a valid ProConnect authorization request.
func pcParams(c fctest.Registration, levels ...string) url.Values {
	claims, _ := json.Marshal(map[string]any{"id_token": map[string]any{"acr": map[string]any{"essential": true, "values": levels}}})
	return url.Values{
		"response_type": {"code"},
		"client_id":     {c.ID},
		"redirect_uri":  {callback},
		"scope":         {"openid given_name usual_name email uid siret"},
		"state":         {random(32)},
		"nonce":         {random(32)},
		"claims":        {string(claims)},
	}
}

func TestProConnectServer(t *testing.T) {
	t.Parallel()
	srv, c := pcSetup(t, fctest.Registration{Alg: fctest.HS256, UserInfoJSON: true})
	if srv.Environment().Federation != franceconnect.ProConnect || srv.Environment().Name != "fctest" {
		t.Fatalf("environment %+v", srv.Environment())
	}
	f := fullFlow(t, srv, c, pcParams(c, "eidas1-mfa"), fctest.Agents()[0])
	if f.status != http.StatusOK {
		t.Fatalf("token: %d %s", f.status, f.raw)
	}
	if rt, _ := f.token["refresh_token"].(string); len(rt) < 32 {
		t.Errorf("refresh token %q", rt)
	}
	// HS256 keyed with the client secret, no kid.
	raw := f.idToken(t)
	header, claims, sig := unverified(t, raw)
	mac := hmac.New(sha256.New, []byte(c.Secret))
	mac.Write([]byte(raw[:strings.LastIndexByte(raw, '.')]))
	if header["alg"] != "HS256" || header["kid"] != nil || !hmac.Equal(sig, mac.Sum(nil)) {
		t.Errorf("ID token header %v, signature valid: %v", header, hmac.Equal(sig, mac.Sum(nil)))
	}
	if claims["acr"] != "eidas1-mfa" {
		t.Errorf("acr %v: eidas1 raised to eidas1-mfa when only that is asked", claims["acr"])
	}
	// JSON userinfo with ProConnect's claims.
	resp, body := userinfo(t, srv, f.accessToken(t))
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("userinfo content type %q", ct)
	}
	agent, err := parseAgent(body)
	if err != nil || agent.UsualName != "MARTIN" || agent.SIRET != "11000201100044" || agent.OrganizationLabel == "" || agent.UID != "agent-uid" {
		t.Errorf("userinfo %s: %v", body, err)
	}
	if agent.Subject != claims["sub"] {
		t.Error("userinfo sub is not the ID token's")
	}
}

func TestProConnectAuthorizeRules(t *testing.T) {
	t.Parallel()
	srv, c := pcSetup(t, fctest.Registration{})
	tests := []struct {
		name   string
		mutate func(url.Values)
		want   string // Y-code of the error page, or the callback's error
	}{
		{"unknown parameter", func(q url.Values) { q.Set("ui_locales", "fr") }, "Y000400"},
		{"code_challenge_method plain", func(q url.Values) {
			q.Set("code_challenge", strings.Repeat("c", 43))
			q.Set("code_challenge_method", "plain")
		}, "invalid_request"},
		{"code_challenge without method", func(q url.Values) { q.Set("code_challenge", strings.Repeat("c", 43)) }, "invalid_request"},
		{"response_mode form_post", func(q url.Values) { q.Set("response_mode", "form_post") }, "Y030007"},
		{"state of 31 characters", func(q url.Values) { q.Set("state", strings.Repeat("s", 31)) }, "Y030007"},
		{"nonce of 31 characters", func(q url.Values) { q.Set("nonce", strings.Repeat("n", 31)) }, "Y030007"},
		{"prompt select_account", func(q url.Values) { q.Set("prompt", "select_account") }, "Y030007"},
		{"siret_hint of 13 digits", func(q url.Values) { q.Set("siret_hint", "1300252650001") }, "Y030007"},
		{"claims not JSON", func(q url.Values) { q.Set("claims", "{") }, "invalid_request"},
		{"silent login without session", func(q url.Values) { q.Set("prompt", "none") }, "login_required"},
	}
	for _, tt := range tests {
		q := pcParams(c, "eidas1")
		tt.mutate(q)
		cb, err := srv.Login(authURL(srv, q), fctest.Agents()[0])
		if strings.HasPrefix(tt.want, "Y") {
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%s: %v, want page %s", tt.name, err, tt.want)
			}
			continue
		}
		u, perr := url.Parse(cb)
		if err != nil || perr != nil || u.Query().Get("error") != tt.want || u.Query().Get("state") != q.Get("state") || u.Query().Get("iss") != srv.Environment().Issuer {
			t.Errorf("%s: %s %v, want error=%s with state and iss", tt.name, cb, err, tt.want)
		}
	}
	// The documented optional parameters are accepted.
	q := pcParams(c, "eidas1")
	q.Set("login_hint", "jean.martin@interieur.gouv.fr")
	q.Set("siret_hint", "11000201100044")
	q.Set("prompt", "login consent")
	q.Del("claims")
	q.Set("acr_values", "eidas1") // the tolerated legacy form
	if cb := login(t, srv, q, fctest.Agents()[0]); cb.Query().Get("code") == "" {
		t.Errorf("callback %s", cb)
	}
}

func TestProConnectFaults(t *testing.T) {
	t.Parallel()
	srv, c := pcSetup(t, fctest.Registration{UserInfoJSON: true, Faults: []fctest.Fault{fctest.UserInfoSigned, fctest.IDTokenACRUnknown}})
	f := fullFlow(t, srv, c, pcParams(c, "eidas1"), fctest.Agents()[0])
	_, claims := verify(t, srv, f.idToken(t))
	if claims["acr"] != "https://proconnect.gouv.fr/assurance/self-asserted-2fa" {
		t.Errorf("IDTokenACRUnknown: acr %v", claims["acr"])
	}
	resp, body := userinfo(t, srv, f.accessToken(t))
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/jwt") {
		t.Fatalf("UserInfoSigned: content type %q", ct)
	}
	verify(t, srv, string(body))
	for f := range pcFaults {
		if strings.HasPrefix(f.String(), "Fault(") {
			t.Errorf("fault %d has no name", int(f))
		}
	}
}

// The built-in agents are valid for the library: SIRET checksums (La
// Poste's rule included) and e-mail addresses.
func TestAgents(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, u := range fctest.Agents() {
		if seen[u.Login] {
			t.Errorf("login %s twice", u.Login)
		}
		seen[u.Login] = true
		claims, _ := json.Marshal(map[string]any{"sub": "s", "siret": u.SIRET, "siren": u.SIREN, "email": u.Email})
		if _, err := parseAgent(claims); err != nil {
			t.Errorf("%s: %v", u.Login, err)
		}
	}
	if fctest.Agents()[0].Login != "agent" {
		t.Error("the default agent comes first")
	}
	a := fctest.Agents()
	a[0].Roles = append(a[0].Roles, "changed")
	if len(fctest.Agents()[0].Roles) != 0 {
		t.Error("Agents returns fresh copies")
	}
}

func TestRegisterRefusesProConnectOptionsElsewhere(t *testing.T) {
	t.Parallel()
	srv := fctest.NewServer(fctest.Options{})
	defer srv.Close()
	for name, reg := range map[string]fctest.Registration{
		"HS256":        {Alg: fctest.HS256},
		"UserInfoJSON": {UserInfoJSON: true},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s on a FranceConnect server: no panic", name)
				}
			}()
			srv.Register(reg)
		}()
	}
}

// agentClaims are ProConnect userinfo claims.
type agentClaims struct {
	Subject           string `json:"sub"`
	UsualName         string `json:"usual_name"`
	SIRET             string `json:"siret"`
	SIREN             string `json:"siren"`
	Email             string `json:"email"`
	OrganizationLabel string `json:"organization_label"`
	UID               string `json:"uid"`
}

// parseAgent reads ProConnect userinfo claims and checks their SIRET and
// SIREN as a client does.
func parseAgent(claims []byte) (*agentClaims, error) {
	var a agentClaims
	if err := json.Unmarshal(claims, &a); err != nil {
		return nil, err
	}
	if !franceconnect.ValidSIRET(a.SIRET) || !strings.HasPrefix(a.SIRET, a.SIREN) || !strings.Contains(a.Email, "@") {
		return nil, fmt.Errorf("siret %q, siren %q or email %q invalid", a.SIRET, a.SIREN, a.Email)
	}
	return &a, nil
}
