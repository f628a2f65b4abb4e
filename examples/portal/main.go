// Command portal is a demo portal with « S'identifier avec FranceConnect »:
//
//	go run ./examples/portal
//
// starts it on http://127.0.0.1:8080 with an embedded mock FranceConnect
// (fctest): click the button, pick a test identity, see the verified
// identité pivot, log out. Its « Espace agents » does the same with an
// embedded mock ProConnect. No credentials, no internet.
//
// Flags: -addr host:port (or PORT), -button default|contrast (or
// FC_BUTTON_STYLE). With FC_ENVIRONMENT or FC_SERVICE_URL, FC_CLIENT_ID,
// FC_CLIENT_SECRET, FC_REDIRECT_URL, FC_POST_LOGOUT_REDIRECT_URL and
// FC_COOKIE_KEY (and optionally FC_ALGORITHM, FC_SCOPES) it talks to a real
// FranceConnect environment instead, and with the PC_* variables to a real
// ProConnect for the Espace agents; see package
// github.com/franceconnect-go/franceconnect/examples/portal/portal.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/franceconnect-go/franceconnect/examples/portal/portal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit status.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	err := portal.Run(ctx, args, getenv, stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintln(stderr, err)
		return 0
	default:
		fmt.Fprintf(stderr, "portal: %v\n", err)
		return 1
	}
}
