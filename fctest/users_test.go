package fctest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect/fctest"
)

// The built-in identities, in the chooser's order, with the trait each one
// is there for.
func TestUsers(t *testing.T) {
	t.Parallel()
	users := fctest.Users()
	byLogin := map[string]fctest.User{}
	var logins []string
	for _, u := range users {
		logins = append(logins, u.Login)
		byLogin[u.Login] = u
		assert.NotEmpty(t, u.GivenNameArray, u.Login)
		assert.Equal(t, "fia1v2", u.IDPID, u.Login)
	}
	require.Equal(t, []string{"test", "avec_nom_dusage", "nom_composé", "carac_speciaux", "naissance_Algérie",
		"mois_00", "genre_indéfini", "sans_mail", "test_CORSE_2A"}, logins)
	assert.Equal(t, fctest.DefaultUser, users[0])
	assert.Equal(t, "MARCHAND", byLogin["avec_nom_dusage"].PreferredUsername)
	assert.Equal(t, []string{"Jean-Paul", "Émile"}, byLogin["nom_composé"].GivenNameArray)
	assert.Equal(t, []string{"pwd", "mail"}, byLogin["nom_composé"].AMR)
	assert.Equal(t, "D'ARTAGNAN-CŒUR", byLogin["carac_speciaux"].FamilyName)
	assert.Equal(t, [2]string{"", "99352"}, [2]string{byLogin["naissance_Algérie"].Birthplace, byLogin["naissance_Algérie"].Birthcountry})
	assert.Equal(t, [2]string{"1977-01-03", "1977-00-03"}, [2]string{byLogin["mois_00"].Birthdate, byLogin["mois_00"].IDPBirthdate})
	assert.Equal(t, "unspecified", byLogin["genre_indéfini"].Gender)
	assert.Empty(t, byLogin["sans_mail"].Email)
	assert.Equal(t, "2A004", byLogin["test_CORSE_2A"].Birthplace)

	users[1].AMR[0] = "changed"
	assert.Equal(t, "pwd", fctest.Users()[1].AMR[0], "each call returns fresh copies")
}
