package fctest

import "testing"

func TestPruneBoundsTables(t *testing.T) {
	t.Parallel()
	m := map[string]int{}
	for i := range maxEntries + 10 {
		prune(m, func(v int) bool { return v%2 == 0 })
		m[randomToken()] = i
		if len(m) > maxEntries {
			t.Fatalf("%d entries after insert %d", len(m), i)
		}
	}
}

func TestUserLabel(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		u    User
		want string
	}{
		{User{Login: "x", Label: "L"}, "L"},
		{User{Login: "x", GivenName: "Jean", FamilyName: "DUPONT"}, "Jean DUPONT"},
		{User{Login: "x"}, "x"},
	} {
		if got := tt.u.label(); got != tt.want {
			t.Errorf("label(%+v) = %q, want %q", tt.u, got, tt.want)
		}
	}
}
