// Package testkit holds the helpers tests share: a fresh migrated PostgreSQL database per
// test, cloned from a template so that a test pays for a CREATE DATABASE, not for the
// migrations.
package testkit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/literaryai/ensemble/internal/pgserver"
)

// defaultAdminURL is the conventional local server (Debian's package, a Docker container
// publishing 5432) with the postgres superuser and trust or peer-less local auth.
const defaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// adminURL is the admin connection every helper derives from. Main sets it once, before any
// test runs, and nothing changes it afterwards.
var adminURL string

// Main runs a package's tests: call it from TestMain as
//
//	func TestMain(m *testing.M) { testkit.Main(m) }
//
// It finds an admin connection: $TEST_DATABASE_URL if set; else the server on
// 127.0.0.1:5432 if something accepts TCP there, as postgres@127.0.0.1:5432/postgres;
// else a private server (internal/pgserver) in a temporary directory, for this process
// only, stopped after the tests. Then it runs after (for what a TestMain made outside
// any test, such as a built binary) and exits with the tests' status.
func Main(m *testing.M, after ...func()) {
	code := run(m)
	for _, f := range after {
		f()
	}
	os.Exit(code)
}

// run is Main without os.Exit, so deferred cleanup runs.
func run(m *testing.M) int {
	// The private server runs in its own session, so an interrupted `go test` would
	// leave it running: catch the interrupt, from before the server starts (a signal
	// during the start waits in the channel), and stop the server on the way out.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	url, stop, err := findAdmin(ctx)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "testkit: no PostgreSQL for the tests: %v\n", err)
		return 1
	}
	defer stop()
	go func() {
		if sig, ok := <-sigs; ok {
			stop()
			fmt.Fprintf(os.Stderr, "testkit: %v\n", sig)
			os.Exit(1)
		}
	}()

	adminURL = url
	return m.Run()
}

// findAdmin picks the admin URL as described on Main. stop releases whatever was started;
// it is safe to call more than once.
func findAdmin(ctx context.Context) (url string, stop func(), err error) {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u, func() {}, nil
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:5432", time.Second); err == nil {
		_ = c.Close()
		return defaultAdminURL, func() {}, nil
	}
	return startPrivateServer(ctx)
}

// startPrivateServer starts a PostgreSQL server owned by this test process in a fresh
// temporary directory and returns its admin URL.
func startPrivateServer(ctx context.Context) (string, func(), error) {
	dir, err := os.MkdirTemp("", "ensemble-testkit-pg-")
	if err != nil {
		return "", nil, fmt.Errorf("temporary data directory: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := pgserver.Start(ctx, pgserver.Options{DataDir: dir, Logger: logger})
	if err != nil {
		_ = os.RemoveAll(dir)
		if errors.Is(err, pgserver.ErrNoBinaries) {
			return "", nil, fmt.Errorf("nothing listens on 127.0.0.1:5432, TEST_DATABASE_URL is unset, "+
				"and a private server cannot be started: %w", err)
		}
		return "", nil, fmt.Errorf("start a private PostgreSQL in %s: %w", dir, err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := srv.Stop(ctx); err != nil {
				fmt.Fprintf(os.Stderr, "testkit: stop private PostgreSQL: %v\n", err)
				return // keep the directory: the log in it says why
			}
			_ = os.RemoveAll(dir)
		})
	}
	return srv.URL("postgres"), stop, nil
}

// AdminURL returns the admin connection URL, for tests that create databases themselves
// (e.g. migrate up/down tests). It fails the test when Main did not run.
func AdminURL(t testing.TB) string {
	t.Helper()
	if adminURL == "" {
		t.Fatal("testkit: no admin database URL; the package needs func TestMain(m *testing.M) { testkit.Main(m) }")
	}
	return adminURL
}
