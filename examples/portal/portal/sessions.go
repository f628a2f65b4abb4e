package portal

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/franceconnect-go/franceconnect"
)

// session is what the portal keeps, server side, about a logged-in user.
type session struct {
	Identity   *franceconnect.Identity // a citizen (FranceConnect)
	Agent      *franceconnect.Agent    // or an agent (ProConnect)
	IDToken    *franceconnect.IDTokenClaims
	RawIDToken string // for logout (id_token_hint)
	// RefreshToken (ProConnect) is revoked at logout; a portal whose
	// sessions outlive the access token refreshes with it
	// (franceconnect.Client.Refresh).
	RefreshToken string
	CSRF         string // the logout form's token
	Created      time.Time
	Expires      time.Time
}

// store is an in-memory session store keyed by a random cookie value. It
// holds at most max sessions: a new one beyond it drops the expired ones,
// then the oldest.
type store struct {
	mu       sync.Mutex
	sessions map[string]*session
	max      int
	ttl      time.Duration
	now      func() time.Time
}

const (
	sessionCookie     = "portal_session"
	defaultMaxSession = 10_000
	defaultSessionTTL = time.Hour
)

func newStore(max int, ttl time.Duration, now func() time.Time) *store {
	return &store{sessions: map[string]*session{}, max: max, ttl: ttl, now: now}
}

func randomToken() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // never fails since Go 1.24
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// create stores s under a new random ID and returns the ID.
func (st *store) create(s *session) string {
	id := randomToken()
	now := st.now()
	s.Created, s.Expires = now, now.Add(st.ttl)
	s.CSRF = randomToken()
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.sessions) >= st.max {
		for k, v := range st.sessions {
			if !now.Before(v.Expires) {
				delete(st.sessions, k)
			}
		}
	}
	for len(st.sessions) >= st.max {
		var oldest string
		var t time.Time
		for k, v := range st.sessions {
			if oldest == "" || v.Created.Before(t) {
				oldest, t = k, v.Created
			}
		}
		delete(st.sessions, oldest)
	}
	st.sessions[id] = s
	return id
}

// get returns the live session of r, or nil.
func (st *store) get(r *http.Request) (string, *session) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || len(c.Value) != 43 {
		return "", nil
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.sessions[c.Value]
	if s == nil {
		return "", nil
	}
	if !st.now().Before(s.Expires) {
		delete(st.sessions, c.Value)
		return "", nil
	}
	return c.Value, s
}

// remove deletes a session.
func (st *store) remove(id string) {
	st.mu.Lock()
	delete(st.sessions, id)
	st.mu.Unlock()
}

// len is the number of sessions held (tests).
func (st *store) len() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.sessions)
}
