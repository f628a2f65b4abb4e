package httpx

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestReadLimited(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body string
		max  int64
		err  error
	}{
		{"", 4, nil},
		{"abcd", 4, nil},
		{"abcde", 4, ErrTooLarge},
	} {
		b, err := ReadLimited(strings.NewReader(tc.body), tc.max)
		if !errors.Is(err, tc.err) || (err == nil && string(b) != tc.body) {
			t.Errorf("ReadLimited(%q, %d) = %q, %v", tc.body, tc.max, b, err)
		}
	}
}

func TestLimitClient(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, strings.Repeat("x", 1000))
	}))
	defer srv.Close()
	base := srv.Client()
	for max, want := range map[int64]error{2000: nil, 1000: nil, 999: ErrTooLarge} {
		resp, err := LimitClient(base, max).Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if !errors.Is(err, want) {
			t.Errorf("max %d: %v, want %v", max, err, want)
		}
	}
	if base.Transport == nil || LimitClient(base, 1).Transport == base.Transport {
		t.Error("LimitClient must wrap a copy, not change the caller's client")
	}
}
