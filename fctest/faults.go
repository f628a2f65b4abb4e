package fctest

import (
	"fmt"
	"slices"
)

// Fault is a deliberate deviation from FranceConnect's behaviour. Switch
// faults on with [Server.Inject]; each one applies to every following
// response it concerns until [Server.Reset]. Faults combine.
type Fault int

// ID token faults. They apply to the id_token of every following token
// response.
const (
	// IDTokenWrongIssuer sets iss to "https://evil.example/api/v2".
	IDTokenWrongIssuer Fault = iota + 1
	// IDTokenMissingIssuer removes iss.
	IDTokenMissingIssuer
	// IDTokenWrongAudience sets aud to "https://evil.example".
	IDTokenWrongAudience
	// IDTokenExtraAudience sets aud to the array [client_id, "https://evil.example"].
	IDTokenExtraAudience
	// IDTokenMissingAudience removes aud.
	IDTokenMissingAudience
	// IDTokenExpired issues the token 10 minutes ago: iat = now-10m,
	// exp = iat+60s, long past.
	IDTokenExpired
	// IDTokenIssuedInFuture sets iat 10 minutes in the future (exp = iat+60s).
	IDTokenIssuedInFuture
	// IDTokenIssuedLongAgo sets iat one hour ago while exp stays in the
	// future (now+60s).
	IDTokenIssuedLongAgo
	// IDTokenMissingSub removes sub.
	IDTokenMissingSub
	// IDTokenMissingIat removes iat.
	IDTokenMissingIat
	// IDTokenMissingExp removes exp.
	IDTokenMissingExp
	// IDTokenMissingNonce removes nonce.
	IDTokenMissingNonce
	// IDTokenWrongNonce replaces nonce with another random value.
	IDTokenWrongNonce
	// IDTokenMissingACR removes acr.
	IDTokenMissingACR
	// IDTokenACRLow sets acr to "eidas0", a level below eidas1 that
	// FranceConnect does not know.
	IDTokenACRLow
	// IDTokenBadSignature XORs every byte of the signature with 0x5A.
	IDTokenBadSignature
	// IDTokenAlgNone sends an unsigned token: header {"alg":"none"} and an
	// empty signature ("header.payload.").
	IDTokenAlgNone
	// IDTokenHS256WithSecret signs with HS256 keyed with the client secret
	// (what FranceConnect v1 did), header without kid.
	IDTokenHS256WithSecret
	// IDTokenHS256WithPublicKey signs with HS256 keyed with the PEM
	// encoding (PKIX, "PUBLIC KEY") of the server's public key for the
	// client's algorithm, and keeps that key's kid in the header: the
	// classic algorithm-confusion attack.
	IDTokenHS256WithPublicKey
	// IDTokenOtherAlg signs with the server's other key and algorithm
	// (RS256 for an ES256 client, ES256 for an RS256 client). The signature
	// is valid and the kid is in the JWKS, but the algorithm is not the
	// client's.
	IDTokenOtherAlg
	// IDTokenUnknownKid signs with the right key but announces a kid that
	// is not in the JWKS.
	IDTokenUnknownKid
	// IDTokenNoKid signs with the right key and omits kid from the header.
	IDTokenNoKid
	// IDTokenAtHash adds a correct at_hash (left half of the SHA-256 of the
	// access token, base64url). FranceConnect sends none.
	IDTokenAtHash
	// IDTokenAtHashWrong adds an at_hash that does not match the access token.
	IDTokenAtHashWrong
)

// Key set and discovery faults.
const (
	// JWKSWithBadKeys adds unparseable keys (bad coordinates, bad base64,
	// unknown kty, no kty) to the JWKS, before and after the good ones.
	JWKSWithBadKeys Fault = iota + 100
	// DiscoveryWrongIssuer makes the discovery document announce the issuer
	// "https://evil.example/api/v2".
	DiscoveryWrongIssuer
)

// Callback faults. They apply to every redirect to the client's
// redirect_uri, successful or not.
const (
	// CallbackWrongIss sets the iss parameter to "https://evil.example/api/v2".
	CallbackWrongIss Fault = iota + 200
	// CallbackNoIss omits the iss parameter.
	CallbackNoIss
	// CallbackNoState omits the state parameter.
	CallbackNoState
	// CallbackWrongState replaces state with another random value.
	CallbackWrongState
	// CallbackAccessDenied makes the login step redirect with
	// error=access_denied and error_description "User auth aborted", as if
	// the user had clicked "Revenir sur le service".
	CallbackAccessDenied
)

// Token endpoint faults. They apply to every following token request,
// before the request is checked (the code is not consumed), except
// TokenDotsIDToken which alters a successful answer.
const (
	// TokenServerError answers 500 with an HTML body.
	TokenServerError Fault = iota + 300
	// TokenGarbage answers 200 with a body that is not JSON.
	TokenGarbage
	// TokenUnauthorized answers 401 invalid_client (Y0434A7B) with
	// FranceConnect's error_uri.
	TokenUnauthorized
	// TokenBadRequest answers 400 invalid_grant (Y049E20B) with
	// FranceConnect's error_uri.
	TokenBadRequest
	// SlowToken waits 3 seconds before answering, unless the request is
	// cancelled first (then nothing is written).
	SlowToken
	// OversizedToken answers 200 with a 10 MB JSON body, streamed.
	OversizedToken
	// TokenDotsIDToken replaces the id_token of a successful answer with a
	// megabyte of dots.
	TokenDotsIDToken
)

// Userinfo faults. They apply to every following userinfo request.
const (
	// UserInfoSubMismatch sets sub to another user's pairwise identifier.
	UserInfoSubMismatch Fault = iota + 400
	// UserInfoJSON answers plain application/json instead of a signed JWT.
	UserInfoJSON
	// UserInfoWrongIssuer sets iss to "https://evil.example/api/v2".
	UserInfoWrongIssuer
	// UserInfoWrongAudience sets aud to "https://evil.example".
	UserInfoWrongAudience
	// UserInfoBadSignature XORs every byte of the signature with 0x5A.
	UserInfoBadSignature
	// UserInfoAlgNone sends an unsigned JWT (alg none, empty signature).
	UserInfoAlgNone
	// UserInfoServerError answers 500 with an HTML body.
	UserInfoServerError
	// SlowUserInfo waits 3 seconds before answering, unless the request is
	// cancelled first (then nothing is written).
	SlowUserInfo
	// OversizedUserInfo answers 200 application/jwt with a 10 MB body,
	// streamed.
	OversizedUserInfo
)

// Logout faults. They apply to the redirect to post_logout_redirect_uri.
const (
	// LogoutWrongState replaces state with another random value.
	LogoutWrongState Fault = iota + 500
	// LogoutNoState omits state.
	LogoutNoState
)

var faultNames = map[Fault]string{
	IDTokenWrongIssuer:        "IDTokenWrongIssuer",
	IDTokenMissingIssuer:      "IDTokenMissingIssuer",
	IDTokenWrongAudience:      "IDTokenWrongAudience",
	IDTokenExtraAudience:      "IDTokenExtraAudience",
	IDTokenMissingAudience:    "IDTokenMissingAudience",
	IDTokenExpired:            "IDTokenExpired",
	IDTokenIssuedInFuture:     "IDTokenIssuedInFuture",
	IDTokenIssuedLongAgo:      "IDTokenIssuedLongAgo",
	IDTokenMissingSub:         "IDTokenMissingSub",
	IDTokenMissingIat:         "IDTokenMissingIat",
	IDTokenMissingExp:         "IDTokenMissingExp",
	IDTokenMissingNonce:       "IDTokenMissingNonce",
	IDTokenWrongNonce:         "IDTokenWrongNonce",
	IDTokenMissingACR:         "IDTokenMissingACR",
	IDTokenACRLow:             "IDTokenACRLow",
	IDTokenBadSignature:       "IDTokenBadSignature",
	IDTokenAlgNone:            "IDTokenAlgNone",
	IDTokenHS256WithSecret:    "IDTokenHS256WithSecret",
	IDTokenHS256WithPublicKey: "IDTokenHS256WithPublicKey",
	IDTokenOtherAlg:           "IDTokenOtherAlg",
	IDTokenUnknownKid:         "IDTokenUnknownKid",
	IDTokenNoKid:              "IDTokenNoKid",
	IDTokenAtHash:             "IDTokenAtHash",
	IDTokenAtHashWrong:        "IDTokenAtHashWrong",
	JWKSWithBadKeys:           "JWKSWithBadKeys",
	DiscoveryWrongIssuer:      "DiscoveryWrongIssuer",
	CallbackWrongIss:          "CallbackWrongIss",
	CallbackNoIss:             "CallbackNoIss",
	CallbackNoState:           "CallbackNoState",
	CallbackWrongState:        "CallbackWrongState",
	CallbackAccessDenied:      "CallbackAccessDenied",
	TokenServerError:          "TokenServerError",
	TokenGarbage:              "TokenGarbage",
	TokenUnauthorized:         "TokenUnauthorized",
	TokenBadRequest:           "TokenBadRequest",
	SlowToken:                 "SlowToken",
	OversizedToken:            "OversizedToken",
	TokenDotsIDToken:          "TokenDotsIDToken",
	UserInfoSubMismatch:       "UserInfoSubMismatch",
	UserInfoJSON:              "UserInfoJSON",
	UserInfoWrongIssuer:       "UserInfoWrongIssuer",
	UserInfoWrongAudience:     "UserInfoWrongAudience",
	UserInfoBadSignature:      "UserInfoBadSignature",
	UserInfoAlgNone:           "UserInfoAlgNone",
	UserInfoServerError:       "UserInfoServerError",
	SlowUserInfo:              "SlowUserInfo",
	OversizedUserInfo:         "OversizedUserInfo",
	LogoutWrongState:          "LogoutWrongState",
	LogoutNoState:             "LogoutNoState",
}

// String returns the constant's name, e.g. "IDTokenExpired".
func (f Fault) String() string {
	if name, ok := faultNames[f]; ok {
		return name
	}
	if name, ok := plusFaultNames[f]; ok {
		return name
	}
	if name, ok := proConnectFaultNames[f]; ok {
		return name
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// Faults lists every fault, in declaration order. Handy to check that a
// client rejects each of them.
func Faults() []Fault {
	var all []Fault
	for _, r := range [][2]Fault{
		{IDTokenWrongIssuer, IDTokenAtHashWrong},
		{JWKSWithBadKeys, DiscoveryWrongIssuer},
		{CallbackWrongIss, CallbackAccessDenied},
		{TokenServerError, TokenDotsIDToken},
		{UserInfoSubMismatch, OversizedUserInfo},
		{LogoutWrongState, LogoutNoState},
		{IDTokenNotEncrypted, UserInfoJWENoCty}, // FranceConnect+ (plus.go)
		{UserInfoSigned, IDTokenACRUnknown},     // ProConnect (proconnect.go)
	} {
		for f := r[0]; f <= r[1]; f++ {
			all = append(all, f)
		}
	}
	return all
}

// Inject switches faults on. They stay on for every following response
// until [Server.Reset]; injecting a fault twice is the same as once.
func (s *Server) Inject(f ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, one := range f {
		s.faults[one] = true
	}
}

// Reset switches every fault off. Keys, clients, users, codes and tokens
// are kept.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.faults)
}

// has reports whether fault f is on.
func (s *Server) has(f Fault) bool { return s.hasFor("", f) }

// hasFor reports whether f is injected for the whole server, or in the
// Faults of the registration clientID.
func (s *Server) hasFor(clientID string, f Fault) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hasForLocked(clientID, f)
}

// hasForLocked is hasFor for a caller holding s.mu.
func (s *Server) hasForLocked(clientID string, f Fault) bool {
	return s.faults[f] || slices.Contains(s.clients[clientID].Faults, f)
}

// ParseFault returns the fault named name ("IDTokenExpired"), as String
// writes it.
func ParseFault(name string) (Fault, error) {
	for _, f := range Faults() {
		if f.String() == name {
			return f, nil
		}
	}
	return 0, fmt.Errorf("fctest: no fault named %q", name)
}
