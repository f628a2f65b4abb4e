package multitenant

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"time"
)

// A session is kept in the database, so that every replica knows it: the
// browser's cookie holds a random ID, the database its SHA-256 (a copy of
// the database opens no session), the organisations the user is logged in
// to, and the one a pending logout leaves.

// login is what the portal keeps of one login: the name to greet and the
// ID token for logout, nothing else.
type login struct {
	Name, RawIDToken string
	Agreement        string    // of « connecté » : "e" for a woman, "·e" when unspecified
	Quotient         *quotient // the quotient familial, when the organisation fetches it
}

const sessionLifetime = 12 * time.Hour

// cookieName is the session cookie's name: on https, __Host- keeps it to
// this host (no subdomain can set it).
func (a *app) cookieName() string {
	if a.https {
		return "__Host-mt_session"
	}
	return "mt_session"
}

// sessionKey returns the database key of the browser's session, "" when
// it has none.
func (a *app) sessionKey(r *http.Request) string {
	ck, err := r.Cookie(a.cookieName())
	if err != nil || len(ck.Value) != 26 {
		return ""
	}
	return hashID(ck.Value)
}

func hashID(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:])
}

// logins returns the logins of the browser's session, by tenant.
func (a *app) logins(ctx context.Context, r *http.Request) (map[string]login, error) {
	key := a.sessionKey(r)
	if key == "" {
		return nil, nil
	}
	rows, err := a.db.QueryContext(ctx, `SELECT l.tenant, l.name, l.agreement, l.id_token, l.quotient FROM logins l JOIN sessions s ON s.id_hash = l.session
		WHERE s.id_hash = $1 AND s.expires > $2`, key, time.Now().Unix())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]login{}
	for rows.Next() {
		var tenant, q string
		var l login
		if err := rows.Scan(&tenant, &l.Name, &l.Agreement, &l.RawIDToken, &q); err != nil {
			return nil, err
		}
		if q != "" {
			l.Quotient = &quotient{}
			_ = json.Unmarshal([]byte(q), l.Quotient) // written by this program
		}
		out[tenant] = l
	}
	return out, rows.Err()
}

// startSession records a login to tenant in a fresh session: the ID the
// browser came with stops working (a session ID planted before the login
// is worth nothing after it), its other logins move to the new one.
// Expired sessions are deleted on the way.
func (a *app) startSession(ctx context.Context, w http.ResponseWriter, r *http.Request, tenant string, l login) error {
	id := rand.Text() // 26 base32 characters, 130 random bits
	key, old, now := hashID(id), a.sessionKey(r), time.Now().Unix()
	err := a.db.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM logins WHERE session IN (SELECT id_hash FROM sessions WHERE expires <= $1)`,
			`DELETE FROM sessions WHERE expires <= $1`,
		} {
			if _, err := tx.ExecContext(ctx, q, now); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, leaving, expires) VALUES ($1, '', $2)`, key, now+int64(sessionLifetime/time.Second)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE logins SET session = $2 WHERE session = $1 AND tenant <> $3`, old, key, tenant); err != nil {
			return err
		}
		for _, q := range []string{`DELETE FROM logins WHERE session = $1`, `DELETE FROM sessions WHERE id_hash = $1`} {
			if _, err := tx.ExecContext(ctx, q, old); err != nil {
				return err
			}
		}
		var q []byte
		if l.Quotient != nil {
			q, _ = json.Marshal(l.Quotient)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO logins (session, tenant, name, agreement, id_token, quotient) VALUES ($1, $2, $3, $4, $5, $6)`,
			key, tenant, l.Name, l.Agreement, l.RawIDToken, string(q))
		return err
	})
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: a.cookieName(), Value: id, Path: "/", MaxAge: int(sessionLifetime / time.Second),
		HttpOnly: true, Secure: a.https, SameSite: http.SameSiteLaxMode})
	return nil
}

// endLogin ends the login to tenant of the browser's session, marks the
// session as leaving it, and returns the ID token for FranceConnect's
// logout ("" when there was no such login).
func (a *app) endLogin(ctx context.Context, r *http.Request, tenant string) (string, error) {
	key := a.sessionKey(r)
	if key == "" {
		return "", nil
	}
	var idToken string
	err := a.db.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `SELECT id_token FROM logins WHERE session = $1 AND tenant = $2`, key, tenant).Scan(&idToken)
		if err == sql.ErrNoRows {
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM logins WHERE session = $1 AND tenant = $2`, key, tenant); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE sessions SET leaving = $2 WHERE id_hash = $1`, key, tenant)
		return err
	})
	return idToken, err
}

// takeLeaving returns, once, the tenant the browser's session was logged
// out of ("" when none).
func (a *app) takeLeaving(ctx context.Context, r *http.Request) string {
	key := a.sessionKey(r)
	if key == "" {
		return ""
	}
	var left string
	err := a.db.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT leaving FROM sessions WHERE id_hash = $1`, key).Scan(&left); err != nil {
			return err
		}
		if left == "" {
			return nil
		}
		_, err := tx.ExecContext(ctx, `UPDATE sessions SET leaving = '' WHERE id_hash = $1`, key)
		return err
	})
	if err != nil && err != sql.ErrNoRows {
		a.log.Warn("multitenant: reading the session", "error", err.Error())
	}
	return left
}
