package portal

import (
	"bytes"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/franceconnect-go/franceconnect"
)

// ButtonStyle is the look of the FranceConnect button, as a portal
// administrator picks it.
type ButtonStyle string

const (
	// ButtonDefault is the standard button: white text on dark blue.
	ButtonDefault ButtonStyle = "default"
	// ButtonContrast is the high-contrast alternative: dark blue text on
	// white with a dark blue border, for dark or coloured backgrounds.
	ButtonContrast ButtonStyle = "contrast"
)

// Environment variables read by the portal.
const (
	EnvPort                  = "PORT"
	EnvButtonStyle           = "FC_BUTTON_STYLE"
	EnvEnvironment           = "FC_ENVIRONMENT"
	EnvServiceURL            = "FC_SERVICE_URL"
	EnvClientID              = "FC_CLIENT_ID"
	EnvClientSecret          = "FC_CLIENT_SECRET"
	EnvRedirectURL           = "FC_REDIRECT_URL"
	EnvPostLogoutRedirectURL = "FC_POST_LOGOUT_REDIRECT_URL"
	EnvAlgorithm             = "FC_ALGORITHM"
	EnvCookieKey             = "FC_COOKIE_KEY"
	EnvScopes                = "FC_SCOPES"
)

// The portal's own paths. In mock mode the callback and the post-logout
// return are CallbackPath and LoggedOutPath; with a real environment they
// are the paths of FC_REDIRECT_URL and FC_POST_LOGOUT_REDIRECT_URL.
const (
	HomePath      = "/"
	ProfilePath   = "/profil"
	LoginPath     = "/fc/login"
	LogoutPath    = "/fc/logout"
	CallbackPath  = "/fc/callback"
	LoggedOutPath = "/fc/logged-out"
	staticPrefix  = "/static/"
)

const defaultAddr = "127.0.0.1:8080"

// Settings is the portal's configuration, read by Load from the command
// line and the environment.
type Settings struct {
	// Addr is the listen address (host:port; port 0 picks a free port).
	Addr string
	// ButtonStyle is the look of the FranceConnect button.
	ButtonStyle ButtonStyle
	// Mock is true when no real FranceConnect environment is configured:
	// the portal starts an fctest mock and registers itself on it.
	Mock bool
	// FC is the client configuration for a real environment (unused in
	// mock mode, where Start fills it in). CookieKeys may be set in mock
	// mode too (FC_COOKIE_KEY); otherwise Start draws a random key.
	FC franceconnect.Config
	// PC is the Espace agents' ProConnect client configuration (see
	// agents.go): filled in by Start in mock mode, from the PC_* variables
	// with a real environment, nil when they are not set.
	PC *franceconnect.Config
}

// helpError is the answer to -h: the usage, wrapping flag.ErrHelp.
type helpError string

func (e helpError) Error() string { return string(e) }
func (e helpError) Unwrap() error { return flag.ErrHelp }

const envHelp = `
Without FC_CLIENT_ID, FC_ENVIRONMENT or FC_SERVICE_URL the portal runs
against a built-in mock FranceConnect (fctest). Environment variables:
  PORT                          listen port on 127.0.0.1 (default 8080)
  FC_BUTTON_STYLE               default | contrast
  FC_ENVIRONMENT                sandbox | integration | production | integration-v1 | production-v1
  FC_SERVICE_URL                or the « URL du service », e.g. https://fcp-low.sbx.dev-franceconnect.fr
  FC_CLIENT_ID, FC_CLIENT_SECRET  from FranceConnect's partner portal
  FC_REDIRECT_URL               registered callback URL, e.g. http://localhost:8080/fc/callback
  FC_POST_LOGOUT_REDIRECT_URL   registered logout return URL, e.g. http://localhost:8080/fc/logged-out
  FC_COOKIE_KEY                 base64 of 32 random bytes (openssl rand -base64 32); comma-separated to rotate
  FC_ALGORITHM                  ES256 (default) | RS256 (v2); HS256 on v1
  FC_SCOPES                     space-separated scopes (default: identite_pivot email preferred_username idp_birthdate idp_id)
` + agentsEnvHelp

// realModeVars select a real environment; any of them leaves mock mode.
var realModeVars = []string{EnvClientID, EnvEnvironment, EnvServiceURL}

// realOnlyVars make sense only with a real environment.
var realOnlyVars = []string{EnvClientSecret, EnvRedirectURL, EnvPostLogoutRedirectURL, EnvAlgorithm, EnvScopes,
	EnvPCServiceURL, EnvPCClientID, EnvPCClientSecret, EnvPCRedirectURL, EnvPCPostLogoutRedirectURL, EnvPCAlgorithm, EnvPCUserInfo}

// Load reads the settings from the command-line arguments (without the
// program name) and the environment (getenv, e.g. os.Getenv). It reports
// every problem it finds at once, one per line, in an error naming the
// variables to fix. It does not check what franceconnect.New checks
// (https outside localhost, algorithm...): Start does.
func Load(args []string, getenv func(string) string) (Settings, error) {
	l := &loader{get: func(k string) string { return strings.TrimSpace(getenv(k)) }, getenv: getenv}
	addr, button, err := l.flags(args)
	if err != nil {
		return Settings{}, err
	}
	l.listen(addr)
	l.button(button)
	// Cookie key, used in both modes when given.
	if raw := l.get(EnvCookieKey); raw != "" {
		keys, err := franceconnect.CookieKeysFromBase64(raw)
		if err != nil {
			l.add("%s: %v", EnvCookieKey, err)
		}
		l.s.FC.CookieKeys = keys
	}
	l.s.Mock = !slices.ContainsFunc(realModeVars, func(k string) bool { return l.get(k) != "" })
	if l.s.Mock {
		l.noStrayVars()
	} else {
		l.real()
		loadAgents(&l.s, l.get, l.getenv, l.add)
	}
	return l.s, joinProblems(l.problems)
}

// loader reads the settings, gathering every problem.
type loader struct {
	get, getenv func(string) string
	s           Settings
	problems    []string
}

func (l *loader) add(format string, a ...any) {
	l.problems = append(l.problems, fmt.Sprintf(format, a...))
}

// flags reads the command line: -addr and -button.
func (l *loader) flags(args []string) (addr, button string, err error) {
	fs := flag.NewFlagSet("portal", flag.ContinueOnError)
	var usage bytes.Buffer
	fs.SetOutput(&usage)
	fs.StringVar(&addr, "addr", "", "listen address host:port (default 127.0.0.1:$PORT, or "+defaultAddr+")")
	fs.StringVar(&button, "button", "", `FranceConnect button style: "default" or "contrast" (default $`+EnvButtonStyle+`, or "default")`)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return "", "", helpError(usage.String() + envHelp)
		}
		return "", "", fmt.Errorf("%v\n%s", err, usage.String())
	}
	if fs.NArg() > 0 {
		l.add("unexpected argument %q: the portal takes only the flags -addr and -button", fs.Arg(0))
	}
	return addr, button, nil
}

// listen sets the listen address: -addr, else 127.0.0.1:$PORT, else the
// default.
func (l *loader) listen(addr string) {
	switch {
	case addr != "":
		l.s.Addr = addr
	case l.get(EnvPort) != "":
		l.s.Addr = net.JoinHostPort("127.0.0.1", l.get(EnvPort))
	default:
		l.s.Addr = defaultAddr
	}
	if _, port, err := net.SplitHostPort(l.s.Addr); err != nil {
		l.add("listen address %q is not host:port (e.g. 127.0.0.1:8080)", l.s.Addr)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		l.add("listen port %q is not a port number (0 to 65535)", port)
	}
}

// button sets the button style: -button, else $FC_BUTTON_STYLE.
func (l *loader) button(style string) {
	style = cmp.Or(style, l.get(EnvButtonStyle))
	switch ButtonStyle(strings.ToLower(style)) {
	case "", ButtonDefault:
		l.s.ButtonStyle = ButtonDefault
	case ButtonContrast:
		l.s.ButtonStyle = ButtonContrast
	default:
		l.add("button style %q (-button or %s): use %q or %q", style, EnvButtonStyle, ButtonDefault, ButtonContrast)
	}
}

// noStrayVars reports the variables of a real environment set in mock
// mode.
func (l *loader) noStrayVars() {
	var stray []string
	for _, k := range realOnlyVars {
		if l.get(k) != "" {
			stray = append(stray, k)
		}
	}
	if len(stray) > 0 {
		l.add("%s set without %s or %s, and %s: set those to use a real FranceConnect environment, or unset %s to use the built-in mock",
			strings.Join(stray, ", "), EnvEnvironment, EnvServiceURL, EnvClientID, strings.Join(stray, ", "))
	}
}

// real reads the settings of a real FranceConnect environment.
func (l *loader) real() {
	l.environment()
	fc := &l.s.FC
	fc.ClientID = l.get(EnvClientID)
	fc.ClientSecret = l.getenv(EnvClientSecret) // a secret is taken as is
	switch {
	case fc.ClientID == "" && fc.ClientSecret != "":
		l.add("%s is set but %s is not", EnvClientSecret, EnvClientID)
	case fc.ClientID == "":
		l.add("%s is required: the client ID FranceConnect's partner portal gave for this environment", EnvClientID)
	case fc.ClientSecret == "":
		l.add("%s is set but %s is not: both come from FranceConnect's partner portal", EnvClientID, EnvClientSecret)
	}
	fc.RedirectURL = l.get(EnvRedirectURL)
	fc.PostLogoutRedirectURL = l.get(EnvPostLogoutRedirectURL)
	if fc.RedirectURL == "" {
		l.add("%s is required: the callback URL registered for this client, e.g. http://localhost:8080%s", EnvRedirectURL, CallbackPath)
	}
	if fc.PostLogoutRedirectURL == "" {
		l.add("%s is required: the post-logout URL registered for this client, e.g. http://localhost:8080%s", EnvPostLogoutRedirectURL, LoggedOutPath)
	}
	if fc.RedirectURL != "" && fc.PostLogoutRedirectURL != "" {
		l.problems = append(l.problems, checkPortalURLs(l.s.Addr, fc.RedirectURL, fc.PostLogoutRedirectURL)...)
	}
	fc.Algorithm = l.get(EnvAlgorithm)
	fc.Scopes = strings.Fields(l.get(EnvScopes))
	if len(fc.Scopes) == 0 {
		fc.Scopes = defaultScopes(fc.Environment.Federation)
	}
	if len(fc.CookieKeys) == 0 && l.get(EnvCookieKey) == "" {
		l.add("%s is required with a real environment: 32 random bytes in base64 (openssl rand -base64 32), the same on every replica", EnvCookieKey)
	}
}

// environment reads $FC_ENVIRONMENT or $FC_SERVICE_URL.
func (l *loader) environment() {
	envName, serviceURL := l.get(EnvEnvironment), l.get(EnvServiceURL)
	switch {
	case envName != "" && serviceURL != "":
		l.add("set %s or %s, not both", EnvEnvironment, EnvServiceURL)
	case envName != "":
		env, err := environmentByName(envName)
		if err != nil {
			l.add("%s: %v", EnvEnvironment, err)
		}
		l.s.FC.Environment = env
	case serviceURL != "":
		env, err := franceconnect.EnvironmentFromURL(serviceURL)
		switch {
		case err != nil:
			l.add("%s: %v", EnvServiceURL, err)
		case env.Federation == franceconnect.FranceConnectPlus:
			l.add("%s %s is a FranceConnect+ environment, which this demo portal does not support (it needs encryption keys)", EnvServiceURL, serviceURL)
		case env.Federation == franceconnect.ProConnect:
			l.add("%s %s is a ProConnect address: give it as %s, for the Espace agents", EnvServiceURL, serviceURL, EnvPCServiceURL)
		}
		l.s.FC.Environment = env
	default:
		l.add("%s (sandbox, integration, production, integration-v1 or production-v1) or %s (the « URL du service », e.g. https://fcp-low.sbx.dev-franceconnect.fr) is required with %s", EnvEnvironment, EnvServiceURL, EnvClientID)
	}
}

// defaultScopes are the scopes the portal asks for: the identité pivot,
// the email, the nom d'usage, and on v2 the identity provider's birthdate
// (with its unknown parts) and identifier.
func defaultScopes(f franceconnect.Federation) []string {
	s := []string{franceconnect.ScopeIdentitePivot, franceconnect.ScopeEmail}
	if f == franceconnect.FranceConnectV1 {
		return s // identite_pivot includes preferred_username on v1
	}
	return append(s, franceconnect.ScopePreferredUsername, franceconnect.ScopeIDPBirthdate, franceconnect.ScopeIDPID)
}

func joinProblems(problems []string) error {
	if len(problems) == 0 {
		return nil
	}
	return errors.New("invalid configuration:\n  - " + strings.Join(problems, "\n  - "))
}

// environmentByName maps FC_ENVIRONMENT to a preset.
func environmentByName(name string) (franceconnect.Environment, error) {
	all := []franceconnect.Environment{
		franceconnect.Sandbox, franceconnect.Integration, franceconnect.Production,
		franceconnect.IntegrationV1, franceconnect.ProductionV1,
	}
	var names []string
	for _, env := range all {
		if strings.EqualFold(env.Name, name) {
			return env, nil
		}
		names = append(names, env.Name)
	}
	for _, env := range []franceconnect.Environment{franceconnect.PlusIntegration, franceconnect.PlusProduction} {
		if strings.EqualFold(env.Name, name) {
			return franceconnect.Environment{}, fmt.Errorf("%q is a FranceConnect+ environment, which this demo portal does not support (it needs encryption keys)", name)
		}
	}
	return franceconnect.Environment{}, fmt.Errorf("unknown environment %q: use one of %s", name, strings.Join(names, ", "))
}
