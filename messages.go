package franceconnect

import (
	"errors"
	"net/http"
)

// User-facing messages, in French.
const (
	msgCancelled          = "Vous avez annulé la connexion avec FranceConnect."
	msgExpired            = "Votre demande de connexion a expiré. Veuillez recommencer."
	msgUnavailable        = "FranceConnect est momentanément indisponible. Veuillez réessayer dans quelques instants."
	msgGeneric            = "La connexion avec FranceConnect n’a pas abouti. Veuillez réessayer."
	msgLogoutFailed       = "La déconnexion n’a pas abouti. Veuillez réessayer."
	msgUnavailableService = "Le service de connexion est momentanément indisponible."
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

// defaultOnError is the handlers' answer when the portal gives no onError.
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
	c.logError(r.Context(), "franceconnect: handler cannot work", err)
	http.Error(w, msgUnavailableService, http.StatusInternalServerError)
}

// returnHandler is the shape of the handlers FranceConnect sends the
// browser back to (callback, logout return): responses are not cached,
// and a configuration problem (cfgErr, logged) or body's error goes to
// onError (defaultOnError when nil).
func (c *Client) returnHandler(cfgErr error, onError func(http.ResponseWriter, *http.Request, error), body func(http.ResponseWriter, *http.Request) error) http.Handler {
	if onError == nil {
		onError = defaultOnError
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		err := cfgErr
		if err != nil {
			c.logError(r.Context(), "franceconnect: handler cannot work", err)
		} else {
			err = body(w, r)
		}
		if err != nil {
			onError(w, r, err)
		}
	})
}
