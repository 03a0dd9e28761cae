package testkit

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/migrations"
)

// invalidCatalogName is PostgreSQL's error code for a database that does not exist.
const invalidCatalogName = "3D000"

// templateLockKey is the advisory lock that serialises template creation. go test runs
// packages as parallel processes, all sharing one server, and only one may build.
const templateLockKey int64 = 0x656e73746b74706c // "enstktpl"

// dbTimeout bounds the setup of one database, template migration included.
const dbTimeout = 2 * time.Minute

// DatabaseURL returns the URL of a fresh database, cloned from a template database that has
// every migration applied, and dropped when the test ends.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	return freshDatabase(t, AdminURL(t))
}

// DB returns a pgxpool.Pool on a fresh database (DatabaseURL), closed when the test ends.
func DB(t testing.TB) *pgxpool.Pool {
	t.Helper()
	dbURL := DatabaseURL(t) // registered first, so its DROP runs after the pool closes
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		t.Fatalf("testkit: parse database url: %v", err)
	}
	cfg.AfterConnect = db.AfterConnect
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("testkit: open pool: %v", err)
	}
	t.Cleanup(pool.Close)
	if err := pool.Ping(ctx); err != nil {
		t.Fatalf("testkit: ping fresh database: %v", err)
	}
	return pool
}

// freshDatabase clones the template on the server behind admin into a new database and
// drops it (WITH FORCE, so connections a test forgot to close do not block it) at cleanup.
func freshDatabase(t testing.TB, admin string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), dbTimeout)
	defer cancel()

	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("testkit: connect admin database: %v", err)
	}
	defer func() { _ = conn.Close(context.Background()) }()

	tpl, err := templateName()
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	suffix, err := randomHex(8)
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	name := "ensemble_test_" + suffix
	dbURL, err := withDatabase(admin, name)
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	// A checkout with other migrations on the same server (another worktree or branch)
	// drops this template when it builds its own: build it again and clone once more.
	for attempt := 1; ; attempt++ {
		if err := ensureTemplate(ctx, conn, admin, tpl); err != nil {
			t.Fatalf("testkit: template database: %v", err)
		}
		_, err := conn.Exec(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", ident(name), ident(tpl)))
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == invalidCatalogName && attempt < 3 {
			continue
		}
		if err != nil {
			t.Fatalf("testkit: create database %s from %s: %v", name, tpl, err)
		}
		break
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("testkit: drop database %s: connect: %v", name, err)
			return
		}
		defer func() { _ = conn.Close(context.Background()) }()
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
			t.Errorf("testkit: drop database %s: %v", name, err)
		}
	})
	return dbURL
}

// templateName names the template after the migrations it holds, so that changing,
// adding or removing a migration gives a new template instead of a stale one.
func templateName() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		if err != nil {
			return err
		}
		// NUL separators keep ("ab","c") and ("a","bc") from hashing alike.
		h.Write([]byte(path))
		h.Write([]byte{0})
		h.Write(b)
		h.Write([]byte{0})
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("hash migrations: %w", err)
	}
	// River's migrations run too; a new River version may bring new ones.
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "github.com/riverqueue/river" {
				h.Write([]byte(dep.Path + "@" + dep.Version))
			}
		}
	}
	return "ensemble_tpl_" + hex.EncodeToString(h.Sum(nil))[:12], nil
}

// ensureTemplate makes sure the migrated template tpl exists. The common case, template
// already there, costs one query. Otherwise one process builds it under an advisory lock
// while the others wait for the lock and then find it done.
//
// The template is built under a temporary name and renamed only once migrated and with no
// session left on it, so the final name always denotes a complete template even if a
// build crashed half-way. It is marked IS_TEMPLATE (non-superusers may clone it) and
// ALLOW_CONNECTIONS false (a stray session on it would make every clone fail). Building one
// drops the templates of other migrations.
func ensureTemplate(ctx context.Context, conn *pgx.Conn, admin, tpl string) error {
	if ok, err := databaseExists(ctx, conn, tpl); err != nil || ok {
		return err
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", templateLockKey); err != nil {
		return fmt.Errorf("wait for template lock: %w", err)
	}
	defer func() {
		// A failed unlock only matters until the connection closes, which is soon.
		_, _ = conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", templateLockKey)
	}()
	if ok, err := databaseExists(ctx, conn, tpl); err != nil || ok {
		return err // built by another process while we waited
	}

	building := tpl + "_building"
	if ok, err := databaseExists(ctx, conn, building); err != nil {
		return err
	} else if ok {
		// Left by a build that crashed: we hold the lock, so nobody is using it.
		if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident(building)+" WITH IS_TEMPLATE false ALLOW_CONNECTIONS true"); err != nil {
			return fmt.Errorf("unmark leftover %s: %w", building, err)
		}
		if _, err := conn.Exec(ctx, "DROP DATABASE "+ident(building)+" WITH (FORCE)"); err != nil {
			return fmt.Errorf("drop leftover %s: %w", building, err)
		}
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+ident(building)); err != nil {
		return fmt.Errorf("create %s: %w", building, err)
	}
	buildURL, err := withDatabase(admin, building)
	if err != nil {
		return err
	}
	if err := migrate(ctx, buildURL); err != nil {
		return fmt.Errorf("migrate %s: %w", building, err)
	}
	// RENAME refuses while other sessions are on the database, and waits a few seconds
	// for closing ones; the migrator's connections are closed by now.
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident(building)+" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"); err != nil {
		return fmt.Errorf("mark %s as template: %w", building, err)
	}
	if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident(building)+" RENAME TO "+ident(tpl)); err != nil {
		return fmt.Errorf("rename %s to %s: %w", building, tpl, err)
	}
	return dropStaleTemplates(ctx, conn, tpl)
}

// dropStaleTemplates drops the templates of other migrations, which would otherwise stay
// on a developer's server, one per migration change. A checkout that still needs one
// builds it again; one being cloned right now is kept.
func dropStaleTemplates(ctx context.Context, conn *pgx.Conn, keep string) error {
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database
		WHERE datname LIKE 'ensemble\_tpl\_%' AND datname NOT LIKE '%\_building' AND datname <> $1`, keep)
	if err != nil {
		return fmt.Errorf("list stale templates: %w", err)
	}
	stale, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("list stale templates: %w", err)
	}
	for _, name := range stale {
		if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident(name)+" WITH IS_TEMPLATE false"); err != nil {
			return fmt.Errorf("unmark stale template %s: %w", name, err)
		}
		if _, err := conn.Exec(ctx, "DROP DATABASE "+ident(name)); err != nil {
			// In use: it stays a template for whoever is cloning it.
			if _, err := conn.Exec(ctx, "ALTER DATABASE "+ident(name)+" WITH IS_TEMPLATE true"); err != nil {
				return fmt.Errorf("mark %s as template again: %w", name, err)
			}
		}
	}
	return nil
}

// migrate applies every migration to the database at dbURL with the production migrator,
// and closes all its connections.
func migrate(ctx context.Context, dbURL string) error {
	pool, err := pgxpool.New(ctx, dbURL)
	if err != nil {
		return fmt.Errorf("open pool: %w", err)
	}
	defer pool.Close()
	m, err := db.NewMigrator(pool, nil)
	if err != nil {
		return err
	}
	if _, err := m.Up(ctx); err != nil {
		_ = m.Close()
		return err
	}
	if err := m.Close(); err != nil {
		return fmt.Errorf("close migrator: %w", err)
	}
	return nil
}

// databaseExists reports whether a database named name exists.
func databaseExists(ctx context.Context, conn *pgx.Conn, name string) (bool, error) {
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&ok); err != nil {
		return false, fmt.Errorf("look up database %s: %w", name, err)
	}
	return ok, nil
}

// withDatabase returns connString pointing at database name instead, keeping host,
// credentials and parameters. It accepts both URL and keyword/value connection strings.
func withDatabase(connString, name string) (string, error) {
	var out string
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		u, err := url.Parse(connString)
		if err != nil {
			return "", fmt.Errorf("parse database URL: %w", err)
		}
		u.Path = "/" + name
		u.RawPath = ""
		out = u.String()
	} else {
		// In keyword/value form a repeated keyword overrides the earlier one.
		out = connString + " dbname='" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(name) + "'"
	}
	// Prove the result means what we think, rather than trusting string surgery.
	cfg, err := pgconn.ParseConfig(out)
	if err != nil {
		return "", fmt.Errorf("database URL for %s: %w", name, err)
	}
	if cfg.Database != name {
		return "", fmt.Errorf("database URL for %s points at %q", name, cfg.Database)
	}
	return out, nil
}

// ident quotes a database name for SQL.
func ident(name string) string {
	return pgx.Identifier{name}.Sanitize()
}

// randomHex returns n random bytes as hex.
func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random bytes: %w", err)
	}
	return hex.EncodeToString(b), nil
}
