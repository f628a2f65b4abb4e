package franceconnect

import (
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/franceconnect-go/franceconnect/internal/seal"
)

// The handlers keep each pending login (state, nonce, acr, expiry, return
// path) in a cookie sealed with Config.CookieKeys (JWE dir + A256GCM): no
// server-side store, so a login started on one replica completes on any
// replica that has the same keys, and logins started in two tabs both
// complete. A pending logout is kept the same way.
//
// Pending logins are bounded by construction: they live in loginSlots
// cookies of fixed names, whatever the concurrency or the spelling of the
// login path, and a new login takes a free slot or the oldest one. The
// cookies are scoped to the whole host ("/"), which is what lets the login
// handler see every slot, and, on https, named with the __Host- prefix:
// Secure, no Domain, so no sibling subdomain can plant or shadow them.

const (
	defaultCookiePrefix = "fc_tx"
	// loginSlots is the number of pending logins a browser keeps: a new
	// login beyond it replaces the oldest.
	loginSlots = 3
	// stateIDLen is how much of the state names a pending login.
	stateIDLen = 8
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
	slots      [loginSlots]string // login cookie names
	logoutName string
	owner      string // the tenant, written in clear before a pending logout
	secure     bool   // https callback
	secureOut  bool   // https post-logout URL
	maxAge     int
	loginAud   string // who may open a pending login: issuer, client, level
	logoutAud  string
}

// newTransactions prepares the handlers' cookies, or explains why the
// handlers cannot work (an error wrapping ErrConfig).
func (c *Client) newTransactions() (*txCookies, error) {
	if len(c.cfg.CookieKeys) == 0 {
		return nil, fmt.Errorf("%w: Config.CookieKeys is empty: the handlers need at least one key of 32 random bytes to seal their cookies, the same on every replica (see CookieKeysFromBase64)", ErrConfig)
	}
	s, err := seal.New(c.cfg.CookieKeys)
	if err != nil { // New checked them already
		return nil, fmt.Errorf("%w: CookieKeys: %v", ErrConfig, err)
	}
	t := &txCookies{
		sealer:    s,
		secure:    secureURL(c.cfg.RedirectURL),
		secureOut: c.cfg.PostLogoutRedirectURL == "" || secureURL(c.cfg.PostLogoutRedirectURL),
		maxAge:    max(1, int(c.cfg.TransactionTTL/time.Second)),
		owner:     c.tenant,
		loginAud:  sealAudience("login", c.cfg.Environment.Issuer, c.cfg.ClientID, string(c.cfg.ACR)+acrList(c.cfg.ACRValues)),
		logoutAud: sealAudience("logout", c.cfg.Environment.Issuer, c.cfg.ClientID),
	}
	for i := range t.slots {
		t.slots[i] = cookieName(t.secure, c.cfg.CookieName+"_"+strconv.Itoa(i))
	}
	t.logoutName = cookieName(t.secureOut, c.cfg.CookieName+"_out")
	return t, nil
}

// handlerCookies returns the handlers' cookies, or panics with what to fix:
// a handler mounted without what it needs is an error at start-up, not a
// 500 at the first login.
func (c *Client) handlerCookies(handler string, logout bool) *txCookies {
	t, err := c.transactions()
	if err == nil && logout && c.cfg.PostLogoutRedirectURL == "" {
		err = fmt.Errorf("%w: Config.PostLogoutRedirectURL is empty: the logout handlers need the post-logout URL registered with FranceConnect", ErrConfig)
	}
	if err != nil {
		panic("franceconnect: " + handler + ": " + strings.TrimPrefix(err.Error(), "franceconnect: "))
	}
	return t
}

// sealAudience names who may open a sealed value, in 22 characters: a hash of
// its purpose and of what it is bound to.
func sealAudience(parts ...string) string {
	sum := sha256.Sum256([]byte("franceconnect\x00" + strings.Join(parts, "\x00")))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// secureURL reports whether cookies for a validated redirect URL are
// Secure: always but for http on a loopback host (New refuses http
// elsewhere), where browsers would not send them.
func secureURL(raw string) bool {
	return !strings.HasPrefix(raw, "http:")
}

// cookieName prefixes name with __Host- for Secure cookies.
func cookieName(secure bool, name string) string {
	if secure {
		return "__Host-" + name
	}
	return name
}

func cookie(name, value string, secure bool, maxAge int) *http.Cookie {
	return &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}
}

// startLogin seals req and the return path into a login slot: a free one,
// one whose login has expired, or else the oldest.
func (t *txCookies) startLogin(w http.ResponseWriter, r *http.Request, req *AuthRequest, ret string, now time.Time) error {
	sealed, err := t.sealer.Seal(t.loginAud, req.Expiry, loginTx{State: req.State, Nonce: req.Nonce, ACR: req.ACR, Return: ret})
	if err != nil {
		return err
	}
	slot, oldest := 0, int64(-1)
	for i, name := range t.slots {
		exp := int64(0) // free
		if ck, err := r.Cookie(name); err == nil {
			_, exp, _ = parseSlot(ck.Value)
		}
		if exp < now.UnixNano() {
			slot = i
			break
		}
		if oldest < 0 || exp < oldest {
			slot, oldest = i, exp
		}
	}
	value := req.State[:stateIDLen] + "." + strconv.FormatInt(req.Expiry.UnixNano(), 10) + "." + sealed
	http.SetCookie(w, cookie(t.slots[slot], value, t.secure, t.maxAge))
	return nil
}

// parseSlot splits a login slot's value, "<state id>.<expiry in Unix
// nanoseconds>.<sealed>".
// The first two are in clear, to find the slot of a callback and the oldest
// slot without opening them: altering them only loses the user's own
// pending login.
func parseSlot(v string) (id string, exp int64, sealed string) {
	id, rest, _ := strings.Cut(v, ".")
	e, sealed, _ := strings.Cut(rest, ".")
	exp, err := strconv.ParseInt(e, 10, 64)
	if err != nil || len(id) != stateIDLen {
		return "", 0, ""
	}
	return id, exp, sealed
}

// finishLogin opens and deletes the login slot the callback query q
// answers, found by the state.
func (t *txCookies) finishLogin(w http.ResponseWriter, r *http.Request, q url.Values, now time.Time) (*AuthRequest, string, error) {
	s := q["state"]
	if len(s) != 1 || len(s[0]) < stateIDLen || len(s[0]) > 256 || !isStateID(s[0]) {
		return nil, "", fmt.Errorf("%w: the request has no valid state", ErrNoTransaction)
	}
	var values []string
	for _, ck := range r.Cookies() {
		for _, name := range t.slots {
			if id, _, sealed := parseSlot(ck.Value); ck.Name == name && id == s[0][:stateIDLen] {
				http.SetCookie(w, cookie(name, "", t.secure, -1))
				values = append(values, sealed)
			}
		}
	}
	var tx loginTx
	exp, err := t.open(values, t.loginAud, now, &tx)
	if err == nil && (tx.State == "" || tx.Nonce == "") { // the level is checked by Exchange
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
	http.SetCookie(w, cookie(t.logoutName, t.owner+"."+sealed, t.secureOut, t.maxAge))
	return nil
}

// logoutOwner is the tenant a pending logout's cookie names ("" for a
// client alone), read in clear: a wrong one does not open.
func logoutOwner(r *http.Request, name string) (string, bool) {
	ck, err := r.Cookie(name)
	if err != nil {
		return "", false
	}
	owner, _, ok := strings.Cut(ck.Value, ".")
	return owner, ok
}

// finishLogout opens and deletes the logout cookie.
func (t *txCookies) finishLogout(w http.ResponseWriter, r *http.Request, now time.Time) (*LogoutRequest, error) {
	var values []string
	for _, ck := range r.Cookies() {
		if owner, sealed, _ := strings.Cut(ck.Value, "."); ck.Name == t.logoutName && owner == t.owner {
			values = append(values, sealed)
		}
	}
	if len(values) > 0 {
		http.SetCookie(w, cookie(t.logoutName, "", t.secureOut, -1))
	}
	var tx logoutTx
	exp, err := t.open(values, t.logoutAud, now, &tx)
	if err != nil {
		return nil, err
	}
	return &LogoutRequest{State: tx.State, Expiry: exp}, nil
}

// open opens the first of the sealed values that opens for aud.
func (t *txCookies) open(values []string, aud string, now time.Time, v any) (time.Time, error) {
	if len(values) == 0 {
		return time.Time{}, ErrNoTransaction
	}
	var firstErr error
	for _, sealed := range values {
		exp, err := t.sealer.Open(sealed, aud, now, v)
		if err == nil {
			return exp, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if errors.Is(firstErr, seal.ErrExpired) {
		return time.Time{}, fmt.Errorf("%w: the transaction cookie is past its expiry", ErrTransactionExpired)
	}
	return time.Time{}, fmt.Errorf("%w: %s", ErrInvalidTransaction, strings.TrimPrefix(firstErr.Error(), "seal: "))
}

// isStateID reports whether s is made of base64url characters (our states,
// cookie name parts).
func isStateID(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	})
}

// CookieKeysFromBase64 reads Config.CookieKeys from their base64 text, as
// `openssl rand -base64 32` prints them: several keys, for rotation, are
// separated by commas or spaces, the first sealing (e.g. an environment
// variable FC_COOKIE_KEYS="new,old"). Standard and URL base64 are read,
// with or without padding. Each key is 32 bytes once decoded. Errors wrap
// ErrConfig and never repeat a key.
func CookieKeysFromBase64(text string) ([][]byte, error) {
	var keys [][]byte
	for i, f := range strings.FieldsFunc(text, func(r rune) bool { return r == ',' || unicode.IsSpace(r) }) {
		k, err := decodeKey(f)
		switch {
		case err != nil:
			return nil, fmt.Errorf("%w: cookie key %d is not base64", ErrConfig, i+1)
		case len(k) != seal.KeySize:
			return nil, fmt.Errorf("%w: cookie key %d is %d bytes once decoded, want %d (openssl rand -base64 32)", ErrConfig, i+1, len(k), seal.KeySize)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no cookie key: want the base64 of 32 random bytes (openssl rand -base64 32)", ErrConfig)
	}
	return keys, nil
}

// decodeKey reads standard or URL base64, padded or not.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}
