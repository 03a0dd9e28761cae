package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/config"
	"github.com/literaryai/ensemble/internal/pgserver"
	"github.com/literaryai/ensemble/internal/server"
)

// database is an open pool and, when ensemble started it, the private server behind it.
type database struct {
	Pool     *pgxpool.Pool
	Info     server.DatabaseInfo
	embedded *pgserver.Server
}

// openDatabase connects to DATABASE_URL, or starts a private PostgreSQL from the
// machine's binaries under ENSEMBLE_DATA_DIR when it is not set. configure adjusts the
// pool's configuration (see db.Open).
func openDatabase(ctx context.Context, cfg *config.Config, logger *slog.Logger, configure ...func(*pgxpool.Config)) (*database, error) {
	if cfg.DatabaseURL != "" {
		pool, err := db.Open(ctx, cfg.DatabaseURL, configure...)
		if err != nil {
			return nil, fmt.Errorf("DATABASE_URL: %w", err)
		}
		return &database{Pool: pool, Info: server.DatabaseInfo{Backend: "external"}}, nil
	}
	if _, err := pgserver.FindBinaries(); err != nil {
		if errors.Is(err, pgserver.ErrNoBinaries) {
			return nil, fmt.Errorf("DATABASE_URL is not set and ensemble cannot start its own PostgreSQL: %w", err)
		}
		return nil, err
	}
	dir := filepath.Join(cfg.DataDir, "postgres")
	logger.Info("DATABASE_URL is not set: starting a private PostgreSQL", "data_dir", dir)
	srv, err := pgserver.Start(ctx, pgserver.Options{DataDir: dir, Logger: logger})
	if err != nil {
		return nil, err
	}
	pool, err := db.Open(ctx, srv.URL("ensemble"), configure...)
	if err != nil {
		_ = srv.Stop(context.Background())
		return nil, err
	}
	return &database{Pool: pool, embedded: srv, Info: server.DatabaseInfo{Backend: "embedded", Version: srv.Version()}}, nil
}

// Close closes the pool and stops the private server, if any.
func (d *database) Close() {
	d.Pool.Close()
	if d.embedded != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		_ = d.embedded.Stop(ctx)
	}
}

// withDatabase loads the configuration, opens the database, runs fn and closes it again:
// the frame of every command but serve.
func withDatabase(ctx context.Context, fn func(d *database, cfg *config.Config, logger *slog.Logger) error) error {
	cfg, logger, err := loadConfig()
	if err != nil {
		return err
	}
	d, err := openDatabase(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer d.Close()
	return fn(d, cfg, logger)
}
