// Package pinecone is the vector backend for more than one instance: memory vectors live
// in a Pinecone index that every instance shares, one namespace per ecosystem, so a write
// made by one instance is searchable from all of them (after Pinecone's short indexing
// delay). PostgreSQL still keeps every embedding; Rebuild refills the index from it.
//
// The API key is sent to Pinecone and nowhere else: it is in no error, status or log.
package pinecone

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	pc "github.com/pinecone-io/go-pinecone/v5/pinecone"

	"github.com/literaryai/ensemble/internal/vectorstore"
)

// Defaults for the zero values of Config.
const (
	DefaultTimeout    = 10 * time.Second
	DefaultMaxRetries = 3
)

// Config says which index to use and how patiently.
type Config struct {
	APIKey string
	// Index is the index's name. It is looked up on Pinecone's control plane for its host,
	// dimension and metric, unless Host is set.
	Index string
	// Host is the index's data-plane host (as the console shows it). Setting it spares the
	// control-plane lookup at start, which Pinecone recommends in production; the dimension
	// is then checked against the index's stats, and the metric is not checked, since the
	// data plane does not report it.
	Host string
	// Dimension is the embeddings' dimension; the index must have the same.
	Dimension int
	// Timeout bounds each attempt of each request (DefaultTimeout when zero).
	Timeout time.Duration
	// MaxRetries is how many times a request failing transiently is tried again
	// (DefaultMaxRetries when zero, none when negative).
	MaxRetries int
}

// Store is the Pinecone backend. It is safe for concurrent use.
type Store struct {
	name  string // the index's name, or its host when only that was given: for messages
	dim   int
	plane plane
	retry retryPolicy
}

var _ vectorstore.Vectors = (*Store)(nil)

// Open connects to the configured index after checking that it can hold the memories:
// dense, of the embeddings' dimension, and scored by cosine or dot product. A mismatch
// fails here, at start, instead of as rejected writes or meaningless scores later.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("pinecone: %w", err)
	}
	retries := cfg.MaxRetries
	switch {
	case retries == 0:
		retries = DefaultMaxRetries
	case retries < 0:
		retries = 0
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	policy := retryPolicy{retries: retries, timeout: timeout, base: 250 * time.Millisecond, ceiling: 8 * time.Second}

	client, err := pc.NewClient(pc.NewClientParams{ApiKey: cfg.APIKey})
	if err != nil {
		return nil, fmt.Errorf("pinecone: create client: %w", err)
	}
	host, name := cfg.Host, cfg.Index
	if host == "" {
		var desc *pc.Index
		err := policy.do(ctx, func(ctx context.Context) error {
			var err error
			desc, err = client.DescribeIndex(ctx, cfg.Index)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("pinecone: describe index %q: %w", cfg.Index, err)
		}
		if host, err = checkIndex(desc, cfg.Dimension); err != nil {
			return nil, fmt.Errorf("pinecone: %w", err)
		}
	} else if name == "" {
		name = host
	}
	if host, err = normalizeHost(host); err != nil {
		return nil, fmt.Errorf("pinecone: %w", err)
	}
	conn, err := client.Index(pc.NewIndexConnParams{Host: host})
	if err != nil {
		return nil, fmt.Errorf("pinecone: connect to index %s: %w", name, err)
	}
	s := &Store{name: name, dim: cfg.Dimension, plane: grpcPlane{conn: conn}, retry: policy}
	if cfg.Host != "" {
		if err := s.checkStats(ctx); err != nil {
			return nil, errors.Join(err, s.Close())
		}
	}
	return s, nil
}

// validate reports what is missing from cfg.
func (cfg Config) validate() error {
	switch {
	case cfg.APIKey == "":
		return errors.New("no API key configured (PINECONE_API_KEY)")
	case cfg.Index == "" && cfg.Host == "":
		return errors.New("no index configured (PINECONE_INDEX)")
	case cfg.Dimension <= 0:
		return fmt.Errorf("the embeddings' dimension must be positive, not %d", cfg.Dimension)
	}
	return nil
}

// checkStats checks the dimension of an index reached by its host alone.
func (s *Store) checkStats(ctx context.Context) error {
	var stats *pc.DescribeIndexStatsResponse
	err := s.retry.do(ctx, func(ctx context.Context) error {
		var err error
		stats, err = s.plane.stats(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("pinecone: describe stats of index %s: %w", s.name, err)
	}
	if err := checkStatsDimension(s.name, stats, s.dim); err != nil {
		return fmt.Errorf("pinecone: %w", err)
	}
	return nil
}

// Close releases the connection to the index.
func (s *Store) Close() error {
	if err := s.plane.close(); err != nil {
		return fmt.Errorf("pinecone: close connection to index %s: %w", s.name, err)
	}
	return nil
}

// namespace is where an ecosystem's vectors live: keeping ecosystems apart costs no filter
// and lets one be cleared at once.
func namespace(ecosystem uuid.UUID) string { return ecosystem.String() }

// Upsert implements vectorstore.Vectors. Items go in requests of at most 1000 vectors and
// 2 MB, Pinecone's limits; when one request fails, those before it stay written, which
// is harmless since an upsert can be repeated.
func (s *Store) Upsert(ctx context.Context, ecosystem uuid.UUID, items ...vectorstore.Item) error {
	vectors := make([]*pc.Vector, len(items))
	sizes := make([]int, len(items))
	for i, it := range items {
		if len(it.Vector) != s.dim {
			return fmt.Errorf("pinecone: vector of memory %s has dimension %d, want %d", it.ID, len(it.Vector), s.dim)
		}
		v, err := toVector(it)
		if err != nil {
			return fmt.Errorf("pinecone: %w", err)
		}
		vectors[i], sizes[i] = v, vectorSize(v)
	}
	ns := namespace(ecosystem)
	spans := batches(sizes, maxUpsertVectors, maxRequestBytes)
	for i, b := range spans {
		err := s.retry.do(ctx, func(ctx context.Context) error {
			return s.plane.upsert(ctx, ns, vectors[b.lo:b.hi])
		})
		if err != nil {
			return fmt.Errorf("pinecone: upsert %d vectors into ecosystem %s (request %d of %d): %w",
				b.hi-b.lo, ecosystem, i+1, len(spans), err)
		}
	}
	return nil
}

// Delete implements vectorstore.Vectors, 1000 ids a request (Pinecone's limit). Deleting
// from an ecosystem with no namespace yet succeeds: there is nothing to remove.
func (s *Store) Delete(ctx context.Context, ecosystem uuid.UUID, ids ...uuid.UUID) error {
	strs := make([]string, len(ids))
	sizes := make([]int, len(ids))
	for i, id := range ids {
		strs[i] = id.String()
		sizes[i] = len(strs[i])
	}
	ns := namespace(ecosystem)
	for _, b := range batches(sizes, maxDeleteIDs, maxRequestBytes) {
		err := s.retry.do(ctx, func(ctx context.Context) error {
			return s.plane.deleteIDs(ctx, ns, strs[b.lo:b.hi])
		})
		if err != nil && !notFound(err) {
			return fmt.Errorf("pinecone: delete %d vectors of ecosystem %s: %w", b.hi-b.lo, ecosystem, err)
		}
	}
	return nil
}

// DeleteEcosystem removes every vector of an ecosystem: before a rebuild refills it, and
// when the ecosystem itself is deleted.
func (s *Store) DeleteEcosystem(ctx context.Context, ecosystem uuid.UUID) error {
	ns := namespace(ecosystem)
	err := s.retry.do(ctx, func(ctx context.Context) error { return s.plane.deleteAll(ctx, ns) })
	if err != nil && !notFound(err) {
		return fmt.Errorf("pinecone: delete the vectors of ecosystem %s: %w", ecosystem, err)
	}
	return nil
}

// SearchCharacter implements vectorstore.Vectors with a metadata filter on the character.
// Pinecone applies the filter during the search, so the k results are the character's k
// nearest, not the ecosystem's nearest thinned out.
func (s *Store) SearchCharacter(ctx context.Context, ecosystem, character uuid.UUID, q []float32, k int) ([]vectorstore.Hit, error) {
	filter, err := characterFilter(character)
	if err != nil {
		return nil, fmt.Errorf("pinecone: %w", err)
	}
	return s.query(ctx, ecosystem, filter, q, k)
}

// Search implements vectorstore.Vectors.
func (s *Store) Search(ctx context.Context, ecosystem uuid.UUID, q []float32, k int) ([]vectorstore.Hit, error) {
	return s.query(ctx, ecosystem, nil, q, k)
}

// query returns the k vectors of the ecosystem nearest to q that pass filter (nil for
// all), best first. Values are left out of the answer: only ids, scores and the
// character are needed.
func (s *Store) query(ctx context.Context, ecosystem uuid.UUID, filter *pc.MetadataFilter, q []float32, k int) ([]vectorstore.Hit, error) {
	if k <= 0 {
		return nil, nil
	}
	if k > MaxTopK {
		return nil, fmt.Errorf("pinecone: cannot return %d results: Pinecone returns at most %d", k, MaxTopK)
	}
	if len(q) != s.dim {
		return nil, fmt.Errorf("pinecone: query vector has dimension %d, want %d", len(q), s.dim)
	}
	req := &pc.QueryByVectorValuesRequest{Vector: q, TopK: uint32(k), MetadataFilter: filter, IncludeMetadata: true}
	var matches []*pc.ScoredVector
	err := s.retry.do(ctx, func(ctx context.Context) error {
		var err error
		matches, err = s.plane.query(ctx, namespace(ecosystem), req)
		return err
	})
	if notFound(err) {
		return nil, nil // no namespace yet: the ecosystem has no vectors
	}
	if err != nil {
		return nil, fmt.Errorf("pinecone: query ecosystem %s: %w", ecosystem, err)
	}
	hits, err := toHits(matches)
	if err != nil {
		return nil, fmt.Errorf("pinecone: results of ecosystem %s: %w", ecosystem, err)
	}
	return hits, nil
}

// Status implements vectorstore.Vectors with one attempt of the index's stats, so a health
// check answers within the timeout instead of waiting through retries.
func (s *Store) Status(ctx context.Context) vectorstore.Status {
	ctx, cancel := context.WithTimeout(ctx, s.retry.timeout)
	defer cancel()
	stats, err := s.plane.stats(ctx)
	if err != nil {
		return vectorstore.Status{Backend: "pinecone", Detail: fmt.Sprintf("index %s: %v", s.name, err)}
	}
	return vectorstore.Status{Backend: "pinecone", Up: true, Detail: statsDetail(s.name, stats)}
}
