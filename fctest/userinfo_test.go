package fctest_test

import (
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/franceconnect-go/franceconnect/fctest"
)

func TestUserInfoJWT(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"ES256", "RS256"} {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			srv, c := setup(t, alg)
			f := fullFlow(t, srv, c, authParams(c, callback), fctest.DefaultUser)
			_, idClaims := verify(t, srv, f.idToken(t))
			resp, body := userinfo(t, srv, f.accessToken(t))
			if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/jwt") {
				t.Fatalf("userinfo: %s %q", resp.Status, resp.Header.Get("Content-Type"))
			}
			h, claims := verify(t, srv, string(body))
			if h.Algorithm != alg {
				t.Fatalf("userinfo alg %s, want %s", h.Algorithm, alg)
			}
			if claims["sub"] != idClaims["sub"] || claims["iss"] != srv.Environment().Issuer || claims["aud"] != c.ID ||
				claims["exp"].(float64)-claims["iat"].(float64) != 60 {
				t.Fatalf("userinfo claims %v", claims)
			}
			if claims["given_name"] != "Angela Claire Louise" || claims["family_name"] != "DUBOIS" ||
				claims["birthdate"] != "1962-08-24" || claims["gender"] != "female" || claims["birthplace"] != "75107" ||
				claims["birthcountry"] != "99100" || claims["email"] != "wossewodda-3728@yopmail.com" ||
				!reflect.DeepEqual(claims["given_name_array"], []any{"Angela", "Claire", "Louise"}) {
				t.Fatalf("identity %v", claims)
			}
		})
	}
}

func TestUserInfoScopes(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, "")
	base := []string{"aud", "exp", "iat", "iss", "sub"}
	tests := []struct {
		scope string
		want  []string
	}{
		{"openid", nil},
		{"openid profile", []string{"birthdate", "family_name", "gender", "given_name", "given_name_array"}},
		{"openid identite_pivot", []string{"birthcountry", "birthdate", "birthplace", "family_name", "gender", "given_name", "given_name_array"}},
		{"openid birth", []string{"birthcountry", "birthplace"}},
		{"openid given_name family_name", []string{"family_name", "given_name", "given_name_array"}},
		{"openid gender birthdate birthplace birthcountry", []string{"birthcountry", "birthdate", "birthplace", "gender"}},
		{"openid email", []string{"email"}},
		{"openid idp_birthdate idp_id amr", []string{"amr", "idp_birthdate", "idp_id"}},
		{"openid preferred_username", nil}, // DefaultUser has no nom d'usage
	}
	for _, tt := range tests {
		t.Run(tt.scope, func(t *testing.T) {
			t.Parallel()
			q := authParams(c, callback)
			q.Set("scope", tt.scope)
			f := fullFlow(t, srv, c, q, fctest.DefaultUser)
			if f.token["scope"] != tt.scope {
				t.Errorf("token scope %q, want %q", f.token["scope"], tt.scope)
			}
			_, body := userinfo(t, srv, f.accessToken(t))
			_, claims := verify(t, srv, string(body))
			want := slices.Sorted(slices.Values(append(tt.want, base...)))
			if got := slices.Sorted(maps.Keys(claims)); !slices.Equal(got, want) {
				t.Fatalf("claims %v, want %v", got, want)
			}
		})
	}
}

func TestUserInfoEdgeCases(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, "")
	byLogin := map[string]fctest.User{}
	for _, u := range fctest.Users() {
		byLogin[u.Login] = u
	}
	tests := []struct {
		login string
		check func(map[string]any) bool
	}{
		{"naissance_Algérie", func(m map[string]any) bool {
			v, ok := m["birthplace"]
			return ok && v == "" && m["birthcountry"] == "99352"
		}},
		{"mois_00", func(m map[string]any) bool {
			return m["birthdate"] == "1977-01-03" && m["idp_birthdate"] == "1977-00-03"
		}},
		{"genre_indéfini", func(m map[string]any) bool { return m["gender"] == "unspecified" }},
		{"sans_mail", func(m map[string]any) bool { _, ok := m["email"]; return !ok }},
		{"test_CORSE_2A", func(m map[string]any) bool { return m["birthplace"] == "2A004" }},
		{"avec_nom_dusage", func(m map[string]any) bool { return m["preferred_username"] != "" && m["preferred_username"] != nil }},
		{"nom_composé", func(m map[string]any) bool {
			return m["given_name"] == "Jean-Paul Émile" && m["family_name"] == "DE LA FONTAINE" &&
				reflect.DeepEqual(m["given_name_array"], []any{"Jean-Paul", "Émile"})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.login, func(t *testing.T) {
			t.Parallel()
			u, ok := byLogin[tt.login]
			if !ok {
				t.Fatalf("no user %q in Users()", tt.login)
			}
			q := authParams(c, callback)
			q.Set("scope", "openid identite_pivot email preferred_username idp_birthdate")
			f := fullFlow(t, srv, c, q, u)
			_, body := userinfo(t, srv, f.accessToken(t))
			_, claims := verify(t, srv, string(body))
			if !tt.check(claims) {
				t.Fatalf("claims %v", claims)
			}
		})
	}
}

func TestUserInfoErrors(t *testing.T) {
	t.Parallel()
	srv, _ := setup(t, "")
	for _, tt := range []struct{ token, y string }{{"", "Y04146A2"}, {"unknown", "Y040001"}} {
		resp, body := userinfo(t, srv, tt.token)
		code, y := oauthErr(t, body)
		if resp.StatusCode != http.StatusUnauthorized || code != "invalid_token" || y != tt.y ||
			!strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
			t.Errorf("token %q: %s %s %s", tt.token, resp.Status, code, y)
		}
	}
}

func TestUserInfoQueryToken(t *testing.T) {
	t.Parallel()
	srv, c := setup(t, "")
	f := fullFlow(t, srv, c, authParams(c, callback), fctest.DefaultUser)
	resp, err := http.Get(srv.Environment().Issuer + "/userinfo?access_token=" + f.accessToken(t))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("access_token query parameter: %s", resp.Status)
	}
}
