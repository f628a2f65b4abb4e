package franceconnect

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Unit tests of openToken with hand-made JWEs: the cases the fctest
// faults do not produce (compression, crit, nesting, missing kid, a JWE on
// FranceConnect...).

var testRSAKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func testECKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k
}

// plusTestClient is a FranceConnect+ client with the given keys.
func plusTestClient(t *testing.T, keys ...jose.JSONWebKey) *Client {
	t.Helper()
	c, err := New(Config{
		Environment:    PlusIntegration,
		ClientID:       "client",
		ClientSecret:   "secret",
		RedirectURL:    "https://portail.example/fc/callback",
		DecryptionKeys: keys,
	})
	require.NoError(t, err)
	return c
}

// innerJWS is a syntactically valid compact JWS (its signature is not
// checked by openToken).
const innerJWS = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"

// sealJWE encrypts plaintext for key with alg, enc A256GCM and cty JWT unless
// opts says otherwise.
func sealJWE(t *testing.T, plaintext string, rcpt jose.Recipient, enc jose.ContentEncryption, opts *jose.EncrypterOptions) string {
	t.Helper()
	if opts == nil {
		opts = (&jose.EncrypterOptions{}).WithContentType("JWT")
	}
	e, err := jose.NewEncrypter(enc, rcpt, opts)
	require.NoError(t, err)
	obj, err := e.Encrypt([]byte(plaintext))
	require.NoError(t, err)
	out, err := obj.CompactSerialize()
	require.NoError(t, err)
	return out
}

// withHeader re-encodes the protected header of a compact JWE with edit
// applied (which breaks its authentication, but not its parsing).
func withHeader(t *testing.T, jwe string, edit func(map[string]any)) string {
	t.Helper()
	seg, rest, _ := strings.Cut(jwe, ".")
	b, err := base64.RawURLEncoding.DecodeString(seg)
	require.NoError(t, err)
	var h map[string]any
	require.NoError(t, json.Unmarshal(b, &h))
	edit(h)
	b, err = json.Marshal(h)
	require.NoError(t, err)
	return base64.RawURLEncoding.EncodeToString(b) + "." + rest
}

func TestOpenToken(t *testing.T) {
	t.Parallel()
	ec := testECKey(t)
	ecKey := jose.JSONWebKey{Key: ec, KeyID: "ec-1", Algorithm: string(jose.ECDH_ES)}
	rsaKey := jose.JSONWebKey{Key: testRSAKey(), KeyID: "rsa-1", Algorithm: string(jose.RSA_OAEP_256)}
	c := plusTestClient(t, ecKey, rsaKey)
	ctx := context.Background()

	toEC := jose.Recipient{Algorithm: jose.ECDH_ES, Key: &ec.PublicKey, KeyID: "ec-1"}
	toRSA := jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: &testRSAKey().PublicKey, KeyID: "rsa-1"}
	good := sealJWE(t, innerJWS, toEC, jose.A256GCM, nil)

	t.Run("valid", func(t *testing.T) {
		for _, jwe := range []string{
			good,
			sealJWE(t, innerJWS, toRSA, jose.A256GCM, nil),
			sealJWE(t, innerJWS, toEC, jose.A256GCM, (&jose.EncrypterOptions{}).WithContentType("jwt")),
			// No kid: the only key for the algorithm is used.
			sealJWE(t, innerJWS, jose.Recipient{Algorithm: jose.ECDH_ES, Key: &ec.PublicKey}, jose.A256GCM, nil),
		} {
			got, err := c.openToken(ctx, jwe)
			require.NoError(t, err)
			assert.Equal(t, innerJWS, got)
		}
	})

	otherEC := testECKey(t)
	tests := []struct {
		name  string
		token string
		want  error
	}{
		{"plain JWS", innerJWS, ErrAlgorithm},
		{"empty", "", ErrMalformedToken},
		{"four dots of nothing", "....", ErrMalformedToken},
		{"garbage", "a.b.c.d.e", ErrMalformedToken},
		{"too large", good + strings.Repeat("A", maxTokenSize), ErrMalformedToken},
		{"six parts", good + ".x", ErrMalformedToken},
		{"RSA1_5", sealJWE(t, innerJWS, jose.Recipient{Algorithm: jose.RSA1_5, Key: &testRSAKey().PublicKey, KeyID: "rsa-1"}, jose.A256GCM, nil), ErrAlgorithm},
		{"A256KW", sealJWE(t, innerJWS, jose.Recipient{Algorithm: jose.A256KW, Key: make([]byte, 32), KeyID: "rsa-1"}, jose.A256GCM, nil), ErrAlgorithm},
		{"ECDH-ES+A128KW", sealJWE(t, innerJWS, jose.Recipient{Algorithm: jose.ECDH_ES_A128KW, Key: &ec.PublicKey, KeyID: "ec-1"}, jose.A256GCM, nil), ErrAlgorithm},
		{"PBES2-HS512", sealJWE(t, innerJWS, jose.Recipient{Algorithm: jose.PBES2_HS512_A256KW, Key: []byte("secret"), KeyID: "ec-1", PBES2Count: 1000}, jose.A256GCM, nil), ErrAlgorithm},
		{"dir", sealJWE(t, innerJWS, jose.Recipient{Algorithm: jose.DIRECT, Key: make([]byte, 32), KeyID: "ec-1"}, jose.A256GCM, nil), ErrAlgorithm},
		{"alg none", withHeader(t, good, func(h map[string]any) { h["alg"] = "none" }), ErrAlgorithm},
		{"A256CBC-HS512", sealJWE(t, innerJWS, toEC, jose.A256CBC_HS512, nil), ErrAlgorithm},
		{"compressed", sealJWE(t, innerJWS, toEC, jose.A256GCM, (&jose.EncrypterOptions{Compression: jose.DEFLATE}).WithContentType("JWT")), ErrAlgorithm},
		{"crit", withHeader(t, good, func(h map[string]any) { h["crit"] = []string{"exp"}; h["exp"] = 1 }), ErrMalformedToken},
		{"no cty", sealJWE(t, innerJWS, toEC, jose.A256GCM, &jose.EncrypterOptions{}), ErrMalformedToken},
		{"cty JSON", sealJWE(t, innerJWS, toEC, jose.A256GCM, (&jose.EncrypterOptions{}).WithContentType("JSON")), ErrMalformedToken},
		{"unknown kid", sealJWE(t, innerJWS, jose.Recipient{Algorithm: jose.ECDH_ES, Key: &ec.PublicKey, KeyID: "ec-2"}, jose.A256GCM, nil), ErrUnknownKey},
		{"kid of a key for another alg", sealJWE(t, innerJWS, jose.Recipient{Algorithm: jose.RSA_OAEP, Key: &testRSAKey().PublicKey, KeyID: "rsa-1"}, jose.A256GCM, nil), ErrAlgorithm},
		{"kid of the EC key, RSA algorithm", sealJWE(t, innerJWS, jose.Recipient{Algorithm: jose.RSA_OAEP_256, Key: &testRSAKey().PublicKey, KeyID: "ec-1"}, jose.A256GCM, nil), ErrAlgorithm},
		{"encrypted for another key", sealJWE(t, innerJWS, jose.Recipient{Algorithm: jose.ECDH_ES, Key: &otherEC.PublicKey, KeyID: "ec-1"}, jose.A256GCM, nil), ErrDecryption},
		{"header altered", withHeader(t, good, func(h map[string]any) { h["typ"] = "JWT" }), ErrDecryption},
		{"not a JWS inside", sealJWE(t, `{"sub":"x"}`, toEC, jose.A256GCM, nil), ErrMalformedToken},
		{"a JWE inside", sealJWE(t, good, toEC, jose.A256GCM, nil), ErrMalformedToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.openToken(ctx, tt.token)
			assert.ErrorIs(t, err, tt.want)
			assert.Empty(t, got)
			if err != nil {
				assert.NotContains(t, err.Error(), innerJWS, "no token in messages")
				assert.Less(t, len(err.Error()), 300)
			}
		})
	}

	t.Run("no kid, two keys for the algorithm", func(t *testing.T) {
		ec2 := testECKey(t)
		c2 := plusTestClient(t, ecKey, jose.JSONWebKey{Key: ec2, KeyID: "ec-2", Algorithm: string(jose.ECDH_ES)})
		_, err := c2.openToken(ctx, sealJWE(t, innerJWS, jose.Recipient{Algorithm: jose.ECDH_ES, Key: &ec.PublicKey}, jose.A256GCM, nil))
		assert.ErrorIs(t, err, ErrUnknownKey)
	})
}

// FranceConnect does not encrypt: a JWE is refused, a JWS passes to the
// signature check untouched.
func TestOpenTokenOnFranceConnect(t *testing.T) {
	t.Parallel()
	c, err := New(Config{Environment: Production, ClientID: "client", ClientSecret: "secret", RedirectURL: "https://portail.example/fc/callback"})
	require.NoError(t, err)
	ec := testECKey(t)
	jwe := sealJWE(t, innerJWS, jose.Recipient{Algorithm: jose.ECDH_ES, Key: &ec.PublicKey, KeyID: "ec-1"}, jose.A256GCM, nil)

	_, err = c.openToken(context.Background(), jwe)
	assert.ErrorIs(t, err, ErrAlgorithm)
	assert.Contains(t, err.Error(), "not FranceConnect+")

	got, err := c.openToken(context.Background(), innerJWS)
	require.NoError(t, err)
	assert.Equal(t, innerJWS, got)

	// Through the ID token and userinfo checks too.
	_, err = c.verifyUserInfoJWT(context.Background(), jwe, "x", &identityUserInfo{})
	assert.ErrorIs(t, err, ErrAlgorithm)
}

// The iss and aud FranceConnect+ repeats in the JWE header are checked
// before decrypting; a header without them (FranceConnect+ before 2026) is
// accepted.
func TestOpenTokenChecksJWEHeaderIssuer(t *testing.T) {
	t.Parallel()
	ec := testECKey(t)
	key := jose.JSONWebKey{Key: ec, KeyID: "enc-1", Algorithm: string(jose.ECDH_ES), Use: "enc"}
	c := plusTestClient(t, key)
	rcpt := jose.Recipient{Algorithm: jose.ECDH_ES, Key: &ec.PublicKey, KeyID: "enc-1"}
	header := func(iss, aud string) *jose.EncrypterOptions {
		o := (&jose.EncrypterOptions{}).WithContentType("JWT")
		if iss != "" {
			o = o.WithHeader("iss", iss)
		}
		if aud != "" {
			o = o.WithHeader("aud", aud)
		}
		return o
	}
	tests := []struct {
		name     string
		iss, aud string
		want     error
	}{
		{"both right", PlusIntegration.Issuer, "client", nil},
		{"none (before 2026)", "", "", nil},
		{"other issuer", "https://evil.example/api/v2", "client", ErrIssuerMismatch},
		{"other service", PlusIntegration.Issuer, "another-client", ErrAudienceMismatch},
	}
	for _, tt := range tests {
		_, err := c.openToken(context.Background(), sealJWE(t, innerJWS, rcpt, jose.A256GCM, header(tt.iss, tt.aud)))
		if tt.want == nil {
			assert.NoError(t, err, tt.name)
		} else {
			assert.ErrorIs(t, err, tt.want, tt.name)
		}
	}
}
