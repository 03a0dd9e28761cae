package testkit

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/internal/app"
	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/config"
	"github.com/literaryai/ensemble/internal/server"
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
	Bus *bus.Local

	queries *queryCounter
}

// NewServer starts the API built exactly as `ensemble serve` builds it. env overrides
// configuration variables (e.g. "MAX_UPLOAD_BYTES=1024"). Passwords hash with cheap
// argon2id parameters so tests stay fast; everything else is the default.
func NewServer(t testing.TB, env ...string) *Server {
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
	pcfg, err := pgxpool.ParseConfig(DatabaseURL(t))
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	queries := &queryCounter{}
	pcfg.ConnConfig.Tracer = queries
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	t.Cleanup(pool.Close)
	level := slog.LevelError
	if os.Getenv("TEST_LOG") != "" {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	jobsPool, err := pgxpool.New(ctx, pcfg.ConnString())
	if err != nil {
		t.Fatalf("testkit: %v", err)
	}
	t.Cleanup(jobsPool.Close)
	a, err := app.New(app.Options{
		JobsPool: jobsPool,
		Config:   cfg, Secret: []byte(cfg.SecretKey), Pool: pool, Logger: logger, Version: "test",
		Database: server.DatabaseInfo{Backend: "external"},
	})
	if err != nil {
		t.Fatalf("testkit: app: %v", err)
	}
	if err := a.Start(context.Background()); err != nil {
		t.Fatalf("testkit: start background work: %v", err)
	}
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(func() {
		srv.Close()
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = a.Stop(stopCtx)
	})
	return &Server{URL: strings.TrimSuffix(srv.URL, "/"), Pool: pool, Config: cfg, Bus: a.Bus, queries: queries}
}

// queryCounter counts the statements the server sends to PostgreSQL, and keeps the first
// line of each (sqlc's "-- name: ..." comment) to say which they were.
type queryCounter struct {
	n     atomic.Int64
	mu    sync.Mutex
	names []string
}

func (q *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	q.n.Add(1)
	name, _, _ := strings.Cut(strings.TrimSpace(d.SQL), "\n")
	q.mu.Lock()
	q.names = append(q.names, name)
	q.mu.Unlock()
	return ctx
}

func (q *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// Queries returns how many statements the server has sent to PostgreSQL so far, for
// asserting that round trips do not grow with the number of objects.
func (s *Server) Queries() int64 { return s.queries.n.Load() }

// Statements returns the first line of every statement sent after the first skip ones.
func (s *Server) Statements(skip int64) []string {
	s.queries.mu.Lock()
	defer s.queries.mu.Unlock()
	return append([]string(nil), s.queries.names[skip:]...)
}
