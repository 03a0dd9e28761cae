// Package pgserver runs a private PostgreSQL server from the PostgreSQL binaries installed
// on the machine. `ensemble serve` uses it when DATABASE_URL is not set, and the test
// harness when no database is reachable, so that a bare machine needs nothing but a
// PostgreSQL package.
//
// It drives initdb and pg_ctl directly instead of using an embedded-postgres library
// because those cannot run the server as another user, and PostgreSQL refuses to run as
// root, which is how ensemble often runs in containers.
package pgserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const (
	// superuser is the role initdb creates; a fixed name keeps URLs predictable.
	superuser = "ensemble"
	// appDatabase is created after every start so callers can connect to it at once.
	appDatabase = "ensemble"
	// clusterSubdir keeps the cluster apart from the other files in DataDir (password,
	// log, lock), and from whatever else the caller keeps there.
	clusterSubdir = "pgdata"
	// initSubdir is where initdb builds a new cluster; it is renamed to clusterSubdir only
	// once complete, so an interrupted first start never leaves a half-made cluster.
	initSubdir = "pgdata.init"
	// passwordFile holds the superuser password so later starts can connect.
	passwordFile = "password"
	// logFile receives the server's output (pg_ctl -l).
	logFile = "postgres.log"
	// lockFile is flock-ed for the Server's lifetime, so two processes never drive one
	// cluster, and a running cluster whose owner died can be told apart from one in use.
	lockFile = "lock"
	// startTimeout bounds pg_ctl start -w and stop -w; crash recovery can take a while.
	startTimeout = 60
	// portAttempts bounds retries when a freshly picked free port was taken in between.
	portAttempts = 3
)

// Options configures Start.
type Options struct {
	// DataDir is required. The cluster lives in DataDir/pgdata, next to the password,
	// the server log and a lock file. DataDir is created if missing.
	DataDir string
	// BinDir holds initdb, pg_ctl and postgres. Empty means FindBinaries().
	BinDir string
	// Port is the TCP port on 127.0.0.1. Zero picks a free port at each start, so
	// several servers (parallel test processes) never collide.
	Port int
	// Logger receives lifecycle messages. Nil discards them.
	Logger *slog.Logger
}

// Server is a running private PostgreSQL server. Its methods are safe for concurrent use.
type Server struct {
	dataDir  string
	pgData   string
	binDir   string
	acct     *account
	logger   *slog.Logger
	version  string
	port     int
	password string

	mu      sync.Mutex
	lock    *os.File // DataDir/lock, flock-ed until Stop
	stopped bool
}

// Start initialises the cluster on first use, starts the server on 127.0.0.1 and makes
// sure the database "ensemble" exists. When the process runs as root, every PostgreSQL
// program runs as the unprivileged "postgres" user. A server left running by a process
// that died without Stop is stopped and restarted; a DataDir in use by a live Server (in
// this or another process) is an error.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.DataDir == "" {
		return nil, errors.New("start postgres: Options.DataDir is required")
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	binDir := opts.BinDir
	if binDir == "" {
		dir, err := FindBinaries()
		if err != nil {
			return nil, fmt.Errorf("start postgres: %w", err)
		}
		binDir = dir
	} else if err := checkBinDir(binDir); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	acct, err := serverAccount()
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	dataDir, err := acct.prepareDataDir(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	s := &Server{
		dataDir: dataDir,
		pgData:  filepath.Join(dataDir, clusterSubdir),
		binDir:  binDir,
		acct:    acct,
		logger:  logger.With("component", "pgserver", "data_dir", dataDir),
	}
	if err := s.acquireLock(); err != nil {
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	if err := s.start(ctx, opts.Port); err != nil {
		_ = s.lock.Close()
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	return s, nil
}

// start runs every step after the data directory is locked.
func (s *Server) start(ctx context.Context, fixedPort int) error {
	version, err := s.serverVersion(ctx)
	if err != nil {
		return err
	}
	s.version = version
	if err := s.ensureCluster(ctx); err != nil {
		return err
	}
	pw, err := os.ReadFile(filepath.Join(s.dataDir, passwordFile))
	if err != nil {
		return fmt.Errorf("read superuser password: %w", err)
	}
	s.password = strings.TrimSpace(string(pw))

	// We hold the lock, so no live Server uses this cluster: if it runs anyway, its
	// owner died without Stop. Restarting it is the only way to learn its port and
	// have it owned again.
	if running, err := s.running(ctx); err != nil {
		return err
	} else if running {
		s.logger.Warn("stopping a PostgreSQL server left running by a process that exited without stopping it")
		if out, err := s.stopCluster(ctx); err != nil {
			return fmt.Errorf("stop leftover server: %w: %s", err, out)
		}
	}
	if err := s.launch(ctx, fixedPort); err != nil {
		return err
	}
	if err := s.ensureDatabase(ctx); err != nil {
		s.stopQuietly()
		return err
	}
	s.logger.Info("PostgreSQL started", "version", s.version, "port", s.port, "user", s.acct.name)
	return nil
}

// URL returns a connection URL for database on this server, authenticating as the
// cluster's superuser.
func (s *Server) URL(database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(superuser, s.password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Version returns the server version, e.g. "15.19", as printed by `postgres --version`.
func (s *Server) Version() string { return s.version }

// DataDir returns the absolute, symlink-free data directory (Options.DataDir).
func (s *Server) DataDir() string { return s.dataDir }

// Stop shuts the server down (pg_ctl stop -m fast -w) and waits until every server process
// has exited. Calling it again, or on a server that already died, returns nil.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	out, err := s.stopCluster(ctx)
	if err != nil {
		// pg_ctl also fails when the server is already gone (crashed, or killed);
		// that is the state Stop wants, so only a still running server is an error.
		// Any other failure (a postmaster slow to exit, a cancelled context) is one.
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return fmt.Errorf("stop postgres: %w", err)
		}
		if running, serr := s.running(ctx); serr != nil || running {
			return fmt.Errorf("stop postgres: %w: %s", err, out)
		}
	}
	s.stopped = true
	if err := s.lock.Close(); err != nil {
		return fmt.Errorf("stop postgres: release lock: %w", err)
	}
	s.logger.Info("PostgreSQL stopped")
	return nil
}

// acquireLock takes DataDir/lock without waiting. The descriptor is close-on-exec (as every
// file Go opens), so pg_ctl and the postmaster never inherit it: the lock lives exactly as
// long as this process keeps the Server, and a crash releases it.
func (s *Server) acquireLock() error {
	path := filepath.Join(s.dataDir, lockFile)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := io.ReadAll(io.LimitReader(f, 64))
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return fmt.Errorf("PostgreSQL data directory %s is already in use by another running server "+
				"(process %s holds %s); stop it first or use another data directory",
				s.dataDir, strings.TrimSpace(string(holder)), path)
		}
		return fmt.Errorf("lock %s: %w", path, err)
	}
	// The pid is only informational, for the error above.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	s.lock = f
	return nil
}

// postgresVersion matches the version in "postgres (PostgreSQL) 15.19 (Debian 15.19-1)".
var postgresVersion = regexp.MustCompile(`\(PostgreSQL\)\s+(\d+(?:\.\d+)*)`)

// serverVersion runs `postgres --version` as the server account, which also proves early
// that the account can execute the binaries.
func (s *Server) serverVersion(ctx context.Context) (string, error) {
	out, err := s.run(ctx, "postgres", "--version")
	if err != nil {
		return "", fmt.Errorf("run %s --version as user %s: %w: %s", filepath.Join(s.binDir, "postgres"), s.acct.name, err, out)
	}
	m := postgresVersion.FindStringSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("unrecognised postgres --version output %q", out)
	}
	return m[1], nil
}

// majorVersion maps a full version to the one PG_VERSION records: "15.19" -> "15",
// "9.6.24" -> "9.6" (before 10 the major version had two parts).
func majorVersion(v string) string {
	parts := strings.Split(v, ".")
	if len(parts) >= 2 && parts[0] == "9" {
		return parts[0] + "." + parts[1]
	}
	return parts[0]
}

// ensureCluster creates the cluster on first use and checks an existing one was made by
// the same major version as the binaries.
func (s *Server) ensureCluster(ctx context.Context) error {
	raw, err := os.ReadFile(filepath.Join(s.pgData, "PG_VERSION"))
	switch {
	case err == nil:
		have, want := strings.TrimSpace(string(raw)), majorVersion(s.version)
		if have != want {
			return fmt.Errorf("the cluster in %s was created by PostgreSQL %s but the binaries in %s are PostgreSQL %s: "+
				"point PG_BINDIR at PostgreSQL %s binaries, upgrade the cluster with pg_upgrade, "+
				"or remove %s to start over (its data is lost)", s.pgData, have, s.binDir, s.version, have, s.pgData)
		}
		if _, err := os.Stat(filepath.Join(s.dataDir, passwordFile)); err != nil {
			return fmt.Errorf("the cluster in %s exists but its password file is unreadable: %w", s.pgData, err)
		}
		return nil
	case !errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("read cluster version: %w", err)
	}
	if _, err := os.Stat(s.pgData); err == nil {
		return fmt.Errorf("%s exists but holds no PostgreSQL cluster (no PG_VERSION); move it away", s.pgData)
	}
	return s.initCluster(ctx)
}

// initCluster runs initdb into a staging directory, stores the password, then renames
// the staging directory into place: a cluster under DataDir/pgdata is always complete
// and always has its password file.
func (s *Server) initCluster(ctx context.Context) error {
	staging := filepath.Join(s.dataDir, initSubdir)
	// Anything here is a previous first start that was interrupted.
	if err := os.RemoveAll(staging); err != nil {
		return fmt.Errorf("remove interrupted cluster %s: %w", staging, err)
	}
	if err := os.Mkdir(staging, 0o700); err != nil {
		return fmt.Errorf("create cluster directory: %w", err)
	}
	if err := s.acct.chown(staging); err != nil {
		return err
	}

	password, err := randomHex(24)
	if err != nil {
		return err
	}
	// initdb only takes a superuser password from a file (or a terminal). Hex keeps
	// it free of characters that would need escaping in URLs.
	pwfile := filepath.Join(s.dataDir, "initdb-pwfile")
	if err := s.writePrivateFile(pwfile, password+"\n"); err != nil {
		return err
	}
	out, err := s.run(ctx, "initdb",
		"-D", staging,
		"-U", superuser,
		"--pwfile="+pwfile,
		"-A", "scram-sha-256",
		"-E", "UTF8",
		"--locale=C",
	)
	if rmErr := os.Remove(pwfile); rmErr != nil && err == nil {
		err = fmt.Errorf("remove password file: %w", rmErr)
	}
	if err != nil {
		return fmt.Errorf("initdb as user %s: %w: %s", s.acct.name, err, out)
	}

	tmp := filepath.Join(s.dataDir, passwordFile+".tmp")
	if err := s.writePrivateFile(tmp, password+"\n"); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(s.dataDir, passwordFile)); err != nil {
		return fmt.Errorf("store password: %w", err)
	}
	if err := os.Rename(staging, s.pgData); err != nil {
		return fmt.Errorf("move new cluster into place: %w", err)
	}
	s.logger.Info("PostgreSQL cluster initialised", "version", s.version)
	return nil
}

// writePrivateFile creates path (replacing it) with mode 0600, owned by the server account.
func (s *Server) writePrivateFile(path, content string) error {
	_ = os.Remove(path) // a leftover may have other permissions; start clean
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if _, err := f.WriteString(content); err != nil {
		_ = f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return s.acct.chown(path)
}

// launch runs pg_ctl start, retrying with another port when a picked free port was taken
// by someone else in the meantime.
func (s *Server) launch(ctx context.Context, fixedPort int) error {
	logPath := filepath.Join(s.dataDir, logFile)
	// pg_ctl opens the log as the server account; the data directory itself may not be
	// writable by it (it can be root's), so the file must exist and be the account's.
	f, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("create server log: %w", err)
	}
	_ = f.Close()
	if err := s.acct.chown(logPath); err != nil {
		return err
	}

	for attempt := 1; ; attempt++ {
		port := fixedPort
		if port == 0 {
			if port, err = freePort(); err != nil {
				return err
			}
		}
		var offset int64
		if fi, err := os.Stat(logPath); err == nil {
			offset = fi.Size()
		}
		// pg_ctl passes -o through a shell, hence the quoted empty socket directory.
		serverOpts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=''", port)
		out, err := s.run(ctx, "pg_ctl", "start", "-D", s.pgData, "-w", "-t", strconv.Itoa(startTimeout),
			"-l", logPath, "-o", serverOpts)
		if err == nil {
			s.port = port
			return nil
		}
		tail := readTail(logPath, offset, 4096)
		// If pg_ctl gave up (timeout, cancelled context) the postmaster may still come
		// up later; make sure it does not outlive this failed Start.
		s.stopQuietly()
		if fixedPort == 0 && attempt < portAttempts && strings.Contains(tail, "could not bind") {
			s.logger.Warn("port taken before the server bound it; retrying", "port", port)
			continue
		}
		return fmt.Errorf("pg_ctl start as user %s on port %d: %w: %s\n--- end of %s ---\n%s",
			s.acct.name, port, err, out, logPath, tail)
	}
}

// ensureDatabase creates the application database if it is missing.
func (s *Server) ensureDatabase(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return fmt.Errorf("connect to new server: %w", err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", appDatabase).Scan(&exists); err != nil {
		return fmt.Errorf("check database %s: %w", appDatabase, err)
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{appDatabase}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // duplicate_database: fine
		return nil
	}
	if err != nil {
		return fmt.Errorf("create database %s: %w", appDatabase, err)
	}
	return nil
}

// running asks pg_ctl status whether a server runs on the cluster.
func (s *Server) running(ctx context.Context) (bool, error) {
	out, err := s.run(ctx, "pg_ctl", "status", "-D", s.pgData)
	if err == nil {
		return true, nil
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) && (exit.ExitCode() == 3 || exit.ExitCode() == 4) {
		// 3: not running; 4: no usable data directory, so nothing can be running.
		return false, nil
	}
	return false, fmt.Errorf("pg_ctl status: %w: %s", err, out)
}

// stopQuietly is the best-effort stop after a failed start. It uses its own context
// because the caller's may be the reason the start failed.
func (s *Server) stopQuietly() {
	ctx, cancel := context.WithTimeout(context.Background(), (startTimeout+5)*time.Second)
	defer cancel()
	if running, err := s.running(ctx); err == nil && !running {
		return
	}
	if out, err := s.stopCluster(ctx); err != nil {
		s.logger.Warn("stop after failed start", "err", err, "output", out)
	}
}

// stopCluster runs pg_ctl stop -m fast -w, then waits for the postmaster process itself to
// be gone. pg_ctl returns as soon as postmaster.pid disappears, which the postmaster
// removes on its way out but before it has exited; without the wait a caller can still
// find it running.
func (s *Server) stopCluster(ctx context.Context) (string, error) {
	pid := s.postmasterPID()
	out, err := s.run(ctx, "pg_ctl", "stop", "-D", s.pgData, "-m", "fast", "-w", "-t", strconv.Itoa(startTimeout))
	if err != nil {
		return out, err
	}
	if pid > 0 {
		if err := waitExit(ctx, pid); err != nil {
			return out, err
		}
	}
	return out, nil
}

// postmasterPID reads the postmaster's pid from the first line of postmaster.pid; 0 when
// there is none.
func (s *Server) postmasterPID() int {
	raw, err := os.ReadFile(filepath.Join(s.pgData, "postmaster.pid"))
	if err != nil {
		return 0
	}
	first, _, _ := strings.Cut(string(raw), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil || pid <= 0 {
		return 0
	}
	return pid
}

// waitExit polls until process pid has exited.
func waitExit(ctx context.Context, pid int) error {
	deadline := time.Now().Add(30 * time.Second)
	for !processGone(pid) {
		if time.Now().After(deadline) {
			return fmt.Errorf("postmaster (pid %d) still running after shutdown", pid)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for postmaster (pid %d) to exit: %w", pid, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// processGone reports whether pid has exited. A zombie counts as exited: pg_ctl detaches
// the postmaster, so it is reaped by init, which in some containers never happens.
func processGone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	// Linux only; elsewhere a zombie is reaped promptly by launchd/init.
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

// run executes a PostgreSQL program from the bin dir as the server account and returns
// its combined output.
func (s *Server) run(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(s.binDir, name), args...)
	// Our working directory (often /root) may be closed to the server account, and
	// the postmaster inherits it.
	cmd.Dir = "/"
	cmd.Env = s.childEnv()
	cmd.SysProcAttr = s.acct.sysProcAttr()
	// The postmaster redirects its output to the log, but never let a stray
	// descendant holding our pipes hang us.
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// childEnv is our environment without libpq and locale variables (PGDATA, PGPORT, ...
// would change what pg_ctl does; a foreign locale would translate the messages we parse),
// and with HOME pointing at the server account's home.
func (s *Server) childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "PG") || strings.HasPrefix(name, "LC_") || name == "LANG" || name == "LANGUAGE" {
			continue
		}
		if s.acct.switchUser && (name == "HOME" || name == "USER" || name == "LOGNAME") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "LC_ALL=C")
	if s.acct.switchUser {
		env = append(env, "HOME="+s.acct.home, "USER="+s.acct.name, "LOGNAME="+s.acct.name)
	}
	return env
}

// freePort asks the kernel for a free port on 127.0.0.1. Another process can take it
// before the server binds it; launch retries in that case.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("pick a free port: %w", err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// readTail returns at most limit bytes from the end of path, starting no earlier than
// offset, so a failed start shows its own log lines and not those of earlier runs.
func readTail(path string, offset, limit int64) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	defer func() { _ = f.Close() }()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	start := max(offset, fi.Size()-limit)
	if start > fi.Size() {
		start = 0
	}
	b, err := io.ReadAll(io.NewSectionReader(f, start, fi.Size()-start))
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	return strings.TrimSpace(string(b))
}

// randomHex returns n random bytes as hex.
func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random bytes: %w", err)
	}
	return hex.EncodeToString(b), nil
}
