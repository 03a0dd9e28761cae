// Package neo4j is the Neo4j graph backend: a projection of the characters and
// relationships held in PostgreSQL, kept current by a Projector that follows the outbox,
// and queried with Cypher so that traversals run next to the data.
//
// The graph model is
//
//	(:Character {id, ecosystemId, name, currentEmotion, isActive})
//	(:Character)-[:RELATES {id, type, label, strength, trust, familiarity}]->(:Character)
//
// with every id stored as its canonical UUID string. The relationship direction is the
// stored one (from feels something about to); traversals ignore it.
package neo4j

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/config"

	"github.com/literaryai/ensemble/internal/graphstore"
)

// Pool defaults, those of the seed deployment. The driver's own defaults differ (100
// connections, a one-minute acquisition timeout).
const (
	DefaultMaxConnectionPoolSize        = 50
	DefaultConnectionAcquisitionTimeout = 30 * time.Second
	DefaultMaxConnectionLifetime        = time.Hour
)

// Config says where the server is and how to pool connections to it.
type Config struct {
	// URI is the server, e.g. neo4j://host:7687 (routing) or bolt://host:7687 (direct).
	URI string
	// User and Password authenticate with basic auth; both empty means no auth.
	User     string
	Password string
	// Database is the database to use; empty means the server's default database.
	Database string
	// MaxConnectionPoolSize caps connections per server (DefaultMaxConnectionPoolSize
	// when 0; negative means no cap, as in the driver).
	MaxConnectionPoolSize int
	// ConnectionAcquisitionTimeout bounds the wait for a pooled connection
	// (DefaultConnectionAcquisitionTimeout when 0; negative waits forever).
	ConnectionAcquisitionTimeout time.Duration
	// MaxConnectionLifetime retires connections older than this, so load balancers
	// and server restarts do not leave stale sockets in the pool
	// (DefaultMaxConnectionLifetime when 0; negative keeps them forever).
	MaxConnectionLifetime time.Duration
	// DisableSocketKeepalive turns TCP keep-alive off; it is on by default so that idle
	// pooled connections dropped by a firewall are noticed.
	DisableSocketKeepalive bool
}

// withDefaults fills the zero settings with the package defaults.
func (c Config) withDefaults() Config {
	if c.MaxConnectionPoolSize == 0 {
		c.MaxConnectionPoolSize = DefaultMaxConnectionPoolSize
	}
	if c.ConnectionAcquisitionTimeout == 0 {
		c.ConnectionAcquisitionTimeout = DefaultConnectionAcquisitionTimeout
	}
	if c.MaxConnectionLifetime == 0 {
		c.MaxConnectionLifetime = DefaultMaxConnectionLifetime
	}
	return c
}

// configure copies the pool settings into the driver's configuration.
func (c Config) configure(dc *config.Config) {
	dc.MaxConnectionPoolSize = c.MaxConnectionPoolSize
	dc.ConnectionAcquisitionTimeout = c.ConnectionAcquisitionTimeout
	dc.MaxConnectionLifetime = c.MaxConnectionLifetime
	dc.SocketKeepalive = !c.DisableSocketKeepalive
}

// auth is basic auth, or none when no credentials are given (a server with auth off).
func (c Config) auth() neo4j.AuthToken {
	if c.User == "" && c.Password == "" {
		return neo4j.NoAuth()
	}
	return neo4j.BasicAuth(c.User, c.Password, "")
}

// Store queries the projection. It is safe for concurrent use.
type Store struct {
	driver   neo4j.DriverWithContext
	database string
}

var _ graphstore.Graph = (*Store)(nil)

// Open connects to the server, checks that it answers with the given credentials, and
// creates the constraints and indexes the queries rely on (idempotently).
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.URI == "" {
		return nil, errors.New("neo4j open: URI is required")
	}
	cfg = cfg.withDefaults()
	driver, err := neo4j.NewDriverWithContext(cfg.URI, cfg.auth(), cfg.configure)
	if err != nil {
		return nil, fmt.Errorf("neo4j open: %w", err)
	}
	s := &Store{driver: driver, database: cfg.Database}
	if err := driver.VerifyConnectivity(ctx); err != nil {
		_ = driver.Close(ctx)
		return nil, fmt.Errorf("neo4j open: verify connectivity: %w", err)
	}
	if err := s.ensureSchema(ctx); err != nil {
		_ = driver.Close(ctx)
		return nil, err
	}
	return s, nil
}

// Close releases the driver's connections.
func (s *Store) Close(ctx context.Context) error {
	if err := s.driver.Close(ctx); err != nil {
		return fmt.Errorf("neo4j close: %w", err)
	}
	return nil
}

// ensureSchema creates the uniqueness constraint (which also indexes Character.id) and
// the indexes on Character.ecosystemId and RELATES.id. Each runs in its own transaction:
// Neo4j does not mix schema changes with other work.
func (s *Store) ensureSchema(ctx context.Context) error {
	for _, q := range schemaQueries {
		if _, err := neo4j.ExecuteQuery(ctx, s.driver, q, nil, neo4j.EagerResultTransformer,
			neo4j.ExecuteQueryWithWritersRouting(), neo4j.ExecuteQueryWithDatabase(s.database)); err != nil {
			return fmt.Errorf("neo4j schema %q: %w", q, err)
		}
	}
	return nil
}

// read runs one query in a read transaction routed to a reader, after the writes this
// driver made (the driver's bookmark manager chains them), and returns every record.
func (s *Store) read(ctx context.Context, query string, params map[string]any) ([]*neo4j.Record, error) {
	res, err := neo4j.ExecuteQuery(ctx, s.driver, query, params, neo4j.EagerResultTransformer,
		neo4j.ExecuteQueryWithReadersRouting(), neo4j.ExecuteQueryWithDatabase(s.database))
	if err != nil {
		return nil, err
	}
	return res.Records, nil
}

// write runs the statements in order in one write transaction, retried by the driver on
// transient failures. It shares the bookmark manager of read, so a later read sees it.
func (s *Store) write(ctx context.Context, stmts []statement) (err error) {
	if len(stmts) == 0 {
		return nil
	}
	session := s.driver.NewSession(ctx, neo4j.SessionConfig{
		AccessMode:      neo4j.AccessModeWrite,
		DatabaseName:    s.database,
		BookmarkManager: s.driver.ExecuteQueryBookmarkManager(),
	})
	defer func() {
		if cerr := session.Close(ctx); cerr != nil && err == nil {
			err = cerr
		}
	}()
	_, err = session.ExecuteWrite(ctx, func(tx neo4j.ManagedTransaction) (any, error) {
		for _, st := range stmts {
			res, err := tx.Run(ctx, st.query, st.params)
			if err != nil {
				return nil, err
			}
			if _, err := res.Consume(ctx); err != nil {
				return nil, err
			}
		}
		return nil, nil
	})
	return err
}

// NeighborsOf implements graphstore.Graph in one round trip for all nodes. Every node
// asked about has an entry, empty when it has no neighbor or is not in the projection.
// Within one distance, neighbors are ordered by name, then id, as in package pg.
func (s *Store) NeighborsOf(ctx context.Context, nodes []graphstore.Node, depth int) (map[uuid.UUID][]graphstore.Neighbor, error) {
	query, params, err := neighborsQuery(nodes, depth)
	if err != nil {
		return nil, fmt.Errorf("neo4j neighbors: %w", err)
	}
	out := make(map[uuid.UUID][]graphstore.Neighbor, len(nodes))
	for _, n := range nodes {
		out[n.Character] = []graphstore.Neighbor{}
	}
	if len(nodes) == 0 {
		return out, nil
	}
	records, err := s.read(ctx, query, params)
	if err != nil {
		return nil, fmt.Errorf("neo4j neighbors: %w", err)
	}
	if err := addNeighbors(out, records); err != nil {
		return nil, fmt.Errorf("neo4j neighbors: %w", err)
	}
	return out, nil
}

// ShortestPath implements graphstore.Graph. Unweighted, it is Cypher's shortestPath
// (breadth-first from both ends); among several shortest paths it returns one, not always
// the same one. Weighted, it enumerates the paths and keeps the cheapest (see
// MaxWeightedPathDepth for the cost of that, and the depth it is limited to). A missing
// character, or no path within maxDepth, is an empty Path and no error.
func (s *Store) ShortestPath(ctx context.Context, ecosystem, from, to uuid.UUID, maxDepth int, weighted bool) (graphstore.Path, error) {
	query, params, err := shortestPathQuery(ecosystem, from, to, maxDepth, weighted)
	if err != nil {
		return graphstore.Path{}, fmt.Errorf("neo4j shortest path: %w", err)
	}
	records, err := s.read(ctx, query, params)
	if err != nil {
		return graphstore.Path{}, fmt.Errorf("neo4j shortest path: %w", err)
	}
	p, err := decodePath(records, weighted)
	if err != nil {
		return graphstore.Path{}, fmt.Errorf("neo4j shortest path: %w", err)
	}
	return p, nil
}

// Status implements graphstore.Graph: up when a server answers, with its version.
func (s *Store) Status(ctx context.Context) graphstore.Status {
	st := graphstore.Status{Backend: "neo4j"}
	info, err := s.driver.GetServerInfo(ctx)
	if err != nil {
		st.Error = err.Error()
		return st
	}
	st.Up = true
	st.Version = strings.TrimPrefix(info.Agent(), "Neo4j/")
	return st
}

// apply writes a change set in one transaction.
func (s *Store) apply(ctx context.Context, c changeSet) error {
	if err := s.write(ctx, applyStatements(c)); err != nil {
		return fmt.Errorf("neo4j apply changes: %w", err)
	}
	return nil
}

// upsertCharacters writes one batch of characters in its own transaction (a rebuild).
func (s *Store) upsertCharacters(ctx context.Context, nodes []characterNode) error {
	q, p := upsertCharactersQuery(nodes)
	if err := s.write(ctx, []statement{{q, p}}); err != nil {
		return fmt.Errorf("neo4j upsert %d characters: %w", len(nodes), err)
	}
	return nil
}

// upsertRelationships writes one batch of relationships in its own transaction (a
// rebuild, after their characters).
func (s *Store) upsertRelationships(ctx context.Context, edges []relationshipEdge) error {
	q, p := upsertRelationshipsQuery(edges)
	if err := s.write(ctx, []statement{{q, p}}); err != nil {
		return fmt.Errorf("neo4j upsert %d relationships: %w", len(edges), err)
	}
	return nil
}

// wipe deletes every character and relationship, batch by batch so that no single
// transaction has to hold a whole big graph.
func (s *Store) wipe(ctx context.Context, batch int) error {
	query, params := wipeQuery(batch)
	for {
		res, err := neo4j.ExecuteQuery(ctx, s.driver, query, params, neo4j.EagerResultTransformer,
			neo4j.ExecuteQueryWithWritersRouting(), neo4j.ExecuteQueryWithDatabase(s.database))
		if err != nil {
			return fmt.Errorf("neo4j wipe: %w", err)
		}
		if len(res.Records) != 1 {
			return fmt.Errorf("neo4j wipe: %d records, want 1", len(res.Records))
		}
		deleted, _, err := neo4j.GetRecordValue[int64](res.Records[0], "deleted")
		if err != nil {
			return fmt.Errorf("neo4j wipe: %w", err)
		}
		if deleted == 0 {
			return nil
		}
	}
}
