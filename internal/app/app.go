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
	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/config"
	"github.com/literaryai/ensemble/internal/documents"
	"github.com/literaryai/ensemble/internal/ecosystems"
	"github.com/literaryai/ensemble/internal/graphstore"
	"github.com/literaryai/ensemble/internal/graphstore/pg"
	"github.com/literaryai/ensemble/internal/loaders"
	"github.com/literaryai/ensemble/internal/relationships"
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
	// Graph is the traversal backend; nil means the in-process pg backend.
	Graph graphstore.Graph
}

// App is the assembled API.
type App struct {
	Handler http.Handler
	Auth    *auth.Service
	Bus     *bus.Local
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
	events := bus.NewLocal()
	snaps := pg.New(o.Pool, 0)
	graph := o.Graph
	if graph == nil {
		graph = snaps
	}
	res := &resolvers.Resolver{
		AuthService:         authSvc,
		EcosystemService:    ecosystems.NewService(o.Pool, events),
		CharacterService:    characters.NewService(o.Pool, events),
		DocumentService:     documents.NewService(o.Pool, cfg.MaxUploadBytes),
		RelationshipService: relationships.NewService(o.Pool, events, graph, snaps, now),
	}
	handler := server.New(server.Deps{
		Logger: o.Logger, Pool: o.Pool, Resolver: res, Version: o.Version, Database: o.Database,
		Graph: graph,
		Loaders: loaders.Sources{Auth: authSvc, Ecosystems: res.EcosystemService, Characters: res.CharacterService,
			Relationships: res.RelationshipService, Wait: cfg.BatchWait},
		Production: cfg.Production(), Introspection: cfg.Introspection, ComplexityLimit: cfg.ComplexityLimit,
		DepthLimit: cfg.DepthLimit, MaxUploadBytes: cfg.MaxUploadBytes, CORSOrigins: cfg.CORSOrigins,
	})
	return &App{Handler: handler, Auth: authSvc, Bus: events}, nil
}
