// Package embedded is the default vector backend: each ecosystem's embeddings are loaded
// from PostgreSQL into an in-process index on first use (a search or a write) and kept
// in step by the writes that go through this process. Indexes are evicted, least recently used first, when the
// memory they hold passes a bound.
//
// Writes made by another instance are not seen until the ecosystem is reloaded, so
// several instances need a shared backend (Pinecone).
package embedded

import (
	"container/list"
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"sync"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/singleflight"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/vectorstore"
	"github.com/literaryai/ensemble/internal/vectorstore/index"
)

// indexOptions rescore more PQ candidates than the index's default: real text queries
// (a few words against two-sentence memories) spread their true neighbours wider than
// the index's synthetic benchmark, and rescoring 1,024 rows costs well under a
// millisecond.
var indexOptions = index.Options{Rerank: 1024}

// DefaultMaxBytes bounds the memory held by loaded indexes: about a million 256-dimension
// memories.
const DefaultMaxBytes = 1536 << 20

// Store is the embedded backend.
type Store struct {
	q        *db.Queries
	dim      int
	model    string
	maxBytes int64
	loads    singleflight.Group

	mu    sync.Mutex
	order *list.List // of uuid.UUID, most recently used first
	items map[uuid.UUID]*entry
	// pending collects the writes made while an ecosystem loads: its query may have
	// started before they committed, so they are applied to the new index after it.
	pending map[uuid.UUID][]func(*index.Index)
}

type entry struct {
	idx  *index.Index
	elem *list.Element
}

// New returns a store for embeddings of the given dimension and model: stored embeddings
// of another model (stale, awaiting `ensemble reindex vectors`) are left out.
func New(pool *pgxpool.Pool, dim int, model string, maxBytes int64) *Store {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	return &Store{q: db.New(pool), dim: dim, model: model, maxBytes: maxBytes, order: list.New(),
		items: map[uuid.UUID]*entry{}, pending: map[uuid.UUID][]func(*index.Index){}}
}

var _ vectorstore.Vectors = (*Store)(nil)

// Decode reads a stored embedding (little-endian float32s).
func Decode(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

// Encode writes an embedding for storage.
func Encode(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(f))
	}
	return b
}

// loaded returns the ecosystem's index if it is in memory.
func (s *Store) loaded(ecosystem uuid.UUID) *index.Index {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.items[ecosystem]
	if !ok {
		return nil
	}
	s.order.MoveToFront(e.elem)
	return e.idx
}

// index returns the ecosystem's index, loading it from PostgreSQL when needed.
func (s *Store) index(ctx context.Context, ecosystem uuid.UUID) (*index.Index, error) {
	if idx := s.loaded(ecosystem); idx != nil {
		return idx, nil
	}
	v, err, _ := s.loads.Do(ecosystem.String(), func() (any, error) {
		if idx := s.loaded(ecosystem); idx != nil {
			return idx, nil
		}
		s.mu.Lock()
		s.pending[ecosystem] = []func(*index.Index){}
		s.mu.Unlock()
		rows, err := s.q.ListEcosystemVectors(context.WithoutCancel(ctx), ecosystem)
		if err != nil {
			s.mu.Lock()
			delete(s.pending, ecosystem)
			s.mu.Unlock()
			return nil, fmt.Errorf("load vectors of ecosystem %s: %w", ecosystem, err)
		}
		idx := index.New(s.dim, indexOptions)
		items := make([]index.Item, 0, len(rows))
		for _, r := range rows {
			if r.EmbeddingModel != s.model || len(r.Embedding) != 4*s.dim {
				continue
			}
			items = append(items, index.Item{ID: r.ID, Character: r.CharacterID, Vector: Decode(r.Embedding)})
		}
		idx.Add(items...)
		s.keep(ecosystem, idx)
		return idx, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*index.Index), nil
}

// keep records a loaded index, after the writes made while it loaded, and evicts others
// past the memory bound.
func (s *Store) keep(ecosystem uuid.UUID, idx *index.Index) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, op := range s.pending[ecosystem] {
		op(idx)
	}
	delete(s.pending, ecosystem)
	s.items[ecosystem] = &entry{idx: idx, elem: s.order.PushFront(ecosystem)}
	var total int64
	for _, e := range s.items {
		total += e.idx.Bytes()
	}
	for total > s.maxBytes && s.order.Len() > 1 {
		last := s.order.Back()
		id := last.Value.(uuid.UUID)
		total -= s.items[id].idx.Bytes()
		s.order.Remove(last)
		delete(s.items, id)
	}
}

// Upsert implements vectorstore.Vectors. An ecosystem not in memory is loaded first, so
// the index is warm for the searches that follow the writes.
func (s *Store) Upsert(ctx context.Context, ecosystem uuid.UUID, items ...vectorstore.Item) error {
	entries := make([]index.Item, len(items))
	for i, it := range items {
		if len(it.Vector) != s.dim {
			return fmt.Errorf("vector of memory %s has dimension %d, want %d", it.ID, len(it.Vector), s.dim)
		}
		entries[i] = index.Item{ID: it.ID, Character: it.Character, Vector: it.Vector}
	}
	return s.apply(ctx, ecosystem, func(idx *index.Index) { idx.Add(entries...) })
}

// apply runs a write on the ecosystem's index: at once if it is loaded, after the load if
// it is loading (the load's query may have started before the write committed), and
// otherwise after loading it.
func (s *Store) apply(ctx context.Context, ecosystem uuid.UUID, op func(*index.Index)) error {
	s.mu.Lock()
	if ops, loading := s.pending[ecosystem]; loading {
		s.pending[ecosystem] = append(ops, op)
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	idx, err := s.index(ctx, ecosystem)
	if err != nil {
		return err
	}
	op(idx)
	return nil
}

// Delete implements vectorstore.Vectors.
func (s *Store) Delete(ctx context.Context, ecosystem uuid.UUID, ids ...uuid.UUID) error {
	return s.apply(ctx, ecosystem, func(idx *index.Index) { idx.Remove(ids...) })
}

// SearchCharacter implements vectorstore.Vectors: exact.
func (s *Store) SearchCharacter(ctx context.Context, ecosystem, character uuid.UUID, q []float32, k int) ([]vectorstore.Hit, error) {
	idx, err := s.index(ctx, ecosystem)
	if err != nil {
		return nil, err
	}
	return idx.SearchCharacter(character, q, k), nil
}

// Search implements vectorstore.Vectors: approximate (IVF) over the ecosystem.
func (s *Store) Search(ctx context.Context, ecosystem uuid.UUID, q []float32, k int) ([]vectorstore.Hit, error) {
	idx, err := s.index(ctx, ecosystem)
	if err != nil {
		return nil, err
	}
	return idx.Search(q, k), nil
}

// Status implements vectorstore.Vectors.
func (s *Store) Status(context.Context) vectorstore.Status {
	n, total := s.Size()
	return vectorstore.Status{Backend: "embedded", Up: true,
		Detail: fmt.Sprintf("%d ecosystems loaded, %d MiB", n, total>>20)}
}

// Size is how many ecosystems' indexes are loaded and the bytes they hold.
func (s *Store) Size() (ecosystems int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.items {
		bytes += e.idx.Bytes()
	}
	return len(s.items), bytes
}
