// Command multitenant is a demo grant portal that one vendor runs for
// several organisations (tenants), each with its own FranceConnect
// registration:
//
//	cd examples/multitenant && go run .
//
// starts it on http://127.0.0.1:8081 with an embedded mock FranceConnect
// and an SQLite database in the data directory (-data, by default
// franceconnect-multitenant in the user's configuration directory). Two
// organisations, t1 and t2, are registered with the URL shapes of
// grant-portal products (a callback per tenant that carries its own
// redirectUrl and jwtKey, one post-logout URL /aides for all). The
// administration pages (/admin/, user "admin", the password in
// DATA/admin-password or MT_ADMIN_PASSWORD) add and remove organisations
// and fill each one's « Intégration FranceConnect » tab.
//
// Several replicas share a PostgreSQL database and a mock (cmd/fcmock):
//
//	export MT_COOKIE_KEYS=$(openssl rand -base64 32) MT_SECRETS_KEY=$(openssl rand -base64 32) MT_ADMIN_PASSWORD=...
//	go run . -addr 127.0.0.1:8081 -base http://localhost:8080 -database postgres://... -provider http://127.0.0.1:9000
//	go run . -addr 127.0.0.1:8082 -base http://localhost:8080 -database postgres://... -provider http://127.0.0.1:9000
//
// behind a load balancer at -base. MT_COOKIE_KEYS is a comma-separated
// list of base64 keys of 32 bytes, the first sealing; MT_SECRETS_KEY, the
// base64 key of 32 bytes that encrypts the client secrets in the database.
package main

import (
	"context"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/franceconnect-go/franceconnect/examples/multitenant/multitenant"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "multitenant:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends.
func run(ctx context.Context, args []string, getenv func(string) string, logw io.Writer) error {
	defaultData, _ := multitenant.DefaultDataDir()
	o := multitenant.Options{Log: logw, Database: getenv("MT_DATABASE_URL"), AdminPassword: getenv("MT_ADMIN_PASSWORD")}
	fs := flag.NewFlagSet("multitenant", flag.ContinueOnError)
	fs.StringVar(&o.Addr, "addr", "127.0.0.1:8081", "address to listen on")
	fs.StringVar(&o.BaseURL, "base", "", "the portal's public URL, shared by replicas (default http://ADDR)")
	fs.StringVar(&o.DataDir, "data", defaultData, "directory of the SQLite database and of the keys made for one process")
	fs.StringVar(&o.Database, "database", o.Database, "a postgres:// URL (default $MT_DATABASE_URL; none: SQLite in -data)")
	fs.StringVar(&o.Provider, "provider", "", "URL of a mock FranceConnect that replicas share, e.g. cmd/fcmock's http://127.0.0.1:9000 (default: an embedded mock)")
	fs.DurationVar(&o.Poll, "poll", time.Second, "how often to look for settings another replica changed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if o.CookieKeys, err = keys("MT_COOKIE_KEYS", getenv); err == nil && getenv("MT_SECRETS_KEY") != "" {
		var k [][]byte
		k, err = keys("MT_SECRETS_KEY", getenv)
		if err == nil {
			o.SecretsKey = k[0]
		}
	}
	if err != nil {
		return err
	}
	inst, err := multitenant.Start(o)
	if err != nil {
		return err
	}
	<-ctx.Done()
	return inst.Close()
}

// keys reads the environment variable name: base64 keys of 32 bytes,
// separated by commas.
func keys(name string, getenv func(string) string) ([][]byte, error) {
	v := getenv(name)
	if v == "" {
		return nil, nil
	}
	var out [][]byte
	for _, s := range strings.Split(v, ",") {
		k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
		if err != nil || len(k) != 32 {
			return nil, fmt.Errorf("%s: each key is 32 bytes in base64 (openssl rand -base64 32)", name)
		}
		out = append(out, k)
	}
	return out, nil
}
