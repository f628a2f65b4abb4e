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

// The handlers keep each pending login (state, nonce, return path) and
// each pending logout (state) in a cookie sealed with Config.CookieKeys
// (JWE dir + A256GCM): no server-side store, so a login started on one
// replica completes on any replica that has the same keys, and logins (and
// logouts) started in two tabs both complete.
//
// A pending login is bound to the callback URL it was started for (its
// seal's audience): another registration's callback, another tenant's
// included, cannot open it, even one sharing the client ID. Inside, it
// names the registration (issuer, client ID, accepted levels) that started
// it: if that changed in between, the callback fails with
// ErrRegistrationChanged, before any call. A pending logout is bound to
// the post-logout URL.
//
// Pending logins and logouts are bounded by construction: they live in
// slots cookies of fixed names each, whatever the concurrency or the
// spelling of the login path, and a new one takes a free slot or the
// oldest one. The cookies are scoped to the whole host ("/"), which is
// what lets the handlers see every slot, and, on https, named with the
// __Host- prefix: Secure, no Domain, so no sibling subdomain can plant or
// shadow them.

const (
	defaultCookiePrefix = "fc_tx"
	// slots is the number of pending logins, and of pending logouts, a
	// browser keeps: a new one beyond it replaces the oldest.
	slots = 3
	// stateIDLen is how much of the state names a pending login or logout.
	stateIDLen = 8
)

// loginTx is a sealed pending login. Its expiry is the envelope's.
type loginTx struct {
	State  string `json:"s"`
	Nonce  string `json:"n"`
	Return string `json:"r,omitempty"`
	Reg    string `json:"g"`           // the registration that started it
	PKCE   string `json:"v,omitempty"` // the code verifier (ProConnect)
}

// logoutTx is a sealed pending logout.
type logoutTx struct {
	State string `json:"s"`
}

// txCookies is what the handlers of one Client share.
type txCookies struct {
	sealer    *seal.Sealer
	login     slotSet
	logout    slotSet
	maxAge    int
	loginAud  string // who may open a pending login: its callback URL
	logoutAud string // and a pending logout: its post-logout URL
	reg       string // the registration, sealed inside a pending login
}

// slotSet is the cookies of one kind of pending transaction.
type slotSet struct {
	names  [slots]string
	secure bool
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
	return &txCookies{
		sealer:    s,
		login:     newSlotSet(c.cfg.CookieName+"_", secureURL(c.cfg.RedirectURL)),
		logout:    newSlotSet(c.cfg.CookieName+"_out", c.cfg.PostLogoutRedirectURL == "" || secureURL(c.cfg.PostLogoutRedirectURL)),
		maxAge:    max(1, int(c.cfg.TransactionTTL/time.Second)),
		loginAud:  sealAudience("login", c.cfg.RedirectURL),
		logoutAud: sealAudience("logout", c.cfg.PostLogoutRedirectURL),
		reg:       sealAudience(c.cfg.Environment.Issuer, c.cfg.ClientID, acrList(c.cfg.ACRValues)),
	}, nil
}

func newSlotSet(prefix string, secure bool) slotSet {
	set := slotSet{secure: secure}
	for i := range set.names {
		set.names[i] = cookieName(secure, prefix+strconv.Itoa(i))
	}
	return set
}

// handlerCookies returns the handlers' cookies, or panics with what to fix:
// a handler mounted without what it needs is an error at start-up, not a
// 500 at the first login.
func (c *Client) handlerCookies(handler string, logout bool) *txCookies {
	t, err := c.transactions()
	if err == nil && logout && c.cfg.PostLogoutRedirectURL == "" {
		err = fmt.Errorf("%w: Config.PostLogoutRedirectURL is empty: the logout handlers need the post-logout URL registered with the provider", ErrConfig)
	}
	if err != nil {
		panic("franceconnect: " + handler + ": " + strings.TrimPrefix(err.Error(), "franceconnect: "))
	}
	return t
}

// sealAudience names, in 22 characters, who may open a sealed value or
// what it is bound to: a hash of the parts.
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

// put seals v for aud until exp into one of the set's slots: a free one,
// one whose transaction has expired, or else the oldest. The slot's value
// is "<state id>.<expiry in Unix nanoseconds>.<sealed>": the first two in
// clear, to find the slot of a return and the oldest slot without opening
// them (altering them only loses the user's own transaction).
func (t *txCookies) put(w http.ResponseWriter, r *http.Request, set *slotSet, state string, exp time.Time, aud string, v any) error {
	sealed, err := t.sealer.Seal(aud, exp, v)
	if err != nil {
		return err
	}
	// A slot whose expiry is past the start of this one's lifetime is free.
	now := exp.Add(-time.Duration(t.maxAge) * time.Second).UnixNano()
	slot, oldest := 0, int64(-1)
	for i, name := range set.names {
		e := int64(0) // free
		if ck, err := r.Cookie(name); err == nil {
			_, e, _ = parseSlot(ck.Value)
		}
		if e < now {
			slot = i
			break
		}
		if oldest < 0 || e < oldest {
			slot, oldest = i, e
		}
	}
	value := state[:stateIDLen] + "." + strconv.FormatInt(exp.UnixNano(), 10) + "." + sealed
	http.SetCookie(w, cookie(set.names[slot], value, set.secure, t.maxAge))
	return nil
}

// parseSlot splits a slot's value, "<state id>.<expiry>.<sealed>".
func parseSlot(v string) (id string, exp int64, sealed string) {
	id, rest, _ := strings.Cut(v, ".")
	e, sealed, _ := strings.Cut(rest, ".")
	exp, err := strconv.ParseInt(e, 10, 64)
	if err != nil || len(id) != stateIDLen {
		return "", 0, ""
	}
	return id, exp, sealed
}

// take deletes the set's slots for the state of query q and opens the
// first of them that opens for aud. A query without state takes every
// slot, and opens them only when anyState allows (a logout return from a
// provider that does not echo the state); otherwise it is refused, as is
// a malformed state.
func (t *txCookies) take(w http.ResponseWriter, r *http.Request, set *slotSet, q url.Values, anyState bool, aud string, now time.Time, v any) (time.Time, error) {
	s, has := q["state"]
	if has && (len(s) != 1 || len(s[0]) < stateIDLen || len(s[0]) > 256 || !isStateID(s[0])) {
		return time.Time{}, fmt.Errorf("%w: the request has no valid state", ErrNoTransaction)
	}
	var values []string
	for _, ck := range r.Cookies() {
		for _, name := range set.names {
			if id, _, sealed := parseSlot(ck.Value); ck.Name == name && (!has || id == s[0][:stateIDLen]) {
				http.SetCookie(w, cookie(name, "", set.secure, -1))
				values = append(values, sealed)
			}
		}
	}
	if !has && !anyState {
		return time.Time{}, fmt.Errorf("%w: the request has no state", ErrStateMismatch)
	}
	return t.open(values, aud, now, v)
}

// startLogin seals req and the return path into a login slot.
func (t *txCookies) startLogin(w http.ResponseWriter, r *http.Request, req *AuthRequest, ret string) error {
	return t.put(w, r, &t.login, req.State, req.Expiry, t.loginAud, loginTx{State: req.State, Nonce: req.Nonce, Return: ret, Reg: t.reg, PKCE: req.CodeVerifier})
}

// finishLogin opens and deletes the login slot the callback query q
// answers, found by the state.
func (t *txCookies) finishLogin(w http.ResponseWriter, r *http.Request, q url.Values, now time.Time) (*AuthRequest, string, error) {
	if !q.Has("state") {
		return nil, "", fmt.Errorf("%w: the callback has no state", ErrNoTransaction)
	}
	var tx loginTx
	exp, err := t.take(w, r, &t.login, q, false, t.loginAud, now, &tx)
	switch {
	case err != nil:
		return nil, "", err
	case tx.State == "" || tx.Nonce == "":
		return nil, "", fmt.Errorf("%w: incomplete login", ErrInvalidTransaction)
	case tx.Reg != t.reg:
		return nil, "", ErrRegistrationChanged
	}
	return &AuthRequest{State: tx.State, Nonce: tx.Nonce, Expiry: exp, CodeVerifier: tx.PKCE}, tx.Return, nil
}

// startLogout seals the logout's state into a logout slot.
func (t *txCookies) startLogout(w http.ResponseWriter, r *http.Request, lreq *LogoutRequest) error {
	return t.put(w, r, &t.logout, lreq.State, lreq.Expiry, t.logoutAud, logoutTx{State: lreq.State})
}

// finishLogout opens and deletes the logout slot the return query q
// answers (any slot for a return without state, when withoutState).
func (t *txCookies) finishLogout(w http.ResponseWriter, r *http.Request, q url.Values, withoutState bool, now time.Time) (*LogoutRequest, error) {
	var tx logoutTx
	exp, err := t.take(w, r, &t.logout, q, withoutState, t.logoutAud, now, &tx)
	if err != nil {
		return nil, err
	}
	return &LogoutRequest{State: tx.State, Expiry: exp}, nil
}

// pendingLogout reports whether the browser holds a pending logout.
func (t *txCookies) pendingLogout(r *http.Request) bool {
	for _, name := range t.logout.names {
		if _, err := r.Cookie(name); err == nil {
			return true
		}
	}
	return false
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
