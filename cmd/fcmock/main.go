// Command fcmock serves the fctest mock FranceConnect on an address of your
// choice, for the tests of portals written in any language:
//
//	go run github.com/franceconnect-go/franceconnect/cmd/fcmock -addr 127.0.0.1:9000 \
//	  -client 'id=my-client,secret=my-secret-of-32-characters-or-more,redirect=http://127.0.0.1:8080/callback,logout=http://127.0.0.1:8080/'
//
// The issuer is http://ADDR/api/v2 (discovery at
// /api/v2/.well-known/openid-configuration). Registrations come from
// -client flags (repeatable) or a JSON file (-config) such as
//
//	{"clients": [{"name": "Mairie de Test", "id": "my-client", "secret": "...",
//	  "redirect_uris": ["http://127.0.0.1:8080/callback"],
//	  "post_logout_redirect_uris": ["http://127.0.0.1:8080/"],
//	  "alg": "ES256", "faults": ["IDTokenExpired"]}]}
//
// where faults (fctest's Fault names) apply to that client only, so that
// one mock serves a portal's happy path and its negative cases side by
// side. Faults that concern the whole server (the key set's and the
// discovery document's) are given with -fault (repeatable); a fault that
// cannot apply where it is given is refused.
//
// The FranceConnect mock also serves API Particulier's FranceConnect mode
// at its address (/v3/dss/quotient_familial/france_connect and
// /v3/dss/complementaire_sante_solidaire/france_connect, see package
// apiparticulier): the data of the test identities, for the tokens it
// issued with the business scopes.
//
// On SIGHUP, fcmock reads -config again and registers what it holds, as
// a change in FranceConnect's partner space would: a rotated secret, a new
// registration, new URLs (a registration that left the file stays
// registered). A file it refuses leaves the registrations as they were.
//
// -federation chooses the provider: franceconnect (the default),
// franceconnect-plus, proconnect (the agents of fctest.Agents, levels
// through the claims parameter, essential or not, with ProConnect's
// e-mail code and its Y020032 page, the agent's level, amr and SIRET
// chosen per login on the chooser, PKCE, refresh tokens and revocation,
// prompt=none, Y000400 on an unknown parameter; a client's alg may also be HS256, and "userinfo": "json"
// (userinfo=json) registers no userinfo signing algorithm) or
// franceconnect-v1 (the legacy API, issuer http://ADDR, under /api/v1).
//
// With -qualify LOGIN_URL -logged-in TEXT [-logout URL -logged-out TEXT],
// it runs FranceConnect's qualification self-check on the portal (see
// package fctest/qualify) for the first registration, judging it by what
// it does next and by the texts of its pages, prints the report a team
// attaches to its qualification request, and exits (status 1 when an item
// fails). A human picks a test identity on the mock's page; a test can log
// in without a browser by following the redirects and posting the chosen
// login, as fctest.Server.Login does.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
	"github.com/franceconnect-go/franceconnect/fctest/qualify"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	err := run(ctx, os.Args[1:], os.Stdout, hup)
	switch {
	case errors.Is(err, errQualification):
		os.Exit(1)
	case err != nil && !errors.Is(err, flag.ErrHelp):
		fmt.Fprintln(os.Stderr, "fcmock:", err)
		os.Exit(2)
	}
}

// client is a registration as the JSON file and -client write it.
type client struct {
	Name                   string   `json:"name"`
	ID                     string   `json:"id"`
	Secret                 string   `json:"secret"`
	RedirectURIs           []string `json:"redirect_uris"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris"`
	Alg                    string   `json:"alg"`
	UserInfo               string   `json:"userinfo"` // "json" (ProConnect) or "" (signed)
	Faults                 []string `json:"faults"`
}

// clientFlags collects -client values.
type clientFlags []client

func (c *clientFlags) String() string { return fmt.Sprint(len(*c), " clients") }

// Set reads "id=...,secret=...,redirect=...,logout=...,alg=...,faults=A+B,name=...".
func (c *clientFlags) Set(v string) error {
	var cl client
	for _, kv := range strings.Split(v, ",") {
		k, val, ok := strings.Cut(kv, "=")
		if !ok {
			return fmt.Errorf("%q is not key=value", kv)
		}
		field := map[string]*string{"id": &cl.ID, "secret": &cl.Secret, "name": &cl.Name, "alg": &cl.Alg, "userinfo": &cl.UserInfo}[k]
		switch {
		case field != nil:
			*field = val
		case k == "redirect":
			cl.RedirectURIs = append(cl.RedirectURIs, val)
		case k == "logout":
			cl.PostLogoutRedirectURIs = append(cl.PostLogoutRedirectURIs, val)
		case k == "faults":
			cl.Faults = append(cl.Faults, strings.Split(val, "+")...)
		default:
			return fmt.Errorf("unknown key %q (id, secret, name, redirect, logout, alg, userinfo, faults)", k)
		}
	}
	*c = append(*c, cl)
	return nil
}

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// options are the command line's.
type options struct {
	addr, config, federation             string
	qualify, loggedIn, logout, loggedOut string
	clients                              clientFlags
	faults                               listFlag
}

func parse(args []string) (*options, error) {
	var o options
	fs := flag.NewFlagSet("fcmock", flag.ContinueOnError)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:9000", "address to listen on")
	fs.StringVar(&o.config, "config", "", "JSON file of registrations")
	fs.StringVar(&o.federation, "federation", "franceconnect", "the provider to mock: franceconnect, franceconnect-plus, proconnect or franceconnect-v1")
	fs.StringVar(&o.qualify, "qualify", "", "run the qualification self-check on the portal whose login starts at this URL, print the report and exit (status 1 if an item fails)")
	fs.StringVar(&o.loggedIn, "logged-in", "", "with -qualify: a text of the portal's page once a user is logged in")
	fs.StringVar(&o.logout, "logout", "", "with -qualify: the portal's logout URL, posted with an empty form")
	fs.StringVar(&o.loggedOut, "logged-out", "", "with -qualify: a text of the portal's page after a verified logout")
	fs.Var(&o.clients, "client", "a registration: id=...,secret=...,redirect=URL,logout=URL[,alg=ES256|RS256|HS256][,userinfo=json][,faults=Name+Name][,name=...] (repeatable; HS256 and userinfo=json on proconnect)")
	fs.Var(&o.faults, "fault", "a fault for the whole server, by fctest's name (repeatable), e.g. JWKSWithBadKeys")
	return &o, fs.Parse(args)
}

// federations are the names -federation accepts.
var federations = map[string]franceconnect.Federation{
	"franceconnect": franceconnect.FranceConnect, "franceconnect-plus": franceconnect.FranceConnectPlus,
	"proconnect": franceconnect.ProConnect, "franceconnect-v1": franceconnect.FranceConnectV1,
}

// run serves until ctx ends, and writes where to its output. Each value
// of reread registers -config's registrations again.
func run(ctx context.Context, args []string, out io.Writer, reread <-chan os.Signal) error {
	o, err := parse(args)
	if err != nil {
		return err
	}
	f, ok := federations[o.federation]
	if !ok {
		return fmt.Errorf("-federation %q: franceconnect, franceconnect-plus, proconnect or franceconnect-v1", o.federation)
	}
	regs, err := o.registrations(f)
	if err != nil {
		return err
	}
	faults, err := serverFaults(o.faults, f)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	srv := fctest.NewServer(fctest.Options{Federation: f, Listener: ln})
	defer srv.Close()
	srv.Inject(faults...)
	for _, r := range regs {
		srv.Register(r)
	}
	env := srv.Environment()
	fmt.Fprintf(out, "fcmock: %v mock on %s\nissuer: %s\n", f, srv.URL, env.Issuer)
	if f != franceconnect.FranceConnectV1 {
		fmt.Fprintf(out, "discovery: %s/.well-known/openid-configuration\n", env.Issuer)
	}
	fmt.Fprintf(out, "clients: %d\n", len(regs))
	if o.qualify != "" {
		return runQualification(srv, regs[0], out, o)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-reread:
			regs, err := o.registrations(f)
			if err != nil {
				fmt.Fprintf(out, "fcmock: registrations kept as they were: %v\n", err)
				continue
			}
			for _, r := range regs {
				srv.Register(r)
			}
			fmt.Fprintf(out, "clients: %d (registered again)\n", len(regs))
		}
	}
}

// registrations returns the registrations of -client and -config, checked
// for federation f.
func (o *options) registrations(f franceconnect.Federation) ([]fctest.Registration, error) {
	clients, err := o.allClients()
	if err != nil {
		return nil, err
	}
	return registrations(clients, f)
}

// allClients returns the registrations of -client and -config.
func (o *options) allClients() ([]client, error) {
	clients := []client(o.clients)
	if o.config != "" {
		b, err := os.ReadFile(o.config)
		if err != nil {
			return nil, err
		}
		var doc struct {
			Clients []client `json:"clients"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", o.config, err)
		}
		clients = append(clients, doc.Clients...)
	}
	if len(clients) == 0 {
		return nil, errors.New("no registration: give -client or -config")
	}
	return clients, nil
}

// registrations checks the clients for federation f and returns them as
// fctest registrations.
func registrations(clients []client, f franceconnect.Federation) ([]fctest.Registration, error) {
	pc := f == franceconnect.ProConnect
	regs := make([]fctest.Registration, len(clients))
	for i, c := range clients {
		switch {
		case c.ID == "" || len(c.Secret) < 32 || len(c.RedirectURIs) == 0:
			return nil, fmt.Errorf("client %d: id, a secret of 32 characters or more, and a redirect URL are required", i+1)
		case c.Alg == "HS256" && pc, c.Alg == "" || c.Alg == "ES256" || c.Alg == "RS256":
		default:
			return nil, fmt.Errorf("client %s: alg %q: ES256 or RS256 (HS256 on proconnect)", c.ID, c.Alg)
		}
		if c.UserInfo != "" && (c.UserInfo != "json" || !pc) {
			return nil, fmt.Errorf("client %s: userinfo %q: only \"json\", on proconnect", c.ID, c.UserInfo)
		}
		regs[i] = fctest.Registration{Name: c.Name, ID: c.ID, Secret: c.Secret, RedirectURIs: c.RedirectURIs, PostLogoutRedirectURIs: c.PostLogoutRedirectURIs,
			Alg: c.Alg, UserInfoJSON: c.UserInfo == "json"}
		for _, name := range c.Faults {
			fault, ok := faultNamed(name, f)
			if !ok || isServerFault(fault) {
				return nil, fmt.Errorf("client %s: fault %q is not one a %v registration can have (server faults go in -fault)", c.ID, name, f)
			}
			regs[i].Faults = append(regs[i].Faults, fault)
		}
	}
	return regs, nil
}

// serverFaults reads -fault values: faults of the whole server, which
// concern no registration.
func serverFaults(names []string, f franceconnect.Federation) ([]fctest.Fault, error) {
	var faults []fctest.Fault
	for _, name := range names {
		fault, ok := faultNamed(name, f)
		if !ok {
			return nil, fmt.Errorf("-fault %q is not a fault of a %v server", name, f)
		}
		faults = append(faults, fault)
	}
	return faults, nil
}

// faultNamed returns the fault of a server of f with that name.
func faultNamed(name string, f franceconnect.Federation) (fctest.Fault, bool) {
	for _, fault := range fctest.Faults(f) {
		if fault.String() == name {
			return fault, true
		}
	}
	return 0, false
}

// isServerFault reports whether fault concerns the whole server: the key
// set and the discovery document serve every registration alike.
func isServerFault(fault fctest.Fault) bool {
	return fault == fctest.JWKSWithBadKeys || fault == fctest.DiscoveryWrongIssuer
}

// errQualification is returned when an item of the self-check failed.
var errQualification = errors.New("the portal fails the qualification self-check")

// runQualification runs the qualification self-check on a portal of any
// language, judged by the texts of its pages.
func runQualification(srv *fctest.Server, reg fctest.Registration, out io.Writer, o *options) error {
	if o.loggedIn == "" {
		return errors.New("-qualify needs -logged-in: a text of the portal's page once a user is logged in")
	}
	p := qualify.Portal{
		Registration: reg,
		LoginURL:     o.qualify,
		LoggedIn:     func(_ *http.Response, body string) bool { return strings.Contains(body, o.loggedIn) },
	}
	if o.logout != "" {
		p.Logout = func(b *http.Client) (*http.Response, error) { return b.PostForm(o.logout, nil) }
	}
	if o.loggedOut != "" {
		p.LoggedOut = func(_ *http.Response, body string) bool { return strings.Contains(body, o.loggedOut) }
	}
	report := qualify.Run(srv, p)
	fmt.Fprint(out, report)
	if !report.Passed() {
		return errQualification
	}
	return nil
}
