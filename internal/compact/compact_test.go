package compact

import "testing"

func TestBadByte(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]int{
		"":              -1,
		"eyJh.b-c_.d":   -1,
		"eyJh.b\r\nc.d": 6,
		" a":            0,
		"a.b.c=":        5,
		"abc+def":       3,
		"a.b.c/":        5,
		"\u00e9":        0,
	} {
		if got := BadByte(s); got != want {
			t.Errorf("BadByte(%q) = %d, want %d", s, got, want)
		}
	}
}
