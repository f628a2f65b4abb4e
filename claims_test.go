package franceconnect

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseBirthdate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in    string
		want  Birthdate
		known bool
		ok    bool
	}{
		{"1962-08-24", Birthdate{1962, time.August, 24}, true, true},
		{"1977-00-03", Birthdate{1977, 0, 3}, false, true}, // month unknown, as some identity providers send it
		{"1977-00-32", Birthdate{}, false, false},
		{"1977-05-00", Birthdate{1977, time.May, 0}, false, true},
		{"1950-00-00", Birthdate{1950, 0, 0}, false, true},
		{"2000-02-29", Birthdate{2000, time.February, 29}, true, true},
		{"2001-02-29", Birthdate{}, false, false},
		{"1962-13-01", Birthdate{}, false, false},
		{"1962-8-24", Birthdate{}, false, false},
		{"62-08-2400", Birthdate{}, false, false},
		{"+962-08-24", Birthdate{}, false, false},
		{"", Birthdate{}, false, false},
	}
	for _, tt := range tests {
		got, err := ParseBirthdate(tt.in)
		if !tt.ok {
			assert.ErrorIs(t, err, ErrInvalidIdentity, tt.in)
			continue
		}
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got)
		assert.Equal(t, tt.known, got.Known())
		assert.Equal(t, tt.in, got.String())
		_, ok := got.Time()
		assert.Equal(t, tt.known, ok)
	}
}

func TestParseIdentity(t *testing.T) {
	t.Parallel()
	id, err := parseIdentity([]byte(`{
		"sub": "abc", "given_name": "Angela Claire Louise", "given_name_array": ["Angela", "Claire", "Louise"],
		"family_name": "DUBOIS", "preferred_username": "", "birthdate": "1962-08-24", "gender": "female",
		"birthplace": "75107", "birthcountry": "99100", "email": "wossewodda-3728@yopmail.com",
		"idp_birthdate": "1962-08-00", "idp_id": "fia1v2", "amr": ["pwd"],
		"iss": "x", "aud": "y", "exp": 1, "iat": 1, "custom_claim": {"a": 1}}`))
	require.NoError(t, err)
	assert.Equal(t, "Angela Claire Louise", id.GivenName)
	assert.Equal(t, []string{"Angela", "Claire", "Louise"}, id.GivenNames)
	assert.Equal(t, Birthdate{1962, time.August, 24}, id.Birthdate)
	assert.Equal(t, Birthdate{1962, time.August, 0}, id.IDPBirthdate)
	assert.Equal(t, GenderFemale, id.Gender)
	assert.True(t, id.BornInFrance())
	assert.Equal(t, []string{"pwd"}, id.AMR)
	var more struct {
		Custom map[string]int `json:"custom_claim"`
		Iss    string         `json:"ISS"` // names are exact: "iss" is not "ISS"
	}
	require.NoError(t, id.Claims(&more), "claims the library does not type")
	assert.Equal(t, map[string]int{"a": 1}, more.Custom)
	assert.Empty(t, more.Iss)

	abroad, err := parseIdentity([]byte(`{"sub":"a","given_name":"Jean Paul","birthplace":"","birthcountry":"99352"}`))
	require.NoError(t, err)
	assert.False(t, abroad.BornInFrance())
	assert.Empty(t, abroad.Birthplace)
	assert.Equal(t, []string{"Jean", "Paul"}, abroad.GivenNames)

	corsica, err := parseIdentity([]byte(`{"sub":"a","birthplace":"2A004","birthcountry":"99100","gender":"unspecified"}`))
	require.NoError(t, err)
	assert.Equal(t, "2A004", corsica.Birthplace)
	assert.Equal(t, GenderUnspecified, corsica.Gender)

	v1, err := parseIdentity([]byte(`{"sub":"a","address":{"country":"France","locality":"Paris","postal_code":"75107"},"phone_number":"0123456789"}`))
	require.NoError(t, err)
	assert.Equal(t, "Paris", v1.Address.Locality)
	assert.Equal(t, "0123456789", v1.PhoneNumber)
}

func TestParseIdentityErrors(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"not json":          `nope`,
		"wrong type":        `{"sub":"a","given_name":42}`,
		"bad birthdate":     `{"sub":"a","birthdate":"24/08/1962"}`,
		"bad idp birthdate": `{"sub":"a","idp_birthdate":"1962"}`,
		"bad gender":        `{"sub":"a","gender":"F"}`,
		"bad birthplace":    `{"sub":"a","birthplace":"Paris"}`,
		"bad birthcountry":  `{"sub":"a","birthcountry":"FR"}`,
		"bad email":         `{"sub":"a","email":"angela"}`,
		"sub twice":         `{"sub":"a","sub":"b"}`,
		"email twice":       `{"sub":"a","email":"a@b.fr","email":"c@d.fr"}`,
		"address twice":     `{"sub":"a","address":{"country":"A"},"address":{"locality":"B"}}`,
		"null":              `null`,
		"array":             `[{"sub":"a"}]`,
	}
	for name, in := range tests {
		_, err := parseIdentity([]byte(in))
		assert.ErrorIs(t, err, ErrInvalidIdentity, name)
		if err != nil {
			for _, leak := range []string{"24/08/1962", "Paris", "angela", "FR\""} {
				assert.NotContains(t, err.Error(), leak, "no identity value in %s", name)
			}
		}
	}
	_, err := parseIdentity([]byte(`{"given_name":"x"}`))
	assert.ErrorIs(t, err, ErrInvalidIdentity)
	_, err = parseIdentity([]byte(`{"SUB":"a","Sub":"b"}`))
	assert.ErrorIs(t, err, ErrInvalidIdentity, "claim names are exact")
	id, err := parseIdentity([]byte(`{"sub":"a","GIVEN_NAME":"x","Email":"not an address"}`))
	if assert.NoError(t, err) {
		assert.Empty(t, id.GivenName+id.Email, "case-folded names are other claims")
	}
}

func TestACROrder(t *testing.T) {
	t.Parallel()
	assert.True(t, EIDAS3.AtLeast(EIDAS1))
	assert.True(t, EIDAS2.AtLeast(EIDAS2))
	assert.False(t, EIDAS1.AtLeast(EIDAS2))
	assert.False(t, ACR("eidas4").AtLeast(EIDAS1))
	assert.False(t, ACR("").AtLeast(EIDAS1))
}
