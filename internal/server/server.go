// Package server wires HTTP: the GraphQL endpoint and its transports, the playground,
// health checks, the OAuth2 token endpoint, and the middleware around them.
package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/jackc/pgx/v5/pgxpool"
	"go.opentelemetry.io/otel/trace"

	"github.com/literaryai/ensemble/internal/admission"
	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/embedding"
	"github.com/literaryai/ensemble/internal/graphstore"
	"github.com/literaryai/ensemble/internal/loaders"
	"github.com/literaryai/ensemble/internal/metrics"
	"github.com/literaryai/ensemble/internal/playground"
	"github.com/literaryai/ensemble/internal/vectorstore"
	"github.com/literaryai/ensemble/resolvers"
)

// DatabaseInfo says which PostgreSQL the server uses, for /health/detailed.
type DatabaseInfo struct {
	// Backend is "embedded" (started by ensemble) or "external" (DATABASE_URL).
	Backend string
	Version string
}

// Deps is everything the HTTP layer needs.
type Deps struct {
	Logger   *slog.Logger
	Pool     *pgxpool.Pool
	Resolver *resolvers.Resolver
	// Planner turns on the resolver's query planner (see resolvers.Planner).
	Planner    bool
	Loaders    loaders.Sources
	Version    string
	Database   DatabaseInfo
	Graph      graphstore.Graph
	Vectors    vectorstore.Vectors
	Embedder   embedding.Embedder
	Production bool
	// Admission are the caps a GraphQL operation must stay within, introspection included.
	Admission      admission.Limits
	MaxUploadBytes int64
	CORSOrigins    []string
	// Bus carries token revocations to live connections.
	Bus bus.Bus
	// Generator names the text generator, for /health/detailed.
	Generator string
	// HealthToken, when set, opens /health/detailed in production to a bearer of it.
	HealthToken string
	// WSOriginPatterns are the foreign origins allowed to open WebSockets.
	WSOriginPatterns []string
	WSInitTimeout    time.Duration
	// KeepAlive is the ping interval of WebSockets and SSE streams.
	KeepAlive time.Duration
	// Limits are the rate limits and caps.
	Limits Limits
	// Overload bounds the queries and mutations running at once and how long each runs.
	Overload Overload
	// Streams ends the subscriptions for a restart; nil makes one nobody ends.
	Streams *Streams
	// Readiness turns /health/ready to 503 while the instance drains (nil: never).
	Readiness *Readiness
	// Persisted fills in the documents clients name by hash (automatic persisted queries,
	// or trusted documents only); nil serves only documents sent whole.
	Persisted graphql.HandlerExtension
	// Metrics receive the HTTP, GraphQL and WebSocket series and serve /metrics; nil
	// makes a registry of the server's own.
	Metrics *metrics.Metrics
	// Tracer makes the operations' spans; nil traces nothing.
	Tracer trace.TracerProvider
}

// New returns the HTTP handler for the whole API.
func New(d Deps) http.Handler {
	d.Logger = loggerOr(d.Logger)
	if d.Streams == nil {
		d.Streams = NewStreams()
	}
	if d.Metrics == nil {
		d.Metrics = metrics.New()
	}
	g := newGuard(d.Limits, presentError(d.Logger), d.Logger)
	gql := newGraphQL(d, g)
	h := newHealth(d)
	authSvc := d.Resolver.AuthService

	mux := http.NewServeMux()
	mux.Handle("/graphql", retryAfterHeader(guardUploads(d.MaxUploadBytes+maxJSONBody, authenticate(authSvc, gql))))
	if d.Admission.Introspection {
		pg := playground.Handler("/graphql")
		mux.Handle("GET /{$}", pg)
		mux.Handle("GET "+playground.AssetPath, pg)
	} else {
		// The playground reads the schema by introspection: without it, it cannot work.
		mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, "no playground: introspection is off on this server (GRAPHQL_INTROSPECTION)", http.StatusNotFound)
		})
	}
	mux.HandleFunc("GET /health", h.summary)
	mux.HandleFunc("GET /health/live", h.live)
	mux.HandleFunc("GET /health/ready", h.ready)
	mux.HandleFunc("GET /health/detailed", h.detailed)
	mux.HandleFunc("GET /metrics", h.serveMetrics(d.Metrics))
	mux.Handle("/api/v1/auth/token", tokenEndpoint(authSvc, g, func(r *http.Request) func(string, ...any) {
		return loggerFrom(r.Context(), d.Logger).Error
	}))
	return observe(d.Logger, d.Metrics, d.Tracer, cors(d.CORSOrigins, withClient(d.Limits.TrustedProxies, routed(mux))))
}
