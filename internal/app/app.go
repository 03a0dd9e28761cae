// Package app assembles Ensemble's services and HTTP handler from a configuration and a
// database pool. cmd/ensemble owns the process (configuration, database, listener,
// signals); the test harness builds the same app, so tests run what production runs.
package app

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/trace"

	"github.com/literaryai/ensemble/internal/activity"
	"github.com/literaryai/ensemble/internal/admission"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/casting"
	"github.com/literaryai/ensemble/internal/charactercards"
	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/chat"
	"github.com/literaryai/ensemble/internal/config"
	"github.com/literaryai/ensemble/internal/conversations"
	"github.com/literaryai/ensemble/internal/documents"
	"github.com/literaryai/ensemble/internal/ecosystemexport"
	"github.com/literaryai/ensemble/internal/ecosystems"
	"github.com/literaryai/ensemble/internal/embedding"
	outbox "github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/graphstore"
	"github.com/literaryai/ensemble/internal/graphstore/pg"
	"github.com/literaryai/ensemble/internal/jobs"
	"github.com/literaryai/ensemble/internal/limits"
	"github.com/literaryai/ensemble/internal/llm"
	"github.com/literaryai/ensemble/internal/loaders"
	"github.com/literaryai/ensemble/internal/memories"
	"github.com/literaryai/ensemble/internal/metrics"
	"github.com/literaryai/ensemble/internal/observatory"
	"github.com/literaryai/ensemble/internal/persisted"
	"github.com/literaryai/ensemble/internal/relationships"
	"github.com/literaryai/ensemble/internal/scenarios"
	"github.com/literaryai/ensemble/internal/scenes"
	"github.com/literaryai/ensemble/internal/server"
	"github.com/literaryai/ensemble/internal/tracing"
	"github.com/literaryai/ensemble/internal/vectorstore"
	"github.com/literaryai/ensemble/internal/vectorstore/embedded"
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
	// Vectors is the memory vector backend; nil means the in-process embedded backend.
	Vectors vectorstore.Vectors
	// JobsPool is the pool background jobs poll with; nil means Pool. serve gives River
	// a small pool of its own, so that its leader election and fetches never wait behind
	// requests for a connection; tests also keep the job queue's own statements out of
	// their counts of request round trips.
	JobsPool *pgxpool.Pool
	// Metrics is the registry's owner; nil makes one for this app.
	Metrics *metrics.Metrics
	// Tracer makes the spans of operations and jobs; nil traces nothing. The pools'
	// statements are traced by the tracer their configuration carries (tracing.SQL).
	Tracer trace.TracerProvider
}

// App is the assembled API.
type App struct {
	Handler http.Handler
	Auth    *auth.Service
	Bus     bus.Bus
	// Jobs runs background work; Start and Stop it around serving.
	Jobs *jobs.Runner
	// Memories is the memory service, for maintenance commands.
	Memories *memories.Service
	// Streams ends the live subscriptions when the server shuts down, so that clients
	// reconnect (see server.Streams).
	Streams *server.Streams
	// Readiness drains the instance before it stops accepting (see server.Readiness).
	Readiness *server.Readiness
	scenes    *scenes.Service
	// stopWatch ends the watches Start began.
	stopWatch context.CancelFunc
}

// Start begins background work: jobs, the watch for scene turns left by instances that
// died, and (when session checks are cached) the watch for sessions other instances end.
func (a *App) Start(ctx context.Context) error {
	if err := a.Jobs.Start(ctx); err != nil {
		return err
	}
	watch, cancel := context.WithCancel(context.WithoutCancel(ctx))
	a.stopWatch = cancel
	go a.scenes.Watch(watch)
	a.Auth.FollowRevocations(watch, a.Bus)
	return nil
}

// Stop lets running background work finish (until ctx ends) and stops it.
func (a *App) Stop(ctx context.Context) error {
	if a.stopWatch != nil {
		a.stopWatch()
	}
	return a.Jobs.Stop(ctx)
}

// newEmbedder is the offline embedder, or the OpenAI-compatible endpoint when configured.
func newEmbedder(cfg *config.Config) (embedding.Embedder, error) {
	if cfg.EmbeddingsBaseURL == "" {
		return embedding.NewOffline(cfg.EmbeddingsDimension), nil
	}
	e, err := embedding.NewOpenAI(embedding.OpenAIConfig{
		BaseURL: cfg.EmbeddingsBaseURL, Model: cfg.EmbeddingsModel, APIKey: cfg.OpenAIAPIKey,
		Dimension: cfg.EmbeddingsDimension, Timeout: cfg.EmbeddingsTimeout, MaxRetries: cfg.EmbeddingsMaxRetries,
	})
	if err != nil {
		return nil, fmt.Errorf("EMBEDDINGS_BASE_URL: %w", err)
	}
	return e, nil
}

// newBus is the in-process bus, or Redis pub/sub when REDIS_URL is set (needed as soon
// as more than one instance serves the same database).
func newBus(cfg *config.Config, logger *slog.Logger, m *metrics.Metrics) (bus.Bus, error) {
	if cfg.RedisURL == "" {
		return bus.NewLocal(), nil
	}
	b, err := bus.NewRedis(context.Background(), bus.RedisOptions{URL: cfg.RedisURL, Channel: cfg.RedisChannel, Logger: logger,
		DeliveryLag: m.BusLag()})
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	return b, nil
}

// newLimits builds the rate limits and caps. With Redis, budgets are kept there under
// the events channel's name, so the instances that hear each other share them.
func newLimits(cfg *config.Config, events bus.Bus, logger *slog.Logger, now func() time.Time) (server.Limits, error) {
	local, err := limits.NewLocal(limits.DefaultLocalKeys, now)
	if err != nil {
		return server.Limits{}, err
	}
	var store limits.Store = local
	if rb, ok := events.(*bus.Redis); ok {
		store = limits.NewRedis(rb.Client(), cfg.RedisChannel+":limits:", local, logger)
	}
	trusted, err := cfg.TrustedProxyPrefixes()
	if err != nil {
		return server.Limits{}, err
	}
	return server.Limits{
		Store:          store,
		TrustedProxies: trusted,
		SignIn:         limits.PerMinute(cfg.SignInPerMinute),
		SignInFailures: limits.Backoff{Free: cfg.SignInFreeFailures, First: time.Second, Max: cfg.SignInMaxDelay, Forget: 15 * time.Minute},
		Registrations:  limits.PerHour(cfg.RegistrationsPerHour),
		Refresh:        limits.PerMinute(cfg.RefreshPerMinute),
		Cost:           limits.PerMinute(cfg.CostPerMinute),
		AnonymousCost:  limits.PerMinute(cfg.AnonymousCostPerMinute),
		Hashes:         auth.NewHashGate(cmp.Or(cfg.PasswordHashConcurrency, runtime.GOMAXPROCS(0)), cfg.PasswordHashWait),
		SocketsPerUser: cfg.WSMaxSocketsPerUser, SubscriptionsPerUser: cfg.MaxSubscriptionsPerUser,
		SubscriptionsPerSocket: cfg.WSMaxSubscriptionsPerSocket,
	}, nil
}

// Bounds of the in-process cache of automatic persisted queries, and of the registered
// documents kept in process.
const (
	apqEntries     = 10_000
	apqBytes       = 32 << 20
	trustedEntries = 10_000
)

// newPersisted serves the documents clients name by hash: only registered ones when
// TRUSTED_DOCUMENTS is enforce, else those sent by automatic persisted queries, kept in
// Redis when there is one (every instance then knows them) and in process otherwise.
func newPersisted(cfg *config.Config, pool *pgxpool.Pool, events bus.Bus, logger *slog.Logger) (graphql.HandlerExtension, error) {
	if cfg.TrustedDocuments == config.TrustedDocumentsEnforce {
		docs, err := persisted.NewDocuments(pool, trustedEntries)
		if err != nil {
			return nil, err
		}
		return persisted.NewEnforce(docs), nil
	}
	if rb, ok := events.(*bus.Redis); ok {
		return persisted.NewAPQ(persisted.NewRedisCache(rb.Client(), cfg.RedisChannel+":apq:", cfg.APQTTL, cfg.MaxQueryBytes, logger)), nil
	}
	cache, err := persisted.NewLocalCache(apqEntries, apqBytes, cfg.MaxQueryBytes)
	if err != nil {
		return nil, err
	}
	return persisted.NewAPQ(cache), nil
}

// newGenerator is the offline storyteller, or the OpenAI-compatible endpoint when
// configured.
func newGenerator(cfg *config.Config, tp trace.TracerProvider) (llm.Generator, error) {
	if cfg.LLMBaseURL == "" {
		return llm.NewOffline(), nil
	}
	g, err := llm.NewOpenAI(llm.OpenAIConfig{BaseURL: cfg.LLMBaseURL, Model: cfg.LLMModel, APIKey: cfg.OpenAIAPIKey,
		Timeout: cfg.LLMTimeout, FirstTokenTimeout: cfg.LLMFirstTokenTimeout, MaxRetries: cfg.LLMMaxRetries, Tracer: tp})
	if err != nil {
		return nil, fmt.Errorf("LLM_BASE_URL: %w", err)
	}
	return g, nil
}

// sceneWorkers is how many turns run at once: as configured, or else by what writes the
// lines. Offline a turn is CPU work here and in PostgreSQL, and more turns at once than
// a few per core only lengthen each (measured with `ensemble bench scenes`: 8 workers on
// 2 cores gave the same turns per second as 64 at a fifth of the latency); a model's
// turns wait on the network.
func sceneWorkers(cfg *config.Config) int {
	switch {
	case cfg.SceneWorkers > 0:
		return cfg.SceneWorkers
	case cfg.LLMBaseURL != "":
		return 64
	}
	return 4 * runtime.GOMAXPROCS(0)
}

// overload bounds the GraphQL operations of this instance: as configured, or else by
// the machine. An operation alternates between this process's CPU and the database, so
// a few per CPU keep both busy while one waits on the other; more only share the same
// CPUs among more requests, each finishing later (measured on 2 CPUs with the nested
// query of issue 13: 4, 8 and 16 at once served the same rate, about 270 a second, and
// 4 per CPU leaves room for a database further away). An operation may hold a few
// connections at once (sibling loaders), so at most half the pool is theirs, leaving
// the rest to jobs' work and to transactions.
func overload(cfg *config.Config, pool *pgxpool.Pool) server.Overload {
	n := cfg.MaxInflight
	if n == 0 {
		n = max(1, min(4*runtime.GOMAXPROCS(0), int(pool.Config().MaxConns)/2))
	}
	return server.Overload{Gate: limits.NewGate(n, cfg.QueueLength, cfg.QueueWait), Timeout: cfg.OperationTimeout}
}

// New wires every service and the HTTP handler.
func New(o Options) (*App, error) {
	cfg := o.Config
	now := o.Now
	if now == nil {
		now = time.Now
	}
	m := o.Metrics
	if m == nil {
		m = metrics.New()
	}
	events, err := newBus(cfg, o.Logger, m)
	if err != nil {
		return nil, err
	}
	authSvc, err := auth.NewService(o.Pool, events, auth.Config{
		Secret: o.Secret, PreviousSecrets: cfg.PreviousSecrets(), Issuer: cfg.AppName, Audience: auth.Audience,
		AccessTTL: cfg.AccessTTL(), RefreshTTL: cfg.RefreshTTL(),
		Password:        auth.PasswordParams{Time: cfg.PasswordTime, Memory: cfg.PasswordMemoryKiB, Threads: 2},
		SessionCacheTTL: cfg.SessionCacheTTL,
	}, now)
	if err != nil {
		return nil, err
	}
	generator, err := newGenerator(cfg, o.Tracer)
	if err != nil {
		return nil, err
	}
	snaps := pg.New(o.Pool, 0)
	graph := o.Graph
	if graph == nil {
		graph = snaps
	}
	embedder, err := newEmbedder(cfg)
	if err != nil {
		return nil, err
	}
	vectors := o.Vectors
	if vectors == nil {
		vectors = embedded.New(o.Pool, embedder.Dimension(), embedder.Model(), cfg.VectorMemoryBytes)
	}
	runner := jobs.NewRunner()
	memSvc := memories.NewService(o.Pool, events, embedder, vectors, runner, memories.Config{
		Decay: cfg.RecallDecay, Weights: memories.DefaultConfig.Weights, Overfetch: cfg.RecallOverfetch,
		MinCandidates: cfg.RecallMinCandidates, ReflectionThreshold: cfg.ReflectionThreshold,
	}, now)
	jobs.Register(runner, memories.NewReflectWorker(memSvc))
	convSvc := conversations.NewService(o.Pool, events, runner)
	res := &resolvers.Resolver{
		AuthService:         authSvc,
		EcosystemService:    ecosystems.NewService(o.Pool, events),
		CharacterService:    characters.NewService(o.Pool, events),
		DocumentService:     documents.NewService(o.Pool, cfg.MaxUploadBytes, runner, events),
		RelationshipService: relationships.NewService(o.Pool, events, graph, snaps, now),
		MemoryService:       memSvc,
		ConversationService: convSvc,
		ChatService:         chat.NewChat(convSvc, events, cfg.ChatTimeout),
		Activity:            activity.NewService(o.Pool, events),
		Bus:                 events,
	}
	res.ScenarioService = scenarios.NewService(o.Pool, events)
	res.SceneService = scenes.NewService(o.Pool, events, runner, memSvc, cfg.MaxRunningScenes, o.Logger, now)
	res.ObservatoryService = observatory.NewService(o.Pool, events, now)
	res.CardService = charactercards.NewService(o.Pool, events, memSvc)
	res.ExportService = ecosystemexport.NewService(o.Pool, events, memSvc, cfg.MaxUploadBytes, now)
	writer, ok := generator.(llm.SceneWriter)
	if !ok {
		return nil, fmt.Errorf("generator %s cannot write scenes", generator.Model())
	}
	jobs.Register(runner, scenes.NewWorker(res.SceneService, writer, cfg.LLMTimeout))
	res.Casting = casting.NewService(o.Pool, events, res.DocumentService, res.CharacterService, memSvc, res.RelationshipService, o.Logger)
	if w, ok := generator.(llm.ProfileWriter); ok {
		res.Casting.RefineWith(w)
	}
	jobs.Register(runner, documents.NewAnalyzeWorker(res.DocumentService, o.Logger))
	jobs.Register(runner, chat.NewWorker(chat.Deps{Conversations: convSvc,
		Characters: res.CharacterService, Memories: memSvc, Relationships: res.RelationshipService,
		Generator: generator, Bus: events, Logger: o.Logger, Now: now, Timeout: cfg.LLMTimeout}))
	jobsPool := o.JobsPool
	if jobsPool == nil {
		jobsPool = o.Pool
	}
	var periodic []*river.PeriodicJob
	if cfg.EventsRetention > 0 {
		// Upkeep, like River's own: on the queue's pool, not the one requests share.
		jobs.Register(runner, outbox.NewPruneWorker(jobsPool, cfg.EventsRetention))
		periodic = append(periodic, outbox.PeriodicJob())
	}
	if err := runner.Open(jobsPool, o.Logger, jobs.Options{
		Queues:      map[string]int{conversations.ReplyQueue: cfg.ReplyWorkers, scenes.Queue: sceneWorkers(cfg)},
		RescueAfter: cfg.JobRescueAfter,
		Middleware:  []rivertype.Middleware{tracing.JobMiddleware(o.Tracer), m.JobMiddleware()},
		Periodic:    periodic,
	}); err != nil {
		return nil, err
	}
	if err := watch(m, o.Pool, jobsPool, vectors); err != nil {
		return nil, err
	}
	serverLimits, err := newLimits(cfg, events, o.Logger, now)
	if err != nil {
		return nil, err
	}
	persistedDocs, err := newPersisted(cfg, o.Pool, events, o.Logger)
	if err != nil {
		return nil, err
	}
	streams := server.NewStreams()
	readiness := &server.Readiness{}
	handler := server.New(server.Deps{
		Logger: o.Logger, Pool: o.Pool, Resolver: res, Version: o.Version, Database: o.Database,
		Graph: graph,
		Loaders: loaders.Sources{Auth: authSvc, Ecosystems: res.EcosystemService, Characters: res.CharacterService,
			Relationships: res.RelationshipService, Memories: memSvc, Documents: res.DocumentService,
			Conversations: convSvc, Scenarios: res.ScenarioService, Scenes: res.SceneService, Wait: cfg.BatchWait,
			Tracer: o.Tracer},
		Vectors: vectors, Embedder: embedder,
		Production: cfg.Production(), HealthToken: cfg.HealthToken, Planner: cfg.Planner,
		Admission: admission.Limits{
			QueryBytes: cfg.MaxQueryBytes, Tokens: cfg.MaxTokens, Fragments: cfg.MaxFragments,
			Directives: cfg.MaxDirectives, Aliases: cfg.MaxAliases, Depth: cfg.DepthLimit,
			Complexity: cfg.ComplexityLimit, Introspection: cfg.Introspection,
		},
		MaxUploadBytes: cfg.MaxUploadBytes, CORSOrigins: cfg.CORSOrigins,
		Bus: events, Generator: generator.Model(), WSOriginPatterns: cfg.WSOriginPatterns, WSInitTimeout: cfg.WSInitTimeout, KeepAlive: cfg.WSKeepAlive,
		Limits: serverLimits, Persisted: persistedDocs, Overload: overload(cfg, o.Pool), Streams: streams, Readiness: readiness,
		Metrics: m, Tracer: o.Tracer,
	})
	return &App{Handler: handler, Auth: authSvc, Bus: events, Jobs: runner, Memories: memSvc, Streams: streams, Readiness: readiness,
		scenes: res.SceneService}, nil
}

// watch exports the pools' use, the job queue's depth and, when the vectors are held in
// process, the index's size.
func watch(m *metrics.Metrics, pool, jobsPool *pgxpool.Pool, vectors vectorstore.Vectors) error {
	if err := m.WatchPool("requests", pool); err != nil {
		return err
	}
	if jobsPool != pool {
		if err := m.WatchPool("jobs", jobsPool); err != nil {
			return err
		}
	}
	if err := m.WatchJobQueue(jobsPool); err != nil {
		return err
	}
	if sizer, ok := vectors.(metrics.Sizer); ok {
		return m.WatchVectors(sizer)
	}
	return nil
}
