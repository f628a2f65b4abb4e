package franceconnect

import (
	"cmp"
	"errors"
	"fmt"
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

const (
	defaultCookiePrefix = "fc_tx"
	// maxPendingLogins bounds the login cookies one browser holds: a new
	// login beyond it drops the oldest.
	maxPendingLogins = 5
	// stateIDLen is how much of the state names a login cookie.
	stateIDLen = 8
	// maxIndexCookie bounds the list of pending logins we parse.
	maxIndexCookie = 512
)

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

// startLogin seals req and the return path into the login's cookie.
func (t *txCookies) startLogin(w http.ResponseWriter, r *http.Request, req *AuthRequest, ret string, now time.Time) error {
	sealed, err := t.sealer.Seal(t.loginAud, req.Expiry, loginTx{State: req.State, Nonce: req.Nonce, ACR: req.ACR, Return: ret})
	if err != nil {
		return err
	}
	id := req.State[:stateIDLen]
	t.trackLogin(w, r, id, req.Expiry, now)
	http.SetCookie(w, t.cookie(t.prefix+"_"+id, sealed, t.loginPath, t.secure, t.maxAge))
	return nil
}

// finishLogin opens and deletes the cookie of the login the callback
// query q answers.
func (t *txCookies) finishLogin(w http.ResponseWriter, r *http.Request, q url.Values, now time.Time) (*AuthRequest, string, error) {
	var tx loginTx
	exp, err := t.open(w, r, loginCookieName(t.prefix, q), t.loginPath, t.secure, t.loginAud, now, &tx)
	if err == nil && (tx.State == "" || tx.Nonce == "" || tx.ACR.rank() == 0) {
		err = fmt.Errorf("%w: incomplete login", ErrInvalidTransaction)
	}
	if err != nil {
		return nil, "", err
	}
	return &AuthRequest{State: tx.State, Nonce: tx.Nonce, ACR: tx.ACR, Expiry: exp}, tx.Return, nil
}

// startLogout seals the logout's state into the logout cookie.
func (t *txCookies) startLogout(w http.ResponseWriter, lreq *LogoutRequest) error {
	sealed, err := t.sealer.Seal(t.logoutAud, lreq.Expiry, logoutTx{State: lreq.State})
	if err != nil {
		return err
	}
	http.SetCookie(w, t.cookie(t.prefix+"_out", sealed, t.logoutPath, t.secureOut, t.maxAge))
	return nil
}

// finishLogout opens and deletes the logout cookie.
func (t *txCookies) finishLogout(w http.ResponseWriter, r *http.Request, now time.Time) (*LogoutRequest, error) {
	var tx logoutTx
	exp, err := t.open(w, r, t.prefix+"_out", t.logoutPath, t.secureOut, t.logoutAud, now, &tx)
	if err != nil {
		return nil, err
	}
	return &LogoutRequest{State: tx.State, Expiry: exp}, nil
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
	entries := make([]string, len(list))
	for i, p := range list {
		entries[i] = p.id + "." + strconv.FormatInt(p.exp, 10)
	}
	http.SetCookie(w, t.cookie(name, strings.Join(entries, ":"), requestPath(r), t.secure, t.maxAge))
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

// isStateID reports whether s is made of base64url characters (our states,
// cookie name parts).
func isStateID(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	})
}
