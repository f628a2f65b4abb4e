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
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/franceconnect-go/franceconnect/examples/multitenant/multitenant"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "multitenant:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends.
func run(ctx context.Context, args []string, logw io.Writer) error {
	fs := flag.NewFlagSet("multitenant", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8081", "address to listen on (a loopback address: the demo runs on http)")
	data := fs.String("data", filepath.Join(os.TempDir(), "franceconnect-multitenant"), "directory where the tenants' settings are kept")
	if err := fs.Parse(args); err != nil {
		return err
	}
	inst, err := multitenant.Start(*addr, *data, logw)
	if err != nil {
		return err
	}
	<-ctx.Done()
	return inst.Close()
}
