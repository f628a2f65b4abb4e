package franceconnect_test

// Privacy: at debug level, over full logins of every test identity, their
// logouts, and a login under every fault of the mock, no log line and no
// error string carries a token (access token, ID token or any of its
// segments, userinfo JWT), the client secret, a state, a nonce, a code, a
// subject, or any identity value of any test user.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
	"github.com/franceconnect-go/franceconnect/tenant"
)

// secretRecorder is the client's transport: it notes every token the
// provider hands out, so the test knows the values a failed login saw
// (a bad ID token never reaches the caller, but it could reach a log).
type secretRecorder struct {
	base http.RoundTripper
	mu   sync.Mutex
	seen []string
}

func (r *secretRecorder) add(s ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range s {
		if v != "" {
			r.seen = append(r.seen, v)
		}
	}
}

func (r *secretRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if a := req.Header.Get("Authorization"); a != "" {
		r.add(strings.TrimPrefix(a, "Bearer "))
	}
	resp, err := r.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	// Small answers only: the oversized-body faults are not secrets.
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if len(body) < 64<<10 {
		var tok struct {
			AccessToken string `json:"access_token"`
			IDToken     string `json:"id_token"`
		}
		if json.Unmarshal(body, &tok) == nil {
			r.add(tok.AccessToken)
			r.add(jwtAndSegments(tok.IDToken)...)
		}
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/jwt") {
			r.add(jwtAndSegments(strings.TrimSpace(string(body)))...)
		}
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// jwtAndSegments returns a compact JWT, each of its non-trivial parts,
// and the nonce and sub it carries.
func jwtAndSegments(jwt string) []string {
	if strings.Count(jwt, ".") != 2 || len(jwt) > 64<<10 {
		return nil
	}
	out := []string{jwt}
	segs := strings.Split(jwt, ".")
	for _, seg := range segs {
		if len(seg) >= 8 {
			out = append(out, seg)
		}
	}
	var claims struct {
		Nonce string `json:"nonce"`
		Sub   string `json:"sub"`
	}
	if b, err := base64.RawURLEncoding.DecodeString(segs[1]); err == nil && json.Unmarshal(b, &claims) == nil {
		out = append(out, claims.Nonce, claims.Sub)
	}
	return out
}

// identityValues are the values of every test user that must never be
// logged. Gender, idp_id and amr are left out: they are categories shared
// by many users ("male" is even inside "female"), not identifying values.
func identityValues() []string {
	var out []string
	for _, u := range append(fctest.Users(), fctest.Agents()...) {
		out = append(out, u.GivenName, u.FamilyName, u.PreferredUsername, u.Birthdate, u.IDPBirthdate,
			u.Birthplace, u.Birthcountry, u.Email, u.UsualName, u.UID, u.SIRET)
		out = append(out, u.GivenNameArray...)
		for _, w := range strings.Fields(u.GivenName + " " + u.FamilyName + " " + u.UsualName) {
			if len(w) >= 4 { // "DE", "LA" would match anything
				out = append(out, w)
			}
		}
		if u.Email != "" {
			local, _, _ := strings.Cut(u.Email, "@")
			out = append(out, local)
		}
	}
	return out
}

// debugLog is a JSON logger at debug level into a buffer.
type debugLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *debugLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *debugLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *debugLog) logger() *slog.Logger {
	return slog.New(slog.NewJSONHandler(l, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		// The timestamp's digits could match a birthplace code by chance.
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

func newSecretRecorder(t *testing.T) *secretRecorder {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &secretRecorder{base: tr}
}

func TestPrivacyNoSecretInLogsOrErrors(t *testing.T) {
	t.Parallel()
	var logs debugLog
	rec := newSecretRecorder(t)
	var secret string
	srv, c := mockSetup(t, "ES256", func(cfg *franceconnect.Config) {
		cfg.Logger = logs.logger()
		cfg.HTTPClient = &http.Client{Transport: rec, Timeout: 10 * time.Second}
		secret = cfg.ClientSecret
	})
	rec.add(secret)

	var errs []string
	noteErr := func(err error) {
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	login := func(u fctest.User, timeout time.Duration) (*franceconnect.Result, error) {
		req, q := mockLogin(t, srv, c, u, franceconnect.AuthOptions{Claims: franceconnect.ClaimsAMR})
		rec.add(req.State, req.Nonce, q.Get("code"))
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		res, err := c.Exchange(ctx, req, q)
		noteErr(err)
		if res != nil {
			rec.add(res.AccessToken, res.Identity.Subject, res.IDToken.Subject)
			rec.add(jwtAndSegments(res.RawIDToken)...)
		}
		return res, err
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	logout := func(rawIDToken string) {
		lreq, err := c.LogoutURL(rawIDToken, franceconnect.LogoutOptions{})
		require.NoError(t, err)
		rec.add(lreq.State)
		resp, err := noRedirect.Get(lreq.URL)
		require.NoError(t, err)
		_ = resp.Body.Close()
		back, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err, "a redirect to the post-logout URL")
		noteErr(c.VerifyLogout(lreq, back.Query()))
	}

	// Full logins and logouts of every identity.
	var lastIDToken string
	for _, u := range fctest.Users() {
		res, err := login(u, 10*time.Minute) // a deadline this test does not judge
		require.NoError(t, err, u.Login)
		lastIDToken = res.RawIDToken
		logout(res.RawIDToken)
	}
	require.Contains(t, logs.String(), "login verified", "debug logging is on")

	// A login (or a logout) under every fault of the mock.
	for _, f := range fctest.Faults(franceconnect.FranceConnect) {
		srv.Reset()
		srv.Inject(f)
		if strings.HasPrefix(f.String(), "Logout") {
			before := len(errs)
			logout(lastIDToken)
			require.Greater(t, len(errs), before, "%v refused", f)
			continue
		}
		_, _ = login(fctest.DefaultUser, 500*time.Millisecond) // slow faults hit the deadline
	}
	srv.Reset()
	// Other refusals that name no fault: a replayed code, another login's
	// callback, an unknown logout return.
	req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
	rec.add(req.State, req.Nonce, q.Get("code"))
	_, err := c.Exchange(context.Background(), req, q)
	require.NoError(t, err)
	_, err = c.Exchange(context.Background(), req, q)
	require.Error(t, err)
	noteErr(err)
	_, err = c.LogoutURL(strings.Repeat(".", 1<<20), franceconnect.LogoutOptions{})
	noteErr(err)

	require.Greater(t, len(errs), len(fctest.Faults(franceconnect.FranceConnect))/2, "the faults produced errors")
	requireNoSecret(t, logs.String(), errs, rec, srv.URL, c.Environment().Issuer)
}

// requireNoSecret checks the log lines and texts against every value rec
// saw and every identity value of the test users.
func requireNoSecret(t *testing.T, raw string, texts []string, rec *secretRecorder, public ...string) {
	t.Helper()
	// Decoded string values too, in case the JSON handler escaped one.
	var decoded []string
	for _, line := range strings.Split(strings.TrimSpace(raw), "\n") {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &m), line)
		decoded = append(decoded, stringValues(m)...)
	}
	all := raw + "\n" + strings.Join(decoded, "\n") + "\n" + strings.Join(texts, "\n")
	// Public values that contain digits (the mock's port, the client ID)
	// could hold a birthplace code by chance: take them out first.
	for _, p := range public {
		all = strings.ReplaceAll(all, p, "<public>")
	}

	rec.mu.Lock()
	secrets := append(append([]string{}, rec.seen...), identityValues()...)
	rec.mu.Unlock()
	require.Greater(t, len(secrets), 100)
	for _, s := range secrets {
		if s == "" {
			continue
		}
		if found := containsValue(all, s); found != "" {
			t.Errorf("a secret or identity value (%d bytes, starting %q) appears in: %q", len(s), s[:min(4, len(s))], found)
		}
	}
	t.Logf("%d log lines, %d error strings and pages, %d secret values checked", strings.Count(raw, "\n"), len(texts), len(secrets))
}

// containsValue finds s in text; codes made of digits only must stand
// alone (not inside a longer number). It returns the surrounding text.
func containsValue(text, s string) string {
	if regexp.MustCompile(`^[0-9A-Z]{5}$`).MatchString(s) {
		loc := regexp.MustCompile(`(^|[^0-9A-Za-z])` + regexp.QuoteMeta(s) + `($|[^0-9A-Za-z])`).FindStringIndex(text)
		if loc == nil {
			return ""
		}
		return text[max(0, loc[0]-40):min(len(text), loc[1]+40)]
	}
	i := strings.Index(text, s)
	if i < 0 {
		return ""
	}
	return text[max(0, i-40):min(len(text), i+len(s)+40)]
}

func stringValues(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case map[string]any:
		var out []string
		for k, x := range v {
			out = append(out, k)
			out = append(out, stringValues(x)...)
		}
		return out
	case []any:
		var out []string
		for _, x := range v {
			out = append(out, stringValues(x)...)
		}
		return out
	}
	return nil
}

// TestPrivacyHandlers: the same through the HTTP handlers (sealed-cookie
// transactions), including the pages they answer with on an error.
func TestPrivacyHandlers(t *testing.T) {
	t.Parallel()
	var logs debugLog
	rec := newSecretRecorder(t)
	srv, cfg := hSetup(t)
	rec.add(cfg.ClientSecret)
	withTimeout := func(d time.Duration) *franceconnect.Client {
		return hClient(t, cfg, func(cfg *franceconnect.Config) {
			cfg.Logger = logs.logger()
			cfg.HTTPClient = &http.Client{Transport: rec, Timeout: d}
		})
	}
	// The logins that must succeed have all the time they need; under the
	// faults, the slow ones end at 1 s (both clients share one
	// registration and its cookies).
	c, short := withTimeout(10*time.Minute), withTimeout(time.Second)
	var texts []string
	page := func(resp *http.Response, err error) {
		body, _ := io.ReadAll(resp.Body)
		texts = append(texts, string(body))
		if err != nil {
			texts = append(texts, err.Error())
		}
	}
	login := func(c *franceconnect.Client, u fctest.User) (*franceconnect.Result, *hBrowser) {
		b := newHBrowser(t)
		resp := b.Get(t, c.LoginHandler(franceconnect.AuthOptions{}), hLogin)
		require.Equal(t, http.StatusFound, resp.StatusCode)
		auth, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		rec.add(auth.Query().Get("state"), auth.Query().Get("nonce"))
		cb, err := srv.Login(auth.String(), u)
		require.NoError(t, err)
		q, err := callbackQuery(cb)
		require.NoError(t, err)
		rec.add(q.Get("code"))
		var o hOutcome
		page(b.Get(t, o.callback(c), cb), o.err)
		if o.res != nil {
			rec.add(o.res.AccessToken, o.res.Identity.Subject)
			rec.add(jwtAndSegments(o.res.RawIDToken)...)
		}
		return o.res, b
	}
	logout := func(b *hBrowser, rawIDToken string) error {
		resp := b.Post(t, c.LogoutHandler(func(*http.Request) (string, error) { return rawIDToken, nil }), hPortal+"/fc/logout")
		require.Equal(t, http.StatusFound, resp.StatusCode)
		end, err := url.Parse(resp.Header.Get("Location"))
		require.NoError(t, err)
		rec.add(end.Query().Get("state"))
		var lo hOutcome
		page(b.Get(t, lo.logoutReturn(c), hFollowLogout(t, end.String())), lo.err)
		return lo.err
	}

	var lastIDToken string
	for _, u := range fctest.Users() {
		res, b := login(c, u)
		require.NotNil(t, res, u.Login)
		lastIDToken = res.RawIDToken
		require.NoError(t, logout(b, res.RawIDToken))
	}
	require.Contains(t, logs.String(), "login verified", "debug logging is on")
	failures := 0
	for _, f := range fctest.Faults(franceconnect.FranceConnect) {
		srv.Reset()
		srv.Inject(f)
		if strings.HasPrefix(f.String(), "Logout") {
			b := newHBrowser(t)
			require.Error(t, logout(b, lastIDToken), f.String())
			failures++
			continue
		}
		if res, _ := login(short, fctest.DefaultUser); res == nil {
			failures++
		}
	}
	require.Greater(t, failures, len(fctest.Faults(franceconnect.FranceConnect))/2, "the faults produced errors")
	requireNoSecret(t, logs.String(), texts, rec, srv.URL, c.Environment().Issuer)
}

func TestNoSecretsInLogsOrErrors(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, c := mockSetup(t, "ES256", func(cfg *franceconnect.Config) { cfg.Logger = logger })
	req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
	res, err := c.Exchange(context.Background(), req, q)
	require.NoError(t, err)

	var errs []string
	for _, f := range []fctest.Fault{fctest.IDTokenWrongNonce, fctest.UserInfoSubMismatch, fctest.IDTokenBadSignature, fctest.TokenUnauthorized} {
		srv.Inject(f)
		req, q := mockLogin(t, srv, c, fctest.DefaultUser, franceconnect.AuthOptions{})
		_, err := c.Exchange(context.Background(), req, q)
		require.Error(t, err)
		errs = append(errs, err.Error())
		srv.Reset()
	}
	out := logs.String() + strings.Join(errs, "\n")
	require.Contains(t, logs.String(), "login verified", "debug logging is on")
	secrets := []string{res.RawIDToken, res.AccessToken, req.State, req.Nonce, res.Identity.Subject,
		"Angela", "DUBOIS", "1962-08-24", "75107", res.Identity.Email}
	for _, s := range secrets {
		assert.NotContains(t, out, s)
	}
}

// Every exported type that holds a secret, a key or a token prints none
// of them, through fmt (every verb, value and pointer) and through
// log/slog (text and JSON handlers).
func TestSecretsNeverPrinted(t *testing.T) {
	t.Parallel()
	const secret = "CLIENT-SECRET-0123456789abcdef-XYZ"
	cookieKey := []byte("COOKIEKEY-0123456789abcdefghijkl")
	encKey := fctest.ClientKey(fctest.ECDHES)
	priv, err := json.Marshal(encKey)
	require.NoError(t, err)
	var d struct {
		D string `json:"d"`
	}
	require.NoError(t, json.Unmarshal(priv, &d))
	require.NotEmpty(t, d.D)
	forbidden := []string{secret, string(cookieKey), base64.StdEncoding.EncodeToString(cookieKey), "[67 79 79 75 73 69", d.D,
		"ACCESS-TOKEN-VALUE", "REFRESH-TOKEN-VALUE", "RAW-ID-TOKEN-VALUE", "DUBOIS"}

	cfg := franceconnect.Config{Environment: franceconnect.PlusProduction, ClientID: "id", ClientSecret: secret,
		RedirectURL: "https://portail.example/cb", CookieKeys: [][]byte{cookieKey}, DecryptionKeys: []jose.JSONWebKey{encKey}}
	c, err := franceconnect.New(cfg)
	require.NoError(t, err)
	res := franceconnect.Result{Identity: &franceconnect.Identity{FamilyName: "DUBOIS"}, IDToken: &franceconnect.IDTokenClaims{ACR: "eidas2"},
		RawIDToken: "RAW-ID-TOKEN-VALUE", AccessToken: "ACCESS-TOKEN-VALUE", RefreshToken: "REFRESH-TOKEN-VALUE"}
	settings := tenant.Settings{ClientID: "id", ClientSecret: secret, ServiceURL: "https://oidc.franceconnect.gouv.fr"}
	tenants := tenant.Config{CookieKeys: [][]byte{cookieKey}, PostLogoutRedirectURL: "https://portail.example/aides"}

	for name, v := range map[string]any{
		"Config": cfg, "*Config": &cfg, "*Client": c, "Result": res, "*Result": &res,
		"tenant.Settings": settings, "*tenant.Settings": &settings, "tenant.Config": tenants, "*tenant.Config": &tenants,
	} {
		var out bytes.Buffer
		fmt.Fprintf(&out, "%v %+v %#v %s\n", v, v, v, v)
		slog.New(slog.NewTextHandler(&out, nil)).Info("x", "v", v)
		slog.New(slog.NewJSONHandler(&out, nil)).Info("x", "v", v)
		for _, f := range forbidden {
			assert.NotContains(t, out.String(), f, "%s prints a secret:\n%s", name, out.String())
		}
		assert.Contains(t, out.String(), "redacted", name)
	}
}
