package multitenant

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL, registered as "pgx"
	_ "modernc.org/sqlite"             // SQLite in pure Go, registered as "sqlite"
)

// db is the portal's database: PostgreSQL when a connection URL is given,
// an SQLite file otherwise. Both take the same SQL ($1 placeholders,
// ON CONFLICT upserts).
type db struct {
	*sql.DB
	postgres bool
}

// openDB opens the database: dsn a postgres:// URL, or "" for the SQLite
// file portal.db of dir.
func openDB(ctx context.Context, dsn, dir string) (*db, error) {
	d := &db{postgres: strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")}
	var err error
	switch {
	case d.postgres:
		d.DB, err = sql.Open("pgx", dsn)
	case dsn != "":
		return nil, fmt.Errorf("-database: a postgres:// URL (without it, the SQLite file of the data directory)")
	default:
		// WAL: replicas on one machine read while one writes; immediate
		// transactions take the write lock at BEGIN, so that two writers
		// wait for each other (busy_timeout) instead of failing.
		d.DB, err = sql.Open("sqlite", "file:"+filepath.Join(dir, "portal.db")+
			"?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_txlock=immediate")
	}
	if err != nil {
		return nil, err
	}
	d.SetMaxOpenConns(16)
	d.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := d.PingContext(pctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("database: %w", err)
	}
	return d, nil
}

// migrations evolve the schema, in order. Each runs once, in the
// transaction that records it; never edit one that was released, add the
// next.
var migrations = [][]string{
	{ // 1: the organisations and their « Intégration FranceConnect » tab
		`CREATE TABLE tenants (
			name            TEXT PRIMARY KEY,
			label           TEXT NOT NULL,
			enabled         BOOLEAN NOT NULL,
			button          TEXT NOT NULL,
			connection_text TEXT NOT NULL,
			client_id       TEXT NOT NULL,
			client_secret   TEXT NOT NULL, -- sealed (secrets.go), never in clear
			service_url     TEXT NOT NULL
		)`,
		// One row whose version counts the changes of tenants: what the
		// replicas poll.
		`CREATE TABLE settings_version (id INTEGER PRIMARY KEY, version BIGINT NOT NULL)`,
		`INSERT INTO settings_version (id, version) VALUES (1, 0)`,
	},
	{ // 2: sessions in the database, so that every replica knows them
		`CREATE TABLE sessions (
			id_hash TEXT PRIMARY KEY, -- SHA-256 of the cookie's value
			leaving TEXT NOT NULL,    -- the tenant a pending logout leaves
			expires BIGINT NOT NULL   -- Unix seconds
		)`,
		`CREATE TABLE logins (
			session   TEXT NOT NULL,
			tenant    TEXT NOT NULL,
			name      TEXT NOT NULL,
			agreement TEXT NOT NULL,
			id_token  TEXT NOT NULL,
			PRIMARY KEY (session, tenant)
		)`,
	},
	{ // 3: a setting added after the first release: ask for the email
		`ALTER TABLE tenants ADD COLUMN ask_email BOOLEAN NOT NULL DEFAULT TRUE`,
	},
	{ // 4: FranceConnected data: the quotient familial, fetched at login
		`ALTER TABLE tenants ADD COLUMN fetch_qf BOOLEAN NOT NULL DEFAULT FALSE`,
		`ALTER TABLE tenants ADD COLUMN siret TEXT NOT NULL DEFAULT ''`,   // the recipient of the data
		`ALTER TABLE logins ADD COLUMN quotient TEXT NOT NULL DEFAULT ''`, // JSON (quotient.go)
	},
}

// migrate brings the schema up to date. Replicas that start together
// take turns: an advisory lock on PostgreSQL, the write lock that an
// immediate transaction takes on SQLite.
func (d *db) migrate(ctx context.Context) error {
	return d.tx(ctx, func(tx *sql.Tx) error { return d.migrateIn(ctx, tx) })
}

func (d *db) migrateIn(ctx context.Context, tx *sql.Tx) error {
	if d.postgres {
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(7242031)`); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
		return err
	}
	var done int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&done); err != nil {
		return err
	}
	if done > len(migrations) {
		return fmt.Errorf("database schema version %d is newer than this program's (%d)", done, len(migrations))
	}
	for v := done + 1; v <= len(migrations); v++ {
		for _, stmt := range migrations[v-1] {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("migration %d: %w", v, err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, v); err != nil {
			return err
		}
	}
	return nil
}

// tx runs f in a transaction, committed when f returns nil.
func (d *db) tx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := d.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit, a no-op
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}
