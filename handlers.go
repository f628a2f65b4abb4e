package franceconnect

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/franceconnect-go/franceconnect/internal/seal"
)

// The handlers keep each pending login (state, nonce, acr, expiry, return
// path) in its own cookie, sealed with Config.CookieKeys (JWE dir +
// A256GCM): no server-side store, so a login started on one replica
// completes on any replica that has the same keys, and two logins started
// in two tabs both complete. A pending logout is kept the same way.

// Errors of the handlers, in addition to those of Exchange and
// VerifyLogout. Both match ErrStateMismatch too.
var (
	// ErrNoTransaction: no pending login (or logout) of this browser
	// matches the request: it was never started here, was already
	// completed (a replayed callback), or the browser dropped the cookie
	// once its lifetime had passed.
	ErrNoTransaction = fmt.Errorf("%w: no pending login or logout in this browser matches the request", ErrStateMismatch)
	// ErrInvalidTransaction: the transaction cookie was altered, was sealed
	// under a key that is no longer in Config.CookieKeys, or was issued for
	// another client (tenant) or purpose.
	ErrInvalidTransaction = fmt.Errorf("%w: invalid transaction cookie", ErrStateMismatch)
)

const (
	defaultCookiePrefix = "fc_tx"
	defaultReturnPath   = "/"
	// maxPendingLogins bounds the login cookies one browser holds: a new
	// login beyond it drops the oldest.
	maxPendingLogins = 5
	// maxReturnPath bounds the return path kept in the cookie.
	maxReturnPath = 1024
	// returnParam is LoginHandler's query parameter naming the local path to
	// come back to.
	returnParam = "return"
	// stateIDLen is how much of the state names a login cookie.
	stateIDLen = 8
	// maxIndexCookie bounds the list of pending logins we parse.
	maxIndexCookie = 512
)

// checkHandlerFields fills in the defaults of the handler fields and
// returns their problems.
func (c *Config) checkHandlerFields() []string {
	var problems []string
	if len(c.CookieKeys) > 0 {
		if _, err := seal.New(c.CookieKeys); err != nil {
			problems = append(problems, "CookieKeys: "+strings.TrimPrefix(err.Error(), "seal: "))
		}
		keys := make([][]byte, len(c.CookieKeys))
		for i, k := range c.CookieKeys {
			keys[i] = slices.Clone(k)
		}
		c.CookieKeys = keys // the caller may reuse its buffers
	}
	if c.CookieName == "" {
		c.CookieName = defaultCookiePrefix
	} else if len(c.CookieName) > 32 || !isStateID(c.CookieName) {
		problems = append(problems, fmt.Sprintf("CookieName %s: use at most 32 letters, digits, '-' or '_'", safe(c.CookieName)))
	}
	if c.DefaultReturnPath == "" {
		c.DefaultReturnPath = defaultReturnPath
	} else if !isLocalPath(c.DefaultReturnPath) {
		problems = append(problems, fmt.Sprintf("DefaultReturnPath %s is not a local path such as /espace-usager", safe(c.DefaultReturnPath)))
	}
	return problems
}

// loginTx is a sealed pending login. Its expiry is the envelope's.
type loginTx struct {
	State  string `json:"s"`
	Nonce  string `json:"n"`
	ACR    ACR    `json:"a"`
	Return string `json:"r,omitempty"`
}

// logoutTx is a sealed pending logout.
type logoutTx struct {
	State string `json:"s"`
}

// txCookies is what the handlers of one Client share.
type txCookies struct {
	sealer     *seal.Sealer
	prefix     string
	loginPath  string // the callback's path
	logoutPath string // the post-logout URL's path ("" if none)
	secure     bool   // https callback
	secureOut  bool   // https post-logout URL
	maxAge     int
	loginAud   string
	logoutAud  string
}

// transactions prepares the handlers' cookies, or explains why the
// handlers cannot work (an error wrapping ErrConfig).
func (c *Client) transactions() (*txCookies, error) {
	if len(c.cfg.CookieKeys) == 0 {
		return nil, fmt.Errorf("%w: Config.CookieKeys is empty: the handlers need at least one 32-byte key to seal their cookies", ErrConfig)
	}
	s, err := seal.New(c.cfg.CookieKeys)
	if err != nil { // New checked them already
		return nil, fmt.Errorf("%w: CookieKeys: %v", ErrConfig, err)
	}
	t := &txCookies{
		sealer:    s,
		prefix:    c.cfg.CookieName,
		maxAge:    max(1, int(c.cfg.TransactionTTL/time.Second)),
		loginAud:  "franceconnect login " + c.cfg.Environment.Issuer + " " + c.cfg.ClientID,
		logoutAud: "franceconnect logout " + c.cfg.Environment.Issuer + " " + c.cfg.ClientID,
	}
	t.loginPath, t.secure = cookieScope(c.cfg.RedirectURL)
	if c.cfg.PostLogoutRedirectURL != "" {
		t.logoutPath, t.secureOut = cookieScope(c.cfg.PostLogoutRedirectURL)
	}
	return t, nil
}

// cookieScope returns the cookie path and Secure flag for a validated
// redirect URL: Secure unless it is http on a loopback host (New refuses
// http elsewhere).
func cookieScope(raw string) (path string, secure bool) {
	u, err := url.Parse(raw)
	if err != nil {
		return "/", true
	}
	path = u.EscapedPath()
	if path == "" {
		path = "/"
	}
	return path, u.Scheme != "http"
}

func (t *txCookies) cookie(name, value, path string, secure bool, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     path,
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}
}

// LoginHandler starts a login: it sends the browser to FranceConnect and
// keeps the pending login in a sealed cookie for CallbackHandler. Mount it
// on any path (e.g. "GET /fc/login").
//
// The optional query parameter "return" names the local path to come back
// to after login (e.g. /fc/login?return=%2Fdossiers%2F42). Only a local
// path is honoured: it starts with a single "/" (not "//", not "/\"), has
// no scheme, no control character, no space, and stays so once
// percent-decoded; anything else is replaced by Config.DefaultReturnPath.
//
// The cookie, one per login, is named "<CookieName>_<8 chars of the
// state>", HttpOnly, SameSite=Lax, Secure unless the redirect URL is
// http://localhost (or another loopback host), limited to the redirect
// URL's path and to TransactionTTL. The handler also keeps, on its own
// path, the list of the logins it started, so that a browser holds at most
// 5 pending login cookies: a sixth login drops the oldest.
//
// Without Config.CookieKeys it answers 500 and logs the configuration
// problem (fail closed).
func (c *Client) LoginHandler() http.Handler {
	return c.LoginHandlerWithOptions(AuthOptions{})
}

// LoginHandlerWithOptions is LoginHandler with authorization options
// (prompt, claims, idp_hint) sent on every login.
func (c *Client) LoginHandlerWithOptions(opts AuthOptions) http.Handler {
	t, cfgErr := c.transactions()
	if cfgErr == nil {
		cfgErr = opts.validate()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if cfgErr != nil {
			c.failClosed(w, r, cfgErr)
			return
		}
		ret := c.returnPath(r.URL.Query().Get(returnParam))
		req, err := c.AuthCodeURL(opts)
		if err != nil {
			c.failClosed(w, r, err)
			return
		}
		sealed, err := t.sealer.Seal(t.loginAud, req.Expiry, loginTx{State: req.State, Nonce: req.Nonce, ACR: req.ACR, Return: ret})
		if err != nil {
			c.failClosed(w, r, err)
			return
		}
		id := req.State[:stateIDLen]
		t.trackLogin(w, r, id, req.Expiry, c.cfg.Now())
		http.SetCookie(w, t.cookie(t.prefix+"_"+id, sealed, t.loginPath, t.secure, t.maxAge))
		c.logDebug(r.Context(), "franceconnect: login started")
		http.Redirect(w, r, req.URL, http.StatusFound)
	})
}

// pendingLogin is an entry of the list of pending logins: the cookie's
// state prefix and its expiry (Unix seconds).
type pendingLogin struct {
	id  string
	exp int64
}

// trackLogin records a new login in the list of pending logins (a cookie
// on the login handler's own path, since the login cookies themselves are
// sent only to the callback) and expires the oldest login cookies beyond
// maxPendingLogins.
func (t *txCookies) trackLogin(w http.ResponseWriter, r *http.Request, id string, exp, now time.Time) {
	name := t.prefix + "_idx"
	var list []pendingLogin
	if ck, err := r.Cookie(name); err == nil {
		list = parsePending(ck.Value, now.Unix())
	}
	slices.SortFunc(list, func(a, b pendingLogin) int { return cmp.Compare(a.exp, b.exp) })
	for len(list) >= maxPendingLogins {
		http.SetCookie(w, t.cookie(t.prefix+"_"+list[0].id, "", t.loginPath, t.secure, -1))
		list = list[1:]
	}
	list = append(list, pendingLogin{id: id, exp: exp.Unix()})
	var b strings.Builder
	for i, p := range list {
		if i > 0 {
			b.WriteByte(':')
		}
		b.WriteString(p.id)
		b.WriteByte('.')
		b.WriteString(strconv.FormatInt(p.exp, 10))
	}
	http.SetCookie(w, t.cookie(name, b.String(), requestPath(r), t.secure, t.maxAge))
}

// parsePending reads "id.exp:id.exp...", keeping the well-formed entries
// that have not expired. Tampering with it only drops the user's own
// pending logins.
func parsePending(v string, now int64) []pendingLogin {
	if len(v) > maxIndexCookie {
		return nil
	}
	var list []pendingLogin
	for e := range strings.SplitSeq(v, ":") {
		id, exp, ok := strings.Cut(e, ".")
		if !ok || len(id) != stateIDLen || !isStateID(id) || len(exp) > 12 {
			continue
		}
		n, err := strconv.ParseInt(exp, 10, 64)
		if err != nil || n < now || slices.ContainsFunc(list, func(p pendingLogin) bool { return p.id == id }) {
			continue
		}
		list = append(list, pendingLogin{id: id, exp: n})
	}
	return list
}

// requestPath is the path the browser asked for, before any
// http.StripPrefix, for a cookie that must come back to this handler.
func requestPath(r *http.Request) string {
	if strings.HasPrefix(r.RequestURI, "/") {
		p, _, _ := strings.Cut(r.RequestURI, "?")
		return p
	}
	if p := r.URL.EscapedPath(); p != "" {
		return p
	}
	return "/"
}

// CallbackHandler completes a login on the redirect URL (e.g. "GET
// /fc/callback"). It finds the cookie of the login this callback answers,
// opens it, deletes it whatever the outcome, and runs Exchange; then it
// calls onSuccess with the verified Result and the local path to return
// to, or onError.
//
// onSuccess is where the portal starts its own session: keep
// res.RawIDToken in it for logout, then redirect to returnPath (a local
// path, safe to give to http.Redirect). onError receives the error of
// Exchange, or ErrNoTransaction (no cookie: never started here, replayed,
// dropped after its lifetime), ErrInvalidTransaction (altered cookie,
// unknown key, another tenant's cookie) or ErrTransactionExpired; show
// UserMessage(err) to the user and log err (it holds no personal data). A
// nil onError answers UserMessage(err) as text with status 400 (502 when
// FranceConnect is unavailable, 500 for a configuration problem).
//
// A replayed callback finds no cookie (the first one deleted it); if an
// attacker kept the cookie, FranceConnect refuses the code, which is
// single-use (ErrInvalidGrant). CallbackHandler panics if onSuccess is nil.
func (c *Client) CallbackHandler(onSuccess func(w http.ResponseWriter, r *http.Request, res *Result, returnPath string), onError func(w http.ResponseWriter, r *http.Request, err error)) http.Handler {
	if onSuccess == nil {
		panic("franceconnect: CallbackHandler: onSuccess is nil")
	}
	if onError == nil {
		onError = defaultOnError
	}
	t, cfgErr := c.transactions()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if cfgErr != nil {
			c.logConfig(r.Context(), cfgErr)
			onError(w, r, cfgErr)
			return
		}
		q := r.URL.Query()
		var tx loginTx
		exp, err := t.open(w, r, loginCookieName(t.prefix, q), t.loginPath, t.secure, t.loginAud, c.cfg.Now(), &tx)
		if err == nil && (tx.State == "" || tx.Nonce == "" || tx.ACR.rank() == 0) {
			err = fmt.Errorf("%w: incomplete login", ErrInvalidTransaction)
		}
		if err != nil {
			c.logDebug(r.Context(), "franceconnect: callback refused", slog.String("error", err.Error()))
			onError(w, r, err)
			return
		}
		res, err := c.Exchange(r.Context(), &AuthRequest{State: tx.State, Nonce: tx.Nonce, ACR: tx.ACR, Expiry: exp}, q)
		if err != nil {
			onError(w, r, err)
			return
		}
		onSuccess(w, r, res, c.returnPath(tx.Return))
	})
}

// loginCookieName names the cookie of the login a callback answers, from
// its state; "" when the state is missing, repeated or malformed.
func loginCookieName(prefix string, q url.Values) string {
	s := q["state"]
	if len(s) != 1 || len(s[0]) < stateIDLen || len(s[0]) > 256 || !isStateID(s[0]) {
		return ""
	}
	return prefix + "_" + s[0][:stateIDLen]
}

// open opens the transaction cookie called name (trying each cookie of
// that name the browser sent) and expires it.
func (t *txCookies) open(w http.ResponseWriter, r *http.Request, name, path string, secure bool, aud string, now time.Time, v any) (time.Time, error) {
	if name == "" {
		return time.Time{}, fmt.Errorf("%w: the request has no valid state", ErrNoTransaction)
	}
	var firstErr error
	found := false
	for _, ck := range r.Cookies() {
		if ck.Name != name {
			continue
		}
		if !found {
			found = true
			http.SetCookie(w, t.cookie(name, "", path, secure, -1))
		}
		exp, err := t.sealer.Open(ck.Value, aud, now, v)
		if err == nil {
			return exp, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	switch {
	case !found:
		return time.Time{}, ErrNoTransaction
	case errors.Is(firstErr, seal.ErrExpired):
		return time.Time{}, fmt.Errorf("%w: the transaction cookie is past its expiry", ErrTransactionExpired)
	default:
		return time.Time{}, fmt.Errorf("%w: %s", ErrInvalidTransaction, strings.TrimPrefix(firstErr.Error(), "seal: "))
	}
}

// LogoutHandler logs the user out of FranceConnect (e.g. "POST
// /fc/logout"): it sends the browser to FranceConnect's logout with the ID
// token rawIDToken returns, and keeps the logout's state in a sealed
// cookie (named "<CookieName>_out", limited to the post-logout URL's path)
// for LogoutReturnHandler.
//
// rawIDToken returns the Result.RawIDToken the portal kept in its session
// at login. Logging out of FranceConnect does not end the portal's own
// session: end it in rawIDToken (or before this handler runs). When
// rawIDToken returns "" (no FranceConnect session, or the token kept is not
// a JWT) the user goes straight to Config.DefaultReturnPath; when it
// returns an error, the handler answers 500 and logs it.
//
// Without Config.CookieKeys or Config.PostLogoutRedirectURL it answers 500
// and logs the configuration problem. It panics if rawIDToken is nil.
func (c *Client) LogoutHandler(rawIDToken func(r *http.Request) (string, error)) http.Handler {
	if rawIDToken == nil {
		panic("franceconnect: LogoutHandler: rawIDToken is nil")
	}
	t, cfgErr := c.transactions()
	if cfgErr == nil && c.cfg.PostLogoutRedirectURL == "" {
		cfgErr = fmt.Errorf("%w: Config.PostLogoutRedirectURL is empty: the logout handlers need the registered post-logout URL", ErrConfig)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if cfgErr != nil {
			c.failClosed(w, r, cfgErr)
			return
		}
		tok, err := rawIDToken(r)
		if err != nil {
			c.logError(r.Context(), "franceconnect: logout: the portal could not give the ID token", err)
			http.Error(w, msgLogoutFailed, http.StatusInternalServerError)
			return
		}
		if tok == "" {
			http.Redirect(w, r, c.cfg.DefaultReturnPath, http.StatusFound)
			return
		}
		lreq, err := c.LogoutURL(tok, LogoutOptions{})
		if errors.Is(err, ErrMissingIDToken) {
			c.logError(r.Context(), "franceconnect: logout without FranceConnect", err)
			http.Redirect(w, r, c.cfg.DefaultReturnPath, http.StatusFound)
			return
		}
		if err != nil {
			c.failClosed(w, r, err)
			return
		}
		sealed, err := t.sealer.Seal(t.logoutAud, lreq.Expiry, logoutTx{State: lreq.State})
		if err != nil {
			c.failClosed(w, r, err)
			return
		}
		http.SetCookie(w, t.cookie(t.prefix+"_out", sealed, t.logoutPath, t.secureOut, t.maxAge))
		http.Redirect(w, r, lreq.URL, http.StatusFound)
	})
}

// LogoutReturnHandler checks the return from FranceConnect's logout,
// mounted on the path of Config.PostLogoutRedirectURL (a path of its own,
// e.g. "GET /fc/logged-out"). It opens and deletes the logout cookie, runs
// VerifyLogout, and calls onSuccess or onError (ErrNoTransaction,
// ErrInvalidTransaction, ErrTransactionExpired, ErrStateMismatch). Either
// way the user is logged out of the portal already; onError typically
// logs and redirects home too. A nil onError answers as CallbackHandler's.
// It panics if onSuccess is nil.
func (c *Client) LogoutReturnHandler(onSuccess func(w http.ResponseWriter, r *http.Request), onError func(w http.ResponseWriter, r *http.Request, err error)) http.Handler {
	if onSuccess == nil {
		panic("franceconnect: LogoutReturnHandler: onSuccess is nil")
	}
	if onError == nil {
		onError = defaultOnError
	}
	t, cfgErr := c.transactions()
	if cfgErr == nil && c.cfg.PostLogoutRedirectURL == "" {
		cfgErr = fmt.Errorf("%w: Config.PostLogoutRedirectURL is empty: the logout handlers need the registered post-logout URL", ErrConfig)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if cfgErr != nil {
			c.logConfig(r.Context(), cfgErr)
			onError(w, r, cfgErr)
			return
		}
		var tx logoutTx
		exp, err := t.open(w, r, t.prefix+"_out", t.logoutPath, t.secureOut, t.logoutAud, c.cfg.Now(), &tx)
		if err == nil {
			err = c.VerifyLogout(&LogoutRequest{State: tx.State, Expiry: exp}, r.URL.Query())
		}
		if err != nil {
			c.logDebug(r.Context(), "franceconnect: logout return refused", slog.String("error", err.Error()))
			onError(w, r, err)
			return
		}
		onSuccess(w, r)
	})
}

// returnPath returns p if it is a local path, else the default.
func (c *Client) returnPath(p string) string {
	if isLocalPath(p) {
		return p
	}
	return c.cfg.DefaultReturnPath
}

// isLocalPath reports whether p is a path on this site: "/" then not "/"
// or "\", printable ASCII without space or backslash, and still so once
// percent-decoded (twice at most: deeper encodings are refused), so that no
// browser or framework reads it as another host.
func isLocalPath(p string) bool {
	if len(p) == 0 || len(p) > maxReturnPath {
		return false
	}
	for i := 0; i < len(p); i++ {
		if b := p[i]; b <= ' ' || b >= 0x7f || b == '\\' {
			return false
		}
	}
	for range 3 {
		if p[0] != '/' || len(p) > 1 && (p[1] == '/' || p[1] == '\\') {
			return false
		}
		if strings.ContainsFunc(p, func(r rune) bool { return r < ' ' || r == 0x7f || r == '\\' }) {
			return false
		}
		d, err := url.PathUnescape(p)
		if err != nil || d == "" {
			return false
		}
		if d == p {
			return true
		}
		p = d
	}
	return false
}

// isStateID reports whether s is made of base64url characters (our states,
// cookie name parts).
func isStateID(s string) bool {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if !(b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '-' || b == '_') {
			return false
		}
	}
	return s != ""
}

// User-facing messages, in French.
const (
	msgCancelled    = "Vous avez annulé la connexion avec FranceConnect."
	msgExpired      = "Votre demande de connexion a expiré. Veuillez recommencer."
	msgUnavailable  = "FranceConnect est momentanément indisponible. Veuillez réessayer dans quelques instants."
	msgGeneric      = "La connexion avec FranceConnect n’a pas abouti. Veuillez réessayer."
	msgLogoutFailed = "La déconnexion n’a pas abouti. Veuillez réessayer."
)

// UserMessage returns a short sentence in French to show the user for an
// error of the login or logout handlers (or of Exchange): a cancelled
// login, an expired or unknown attempt, FranceConnect unavailable, or a
// generic failure. It never includes the error's details; log err for
// those. It returns "" for a nil error.
func UserMessage(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrAccessDenied):
		return msgCancelled
	case errors.Is(err, ErrTransactionExpired), errors.Is(err, ErrNoTransaction), errors.Is(err, ErrInvalidGrant):
		return msgExpired
	case errors.Is(err, ErrProviderUnavailable):
		return msgUnavailable
	default:
		return msgGeneric
	}
}

func defaultOnError(w http.ResponseWriter, _ *http.Request, err error) {
	status := http.StatusBadRequest
	switch {
	case errors.Is(err, ErrConfig):
		status = http.StatusInternalServerError
	case errors.Is(err, ErrProviderUnavailable):
		status = http.StatusBadGateway
	}
	http.Error(w, UserMessage(err), status)
}

// failClosed answers 500 for a handler that cannot work, and logs why.
func (c *Client) failClosed(w http.ResponseWriter, r *http.Request, err error) {
	c.logConfig(r.Context(), err)
	http.Error(w, msgUnavailableService, http.StatusInternalServerError)
}

const msgUnavailableService = "Le service de connexion est momentanément indisponible."

func (c *Client) logConfig(ctx context.Context, err error) {
	c.logError(ctx, "franceconnect: handler cannot work", err)
}

// logError logs at error level when a logger is set. err must hold no
// token, secret or personal data (the library's errors do not).
func (c *Client) logError(ctx context.Context, msg string, err error) {
	if c.log == nil {
		return
	}
	c.log.LogAttrs(ctx, slog.LevelError, msg, slog.String("error", err.Error()), slog.String("environment", c.cfg.Environment.Name), slog.String("client_id", c.cfg.ClientID))
}
