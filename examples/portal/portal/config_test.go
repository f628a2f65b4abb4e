package portal

import (
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/franceconnect-go/franceconnect"
)

var testKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789ABCDEF"))

// sandbox is a complete configuration for the sandbox on port.
func sandbox(port string) map[string]string {
	return map[string]string{
		EnvEnvironment:           "sandbox",
		EnvClientID:              "my-client-id",
		EnvClientSecret:          "my-secret",
		EnvRedirectURL:           "http://localhost:" + port + "/fc/callback",
		EnvPostLogoutRedirectURL: "http://localhost:" + port + "/fc/logged-out",
		EnvCookieKey:             testKey,
		EnvPort:                  port,
	}
}

func with(m map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
		} else {
			out[kv[i]] = kv[i+1]
		}
	}
	return out
}

func TestLoadMockDefaults(t *testing.T) {
	s, err := Load(nil, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !s.Mock || s.Addr != "127.0.0.1:8080" || s.ButtonStyle != ButtonDefault || len(s.FC.CookieKeys) != 0 {
		t.Errorf("defaults: %+v", s)
	}
	s, err = Load(nil, env(map[string]string{EnvPort: "9090"}))
	if err != nil || s.Addr != "127.0.0.1:9090" {
		t.Errorf("PORT=9090: %q %v", s.Addr, err)
	}
	s, err = Load([]string{"-addr", "127.0.0.1:7000"}, env(map[string]string{EnvPort: "9090"}))
	if err != nil || s.Addr != "127.0.0.1:7000" {
		t.Errorf("-addr wins over PORT: %q %v", s.Addr, err)
	}
}

func TestLoadSandbox(t *testing.T) {
	s, err := Load(nil, env(sandbox("8080")))
	if err != nil {
		t.Fatal(err)
	}
	if s.Mock || s.FC.Environment != franceconnect.Sandbox || s.FC.ClientID != "my-client-id" || len(s.FC.CookieKeys) != 1 {
		t.Errorf("sandbox settings: %+v", s)
	}
	want := []string{"identite_pivot", "email", "preferred_username", "idp_birthdate", "idp_id"}
	if strings.Join(s.FC.Scopes, " ") != strings.Join(want, " ") {
		t.Errorf("scopes %v, want %v", s.FC.Scopes, want)
	}
	s, err = Load(nil, env(with(sandbox("8080"), EnvEnvironment, "", EnvServiceURL, "https://fcp-low.sbx.dev-franceconnect.fr/", EnvScopes, "openid identite_pivot")))
	if err != nil || s.FC.Environment != franceconnect.Sandbox || strings.Join(s.FC.Scopes, " ") != "openid identite_pivot" {
		t.Errorf("FC_SERVICE_URL, FC_SCOPES: %v %+v", err, s.FC)
	}
	s, err = Load(nil, env(with(sandbox("8080"), EnvEnvironment, "integration-v1")))
	if err != nil || s.FC.Environment.Federation != franceconnect.FranceConnectV1 || strings.Join(s.FC.Scopes, " ") != "identite_pivot email" {
		t.Errorf("integration-v1: %v %+v", err, s.FC)
	}
}

// TestLoadRefuses checks that each incomplete or inconsistent
// configuration is refused with a message naming what to fix.
func TestLoadRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"client ID without secret", nil, with(sandbox("8080"), EnvClientSecret, ""), "FC_CLIENT_ID is set but FC_CLIENT_SECRET is not"},
		{"secret without client ID", nil, map[string]string{EnvClientSecret: "s"}, "FC_CLIENT_SECRET set without FC_ENVIRONMENT or FC_SERVICE_URL, and FC_CLIENT_ID"},
		{"redirect URL alone", nil, map[string]string{EnvRedirectURL: "http://localhost:8080/fc/callback"}, "FC_REDIRECT_URL set without"},
		{"client ID without environment", nil, with(sandbox("8080"), EnvEnvironment, ""), "FC_ENVIRONMENT (sandbox, integration, production, integration-v1 or production-v1) or FC_SERVICE_URL"},
		{"environment without client ID", nil, with(sandbox("8080"), EnvClientID, "", EnvClientSecret, ""), "FC_CLIENT_ID is required"},
		{"both environment and URL", nil, with(sandbox("8080"), EnvServiceURL, "https://oidc.franceconnect.gouv.fr"), "set FC_ENVIRONMENT or FC_SERVICE_URL, not both"},
		{"unknown environment", nil, with(sandbox("8080"), EnvEnvironment, "prod"), `unknown environment "prod": use one of sandbox, integration, production, integration-v1, production-v1`},
		{"FranceConnect+", nil, with(sandbox("8080"), EnvEnvironment, "plus-production"), "FranceConnect+ environment, which this demo portal does not support"},
		{"unknown service URL", nil, with(sandbox("8080"), EnvEnvironment, "", EnvServiceURL, "https://example.org"), "FC_SERVICE_URL: franceconnect: invalid configuration: unknown environment"},
		{"no cookie key", nil, with(sandbox("8080"), EnvCookieKey, ""), "FC_COOKIE_KEY is required with a real environment"},
		{"short cookie key", nil, with(sandbox("8080"), EnvCookieKey, "c2hvcnQ="), "FC_COOKIE_KEY: franceconnect: invalid configuration: cookie key 1 is 5 bytes once decoded, want 32"},
		{"cookie key not base64", nil, with(sandbox("8080"), EnvCookieKey, "%%%"), "FC_COOKIE_KEY: franceconnect: invalid configuration: cookie key 1 is not base64"},
		{"no redirect URL", nil, with(sandbox("8080"), EnvRedirectURL, ""), "FC_REDIRECT_URL is required"},
		{"no post-logout URL", nil, with(sandbox("8080"), EnvPostLogoutRedirectURL, ""), "FC_POST_LOGOUT_REDIRECT_URL is required"},
		{"redirect on another port", nil, with(sandbox("8080"), EnvPort, "9000"), "FC_REDIRECT_URL http://localhost:8080/fc/callback points at port 8080 of this machine, but the portal listens on 127.0.0.1:9000"},
		{"redirect on another port (-addr)", []string{"-addr", "127.0.0.1:9000"}, sandbox("8080"), "set PORT=8080 or -addr 127.0.0.1:8080"},
		{"URLs on two hosts", nil, with(sandbox("8080"), EnvPostLogoutRedirectURL, "http://127.0.0.1:8080/fc/logged-out"), "must point at the same portal"},
		{"same path", nil, with(sandbox("8080"), EnvPostLogoutRedirectURL, "http://localhost:8080/fc/callback"), "have the same path /fc/callback"},
		{"post-logout URL on home", nil, with(sandbox("8080"), EnvPostLogoutRedirectURL, "http://localhost:8080/"), "FC_POST_LOGOUT_REDIRECT_URL path / is one of the portal's own pages"},
		{"bad port", nil, map[string]string{EnvPort: "http"}, `listen port "http" is not a port number`},
		{"bad button style", []string{"-button", "red"}, nil, `button style "red" (-button or FC_BUTTON_STYLE): use "default" or "contrast"`},
		{"extra argument", []string{"serve"}, nil, `unexpected argument "serve"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.args, env(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v\nwant one containing %q", err, tc.want)
			}
		})
	}
}

// TestStartRefuses checks the problems franceconnect.New finds.
func TestStartRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"http outside localhost", with(sandbox("0"), EnvRedirectURL, "http://portail.example/fc/callback", EnvPostLogoutRedirectURL, "http://portail.example/fc/logged-out"),
			`RedirectURL "http://portail.example/fc/callback" uses http:// outside localhost: use https`},
		{"HS256 on v2", with(sandbox("0"), EnvAlgorithm, "HS256"), "Algorithm HS256 is not offered on FranceConnect: register ES256 or RS256"},
		{"unknown scope", with(sandbox("0"), EnvScopes, `identite_pivot "x"`), "is not a scope token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inst, err := Start([]string{"-addr", "127.0.0.1:0"}, env(tc.env), io.Discard)
			if err == nil {
				inst.Close()
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "invalid configuration: franceconnect: invalid configuration") {
				t.Errorf("error %v\nwant one containing %q", err, tc.want)
			}
		})
	}
}

// TestStartSandbox starts the portal for the sandbox (no network call
// until a callback) and checks that the button leads to the sandbox.
func TestStartSandbox(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	inst, err := Start(nil, env(sandbox(port)), testWriter{t})
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	if inst.Mock != nil || inst.URL != "http://localhost:"+port+"/" {
		t.Errorf("instance %+v", inst)
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(inst.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "Environnement FranceConnect : <strong>sandbox</strong>") {
		t.Errorf("home page:\n%s", body)
	}
	resp, err = hc.Get(inst.URL + "fc/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc, "https://fcp-low.sbx.dev-franceconnect.fr/api/v2/authorize?") ||
		!strings.Contains(loc, "client_id=my-client-id") || !strings.Contains(loc, "redirect_uri=http%3A%2F%2Flocalhost%3A"+port+"%2Ffc%2Fcallback") {
		t.Errorf("login: %s to %s", resp.Status, loc)
	}
}
