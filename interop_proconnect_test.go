//go:build unix

package franceconnect_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/franceconnect-go/franceconnect"
)

// TestInteropProConnect runs the ProConnect profile against the real
// OpenID Provider configured like ProConnect (PROFILE=proconnect in
// provider.js): levels through the claims parameter, HS256 keyed with the
// secret, JSON userinfo, refresh tokens, silent login, logout.
func TestInteropProConnect(t *testing.T) {
	interopNode(t)
	clients := []interopClient{
		newInteropClient("pc-es256-jwt", "ES256", "v2", "https://"+rpHost+"/pc-es256/callback"),
		newInteropClient("pc-rs256-json", "RS256", "v2", "https://"+rpHost+"/pc-rs256/callback"),
		newInteropClient("pc-hs256-json", "HS256", "v2", "https://"+rpHost+"/pc-hs256/callback"),
		newInteropClient("pc-hs256-jwt", "HS256", "v2", "https://"+rpHost+"/pc-hs256-jwt/callback"),
	}
	clients[1].UserInfo, clients[2].UserInfo = "json", "json"
	p := startInteropProfile(t, "proconnect", newInteropKeys(t, "pc1"), clients)

	newRP := func(t *testing.T, id string, levels ...franceconnect.ACR) (*franceconnect.Client, *interopRecorder) {
		reg := p.client(id)
		env, err := franceconnect.NewEnvironment(franceconnect.ProConnect, p.IssuerV2())
		if err != nil {
			t.Fatal(err)
		}
		rec := newInteropRecorder()
		t.Cleanup(rec.base.CloseIdleConnections)
		c, err := franceconnect.New(franceconnect.Config{
			Environment: env, ClientID: reg.ClientID, ClientSecret: reg.ClientSecret,
			RedirectURL: reg.RedirectURIs[0], PostLogoutRedirectURL: postLogoutURL,
			Algorithm: reg.Alg, UserInfoJSON: reg.UserInfo == "json", ACRValues: levels,
			Scopes: []string{"given_name", franceconnect.ScopeUsualName, franceconnect.ScopeEmail,
				franceconnect.ScopeUID, franceconnect.ScopeSIRET, franceconnect.ScopeIDPID},
			HTTPClient: &http.Client{Transport: rec, Timeout: 20 * time.Second},
		})
		if err != nil {
			t.Fatalf("franceconnect.New: %v", err)
		}
		return c, rec
	}

	for _, reg := range clients {
		t.Run("login and logout/"+reg.ClientID, func(t *testing.T) {
			c, rec := newRP(t, reg.ClientID)
			b := newInteropBrowser(t)
			req, cb := interopLogin(t, c, b)
			q := interopQuery(t, req.URL)
			if q.Has("acr_values") || !strings.Contains(q.Get("claims"), `"acr":{"essential":true,"values":["eidas1","eidas1-mfa","eidas2","eidas3"]}`) {
				t.Errorf("authorization request: acr_values %q, claims %q", q.Get("acr_values"), q.Get("claims"))
			}
			res, err := c.Exchange(interopCtx(t), req, interopQuery(t, cb))
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			a := res.Agent
			if a == nil || a.UsualName != "MARTIN" || a.SIRET != "13002526500013" || a.UID != "jmartin" || a.OrganizationLabel != "DINUM" || a.Subject != res.IDToken.Subject {
				t.Errorf("agent %+v", a)
			}
			if res.IDToken.ACR != franceconnect.EIDAS1 || res.RefreshToken == "" {
				t.Errorf("acr %q, refresh token present: %v", res.IDToken.ACR, res.RefreshToken != "")
			}
			ui, _ := rec.last("/userinfo")
			wantType := "application/jwt"
			if reg.UserInfo == "json" {
				wantType = "application/json"
			}
			if ct := ui.Header.Get("Content-Type"); !strings.HasPrefix(ct, wantType) {
				t.Errorf("userinfo content type %q, want %s", ct, wantType)
			}
			if h, _ := interopJWT(t, res.RawIDToken); h["alg"] != reg.Alg {
				t.Errorf("ID token alg %v, want %s", h["alg"], reg.Alg)
			}
			if reg.Alg == "HS256" && rec.count("/jwks") != 0 {
				t.Error("an HS256 client fetched the JWKS")
			}

			// A silent login reuses the provider's session.
			silent, err := c.AuthCodeURL(franceconnect.AuthOptions{Prompt: "none"})
			if err != nil {
				t.Fatal(err)
			}
			res2, err := c.Exchange(interopCtx(t), silent, interopQuery(t, b.authorize(silent.URL)))
			if err != nil || res2.Agent.Subject != a.Subject {
				t.Fatalf("silent login: %v", err)
			}

			lreq, err := c.LogoutURL(res.RawIDToken, franceconnect.LogoutOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if err := c.VerifyLogout(lreq, interopQuery(t, b.logout(lreq.URL))); err != nil {
				t.Fatalf("VerifyLogout: %v", err)
			}
			// Logged out: a silent login now comes back as login_required.
			silent, _ = c.AuthCodeURL(franceconnect.AuthOptions{Prompt: "none"})
			_, err = c.Exchange(interopCtx(t), silent, interopQuery(t, b.authorize(silent.URL)))
			if err == nil || !strings.Contains(err.Error(), "login_required") || !errors.Is(err, franceconnect.ErrLoginRequired) {
				t.Errorf("silent login after logout: %v, want ErrLoginRequired", err)
			}
		})
	}

	t.Run("levels", func(t *testing.T) {
		// MFA only: the provider answers eidas1-mfa, which the set accepts.
		c, _ := newRP(t, "pc-es256-jwt", franceconnect.EIDAS1MFA, franceconnect.EIDAS2)
		req, cb := interopLogin(t, c, newInteropBrowser(t))
		res, err := c.Exchange(interopCtx(t), req, interopQuery(t, cb))
		if err != nil || res.IDToken.ACR != franceconnect.EIDAS1MFA || !res.IDToken.ACR.MFA() {
			t.Fatalf("MFA login: %v", err)
		}
	})

	t.Run("login hint and siret hint", func(t *testing.T) {
		c, _ := newRP(t, "pc-hs256-json")
		req, err := c.AuthCodeURL(franceconnect.AuthOptions{LoginHint: "jean.martin@numerique.gouv.fr", SIRETHint: "13002526500013"})
		if err != nil {
			t.Fatal(err)
		}
		cb := newInteropBrowser(t).authorize(req.URL)
		if _, err := c.Exchange(interopCtx(t), req, interopQuery(t, cb)); err != nil {
			t.Fatalf("Exchange: %v", err)
		}
	})
}
