package fctest

import (
	"net/http"
)

// sessionCookie is the mock's FranceConnect session: after a login, the
// chooser page offers to continue as the same user (FranceConnect's single
// sign-on) until a logout ends it.
const sessionCookie = "fctest_session"

// maxSessions bounds the sessions kept in memory.
const maxSessions = 10000

// startSession opens a FranceConnect session for login in this browser.
func (s *Server) startSession(w http.ResponseWriter, login string) {
	id := randomToken()
	s.mu.Lock()
	if len(s.sessions) >= maxSessions {
		clear(s.sessions)
	}
	s.sessions[id] = login
	s.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// sessionUser returns the login of the browser's FranceConnect session, or
// "" when there is none.
func (s *Server) sessionUser(r *http.Request) string {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions[c.Value]
}

// endSession ends the browser's FranceConnect session, if any.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		s.mu.Lock()
		delete(s.sessions, c.Value)
		s.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}
