package franceconnect_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/account"
	"github.com/franceconnect-go/franceconnect/fctest"
)

// pcSetup starts a mock ProConnect, registers a client with alg (and JSON
// userinfo when userInfoJSON) and returns a Client configured for it.
func pcSetup(t *testing.T, alg string, userInfoJSON bool, mutate ...func(*franceconnect.Config)) (*fctest.Server, *franceconnect.Client) {
	t.Helper()
	srv := fctest.NewServer(fctest.Options{Federation: franceconnect.ProConnect})
	t.Cleanup(srv.Close)
	base := franceconnect.Config{
		Algorithm:    alg,
		UserInfoJSON: userInfoJSON,
		Scopes: []string{"given_name", franceconnect.ScopeUsualName, franceconnect.ScopeEmail,
			franceconnect.ScopeUID, franceconnect.ScopeSIRET, franceconnect.ScopeSIREN, franceconnect.ScopeIDPID,
			"belonging_population"},
	}
	return srv, clientOn(t, srv, fctest.Registration{Alg: alg, UserInfoJSON: userInfoJSON}, base, mutate...)
}

// agent returns the built-in test agent of that login.
func agent(t *testing.T, login string) fctest.User {
	t.Helper()
	i := slices.IndexFunc(fctest.Agents(), func(u fctest.User) bool { return u.Login == login })
	require.GreaterOrEqual(t, i, 0, login)
	return fctest.Agents()[i]
}

func TestProConnectLogin(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"ES256", "RS256", "HS256"} {
		for _, userInfoJSON := range []bool{false, true} {
			name := alg + "/userinfo-jwt"
			if userInfoJSON {
				name = alg + "/userinfo-json"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				srv, c := pcSetup(t, alg, userInfoJSON)
				req, q := mockLogin(t, srv, c, agent(t, "agent_la_poste"), franceconnect.AuthOptions{})
				res, err := c.Exchange(context.Background(), req, q)
				require.NoError(t, err)
				require.NotNil(t, res.Agent)
				assert.Nil(t, res.Identity, "a ProConnect login has an Agent, not an Identity")
				a := res.Agent
				assert.Equal(t, "Paul", a.GivenName)
				assert.Equal(t, "DURAND", a.UsualName)
				assert.Equal(t, "paul.durand@laposte.fr", a.Email)
				assert.Equal(t, "agent_la_poste-uid", a.UID)
				assert.Equal(t, "35600000049837", a.SIRET, "La Poste's checksum rule")
				assert.Equal(t, "356000000", a.SIREN)
				assert.Equal(t, "proconnect-identite", a.IDPID)
				assert.Equal(t, "LA POSTE", a.OrganizationLabel, "ProConnect adds it whatever the scopes")
				assert.Equal(t, []string{"agent"}, a.BelongingPopulation)
				assert.Equal(t, res.IDToken.Subject, a.Subject)
				assert.Equal(t, franceconnect.EIDAS1, res.IDToken.ACR)
				assert.NotEmpty(t, res.RefreshToken, "ProConnect returns a refresh token")
				var extra struct {
					OrganizationLabel string `json:"organization_label"`
				}
				require.NoError(t, a.Claims(&extra))
				assert.Equal(t, "LA POSTE", extra.OrganizationLabel)
				st := srv.Stats()
				if alg == "HS256" {
					assert.Zero(t, st.JWKSFetches, "HS256 is keyed with the secret: no key set")
				} else {
					assert.EqualValues(t, 1, st.JWKSFetches)
				}
			})
		}
	}
}

// The authorization request carries the levels in the claims parameter,
// never acr_values, and nothing ProConnect does not document.
func TestProConnectAuthorizeParameters(t *testing.T) {
	t.Parallel()
	_, c := pcSetup(t, "ES256", false, func(cfg *franceconnect.Config) {
		cfg.ACRValues = []franceconnect.ACR{franceconnect.EIDAS1MFA, franceconnect.EIDAS2}
	})
	documented := []string{"response_type", "client_id", "redirect_uri", "scope", "state", "nonce",
		"claims", "prompt", "idp_hint", "login_hint", "siret_hint", "code_challenge", "code_challenge_method"}
	tests := []struct {
		name string
		opts franceconnect.AuthOptions
		want map[string]string // parameters beside the nine always sent
	}{
		{"none set", franceconnect.AuthOptions{}, map[string]string{}},
		{"every option", franceconnect.AuthOptions{Prompt: "login", IDPHint: "idp-1", LoginHint: "jean.martin@interieur.gouv.fr", SIRETHint: "13002526500013"},
			map[string]string{"prompt": "login", "idp_hint": "idp-1", "login_hint": "jean.martin@interieur.gouv.fr", "siret_hint": "13002526500013"}},
		{"silent", franceconnect.AuthOptions{Prompt: "none"}, map[string]string{"prompt": "none"}},
	}
	for _, tt := range tests {
		req, err := c.AuthCodeURL(tt.opts)
		require.NoError(t, err, tt.name)
		q := mustURL(t, req.URL).Query()
		for k := range q {
			assert.Contains(t, documented, k, "%s: ProConnect refuses undocumented parameters (Y000400)", tt.name)
		}
		assert.Len(t, q, 9+len(tt.want), tt.name)
		assert.Equal(t, "S256", q.Get("code_challenge_method"), "PKCE on ProConnect")
		assert.Len(t, q.Get("code_challenge"), 43)
		assert.Len(t, req.CodeVerifier, 43)
		for k, v := range tt.want {
			assert.Equal(t, v, q.Get(k), tt.name)
		}
		assert.NotContains(t, q, "acr_values", tt.name)
		assert.JSONEq(t, `{"id_token":{"acr":{"essential":true,"values":["eidas1-mfa","eidas2"]}}}`, q.Get("claims"), tt.name)
		assert.GreaterOrEqual(t, len(q.Get("state")), 32, "ProConnect wants 32 characters at least")
		assert.GreaterOrEqual(t, len(q.Get("nonce")), 32)
	}

	// A claims option is merged with the acr request.
	req, err := c.AuthCodeURL(franceconnect.AuthOptions{Claims: franceconnect.ClaimsAMR})
	require.NoError(t, err)
	assert.JSONEq(t, `{"id_token":{"amr":{"essential":true},"acr":{"essential":true,"values":["eidas1-mfa","eidas2"]}}}`,
		mustURL(t, req.URL).Query().Get("claims"))
}

func TestProConnectOptionsRefused(t *testing.T) {
	t.Parallel()
	_, pc := pcSetup(t, "ES256", false)
	_, fc := mockSetup(t, "ES256")
	tests := []struct {
		name string
		c    *franceconnect.Client
		opts franceconnect.AuthOptions
	}{
		{"siret_hint not a SIRET", pc, franceconnect.AuthOptions{SIRETHint: "13002526500014"}},
		{"siret_hint not digits", pc, franceconnect.AuthOptions{SIRETHint: "1300252650001A"}},
		{"acr asked in claims", pc, franceconnect.AuthOptions{Claims: `{"id_token":{"acr":{"values":["eidas0"]}}}`}},
		{"claims not an object of objects", pc, franceconnect.AuthOptions{Claims: `{"id_token":1}`}},
		{"prompt none with another", pc, franceconnect.AuthOptions{Prompt: "none login"}},
		{"prompt select_account", pc, franceconnect.AuthOptions{Prompt: "select_account"}},
		{"prompt none on FranceConnect", fc, franceconnect.AuthOptions{Prompt: "none"}},
		{"login_hint on FranceConnect", fc, franceconnect.AuthOptions{LoginHint: "a@b.fr"}},
		{"siret_hint on FranceConnect", fc, franceconnect.AuthOptions{SIRETHint: "13002526500013"}},
	}
	for _, tt := range tests {
		_, err := tt.c.AuthCodeURL(tt.opts)
		assert.ErrorIs(t, err, franceconnect.ErrConfig, tt.name)
	}
}

// The mock refuses what ProConnect refuses: an undocumented parameter
// (Y000400), a short state.
func TestProConnectMockRefusesUnknownParameters(t *testing.T) {
	t.Parallel()
	srv, c := pcSetup(t, "ES256", false)
	req, err := c.AuthCodeURL(franceconnect.AuthOptions{})
	require.NoError(t, err)
	_, err = srv.Login(req.URL+"&acr_values_extra=1", agent(t, "agent"))
	assert.ErrorContains(t, err, "Y000400")
	u := mustURL(t, req.URL)
	q := u.Query()
	q.Set("state", "short")
	u.RawQuery = q.Encode()
	_, err = srv.Login(u.String(), agent(t, "agent"))
	assert.ErrorContains(t, err, "Y030007")
}

func TestProConnectLevels(t *testing.T) {
	t.Parallel()
	declared := franceconnect.Level{ACR: "eidas1-nouveau", Rank: 1, MFA: true} // a level announced after this release
	noCode := func(u *fctest.User) { u.NoMailCode = true }
	tests := []struct {
		name     string
		accepted []franceconnect.ACR // Config.ACRValues; nil is the default
		prefer   []franceconnect.ACR // AuthOptions.PreferredACR
		levels   []franceconnect.Level
		login    string
		user     func(*fctest.User)
		fault    fctest.Fault
		wantACR  franceconnect.ACR
		wantMFA  bool
		wantErr  error
	}{
		{name: "default set accepts eidas1", login: "agent", wantACR: franceconnect.EIDAS1},
		{name: "default set accepts eidas1-mfa", login: "agent_mfa", wantACR: franceconnect.EIDAS1MFA, wantMFA: true},
		{name: "MFA required: ProConnect adds its e-mail code", accepted: []franceconnect.ACR{franceconnect.EIDAS1MFA}, login: "agent", wantACR: franceconnect.EIDAS1MFA, wantMFA: true},
		{name: "MFA preferred and met", prefer: []franceconnect.ACR{franceconnect.EIDAS1MFA}, login: "agent", wantACR: franceconnect.EIDAS1MFA, wantMFA: true},
		{name: "MFA preferred, not met: still in, the lower level said", prefer: []franceconnect.ACR{franceconnect.EIDAS1MFA}, login: "agent", user: noCode, wantACR: franceconnect.EIDAS1},
		{name: "certification dirigeant accepted", accepted: []franceconnect.ACR{franceconnect.ACRCertificationDirigeant}, login: "dirigeant", wantACR: franceconnect.ACRCertificationDirigeant},
		{name: "known level not accepted", accepted: []franceconnect.ACR{franceconnect.EIDAS2, franceconnect.EIDAS3}, prefer: []franceconnect.ACR{franceconnect.EIDAS2}, login: "agent", wantErr: franceconnect.ErrACRRefused},
		{name: "certification dirigeant not in the default set", prefer: []franceconnect.ACR{franceconnect.EIDAS1}, login: "dirigeant", wantErr: franceconnect.ErrACRRefused},
		{name: "eidas0 refused by the default set", login: "agent", fault: fctest.IDTokenACRLow, wantErr: franceconnect.ErrACRRefused},
		{name: "eidas0 accepted when listed", accepted: []franceconnect.ACR{franceconnect.EIDAS0, franceconnect.EIDAS1}, login: "agent", fault: fctest.IDTokenACRLow, wantACR: franceconnect.EIDAS0},
		{name: "missing acr", login: "agent", fault: fctest.IDTokenMissingACR, wantErr: franceconnect.ErrACRRefused},
		{name: "a level ProConnect removed is unknown", login: "agent", fault: fctest.IDTokenACRUnknown, wantErr: franceconnect.ErrACRUnknown},
		{name: "a declared new level accepted", accepted: []franceconnect.ACR{declared.ACR}, levels: []franceconnect.Level{declared}, login: "agent",
			user: func(u *fctest.User) { u.ACR = string(declared.ACR) }, wantACR: declared.ACR, wantMFA: true},
		{name: "an undeclared new level is unknown", prefer: []franceconnect.ACR{franceconnect.EIDAS1}, login: "agent",
			user: func(u *fctest.User) { u.ACR = string(declared.ACR) }, wantErr: franceconnect.ErrACRUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv, c := pcSetup(t, "ES256", false, func(cfg *franceconnect.Config) { cfg.ACRValues, cfg.Levels = tt.accepted, tt.levels })
			if tt.fault != 0 {
				srv.Inject(tt.fault)
			}
			u := agent(t, tt.login)
			if tt.user != nil {
				tt.user(&u)
			}
			req, q := mockLogin(t, srv, c, u, franceconnect.AuthOptions{PreferredACR: tt.prefer})
			res, err := c.Exchange(context.Background(), req, q)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				assert.ErrorIs(t, err, franceconnect.ErrACRTooLow, "one branch covers both federations")
				other := franceconnect.ErrACRUnknown
				if tt.wantErr == franceconnect.ErrACRUnknown {
					other = franceconnect.ErrACRRefused
				}
				assert.NotErrorIs(t, err, other, "unknown and refused are told apart")
				assert.Nil(t, res)
				assert.Zero(t, srv.Stats().UserInfoRequests, "no userinfo after a refused level")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantACR, res.IDToken.ACR)
			assert.Equal(t, tt.wantMFA, res.IDToken.MFA)
		})
	}
}

func TestACRMFA(t *testing.T) {
	t.Parallel()
	tests := map[franceconnect.ACR]bool{
		franceconnect.EIDAS0: false, franceconnect.EIDAS0MFA: true, franceconnect.EIDAS1: false,
		franceconnect.EIDAS1MFA: true, franceconnect.EIDAS2: true, franceconnect.EIDAS3: true,
		franceconnect.ACRCertificationDirigeant: false, "": false, "eidas1-MFA": false, "unknown": false,
	}
	for acr, want := range tests {
		assert.Equal(t, want, acr.MFA(), string(acr))
	}
}

// A silent login (prompt=none) reuses the ProConnect session, or comes
// back as ErrLoginRequired before any token request.
func TestProConnectSilentLogin(t *testing.T) {
	t.Parallel()
	srv, c := pcSetup(t, "ES256", false)

	req, q := mockLogin(t, srv, c, agent(t, "agent"), franceconnect.AuthOptions{Prompt: "none"})
	res, err := c.Exchange(context.Background(), req, q)
	require.ErrorIs(t, err, franceconnect.ErrLoginRequired)
	var ce *franceconnect.CallbackError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "login_required", ce.Code)
	assert.ErrorContains(t, err, "ProConnect returned login_required", "the error names who sent it")
	assert.Nil(t, res)
	assert.Zero(t, srv.Stats().TokenRequests)
	assert.Equal(t, http.StatusOK, franceconnect.StatusCode(err), "a normal page: show the login button")
	assert.Equal(t, "Vous n’êtes pas connecté à ProConnect. Utilisez le bouton de connexion.", franceconnect.UserMessage(err))

	// A browser that logged in once logs in silently the second time.
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	first, err := c.AuthCodeURL(franceconnect.AuthOptions{})
	require.NoError(t, err)
	pickIdentity(t, browser, first.URL, "agent_mfa")
	silent, err := c.AuthCodeURL(franceconnect.AuthOptions{Prompt: "none"})
	require.NoError(t, err)
	resp, err := browser.Get(silent.URL)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode, "no page shown")
	cb := mustURL(t, resp.Header.Get("Location"))
	res, err = c.Exchange(context.Background(), silent, cb.Query())
	require.NoError(t, err)
	assert.Equal(t, "ZIANE", res.Agent.UsualName)
}

var formAction = regexp.MustCompile(`action="([^"]+/login)"`)

// pickIdentity plays the browser on the mock's chooser page.
func pickIdentity(t *testing.T, browser *http.Client, authURL, login string) {
	t.Helper()
	resp, err := browser.Get(authURL)
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := formAction.FindSubmatch(body)
	require.NotNil(t, m, "chooser page")
	u := mustURL(t, authURL)
	resp, err = browser.PostForm(u.Scheme+"://"+u.Host+string(m[1]), url.Values{"login": {login}})
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusSeeOther, resp.StatusCode)
}

// The userinfo format is configured, never guessed: a JWT where JSON is
// configured is refused, and the reverse.
func TestProConnectUserInfoFormat(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		userInfoJSON bool
		fault        fctest.Fault
	}{{true, fctest.UserInfoSigned}, {false, fctest.UserInfoJSON}} {
		srv, c := pcSetup(t, "RS256", tt.userInfoJSON)
		checkRefused(t, srv, c, franceconnect.ErrUserInfoFormat, reachesUserInfo, tt.fault)
	}
}

// The negative suite runs on the ProConnect profile: every fault that
// applies gives the same typed error, and nothing after the failed step.
func TestProConnectRefusesEveryNegativeCase(t *testing.T) {
	t.Parallel()
	// What differs with an HS256 client: HS256 with the secret is its
	// algorithm, a kid means nothing to it, and an HMAC keyed with a
	// public key is only a wrong HMAC.
	hs256 := map[fctest.Fault]error{
		fctest.IDTokenHS256WithSecret:    nil,
		fctest.IDTokenUnknownKid:         nil,
		fctest.IDTokenHS256WithPublicKey: franceconnect.ErrSignature,
	}
	// A JSON userinfo has no signature, issuer or audience to check.
	jsonUserInfo := []fctest.Fault{fctest.UserInfoJSON, fctest.UserInfoWrongIssuer, fctest.UserInfoWrongAudience,
		fctest.UserInfoBadSignature, fctest.UserInfoAlgNone}
	for _, f := range []struct {
		alg          string
		userInfoJSON bool
	}{{"ES256", false}, {"RS256", false}, {"HS256", true}} {
		for _, tc := range negativeCases {
			want := tc.want
			if w, ok := hs256[tc.fault]; ok && f.alg == "HS256" {
				want = w
			}
			if want == nil || f.userInfoJSON && slices.Contains(jsonUserInfo, tc.fault) {
				continue // not a fault for this client
			}
			t.Run(f.alg+"/"+tc.fault.String(), func(t *testing.T) {
				t.Parallel()
				srv, c := pcSetup(t, f.alg, f.userInfoJSON)
				checkRefused(t, srv, c, want, tc.stops, tc.fault)
			})
		}
	}
}

func TestProConnectLogout(t *testing.T) {
	t.Parallel()
	srv, c := pcSetup(t, "HS256", true)
	req, q := mockLogin(t, srv, c, agent(t, "agent"), franceconnect.AuthOptions{})
	res, err := c.Exchange(context.Background(), req, q)
	require.NoError(t, err)
	lreq, err := c.LogoutURL(res.RawIDToken, franceconnect.LogoutOptions{})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(lreq.URL, srv.Environment().Issuer+"/session/end?"))
	back, err := srv.Logout(lreq.URL)
	require.NoError(t, err)
	require.NoError(t, c.VerifyLogout(lreq, mustURL(t, back).Query()))

	srv.Inject(fctest.LogoutWrongState)
	lreq, err = c.LogoutURL(res.RawIDToken, franceconnect.LogoutOptions{})
	require.NoError(t, err)
	back, err = srv.Logout(lreq.URL)
	require.NoError(t, err)
	assert.ErrorIs(t, c.VerifyLogout(lreq, mustURL(t, back).Query()), franceconnect.ErrStateMismatch)
}

func TestProConnectDiscovery(t *testing.T) {
	t.Parallel()
	srv, _ := pcSetup(t, "ES256", false)
	env, err := franceconnect.DiscoverEnvironment(context.Background(), franceconnect.ProConnect, srv.Environment().Issuer, nil)
	require.NoError(t, err)
	want := srv.Environment()
	env.Name = want.Name
	assert.Equal(t, want, env, "discovery gives the preset's endpoints")

	resp, err := http.Get(srv.Environment().Issuer + "/.well-known/openid-configuration")
	require.NoError(t, err)
	defer resp.Body.Close()
	var doc struct {
		ACRs   []string `json:"acr_values_supported"`
		Claims bool     `json:"claims_parameter_supported"`
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&doc))
	assert.True(t, doc.Claims)
	for _, a := range []franceconnect.ACR{franceconnect.EIDAS0, franceconnect.EIDAS0MFA, franceconnect.EIDAS1,
		franceconnect.EIDAS1MFA, franceconnect.EIDAS2, franceconnect.EIDAS3, franceconnect.ACRCertificationDirigeant} {
		assert.Contains(t, doc.ACRs, string(a), "the library knows every level the mock announces, and the reverse")
	}
	assert.Len(t, doc.ACRs, 7)
}

// The handlers serve the ProConnect profile unchanged: the pending login's
// cookie, the Agent in the result, ProConnect's words in the default error
// page.
func TestProConnectHandlers(t *testing.T) {
	t.Parallel()
	srv, c := pcSetup(t, "ES256", false, func(cfg *franceconnect.Config) {
		cfg.RedirectURL, cfg.CookieKeys = hCallback, [][]byte{[]byte("0123456789abcdef0123456789abcdef")}
	})
	b := newHBrowser(t)
	var o hOutcome
	cb := b.Start(t, srv, c.LoginHandler(franceconnect.AuthOptions{LoginHint: "paul.durand@laposte.fr"}), hLogin, agent(t, "agent_la_poste"))
	b.Get(t, o.callback(c), cb)
	res := o.requireSuccess(t)
	assert.Equal(t, "35600000049837", res.Agent.SIRET)
	assert.NoError(t, account.AgentPolicy{EmailDomains: []string{"laposte.fr"}}.Allow(res.Agent))

	// A cancelled login through the default error page speaks of ProConnect.
	srv.Inject(fctest.CallbackAccessDenied)
	cb = b.Start(t, srv, c.LoginHandler(franceconnect.AuthOptions{}), hLogin, agent(t, "agent"))
	resp := b.Get(t, c.CallbackHandler(func(http.ResponseWriter, *http.Request, *franceconnect.Result) {
		t.Error("onSuccess after a cancelled login")
	}, nil), cb)
	body, _ := io.ReadAll(resp.Body)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "Vous avez annulé la connexion avec ProConnect.\n", string(body))
}

// No agent datum, token or secret in the logs or the errors of ProConnect
// logins, logouts and every fault of the mock.
func TestProConnectPrivacy(t *testing.T) {
	t.Parallel()
	var logs debugLog
	rec := newSecretRecorder(t)
	var secret string
	srv, c := pcSetup(t, "HS256", true, func(cfg *franceconnect.Config) {
		cfg.Logger = logs.logger()
		cfg.HTTPClient = &http.Client{Transport: rec, Timeout: 10 * time.Second}
		cfg.ACRValues = []franceconnect.ACR{franceconnect.EIDAS1, franceconnect.EIDAS1MFA, franceconnect.ACRCertificationDirigeant}
		secret = cfg.ClientSecret
	})
	rec.add(secret)
	var errs []string
	login := func(u fctest.User, timeout time.Duration) *franceconnect.Result {
		req, q := mockLogin(t, srv, c, u, franceconnect.AuthOptions{LoginHint: u.Email})
		rec.add(req.State, req.Nonce, q.Get("code"))
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		res, err := c.Exchange(ctx, req, q)
		if err != nil {
			errs = append(errs, err.Error(), franceconnect.UserMessage(err))
			return nil
		}
		rec.add(res.AccessToken, res.RefreshToken, res.Agent.Subject)
		rec.add(jwtAndSegments(res.RawIDToken)...)
		return res
	}
	for _, u := range fctest.Agents() {
		res := login(u, 10*time.Minute) // a deadline this test does not judge
		require.NotNil(t, res, u.Login)
		lreq, err := c.LogoutURL(res.RawIDToken, franceconnect.LogoutOptions{})
		require.NoError(t, err)
		back, err := srv.Logout(lreq.URL)
		require.NoError(t, err)
		require.NoError(t, c.VerifyLogout(lreq, mustURL(t, back).Query()))
		if err := (account.AgentPolicy{SIRETs: []string{"00000000000000"}}).Allow(res.Agent); err != nil {
			errs = append(errs, err.Error())
		}
	}
	for _, f := range fctest.Faults(franceconnect.ProConnect) {
		srv.Reset()
		srv.Inject(f)
		login(fctest.Agents()[0], 500*time.Millisecond) // the slow faults hit the deadline
	}
	require.Greater(t, len(errs), 20, "the faults produced errors")
	requireNoSecret(t, logs.String(), errs, rec, srv.URL, c.Environment().Issuer)
}
