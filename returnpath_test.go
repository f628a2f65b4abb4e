package franceconnect_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
)

// Return paths are local paths only; everything else falls back to the
// default.
func TestHandlersReturnPath(t *testing.T) {
	t.Parallel()
	tests := []struct {
		ret, want string
	}{
		{"/dossiers/42", "/dossiers/42"},
		{"/", "/"},
		{"/a?b=//evil.example#c", "/a?b=//evil.example#c"},
		{"/d%C3%A9marches", "/d%C3%A9marches"},
		{"", "/accueil"},
		{"//evil.example", "/accueil"},
		{"///evil.example", "/accueil"},
		{`/\evil.example`, "/accueil"},
		{`\\evil.example`, "/accueil"},
		{`/a\b`, "/accueil"},
		{"https://evil.example", "/accueil"},
		{"https:evil.example", "/accueil"},
		{"//evil.example/%2F..", "/accueil"},
		{"/%2F%2Fevil.example", "/accueil"},
		{"/%2f%2fevil.example", "/accueil"},
		{"/%5Cevil.example", "/accueil"},
		{"/%252F%252Fevil.example", "/accueil"},
		{"/%25252F%25252Fevil.example", "/accueil"},
		{"%2F%2Fevil.example", "/accueil"},
		{"javascript:alert(1)", "/accueil"},
		{"/\t/evil.example", "/accueil"},
		{"/%09/evil.example", "/accueil"},
		{"/\r\nLocation: https://evil.example", "/accueil"},
		{" /a", "/accueil"},
		{"/a b", "/accueil"},
		{`/a"b`, "/accueil"},
		{"/a%22b", "/a%22b"},
		{"/é", "/accueil"},
		{"/%zz", "/accueil"},
		{"/" + strings.Repeat("a", 2000), "/accueil"},
	}
	srv, cfg := hSetup(t)
	c := hClient(t, cfg, func(c *franceconnect.Config) { c.DefaultReturnPath = "/accueil" })
	login := c.LoginHandler(franceconnect.AuthOptions{})
	for _, tt := range tests {
		t.Run(tt.ret, func(t *testing.T) {
			t.Parallel()
			b := newHBrowser(t)
			var o hOutcome
			cb := b.Start(t, srv, login, hLogin+"?return="+url.QueryEscape(tt.ret), fctest.DefaultUser)
			resp := b.Get(t, o.callback(c), cb)
			o.requireSuccess(t)
			assert.Equal(t, tt.want, o.ret)
			assert.Equal(t, tt.want, resp.Header.Get("Location"))
		})
	}
}
