// Package app assembles Ensemble's services and HTTP handler from a configuration and a
// database pool. cmd/ensemble owns the process (configuration, database, listener,
// signals); the test harness builds the same app, so tests run what production runs.
package app

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/config"
	"github.com/literaryai/ensemble/internal/documents"
	"github.com/literaryai/ensemble/internal/ecosystems"
	"github.com/literaryai/ensemble/internal/loaders"
	"github.com/literaryai/ensemble/internal/server"
	"github.com/literaryai/ensemble/resolvers"
)

// Options are what the process knows beyond the configuration.
type Options struct {
	Config   *config.Config
	Secret   []byte
	Pool     *pgxpool.Pool
	Logger   *slog.Logger
	Version  string
	Database server.DatabaseInfo
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// App is the assembled API.
type App struct {
	Handler http.Handler
	Auth    *auth.Service
}

// New wires every service and the HTTP handler.
func New(o Options) (*App, error) {
	cfg := o.Config
	now := o.Now
	if now == nil {
		now = time.Now
	}
	authSvc, err := auth.NewService(o.Pool, auth.Config{
		Secret: o.Secret, Issuer: cfg.AppName, Audience: auth.Audience,
		AccessTTL: cfg.AccessTTL(), RefreshTTL: cfg.RefreshTTL(),
		Password: auth.PasswordParams{Time: cfg.PasswordTime, Memory: cfg.PasswordMemoryKiB, Threads: 2},
	}, now)
	if err != nil {
		return nil, err
	}
	res := &resolvers.Resolver{
		AuthService:      authSvc,
		EcosystemService: ecosystems.NewService(o.Pool),
		CharacterService: characters.NewService(o.Pool),
		DocumentService:  documents.NewService(o.Pool, cfg.MaxUploadBytes),
	}
	handler := server.New(server.Deps{
		Logger: o.Logger, Pool: o.Pool, Resolver: res, Version: o.Version, Database: o.Database,
		Loaders: loaders.Sources{Auth: authSvc, Ecosystems: res.EcosystemService, Characters: res.CharacterService,
			Wait: cfg.BatchWait},
		Production: cfg.Production(), Introspection: cfg.Introspection, ComplexityLimit: cfg.ComplexityLimit,
		DepthLimit: cfg.DepthLimit, MaxUploadBytes: cfg.MaxUploadBytes, CORSOrigins: cfg.CORSOrigins,
	})
	return &App{Handler: handler, Auth: authSvc}, nil
}
