package tenant

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"unicode"

	"github.com/franceconnect-go/franceconnect"
)

// Settings are the registration a tenant's administrator fills in an
// « Intégration FranceConnect » tab: the client ID and secret
// FranceConnect issued, and the « URL du service ». Check them before
// saving; Config turns them into a franceconnect.Config. fmt and log/slog
// never show the secret; a settings page should not either
// (leave its field empty and keep the stored secret when the field comes
// back empty).
type Settings struct {
	ClientID     string // as FranceConnect's partner space issued it
	ClientSecret string // never shown by Format or LogValue
	ServiceURL   string // the « URL du service », e.g. https://oidc.franceconnect.gouv.fr
	// Development accepts as ServiceURL the address of a mock on this
	// machine (http://127.0.0.1:PORT or http://localhost:PORT, such as
	// fctest or cmd/fcmock), so that a portal's own tests can drive its
	// settings tab. Never set it in production: set it from the portal's
	// own configuration, never from the form.
	Development bool
}

// Problem is one problem of one field of Settings.
type Problem struct {
	Field   string // "ClientID", "ServiceURL"...
	Message string // in French, for the administrator
	Detail  string // in English, for developers and logs
}

// Format writes s without its secret, for every verb: %v, %+v, %#v, %s.
func (s Settings) Format(f fmt.State, _ rune) { io.WriteString(f, s.describe()) }

// LogValue is s without its secret, for log/slog (whose JSON handler would
// otherwise print every field).
func (s Settings) LogValue() slog.Value { return slog.StringValue(s.describe()) }

func (s Settings) describe() string {
	return fmt.Sprintf("tenant.Settings{ClientID: %q, ClientSecret: %s, ServiceURL: %q, Development: %t}", s.ClientID, redacted(len(s.ClientSecret)), s.ServiceURL, s.Development)
}

// redacted stands for a secret of n bytes.
func redacted(n int) string {
	if n == 0 {
		return `""`
	}
	return "redacted"
}

// Check returns every problem of s, none when they can be saved.
func (s Settings) Check() []Problem {
	var out []Problem
	add := func(field, fr, en string) { out = append(out, Problem{field, fr, en}) }
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
	if _, p := s.environment(); p != nil {
		out = append(out, *p)
	}
	return out
}

// serviceURLHelp lists the « URL du service » FranceConnect gives, for the
// administrator.
const serviceURLHelp = "https://oidc.franceconnect.gouv.fr (production), https://fcp-low.sbx.dev-franceconnect.fr (bac à sable) ou https://fcp-low.integ01.dev-franceconnect.fr (intégration)"

// environment returns the environment of the « URL du service », or the
// problem with it.
func (s Settings) environment() (franceconnect.Environment, *Problem) {
	raw := s.ServiceURL
	if raw == "" {
		return franceconnect.Environment{}, &Problem{"ServiceURL", "Renseignez l’URL du service fournie par FranceConnect : " + serviceURLHelp + ".", "ServiceURL is empty"}
	}
	if s.Development && isLoopbackURL(raw) {
		env, err := franceconnect.NewEnvironment(franceconnect.FranceConnect, strings.TrimSuffix(strings.TrimSuffix(raw, "/"), "/api/v2")+"/api/v2")
		if err == nil {
			env.Name = "development"
			return env, nil
		}
	}
	env, err := franceconnect.EnvironmentFromURL(raw)
	if err != nil {
		u, perr := url.Parse(strings.TrimSpace(raw))
		fr := "Cette adresse n’est pas une plateforme FranceConnect. Indiquez " + serviceURLHelp + "."
		if perr == nil && u.Host != "" && (u.Port() != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil) {
			fr = "Indiquez l’adresse seule, sans port, paramètre, ancre ni identifiant : " + serviceURLHelp + "."
		}
		return env, &Problem{"ServiceURL", fr, strings.TrimPrefix(err.Error(), "franceconnect: ")}
	}
	switch env.Federation {
	case franceconnect.ProConnect:
		return env, &Problem{"ServiceURL", "Cette adresse est celle de ProConnect, la connexion des agents et des professionnels : pour FranceConnect, indiquez " + serviceURLHelp + ".", "a ProConnect address in the FranceConnect settings"}
	case franceconnect.FranceConnectV1:
		return env, &Problem{"ServiceURL", "Cette adresse est celle de FranceConnect v1, fermé en septembre 2025 : demandez vos identifiants v2 dans l’espace partenaires et indiquez " + serviceURLHelp + ".", "FranceConnect v1 closed in September 2025: use a v2 environment"}
	}
	return env, nil
}

// isLoopbackURL reports whether raw is an http(s) URL on this machine.
func isLoopbackURL(raw string) bool {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	ip := net.ParseIP(u.Hostname())
	return u.Hostname() == "localhost" || ip != nil && ip.IsLoopback()
}

// Config returns base with the registration of s: environment, client ID
// and secret. It fails, wrapping franceconnect.ErrConfig, when Check finds
// a problem.
func (s Settings) Config(base franceconnect.Config) (franceconnect.Config, error) {
	if problems := s.Check(); len(problems) > 0 {
		details := make([]string, len(problems))
		for i, p := range problems {
			details[i] = p.Field + ": " + p.Detail
		}
		return franceconnect.Config{}, fmt.Errorf("%w: %s", franceconnect.ErrConfig, strings.Join(details, "; "))
	}
	env, _ := s.environment() // no problem: Check passed
	base.Environment, base.ClientID, base.ClientSecret = env, s.ClientID, s.ClientSecret
	return base, nil
}
