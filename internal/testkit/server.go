package testkit

import (
	"context"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/multitracer"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/trace"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/app"
	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/config"
	"github.com/literaryai/ensemble/internal/server"
	"github.com/literaryai/ensemble/internal/tracing"
)

// Secret is the SECRET_KEY of every test server, so tests can forge tokens with it (or
// with another key) on purpose.
const Secret = "test-secret-key-0123456789abcdef0123456789"

// Server is the real API, listening on a free loopback port, over a fresh database.
type Server struct {
	URL    string
	Pool   *pgxpool.Pool
	Config *config.Config
	// Bus is the server's event bus, for asserting what was published.
	Bus bus.Bus
	// DatabaseURL is the server's database, for starting a second instance on it.
	DatabaseURL string

	queries *queryCounter
	logs    *keptLogs
	stop    func()
}

// Stop shuts the server down now (it is also stopped when the test ends): live
// connections drop, as when a process is killed.
func (s *Server) Stop() { s.stop() }

// NewServer starts the API built exactly as `ensemble serve` builds it. env overrides
// configuration variables (e.g. "MAX_UPLOAD_BYTES=1024"). Passwords hash with cheap
// argon2id parameters so tests stay fast; everything else is the default.
func NewServer(t testing.TB, env ...string) *Server {
	t.Helper()
	return NewServerOn(t, DatabaseURL(t), env...)
}

// NewServerOn starts the API on an existing database: several instances on one
// database (with one Redis) are how Ensemble scales out.
func NewServerOn(t testing.TB, databaseURL string, env ...string) *Server {
	t.Helper()
	return NewServerAt(t, "127.0.0.1:0", databaseURL, env...)
}

// NewServerAt starts the API listening on addr (host:port), on an existing database: a
// test restarts an instance where its clients will reconnect.
func NewServerAt(t testing.TB, addr, databaseURL string, env ...string) *Server {
	t.Helper()
	return newServer(t, addr, databaseURL, Telemetry{}, env...)
}

// Telemetry is what a test watches of a server beyond its answers.
type Telemetry struct {
	// Tracer receives the server's spans, SQL statements' included.
	Tracer trace.TracerProvider
	// Log, when set, receives every line the server logs, at every level.
	Log slog.Handler
}

// NewWatchedServer starts the API, on a fresh database, reporting to tel.
func NewWatchedServer(t testing.TB, tel Telemetry, env ...string) *Server {
	t.Helper()
	return newServer(t, "127.0.0.1:0", DatabaseURL(t), tel, env...)
}

func newServer(t testing.TB, addr, databaseURL string, tel Telemetry, env ...string) *Server {
	t.Helper()
	vars := append([]string{
		"SECRET_KEY=" + Secret,
		"PASSWORD_HASH_MEMORY_KIB=64",
		"PASSWORD_HASH_ITERATIONS=1",
		"ENSEMBLE_DATA_DIR=" + t.TempDir(),
	}, env...)
	cfg, err := config.Load(vars, "")
	if err != nil {
		t.Fatalf("testkit: config: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pcfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	pcfg.AfterConnect = db.AfterConnect
	queries := &queryCounter{}
	pcfg.ConnConfig.Tracer = queries
	if tel.Tracer != nil {
		pcfg.ConnConfig.Tracer = multitracer.New(queries, tracing.NewSQL(tel.Tracer))
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	t.Cleanup(pool.Close)
	level := slog.LevelError
	if os.Getenv("TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	logs := &keptLogs{}
	var handler slog.Handler = slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})
	if tel.Log != nil {
		handler = slog.NewMultiHandler(handler, tel.Log)
	}
	logger := slog.New(tracing.LogHandler(logRecorder{Handler: handler, kept: logs}))
	jobsPool, err := pgxpool.New(ctx, pcfg.ConnString())
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	t.Cleanup(jobsPool.Close)
	a, err := app.New(app.Options{
		JobsPool: jobsPool,
		Config:   cfg, Secret: []byte(cfg.SecretKey), Pool: pool, Logger: logger, Version: "test",
		Database: server.DatabaseInfo{Backend: "external"}, Tracer: tel.Tracer,
	})
	if err != nil {
		t.Fatalf("testkit: app: %v", err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatalf("testkit: start background work: %v", err)
	}
	srv := httptest.NewUnstartedServer(a.Handler)
	ln, err := listen(addr)
	if err != nil {
		t.Fatalf("testkit: listen on %s: %v", addr, err)
	}
	_ = srv.Listener.Close()
	srv.Listener = ln
	baseCtx, cancelBase := context.WithCancel(context.Background())
	srv.Config.BaseContext = func(net.Listener) context.Context { return baseCtx }
	srv.Start()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			// Cancelling the base context ends live connections, as a killed process would.
			cancelBase()
			srv.CloseClientConnections()
			srv.Close()
			stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = a.Stop(stopCtx)
			a.Bus.Close()
		})
	}
	t.Cleanup(stop)
	return &Server{URL: strings.TrimSuffix(srv.URL, "/"), Pool: pool, Config: cfg, Bus: a.Bus, DatabaseURL: databaseURL,
		queries: queries, logs: logs, stop: stop}
}

// queryCounter counts the statements the server sends to PostgreSQL and the round trips
// they take (a pipelined batch is one), and keeps the first line of each statement
// (sqlc's "-- name: ..." comment) to say which they were.
type queryCounter struct {
	n     atomic.Int64
	trips atomic.Int64
	mu    sync.Mutex
	names []string
}

func (q *queryCounter) statement(sql string) {
	q.n.Add(1)
	name, _, _ := strings.Cut(strings.TrimSpace(sql), "\n")
	q.mu.Lock()
	q.names = append(q.names, name)
	q.mu.Unlock()
}

func (q *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	q.trips.Add(1)
	q.statement(d.SQL)
	return ctx
}

func (q *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (q *queryCounter) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	q.trips.Add(1)
	return ctx
}

func (q *queryCounter) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	q.statement(d.SQL)
}

func (q *queryCounter) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData) {}

// Queries returns how many statements the server has sent to PostgreSQL so far, for
// asserting that round trips do not grow with the number of objects.
func (s *Server) Queries() int64 { return s.queries.n.Load() }

// RoundTrips returns how many times the server has waited on PostgreSQL so far: a
// statement alone or a pipelined batch of them.
func (s *Server) RoundTrips() int64 { return s.queries.trips.Load() }

// Statements returns the first line of every statement sent after the first skip ones.
func (s *Server) Statements(skip int64) []string {
	s.queries.mu.Lock()
	defer s.queries.mu.Unlock()
	return append([]string(nil), s.queries.names[skip:]...)
}

// listen binds addr, retrying briefly: a port just released by a stopped instance can
// take a moment to be free again.
func listen(addr string) (net.Listener, error) {
	var lastErr error
	for range 50 {
		ln, err := net.Listen("tcp", addr)
		if err == nil {
			return ln, nil
		}
		lastErr = err
		time.Sleep(100 * time.Millisecond)
	}
	return nil, lastErr
}

// FreeAddr returns a loopback address with a port nobody listens on now, for a server
// that must come back on the same address (a restart) or one that must be down.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}
