package fctest

// The discovery document and the key set, as FranceConnect serves them.

import (
	"encoding/json"
	"net/http"
	"slices"
)

// discovery is FranceConnect's discovery document, in its order.
type discovery struct {
	Issuer                            string   `json:"issuer"`
	AuthorizationEndpoint             string   `json:"authorization_endpoint"`
	TokenEndpoint                     string   `json:"token_endpoint"`
	UserinfoEndpoint                  string   `json:"userinfo_endpoint"`
	EndSessionEndpoint                string   `json:"end_session_endpoint"`
	RevocationEndpoint                string   `json:"revocation_endpoint"`
	JWKSURI                           string   `json:"jwks_uri"`
	ScopesSupported                   []string `json:"scopes_supported"`
	ClaimsSupported                   []string `json:"claims_supported"`
	AcrValuesSupported                []string `json:"acr_values_supported"`
	ResponseTypesSupported            []string `json:"response_types_supported"`
	ResponseModesSupported            []string `json:"response_modes_supported"`
	GrantTypesSupported               []string `json:"grant_types_supported"`
	SubjectTypesSupported             []string `json:"subject_types_supported"`
	TokenEndpointAuthMethodsSupported []string `json:"token_endpoint_auth_methods_supported"`
	TokenEndpointAuthSigningAlgs      []string `json:"token_endpoint_auth_signing_alg_values_supported"`
	IDTokenSigningAlgValuesSupported  []string `json:"id_token_signing_alg_values_supported"`
	UserinfoSigningAlgValuesSupported []string `json:"userinfo_signing_alg_values_supported"`
	CodeChallengeMethodsSupported     []string `json:"code_challenge_methods_supported"`
	ClaimTypesSupported               []string `json:"claim_types_supported"`
	ClaimsParameterSupported          bool     `json:"claims_parameter_supported"`
	RequestParameterSupported         bool     `json:"request_parameter_supported"`
	RequestURIParameterSupported      bool     `json:"request_uri_parameter_supported"`
	AuthorizationResponseIssParameter bool     `json:"authorization_response_iss_parameter_supported"`
	RequireRequestURIRegistration     bool     `json:"require_request_uri_registration"`
	// FranceConnect+ only.
	IDTokenEncryptionAlgValuesSupported  []string `json:"id_token_encryption_alg_values_supported,omitempty"`
	IDTokenEncryptionEncValuesSupported  []string `json:"id_token_encryption_enc_values_supported,omitempty"`
	UserinfoEncryptionAlgValuesSupported []string `json:"userinfo_encryption_alg_values_supported,omitempty"`
	UserinfoEncryptionEncValuesSupported []string `json:"userinfo_encryption_enc_values_supported,omitempty"`
}

// knownScopes lists the scopes the mock grants, in discovery order.
var knownScopes = []string{
	"openid", "given_name", "family_name", "birthdate", "gender", "birthplace", "birthcountry",
	"email", "preferred_username", "profile", "birth", "identite_pivot", "idp_birthdate", "amr", "idp_id",
}

func (s *Server) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	s.stats.discovery.Add(1)
	iss := s.issuer
	doc := discovery{
		Issuer:                iss,
		AuthorizationEndpoint: iss + "/authorize",
		TokenEndpoint:         iss + "/token",
		UserinfoEndpoint:      iss + "/userinfo",
		EndSessionEndpoint:    iss + "/session/end",
		RevocationEndpoint:    iss + "/token/revocation",
		JWKSURI:               iss + "/jwks",
		ScopesSupported:       knownScopes,
		ClaimsSupported: []string{"sub", "given_name", "given_name_array", "family_name", "birthdate",
			"gender", "birthplace", "birthcountry", "email", "preferred_username", "idp_birthdate",
			"idp_id", "amr", "acr", "auth_time", "iss"},
		AcrValuesSupported:                []string{"eidas1"},
		ResponseTypesSupported:            []string{"code"},
		ResponseModesSupported:            []string{"query", "fragment", "form_post"},
		GrantTypesSupported:               []string{"authorization_code"},
		SubjectTypesSupported:             []string{"pairwise"},
		TokenEndpointAuthMethodsSupported: []string{"client_secret_post", "private_key_jwt"},
		TokenEndpointAuthSigningAlgs:      []string{"ES256", "RS256"},
		IDTokenSigningAlgValuesSupported:  []string{"HS256", "ES256", "RS256"},
		UserinfoSigningAlgValuesSupported: []string{"HS256", "ES256", "RS256"},
		CodeChallengeMethodsSupported:     []string{"S256"},
		ClaimTypesSupported:               []string{"normal"},
		ClaimsParameterSupported:          true,
		RequestURIParameterSupported:      true,
		AuthorizationResponseIssParameter: true,
		RequireRequestURIRegistration:     true,
	}
	s.plusDiscovery(&doc)
	s.proConnectDiscovery(&doc)
	if s.has(DiscoveryWrongIssuer) {
		doc.Issuer = evilIssuer
	}
	writeJSON(w, http.StatusOK, doc)
}

func (s *Server) handleJWKS(w http.ResponseWriter, r *http.Request) {
	s.stats.jwks.Add(1)
	keys := s.currentKeys().jwks()
	if s.plus {
		keys = s.currentKeys().plusJWKS()
	}
	if s.has(JWKSWithBadKeys) {
		keys = slices.Concat(badJWKsBefore, keys, badJWKsAfter)
	}
	w.Header().Set("Content-Type", "application/jwk-set+json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(struct {
		Keys []json.RawMessage `json:"keys"`
	}{keys})
}
