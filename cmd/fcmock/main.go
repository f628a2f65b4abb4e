// Command fcmock serves the fctest mock FranceConnect on an address of your
// choice, for the tests of portals written in any language:
//
//	go run github.com/franceconnect-go/franceconnect/cmd/fcmock -addr 127.0.0.1:9000 \
//	  -client 'id=my-client,secret=my-secret-of-32-characters-or-more,redirect=http://127.0.0.1:8080/callback,logout=http://127.0.0.1:8080/'
//
// The issuer is http://ADDR/api/v2 (discovery at
// /api/v2/.well-known/openid-configuration); the legacy v1 API is served
// under /api/v1. Registrations come from -client flags (repeatable) or a
// JSON file (-config) such as
//
//	{"clients": [{"name": "Mairie de Test", "id": "my-client", "secret": "...",
//	  "redirect_uris": ["http://127.0.0.1:8080/callback"],
//	  "post_logout_redirect_uris": ["http://127.0.0.1:8080/"],
//	  "alg": "ES256", "faults": ["IDTokenExpired"]}]}
//
// where faults (fctest's Fault names) apply to that client only, so that
// one mock serves a portal's happy path and its negative cases side by
// side.
//
// With -proconnect it mocks ProConnect instead (fctest.NewProConnectServer:
// the agents of fctest.Agents, levels through the claims parameter,
// prompt=none, Y000400 on an unknown parameter), where a client's alg may
// also be HS256 and "userinfo": "json" (userinfo=json) registers no
// userinfo signing algorithm.
//
// With -qualify LOGIN_URL -logged-in TEXT [-logout URL -logged-out TEXT],
// it runs FranceConnect's qualification self-check on the portal (see
// fctest.Server.Qualify), judging it by what it does next and by the texts
// of its pages, prints the report a team attaches to its qualification
// request, and exits (status 1 when an item fails). A human picks a test identity on the mock's page; a test can log
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

	"github.com/franceconnect-go/franceconnect/fctest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout)
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
		switch k {
		case "id":
			cl.ID = val
		case "secret":
			cl.Secret = val
		case "name":
			cl.Name = val
		case "redirect":
			cl.RedirectURIs = append(cl.RedirectURIs, val)
		case "logout":
			cl.PostLogoutRedirectURIs = append(cl.PostLogoutRedirectURIs, val)
		case "alg":
			cl.Alg = val
		case "userinfo":
			cl.UserInfo = val
		case "faults":
			cl.Faults = append(cl.Faults, strings.Split(val, "+")...)
		default:
			return fmt.Errorf("unknown key %q (id, secret, name, redirect, logout, alg, userinfo, faults)", k)
		}
	}
	*c = append(*c, cl)
	return nil
}

// run serves until ctx ends, and writes where to its output.
func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("fcmock", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9000", "address to listen on")
	config := fs.String("config", "", "JSON file of registrations")
	qualify := fs.String("qualify", "", "run the qualification self-check on the portal whose login starts at this URL, print the report and exit (status 1 if an item fails)")
	loggedIn := fs.String("logged-in", "", "with -qualify: a text of the portal's page once a user is logged in")
	logout := fs.String("logout", "", "with -qualify: the portal's logout URL, posted with an empty form")
	loggedOut := fs.String("logged-out", "", "with -qualify: a text of the portal's page after a verified logout")
	proConnect := fs.Bool("proconnect", false, "mock ProConnect (the agents' federation) instead of FranceConnect")
	var flags clientFlags
	fs.Var(&flags, "client", "a registration: id=...,secret=...,redirect=URL,logout=URL[,alg=ES256|RS256|HS256][,userinfo=json][,faults=Name+Name][,name=...] (repeatable; HS256 and userinfo=json with -proconnect)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	clients := []client(flags)
	if *config != "" {
		b, err := os.ReadFile(*config)
		if err != nil {
			return err
		}
		var doc struct {
			Clients []client `json:"clients"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			return fmt.Errorf("%s: %w", *config, err)
		}
		clients = append(clients, doc.Clients...)
	}
	regs := make([]fctest.Registration, len(clients))
	for i, c := range clients {
		if c.ID == "" || len(c.Secret) < 32 || len(c.RedirectURIs) == 0 {
			return fmt.Errorf("client %d: id, a secret of 32 characters or more, and a redirect URL are required", i+1)
		}
		switch {
		case c.Alg == "HS256" && *proConnect:
		case c.Alg != "" && c.Alg != "ES256" && c.Alg != "RS256":
			return fmt.Errorf("client %s: alg %q: ES256 or RS256 (HS256 with -proconnect)", c.ID, c.Alg)
		}
		if c.UserInfo != "" && (c.UserInfo != "json" || !*proConnect) {
			return fmt.Errorf("client %s: userinfo %q: only \"json\", with -proconnect", c.ID, c.UserInfo)
		}
		regs[i] = fctest.Registration{Name: c.Name, ID: c.ID, Secret: c.Secret, RedirectURIs: c.RedirectURIs, PostLogoutRedirectURIs: c.PostLogoutRedirectURIs,
			Alg: c.Alg, UserInfoJSON: c.UserInfo == "json"}
		for _, name := range c.Faults {
			f, err := fctest.ParseFault(name)
			if err != nil {
				return fmt.Errorf("client %s: %w", c.ID, err)
			}
			regs[i].Faults = append(regs[i].Faults, f)
		}
	}
	if len(regs) == 0 {
		return errors.New("no registration: give -client or -config")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv, name := fctest.NewServerOn, "FranceConnect"
	if *proConnect {
		srv, name = fctest.NewProConnectServerOn, "ProConnect"
	}
	return serve(ctx, srv(ln), name, regs, out, *qualify, *loggedIn, *logout, *loggedOut)
}

// serve registers regs on srv and serves until ctx ends, or runs the
// qualification self-check.
func serve(ctx context.Context, srv *fctest.Server, name string, regs []fctest.Registration, out io.Writer, qualify, loggedIn, logout, loggedOut string) error {
	defer srv.Close()
	for _, r := range regs {
		srv.Register(r)
	}
	fmt.Fprintf(out, "fcmock: "+name+" mock on %s\nissuer: %s\ndiscovery: %s/.well-known/openid-configuration\nclients: %d\n", srv.URL, srv.Issuer(), srv.Issuer(), len(regs))
	if qualify != "" {
		return runQualification(srv, out, qualify, loggedIn, logout, loggedOut)
	}
	<-ctx.Done()
	return nil
}

// errQualification is returned when an item of the self-check failed.
var errQualification = errors.New("the portal fails the qualification self-check")

// runQualification runs fctest's qualification self-check on a portal of
// any language, judged by the texts of its pages.
func runQualification(srv *fctest.Server, out io.Writer, loginURL, loggedIn, logoutURL, loggedOut string) error {
	if loggedIn == "" {
		return errors.New("-qualify needs -logged-in: a text of the portal's page once a user is logged in")
	}
	p := fctest.Portal{
		LoginURL: loginURL,
		LoggedIn: func(_ *http.Response, body string) bool { return strings.Contains(body, loggedIn) },
	}
	if logoutURL != "" {
		p.Logout = func(b *http.Client) (*http.Response, error) { return b.PostForm(logoutURL, nil) }
	}
	if loggedOut != "" {
		p.LoggedOut = func(_ *http.Response, body string) bool { return strings.Contains(body, loggedOut) }
	}
	report := srv.Qualify(p)
	fmt.Fprint(out, report)
	if !report.Passed() {
		return errQualification
	}
	return nil
}
