package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/app"
	"github.com/literaryai/ensemble/internal/config"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/graphstore/neo4j"
	"github.com/literaryai/ensemble/internal/metrics"
	"github.com/literaryai/ensemble/internal/tracing"
)

func serveCmd() *cobra.Command {
	var noMigrate bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the API (migrates the database first unless --no-migrate)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, logger, err := loadConfig()
			if err != nil {
				return err
			}
			if noMigrate {
				cfg.AutoMigrate = false
			}
			return serve(cmd.Context(), cfg, logger)
		},
	}
	cmd.Flags().BoolVar(&noMigrate, "no-migrate", false, "do not apply pending migrations on start (same as AUTO_MIGRATE=false)")
	return cmd
}

// serve runs the API until ctx ends (SIGINT/SIGTERM), then stops accepting, drains
// in-flight requests, closes the pool and stops the private database.
func serve(ctx context.Context, cfg *config.Config, logger *slog.Logger) error {
	secret, err := cfg.Secret(logger)
	if err != nil {
		return err
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(cfg.MemoryLimit())
	}
	tracer, flushTraces, err := tracing.Setup(ctx, cfg.OTelEndpoint, cfg.AppName, buildVersion())
	if err != nil {
		return err
	}
	defer func() {
		flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := flushTraces(flushCtx); err != nil {
			logger.Warn("traces not all sent", "error", err)
		}
	}()
	sqlTracer := tracing.NewSQL(tracer)
	d, err := openDatabase(ctx, cfg, logger, func(c *pgxpool.Config) { c.ConnConfig.Tracer = sqlTracer })
	if err != nil {
		return err
	}
	defer d.Close()
	if cfg.AutoMigrate {
		m, err := db.NewMigrator(d.Pool, logger)
		if err != nil {
			return err
		}
		n, err := m.Up(ctx)
		_ = m.Close()
		if err != nil {
			return err
		}
		logger.Info("migrations applied", "count", n)
	}

	jobsPool, err := openJobsPool(ctx, d.Pool)
	if err != nil {
		return err
	}
	defer jobsPool.Close()
	opts := app.Options{
		Config: cfg, Secret: secret, Pool: d.Pool, JobsPool: jobsPool, Logger: logger, Version: buildVersion(), Database: d.Info,
		Metrics: metrics.New(), Tracer: tracer,
	}
	if cfg.Pinecone() {
		store, err := openPinecone(ctx, cfg)
		if err != nil {
			return err
		}
		defer func() { _ = store.Close() }()
		opts.Vectors = store
		logger.Info("memory vectors: pinecone", "index", cfg.PineconeIndex)
	}
	var projector *neo4j.Projector
	if cfg.Neo4jURI != "" {
		store, err := openNeo4j(ctx, cfg)
		if err != nil {
			return err
		}
		defer func() { _ = store.Close(context.Background()) }()
		opts.Graph = store
		projector = neo4j.NewProjector(d.Pool, store, logger)
	}
	a, err := app.New(opts)
	if err != nil {
		return err
	}
	bg, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBackground()
	if err := a.Start(bg); err != nil {
		return err
	}
	if projector != nil {
		// The projector polls the outbox; committed graph changes wake it at once.
		sub := a.Bus.Subscribe(func(events.Event) bool { return true }, 64)
		go func() {
			for range sub.Events() {
				projector.Notify()
			}
		}()
		go func() {
			if err := projector.Run(bg); err != nil && !errors.Is(err, context.Canceled) {
				logger.Error("neo4j projector stopped", "error", err)
			}
		}()
		logger.Info("graph backend: neo4j, projected from the outbox", "uri", cfg.Neo4jURI)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("ADDR %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           a.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("ensemble is serving", "addr", ln.Addr().String(),
		"playground", "http://"+displayAddr(ln.Addr())+"/", "database", d.Info.Backend, "env", cfg.Env)

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	a.Readiness.Drain()
	if cfg.ShutdownDrainDelay > 0 {
		logger.Info("shutting down: not ready, still serving while the load balancer notices", "delay", cfg.ShutdownDrainDelay)
		time.Sleep(cfg.ShutdownDrainDelay)
	}
	logger.Info("shutting down: draining in-flight requests", "timeout", cfg.ShutdownTimeout)
	shutCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	// Shutdown closes the listener before it calls this, so clients told to reconnect
	// find the next instance rather than this one.
	streamsEnded := make(chan error, 1)
	srv.RegisterOnShutdown(func() { streamsEnded <- a.Streams.End(shutCtx) })
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-streamsEnded; err != nil {
		logger.Warn("live streams did not all close", "error", err)
	}
	if err := a.Stop(shutCtx); err != nil {
		logger.Warn("background work did not stop cleanly", "error", err)
	}
	stopBackground()
	a.Bus.Close()
	logger.Info("stopped")
	return nil
}

// jobsPoolConns is the size of River's own pool. Its listener takes a connection out of
// the pool for good; what stays is for the leader's election and maintenance, each
// queue's fetches and the completer, a few statements a second at most.
const jobsPoolConns = 4

// openJobsPool opens River's pool, on the same database as pool. Sharing the requests'
// pool, River's leader election and job fetches queued behind request traffic for a
// connection: under overload the leader's re-election timed out (issue 13). The jobs'
// own work still runs on the requests' pool, whose use by requests the GraphQL gate
// bounds.
func openJobsPool(ctx context.Context, pool *pgxpool.Pool) (*pgxpool.Pool, error) {
	cfg := pool.Config()
	cfg.MaxConns, cfg.MinConns = jobsPoolConns, 0
	jobs, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open the jobs' database pool: %w", err)
	}
	return jobs, nil
}

// displayAddr turns a wildcard listen address into one a browser can open.
func displayAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || tcp.IP.IsUnspecified() {
		if ok {
			return fmt.Sprintf("localhost:%d", tcp.Port)
		}
	}
	return a.String()
}
