package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/literaryai/ensemble/internal/testkit"
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
		os.Exit(1)
	}
	testkit.Main(m)
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
		{"malformed number", []string{"ACCESS_TOKEN_EXPIRE_MINUTES=thirty"}, "ACCESS_TOKEN_EXPIRE_MINUTES: expected a whole number"},
		{"malformed bool", []string{"DEBUG=maybe"}, "DEBUG: expected true or false"},
		{"unknown environment", []string{"ENSEMBLE_ENV=staging"}, "ENSEMBLE_ENV: expected development or production"},
		{"no database and no binaries", []string{"PG_BINDIR=/nonexistent", "ENSEMBLE_DATA_DIR=" + dataDir(t)}, "apt-get install postgresql"},
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
	steps := []struct {
		args []string
		want *regexp.Regexp
	}{
		{[]string{"migrate", "status"}, regexp.MustCompile(`(?m)^applied\s+00003 00003_documents.sql$`)},
		{[]string{"migrate", "down"}, regexp.MustCompile(`rolled back 1 migration`)},
		{[]string{"migrate", "status"}, regexp.MustCompile(`(?m)^pending\s+00003 00003_documents.sql$`)},
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
	body := `{"query":"mutation { register(input: {username: \"newcomer\", email: \"new@example.com\", password: \"first-steps-1\"}) { user { username } } }"}`
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

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
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
