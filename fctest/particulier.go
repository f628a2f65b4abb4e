package fctest

import (
	"net/http"
	"slices"
	"strings"
)

// API Particulier in its FranceConnect mode, served by a FranceConnect
// mock on its own URL (the base URL of package apiparticulier's Client):
// GET /v3/dss/{endpoint}/france_connect?recipient=SIRET with the access
// token the mock issued as bearer. It answers the user's
// User.Particulier data when the token is live and carries the
// endpoint's business scope, and the provider's error shape
// ({"errors":[{"code","title","detail","source","meta"}]}) otherwise:
// 401 for a token that is unknown, revoked or expired, 403 for a missing
// scope, 404 for a citizen without a record (code 37003, as the provider's
// staging data), 400 for a recipient that is no SIRET. The codes of the
// token, scope and recipient errors are the mock's own: match on the
// status, as package apiparticulier does.

// particulierScopes are the business scope each endpoint needs.
var particulierScopes = map[string]string{
	"quotient_familial":              "cnaf_quotient_familial",
	"complementaire_sante_solidaire": "complementaire_sante_solidaire",
}

// particulierError is one error of API Particulier's answers.
type particulierError struct {
	Code   string         `json:"code"`
	Title  string         `json:"title"`
	Detail string         `json:"detail"`
	Source any            `json:"source"`
	Meta   map[string]any `json:"meta"`
}

func (s *Server) handleParticulier(w http.ResponseWriter, r *http.Request) {
	endpoint := r.PathValue("endpoint")
	scope, known := particulierScopes[endpoint]
	if !known {
		http.NotFound(w, r)
		return
	}
	fail := func(status int, code, title, detail string) {
		provider := map[bool]string{true: "CNAV", false: "API Particulier"}[status == http.StatusNotFound]
		writeJSON(w, status, map[string]any{"errors": []particulierError{{Code: code, Title: title, Detail: detail,
			Meta: map[string]any{"provider": provider}}}})
	}
	if recipient := r.URL.Query().Get("recipient"); len(recipient) != 14 || strings.Trim(recipient, "0123456789") != "" {
		fail(http.StatusBadRequest, "00210", "Entité non processable", "Le paramètre recipient doit être le SIRET (14 chiffres) de l'organisation destinataire.")
		return
	}
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	t := s.tokens[token]
	s.mu.Unlock()
	switch {
	case t == nil:
		fail(http.StatusUnauthorized, "50001", "Jeton FranceConnect invalide", "Le jeton FranceConnect est inconnu ou a été révoqué.")
		return
	case s.now().After(t.expires):
		fail(http.StatusUnauthorized, "50002", "Jeton FranceConnect expiré", "Le jeton FranceConnect a expiré : il vit 60 secondes.")
		return
	case !slices.Contains(t.scopes, scope):
		fail(http.StatusForbidden, "50003", "Scope manquant", "Le jeton FranceConnect ne porte pas le scope "+scope+".")
		return
	}
	data, ok := t.user.Particulier[endpoint]
	if !ok {
		fail(http.StatusNotFound, "37003", "Dossier allocataire absent CNAV", "Le dossier allocataire n'a pas été trouvé auprès de la CNAV.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data, "links": map[string]any{}, "meta": map[string]any{}})
}
