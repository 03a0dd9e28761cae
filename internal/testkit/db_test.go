package testkit

import (
	"context"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/migrations"
)

func TestMain(m *testing.M) { Main(m) }

func connectURL(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func databaseName(t *testing.T, url string) string {
	t.Helper()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	return cfg.Database
}

func countUsers(t *testing.T, conn *pgx.Conn) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM users").Scan(&n); err != nil {
		t.Fatalf("count users: %v", err)
	}
	return n
}

func TestDatabasesAreIsolated(t *testing.T) {
	urlA, urlB := DatabaseURL(t), DatabaseURL(t)
	if databaseName(t, urlA) == databaseName(t, urlB) {
		t.Fatalf("both calls returned database %s", databaseName(t, urlA))
	}
	a, b := connectURL(t, urlA), connectURL(t, urlB)
	if _, err := a.Exec(context.Background(),
		"INSERT INTO users (username, email, password_hash, role) VALUES ('alice', 'alice@example.com', 'x', 'ADMIN')"); err != nil {
		t.Fatalf("insert into A: %v", err)
	}
	if n := countUsers(t, a); n != 1 {
		t.Errorf("users in A = %d, want 1", n)
	}
	if n := countUsers(t, b); n != 0 {
		t.Errorf("users in B = %d, want 0: databases are not isolated", n)
	}
}

func TestMigrationsApplied(t *testing.T) {
	pool := DB(t)
	ctx := context.Background()

	m, err := db.NewMigrator(pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = m.Close() }()
	status, err := m.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	if len(status) != len(files) {
		t.Errorf("migrator knows %d migrations, the FS has %d", len(status), len(files))
	}
	for _, s := range status {
		if !s.Applied {
			t.Errorf("migration %d (%s) not applied", s.Version, s.Name)
		}
	}

	rows, err := pool.Query(ctx, "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'users'")
	if err != nil {
		t.Fatal(err)
	}
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	have := strings.Join(cols, ",")
	for _, want := range []string{"id", "username", "email", "password_hash", "role"} {
		if !strings.Contains(","+have+",", ","+want+",") {
			t.Errorf("users lacks column %s (has %s)", want, have)
		}
	}
}

func TestDatabaseDroppedAfterTest(t *testing.T) {
	admin := connectURL(t, AdminURL(t))
	exists := func(name string) bool {
		t.Helper()
		ok, err := databaseExists(context.Background(), admin, name)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	var name string
	t.Run("uses a database", func(t *testing.T) {
		url := DatabaseURL(t)
		name = databaseName(t, url)
		// An open connection must not keep the database alive (DROP ... WITH (FORCE)).
		connectURL(t, url)
		if !exists(name) {
			t.Fatalf("database %s missing during the test", name)
		}
	})
	if name == "" {
		t.Fatal("subtest did not create a database")
	}
	if exists(name) {
		t.Errorf("database %s still exists after its test ended", name)
	}
}

func TestTemplate(t *testing.T) {
	DatabaseURL(t) // makes sure the template exists
	tpl, err := templateName()
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^ensemble_tpl_[0-9a-f]{12}$`).MatchString(tpl) {
		t.Errorf("template name %q", tpl)
	}
	again, _ := templateName()
	if again != tpl {
		t.Errorf("template name not stable: %q then %q", tpl, again)
	}
	var isTemplate, allowConn bool
	err = connectURL(t, AdminURL(t)).QueryRow(context.Background(),
		"SELECT datistemplate, datallowconn FROM pg_database WHERE datname = $1", tpl).Scan(&isTemplate, &allowConn)
	if err != nil {
		t.Fatalf("template %s: %v", tpl, err)
	}
	if !isTemplate || allowConn {
		t.Errorf("template %s: datistemplate=%v datallowconn=%v, want true, false", tpl, isTemplate, allowConn)
	}
}

// TestStaleTemplatesDropped: building a template drops those of other migrations, and
// keeps its own.
func TestStaleTemplatesDropped(t *testing.T) {
	DatabaseURL(t) // makes sure the template exists
	tpl, err := templateName()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	admin := connectURL(t, AdminURL(t))
	suffix, err := randomHex(6)
	if err != nil {
		t.Fatal(err)
	}
	stale := "ensemble_tpl_" + suffix
	for _, sql := range []string{"CREATE DATABASE " + ident(stale), "ALTER DATABASE " + ident(stale) + " WITH IS_TEMPLATE true"} {
		if _, err := admin.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	if err := dropStaleTemplates(ctx, admin, tpl); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]bool{stale: false, tpl: true} {
		if ok, err := databaseExists(ctx, admin, name); err != nil || ok != want {
			t.Errorf("database %s exists: %v (%v), want %v", name, ok, err, want)
		}
	}
}

func TestWithDatabase(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
			"postgres://postgres@127.0.0.1:5432/ensemble_test_1?sslmode=disable"},
		{"url without database", "postgresql://u:p@db.example:6543?sslmode=require",
			"postgresql://u:p@db.example:6543/ensemble_test_1?sslmode=require"},
		{"url with escaped password", "postgres://u:p%40ss%2Fw@h/postgres",
			"postgres://u:p%40ss%2Fw@h/ensemble_test_1"},
		{"keyword/value", "host=127.0.0.1 user=postgres dbname=postgres sslmode=disable",
			"host=127.0.0.1 user=postgres dbname=postgres sslmode=disable dbname='ensemble_test_1'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := withDatabase(tt.in, "ensemble_test_1")
			if err != nil || got != tt.want {
				t.Fatalf("withDatabase = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestPrivateServer runs the fallback Main uses when no server is reachable, and builds
// the template on it from several parallel tests at once, as parallel test processes do.
func TestPrivateServer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	admin, stop, err := startPrivateServer(ctx)
	if err != nil {
		t.Fatalf("start private server: %v", err)
	}
	t.Cleanup(stop)

	names := make([]string, 4)
	t.Run("parallel", func(t *testing.T) {
		for i := range names {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				url := freshDatabase(t, admin)
				names[i] = databaseName(t, url)
				if n := countUsers(t, connectURL(t, url)); n != 0 {
					t.Errorf("fresh database has %d users", n)
				}
			})
		}
	})
	sort.Strings(names)
	for i := 1; i < len(names); i++ {
		if names[i] == names[i-1] {
			t.Errorf("two tests got database %s", names[i])
		}
	}
	var left int
	if err := connectURL(t, admin).QueryRow(ctx,
		"SELECT count(*) FROM pg_database WHERE datname LIKE 'ensemble_test_%' OR datname LIKE '%_building'").Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d test or half-built databases left on the private server", left)
	}
}
