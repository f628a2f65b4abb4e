// Command multitenant is a demo grant portal that one vendor runs for
// several organisations (tenants), each with its own FranceConnect
// registration:
//
//	go run ./examples/multitenant
//
// starts it on http://127.0.0.1:8081 with an embedded mock FranceConnect.
// Two organisations, t1 and t2, are registered with the URL shapes of
// grant-portal products (a callback per tenant that carries its own
// redirectUrl and jwtKey, one post-logout URL /aides for all). Each has an
// "Intégration FranceConnect" administration page
// (/admin/t1/france-connect) whose changes apply at once and are kept in
// the data directory (-data, by default franceconnect-multitenant in the
// system's temporary directory), so a restart keeps them.
package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/franceconnect-go/franceconnect/fctest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, nil); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "multitenant:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends. ready, if not nil, receives the portal's base
// URL once it listens.
func run(ctx context.Context, args []string, logw io.Writer, ready chan<- string) error {
	fs := flag.NewFlagSet("multitenant", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8081", "address to listen on (a loopback address: the demo runs on http)")
	data := fs.String("data", filepath.Join(os.TempDir(), "franceconnect-multitenant"), "directory where the tenants' settings are kept")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	log := slog.New(slog.NewTextHandler(logw, nil))
	st, err := newStore(*data)
	if err != nil {
		ln.Close()
		return err
	}
	mock := fctest.NewServer()
	defer mock.Close()
	// One cookie key per run: pending logins do not survive a restart
	// (a real portal reads its keys from its secret store).
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	a, err := newApp(base, mock, st, key, log)
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{Handler: a.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	log.Info("multitenant: portal ready", "url", base+"/aides", "admin", base+"/admin/t1/france-connect", "data", *data)
	if ready != nil {
		ready <- base
	}
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
