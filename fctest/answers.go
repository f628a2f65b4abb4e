package fctest

// JSON and OAuth error answers, and the pruning of expired entries.

import (
	"encoding/json"
	"net/http"
)

// writeJSON writes v as a JSON answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // "&" stays "&" in error_uri, as FranceConnect writes it
	_ = enc.Encode(v)
}

// errorURI is FranceConnect's error_uri for a Y-code.
func errorURI(code string) string {
	return "https://docs.partenaires.franceconnect.gouv.fr/fs/fs-technique/fs-technique-erreurs/?code=" +
		code + "&id=" + newUUID()
}

// oauthError is FranceConnect's JSON error body.
type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
	ErrorURI         string `json:"error_uri"`
}

func writeOAuthError(w http.ResponseWriter, status int, code, desc, ycode string) {
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, status, oauthError{Error: code, ErrorDescription: desc, ErrorURI: errorURI(ycode)})
}

// prune drops expired entries of m when it is full, then arbitrary ones
// if it is still full. The caller holds s.mu.
func prune[V any](m map[string]V, expired func(V) bool) {
	if len(m) < maxEntries {
		return
	}
	for k, v := range m {
		if expired(v) {
			delete(m, k)
		}
	}
	for k := range m {
		if len(m) < maxEntries {
			break
		}
		delete(m, k)
	}
}
