package franceconnect_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
)

var plusKeyAlgs = []string{fctest.RSAOAEP, fctest.RSAOAEP256, fctest.ECDHES}

// plusConfig is a FranceConnect+ configuration for srv, with the given
// decryption keys and a client ID and secret of our choosing.
func plusConfig(srv *fctest.Server, keys ...jose.JSONWebKey) franceconnect.Config {
	id := make([]byte, 32)
	_, _ = rand.Read(id)
	return franceconnect.Config{
		Environment:           srv.Environment(),
		ClientID:              hex.EncodeToString(id),
		ClientSecret:          "secret-" + hex.EncodeToString(id),
		RedirectURL:           "https://portail.example/fc/callback",
		PostLogoutRedirectURL: "https://portail.example/",
		Scopes:                []string{franceconnect.ScopeIdentitePivot, franceconnect.ScopeEmail},
		DecryptionKeys:        keys,
	}
}

// registerPublished registers cfg's client at srv with the keys c
// publishes through its EncryptionKeysHandler, as FranceConnect+ would
// read them from the service's JWKS URL.
func registerPublished(t *testing.T, srv *fctest.Server, cfg franceconnect.Config, c *franceconnect.Client) {
	t.Helper()
	rec := httptest.NewRecorder()
	c.EncryptionKeysHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/fc/jwks", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	var set jose.JSONWebKeySet
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &set))
	srv.Register(fctest.Registration{
		ID: cfg.ClientID, Secret: cfg.ClientSecret,
		RedirectURIs:           []string{cfg.RedirectURL},
		PostLogoutRedirectURIs: []string{cfg.PostLogoutRedirectURL},
		EncryptionKeys:         set.Keys,
	})
}

// plusSetup starts a FranceConnect+ mock and returns a Client whose
// decryption key has alg, registered at the mock with its published JWKS.
func plusSetup(t *testing.T, alg string, mutate ...func(*franceconnect.Config)) (*fctest.Server, *franceconnect.Client) {
	t.Helper()
	srv := fctest.NewServer(fctest.Options{Federation: franceconnect.FranceConnectPlus})
	t.Cleanup(srv.Close)
	cfg := plusConfig(srv, fctest.ClientKey(alg))
	for _, m := range mutate {
		m(&cfg)
	}
	c, err := franceconnect.New(cfg)
	require.NoError(t, err)
	registerPublished(t, srv, cfg, c)
	return srv, c
}

func TestPlusLoginAndLogout(t *testing.T) {
	t.Parallel()
	for _, alg := range plusKeyAlgs {
		for _, acr := range []franceconnect.ACR{franceconnect.EIDAS2, franceconnect.EIDAS3} {
			t.Run(alg+"/"+string(acr), func(t *testing.T) {
				t.Parallel()
				srv, c := plusSetup(t, alg, func(cfg *franceconnect.Config) { cfg.ACRValues = []franceconnect.ACR{acr} })
				req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
				assert.Contains(t, req.URL, "acr_values="+string(acr))
				res, err := c.Exchange(context.Background(), req, q)
				require.NoError(t, err)
				assert.Equal(t, acr, res.IDToken.ACR)
				assert.Equal(t, "DUBOIS", res.Identity.FamilyName)
				assert.Equal(t, "Angela Claire Louise", res.Identity.GivenName)
				assert.Equal(t, res.IDToken.Subject, res.Identity.Subject)

				// RawIDToken is the signed ID token inside the JWE: three
				// parts, ES256, the provider's kid.
				parts := strings.Split(res.RawIDToken, ".")
				require.Len(t, parts, 3, "RawIDToken is the decrypted JWS")
				jws, err := jose.ParseSignedCompact(res.RawIDToken, []jose.SignatureAlgorithm{jose.ES256})
				require.NoError(t, err)
				assert.Contains(t, jws.Signatures[0].Header.KeyID, "ES256")

				lreq, err := c.LogoutURL(res.RawIDToken, franceconnect.LogoutOptions{})
				require.NoError(t, err)
				back, status := logoutAt(t, lreq.URL)
				require.NotNil(t, back, "the mock accepts the inner JWS as id_token_hint (status %d)", status)
				assert.Equal(t, "https://portail.example/", back.Scheme+"://"+back.Host+back.Path)
				require.NoError(t, c.VerifyLogout(lreq, back.Query()))
				assert.EqualValues(t, 1, srv.Stats().LogoutRequests)
			})
		}
	}
}

func TestPlusACRLevels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		requested, vouched franceconnect.ACR
		ok                 bool
	}{
		{franceconnect.EIDAS2, franceconnect.EIDAS3, true}, // higher than requested: accepted
		{franceconnect.EIDAS3, franceconnect.EIDAS3, true},
		{franceconnect.EIDAS3, franceconnect.EIDAS2, false}, // lower: refused
		{franceconnect.EIDAS2, franceconnect.EIDAS1, false},
	}
	for _, tt := range tests {
		t.Run(string(tt.requested)+"-got-"+string(tt.vouched), func(t *testing.T) {
			t.Parallel()
			srv, c := plusSetup(t, fctest.ECDHES, func(cfg *franceconnect.Config) { cfg.ACRValues = []franceconnect.ACR{tt.requested} })
			u := fctest.DefaultUser
			u.ACR = string(tt.vouched)
			req, q := mockLogin(t, srv, c, u, franceconnect.AuthOptions{})
			res, err := c.Exchange(context.Background(), req, q)
			if tt.ok {
				require.NoError(t, err)
				assert.Equal(t, tt.vouched, res.IDToken.ACR)
				return
			}
			assert.ErrorIs(t, err, franceconnect.ErrACRTooLow)
			assert.Zero(t, srv.Stats().UserInfoRequests)
		})
	}
}

// plusNegativeCases are the FranceConnect+ faults: each one must be refused
// with its typed error, at the step it concerns.
var plusNegativeCases = []struct {
	fault fctest.Fault
	want  error
	stops step
}{
	{fctest.IDTokenNotEncrypted, franceconnect.ErrAlgorithm, stopsBeforeUserInfo},
	{fctest.IDTokenJWEUnknownKid, franceconnect.ErrUnknownKey, stopsBeforeUserInfo},
	{fctest.IDTokenJWEDir, franceconnect.ErrAlgorithm, stopsBeforeUserInfo},
	{fctest.IDTokenJWEPBES2, franceconnect.ErrAlgorithm, stopsBeforeUserInfo},
	{fctest.IDTokenJWEWrongEnc, franceconnect.ErrAlgorithm, stopsBeforeUserInfo},
	{fctest.IDTokenJWEOtherAlg, franceconnect.ErrAlgorithm, stopsBeforeUserInfo},
	{fctest.IDTokenJWETampered, franceconnect.ErrDecryption, stopsBeforeUserInfo},
	{fctest.IDTokenJWENoCty, franceconnect.ErrMalformedToken, stopsBeforeUserInfo},
	{fctest.UserInfoNotEncrypted, franceconnect.ErrAlgorithm, reachesUserInfo},
	{fctest.UserInfoJWEUnknownKid, franceconnect.ErrUnknownKey, reachesUserInfo},
	{fctest.UserInfoJWEDir, franceconnect.ErrAlgorithm, reachesUserInfo},
	{fctest.UserInfoJWEPBES2, franceconnect.ErrAlgorithm, reachesUserInfo},
	{fctest.UserInfoJWEWrongEnc, franceconnect.ErrAlgorithm, reachesUserInfo},
	{fctest.UserInfoJWEOtherAlg, franceconnect.ErrAlgorithm, reachesUserInfo},
	{fctest.UserInfoJWETampered, franceconnect.ErrDecryption, reachesUserInfo},
	{fctest.UserInfoJWENoCty, franceconnect.ErrMalformedToken, reachesUserInfo},
}

func TestPlusRefusesEveryEncryptionFault(t *testing.T) {
	t.Parallel()
	var covered []fctest.Fault
	for _, tc := range plusNegativeCases {
		covered = append(covered, tc.fault)
	}
	assert.ElementsMatch(t, plusOnlyFaults(), covered, "every FranceConnect+ fault has a case")
	for _, alg := range plusKeyAlgs {
		for _, tc := range plusNegativeCases {
			t.Run(alg+"/"+tc.fault.String(), func(t *testing.T) {
				t.Parallel()
				srv, c := plusSetup(t, alg)
				checkRefused(t, srv, c, tc.want, tc.stops, tc.fault)
			})
		}
	}
}

// The whole negative suite of FranceConnect holds on FranceConnect+: the
// faults of the signed token inside the JWE are refused the same way.
func TestPlusRefusesEveryNegativeCase(t *testing.T) {
	t.Parallel()
	for _, tc := range negativeCases {
		t.Run(tc.fault.String(), func(t *testing.T) {
			t.Parallel()
			srv, c := plusSetup(t, fctest.ECDHES)
			checkRefused(t, srv, c, tc.want, tc.stops, tc.fault)
		})
	}
	for _, f := range acceptedFaults {
		t.Run("accepted/"+f.String(), func(t *testing.T) {
			t.Parallel()
			srv, c := plusSetup(t, fctest.ECDHES)
			srv.Inject(f)
			req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
			_, err := c.Exchange(context.Background(), req, q)
			require.NoError(t, err)
		})
	}
}

// A token encrypted for a key the client does not have (FranceConnect+
// still using a key the portal removed, or another portal's key).
func TestPlusKeyRotation(t *testing.T) {
	t.Parallel()
	oldKey := fctest.ClientKey(fctest.RSAOAEP)
	newKey := fctest.ClientKey(fctest.ECDHES)
	srv := fctest.NewServer(fctest.Options{Federation: franceconnect.FranceConnectPlus})
	t.Cleanup(srv.Close)

	login := func(c *franceconnect.Client) error {
		req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
		_, err := c.Exchange(context.Background(), req, q)
		return err
	}
	register := func(cfg franceconnect.Config, keys ...jose.JSONWebKey) {
		srv.Register(fctest.Registration{
			ID: cfg.ClientID, Secret: cfg.ClientSecret, RedirectURIs: []string{cfg.RedirectURL},
			EncryptionKeys: keys,
		})
	}

	// 1. The portal has one key, FranceConnect+ uses it.
	cfg := plusConfig(srv, oldKey)
	before, err := franceconnect.New(cfg)
	require.NoError(t, err)
	register(cfg, oldKey)
	require.NoError(t, login(before))

	// 2. The portal adds the new key: both are published and both decrypt,
	// whichever FranceConnect+ uses.
	cfg.DecryptionKeys = []jose.JSONWebKey{oldKey, newKey}
	during, err := franceconnect.New(cfg)
	require.NoError(t, err)
	kids := func(set jose.JSONWebKeySet) (out []string) {
		for _, k := range set.Keys {
			out = append(out, k.KeyID)
		}
		return out
	}
	assert.Equal(t, []string{oldKey.KeyID, newKey.KeyID}, kids(publishedKeys(t, during)))
	require.NoError(t, login(during), "FranceConnect+ still on the old key")
	register(cfg, newKey, oldKey)
	require.NoError(t, login(during), "FranceConnect+ switched to the new key")

	// 3. Once FranceConnect+ has switched, the old key goes.
	cfg.DecryptionKeys = []jose.JSONWebKey{newKey}
	after, err := franceconnect.New(cfg)
	require.NoError(t, err)
	require.NoError(t, login(after))

	// Removing the old key too early: tokens still encrypted for it are
	// refused, userinfo is not called.
	register(cfg, oldKey)
	err = login(after)
	assert.ErrorIs(t, err, franceconnect.ErrUnknownKey)
	assert.Contains(t, err.Error(), oldKey.KeyID)
}

func TestPlusConfig(t *testing.T) {
	t.Parallel()
	rsaKey := fctest.ClientKey(fctest.RSAOAEP256)
	ecKey := fctest.ClientKey(fctest.ECDHES)
	with := func(k jose.JSONWebKey, edit func(*jose.JSONWebKey)) jose.JSONWebKey {
		edit(&k)
		return k
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	require.NoError(t, err)

	base := func(edit func(*franceconnect.Config)) franceconnect.Config {
		cfg := franceconnect.Config{
			Environment:    franceconnect.PlusProduction,
			ClientID:       "client",
			ClientSecret:   "secret",
			RedirectURL:    "https://portail.example/fc/callback",
			DecryptionKeys: []jose.JSONWebKey{rsaKey, ecKey},
		}
		edit(&cfg)
		return cfg
	}
	tests := []struct {
		name string
		edit func(*franceconnect.Config)
		want string // "" for success
	}{
		{"valid", func(*franceconnect.Config) {}, ""},
		{"eidas3", func(c *franceconnect.Config) { c.ACRValues = []franceconnect.ACR{franceconnect.EIDAS3} }, ""},
		{"eidas1", func(c *franceconnect.Config) { c.ACRValues = []franceconnect.ACR{franceconnect.EIDAS1} }, `"eidas1" is not available on FranceConnect+`},
		{"RS256", func(c *franceconnect.Config) { c.Algorithm = "RS256" }, "FranceConnect+ signs with ES256 only"},
		{"no decryption keys", func(c *franceconnect.Config) { c.DecryptionKeys = nil }, "DecryptionKeys is empty"},
		{"public RSA key", func(c *franceconnect.Config) { c.DecryptionKeys = []jose.JSONWebKey{rsaKey.Public()} }, "is a public key"},
		{"public EC key", func(c *franceconnect.Config) { c.DecryptionKeys = []jose.JSONWebKey{ecKey.Public()} }, "is a public key"},
		{"no kid", func(c *franceconnect.Config) {
			c.DecryptionKeys = []jose.JSONWebKey{with(ecKey, func(k *jose.JSONWebKey) { k.KeyID = "" })}
		}, "kid is empty"},
		{"duplicate kid", func(c *franceconnect.Config) {
			c.DecryptionKeys = []jose.JSONWebKey{ecKey, with(rsaKey, func(k *jose.JSONWebKey) { k.KeyID = ecKey.KeyID })}
		}, "kids must be unique"},
		{"no alg", func(c *franceconnect.Config) {
			c.DecryptionKeys = []jose.JSONWebKey{with(ecKey, func(k *jose.JSONWebKey) { k.Algorithm = "" })}
		}, "has no alg"},
		{"dir", func(c *franceconnect.Config) {
			c.DecryptionKeys = []jose.JSONWebKey{{Key: make([]byte, 32), KeyID: "k", Algorithm: "dir"}}
		}, "has alg \"dir\""},
		{"PBES2", func(c *franceconnect.Config) {
			c.DecryptionKeys = []jose.JSONWebKey{with(rsaKey, func(k *jose.JSONWebKey) { k.Algorithm = "PBES2-HS256+A128KW" })}
		}, "FranceConnect+ encrypts with RSA-OAEP, RSA-OAEP-256 or ECDH-ES"},
		{"ECDH-ES+A256KW", func(c *franceconnect.Config) {
			c.DecryptionKeys = []jose.JSONWebKey{with(ecKey, func(k *jose.JSONWebKey) { k.Algorithm = "ECDH-ES+A256KW" })}
		}, "FranceConnect+ encrypts with"},
		{"RSA key for ECDH-ES", func(c *franceconnect.Config) {
			c.DecryptionKeys = []jose.JSONWebKey{with(rsaKey, func(k *jose.JSONWebKey) { k.Algorithm = "ECDH-ES" })}
		}, "ECDH-ES needs an EC P-256 key"},
		{"EC key for RSA-OAEP", func(c *franceconnect.Config) {
			c.DecryptionKeys = []jose.JSONWebKey{with(ecKey, func(k *jose.JSONWebKey) { k.Algorithm = "RSA-OAEP" })}
		}, "RSA-OAEP needs an RSA key"},
		{"P-384", func(c *franceconnect.Config) {
			c.DecryptionKeys = []jose.JSONWebKey{{Key: p384, KeyID: "p384", Algorithm: "ECDH-ES"}}
		}, "needs a P-256 key"},
		{"RSA 1024", func(c *franceconnect.Config) {
			c.DecryptionKeys = []jose.JSONWebKey{{Key: small, KeyID: "small", Algorithm: "RSA-OAEP"}}
		}, "shorter than 2048 bits"},
		{"signing key", func(c *franceconnect.Config) {
			c.DecryptionKeys = []jose.JSONWebKey{with(ecKey, func(k *jose.JSONWebKey) { k.Use = "sig" })}
		}, "use \"enc\""},
		{"symmetric key", func(c *franceconnect.Config) {
			c.DecryptionKeys = []jose.JSONWebKey{{Key: make([]byte, 32), KeyID: "k", Algorithm: "RSA-OAEP"}}
		}, "want an RSA or EC P-256 private key"},
		{"keys on FranceConnect", func(c *franceconnect.Config) { c.Environment = franceconnect.Production }, "DecryptionKeys are for FranceConnect+ only"},
		{"eidas2 on FranceConnect", func(c *franceconnect.Config) {
			c.Environment, c.DecryptionKeys, c.ACRValues = franceconnect.Production, nil, []franceconnect.ACR{franceconnect.EIDAS2}
		}, `"eidas2" is not available on FranceConnect (eidas1)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := base(tt.edit)
			c, err := franceconnect.New(cfg)
			if tt.want == "" {
				require.NoError(t, err)
				require.NotNil(t, c)
				return
			}
			require.ErrorIs(t, err, franceconnect.ErrConfig)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "secret")
		})
	}

	// The default level on FranceConnect+ is eidas2.
	c, err := franceconnect.New(base(func(*franceconnect.Config) {}))
	require.NoError(t, err)
	req, err := c.AuthCodeURL(franceconnect.AuthOptions{})
	require.NoError(t, err)
	assert.Contains(t, req.URL, "acr_values=eidas2")
	assert.Contains(t, req.URL, "https://auth.franceconnect.gouv.fr/api/v2/authorize?")

	// New keeps its own copy of the keys.
	keys := []jose.JSONWebKey{ecKey}
	c, err = franceconnect.New(base(func(cfg *franceconnect.Config) { cfg.DecryptionKeys = keys }))
	require.NoError(t, err)
	keys[0] = rsaKey
	assert.Equal(t, ecKey.KeyID, publishedKeys(t, c).Keys[0].KeyID)
}

// privateMembers are the JWK members of private keys (RFC 7518 §6.2.2,
// §6.3.2) and of symmetric ones.
var privateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

func TestEncryptionKeysHandler(t *testing.T) {
	t.Parallel()
	srv := fctest.NewServer(fctest.Options{Federation: franceconnect.FranceConnectPlus})
	t.Cleanup(srv.Close)
	keys := []jose.JSONWebKey{
		fctest.ClientKey(fctest.RSAOAEP),
		fctest.ClientKey(fctest.RSAOAEP256),
		fctest.ClientKey(fctest.ECDHES),
	}
	c, err := franceconnect.New(plusConfig(srv, keys...))
	require.NoError(t, err)
	h := c.EncryptionKeysHandler()

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/fc/jwks", nil))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	assert.Equal(t, "public, max-age=3600", rec.Header().Get("Cache-Control"))

	// Every member of every key is a public one; no private member appears.
	var doc struct {
		Keys []map[string]any `json:"keys"`
	}
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &doc))
	require.Len(t, doc.Keys, 3)
	allowed := []string{"kty", "kid", "use", "alg", "n", "e", "crv", "x", "y"}
	for i, k := range doc.Keys {
		for member := range k {
			assert.Contains(t, allowed, member, "key %d has member %q", i, member)
			assert.NotContains(t, privateMembers, member, "key %d leaks %q", i, member)
		}
		assert.Equal(t, "enc", k["use"])
		assert.Equal(t, keys[i].KeyID, k["kid"])
		assert.Equal(t, keys[i].Algorithm, k["alg"])
	}
	// The private values appear nowhere in the document.
	for _, k := range keys {
		priv, err := json.Marshal(k)
		require.NoError(t, err)
		var m map[string]any
		require.NoError(t, json.Unmarshal(priv, &m))
		for _, member := range privateMembers {
			if v, ok := m[member].(string); ok {
				assert.NotContains(t, rec.Body.String(), v, "the private %q of %s leaks", member, k.KeyID)
			}
		}
	}
	// What is published is what encrypts: a parsed copy is public and valid.
	var set jose.JSONWebKeySet
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &set))
	for _, k := range set.Keys {
		assert.True(t, k.IsPublic() && k.Valid(), "kid %s", k.KeyID)
	}

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/fc/jwks", nil))
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Zero(t, rec.Body.Len())

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/fc/jwks", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	assert.Equal(t, "GET, HEAD", rec.Header().Get("Allow"))

	// A FranceConnect client publishes an empty set.
	_, fc := mockSetup(t, "ES256")
	rec = httptest.NewRecorder()
	fc.EncryptionKeysHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/fc/jwks", nil))
	assert.JSONEq(t, `{"keys":[]}`, rec.Body.String())
}

var generatedRSA = sync.OnceValues(func() (jose.JSONWebKey, error) {
	return franceconnect.GenerateEncryptionKey(fctest.RSAOAEP256)
})

func TestGenerateEncryptionKey(t *testing.T) {
	t.Parallel()
	algs := []string{fctest.ECDHES}
	if !testing.Short() {
		algs = append(algs, fctest.RSAOAEP256) // RSA 3072: a few seconds
	}
	for _, alg := range algs {
		t.Run(alg, func(t *testing.T) {
			t.Parallel()
			generate := func() (jose.JSONWebKey, error) { return franceconnect.GenerateEncryptionKey(jose.KeyAlgorithm(alg)) }
			if alg == fctest.RSAOAEP256 {
				generate = generatedRSA
			}
			k, err := generate()
			require.NoError(t, err)
			assert.False(t, k.IsPublic())
			assert.True(t, k.Valid())
			assert.Equal(t, alg, k.Algorithm)
			assert.Equal(t, "enc", k.Use)
			assert.NotEmpty(t, k.KeyID)
			if rk, ok := k.Key.(*rsa.PrivateKey); ok {
				assert.Equal(t, 3072, rk.N.BitLen())
			}

			// Stored as a private JWK and read back, it configures a
			// client that logs in against the mock.
			stored, err := json.Marshal(k)
			require.NoError(t, err)
			var loaded jose.JSONWebKey
			require.NoError(t, json.Unmarshal(stored, &loaded))
			srv := fctest.NewServer(fctest.Options{Federation: franceconnect.FranceConnectPlus})
			t.Cleanup(srv.Close)
			cfg := plusConfig(srv, loaded)
			c, err := franceconnect.New(cfg)
			require.NoError(t, err)
			registerPublished(t, srv, cfg, c)
			req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
			_, err = c.Exchange(context.Background(), req, q)
			require.NoError(t, err)
		})
	}

	a, err := franceconnect.GenerateEncryptionKey(jose.ECDH_ES)
	require.NoError(t, err)
	b, err := franceconnect.GenerateEncryptionKey(jose.ECDH_ES)
	require.NoError(t, err)
	assert.NotEqual(t, a.KeyID, b.KeyID, "random kids")

	for _, alg := range []string{"", "dir", "A256KW", "PBES2-HS256+A128KW", "ES256", "RSA1_5"} {
		_, err := franceconnect.GenerateEncryptionKey(jose.KeyAlgorithm(alg))
		assert.ErrorIs(t, err, franceconnect.ErrConfig, alg)
	}
}

func TestPlusEnvironments(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]franceconnect.Environment{
		"https://auth.franceconnect.gouv.fr":                   franceconnect.PlusProduction,
		"https://auth.franceconnect.gouv.fr/":                  franceconnect.PlusProduction,
		"https://auth.franceconnect.gouv.fr/api/v2":            franceconnect.PlusProduction,
		" https://AUTH.franceconnect.gouv.fr/api/v2/ ":         franceconnect.PlusProduction,
		"https://auth.integ01.dev-franceconnect.fr":            franceconnect.PlusIntegration,
		"https://auth.integ01.dev-franceconnect.fr/api/v2":     franceconnect.PlusIntegration,
		"https://auth.integ01.dev-franceconnect.fr/api/v2/":    franceconnect.PlusIntegration,
		"https://oidc.franceconnect.gouv.fr/api/v2":            franceconnect.Production,
		"https://fcp-low.integ01.dev-franceconnect.fr/api/v2/": franceconnect.Integration,
	} {
		got, err := franceconnect.EnvironmentFromURL(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{
		"https://auth.franceconnect.gouv.fr/api/v1",
		"http://auth.franceconnect.gouv.fr",
		"https://auth.franceconnect.gouv.fr.evil.example",
	} {
		_, err := franceconnect.EnvironmentFromURL(in)
		assert.ErrorIs(t, err, franceconnect.ErrConfig, in)
	}

	p := franceconnect.PlusProduction
	assert.Equal(t, franceconnect.FranceConnectPlus, p.Federation)
	assert.Equal(t, "https://auth.franceconnect.gouv.fr/api/v2", p.Issuer)
	assert.Equal(t, "https://auth.franceconnect.gouv.fr/api/v2/jwks", p.JWKSURI)
	assert.Equal(t, "https://auth.franceconnect.gouv.fr/api/v2/session/end", p.EndSessionEndpoint)
	i := franceconnect.PlusIntegration
	assert.Equal(t, franceconnect.FranceConnectPlus, i.Federation)
	assert.Equal(t, "https://auth.integ01.dev-franceconnect.fr/api/v2/token", i.TokenEndpoint)
	assert.Equal(t, franceconnect.FranceConnect, franceconnect.Production.Federation)

	env, err := franceconnect.NewEnvironment(franceconnect.FranceConnectPlus, "http://127.0.0.1:1234/api/v2")
	require.NoError(t, err)
	assert.Equal(t, franceconnect.FranceConnectPlus, env.Federation)
	assert.Equal(t, "http://127.0.0.1:1234/api/v2/userinfo", env.UserInfoEndpoint)
	_, err = franceconnect.NewEnvironment(franceconnect.FranceConnectPlus, "ftp://x")
	assert.Error(t, err)
}

// publishedKeys is the key set c's EncryptionKeysHandler serves.
func publishedKeys(t *testing.T, c *franceconnect.Client) jose.JSONWebKeySet {
	t.Helper()
	rec := httptest.NewRecorder()
	c.EncryptionKeysHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/fc/jwks", nil))
	var set jose.JSONWebKeySet
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &set))
	return set
}

// plusOnlyFaults are the faults of a FranceConnect+ server that a
// FranceConnect server does not have: the encryption faults.
func plusOnlyFaults() []fctest.Fault {
	var out []fctest.Fault
	for _, f := range fctest.Faults(franceconnect.FranceConnectPlus) {
		if !slices.Contains(fctest.Faults(franceconnect.FranceConnect), f) {
			out = append(out, f)
		}
	}
	return out
}
