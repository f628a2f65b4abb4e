package portal

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/url"
)

// Logout: the portal's session ends, then the library sends the browser
// to FranceConnect's (or ProConnect's) logout, and its return is verified.

// sessionIDToken gives the library's LogoutHandler the RawIDToken
// startLogout put in the request's context.
func sessionIDToken(r *http.Request) (string, error) {
	tok, _ := r.Context().Value(tokenKey{}).(string)
	return tok, nil
}

// startLogout ends the portal's session, then hands over to the library's
// LogoutHandler, which sends the browser to FranceConnect's logout with
// the session's ID token.
func (h *handler) startLogout(w http.ResponseWriter, r *http.Request) {
	id, s := h.sessions.get(r)
	if s == nil {
		http.Redirect(w, r, HomePath, http.StatusSeeOther)
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(s.CSRF)) != 1 {
		data := h.page("Déconnexion impossible")
		data.Message = &message{Kind: "error", Code: "logout-refused", Text: "La demande de déconnexion n’a pas pu être vérifiée. Veuillez réessayer depuis le portail."}
		data.Session = newSessionView(s)
		h.render(w, http.StatusForbidden, "home", data)
		return
	}
	h.sessions.remove(id)
	http.SetCookie(w, h.sessionCookie("", -1))
	http.SetCookie(w, &http.Cookie{Name: agreementCookie, Value: url.QueryEscape(newSessionView(s).Agreement), Path: "/", MaxAge: 600, HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
	logout := h.logout
	if s.Agent != nil {
		logout = h.agents
		if s.RefreshToken != "" { // ProConnect: the session ends at the provider too
			if err := h.pc.Revoke(r.Context(), s.RefreshToken); err != nil {
				h.log.Warn("portal: refresh token not revoked", "error", err.Error())
			}
		}
	}
	logout.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), tokenKey{}, s.RawIDToken)))
}

// loggedOut and logoutFailed send the browser home with the message of
// the space ("" or "agents-") the user logged out of. loggedOut is the page
// of the post-logout URL, which the library serves once the return is
// verified.
func (h *handler) loggedOut(space string) http.Handler {
	return http.RedirectHandler(HomePath+"?deconnexion="+space+"ok", http.StatusSeeOther)
}

func (h *handler) logoutFailed(space string) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		h.log.Warn("portal: logout return refused", "space", space, "error", err.Error())
		http.Redirect(w, r, HomePath+"?deconnexion="+space+"incomplete", http.StatusSeeOther)
	}
}
