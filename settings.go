package franceconnect

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
)

// ButtonStyle is the FranceConnect button a portal shows: the default one,
// or the second one only when the default lacks contrast on the page.
type ButtonStyle string

// The two buttons of FranceConnect's design kit.
const (
	ButtonDefault  ButtonStyle = "default"
	ButtonContrast ButtonStyle = "contrast"
)

// Settings are what a tenant's administrator fills in an "Intégration
// FranceConnect" tab: whether FranceConnect is offered, the button and the
// text next to it, and the registration (client ID, secret, « URL du
// service »). Check them before saving; Config turns them into a Config.
// String never shows the secret; a settings page should not either (leave
// its field empty and keep the stored secret when the field comes back
// empty).
type Settings struct {
	Enabled        bool
	Button         ButtonStyle
	ConnectionText string // shown near the button, e.g. "Connectez-vous à l'espace demandeurs"
	ClientID       string
	ClientSecret   string
	ServiceURL     string // the « URL du service », e.g. https://oidc.franceconnect.gouv.fr
}

// SettingsProblem is one problem of one field of Settings.
type SettingsProblem struct {
	Field   string // "ClientID", "ServiceURL"...
	Message string // in French, for the administrator
	Detail  string // in English, for developers and logs
}

const maxConnectionText = 200

// String describes s without its secret.
func (s Settings) String() string {
	return fmt.Sprintf("franceconnect.Settings{Enabled: %t, Button: %s, ClientID: %q, ClientSecret: %s, ServiceURL: %q}",
		s.Enabled, s.Button, s.ClientID, redacted(s.ClientSecret), s.ServiceURL)
}

// GoString is String, for %#v.
func (s Settings) GoString() string { return s.String() }

// Check returns every problem of s, none when they can be saved. The
// registration is checked only when FranceConnect is enabled.
func (s Settings) Check() []SettingsProblem {
	var out []SettingsProblem
	add := func(field, fr, en string) { out = append(out, SettingsProblem{field, fr, en}) }
	if s.Button != ButtonDefault && s.Button != ButtonContrast {
		add("Button", "Choisissez le bouton FranceConnect par défaut, ou le bouton contrasté si le fond de la page l’exige.", "Button must be default or contrast")
	}
	if len(s.ConnectionText) > maxConnectionText || strings.ContainsFunc(s.ConnectionText, func(r rune) bool { return !unicode.IsPrint(r) }) {
		add("ConnectionText", fmt.Sprintf("Le texte de connexion compte au plus %d caractères, sans retour à la ligne.", maxConnectionText), "ConnectionText is too long or has control characters")
	}
	if !s.Enabled {
		return out
	}
	switch id := s.ClientID; {
	case id == "":
		add("ClientID", "Renseignez l’identifiant (client ID) que FranceConnect a attribué à votre service.", "ClientID is empty")
	case strings.TrimSpace(id) != id || strings.ContainsFunc(id, unicode.IsSpace):
		add("ClientID", "L’identifiant contient des espaces : copiez-le à nouveau depuis l’espace partenaires de FranceConnect.", "ClientID has white space")
	}
	switch sec := s.ClientSecret; {
	case sec == "":
		add("ClientSecret", "Renseignez le secret que FranceConnect a attribué à votre service.", "ClientSecret is empty")
	case strings.TrimSpace(sec) != sec:
		add("ClientSecret", "Le secret commence ou finit par un espace ou un retour à la ligne : copiez-le à nouveau.", "ClientSecret has leading or trailing white space")
	}
	if p := checkServiceURL(s.ServiceURL); p != nil {
		out = append(out, *p)
	}
	return out
}

// serviceURLHelp lists the « URL du service » FranceConnect gives, for the
// administrator.
const serviceURLHelp = "https://oidc.franceconnect.gouv.fr (production), https://fcp-low.sbx.dev-franceconnect.fr (bac à sable) ou https://fcp-low.integ01.dev-franceconnect.fr (intégration)"

func checkServiceURL(raw string) *SettingsProblem {
	if raw == "" {
		return &SettingsProblem{"ServiceURL", "Renseignez l’URL du service fournie par FranceConnect : " + serviceURLHelp + ".", "ServiceURL is empty"}
	}
	env, err := EnvironmentFromURL(raw)
	if err != nil {
		u, perr := url.Parse(strings.TrimSpace(raw))
		fr := "Cette adresse n’est pas une plateforme FranceConnect. Indiquez " + serviceURLHelp + "."
		if perr == nil && u.Host != "" && (u.Port() != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil) {
			fr = "Indiquez l’adresse seule, sans port, paramètre, ancre ni identifiant : " + serviceURLHelp + "."
		}
		return &SettingsProblem{"ServiceURL", fr, strings.TrimPrefix(err.Error(), "franceconnect: ")}
	}
	if env.ProConnect {
		return &SettingsProblem{"ServiceURL", "Cette adresse est celle de ProConnect, la connexion des agents et des professionnels : pour FranceConnect, indiquez " + serviceURLHelp + ".", "a ProConnect address in the FranceConnect settings"}
	}
	if env.Version == V1 {
		return &SettingsProblem{"ServiceURL", "Cette adresse est celle de FranceConnect v1, fermé en septembre 2025 : demandez vos identifiants v2 dans l’espace partenaires et indiquez " + serviceURLHelp + ".", "FranceConnect v1 closed in September 2025: use a v2 environment"}
	}
	return nil
}

// Config returns base with the registration of s: environment, client ID
// and secret. It fails, wrapping ErrConfig, when Check finds a problem or
// FranceConnect is disabled.
func (s Settings) Config(base Config) (Config, error) {
	if !s.Enabled {
		return Config{}, fmt.Errorf("%w: FranceConnect is disabled in these settings", ErrConfig)
	}
	if problems := s.Check(); len(problems) > 0 {
		details := make([]string, len(problems))
		for i, p := range problems {
			details[i] = p.Field + ": " + p.Detail
		}
		return Config{}, fmt.Errorf("%w: %s", ErrConfig, strings.Join(details, "; "))
	}
	env, err := EnvironmentFromURL(s.ServiceURL)
	if err != nil { // unreachable: Check passed
		return Config{}, errors.Join(ErrConfig, err)
	}
	base.Environment, base.ClientID, base.ClientSecret = env, s.ClientID, s.ClientSecret
	return base, nil
}
