package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
	_ "modernc.org/sqlite"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/testkit"
)

// oldDatabase writes a SQLite file of the old application: two good users (one with a
// bcrypt hash), a duplicate username, a character with mapped columns and a message.
func oldDatabase(t *testing.T, password string) string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "app.sqlite")
	conn, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, s := range []string{
		`CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, email TEXT, password_hash TEXT, created_at TEXT)`,
		`CREATE TABLE characters (id INTEGER PRIMARY KEY, owner INTEGER, ecosystem_id TEXT, name TEXT, autonomy TEXT, personality_traits TEXT)`,
		`CREATE TABLE conversations (id INTEGER PRIMARY KEY, user_id INTEGER, character_id INTEGER, title TEXT)`,
		`CREATE TABLE messages (id INTEGER PRIMARY KEY, conversation_id INTEGER, role TEXT, content TEXT, created_at TEXT)`,
		`INSERT INTO users VALUES (1, 'ana', 'ana@example.com', '` + strings.Replace(string(hash), "$2a$", "$2y$", 1) + `', '2022-01-01 00:00:00'),
			(2, 'ANA', 'other@example.com', '` + string(hash) + `', NULL)`,
		`INSERT INTO characters VALUES (1, 1, 'w1', 'Anna Karénina', '0.3', '{"neuroticism": 0.9}')`,
		`INSERT INTO conversations VALUES (1, 1, 1, 'Вокзал')`,
		`INSERT INTO messages VALUES (1, 1, 'user', 'Все счастливые семьи похожи друг на друга.', '2022-01-02 00:00:00')`,
	} {
		if _, err := conn.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return file
}

// TestImportSqliteCommand runs `ensemble import-sqlite` as users will: a dry run, the
// import, a second import that adds nothing, a strict import that refuses; then the
// imported user signs in through the API with their old password, and their bcrypt
// hash becomes argon2id.
func TestImportSqliteCommand(t *testing.T) {
	t.Parallel()
	url := testkit.DatabaseURL(t)
	env := []string{"DATABASE_URL=" + url}
	pool, err := db.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	const password = "anna-old-password"
	file := oldDatabase(t, password)
	mapping := filepath.Join(t.TempDir(), "mapping.json")
	if err := os.WriteFile(mapping, []byte(`{"characters": {"autonomy": "autonomy_level", "owner": "user_id"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	users := func() int {
		var n int
		if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM users`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	steps := []struct {
		name  string
		args  []string
		ok    bool
		want  []string
		users int
	}{
		{"help", []string{"import-sqlite", "--help"}, true, []string{"--mapping", `{"characters": {"autonomy": "autonomy_level"}`, "--strict", "--dry-run"}, 0},
		{"without the mapping", []string{"import-sqlite", file}, false, []string{"table characters has no column user_id"}, 0},
		{"strict", []string{"import-sqlite", "--strict", "--mapping", mapping, file}, false,
			[]string{"strict import refused", `users 2: duplicate username: "ANA" is taken by users row 1`}, 0},
		{"dry run", []string{"import-sqlite", "--dry-run", "--mapping", mapping, file}, true,
			[]string{"dry run of app.sqlite: nothing was written", "would write", "users 2: duplicate username"}, 0},
		{"import", []string{"import-sqlite", "--mapping", mapping, file}, true,
			[]string{"users               2           1               0       1", "messages            1           1               0       0"}, 1},
		{"again", []string{"import-sqlite", "--mapping", mapping, file}, true,
			[]string{"users               2           0               1       1", "messages            1           0               1       0",
				"nothing new to import: 4 rows were imported before from app.sqlite, 1 cannot be imported"}, 1},
	}
	for _, s := range steps {
		out, err := run(t, env, s.args...)
		if (err == nil) != s.ok {
			t.Fatalf("%s: %v\n%s", s.name, err, out)
		}
		for _, w := range s.want {
			if !strings.Contains(out, w) {
				t.Fatalf("%s: output lacks %q:\n%s", s.name, w, out)
			}
		}
		// Not a terminal: no progress bar.
		if strings.Contains(out, "\r") || strings.Contains(out, "importing [") {
			t.Fatalf("%s: progress bar without a terminal:\n%q", s.name, out)
		}
		if n := users(); n != s.users {
			t.Fatalf("%s: %d users, want %d", s.name, n, s.users)
		}
	}
	var autonomy, neuroticism float64
	if err := pool.QueryRow(t.Context(), `SELECT autonomy_level, neuroticism FROM characters WHERE name = 'Anna Karénina'`).Scan(&autonomy, &neuroticism); err != nil ||
		autonomy != 0.3 || neuroticism != 0.9 {
		t.Fatalf("Anna: autonomy %v neuroticism %v (%v)", autonomy, neuroticism, err)
	}

	srv := testkit.NewServerOn(t, url)
	login := `mutation($in: LoginInput!) { login(input: $in) { accessToken user { username } } }`
	hash := func() string {
		var h string
		if err := pool.QueryRow(t.Context(), `SELECT password_hash FROM users WHERE username = 'ana'`).Scan(&h); err != nil {
			t.Fatal(err)
		}
		return h
	}
	if r := srv.Client().Do(t, login, map[string]any{"in": map[string]any{"login": "ana", "password": "wrong-password"}}); r.Code(t) != "UNAUTHENTICATED" {
		t.Fatalf("wrong password: %s", r.Code(t))
	}
	if h := hash(); !strings.HasPrefix(h, "$2y$") {
		t.Fatalf("a failed sign-in changed the hash to %.10s", h)
	}
	for _, who := range []string{"ana", "ana@example.com"} {
		var out struct {
			Login struct {
				AccessToken string
				User        struct{ Username string }
			}
		}
		srv.Client().Must(t, login, map[string]any{"in": map[string]any{"login": who, "password": password}}, &out)
		if out.Login.AccessToken == "" || out.Login.User.Username != "ana" {
			t.Fatalf("sign-in as %s: %+v", who, out)
		}
		if h := hash(); !strings.HasPrefix(h, "$argon2id$") {
			t.Fatalf("after signing in as %s the hash is %.10s, want argon2id", who, h)
		}
	}
}
