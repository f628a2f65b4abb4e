package multitenant

import (
	"context"
	"database/sql"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/franceconnect-go/franceconnect/examples/multitenant/internal/pgtest"
)

// databases are the databases a test runs on: an SQLite file, and
// PostgreSQL.
var databases = []struct {
	name string
	dsn  func(testing.TB) string
}{
	{"sqlite", func(testing.TB) string { return "" }},
	{"postgres", pgtest.Database},
}

// Migrations bring any earlier schema up to date, once, even when
// replicas start together; a later column gets its default on the rows
// that were there.
func TestMigrations(t *testing.T) {
	t.Parallel()
	for _, dbc := range databases {
		t.Run(dbc.name, func(t *testing.T) {
			t.Parallel()
			dsn, dir := dbc.dsn(t), t.TempDir()
			ctx := context.Background()
			open := func() *db {
				d, err := openDB(ctx, dsn, dir)
				require.NoError(t, err)
				t.Cleanup(func() { d.Close() })
				return d
			}

			// A database of the first two releases, with an organisation.
			old := open()
			require.NoError(t, old.tx(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY)`)
				for v, stmts := range migrations[:2] {
					for _, s := range append(stmts, `INSERT INTO schema_migrations (version) VALUES (`+strconv.Itoa(v+1)+`)`) {
						if err == nil {
							_, err = tx.ExecContext(ctx, s)
						}
					}
				}
				if err == nil {
					_, err = tx.ExecContext(ctx, `INSERT INTO tenants (name, label, enabled, button, connection_text, client_id, client_secret, service_url)
						VALUES ('t1', 'Commune', TRUE, 'default', '', 'id', '', 'mock')`)
				}
				return err
			}))

			// Three replicas start at once.
			var wg sync.WaitGroup
			for range 3 {
				d := open()
				wg.Go(func() { assert.NoError(t, d.migrate(ctx)) })
			}
			wg.Wait()
			require.NoError(t, old.migrate(ctx), "again: nothing to do")

			var n, version int
			require.NoError(t, old.QueryRowContext(ctx, `SELECT COUNT(*), MAX(version) FROM schema_migrations`).Scan(&n, &version))
			assert.Equal(t, len(migrations), n)
			assert.Equal(t, len(migrations), version)
			var askEmail bool
			require.NoError(t, old.QueryRowContext(ctx, `SELECT ask_email FROM tenants WHERE name = 't1'`).Scan(&askEmail))
			assert.True(t, askEmail, "the default of the column added later")

			_, err := old.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, len(migrations)+1)
			require.NoError(t, err)
			assert.ErrorContains(t, old.migrate(ctx), "newer than this program's", "a schema from a later release is refused")
		})
	}
}
