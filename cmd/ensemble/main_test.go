package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/testkit"
	"github.com/literaryai/ensemble/migrations"
)

// binary is the ensemble command built once for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ensemble-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "ensemble")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build ensemble:", err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	testkit.Main(m, func() { _ = os.RemoveAll(dir) })
}

// run runs the binary with exactly env (plus PATH) and returns its combined output.
func run(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), binary, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	cmd.Dir = t.TempDir()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// dataDir is a directory the unprivileged postgres user can reach (t.TempDir's parent
// is private to root).
func dataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ensemble-data-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestConfigurationErrors(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"production without a secret", []string{"ENSEMBLE_ENV=production"}, "SECRET_KEY: required in production"},
		{"short secret", []string{"ENSEMBLE_ENV=production", "SECRET_KEY=too-short"}, "SECRET_KEY: expected at least 32 bytes"},
		{"short previous secret", []string{"SECRET_KEY_PREVIOUS=too-short"}, "SECRET_KEY_PREVIOUS: key 1 of 1: expected at least 32 bytes, got 9"},
		{"malformed number", []string{"ACCESS_TOKEN_EXPIRE_MINUTES=thirty"}, "ACCESS_TOKEN_EXPIRE_MINUTES: expected a whole number"},
		{"malformed bool", []string{"DEBUG=maybe"}, "DEBUG: expected true or false"},
		{"unknown environment", []string{"ENSEMBLE_ENV=staging"}, "ENSEMBLE_ENV: expected development or production"},
		{"no database and no binaries", []string{"PG_BINDIR=/nonexistent", "ENSEMBLE_DATA_DIR=" + dataDir(t)}, "apt-get install postgresql"},
		{"pinecone half configured", []string{"PINECONE_API_KEY=k"}, "PINECONE_API_KEY and PINECONE_INDEX: set both"},
		{"embeddings endpoint without a model", []string{"EMBEDDINGS_BASE_URL=http://127.0.0.1:1/v1"}, "EMBEDDINGS_MODEL: required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := run(t, tc.env, "serve")
			if err == nil {
				t.Fatalf("serve started: %s", out)
			}
			if !strings.Contains(out, tc.want) {
				t.Fatalf("output does not say %q:\n%s", tc.want, out)
			}
		})
	}
}

func TestMigrateCommands(t *testing.T) {
	env := []string{"DATABASE_URL=" + testkit.DatabaseURL(t)}
	files, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations: %v", err)
	}
	last := files[len(files)-1]
	version := strings.SplitN(last, "_", 2)[0]
	steps := []struct {
		args []string
		want *regexp.Regexp
	}{
		{[]string{"migrate", "status"}, regexp.MustCompile(`(?m)^applied\s+` + version + ` ` + regexp.QuoteMeta(last) + `$`)},
		{[]string{"migrate", "down"}, regexp.MustCompile(`rolled back 1 migration`)},
		{[]string{"migrate", "status"}, regexp.MustCompile(`(?m)^pending\s+` + version + ` ` + regexp.QuoteMeta(last) + `$`)},
		{[]string{"migrate", "up"}, regexp.MustCompile(`applied 1 migration`)},
		{[]string{"migrate", "up"}, regexp.MustCompile(`applied 0 migration`)},
	}
	for _, s := range steps {
		out, err := run(t, env, s.args...)
		if err != nil || !s.want.MatchString(out) {
			t.Fatalf("%v: %v\n%s", s.args, err, out)
		}
	}
	if out, err := run(t, env, "migrate", "sideways"); err == nil || !strings.Contains(out, "use up, down or status") {
		t.Fatalf("unknown action accepted: %s", out)
	}
	if out, err := run(t, env, "reindex", "graph"); err == nil || !strings.Contains(out, "NEO4J_URI is not set") {
		t.Fatalf("reindex graph without Neo4j: %v %s", err, out)
	}
	if out, err := run(t, append(env, "NEO4J_URI=bolt://127.0.0.1:1"), "reindex", "graph"); err == nil || !strings.Contains(out, "NEO4J_URI bolt://127.0.0.1:1") {
		t.Fatalf("reindex graph with Neo4j down: %v %s", err, out)
	}
}

// TestServeWithNoConfiguration is the newcomer's path: no DATABASE_URL, no SECRET_KEY,
// running as whoever runs the tests (root here, so PostgreSQL must run as postgres).
func TestServeWithNoConfiguration(t *testing.T) {
	dir := dataDir(t)
	cmd := exec.Command(binary, "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "ADDR=127.0.0.1:0", "ENSEMBLE_DATA_DIR=" + dir}
	cmd.Dir = t.TempDir()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	var log strings.Builder
	addr := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`msg="ensemble is serving" addr=(\S+)`)
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case <-time.After(90 * time.Second):
		t.Fatal("server did not start")
	case <-done:
		t.Fatalf("server exited:\n%s", log.String())
	}

	var health struct {
		Status       string
		Dependencies map[string]struct{ Status, Backend string }
	}
	getJSON(t, base+"/health/detailed", &health)
	if health.Status != "ok" || health.Dependencies["postgres"].Backend != "embedded" || health.Dependencies["postgres"].Status != "up" {
		t.Fatalf("health = %+v", health)
	}
	body := `{"query":"mutation { register(input: {username: \"newcomer\", email: \"new@example.com\", password: \"first-steps-1\"}) { accessToken user { username } } }"}`
	resp, err := http.Post(base+"/graphql", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if !strings.Contains(string(raw), `"username":"newcomer"`) {
		t.Fatalf("register: %s", raw)
	}
	if _, err := os.Stat(filepath.Join(dir, "secret_key")); err != nil {
		t.Fatalf("development secret not kept: %v", err)
	}
	var reg struct {
		Data struct{ Register struct{ AccessToken string } }
	}
	if err := json.Unmarshal(raw, &reg); err != nil {
		t.Fatal(err)
	}

	// An upload is half sent when SIGTERM arrives: the server stops accepting but lets
	// it finish before it exits.
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	head, rest := slowUpload(reg.Data.Register.AccessToken)
	if _, err := conn.Write(head); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if _, err := http.Get(base + "/health"); err == nil {
		t.Fatal("still accepting new connections after SIGTERM")
	}
	if _, err := conn.Write(rest); err != nil {
		t.Fatal(err)
	}
	resp, err = http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("in-flight request cut off by shutdown: %v", err)
	}
	raw, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(raw), `"title":"drain"`) {
		t.Fatalf("in-flight upload: %d %s", resp.StatusCode, raw)
	}
	<-done
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, log.String())
	}
	for _, want := range []string{"shutting down", "stopped"} {
		if !strings.Contains(log.String(), want) {
			t.Fatalf("log lacks %q:\n%s", want, log.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "postgres", "pgdata", "postmaster.pid")); !os.IsNotExist(err) {
		t.Fatalf("embedded PostgreSQL still running after shutdown (postmaster.pid: %v)", err)
	}
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func TestUserSetRole(t *testing.T) {
	url := testkit.DatabaseURL(t)
	env := []string{"DATABASE_URL=" + url}
	dbPool, err := db.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer dbPool.Close()
	if _, err := dbPool.Exec(t.Context(), `INSERT INTO users (username, email, password_hash) VALUES ('fanny', 'fanny@example.com', 'x')`); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args   []string
		ok     bool
		want   string
		stored string
	}{
		{[]string{"user", "set-role", "Fanny@example.com", "ADMIN"}, true, "is now ADMIN", "ADMIN"},
		{[]string{"user", "set-role", "fanny", "USER"}, true, "is now USER", "USER"},
		{[]string{"user", "set-role", "fanny", "ROOT"}, false, "use USER or ADMIN", "USER"},
		{[]string{"user", "set-role", "nobody", "ADMIN"}, false, "not found", "USER"},
	}
	for _, tc := range tests {
		out, err := run(t, env, tc.args...)
		if (err == nil) != tc.ok || !strings.Contains(out, tc.want) {
			t.Fatalf("%v: %v\n%s", tc.args, err, out)
		}
		var role string
		if err := dbPool.QueryRow(t.Context(), `SELECT role FROM users WHERE username = 'fanny'`).Scan(&role); err != nil || role != tc.stored {
			t.Fatalf("%v: role %q %v", tc.args, role, err)
		}
	}
}

// slowUpload is an HTTP upload request split in two: the head and half the body, then
// the rest.
func slowUpload(token string) ([]byte, []byte) {
	const boundary = "ensemble-boundary"
	body := "--" + boundary + "\r\n" +
		"Content-Disposition: form-data; name=\"operations\"\r\n\r\n" +
		`{"query":"mutation($file: Upload!) { uploadDocument(file: $file) { title } }","variables":{"file":null}}` + "\r\n" +
		"--" + boundary + "\r\n" +
		"Content-Disposition: form-data; name=\"map\"\r\n\r\n" +
		`{"0":["variables.file"]}` + "\r\n" +
		"--" + boundary + "\r\n" +
		"Content-Disposition: form-data; name=\"0\"; filename=\"drain.txt\"\r\n" +
		"Content-Type: text/plain\r\n\r\n" +
		strings.Repeat("It is a truth universally acknowledged. ", 100) + "\r\n" +
		"--" + boundary + "--\r\n"
	head := "POST /graphql HTTP/1.1\r\nHost: localhost\r\n" +
		"Authorization: Bearer " + token + "\r\n" +
		"Apollo-Require-Preflight: true\r\n" +
		"Content-Type: multipart/form-data; boundary=" + boundary + "\r\n" +
		fmt.Sprintf("Content-Length: %d\r\n", len(body)) +
		"Connection: close\r\n\r\n"
	half := len(body) / 2
	return []byte(head + body[:half]), []byte(body[half:])
}

func TestReindexVectors(t *testing.T) {
	url := testkit.DatabaseURL(t)
	pool, err := db.Open(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(t.Context(), `WITH u AS (INSERT INTO users (username, email, password_hash) VALUES ('old', 'old@example.com', 'x') RETURNING id),
		e AS (INSERT INTO ecosystems (owner_id, name) SELECT id, 'e' FROM u RETURNING id),
		c AS (INSERT INTO characters (ecosystem_id, name) SELECT id, 'c' FROM e RETURNING id, ecosystem_id)
		INSERT INTO memories (character_id, ecosystem_id, content, type, importance, embedding, embedding_model)
		SELECT c.id, c.ecosystem_id, 'remembered long ago', 'FACT', 0.5, '\x0000803f'::bytea, 'old-model' FROM c, generate_series(1, 300)`); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, []string{"DATABASE_URL=" + url, "SECRET_KEY=" + testkit.Secret}, "reindex", "vectors")
	if err != nil || !strings.Contains(out, "re-embedded 300 memories with offline-hash-v1-256") {
		t.Fatalf("reindex vectors: %v\n%s", err, out)
	}
	var stale int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM memories WHERE embedding_model <> 'offline-hash-v1-256' OR octet_length(embedding) <> 1024`).Scan(&stale); err != nil || stale != 0 {
		t.Fatalf("%d memories still stale: %v", stale, err)
	}
}
