package account_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/account"
	"github.com/franceconnect-go/franceconnect/fctest"
)

// identityOf is the Identity the library gives for a test identity of the
// mock, as verified at login.
func identityOf(t *testing.T, u fctest.User) *franceconnect.Identity {
	t.Helper()
	srv := fctest.NewServer(fctest.Options{})
	t.Cleanup(srv.Close)
	reg := srv.Register(fctest.Registration{RedirectURIs: []string{"https://portail.example/fc/callback"}})
	c, err := franceconnect.New(franceconnect.Config{Environment: srv.Environment(), ClientID: reg.ID, ClientSecret: reg.Secret,
		RedirectURL: "https://portail.example/fc/callback", Scopes: []string{franceconnect.ScopeIdentitePivot, franceconnect.ScopeIDPBirthdate}})
	require.NoError(t, err)
	req, err := c.AuthCodeURL(franceconnect.AuthOptions{})
	require.NoError(t, err)
	cb, err := srv.Login(req.URL, u)
	require.NoError(t, err)
	q, err := url.Parse(cb)
	require.NoError(t, err)
	res, err := c.Exchange(t.Context(), req, q.Query())
	require.NoError(t, err)
	return res.Identity
}

func TestMatchIdentity(t *testing.T) {
	t.Parallel()
	byLogin := map[string]fctest.User{}
	for _, u := range fctest.Users() {
		byLogin[u.Login] = u
	}
	date := func(y, m, d int) franceconnect.Birthdate {
		return franceconnect.Birthdate{Year: y, Month: timeMonth(m), Day: d}
	}
	stored := func(given, family string, bd franceconnect.Birthdate, gender franceconnect.Gender, place, country string) *franceconnect.Identity {
		return &franceconnect.Identity{GivenName: given, FamilyName: family, Birthdate: bd, Gender: gender, Birthplace: place, Birthcountry: country}
	}
	angela := stored("Angela Claire Louise", "DUBOIS", date(1962, 8, 24), franceconnect.GenderFemale, "75107", "99100")
	tests := []struct {
		name   string
		login  string
		stored *franceconnect.Identity
		diff   []string // nil: a match
	}{
		{"the same", "test", angela, nil},
		{"case and spaces", "test", stored("  angela   claire louise ", "Dubois", date(1962, 8, 24), franceconnect.GenderFemale, "75107", "99100"), nil},
		{"accents, apostrophe and hyphen", "carac_speciaux", stored("Zoe Anais", "d’Artagnan Coeur", date(1991, 2, 14), franceconnect.GenderFemale, "13055", "99100"), nil},
		{"compound given name", "nom_composé", stored("JEAN PAUL EMILE", "de la Fontaine", date(1975, 11, 30), franceconnect.GenderMale, "33063", "99100"), nil},
		{"Corsica, lower case", "test_CORSE_2A", stored("Ghjuvanni Antone", "SANTONI", date(1983, 6, 15), franceconnect.GenderMale, "2a004", "99100"), nil},
		{"born abroad: birthplace not compared", "naissance_Algérie", stored("Karim Mohamed", "BENALI", date(1969, 7, 4), franceconnect.GenderMale, "99999", "99352"), nil},
		{"unknown month stored with 00", "mois_00", stored("Paul", "LEROY", date(1977, 0, 3), franceconnect.GenderMale, "59350", "99100"), nil},
		{"unknown month stored completed", "mois_00", stored("Paul", "LEROY", date(1977, 1, 3), franceconnect.GenderMale, "59350", "99100"), nil},

		{"first given name only", "test", stored("Angela", "DUBOIS", date(1962, 8, 24), franceconnect.GenderFemale, "75107", "99100"), []string{"given_names"}},
		{"given names in another order", "nom_composé", stored("Émile Jean-Paul", "DE LA FONTAINE", date(1975, 11, 30), franceconnect.GenderMale, "33063", "99100"), []string{"given_names"}},
		{"nom d'usage as birth name", "avec_nom_dusage", stored("Marie Hélène", "MARCHAND", date(1980, 5, 12), franceconnect.GenderFemale, "69123", "99100"), []string{"family_name"}},
		{"one letter apart", "test", stored("Angela Claire Louise", "DUBOYS", date(1962, 8, 24), franceconnect.GenderFemale, "75107", "99100"), []string{"family_name"}},
		{"a twin", "test", stored("Angela Claire Louise", "DUBOIS", date(1962, 8, 25), franceconnect.GenderFemale, "75107", "99100"), []string{"birthdate"}},
		{"another month for 00", "mois_00", stored("Paul", "LEROY", date(1977, 2, 3), franceconnect.GenderMale, "59350", "99100"), []string{"birthdate"}},
		{"born in the next arrondissement", "test", stored("Angela Claire Louise", "DUBOIS", date(1962, 8, 24), franceconnect.GenderFemale, "75108", "99100"), []string{"birthplace"}},
		{"another country", "naissance_Algérie", stored("Karim Mohamed", "BENALI", date(1969, 7, 4), franceconnect.GenderMale, "", "99350"), []string{"birthcountry"}},
		{"gender", "genre_indéfini", stored("Camille", "PETIT", date(1988, 9, 21), franceconnect.GenderFemale, "31555", "99100"), []string{"gender"}},
		{"only the e-mail in common", "test", stored("Jean", "MARTIN", date(1970, 1, 1), franceconnect.GenderMale, "75056", "99100"), []string{"family_name", "given_names", "birthdate", "gender", "birthplace"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := account.MatchIdentity(identityOf(t, byLogin[tt.login]), tt.stored)
			assert.Equal(t, tt.diff == nil, got.Match)
			assert.Equal(t, tt.diff, got.Differences)
		})
	}
}

func timeMonth(m int) time.Month { return time.Month(m) }

// A missing field is never a match, on either side: a login whose scopes
// asked for the names only does not link an account that holds only a
// name, whatever the person's birth date, place or gender; two empty
// identities do not match; a person born in France needs a birthplace on
// both sides.
func TestMatchIdentityRequiresTheWholePivot(t *testing.T) {
	t.Parallel()
	namesOnly := func(t *testing.T) *franceconnect.Identity {
		srv := fctest.NewServer(fctest.Options{})
		t.Cleanup(srv.Close)
		reg := srv.Register(fctest.Registration{RedirectURIs: []string{"https://portail.example/fc/callback"}})
		c, err := franceconnect.New(franceconnect.Config{Environment: srv.Environment(), ClientID: reg.ID, ClientSecret: reg.Secret,
			RedirectURL: "https://portail.example/fc/callback", Scopes: []string{"given_name", "family_name", franceconnect.ScopeEmail}})
		require.NoError(t, err)
		req, err := c.AuthCodeURL(franceconnect.AuthOptions{})
		require.NoError(t, err)
		cb, err := srv.Login(req.URL, fctest.DefaultUser)
		require.NoError(t, err)
		q, _ := url.Parse(cb)
		res, err := c.Exchange(t.Context(), req, q.Query())
		require.NoError(t, err)
		return res.Identity
	}
	all := []string{"family_name", "given_names", "birthdate", "gender", "birthcountry", "birthplace"}
	bornInParis := &franceconnect.Identity{GivenName: "Angela Claire Louise", FamilyName: "DUBOIS", Gender: franceconnect.GenderFemale,
		Birthdate: franceconnect.Birthdate{Year: 1962, Month: 8, Day: 24}, Birthcountry: "99100"}
	tests := []struct {
		name             string
		verified, stored func(t *testing.T) *franceconnect.Identity
		diff             []string
	}{
		{"names only, against an account holding only a name", namesOnly,
			func(*testing.T) *franceconnect.Identity {
				return &franceconnect.Identity{GivenName: "Angela Claire Louise", FamilyName: "DUBOIS"}
			}, []string{"birthdate", "gender", "birthcountry", "birthplace"}},
		{"names only, against a whole pivot", namesOnly,
			func(t *testing.T) *franceconnect.Identity { return identityOf(t, fctest.DefaultUser) },
			[]string{"birthdate", "gender", "birthcountry", "birthplace"}},
		{"two empty identities",
			func(*testing.T) *franceconnect.Identity { return &franceconnect.Identity{} },
			func(*testing.T) *franceconnect.Identity { return &franceconnect.Identity{} }, all},
		{"no identity", func(*testing.T) *franceconnect.Identity { return nil },
			func(t *testing.T) *franceconnect.Identity { return identityOf(t, fctest.DefaultUser) }, all},
		{"born in France, no birthplace on either side",
			func(*testing.T) *franceconnect.Identity { return bornInParis },
			func(*testing.T) *franceconnect.Identity { return bornInParis }, []string{"birthplace"}},
		{"born in France, no birthplace stored",
			func(t *testing.T) *franceconnect.Identity { return identityOf(t, fctest.DefaultUser) },
			func(*testing.T) *franceconnect.Identity { return bornInParis }, []string{"birthplace"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := account.MatchIdentity(tt.verified(t), tt.stored(t))
			assert.False(t, got.Match)
			assert.Equal(t, tt.diff, got.Differences)
		})
	}
}
