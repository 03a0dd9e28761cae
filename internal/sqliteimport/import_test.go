package sqliteimport_test

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/crypto/bcrypt"
	_ "modernc.org/sqlite"

	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/sqliteimport"
	"github.com/literaryai/ensemble/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// oldSchema is the Streamlit application's schema as it was: loose SQLite types, times
// as text, traits and context as JSON text.
const oldSchema = `
CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT, email TEXT, password_hash TEXT, created_at TEXT, last_login TEXT);
CREATE TABLE documents (id INTEGER PRIMARY KEY, user_id INTEGER, title TEXT, filename TEXT, content TEXT, content_type TEXT, created_at TEXT);
CREATE TABLE characters (id TEXT PRIMARY KEY, user_id INTEGER, ecosystem_id TEXT, name TEXT, description TEXT,
	personality_traits TEXT, autonomy_level REAL, social_energy REAL, last_interaction TEXT, memory_summary TEXT,
	current_context TEXT, created_at TEXT);
CREATE TABLE conversations (id INTEGER PRIMARY KEY, user_id INTEGER, character_id TEXT, title TEXT, created_at TEXT);
CREATE TABLE messages (id INTEGER PRIMARY KEY, conversation_id INTEGER, role TEXT, content TEXT, created_at TEXT);
`

// build writes a SQLite file with schema and statements and returns its path.
func build(t *testing.T, schema string, stmts ...string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "streamlit.db")
	conn, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, s := range append([]string{schema}, stmts...) {
		if _, err := conn.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	return path
}

func bcryptHash(t *testing.T, password, prefix string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return prefix + string(h[4:])
}

const argonHash = "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"

// messyFile is a realistic old database: good rows, and rows of every kind of trouble.
func messyFile(t *testing.T) string {
	t.Helper()
	return build(t, oldSchema,
		`INSERT INTO users VALUES
			(1, 'alice', 'alice@example.com', '`+bcryptHash(t, "alice-secret-1", "$2b$")+`', '2023-05-01 10:00:00', NULL),
			(2, 'bob', 'bob@example.com', '`+argonHash+`', '2023-05-02T11:00:00Z', NULL),
			(3, 'Alice', 'alice2@example.com', '`+bcryptHash(t, "x-password-x", "$2a$")+`', NULL, NULL),
			(4, 'zoë', 'zoe@example.com', '`+bcryptHash(t, "x-password-x", "$2y$")+`', NULL, NULL),
			(5, 'carol', 'not-an-email', '`+bcryptHash(t, "x-password-x", "$2a$")+`', NULL, NULL),
			(6, 'dave', 'dave@example.com', 'plaintext', NULL, NULL),
			('7', 'erin', 'erin@example.com', '`+bcryptHash(t, "erin-secret-1", "$2y$")+`', 1700000000, NULL),
			(8, 'frank', 'frank@example.com', '`+bcryptHash(t, "x-password-x", "$2a$")+`', 'last tuesday', NULL)`,
		`INSERT INTO documents VALUES
			(1, 1, 'Orgueil et préjugés', 'pp.txt', 'Chapitre 1

C''est une vérité universellement reconnue…', 'text/plain', '2023-06-01 09:00:00'),
			(2, 99, 'Lost', 'lost.txt', 'text', NULL, NULL),
			(3, 3, 'Of a duplicate', 'd.txt', 'text', NULL, NULL),
			(4, 1, 'Empty', 'e.txt', '', NULL, NULL),
			(5, '2', NULL, 'notes.md', CAST('# Notes

Some *notes*.' AS BLOB), NULL, NULL),
			(6, 1, 'Spreadsheet', 'x.xlsx', 'cells', 'xlsx', NULL)`,
		`INSERT INTO characters VALUES
			('c1', 1, 'regency', 'Élisabeth Bennét', 'Witty 🙂', '{"openness": 0.8, "Extraversion": "0.7", "wit": "sharp"}',
				'0.6', 0.9, '2024-03-01 12:00:00', 'Refused Mr Collins.', '{"mood": "wry"}', '2023-06-02 10:00:00'),
			('c2', 1, 'regency', 'Mr Darcy', '', '["proud", "reserved"]', NULL, NULL, NULL, NULL, NULL, NULL),
			('c3', 1, 'regency', 'Mr Collins', '', NULL, 1.7, NULL, NULL, NULL, NULL, NULL),
			('c4', 1, 'regency', 'Lydia', '', NULL, NULL, NULL, NULL, NULL, 'not json', NULL),
			('c5', 42, 'regency', 'Nobody', '', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
			('c6', 2, NULL, '山田太郎', '', NULL, NULL, NULL, NULL, NULL, NULL, NULL),
			('c7', 1, 'regency', 'Kitty', '', NULL, NULL, 'lots', NULL, NULL, NULL, NULL),
			(NULL, 1, 'regency', 'No id', '', NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
		`INSERT INTO conversations VALUES
			(1, 1, 'c1', 'Tea at Longbourn', '2023-07-01 08:00:00'),
			(2, 1, 'c3', 'A proposal', NULL),
			(3, 1, 'c99', 'Nobody', NULL),
			(4, 2, 'c1', 'Not his', NULL),
			(5, NULL, 'c6', 'こんにちは', NULL)`,
		`INSERT INTO messages VALUES
			(1, 1, 'user', 'Hello, Miss Bennet — ça va? 👋', '2023-07-01 08:00:01'),
			(2, 1, 'assistant', 'Très bien, merci.', '2023-07-01 08:00:02'),
			(3, 1, 'wizard', 'Abracadabra', NULL),
			(4, 1, 'user', '', NULL),
			(5, 2, 'user', 'Will you?', NULL),
			(6, 77, 'user', 'Anyone?', NULL),
			(7, '5', 'USER', 'おはよう', NULL),
			(8, 1, 'user', 'When?', 'yesterday')`,
	)
}

type fate struct {
	outcome sqliteimport.Outcome
	reason  string
}

var written = fate{outcome: sqliteimport.Written}

// messyFates is every row's fate in messyFile on a first import.
var messyFates = map[string]fate{
	"users 1":         written,
	"users 2":         written,
	"users 3":         {sqliteimport.Skipped, `duplicate username: "Alice" is taken by users row 1`},
	"users 4":         {sqliteimport.Skipped, `username: "zoë" is not 3 to 32`},
	"users 5":         {sqliteimport.Skipped, `email: "not-an-email" is not an email address`},
	"users 6":         {sqliteimport.Skipped, "password_hash: not a bcrypt or argon2id hash"},
	"users 7":         written,
	"users 8":         {sqliteimport.Skipped, `created_at: cannot read "last tuesday" as a time`},
	"documents 1":     written,
	"documents 2":     {sqliteimport.Skipped, "missing reference: user_id 99 is not in users"},
	"documents 3":     {sqliteimport.Skipped, "user_id 3: that user is skipped"},
	"documents 4":     {sqliteimport.Skipped, "content: is empty"},
	"documents 5":     written,
	"documents 6":     {sqliteimport.Skipped, `content_type: "xlsx" is not a format`},
	"characters c1":   written,
	"characters c2":   written,
	"characters c3":   {sqliteimport.Skipped, "invalid value: autonomyLevel: must be between 0 and 1, got 1.7"},
	"characters c4":   {sqliteimport.Skipped, "current_context: is not JSON"},
	"characters c5":   {sqliteimport.Skipped, "missing reference: user_id 42 is not in users"},
	"characters c6":   written,
	"characters c7":   {sqliteimport.Skipped, `social_energy: cannot read "lots" as a number`},
	"characters #8":   {sqliteimport.Skipped, "id: is empty"},
	"conversations 1": written,
	"conversations 2": {sqliteimport.Skipped, "character_id c3: that character is skipped"},
	"conversations 3": {sqliteimport.Skipped, "missing reference: character_id c99 is not in characters"},
	"conversations 4": {sqliteimport.Skipped, "character_id c1 belongs to another user than user_id 2"},
	"conversations 5": written,
	"messages 1":      written,
	"messages 2":      written,
	"messages 3":      {sqliteimport.Skipped, `role: "wizard" is not user`},
	"messages 4":      {sqliteimport.Skipped, "content: must be 1 to 20000 characters, has 0"},
	"messages 5":      {sqliteimport.Skipped, "conversation_id 2: that conversation is skipped"},
	"messages 6":      {sqliteimport.Skipped, "missing reference: conversation_id 77 is not in conversations"},
	"messages 7":      written,
	"messages 8":      {sqliteimport.Skipped, `created_at: cannot read "yesterday" as a time`},
	// Made from characters.ecosystem_id: one per user and old id.
	"ecosystems 1/regency": written,
	"ecosystems 2/":        written,
}

// checkFates compares every fate in rep with want, both ways.
func checkFates(t *testing.T, rep *sqliteimport.Report, want map[string]fate) {
	t.Helper()
	got := map[string]sqliteimport.Fate{}
	for _, f := range rep.Fates {
		k := f.Table + " " + f.OldID
		if _, dup := got[k]; dup {
			t.Errorf("%s has two fates", k)
		}
		got[k] = f
	}
	for k, w := range want {
		f, ok := got[k]
		if !ok {
			t.Errorf("%s: no fate", k)
			continue
		}
		if f.Outcome != w.outcome || !strings.Contains(f.Reason, w.reason) {
			t.Errorf("%s: %s (%s), want %s (%s)", k, f.Outcome, f.Reason, w.outcome, w.reason)
		}
	}
	for k, f := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected fate %s (%s)", k, f.Outcome, f.Reason)
		}
	}
}

func count(t *testing.T, pool *pgxpool.Pool, query string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// rowCounts counts what an import may write.
func rowCounts(t *testing.T, pool *pgxpool.Pool) map[string]int {
	out := map[string]int{}
	for _, tbl := range []string{"users", "documents", "document_contents", "ecosystems", "characters", "conversations",
		"conversation_participants", "messages", "sqlite_imports", "events"} {
		out[tbl] = count(t, pool, "SELECT count(*) FROM "+tbl)
	}
	return out
}

func run(t *testing.T, pool *pgxpool.Pool, file string, opt sqliteimport.Options) (*sqliteimport.Report, error) {
	t.Helper()
	if opt.Source == "" {
		opt.Source = "streamlit.db"
	}
	return sqliteimport.Run(t.Context(), pool, bus.NewLocal(), file, opt)
}

// TestImportEveryRowsFate: a first import writes the good rows with their values,
// reports every bad one with its reason, and a second import writes nothing.
func TestImportEveryRowsFate(t *testing.T) {
	t.Parallel()
	pool := testkit.DB(t)
	file := messyFile(t)
	var progress []int
	rep, err := run(t, pool, file, sqliteimport.Options{Progress: func(done, total int) {
		if total != 35 {
			t.Errorf("progress total %d, want 35 rows", total)
		}
		progress = append(progress, done)
	}})
	if err != nil {
		t.Fatal(err)
	}
	checkFates(t, rep, messyFates)
	if len(progress) == 0 || progress[len(progress)-1] != 35 {
		t.Errorf("progress %v does not end at 35", progress)
	}
	var out bytes.Buffer
	if err := rep.Print(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"users               8           3               0       5",
		"messages 3: role: \"wizard\"",
		"note: column users.last_login is not imported",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}

	// The values arrived.
	var (
		hash, ecoName, summary       string
		openness, extraversion, auto float64
		last, created                time.Time
		ctxJSON                      []byte
	)
	if err := pool.QueryRow(t.Context(), `SELECT password_hash FROM users WHERE username = 'alice'`).Scan(&hash); err != nil || !strings.HasPrefix(hash, "$2b$") {
		t.Errorf("alice's hash %q (%v): want her bcrypt hash kept", hash, err)
	}
	if err := pool.QueryRow(t.Context(), `
		SELECT e.name, c.memory_summary, c.openness, c.extraversion, c.autonomy_level, c.last_interaction, c.created_at, c.current_context
		FROM characters c JOIN ecosystems e ON e.id = c.ecosystem_id WHERE c.name = 'Élisabeth Bennét'`).Scan(
		&ecoName, &summary, &openness, &extraversion, &auto, &last, &created, &ctxJSON); err != nil {
		t.Fatal(err)
	}
	var cctx map[string]any
	_ = json.Unmarshal(ctxJSON, &cctx)
	if ecoName != "regency" || summary != "Refused Mr Collins." || openness != 0.8 || extraversion != 0.7 || auto != 0.6 ||
		!last.Equal(time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)) || !created.Equal(time.Date(2023, 6, 2, 10, 0, 0, 0, time.UTC)) ||
		cctx["mood"] != "wry" || cctx["personality_traits"] == nil {
		t.Errorf("Élisabeth: %s %q %v %v %v %v %v %v", ecoName, summary, openness, extraversion, auto, last, created, cctx)
	}
	if n := count(t, pool, `SELECT count(*) FROM characters c JOIN ecosystems e ON e.id = c.ecosystem_id
		WHERE c.name = '山田太郎' AND e.name = 'Imported characters'`); n != 1 {
		t.Errorf("山田太郎 in the default ecosystem: %d", n)
	}
	var seqs, senders string
	if err := pool.QueryRow(t.Context(), `SELECT string_agg(m.seq::text, ',' ORDER BY m.seq), string_agg(m.sender_kind, ',' ORDER BY m.seq)
		FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.title = 'Tea at Longbourn'`).Scan(&seqs, &senders); err != nil ||
		seqs != "1,2" || senders != "USER,CHARACTER" {
		t.Errorf("messages of tea: %q %q (%v)", seqs, senders, err)
	}
	if n := count(t, pool, `SELECT count(*) FROM document_contents WHERE text LIKE '%vérité universellement%'`); n != 1 {
		t.Errorf("document text stored %d times", n)
	}
	before := rowCounts(t, pool)
	if before["users"] != 3 || before["characters"] != 3 || before["messages"] != 3 || before["ecosystems"] != 2 {
		t.Errorf("after the first import: %v", before)
	}

	// A second run adds nothing and says so.
	again, err := run(t, pool, file, sqliteimport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := again.Print(&out); err != nil || !strings.Contains(out.String(), "nothing new to import: 13 rows were imported before from streamlit.db, 22 cannot be imported") {
		t.Errorf("second report (%v):\n%s", err, out.String())
	}
	for _, c := range again.Counts() {
		if c.Written != 0 {
			t.Errorf("second run wrote %d %s", c.Written, c.Table)
		}
	}
	second := map[string]fate{}
	for k, f := range messyFates {
		if strings.HasPrefix(k, "ecosystems ") {
			continue
		}
		if f.outcome == sqliteimport.Written {
			f.outcome = sqliteimport.Existing
		}
		second[k] = f
	}
	checkFates(t, again, second)
	if after := rowCounts(t, pool); !equal(before, after) {
		t.Errorf("second run changed counts: %v -> %v", before, after)
	}

	// The file grows: only its new rows are imported, numbered after the old ones.
	conn, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(`INSERT INTO messages VALUES (9, 1, 'assistant', 'And you?', '2023-07-01 08:00:03')`); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	third, err := run(t, pool, file, sqliteimport.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := third.Fate("messages", "9"); f.Outcome != sqliteimport.Written {
		t.Errorf("new message: %+v", f)
	}
	if n := count(t, pool, `SELECT max(seq) FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.title = 'Tea at Longbourn'`); n != 3 {
		t.Errorf("new message numbered %d, want 3", n)
	}
}

func equal(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// cleanFile has nothing wrong at all, except what rows says.
func cleanFile(t *testing.T, extra ...string) string {
	t.Helper()
	return build(t, oldSchema, append([]string{
		`INSERT INTO users VALUES (1, 'ada', 'ada@example.com', '` + bcryptHash(t, "ada-secret-12", "$2b$") + `', NULL, NULL)`,
		`INSERT INTO characters VALUES ('a', 1, 'eco', 'Ada', '', NULL, 0.5, 0.5, NULL, '', '{}', NULL)`,
		`INSERT INTO conversations VALUES (1, 1, 'a', 'Hi', NULL)`,
		`INSERT INTO messages VALUES (1, 1, 'user', 'Hello', NULL)`,
	}, extra...)...)
}

// TestImportWritesNothing: a dry run and a refused strict import leave the database as
// it was, whatever the file holds; a strict import of a clean file writes it all.
func TestImportWritesNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		file    func(t *testing.T) string
		opt     sqliteimport.Options
		refused bool
		written int
	}{
		{"dry run of a messy file", messyFile, sqliteimport.Options{DryRun: true}, false, 0},
		{"dry run, strict, of a clean file", func(t *testing.T) string { return cleanFile(t) }, sqliteimport.Options{DryRun: true, Strict: true}, false, 0},
		{"strict with rows bad as read", messyFile, sqliteimport.Options{Strict: true}, true, 0},
		// Read cleanly, refused by the character service's validation when written.
		{"strict with a row bad as written", func(t *testing.T) string {
			return cleanFile(t, `INSERT INTO characters VALUES ('b', 1, 'eco', 'Bad', '', NULL, 2, NULL, NULL, '', NULL, NULL)`)
		}, sqliteimport.Options{Strict: true}, true, 0},
		{"strict with a clean file", func(t *testing.T) string { return cleanFile(t) }, sqliteimport.Options{Strict: true}, false, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			pool := testkit.DB(t)
			empty := rowCounts(t, pool)
			rep, err := run(t, pool, tc.file(t), tc.opt)
			if tc.refused != errors.Is(err, sqliteimport.ErrStrict) || (!tc.refused && err != nil) {
				t.Fatalf("err = %v, refused want %v", err, tc.refused)
			}
			if rep == nil {
				t.Fatal("no report")
			}
			after := rowCounts(t, pool)
			if tc.written == 0 && !equal(empty, after) {
				t.Fatalf("wrote: %v -> %v", empty, after)
			}
			if tc.written > 0 && after["sqlite_imports"] != tc.written+1 { // + the ecosystem
				t.Fatalf("recorded %d imports, want %d", after["sqlite_imports"], tc.written+1)
			}
			if tc.opt.DryRun {
				var out bytes.Buffer
				_ = rep.Print(&out)
				if !strings.Contains(out.String(), "nothing was written") || !strings.Contains(out.String(), "would write") {
					t.Fatalf("dry-run report:\n%s", out.String())
				}
				if tc.file != nil && rep.Counts()[0].Written == 0 {
					t.Fatalf("dry run says it would write no users")
				}
			}
			if tc.refused && rep.Counts()[0].Written != 0 {
				t.Fatalf("refused import reports written rows: %+v", rep.Counts())
			}
		})
	}
}

// TestImportMappingAndConflicts: columns named otherwise are read through the mapping,
// and an account that exists in Ensemble already is not overwritten.
func TestImportMappingAndConflicts(t *testing.T) {
	t.Parallel()
	pool := testkit.DB(t)
	file := build(t, `
		CREATE TABLE users (uid INTEGER PRIMARY KEY, login TEXT, mail TEXT, pw TEXT);
		CREATE TABLE characters (id INTEGER PRIMARY KEY, owner INTEGER, name TEXT, autonomy TEXT);`,
		`INSERT INTO users VALUES (1, 'grace', 'grace@example.com', '`+bcryptHash(t, "grace-secret-1", "$2a$")+`'),
			(2, 'taken', 'taken@example.com', '`+bcryptHash(t, "x-password-x", "$2a$")+`')`,
		`INSERT INTO characters VALUES (1, 1, 'Hopper', '0.25'), (2, 2, 'Orphan', '0.5')`)
	if _, err := pool.Exec(t.Context(), `INSERT INTO users (username, email, password_hash) VALUES ('Taken', 'x@example.com', 'h')`); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, pool, file, sqliteimport.Options{}); err == nil || !strings.Contains(err.Error(), "table users has no column id") {
		t.Fatalf("without a mapping: %v", err)
	}
	m, err := sqliteimport.LoadMapping(strings.NewReader(`{
		"users": {"uid": "id", "login": "username", "mail": "email", "pw": "password_hash"},
		"characters": {"owner": "user_id", "autonomy": "autonomy_level"}}`))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := run(t, pool, file, sqliteimport.Options{Mapping: m})
	if err != nil {
		t.Fatal(err)
	}
	checkFates(t, rep, map[string]fate{
		"users 1":       written,
		"users 2":       {sqliteimport.Skipped, `duplicate username: an Ensemble account already has username "taken"`},
		"characters 1":  written,
		"characters 2":  {sqliteimport.Skipped, "user_id 2: that user is skipped"},
		"ecosystems 1/": written,
	})
	if n := count(t, pool, `SELECT count(*) FROM characters WHERE name = 'Hopper' AND autonomy_level = 0.25`); n != 1 {
		t.Errorf("Hopper imported %d times with autonomy 0.25", n)
	}
	for _, bad := range []string{`{"chats": {}}`, `{"users": {"x": "nonsense"}}`, `[1]`} {
		if _, err := sqliteimport.LoadMapping(strings.NewReader(bad)); err == nil {
			t.Errorf("mapping %s accepted", bad)
		}
	}
}

// TestBar: the bar moves, is redrawn only when it does, and its line ends once.
func TestBar(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	bar, done := sqliteimport.Bar(&out)
	for i := 0; i <= 60; i++ {
		bar(i, 60)
	}
	bar(60, 60)
	done()
	done()
	s := out.String()
	if !strings.HasPrefix(s, "\rimporting [") || !strings.HasSuffix(s, "] 60/60 rows\n") || strings.Count(s, "\n") != 1 || strings.Count(s, "\r") != 32 {
		t.Fatalf("bar: %q", s)
	}
	out.Reset()
	_, done = sqliteimport.Bar(&out)
	done()
	if out.Len() != 0 {
		t.Fatalf("a bar never drawn ended a line: %q", out.String())
	}
}
