package portal

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
)

// Instance is a running portal.
type Instance struct {
	// URL is the portal's home page URL, with a trailing slash, e.g.
	// http://127.0.0.1:8080/.
	URL string
	// Mock is the embedded mock FranceConnect, nil with a real environment.
	Mock *fctest.Server
	// AgentsMock is the embedded mock ProConnect of the Espace agents, nil
	// with a real environment.
	AgentsMock *fctest.Server
	// Settings are the settings the portal runs with (in mock mode, FC is
	// the configuration registered on the mock, secret included).
	Settings Settings

	srv  *http.Server
	done chan error
	h    *handler
}

// Start reads the settings (see Load), starts the mock in mock mode,
// listens and serves in the background. Messages go to logw. Stop the
// portal with Close.
func Start(args []string, getenv func(string) string, logw io.Writer) (*Instance, error) {
	s, err := Load(args, getenv)
	if err != nil {
		return nil, err
	}
	return StartWith(s, logw)
}

// StartWith starts a portal with the given settings.
func StartWith(s Settings, logw io.Writer) (*Instance, error) {
	if logw == nil {
		logw = io.Discard
	}
	logger := slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelInfo}))

	// Listen first: in mock mode the callback URL needs the port.
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %w (choose another port with -addr 127.0.0.1:PORT or PORT=...)", s.Addr, err)
	}
	inst := &Instance{Settings: s, done: make(chan error, 1)}
	fail := func(err error) (*Instance, error) {
		_ = ln.Close()
		if inst.Mock != nil {
			inst.Mock.Close()
			inst.AgentsMock.Close()
		}
		return nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	host := "127.0.0.1"
	if h, _, err := net.SplitHostPort(s.Addr); err == nil && h != "" && h != "0.0.0.0" && h != "::" {
		host = h
	}
	base := "http://" + net.JoinHostPort(host, fmt.Sprint(port))

	cfg := s.FC
	if s.Mock {
		cfg = inst.startMocks(base, cfg)
		s.PC = inst.Settings.PC
	} else if ru, err := url.Parse(cfg.RedirectURL); err == nil && ru.Host != "" {
		// Where users open the portal: the callback URL's origin (a
		// reverse proxy's, or this machine's when it is a loopback URL).
		base = ru.Scheme + "://" + ru.Host
	}
	cfg.Logger = logger
	cfg.DefaultReturnPath = HomePath
	h, err := inst.newHandler(s, cfg, logger)
	if err != nil {
		return fail(err)
	}
	inst.h = h
	inst.URL = base + "/"
	inst.srv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go func() { inst.done <- inst.srv.Serve(ln) }()
	return inst, nil
}

// newHandler makes the clients of cfg and s.PC and the portal's handler.
func (inst *Instance) newHandler(s Settings, cfg franceconnect.Config, logger *slog.Logger) (*handler, error) {
	fc, err := franceconnect.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("invalid configuration: %w", err)
	}
	inst.Settings.FC = cfg
	var agents *franceconnect.Client
	if s.PC != nil {
		pc := agentsConfig(*s.PC, cfg)
		if agents, err = franceconnect.New(pc); err != nil {
			return nil, fmt.Errorf("invalid Espace agents configuration: %w", err)
		}
		inst.Settings.PC = &pc
	}
	return newHandler(fc, handlerOptions{Config: cfg, ButtonStyle: s.ButtonStyle, Mock: s.Mock, Logger: logger, Agents: agents, AgentsConfig: inst.Settings.PC})
}

// startMocks starts the embedded mock FranceConnect and ProConnect,
// registers the portal at base on them, and returns cfg completed for the
// mock FranceConnect (inst.Settings.PC for the mock ProConnect).
func (inst *Instance) startMocks(base string, cfg franceconnect.Config) franceconnect.Config {
	inst.Mock = fctest.NewServer(fctest.Options{})
	cfg.RedirectURL = base + CallbackPath
	cfg.PostLogoutRedirectURL = base + LoggedOutPath
	reg := inst.Mock.Register(fctest.Registration{
		RedirectURIs:           []string{cfg.RedirectURL},
		PostLogoutRedirectURIs: []string{cfg.PostLogoutRedirectURL},
	})
	cfg.Environment = inst.Mock.Environment()
	cfg.ClientID, cfg.ClientSecret = reg.ID, reg.Secret
	cfg.Scopes = defaultScopes(franceconnect.FranceConnect)
	if len(cfg.CookieKeys) == 0 {
		key := make([]byte, 32)
		_, _ = rand.Read(key) // a new key per run: pending logins do not survive a restart
		cfg.CookieKeys = [][]byte{key}
	}
	var pc franceconnect.Config
	inst.AgentsMock, pc = agentsMock(base, cfg.CookieKeys)
	inst.Settings.PC = &pc
	return cfg
}

// Close stops the portal (waiting up to 5 s for requests in flight) and
// the mock.
func (i *Instance) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := i.srv.Shutdown(ctx)
	if serr := <-i.done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if i.Mock != nil {
		i.Mock.Close()
		i.AgentsMock.Close()
	}
	return err
}

// Run starts the portal, prints where to open it on stdout, and serves
// until ctx is done.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	inst, err := Start(args, getenv, stderr)
	if err != nil {
		return err
	}
	if inst.Mock != nil {
		fmt.Fprintf(stdout, "Portail de démonstration : %s\n", inst.URL)
		fmt.Fprintf(stdout, "FranceConnect simulé (fctest) : %s\n", inst.Mock.Environment().Issuer)
		fmt.Fprintf(stdout, "ProConnect simulé pour l’espace agents (fctest) : %s\n", inst.AgentsMock.Environment().Issuer)
		fmt.Fprintf(stdout, "Ouvrez %s dans un navigateur, cliquez sur « S’identifier avec FranceConnect » et choisissez une identité de test. Ctrl+C pour arrêter.\n", inst.URL)
	} else {
		fmt.Fprintf(stdout, "Portail : %s (FranceConnect %s, %s)\n", inst.URL, inst.Settings.FC.Environment.Name, inst.Settings.FC.Environment.Issuer)
		fmt.Fprintf(stdout, "Écoute sur %s. Ctrl+C pour arrêter.\n", inst.Settings.Addr)
	}
	select {
	case <-ctx.Done():
		return inst.Close()
	case err := <-inst.done:
		inst.done <- err // for Close
		_ = inst.Close()
		return err
	}
}
