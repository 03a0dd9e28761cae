package pgserver

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// testDataDir returns a data directory the server account can reach. t.TempDir is NOT
// usable as root: the testing package creates its per-test parent with mode 0700, which
// the postgres user cannot traverse (TestUnreachableDataDir relies on exactly that).
// os.MkdirTemp under /tmp is 0700 itself, which Start fixes because it is the data
// directory, not a parent.
func testDataDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pgserver-test-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

// startServer starts a server and registers its Stop.
func startServer(t *testing.T, dataDir string) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s, err := Start(ctx, Options{DataDir: dataDir})
	if errors.Is(err, ErrNoBinaries) {
		t.Skipf("no PostgreSQL binaries on this machine: %v", err)
	}
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Stop(context.Background()); err != nil {
			t.Errorf("Stop in cleanup: %v", err)
		}
	})
	return s
}

func connect(t *testing.T, s *Server, database string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL(database))
	if err != nil {
		t.Fatalf("connect to %s: %v", database, err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// postmasterPID reads the first line of pgdata/postmaster.pid.
func postmasterPID(t *testing.T, s *Server) int {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(s.pgData, "postmaster.pid"))
	if err != nil {
		t.Fatalf("read postmaster.pid: %v", err)
	}
	first, _, _ := strings.Cut(string(raw), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		t.Fatalf("parse postmaster.pid: %v", err)
	}
	return pid
}

// procStatus returns the fields of /proc/PID/status, or nil when the process is gone.
func procStatus(pid int) map[string]string {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return nil
	}
	fields := map[string]string{}
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			fields[k] = strings.TrimSpace(v)
		}
	}
	return fields
}

// alive reports whether pid runs; a zombie waiting for its (reparented) parent to reap it
// has exited and does not count.
func alive(pid int) bool {
	st := procStatus(pid)
	return st != nil && !strings.HasPrefix(st["State"], "Z")
}

// serverProcesses lists the postmaster and its children.
func serverProcesses(t *testing.T, postmaster int) []int {
	t.Helper()
	pids := []int{postmaster}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatalf("read /proc: %v", err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st := procStatus(pid); st != nil && st["PPid"] == strconv.Itoa(postmaster) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func TestServerLifecycle(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("needs /proc")
	}
	dir := testDataDir(t)
	s := startServer(t, dir)
	ctx := context.Background()

	conn := connect(t, s, "ensemble")
	var currentUser, version string
	if err := conn.QueryRow(ctx, "SELECT current_user, version()").Scan(&currentUser, &version); err != nil {
		t.Fatalf("query: %v", err)
	}
	if currentUser != "ensemble" {
		t.Errorf("current_user = %q, want ensemble", currentUser)
	}
	if s.Version() == "" || !strings.Contains(version, "PostgreSQL "+s.Version()) {
		t.Errorf("Version() = %q, server says %q", s.Version(), version)
	}
	if want, _ := filepath.EvalSymlinks(dir); s.DataDir() != want {
		t.Errorf("DataDir() = %q, want %q", s.DataDir(), want)
	}
	if !strings.HasPrefix(s.URL("x"), "postgres://ensemble:") || !strings.HasSuffix(s.URL("x"), "/x?sslmode=disable") {
		t.Errorf("URL = %q", s.URL("x"))
	}

	// The server must run as the unprivileged account, with the files it needs.
	wantUID := os.Getuid()
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("lookup postgres: %v", err)
		}
		wantUID, _ = strconv.Atoi(u.Uid)
	}
	pid := postmasterPID(t, s)
	uids := strings.Fields(procStatus(pid)["Uid"])
	if len(uids) == 0 || uids[0] != strconv.Itoa(wantUID) || uids[1] != strconv.Itoa(wantUID) {
		t.Errorf("postmaster %d runs with Uid %v, want %d", pid, uids, wantUID)
	}
	fi, err := os.Stat(filepath.Join(dir, "password"))
	if err != nil {
		t.Fatalf("password file: %v", err)
	}
	if fi.Mode().Perm() != 0o600 || fi.Sys().(*syscall.Stat_t).Uid != uint32(wantUID) {
		t.Errorf("password file mode %v uid %d, want 0600 uid %d", fi.Mode().Perm(), fi.Sys().(*syscall.Stat_t).Uid, wantUID)
	}
	if _, err := os.Stat(filepath.Join(dir, "initdb-pwfile")); !os.IsNotExist(err) {
		t.Errorf("initdb pwfile left behind (stat err %v)", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "postgres.log")); err != nil {
		t.Errorf("server log: %v", err)
	}

	if _, err := conn.Exec(ctx, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('survives restart')"); err != nil {
		t.Fatalf("create table: %v", err)
	}
	_ = conn.Close(ctx)

	procs := serverProcesses(t, pid)
	if len(procs) < 2 {
		t.Errorf("expected the postmaster to have children, found %v", procs)
	}
	if err := s.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	for _, p := range procs {
		if alive(p) {
			t.Errorf("server process %d still running after Stop", p)
		}
	}
	if err := s.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}

	s2 := startServer(t, dir)
	var v string
	if err := connect(t, s2, "ensemble").QueryRow(ctx, "SELECT v FROM kept").Scan(&v); err != nil {
		t.Fatalf("table after restart: %v", err)
	}
	if v != "survives restart" {
		t.Errorf("row after restart = %q", v)
	}
}

func TestStartRefusesDataDirInUse(t *testing.T) {
	dir := testDataDir(t)
	s := startServer(t, dir)
	_, err := Start(context.Background(), Options{DataDir: dir})
	if err == nil || !strings.Contains(err.Error(), "already in use") {
		t.Fatalf("second Start on a busy data dir: err = %v, want 'already in use'", err)
	}
	// The refused Start must not have disturbed the running server.
	if err := connect(t, s, "ensemble").Ping(context.Background()); err != nil {
		t.Errorf("first server after refused Start: %v", err)
	}
}

func TestStartFailureShowsLog(t *testing.T) {
	// Hold a port so the server cannot bind it; with a fixed port there is no retry.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	port := l.Addr().(*net.TCPAddr).Port

	_, err = Start(context.Background(), Options{DataDir: testDataDir(t), Port: port})
	if errors.Is(err, ErrNoBinaries) {
		t.Skip("no PostgreSQL installed")
	}
	if err == nil {
		t.Fatal("Start on a taken port succeeded")
	}
	for _, want := range []string{"pg_ctl start", "postgres.log", "could not bind"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
	t.Logf("the error a user sees:\n%v", err)
}

// TestStartRecovers covers the two ways a crash leaves state behind: a postmaster.pid
// naming a dead process, and a server still running after its owner died.
func TestStartRecovers(t *testing.T) {
	tests := []struct {
		name  string
		crash func(t *testing.T, s *Server)
	}{
		{
			name: "stale postmaster.pid",
			crash: func(t *testing.T, s *Server) {
				pidFile := filepath.Join(s.pgData, "postmaster.pid")
				saved, err := os.ReadFile(pidFile)
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Stop(context.Background()); err != nil {
					t.Fatal(err)
				}
				// A process we started and reaped: its pid is certainly dead.
				dead := exec.Command("true")
				if err := dead.Run(); err != nil {
					t.Fatal(err)
				}
				lines := strings.SplitN(string(saved), "\n", 2)
				lines[0] = strconv.Itoa(dead.Process.Pid)
				if err := os.WriteFile(pidFile, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := s.acct.chown(pidFile); err != nil {
					t.Fatal(err)
				}
			},
		},
		{
			name: "owner died, server still running",
			crash: func(t *testing.T, s *Server) {
				// Exactly what process death does: the flock goes, the server stays.
				_ = s.lock.Close()
				s.mu.Lock()
				s.stopped = true
				s.mu.Unlock()
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testDataDir(t)
			s := startServer(t, dir)
			if _, err := connect(t, s, "ensemble").Exec(context.Background(), "CREATE TABLE kept (v int)"); err != nil {
				t.Fatal(err)
			}
			oldPID := postmasterPID(t, s)
			tt.crash(t, s)

			s2 := startServer(t, dir)
			if _, err := connect(t, s2, "ensemble").Exec(context.Background(), "INSERT INTO kept VALUES (1)"); err != nil {
				t.Errorf("data after recovery: %v", err)
			}
			if alive(oldPID) && postmasterPID(t, s2) != oldPID {
				t.Errorf("old postmaster %d still running next to the new one", oldPID)
			}
		})
	}
}

func TestUnreachableDataDir(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root switches to the postgres user")
	}
	if _, err := user.Lookup("postgres"); err != nil {
		t.Skip("no postgres user")
	}
	private, err := os.MkdirTemp("", "pgserver-private-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(private) })
	if err := os.Chmod(private, 0o700); err != nil {
		t.Fatal(err)
	}
	tempDir := t.TempDir()

	tests := []struct {
		name    string
		dataDir string
		parent  string // the directory the error must name
	}{
		{"t.TempDir (its parent is 0700)", tempDir, filepath.Dir(tempDir)},
		{"missing dirs under a 0700 parent", filepath.Join(private, "a", "b"), private},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Start(context.Background(), Options{DataDir: tt.dataDir})
			if err == nil {
				t.Fatal("Start succeeded, want an unreachable data directory error")
			}
			for _, want := range []string{"not reachable", tt.parent, "ENSEMBLE_DATA_DIR"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not mention %q", err, want)
				}
			}
		})
	}
	// Failing early means nothing was created on the way.
	if _, err := os.Stat(filepath.Join(private, "a")); !os.IsNotExist(err) {
		t.Errorf("Start created directories before failing (stat err %v)", err)
	}
}

// fakeBinDir makes dir holding executable stand-ins for the given binaries.
func fakeBinDir(t *testing.T, dir string, names ...string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestSearchFind(t *testing.T) {
	root := t.TempDir()
	all := []string{"initdb", "pg_ctl", "postgres"}
	explicit := fakeBinDir(t, filepath.Join(root, "explicit"), all...)
	empty := fakeBinDir(t, filepath.Join(root, "empty"))
	clientOnly := fakeBinDir(t, filepath.Join(root, "client"), "pg_ctl", "psql")
	fromConfig := fakeBinDir(t, filepath.Join(root, "config"), all...)
	v96 := fakeBinDir(t, filepath.Join(root, "lib", "9.6", "bin"), all...)
	v10 := fakeBinDir(t, filepath.Join(root, "lib", "10", "bin"), all...)
	fakeBinDir(t, filepath.Join(root, "lib", "16", "bin"), "initdb", "pg_ctl") // incomplete
	onPath := fakeBinDir(t, filepath.Join(root, "onpath"), all...)
	real := fakeBinDir(t, filepath.Join(root, "real"), all...)
	links := fakeBinDir(t, filepath.Join(root, "links"))
	if err := os.Symlink(filepath.Join(real, "initdb"), filepath.Join(links, "initdb")); err != nil {
		t.Fatal(err)
	}
	libGlob := filepath.Join(root, "lib", "*", "bin")
	pathTo := func(dir string) func(string) (string, error) {
		return func(name string) (string, error) { return filepath.Join(dir, name), nil }
	}
	noPath := func(string) (string, error) { return "", exec.ErrNotFound }
	config := func(dir string) func() string { return func() string { return dir } }

	tests := []struct {
		name    string
		search  search
		want    string
		wantErr bool
	}{
		{"PG_BINDIR wins", search{pgBinDir: explicit, pgConfigBinDir: config(fromConfig), patterns: []string{libGlob}, lookPath: pathTo(onPath)}, explicit, false},
		{"PG_BINDIR without binaries is an error, no fallback", search{pgBinDir: empty, pgConfigBinDir: config(fromConfig), lookPath: pathTo(onPath)}, "", true},
		{"pg_config before patterns", search{pgConfigBinDir: config(fromConfig), patterns: []string{libGlob}}, fromConfig, false},
		{"pg_config dir without initdb is skipped", search{pgConfigBinDir: config(clientOnly), patterns: []string{libGlob}}, v10, false},
		{"highest complete version, compared numerically", search{patterns: []string{libGlob}}, v10, false},
		{"patterns in order", search{patterns: []string{filepath.Join(root, "lib", "9.6", "bin"), libGlob}}, v96, false},
		{"PATH last", search{patterns: []string{filepath.Join(root, "nowhere", "*")}, lookPath: pathTo(onPath)}, onPath, false},
		{"PATH symlink leads to the real dir", search{lookPath: pathTo(links)}, real, false},
		{"nothing anywhere", search{pgConfigBinDir: config(""), patterns: []string{empty, clientOnly}, lookPath: noPath}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.search.find()
			if tt.wantErr {
				if !errors.Is(err, ErrNoBinaries) {
					t.Fatalf("err = %v, want ErrNoBinaries", err)
				}
				for _, hint := range []string{"apt-get install postgresql", "brew install postgresql", "DATABASE_URL"} {
					if !strings.Contains(err.Error(), hint) {
						t.Errorf("error %q lacks the hint %q", err, hint)
					}
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("find() = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestFindBinariesEnvironment(t *testing.T) {
	t.Run("PG_BINDIR empty, PATH empty", func(t *testing.T) {
		t.Setenv("PG_BINDIR", t.TempDir())
		t.Setenv("PATH", "")
		_, err := FindBinaries()
		if !errors.Is(err, ErrNoBinaries) {
			t.Fatalf("err = %v, want ErrNoBinaries", err)
		}
	})
	t.Run("this machine", func(t *testing.T) {
		dir, err := FindBinaries()
		if errors.Is(err, ErrNoBinaries) {
			t.Skip("no PostgreSQL installed")
		}
		if err != nil || !hasBinaries(dir) {
			t.Fatalf("FindBinaries() = %q, %v", dir, err)
		}
	})
}

func TestSortByVersionDesc(t *testing.T) {
	got := []string{
		"/usr/lib/postgresql/9.6/bin",
		"/usr/lib/postgresql/16/bin",
		"/usr/lib/postgresql/10/bin",
		"/opt/homebrew/opt/postgresql@14/bin",
		"/usr/lib/postgresql/9.5/bin",
	}
	sortByVersionDesc(got)
	want := []string{
		"/usr/lib/postgresql/16/bin",
		"/opt/homebrew/opt/postgresql@14/bin",
		"/usr/lib/postgresql/10/bin",
		"/usr/lib/postgresql/9.6/bin",
		"/usr/lib/postgresql/9.5/bin",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sorted = %v, want %v", got, want)
	}
}

func TestVersionParsing(t *testing.T) {
	tests := []struct {
		output, version, major string
	}{
		{"postgres (PostgreSQL) 15.19 (Debian 15.19-1.pgdg120+1)", "15.19", "15"},
		{"postgres (PostgreSQL) 16.4 (Homebrew)", "16.4", "16"},
		{"postgres (PostgreSQL) 17beta1", "17", "17"},
		{"postgres (PostgreSQL) 9.6.24", "9.6.24", "9.6"},
	}
	for _, tt := range tests {
		m := postgresVersion.FindStringSubmatch(tt.output)
		if m == nil || m[1] != tt.version {
			t.Errorf("version in %q = %v, want %q", tt.output, m, tt.version)
			continue
		}
		if got := majorVersion(m[1]); got != tt.major {
			t.Errorf("majorVersion(%q) = %q, want %q", m[1], got, tt.major)
		}
	}
}
