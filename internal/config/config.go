// Package config reads Ensemble's settings from the environment (and an optional .env).
// Every variable, its default and its meaning are listed in .env.example and the README.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/joho/godotenv"
)

// Environments.
const (
	Development = "development"
	Production  = "production"
)

// Trusted documents modes (TRUSTED_DOCUMENTS).
const (
	TrustedDocumentsOff     = "off"
	TrustedDocumentsEnforce = "enforce"
)

// MinSecretBytes is the shortest SECRET_KEY accepted: HS256 wants a key as long as its hash.
const MinSecretBytes = 32

// Config is every setting.
type Config struct {
	AppName                  string `env:"APP_NAME" envDefault:"Ensemble"`
	Debug                    bool   `env:"DEBUG" envDefault:"false"`
	Env                      string `env:"ENSEMBLE_ENV" envDefault:"development"`
	Addr                     string `env:"ADDR" envDefault:":8080"`
	DataDir                  string `env:"ENSEMBLE_DATA_DIR" envDefault:"./.ensemble"`
	SecretKey                string `env:"SECRET_KEY"`
	AccessTokenExpireMinutes int    `env:"ACCESS_TOKEN_EXPIRE_MINUTES" envDefault:"30"`
	RefreshTokenExpireDays   int    `env:"REFRESH_TOKEN_EXPIRE_DAYS" envDefault:"30"`
	DatabaseURL              string `env:"DATABASE_URL"`
	AutoMigrate              bool   `env:"AUTO_MIGRATE" envDefault:"true"`
	RedisURL                 string `env:"REDIS_URL"`
	// RedisChannel is the pub/sub channel events travel on; instances that should hear
	// each other share it.
	RedisChannel  string `env:"REDIS_EVENTS_CHANNEL" envDefault:"ensemble:events"`
	Neo4jURI      string `env:"NEO4J_URI"`
	Neo4jUser     string `env:"NEO4J_USER" envDefault:"neo4j"`
	Neo4jPassword string `env:"NEO4J_PASSWORD"`
	Neo4jDatabase string `env:"NEO4J_DATABASE"`
	// Neo4j pool settings follow the seed: 50 connections, 30 s to acquire one.
	Neo4jMaxPoolSize     int           `env:"NEO4J_MAX_POOL_SIZE" envDefault:"50"`
	Neo4jAcquireTimeout  time.Duration `env:"NEO4J_ACQUIRE_TIMEOUT" envDefault:"30s"`
	Neo4jMaxConnLifetime time.Duration `env:"NEO4J_MAX_CONNECTION_LIFETIME" envDefault:"1h"`
	PineconeAPIKey       string        `env:"PINECONE_API_KEY"`
	PineconeIndex        string        `env:"PINECONE_INDEX"`
	// PineconeHost is the index's host; empty looks it up (and checks the index) through
	// Pinecone's control plane.
	PineconeHost   string `env:"PINECONE_HOST"`
	MaxUploadBytes int64  `env:"MAX_UPLOAD_BYTES" envDefault:"26214400"`
	// Embeddings: offline (hashed n-grams) unless EMBEDDINGS_BASE_URL names an
	// OpenAI-compatible endpoint, whose model and vector dimension must then be given.
	EmbeddingsBaseURL   string `env:"EMBEDDINGS_BASE_URL"`
	EmbeddingsModel     string `env:"EMBEDDINGS_MODEL"`
	EmbeddingsDimension int    `env:"EMBEDDINGS_DIMENSION" envDefault:"256"`
	OpenAIAPIKey        string `env:"OPENAI_API_KEY"`
	// EmbeddingsTimeout bounds one request to the endpoint; EmbeddingsMaxRetries is how
	// often a failed one is retried (429, 5xx, network) before giving up.
	EmbeddingsTimeout    time.Duration `env:"EMBEDDINGS_TIMEOUT" envDefault:"30s"`
	EmbeddingsMaxRetries int           `env:"EMBEDDINGS_MAX_RETRIES" envDefault:"4"`
	// RecallDecay is recency's base per hour since a memory was last accessed.
	RecallDecay float64 `env:"RECALL_DECAY" envDefault:"0.995"`
	// RecallOverfetch candidates per result (at least RecallMinCandidates) are taken from
	// the vector index and re-ranked by the whole score.
	RecallOverfetch     int `env:"RECALL_OVERFETCH" envDefault:"5"`
	RecallMinCandidates int `env:"RECALL_MIN_CANDIDATES" envDefault:"50"`
	// ReflectionThreshold is the summed importance (0..1 each) of new memories that
	// makes a character reflect.
	ReflectionThreshold float64 `env:"REFLECTION_THRESHOLD" envDefault:"15"`
	// VectorMemoryBytes bounds the memory held by in-process vector indexes.
	VectorMemoryBytes int64 `env:"VECTOR_MEMORY_BYTES" envDefault:"1610612736"`
	// CORSOrigins lists the browser origins allowed to call the API; "*" allows any (safe
	// here because credentials travel in the Authorization header, never in cookies).
	CORSOrigins []string `env:"CORS_ALLOWED_ORIGINS" envDefault:"*" envSeparator:","`
	// Introspection lets the playground and code generators read the schema. Unset (or
	// empty), it is on in development and off in production; see Load.
	Introspection bool `env:"GRAPHQL_INTROSPECTION"`
	// ComplexityLimit bounds a single operation's cost: every field counts 1, and a
	// connection counts its selection once per item of the page it asks for.
	ComplexityLimit int `env:"GRAPHQL_COMPLEXITY_LIMIT" envDefault:"5000"`
	// DepthLimit bounds how deeply a query may nest selections.
	DepthLimit int `env:"GRAPHQL_DEPTH_LIMIT" envDefault:"12"`
	// MaxQueryBytes, MaxTokens, MaxFragments, MaxDirectives and MaxAliases bound one
	// GraphQL document (its text, not its variables), so that refusing an abusive one
	// costs little: a document over any of them is refused before it is validated.
	MaxQueryBytes int `env:"GRAPHQL_MAX_QUERY_BYTES" envDefault:"65536"`
	MaxTokens     int `env:"GRAPHQL_MAX_TOKENS" envDefault:"3000"`
	MaxFragments  int `env:"GRAPHQL_MAX_FRAGMENTS" envDefault:"100"`
	MaxDirectives int `env:"GRAPHQL_MAX_DIRECTIVES" envDefault:"50"`
	MaxAliases    int `env:"GRAPHQL_MAX_ALIASES" envDefault:"30"`
	// TrustedDocuments is off (any document runs, and clients may register documents
	// by automatic persisted queries) or enforce (only documents registered with
	// `ensemble documents register` run, for everyone, admins included).
	TrustedDocuments string `env:"TRUSTED_DOCUMENTS" envDefault:"off"`
	// APQTTL is how long Redis keeps a document sent by automatic persisted queries
	// (in process, the least recently used go first instead).
	APQTTL time.Duration `env:"APQ_TTL" envDefault:"24h"`
	// BatchWait is how long dataloaders gather the keys of sibling fields into one query.
	BatchWait time.Duration `env:"GRAPHQL_BATCH_WAIT" envDefault:"1ms"`
	// Planner answers pages of characters with their relationships from one plan of the
	// whole query instead of field by field; off only to compare the two.
	Planner bool `env:"GRAPHQL_PLANNER" envDefault:"true"`
	// MaxInflight is how many GraphQL queries and mutations run at once on this instance
	// (subscriptions are not counted); 0 chooses from the CPUs and the database pool (see
	// app.overload). Beyond it, an operation waits at most QueueWait in a queue of at most
	// QueueLength, first come first served, and is otherwise refused with OVERLOADED (HTTP
	// 503, Retry-After): work an instance cannot finish in time is better refused than
	// started. The wait bounds the latency of what is admitted: 2 s lets a hundred
	// connections of heavy nested queries take turns on two cores without refusals (bench
	// queries). The length only bounds the memory of waiting requests, and is generous so
	// that a burst of clients waits a moment rather than being refused at once and coming
	// straight back.
	MaxInflight int           `env:"GRAPHQL_MAX_INFLIGHT" envDefault:"0"`
	QueueLength int           `env:"GRAPHQL_QUEUE_LENGTH" envDefault:"1000"`
	QueueWait   time.Duration `env:"GRAPHQL_QUEUE_WAIT" envDefault:"2s"`
	// OperationTimeout is how long an admitted query or mutation may run: past it, its
	// statements are cancelled in PostgreSQL and the client gets TIMEOUT. (chat's wait
	// for its reply is bounded by CHAT_TIMEOUT instead.)
	OperationTimeout time.Duration `env:"GRAPHQL_TIMEOUT" envDefault:"30s"`
	// PasswordMemoryKiB and PasswordTime are argon2id's cost; the defaults follow RFC 9106.
	PasswordMemoryKiB uint32 `env:"PASSWORD_HASH_MEMORY_KIB" envDefault:"65536"`
	PasswordTime      uint32 `env:"PASSWORD_HASH_ITERATIONS" envDefault:"3"`
	// Text generation: the offline storyteller unless LLM_BASE_URL names an
	// OpenAI-compatible chat endpoint (OpenAI, Ollama, vLLM, llama.cpp), with LLM_MODEL.
	LLMBaseURL           string        `env:"LLM_BASE_URL"`
	LLMModel             string        `env:"LLM_MODEL"`
	LLMTimeout           time.Duration `env:"LLM_TIMEOUT" envDefault:"60s"`
	LLMFirstTokenTimeout time.Duration `env:"LLM_FIRST_TOKEN_TIMEOUT" envDefault:"20s"`
	LLMMaxRetries        int           `env:"LLM_MAX_RETRIES" envDefault:"3"`
	// ReplyWorkers is how many replies this instance writes at once.
	ReplyWorkers int `env:"REPLY_WORKERS" envDefault:"32"`
	// SceneWorkers is how many scene turns this instance runs at once; 0 chooses by the
	// generator (see app.sceneWorkers).
	SceneWorkers int `env:"SCENE_WORKERS" envDefault:"0"`
	// MaxRunningScenes is how many scenes one user may have running at once.
	MaxRunningScenes int `env:"MAX_RUNNING_SCENES" envDefault:"10"`
	// JobRescueAfter is how long a background job may run before another instance
	// takes it over as abandoned (its process died): a scene stopped by a crash goes on
	// after about this long.
	JobRescueAfter time.Duration `env:"JOB_RESCUE_AFTER" envDefault:"3m"`
	// EventsRetention is how long the outbox keeps events for subscriptions resuming from a
	// cursor; older ones are pruned hourly and their cursors expire. Zero keeps them all.
	EventsRetention time.Duration `env:"EVENTS_RETENTION" envDefault:"720h"`
	// ChatTimeout is how long the chat mutation waits for a reply.
	ChatTimeout time.Duration `env:"CHAT_TIMEOUT" envDefault:"120s"`
	// WSOriginPatterns lists the browser origins (host patterns such as
	// "app.example.com" or "*.example.com") allowed to open WebSockets besides the
	// API's own; empty allows same-origin pages and non-browser clients only.
	WSOriginPatterns []string `env:"WS_ALLOWED_ORIGINS" envSeparator:","`
	// WSKeepAlive is the interval of server pings on WebSockets and SSE streams.
	WSKeepAlive time.Duration `env:"WS_KEEPALIVE" envDefault:"12s"`
	// WSInitTimeout is how long a WebSocket may wait before sending connection_init.
	WSInitTimeout time.Duration `env:"WS_INIT_TIMEOUT" envDefault:"3s"`
	// ShutdownTimeout is how long in-flight requests may take to finish on SIGTERM.
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"20s"`
	// ShutdownDrainDelay is how long, on SIGTERM, /health/ready answers 503 while the
	// instance still serves, before it stops accepting: the time a load balancer needs to
	// notice and send new requests elsewhere. Zero stops accepting at once.
	ShutdownDrainDelay time.Duration `env:"SHUTDOWN_DRAIN_DELAY" envDefault:"0s"`
	// HealthToken opens /health/detailed in production to a request presenting it as a
	// bearer token (a monitor without an account), besides an admin's access token; empty
	// leaves it to admins. At least 32 bytes. Development leaves the endpoint open.
	HealthToken string `env:"HEALTH_TOKEN" envDefault:""`
	// OTelEndpoint is the OTLP/HTTP collector's base URL; set, traces are exported there
	// (the exporter reads the other OTEL_EXPORTER_OTLP_* variables itself).
	OTelEndpoint string `env:"OTEL_EXPORTER_OTLP_ENDPOINT" envDefault:""`
	// SessionCacheTTL is how long an instance may reuse the check of an access token's
	// session (does it still exist, the user's current role) instead of reading it again.
	// 0 reads it on every request, so a role change or a user deleted in the database
	// applies at the next request; with a cache they apply within the TTL. Sessions ended
	// through the API (sign-out, refresh-token reuse, account deletion) end at once anyway.
	SessionCacheTTL time.Duration `env:"SESSION_CACHE_TTL" envDefault:"0s"`
	// SecretKeyPrevious lists keys that SECRET_KEY replaced: access tokens they signed
	// still verify until they expire, so rotating the key signs nobody out. New tokens
	// are signed with SECRET_KEY only.
	SecretKeyPrevious []string `env:"SECRET_KEY_PREVIOUS" envSeparator:","`
	// TrustedProxies lists the addresses or CIDR ranges of the reverse proxies in front of
	// the API. Only a request from one of them has its X-Forwarded-For read for the client
	// address that rate limits count by; empty trusts none (the peer address counts).
	TrustedProxies []string `env:"TRUSTED_PROXIES" envSeparator:","`
	// Rate limits (see the README's Security section). A rate of 0 turns its limit off.
	// SignInPerMinute bounds password attempts (login, the OAuth2 password grant,
	// deleteAccount) from one client address.
	SignInPerMinute int `env:"RATE_LIMIT_SIGNIN_PER_MINUTE" envDefault:"30"`
	// SignInFreeFailures wrong passwords for one account from one address cost nothing;
	// each further one locks that account for that address, 1 s at first, doubling up to
	// SignInMaxDelay (0 turns the lockouts off). Failures are forgotten 15 minutes after
	// the last.
	SignInFreeFailures int           `env:"RATE_LIMIT_SIGNIN_FREE_FAILURES" envDefault:"5"`
	SignInMaxDelay     time.Duration `env:"RATE_LIMIT_SIGNIN_MAX_DELAY" envDefault:"1m"`
	// RegistrationsPerHour bounds the accounts registered from one client address.
	RegistrationsPerHour int `env:"RATE_LIMIT_REGISTRATIONS_PER_HOUR" envDefault:"20"`
	// RefreshPerMinute bounds token refreshes (refreshToken, the OAuth2 refresh grant)
	// from one client address.
	RefreshPerMinute int `env:"RATE_LIMIT_REFRESH_PER_MINUTE" envDefault:"60"`
	// CostPerMinute is the GraphQL complexity one account may spend a minute, summed over
	// its operations; AnonymousCostPerMinute is the same for requests without a token,
	// per client address.
	CostPerMinute          int `env:"RATE_LIMIT_COST_PER_MINUTE" envDefault:"200000"`
	AnonymousCostPerMinute int `env:"RATE_LIMIT_ANONYMOUS_COST_PER_MINUTE" envDefault:"20000"`
	// PasswordHashConcurrency bounds the password hashes computed at once (each holds
	// PASSWORD_HASH_MEMORY_KIB); 0 means one per CPU. A sign-in waits at most
	// PasswordHashWait for its turn, then is refused as RATE_LIMITED.
	PasswordHashConcurrency int           `env:"PASSWORD_HASH_CONCURRENCY" envDefault:"0"`
	PasswordHashWait        time.Duration `env:"PASSWORD_HASH_WAIT" envDefault:"2s"`
	// WSMaxSocketsPerUser bounds one user's open WebSockets on an instance;
	// WSMaxSubscriptionsPerSocket the operations running on one socket; and
	// MaxSubscriptionsPerUser one user's subscriptions on an instance, over WebSockets and
	// SSE together. 0 removes a bound.
	WSMaxSocketsPerUser         int `env:"WS_MAX_SOCKETS_PER_USER" envDefault:"16"`
	WSMaxSubscriptionsPerSocket int `env:"WS_MAX_SUBSCRIPTIONS_PER_SOCKET" envDefault:"100"`
	MaxSubscriptionsPerUser     int `env:"MAX_SUBSCRIPTIONS_PER_USER" envDefault:"200"`
}

// Production reports whether ENSEMBLE_ENV is production.
func (c *Config) Production() bool { return c.Env == Production }

// AccessTTL is the access-token lifetime.
func (c *Config) AccessTTL() time.Duration {
	return time.Duration(c.AccessTokenExpireMinutes) * time.Minute
}

// RefreshTTL is the refresh-token lifetime.
func (c *Config) RefreshTTL() time.Duration {
	return time.Duration(c.RefreshTokenExpireDays) * 24 * time.Hour
}

// Load reads the environment, after loading dotenv (when present) without overriding
// variables already set. environ is the process environment as os.Environ returns it.
func Load(environ []string, dotenv string) (*Config, error) {
	vars := map[string]string{}
	if dotenv != "" {
		fileVars, err := godotenv.Read(dotenv)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("read %s: %w", dotenv, err)
		}
		for k, v := range fileVars {
			vars[k] = v
		}
	}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	var c Config
	if err := env.ParseWithOptions(&c, env.Options{Environment: vars}); err != nil {
		return nil, explain(err)
	}
	if vars["GRAPHQL_INTROSPECTION"] == "" {
		// A production API does not publish its schema unless told to.
		c.Introspection = !c.Production()
	}
	if err := c.validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// explain rewrites the env library's parse errors to name the variable, not the Go field.
func explain(err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	t := reflect.TypeFor[Config]()
	msgs := make([]string, 0, len(agg.Errors))
	for _, e := range agg.Errors {
		var pe env.ParseError
		if errors.As(e, &pe) {
			if f, ok := t.FieldByName(pe.Name); ok {
				name, _, _ := strings.Cut(f.Tag.Get("env"), ",")
				msgs = append(msgs, fmt.Sprintf("%s: expected %s", name, expectation(pe.Type)))
				continue
			}
		}
		msgs = append(msgs, e.Error())
	}
	return errors.New("configuration: " + strings.Join(msgs, "; "))
}

func expectation(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return "a duration such as 30s or 5m"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "a whole number"
	case t.Kind() == reflect.Float64:
		return "a number"
	}
	return "a " + t.String()
}

func (c *Config) validate() error {
	switch {
	case c.Env != Development && c.Env != Production:
		return fmt.Errorf("configuration: ENSEMBLE_ENV: expected development or production, got %q", c.Env)
	case c.AccessTokenExpireMinutes < 1 || c.AccessTokenExpireMinutes > 1440:
		return errors.New("configuration: ACCESS_TOKEN_EXPIRE_MINUTES: expected 1 to 1440")
	case c.RefreshTokenExpireDays < 1 || c.RefreshTokenExpireDays > 365:
		return errors.New("configuration: REFRESH_TOKEN_EXPIRE_DAYS: expected 1 to 365")
	case c.SessionCacheTTL < 0 || c.SessionCacheTTL > time.Minute:
		return errors.New("configuration: SESSION_CACHE_TTL: expected 0 (no cache) to 1m")
	case c.MaxUploadBytes < 1 || c.MaxUploadBytes > 1<<30:
		return errors.New("configuration: MAX_UPLOAD_BYTES: expected 1 to 1073741824")
	case c.ComplexityLimit < 1:
		return errors.New("configuration: GRAPHQL_COMPLEXITY_LIMIT: expected a positive number")
	case c.DepthLimit < 1:
		return errors.New("configuration: GRAPHQL_DEPTH_LIMIT: expected a positive number")
	case c.MaxQueryBytes < 1 || c.MaxQueryBytes > 1<<20:
		return errors.New("configuration: GRAPHQL_MAX_QUERY_BYTES: expected 1 to 1048576 (the largest request body)")
	case c.TrustedDocuments != TrustedDocumentsOff && c.TrustedDocuments != TrustedDocumentsEnforce:
		return fmt.Errorf("configuration: TRUSTED_DOCUMENTS: expected off or enforce, got %q", c.TrustedDocuments)
	case c.APQTTL < time.Second:
		return errors.New("configuration: APQ_TTL: expected a duration of 1s or more")
	case c.MaxTokens < 1 || c.MaxFragments < 0 || c.MaxDirectives < 0 || c.MaxAliases < 0:
		return errors.New("configuration: GRAPHQL_MAX_TOKENS, GRAPHQL_MAX_FRAGMENTS, GRAPHQL_MAX_DIRECTIVES and GRAPHQL_MAX_ALIASES: expected a positive number of tokens and 0 or more of the rest")
	case c.PasswordMemoryKiB < 8 || c.PasswordTime < 1:
		return errors.New("configuration: PASSWORD_HASH_MEMORY_KIB and PASSWORD_HASH_ITERATIONS: expected at least 8 and 1")
	case c.MaxInflight < 0 || c.QueueLength < 0 || c.QueueWait < 0:
		return errors.New("configuration: GRAPHQL_MAX_INFLIGHT, GRAPHQL_QUEUE_LENGTH and GRAPHQL_QUEUE_WAIT: expected 0 (automatic; no queue; no wait) or more")
	case c.OperationTimeout <= 0:
		return errors.New("configuration: GRAPHQL_TIMEOUT: expected a positive duration")
	case c.BatchWait <= 0 || c.BatchWait > time.Second:
		return errors.New("configuration: GRAPHQL_BATCH_WAIT: expected a duration between 1µs and 1s")
	case c.Neo4jMaxPoolSize < 1:
		return errors.New("configuration: NEO4J_MAX_POOL_SIZE: expected a positive number")
	case c.Neo4jAcquireTimeout <= 0 || c.Neo4jMaxConnLifetime <= 0:
		return errors.New("configuration: NEO4J_ACQUIRE_TIMEOUT and NEO4J_MAX_CONNECTION_LIFETIME: expected positive durations")
	case c.EmbeddingsBaseURL != "" && c.EmbeddingsModel == "":
		return errors.New("configuration: EMBEDDINGS_MODEL: required with EMBEDDINGS_BASE_URL")
	case c.EmbeddingsDimension < 8 || c.EmbeddingsDimension > 8192:
		return errors.New("configuration: EMBEDDINGS_DIMENSION: expected 8 to 8192")
	case !(c.RecallDecay > 0 && c.RecallDecay <= 1):
		return errors.New("configuration: RECALL_DECAY: expected a number above 0, at most 1")
	case c.RecallOverfetch < 1 || c.RecallMinCandidates < 1:
		return errors.New("configuration: RECALL_OVERFETCH and RECALL_MIN_CANDIDATES: expected positive numbers")
	case !(c.ReflectionThreshold > 0):
		return errors.New("configuration: REFLECTION_THRESHOLD: expected a positive number")
	case c.VectorMemoryBytes < 1<<20:
		return errors.New("configuration: VECTOR_MEMORY_BYTES: expected at least 1048576")
	case (c.PineconeAPIKey == "") != (c.PineconeIndex == ""):
		return errors.New("configuration: PINECONE_API_KEY and PINECONE_INDEX: set both, or neither")
	case c.ShutdownTimeout <= 0:
		return errors.New("configuration: SHUTDOWN_TIMEOUT: expected a positive duration")
	case c.EventsRetention != 0 && c.EventsRetention < time.Hour:
		return errors.New("configuration: EVENTS_RETENTION: expected 0 (keep all) or at least 1h")
	case c.ShutdownDrainDelay < 0 || c.ShutdownDrainDelay > 5*time.Minute:
		return errors.New("configuration: SHUTDOWN_DRAIN_DELAY: expected a duration of 0 to 5m")
	case c.LLMBaseURL != "" && c.LLMModel == "":
		return errors.New("configuration: LLM_MODEL: required with LLM_BASE_URL")
	case c.LLMTimeout <= 0 || c.LLMFirstTokenTimeout <= 0 || c.LLMMaxRetries < 0:
		return errors.New("configuration: LLM_TIMEOUT, LLM_FIRST_TOKEN_TIMEOUT and LLM_MAX_RETRIES: expected positive durations and a count of at least 0")
	case c.ReplyWorkers < 1 || c.ReplyWorkers > 1000:
		return errors.New("configuration: REPLY_WORKERS: expected 1 to 1000")
	case c.SceneWorkers < 0 || c.SceneWorkers > 1000:
		return errors.New("configuration: SCENE_WORKERS: expected 0 (automatic) to 1000")
	case c.MaxRunningScenes < 1:
		return errors.New("configuration: MAX_RUNNING_SCENES: expected at least 1")
	case c.JobRescueAfter < time.Second:
		return errors.New("configuration: JOB_RESCUE_AFTER: expected at least 1s")
	case c.ChatTimeout <= 0:
		return errors.New("configuration: CHAT_TIMEOUT: expected a positive duration")
	case c.WSKeepAlive <= 0 || c.WSInitTimeout <= 0:
		return errors.New("configuration: WS_KEEPALIVE and WS_INIT_TIMEOUT: expected positive durations")
	case c.SignInPerMinute < 0 || c.SignInFreeFailures < 0 || c.SignInMaxDelay < 0 || c.RegistrationsPerHour < 0 ||
		c.RefreshPerMinute < 0 || c.CostPerMinute < 0 || c.AnonymousCostPerMinute < 0:
		return errors.New("configuration: RATE_LIMIT_*: expected 0 (off) or more")
	case c.PasswordHashConcurrency < 0 || c.PasswordHashWait <= 0:
		return errors.New("configuration: PASSWORD_HASH_CONCURRENCY and PASSWORD_HASH_WAIT: expected 0 (one per CPU) or more, and a positive duration")
	case c.WSMaxSocketsPerUser < 0 || c.WSMaxSubscriptionsPerSocket < 0 || c.MaxSubscriptionsPerUser < 0:
		return errors.New("configuration: WS_MAX_SOCKETS_PER_USER, WS_MAX_SUBSCRIPTIONS_PER_SOCKET and MAX_SUBSCRIPTIONS_PER_USER: expected 0 (no bound) or more")
	case c.Addr == "":
		return errors.New("configuration: ADDR: expected a listen address such as :8080")
	case c.DataDir == "":
		return errors.New("configuration: ENSEMBLE_DATA_DIR: expected a directory")
	}
	if _, err := c.TrustedProxyPrefixes(); err != nil {
		return err
	}
	if c.SecretKey != "" && len(c.SecretKey) < MinSecretBytes {
		return fmt.Errorf("configuration: SECRET_KEY: expected at least %d bytes, got %d (generate one with: openssl rand -hex 32)", MinSecretBytes, len(c.SecretKey))
	}
	for i, k := range c.SecretKeyPrevious {
		if k = strings.TrimSpace(k); k != "" && len(k) < MinSecretBytes {
			return fmt.Errorf("configuration: SECRET_KEY_PREVIOUS: key %d of %d: expected at least %d bytes, got %d (list the keys SECRET_KEY replaced, comma-separated)", i+1, len(c.SecretKeyPrevious), MinSecretBytes, len(k))
		}
	}
	if c.HealthToken != "" && len(c.HealthToken) < MinSecretBytes {
		return fmt.Errorf("configuration: HEALTH_TOKEN: expected at least %d bytes, got %d (generate one with: openssl rand -hex 32)", MinSecretBytes, len(c.HealthToken))
	}
	if c.SecretKey == "" && c.Production() {
		return fmt.Errorf("configuration: SECRET_KEY: required in production, at least %d bytes (generate one with: openssl rand -hex 32)", MinSecretBytes)
	}
	return nil
}

// TrustedProxyPrefixes parses TRUSTED_PROXIES; a lone address is a range of one.
func (c *Config) TrustedProxyPrefixes() ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(c.TrustedProxies))
	for _, s := range c.TrustedProxies {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("configuration: TRUSTED_PROXIES: %q is neither an address nor a CIDR range", s)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// Pinecone reports whether memory vectors live in Pinecone rather than in process.
func (c *Config) Pinecone() bool { return c.PineconeAPIKey != "" && c.PineconeIndex != "" }

// MemoryLimit is the Go runtime's soft memory limit when GOMEMLIMIT is not set: the
// vector indexes' bound plus room for everything else, so the collector works harder
// before the process outgrows what the indexes are allowed.
func (c *Config) MemoryLimit() int64 { return c.VectorMemoryBytes + 512<<20 }

// PreviousSecrets returns the keys of SECRET_KEY_PREVIOUS, which verify access tokens
// but sign none.
func (c *Config) PreviousSecrets() [][]byte {
	var out [][]byte
	for _, k := range c.SecretKeyPrevious {
		if k = strings.TrimSpace(k); k != "" {
			out = append(out, []byte(k))
		}
	}
	return out
}

// Secret returns SECRET_KEY. In development without one, it generates a key once and
// keeps it in the data directory, so tokens survive restarts.
func (c *Config) Secret(logger *slog.Logger) ([]byte, error) {
	if c.SecretKey != "" {
		return []byte(c.SecretKey), nil
	}
	path := filepath.Join(c.DataDir, "secret_key")
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) >= MinSecretBytes {
		return []byte(strings.TrimSpace(string(b))), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, fmt.Errorf("generate secret key: %w", err)
	}
	key := hex.EncodeToString(raw)
	if err := os.MkdirAll(c.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir %s: %w", c.DataDir, err)
	}
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	logger.Warn("SECRET_KEY is not set: generated a development key; set SECRET_KEY in production", "path", path)
	return []byte(key), nil
}
