// Package multitenant is the demo grant portal of examples/multitenant:
// one product serving several organisations (tenants), each with its own
// FranceConnect registration and an « Intégration FranceConnect »
// administration tab, its settings and sessions in a database (an SQLite
// file, or PostgreSQL shared by replicas), on an embedded mock or on a
// mock that replicas share (cmd/fcmock).
package multitenant

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/franceconnect-go/franceconnect/fctest"
	"github.com/franceconnect-go/franceconnect/tenant"
)

// Options configure one replica of the portal.
type Options struct {
	Addr    string // where to listen, e.g. 127.0.0.1:8081
	BaseURL string // the URL users see (the load balancer's, shared by replicas); "" for http://Addr
	// DataDir holds the SQLite database, and the keys and password made
	// for a single process; it must be the process user's and not
	// writable by others.
	DataDir string
	// Database is a postgres:// URL; "" keeps the database in DataDir.
	Database string
	// Provider is the URL of a mock FranceConnect that replicas share
	// (cmd/fcmock's, e.g. http://127.0.0.1:9000): « URL du service »
	// "mock" names it. "": an embedded fctest mock, with two
	// organisations registered on it.
	Provider string
	// CookieKeys seal pending logins: replicas share them. nil: one key per
	// run (pending logins do not survive a restart).
	CookieKeys [][]byte
	// SecretsKey (32 bytes) encrypts the client secrets in the database:
	// replicas share it. nil: a key kept in DataDir/secrets.key, outside
	// the database.
	SecretsKey []byte
	// AdminPassword protects the administration pages (user "admin").
	// "": one kept in DataDir/admin-password.
	AdminPassword string
	// Poll is how often the replica looks for settings changed by
	// another: 1 s when zero.
	Poll time.Duration
	Log  io.Writer // the log; nil discards it
}

// Instance is a running replica.
type Instance struct {
	URL  string         // the base URL
	Addr string         // the address it listens on
	Mock *fctest.Server // the embedded mock, nil with Options.Provider
	srv  *http.Server
	stop context.CancelFunc
	db   *db
	done chan error

	closeOnce sync.Once
	closeErr  error
}

// Start starts a replica. With Options.Database, the cookie keys, the
// secrets key and the admin password are required: every replica must
// have the same.
func Start(o Options) (*Instance, error) {
	if err := o.complete(); err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancel(context.Background())
	inst := &Instance{stop: stop, done: make(chan error, 1)}
	if err := inst.start(ctx, o); err != nil {
		stop()
		if inst.db != nil {
			inst.db.Close()
		}
		if inst.Mock != nil {
			inst.Mock.Close()
		}
		return nil, err
	}
	return inst, nil
}

// complete checks o and fills what a single process may make itself.
func (o *Options) complete() error {
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Database != "" {
		switch {
		case len(o.CookieKeys) == 0:
			return errors.New("with a shared database, give the cookie keys every replica shares (MT_COOKIE_KEYS)")
		case o.SecretsKey == nil:
			return errors.New("with a shared database, give the secrets key every replica shares (MT_SECRETS_KEY)")
		case o.AdminPassword == "":
			return errors.New("with a shared database, give the administration password (MT_ADMIN_PASSWORD)")
		}
		return nil
	}
	if o.DataDir == "" {
		return errors.New("no data directory")
	}
	if err := prepareDataDir(o.DataDir); err != nil {
		return err
	}
	if len(o.CookieKeys) == 0 {
		o.CookieKeys = [][]byte{randomBytes(32)}
	}
	var err error
	if o.SecretsKey == nil {
		var key string
		key, err = keptSecret(filepath.Join(o.DataDir, "secrets.key"))
		o.SecretsKey, _ = base64.StdEncoding.DecodeString(key)
	}
	if err == nil && o.AdminPassword == "" {
		o.AdminPassword, err = keptSecret(filepath.Join(o.DataDir, "admin-password"))
	}
	return err
}

// keptSecret returns the secret kept in path, made (32 random bytes in
// base64, readable by the user only) when there is none.
func keptSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		s := base64.StdEncoding.EncodeToString(randomBytes(32))
		return s, os.WriteFile(path, []byte(s+"\n"), 0o600)
	}
	return strings.TrimSpace(string(b)), err
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func (inst *Instance) start(ctx context.Context, o Options) error {
	secrets, err := newSealer(o.SecretsKey)
	if err != nil {
		return err
	}
	if inst.db, err = openDB(ctx, o.Database, o.DataDir); err != nil {
		return err
	}
	if err := inst.db.migrate(ctx); err != nil {
		return fmt.Errorf("database schema: %w", err)
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		return err
	}
	inst.Addr = ln.Addr().String()
	inst.URL = strings.TrimSuffix(o.BaseURL, "/")
	if inst.URL == "" {
		inst.URL = "http://" + inst.Addr
	}
	a, err := inst.newApp(ctx, o, secrets)
	if err != nil {
		ln.Close()
		return err
	}
	inst.srv = &http.Server{Handler: a.routes(), ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10}
	go func() { inst.done <- inst.srv.Serve(ln) }()
	a.log.Info("multitenant: portal ready", "url", inst.URL+"/aides", "admin", inst.URL+"/admin/", "listen", inst.Addr, "database", a.dbName(o))
	return nil
}

// newApp makes the portal of this replica, its organisations loaded.
func (inst *Instance) newApp(ctx context.Context, o Options, secrets *sealer) (*app, error) {
	base, err := url.Parse(inst.URL)
	if err != nil || base.Host == "" {
		return nil, fmt.Errorf("base URL %q: want an origin such as https://aides.example", inst.URL)
	}
	a := &app{base: inst.URL, host: base.Host, https: base.Scheme == "https", provider: strings.TrimSuffix(o.Provider, "/"),
		db: inst.db, store: &store{db: inst.db, secrets: secrets}, adminPassword: o.AdminPassword,
		log: slog.New(slog.NewTextHandler(o.Log, nil))}
	if a.provider == "" {
		inst.Mock = fctest.NewServer(fctest.Options{})
		a.mock, a.provider = inst.Mock, inst.Mock.URL
		if err := a.seed(ctx); err != nil {
			return nil, err
		}
	}
	if a.tenants, err = tenant.New(tenant.Config{CookieKeys: o.CookieKeys, PostLogoutRedirectURL: inst.URL + "/aides", Logger: a.log, Source: a.source}); err != nil {
		return nil, err
	}
	v, err := a.store.version(ctx)
	if err == nil {
		err = a.tenants.Reload(ctx, "")
	}
	if err != nil {
		return nil, fmt.Errorf("loading the organisations: %w", err)
	}
	go a.poll(ctx, o.Poll, v)
	return a, nil
}

// Close stops the replica (and its embedded mock).
func (inst *Instance) Close() error {
	inst.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := inst.srv.Shutdown(ctx)
		if serveErr := <-inst.done; !errors.Is(serveErr, http.ErrServerClosed) {
			err = errors.Join(err, serveErr)
		}
		inst.stop()
		if inst.Mock != nil {
			inst.Mock.Close()
		}
		inst.closeErr = errors.Join(err, inst.db.Close())
	})
	return inst.closeErr
}
