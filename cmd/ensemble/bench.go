package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/literaryai/ensemble/internal/pgserver"
)

// benchCmd groups the benchmarks. They print figures and assert nothing: how fast is
// fast enough is for a reader to judge, and a machine under other load would make any
// threshold flaky.
func benchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the running system under load and print figures (asserts nothing)",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(benchLiveCmd(), benchScenesCmd(), benchQueriesCmd())
	return cmd
}

// writeReport writes a bench's report as indented JSON (--json).
func writeReport(w io.Writer, report any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(report); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// latencySummary is a distribution of latencies in milliseconds.
type latencySummary struct {
	Count int     `json:"count"`
	P50   float64 `json:"p50Ms"`
	P95   float64 `json:"p95Ms"`
	P99   float64 `json:"p99Ms"`
	Max   float64 `json:"maxMs"`
}

// summarize sorts d and reads its percentiles by nearest rank, so every figure is a
// latency that was actually observed.
func summarize(d []time.Duration) latencySummary {
	if len(d) == 0 {
		return latencySummary{}
	}
	slices.Sort(d)
	return latencySummary{
		Count: len(d),
		P50:   millis(percentile(d, 0.50)),
		P95:   millis(percentile(d, 0.95)),
		P99:   millis(percentile(d, 0.99)),
		Max:   millis(d[len(d)-1]),
	}
}

// percentile is the nearest-rank p-th percentile (0 < p <= 1) of sorted, non-empty d.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// millis keeps microsecond precision: loopback latencies are often below a millisecond.
func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// machineFacts are what a reader needs to compare figures across machines.
type machineFacts struct {
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	CPUModel   string `json:"cpuModel,omitempty"`
	NumCPU     int    `json:"numCpu"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	GoVersion  string `json:"goVersion"`
	FileLimit  uint64 `json:"fileLimit"`
}

func currentMachine() machineFacts {
	m := machineFacts{
		OS: runtime.GOOS, Arch: runtime.GOARCH, CPUModel: cpuModel(),
		NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(),
	}
	var lim syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) == nil {
		m.FileLimit = lim.Cur
	}
	return m
}

// cpuModel reads the first "model name" of /proc/cpuinfo; empty where there is none.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// ensureFileLimit makes sure this process may open need descriptors, raising the soft
// RLIMIT_NOFILE up to the hard limit when that is enough. The limit is set even when it
// already suffices: that stops the Go runtime from giving child processes the soft limit
// the process started with, and the server holds one descriptor per socket too.
func ensureFileLimit(need uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("read RLIMIT_NOFILE: %w", err)
	}
	if lim.Cur < need && lim.Max >= need {
		lim.Cur = lim.Max
	}
	if lim.Cur < need {
		return 0, fmt.Errorf("open files limit too low: this run needs about %d descriptors, "+
			"but RLIMIT_NOFILE is %d (hard limit %d); raise it (e.g. `ulimit -n %d`, as root or "+
			"via /etc/security/limits.conf) or ask for fewer --subscribers", need, lim.Cur, lim.Max, need)
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("set RLIMIT_NOFILE to %d: %w", lim.Cur, err)
	}
	return lim.Cur, nil
}

// randomHex is n random bytes in hex: names and keys no two runs share.
func randomHex(n int) string {
	raw := make([]byte, n)
	_, _ = rand.Read(raw) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(raw)
}

// ---------------------------------------------------------------------------
// Database

// benchDatabase is the database every instance of the run shares.
type benchDatabase struct {
	URL      string
	Describe string
	close    func(context.Context) error
}

// openBenchDatabase creates a fresh database on DATABASE_URL, or starts a private
// PostgreSQL when it is not set, so a run never touches existing data.
func openBenchDatabase(ctx context.Context, work string, logf func(string, ...any)) (*benchDatabase, error) {
	if admin := os.Getenv("DATABASE_URL"); admin != "" {
		return createBenchDatabase(ctx, admin, logf)
	}
	if _, err := pgserver.FindBinaries(); err != nil {
		return nil, fmt.Errorf("DATABASE_URL is not set and no PostgreSQL binaries were found for a private server: %w", err)
	}
	logf("DATABASE_URL is not set: starting a private PostgreSQL")
	srv, err := pgserver.Start(ctx, pgserver.Options{DataDir: filepath.Join(work, "postgres")})
	if err != nil {
		return nil, err
	}
	return &benchDatabase{
		URL:      srv.URL("ensemble"),
		Describe: "private PostgreSQL " + srv.Version() + " (started for this run)",
		close: func(ctx context.Context) error {
			logf("stopping the private PostgreSQL")
			return srv.Stop(ctx)
		},
	}, nil
}

func createBenchDatabase(ctx context.Context, admin string, logf func(string, ...any)) (*benchDatabase, error) {
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, errors.New("DATABASE_URL: expected a postgres:// URL (the bench creates its own database next to it)")
	}
	name := "ensemble_bench_" + randomHex(4)
	if err := adminExec(ctx, admin, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create database %s: %w", name, err)
	}
	logf("created database %s", name)
	u.Path = "/" + name
	return &benchDatabase{
		URL:      u.String(),
		Describe: fmt.Sprintf("DATABASE_URL server, fresh database %s (dropped at the end)", name),
		close: func(ctx context.Context) error {
			logf("dropping database %s", name)
			// FORCE: a server killed without a clean stop may leave a session behind.
			return adminExec(ctx, admin, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
		},
	}, nil
}

func adminExec(ctx context.Context, admin, sql string) error {
	conn, err := pgx.Connect(ctx, withoutPoolParams(admin))
	if err != nil {
		return fmt.Errorf("connect to DATABASE_URL: %w", err)
	}
	defer func() { _ = conn.Close(context.WithoutCancel(ctx)) }()
	_, err = conn.Exec(ctx, sql)
	return err
}

// withoutPoolParams drops pgxpool's settings (pool_max_conns=...) from a URL: the
// servers' pools honour them, but a single connection would send them to PostgreSQL as
// run-time parameters, which it refuses.
func withoutPoolParams(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	for k := range q {
		if strings.HasPrefix(k, "pool_") {
			q.Del(k)
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// ---------------------------------------------------------------------------
// Server processes

// instance is one `ensemble serve` child process.
type instance struct {
	name    string
	addr    string
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{}
	exitErr error
	stopped bool
	// onStop hands the summary of the log to whoever reports on the run.
	onStop func(logSummary)
}

func (in *instance) base() string   { return "http://" + in.addr }
func (in *instance) wsURL() string  { return "ws://" + in.addr + "/graphql" }
func (in *instance) gqlURL() string { return in.base() + "/graphql" }

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitReady polls /health/ready, which answers 200 once the database is reachable and
// fully migrated; a child that exits first fails at once, with its log's tail.
func (in *instance) waitReady(ctx context.Context, client *http.Client, limit time.Duration) error {
	return in.waitFor(ctx, "ready", 100*time.Millisecond, limit, func() bool {
		return ready(ctx, client, in.base()+"/health/ready")
	})
}

// waitFor polls until probe holds, every period for at most limit; a child that exits
// first fails at once, with its log's tail.
func (in *instance) waitFor(ctx context.Context, what string, period, limit time.Duration, probe func() bool) error {
	deadline := time.Now().Add(limit)
	for {
		if probe() {
			return nil
		}
		select {
		case <-in.exited:
			return fmt.Errorf("instance %s exited before it was %s (%v):\n%s", in.name, what, in.exitErr, tailOf(in.logPath, 20))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(period):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("instance %s not %s after %s:\n%s", in.name, what, limit, tailOf(in.logPath, 20))
		}
	}
}

func ready(ctx context.Context, client *http.Client, u string) bool {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return false
	}
	resp, err := client.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// stop sends SIGTERM, waits for the graceful shutdown (the server drains for up to 20 s),
// kills it if it hangs, and hands a summary of its log to onStop. Calling it again does
// nothing.
func (in *instance) stop(logf func(string, ...any)) {
	if in.stopped {
		return
	}
	in.stopped = true
	exit := "exited on its own"
	select {
	case <-in.exited:
	default:
		_ = in.cmd.Process.Signal(syscall.SIGTERM)
		exit = "stopped by SIGTERM"
		select {
		case <-in.exited:
		case <-time.After(45 * time.Second):
			_ = in.cmd.Process.Kill()
			<-in.exited
			exit = "did not stop within 45 s of SIGTERM: killed"
		}
	}
	if in.exitErr != nil {
		exit += " (" + in.exitErr.Error() + ")"
	}
	logf("instance %s: %s", in.name, exit)
	s := summarizeLog(in.name, in.logPath)
	s.Exit = exit
	in.onStop(s)
}

// rssKiB is the resident memory of the instance (VmRSS in /proc/<pid>/status).
func (in *instance) rssKiB() (int64, error) {
	path := fmt.Sprintf("/proc/%d/status", in.cmd.Process.Pid)
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parse VmRSS %q: %w", rest, err)
			}
			return n, nil
		}
	}
	return 0, fmt.Errorf("no VmRSS in %s", path)
}

// cpuSeconds is the user and system CPU time the instance has used so far.
func (in *instance) cpuSeconds() (float64, error) { return procCPUSeconds(in.cmd.Process.Pid) }

// procCPUSeconds is the user and system CPU time process pid has used so far, from
// /proc/<pid>/stat (in USER_HZ ticks, 100 per second on Linux).
func procCPUSeconds(pid int) (float64, error) {
	path := fmt.Sprintf("/proc/%d/stat", pid)
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	// The command name may hold spaces; the numbered fields follow its closing parenthesis.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("parse %s: no command name", path)
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("parse %s: %d fields", path, len(fields))
	}
	utime, uerr := strconv.ParseInt(fields[11], 10, 64)
	stime, serr := strconv.ParseInt(fields[12], 10, 64)
	if uerr != nil || serr != nil {
		return 0, fmt.Errorf("parse %s: bad utime or stime", path)
	}
	return float64(utime+stime) / 100, nil
}

// selfCPUSeconds is the CPU time of this process: the clients share the machine with the
// servers, so what they cost is part of reading the figures.
func selfCPUSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// ---------------------------------------------------------------------------
// Server logs

// logSummary is what a server wrote that deserves a look: warnings, errors and panics,
// grouped by message.
type logSummary struct {
	Instance string    `json:"instance"`
	Exit     string    `json:"exit"`
	Lines    int       `json:"lines"`
	Warnings int       `json:"warnings"`
	Errors   int       `json:"errors"`
	Notable  []logLine `json:"notable"`
}

// logLine is one kind of notable line, with how often it occurred and its first instance.
type logLine struct {
	Level   string `json:"level"`
	Message string `json:"message"`
	Count   int    `json:"count"`
	Example string `json:"example"`
}

// maxNotable bounds the distinct messages kept per instance.
const maxNotable = 12

func summarizeLog(name, path string) logSummary {
	s := logSummary{Instance: name, Notable: []logLine{}}
	f, err := os.Open(path)
	if err != nil {
		s.Notable = append(s.Notable, logLine{Level: "ERROR", Message: "log unreadable: " + err.Error(), Count: 1})
		return s
	}
	defer f.Close()
	index := map[string]int{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var panicking *logLine
	for sc.Scan() {
		line := sc.Text()
		s.Lines++
		if panicking != nil && len(panicking.Example) < 4000 {
			// Keep the first lines of a panic's stack with it.
			panicking.Example += "\n" + line
			continue
		}
		level, msg := classify(line)
		switch level {
		case "":
			continue
		case "WARN":
			s.Warnings++
		default:
			s.Errors++
		}
		key := level + " " + msg
		if i, ok := index[key]; ok {
			s.Notable[i].Count++
			continue
		}
		if len(s.Notable) >= maxNotable {
			continue
		}
		index[key] = len(s.Notable)
		s.Notable = append(s.Notable, logLine{Level: level, Message: msg, Count: 1, Example: clip(line, 600)})
		if level == "PANIC" {
			panicking = &s.Notable[len(s.Notable)-1]
		}
	}
	return s
}

// classify finds the level and message of a slog line (text or JSON handler), or a Go
// panic; other lines classify as "".
func classify(line string) (level, msg string) {
	if strings.HasPrefix(line, "panic:") || strings.HasPrefix(line, "fatal error:") {
		return "PANIC", line
	}
	for _, lv := range []string{"WARN", "ERROR"} {
		if strings.Contains(line, "level="+lv+" ") || strings.Contains(line, `"level":"`+lv+`"`) {
			return lv, logMessage(line)
		}
	}
	return "", ""
}

// logMessage extracts msg=... (quoted or bare) from a text-handler line, or "msg":"..."
// from a JSON one.
func logMessage(line string) string {
	if _, rest, ok := strings.Cut(line, " msg="); ok {
		if q, err := strconv.QuotedPrefix(rest); err == nil {
			if s, err := strconv.Unquote(q); err == nil {
				return s
			}
		}
		m, _, _ := strings.Cut(rest, " ")
		return m
	}
	if _, rest, ok := strings.Cut(line, `"msg":`); ok {
		if q, err := strconv.QuotedPrefix(rest); err == nil {
			if s, err := strconv.Unquote(q); err == nil {
				return s
			}
		}
	}
	return clip(line, 200)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// tailOf returns the last n lines of a log, for errors about a child that failed.
func tailOf(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(log unreadable: " + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}
