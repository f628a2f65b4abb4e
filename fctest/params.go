package fctest

// The authorize request's parameters as FranceConnect checks them, and
// the query strings of the redirects.

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// franceConnectParams are the only authorize parameters FranceConnect's
// core accepts (v2 and FranceConnect+): it refuses any other with
// invalid_request, so PKCE, request, request_uri, login_hint and
// response_mode never reach it.
var franceConnectParams = []string{"client_id", "acr_values", "claims", "response_type", "nonce", "state",
	"redirect_uri", "scope", "prompt", "idp_hint", "ui_locales"}

// checkAuthorizeParams does FranceConnect's parameter validation (the
// checks that end on error page Y030007) and returns what is wrong. The
// legacy API wants no acr_values, no minimum nonce length, does not check
// prompt nor refuse unknown parameters, but wants a state.
func checkAuthorizeParams(q url.Values, v1 bool) string {
	if msg := checkParamNames(q, v1); msg != "" {
		return msg
	}
	// A missing state is redirected as an error (state=undefined) on v2.
	required := []string{"client_id", "redirect_uri", "scope", "nonce", "acr_values"}
	if v1 {
		required = []string{"client_id", "redirect_uri", "scope", "nonce", "state"}
	}
	for _, k := range required {
		if q.Get(k) == "" {
			return "Le paramètre obligatoire " + k + " est absent."
		}
	}
	if u, err := url.Parse(q.Get("redirect_uri")); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "Le paramètre redirect_uri n’est pas une URL."
	}
	switch {
	case v1:
		return ""
	case utf8.RuneCountInString(q.Get("nonce")) < 22:
		return "Le paramètre nonce doit compter au moins 22 caractères."
	case q.Has("prompt") && !validPrompt(q.Get("prompt")):
		return "Le paramètre prompt n’accepte que login, consent ou « login consent »."
	}
	return ""
}

// checkParamNames refuses a parameter given twice, and on v2 one that
// FranceConnect does not list.
func checkParamNames(q url.Values, v1 bool) string {
	for k, v := range q {
		switch {
		case len(v) > 1:
			return "Le paramètre " + k + " est présent plusieurs fois."
		case !v1 && !slices.Contains(franceConnectParams, k):
			return "Le paramètre " + k + " n’est pas autorisé (invalid_request: invalid parameter)."
		}
	}
	return ""
}

// validPrompt accepts login, consent, or both once each.
func validPrompt(prompt string) bool {
	words := strings.Fields(prompt)
	valid := len(words) > 0 && len(words) <= 2
	for i, p := range words {
		if (p != "login" && p != "consent") || (i == 1 && words[0] == p) {
			valid = false
		}
	}
	return valid
}

// checkParams validates the authorize parameters as the server's
// federation does, and returns the Y-code and message of the error page.
func (s *Server) checkParams(q url.Values) (yCode, msg string) {
	if s.pc {
		return checkProConnectParams(q)
	}
	return yBadParams, checkAuthorizeParams(q, s.v1)
}

// resolveACR applies FranceConnect's rule: the lowest known level among the
// requested ones, eidas1 when none is known.
func resolveACR(values string) string {
	for _, level := range []string{"eidas1", "eidas2", "eidas3"} {
		if slices.Contains(strings.Fields(values), level) {
			return level
		}
	}
	return "eidas1"
}

// amrRequested reports whether the claims parameter asks for amr in the
// ID token.
func amrRequested(claims string) (bool, error) {
	if claims == "" {
		return false, nil
	}
	var req struct {
		IDToken map[string]json.RawMessage `json:"id_token"`
	}
	if err := json.Unmarshal([]byte(claims), &req); err != nil {
		return false, err
	}
	_, ok := req.IDToken["amr"]
	return ok, nil
}

// uniqueFields splits a space-separated list, dropping duplicates.
func uniqueFields(s string) []string {
	var out []string
	for _, f := range strings.Fields(s) {
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out
}

// appendQuery adds params to the query of u, keeping u's bytes.
// reencodeQuery serializes a query the way FranceConnect's provider does
// when it redirects (WHATWG URLSearchParams): pairs kept in order, each
// name and value decoded then encoded again, so "a%20b" comes back as
// "a+b". A client that compared the callback URL's own query with the
// registered one would break; the code, state and iss are what count.
func reencodeQuery(q string) string {
	if q == "" {
		return q
	}
	var pairs []string
	for _, p := range strings.Split(q, "&") {
		if p != "" {
			pairs = append(pairs, p)
		}
	}
	for i, p := range pairs {
		k, v, _ := strings.Cut(p, "=")
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			continue
		}
		pairs[i] = url.QueryEscape(dk) + "=" + url.QueryEscape(dv)
	}
	return strings.Join(pairs, "&")
}

func appendQuery(u string, params [][2]string) string {
	var b strings.Builder
	for _, p := range params {
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(p[0]) + "=" + url.QueryEscape(p[1]))
	}
	base, fragment, hasFragment := strings.Cut(u, "#")
	if path, query, ok := strings.Cut(base, "?"); ok {
		base = path + "?" + reencodeQuery(query)
	}
	switch {
	case !strings.Contains(base, "?"):
		base += "?"
	case !strings.HasSuffix(base, "?") && !strings.HasSuffix(base, "&"):
		base += "&"
	}
	out := base + b.String()
	if hasFragment {
		out += "#" + fragment
	}
	return out
}
