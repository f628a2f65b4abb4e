package franceconnect

import (
	"errors"
	"net/http"
	"strings"
)

// User-facing messages, in French.
const (
	msgCancelled          = "Vous avez annulé la connexion avec FranceConnect."
	msgExpired            = "Votre demande de connexion a expiré. Veuillez recommencer."
	msgUnknownAttempt     = "Cette demande de connexion n’a pas été reconnue : elle a peut-être déjà servi, ou a été commencée dans un autre onglet ou navigateur. Veuillez recommencer."
	msgUnavailable        = "FranceConnect est momentanément indisponible. Veuillez réessayer dans quelques instants."
	msgMisconfigured      = "La connexion avec FranceConnect est mal configurée sur ce site. Veuillez réessayer plus tard ; si le problème persiste, contactez le service."
	msgIDPHint            = "Le fournisseur d’identité demandé n’est pas proposé pour ce service. Veuillez recommencer et en choisir un autre."
	msgChanged            = "Les réglages de connexion de ce service ont changé pendant votre connexion. Veuillez recommencer."
	msgGeneric            = "La connexion avec FranceConnect n’a pas abouti. Veuillez réessayer."
	msgLogoutFailed       = "La déconnexion n’a pas abouti. Veuillez réessayer."
	msgLogoutUnverified   = "Votre déconnexion de FranceConnect n’a pas pu être vérifiée. Vous êtes bien déconnecté de ce site ; fermez votre navigateur pour terminer votre session FranceConnect."
	msgUnavailableService = "Le service de connexion est momentanément indisponible."
	msgLoginRequired      = "Vous n’êtes pas connecté à FranceConnect. Utilisez le bouton de connexion."
	msgAgentNotAllowed    = "Votre compte ne donne pas accès à ce service. Si vous pensez devoir y accéder, contactez son administrateur."
	msgLevelUnreachable   = "Votre compte ne permet pas d’atteindre le niveau de sécurité que ce service demande (par exemple la double authentification). Contactez l’administrateur de votre compte, ou connectez-vous avec un autre compte."
	msgAuthTooOld         = "Pour accéder à ce service, vous devez vous être identifié récemment. Veuillez vous reconnecter."
)

// UserMessage returns a short sentence in French to show the user for an
// error of the login or logout handlers (or of Exchange): a cancelled
// login, an expired attempt, an attempt this browser did not start (or
// replayed), the provider unavailable, a site misconfigured, settings
// changed during the login, a logout not verified, a silent login without
// session, an agent AgentPolicy refused, a level the user's account cannot
// reach (ProConnect's Y020032), an authentication older than
// Config.MaxAuthAge, or a generic failure. It names
// the federation of the client that failed (ProConnect, FranceConnect+),
// FranceConnect by default. It never includes the error's details; log err
// for those. It returns "" for a nil error.
func UserMessage(err error) string {
	msg := userMessage(err)
	if fe := (*federationError)(nil); errors.As(err, &fe) && fe.name != "FranceConnect" {
		msg = strings.ReplaceAll(msg, "FranceConnect", fe.name)
	}
	return msg
}

func userMessage(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrLogout):
		return msgLogoutUnverified
	case levelUnreachable(err):
		return msgLevelUnreachable
	case errors.Is(err, ErrAuthTooOld):
		return msgAuthTooOld
	case errors.Is(err, ErrAccessDenied):
		return msgCancelled
	case errors.Is(err, ErrLoginRequired):
		return msgLoginRequired
	case errors.Is(err, ErrAgentNotAllowed):
		return msgAgentNotAllowed
	case errors.Is(err, ErrIDPHintRefused):
		return msgIDPHint
	case errors.Is(err, ErrConfig), errors.Is(err, ErrInvalidClient):
		return msgMisconfigured
	case errors.Is(err, ErrRegistrationChanged):
		return msgChanged
	case errors.Is(err, ErrTransactionExpired), errors.Is(err, ErrInvalidGrant):
		return msgExpired
	case errors.Is(err, ErrNoTransaction), errors.Is(err, ErrStateMismatch):
		return msgUnknownAttempt
	case errors.Is(err, ErrProviderUnavailable):
		return msgUnavailable
	default:
		return msgGeneric
	}
}

// federationError names the federation of the client an error came from,
// for UserMessage. Error and the errors it matches are its cause's.
type federationError struct {
	name string
	err  error
}

func (e *federationError) Error() string { return e.err.Error() }
func (e *federationError) Unwrap() error { return e.err }

// named wraps err with the client's federation (nil stays nil, and an
// error named already is not named twice).
func (c *Client) named(err error) error {
	if fe := (*federationError)(nil); err == nil || errors.As(err, &fe) {
		return err
	}
	return &federationError{name: c.profile.name, err: err}
}

// StatusCode is the HTTP status of a page that shows UserMessage(err): 500
// for a local misconfiguration, 503 when the provider is unavailable, 200
// for the user's cancellation or a silent login without session (normal
// pages), 403 for an agent AgentPolicy refused, 400 otherwise.
func StatusCode(err error) int {
	switch {
	case errors.Is(err, ErrAccessDenied) && !errors.Is(err, ErrLogout), errors.Is(err, ErrLoginRequired):
		return http.StatusOK
	case errors.Is(err, ErrAgentNotAllowed):
		return http.StatusForbidden
	case errors.Is(err, ErrConfig), errors.Is(err, ErrInvalidClient):
		return http.StatusInternalServerError
	case errors.Is(err, ErrProviderUnavailable):
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// levelUnreachable reports whether err is ProConnect's answer to a level
// the user's account cannot reach (Y020032, "none of the requested ACRs
// could be obtained").
func levelUnreachable(err error) bool {
	var ce *CallbackError
	return errors.As(err, &ce) && (strings.Contains(ce.Description, "Y020032") || strings.Contains(ce.Description, "requested ACRs"))
}
