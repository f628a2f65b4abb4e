//go:build unix

package franceconnect_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
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
		newInteropClient("pc-other-sub", "ES256", "v2", "https://"+rpHost+"/pc-other-sub/callback"),
	}
	clients[1].UserInfo, clients[2].UserInfo = "json", "json"
	clients[4].RefreshOtherSub = true
	p := startInteropProfile(t, "proconnect", newInteropKeys(t, "pc1"), clients)
	var newRPWith func(t *testing.T, id string, mutate func(*franceconnect.Config)) (*franceconnect.Client, *interopRecorder)

	newRP := func(t *testing.T, id string, levels ...franceconnect.ACR) (*franceconnect.Client, *interopRecorder) {
		return newRPWith(t, id, func(cfg *franceconnect.Config) { cfg.ACRValues = levels })
	}
	newRPWith = func(t *testing.T, id string, mutate func(*franceconnect.Config)) (*franceconnect.Client, *interopRecorder) {
		reg := p.client(id)
		env, err := franceconnect.NewEnvironment(franceconnect.ProConnect, p.IssuerV2())
		if err != nil {
			t.Fatal(err)
		}
		rec := newInteropRecorder()
		t.Cleanup(rec.base.CloseIdleConnections)
		cfg := franceconnect.Config{
			Environment: env, ClientID: reg.ClientID, ClientSecret: reg.ClientSecret,
			RedirectURL: reg.RedirectURIs[0], PostLogoutRedirectURL: postLogoutURL,
			Algorithm: reg.Alg, UserInfoJSON: reg.UserInfo == "json",
			Scopes: []string{"given_name", franceconnect.ScopeUsualName, franceconnect.ScopeEmail,
				franceconnect.ScopeUID, franceconnect.ScopeSIRET, franceconnect.ScopeIDPID},
			HTTPClient: &http.Client{Transport: rec, Timeout: 20 * time.Second},
		}
		mutate(&cfg)
		c, err := franceconnect.New(cfg)
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
			if q.Get("code_challenge_method") != "S256" || req.CodeVerifier == "" {
				t.Errorf("no PKCE: %v", q)
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

	t.Run("2026", func(t *testing.T) { interopProConnect2026(t, p, newRPWith) })
}

// interopProConnect2026 runs what services ask of ProConnect in 2026
// against the real provider: MFA preferred (met, not met), required and
// not met (no callback), a declared new level, amr as an open set,
// refresh (after a key rotation, refused for another subject), revocation
// at logout, PKCE verified by the provider, an authentication too old.
func interopProConnect2026(t *testing.T, p *interopOP, newRP func(*testing.T, string, func(*franceconnect.Config)) (*franceconnect.Client, *interopRecorder)) {
	mfa := []franceconnect.ACR{franceconnect.EIDAS1MFA}
	login := func(t *testing.T, c *franceconnect.Client, opts franceconnect.AuthOptions) (*franceconnect.Result, error) {
		t.Helper()
		req, err := c.AuthCodeURL(opts)
		if err != nil {
			t.Fatal(err)
		}
		return c.Exchange(interopCtx(t), req, interopQuery(t, newInteropBrowser(t).authorize(req.URL)))
	}
	for _, tt := range []struct {
		name, hint string
		accepted   []franceconnect.ACR
		prefer     []franceconnect.ACR
		levels     []franceconnect.Level
		wantACR    franceconnect.ACR
		wantMFA    bool
		wantAMR    []string
	}{
		{"MFA preferred, met with ProConnect's e-mail code", "jean.martin@numerique.gouv.fr", nil, mfa, nil, franceconnect.EIDAS1MFA, true, []string{"pwd", "mail"}},
		{"MFA preferred, met by the identity provider", "jean.martin+mfa@numerique.gouv.fr", nil, mfa, nil, franceconnect.EIDAS1MFA, true, []string{"pwd", "otp"}},
		{"MFA preferred, not met: in, at eidas1", "jean.martin+nomail@numerique.gouv.fr", nil, mfa, nil, franceconnect.EIDAS1, false, []string{"pwd"}},
		{"a declared new level", "jean.martin+nouveau@numerique.gouv.fr", []franceconnect.ACR{"eidas1-nouveau"}, nil,
			[]franceconnect.Level{{ACR: "eidas1-nouveau", Rank: 1, MFA: true}}, "eidas1-nouveau", true, []string{"pwd"}},
		{"amr values the library does not know", "jean.martin+face@numerique.gouv.fr", nil, nil, nil, franceconnect.EIDAS1, false, []string{"pwd", "face"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newRP(t, "pc-es256-jwt", func(cfg *franceconnect.Config) { cfg.ACRValues, cfg.Levels = tt.accepted, tt.levels })
			res, err := login(t, c, franceconnect.AuthOptions{PreferredACR: tt.prefer, LoginHint: tt.hint, Claims: franceconnect.ClaimsAMR})
			if err != nil {
				t.Fatalf("Exchange: %v", err)
			}
			if res.IDToken.ACR != tt.wantACR || res.IDToken.MFA != tt.wantMFA || strings.Join(res.IDToken.AMR, " ") != strings.Join(tt.wantAMR, " ") {
				t.Errorf("acr %s, MFA %v, amr %v; want %s, %v, %v", res.IDToken.ACR, res.IDToken.MFA, res.IDToken.AMR, tt.wantACR, tt.wantMFA, tt.wantAMR)
			}
		})
	}

	t.Run("MFA required, not met: no callback", func(t *testing.T) {
		c, rec := newRP(t, "pc-es256-jwt", func(cfg *franceconnect.Config) { cfg.ACRValues = mfa })
		req, err := c.AuthCodeURL(franceconnect.AuthOptions{LoginHint: "jean.martin+nomail@numerique.gouv.fr"})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := newInteropBrowser(t).c.Get(req.URL)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode < 400 || !strings.Contains(string(page), "Y020032") || rec.count("/token") != 0 {
			t.Errorf("HTTP %d, page %.200s, token calls %d: want ProConnect's Y020032 page and nothing else", resp.StatusCode, page, rec.count("/token"))
		}
	})

	t.Run("refresh after a key rotation, revocation at logout", func(t *testing.T) {
		c, rec := newRP(t, "pc-es256-jwt", func(*franceconnect.Config) {})
		res, err := login(t, c, franceconnect.AuthOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rotated := newInteropKeys(t, "pc2")
		resp, err := http.Post(fmt.Sprintf("http://127.0.0.1:%d/__control/keys", p.Port), "application/json", bytes.NewReader(rotated.jwks))
		if err != nil || resp.StatusCode != http.StatusNoContent {
			t.Fatalf("rotating the provider's keys: %v %v", resp, err)
		}
		resp.Body.Close()
		renewed, err := c.Refresh(interopCtx(t), res.RefreshToken, res.RawIDToken)
		if err != nil {
			t.Fatalf("Refresh: %v", err)
		}
		if hdr, _ := interopJWT(t, renewed.RawIDToken); hdr["kid"] != rotated.ES256KID || renewed.IDToken.Subject != res.IDToken.Subject {
			t.Errorf("refreshed ID token kid %v, sub the session's: %v", hdr["kid"], renewed.IDToken.Subject == res.IDToken.Subject)
		}
		if err := c.Revoke(interopCtx(t), renewed.RefreshToken); err != nil {
			t.Fatalf("Revoke: %v", err)
		}
		if n := rec.count("/token/revocation"); n != 1 {
			t.Errorf("%d revocation requests", n)
		}
		if _, err := c.Refresh(interopCtx(t), renewed.RefreshToken, renewed.RawIDToken); !errors.Is(err, franceconnect.ErrInvalidGrant) {
			t.Errorf("refresh after revocation: %v, want ErrInvalidGrant (the provider revoked it)", err)
		}
	})

	t.Run("refresh about another user refused", func(t *testing.T) {
		c, _ := newRP(t, "pc-other-sub", func(*franceconnect.Config) {})
		res, err := login(t, c, franceconnect.AuthOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Refresh(interopCtx(t), res.RefreshToken, res.RawIDToken); !errors.Is(err, franceconnect.ErrSubjectMismatch) {
			t.Errorf("Refresh: %v, want ErrSubjectMismatch", err)
		}
	})

	t.Run("PKCE verified by the provider", func(t *testing.T) {
		c, _ := newRP(t, "pc-es256-jwt", func(*franceconnect.Config) {})
		req, err := c.AuthCodeURL(franceconnect.AuthOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cb := newInteropBrowser(t).authorize(req.URL)
		req.CodeVerifier = strings.Repeat("x", 43)
		if _, err := c.Exchange(interopCtx(t), req, interopQuery(t, cb)); !errors.Is(err, franceconnect.ErrInvalidGrant) {
			t.Errorf("another verifier: %v, want ErrInvalidGrant", err)
		}
	})

	t.Run("an authentication too old", func(t *testing.T) {
		c, _ := newRP(t, "pc-es256-jwt", func(cfg *franceconnect.Config) { cfg.MaxAuthAge = 10 * time.Minute })
		if _, err := login(t, c, franceconnect.AuthOptions{LoginHint: "jean.martin+old@numerique.gouv.fr"}); !errors.Is(err, franceconnect.ErrAuthTooOld) {
			t.Errorf("an hour old: %v, want ErrAuthTooOld", err)
		}
		if _, err := login(t, c, franceconnect.AuthOptions{}); err != nil {
			t.Errorf("fresh: %v", err)
		}
	})
}
