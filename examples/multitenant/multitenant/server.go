// Package multitenant is the demo grant portal of
// examples/multitenant: one product serving several organisations
// (tenants), each with its own FranceConnect registration and an
// "Intégration FranceConnect" administration page, on an embedded mock.
package multitenant

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/franceconnect-go/franceconnect/fctest"
)

// Instance is a running demo portal.
type Instance struct {
	URL  string         // base URL, e.g. http://127.0.0.1:8081
	Mock *fctest.Server // the embedded FranceConnect
	srv  *http.Server
	done chan error
}

// Start serves the portal on addr (a loopback address: the demo runs on
// http), with the tenants' settings kept in dataDir.
func Start(addr, dataDir string, logw io.Writer) (*Instance, error) {
	st, err := newStore(dataDir)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	inst := &Instance{URL: "http://" + ln.Addr().String(), Mock: fctest.NewServer(fctest.Options{}), done: make(chan error, 1)}
	// One cookie key per run: pending logins do not survive a restart (a
	// real portal reads its keys from its secret store).
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	log := slog.New(slog.NewTextHandler(logw, nil))
	a, err := newApp(inst.URL, inst.Mock, st, key, log)
	if err != nil {
		ln.Close()
		inst.Mock.Close()
		return nil, err
	}
	inst.srv = &http.Server{Handler: a.routes(), ReadHeaderTimeout: 10 * time.Second}
	go func() { inst.done <- inst.srv.Serve(ln) }()
	log.Info("multitenant: portal ready", "url", inst.URL+"/aides", "admin", inst.URL+"/admin/t1/france-connect", "data", dataDir)
	return inst, nil
}

// Close stops the portal and its mock.
func (i *Instance) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := i.srv.Shutdown(ctx)
	if serveErr := <-i.done; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	i.Mock.Close()
	return err
}
