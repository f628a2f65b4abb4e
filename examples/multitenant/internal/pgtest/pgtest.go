// Package pgtest gives tests a PostgreSQL database of their own.
package pgtest

import (
	"crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // registered as "pgx"
)

// Database returns the URL of a new database for one test, on the cluster
// that MT_TEST_POSTGRES names (a postgres:// URL of a role that may create
// databases), dropped when the test ends. Without MT_TEST_POSTGRES the
// test is skipped; .ci/run starts a cluster, sets it, and fails on a skip.
func Database(t testing.TB) string {
	t.Helper()
	cluster := os.Getenv("MT_TEST_POSTGRES")
	if cluster == "" {
		t.Skip("MT_TEST_POSTGRES is not set: no PostgreSQL cluster for this test")
	}
	u, err := url.Parse(cluster)
	if err != nil {
		t.Fatalf("MT_TEST_POSTGRES: %v", err)
	}
	admin, err := sql.Open("pgx", cluster)
	if err != nil {
		t.Fatal(err)
	}
	name := "mt_" + strings.ToLower(rand.Text())
	if _, err := admin.Exec(`CREATE DATABASE ` + name); err != nil {
		admin.Close()
		t.Fatalf("creating a database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP DATABASE ` + name + ` WITH (FORCE)`); err != nil {
			t.Errorf("dropping %s: %v", name, err)
		}
		admin.Close()
	})
	u.Path = "/" + name
	return u.String()
}
