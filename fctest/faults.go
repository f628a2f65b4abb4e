package fctest

//go:generate go run golang.org/x/tools/cmd/stringer@v0.52.0 -type=Fault

import (
	"fmt"
	"slices"

	"github.com/franceconnect-go/franceconnect"
)

// Fault is a deliberate deviation from the provider's behaviour. Switch
// faults on for every registration with [Server.Inject], or for one with
// [Registration.Faults]; each one applies to every following response it
// concerns until [Server.Reset]. Faults combine. Its String is the
// constant's name ("IDTokenExpired"), which cmd/fcmock reads too.
type Fault int

// The faults, by what they alter.
const (
	// ID token faults. They apply to the id_token of every following token
	// response.

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

	// Key set and discovery faults.

	// JWKSWithBadKeys adds unparseable keys (bad coordinates, bad base64,
	// unknown kty, no kty) to the JWKS, before and after the good ones.
	JWKSWithBadKeys
	// DiscoveryWrongIssuer makes the discovery document announce the issuer
	// "https://evil.example/api/v2".
	DiscoveryWrongIssuer

	// Callback faults. They apply to every redirect to the client's
	// redirect_uri, successful or not.

	// CallbackWrongIss sets the iss parameter to "https://evil.example/api/v2".
	CallbackWrongIss
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

	// Token endpoint faults. They apply to every following token request,
	// before the request is checked (the code is not consumed), except
	// TokenDotsIDToken which alters a successful answer.

	// TokenServerError answers 500 with an HTML body.
	TokenServerError
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

	// Userinfo faults. They apply to every following userinfo request.

	// UserInfoSubMismatch sets sub to another user's pairwise identifier.
	UserInfoSubMismatch
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

	// Logout faults. They apply to the redirect to post_logout_redirect_uri.

	// LogoutWrongState replaces state with another random value.
	LogoutWrongState
	// LogoutNoState omits state.
	LogoutNoState

	// FranceConnect+ faults. They apply only to a FranceConnect+ server:
	// ID token faults to the id_token of every following token response,
	// userinfo faults to every following userinfo response. The inner JWS
	// is built as usual (the other faults still apply to it).

	// IDTokenNotEncrypted sends the signed ID token (JWS) without
	// encrypting it.
	IDTokenNotEncrypted
	// IDTokenJWEUnknownKid encrypts for the client's key but announces a
	// kid the client never registered.
	IDTokenJWEUnknownKid
	// IDTokenJWEDir encrypts with "alg":"dir" and a random 256-bit key,
	// keeping the client's kid.
	IDTokenJWEDir
	// IDTokenJWEPBES2 encrypts with "alg":"PBES2-HS256+A128KW" keyed with
	// the client secret, keeping the client's kid.
	IDTokenJWEPBES2
	// IDTokenJWEWrongEnc encrypts for the client's key with enc A128GCM
	// instead of A256GCM.
	IDTokenJWEWrongEnc
	// IDTokenJWEOtherAlg encrypts for the client's key and kid with another
	// key management algorithm than the key's: RSA-OAEP-256 for an RSA-OAEP
	// key and the reverse, ECDH-ES+A256KW for an ECDH-ES key.
	IDTokenJWEOtherAlg
	// IDTokenJWETampered flips bits of the JWE's authentication tag.
	IDTokenJWETampered
	// IDTokenJWENoCty omits the content type (cty) header.
	IDTokenJWENoCty

	// UserInfoNotEncrypted sends the signed userinfo (JWS, still
	// application/jwt) without encrypting it.
	UserInfoNotEncrypted
	// UserInfoJWEUnknownKid: as IDTokenJWEUnknownKid, for userinfo.
	UserInfoJWEUnknownKid
	// UserInfoJWEDir: as IDTokenJWEDir, for userinfo.
	UserInfoJWEDir
	// UserInfoJWEPBES2: as IDTokenJWEPBES2, for userinfo.
	UserInfoJWEPBES2
	// UserInfoJWEWrongEnc: as IDTokenJWEWrongEnc, for userinfo.
	UserInfoJWEWrongEnc
	// UserInfoJWEOtherAlg: as IDTokenJWEOtherAlg, for userinfo.
	UserInfoJWEOtherAlg
	// UserInfoJWETampered: as IDTokenJWETampered, for userinfo.
	UserInfoJWETampered
	// UserInfoJWENoCty: as IDTokenJWENoCty, for userinfo.
	UserInfoJWENoCty

	// ProConnect faults.

	// UserInfoSigned answers a signed JWT to a registration whose userinfo
	// is JSON (Registration.UserInfoJSON).
	UserInfoSigned
	// IDTokenACRUnknown sets acr to a value ProConnect removed in 2026
	// (".../assurance/self-asserted-2fa"), which the client no longer knows.
	IDTokenACRUnknown
	// RefreshOtherSubject answers a refresh with an ID token about another
	// user (another sub).
	RefreshOtherSubject

	// faultEnd follows the last fault.
	faultEnd
)

// serverFaults concern no registration: they apply to the whole server
// only (Server.Inject), not in Registration.Faults.
var serverFaults = []Fault{JWKSWithBadKeys, DiscoveryWrongIssuer}

// Faults lists the faults that apply to a server of federation f, in
// declaration order: on FranceConnect+ the encryption faults too, on
// ProConnect UserInfoSigned and RefreshOtherSubject too; on FranceConnectV1 neither, nor the key
// set and discovery faults (v1 has neither).
func Faults(f franceconnect.Federation) []Fault {
	var all []Fault
	for x := Fault(1); x < faultEnd; x++ {
		if x.appliesTo(f) {
			all = append(all, x)
		}
	}
	return all
}

// appliesTo reports whether x can alter what a server of federation f
// answers.
func (x Fault) appliesTo(f franceconnect.Federation) bool {
	switch {
	case x >= IDTokenNotEncrypted && x <= UserInfoJWENoCty:
		return f == franceconnect.FranceConnectPlus
	case x == UserInfoSigned || x == RefreshOtherSubject:
		return f == franceconnect.ProConnect
	case slices.Contains(serverFaults, x):
		return f != franceconnect.FranceConnectV1
	}
	return x > 0 && x < faultEnd
}

// checkFaults panics on faults that cannot apply where they are injected:
// another federation's, or, for one registration, a server fault.
func (s *Server) checkFaults(where string, registration bool, faults []Fault) {
	for _, f := range faults {
		switch {
		case !f.appliesTo(s.federation):
			panic(fmt.Sprintf("fctest: %s: %v does not apply to a %v server", where, f, s.federation))
		case registration && slices.Contains(serverFaults, f):
			panic(fmt.Sprintf("fctest: %s: %v concerns the whole server, not one registration: use Server.Inject", where, f))
		}
	}
}

// Inject switches faults on for every registration. They stay on for
// every following response until [Server.Reset]; injecting a fault twice
// is the same as once. It panics on a fault that does not apply to the
// server's federation (see [Faults]).
func (s *Server) Inject(f ...Fault) {
	s.checkFaults("Inject", false, f)
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

// has reports whether fault f is on for the whole server.
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
