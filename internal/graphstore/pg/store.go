// Package pg is the default graph backend: each ecosystem's graph is read from PostgreSQL
// (the truth) into an in-process snapshot and traversed in memory. A snapshot is reused
// until the ecosystem's graph version moves, which every change of its characters or
// relationships does in the change's own transaction; so one cheap query per request
// keeps every instance current.
package pg

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/singleflight"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/graphstore"
)

// DefaultCacheSize is how many ecosystems' snapshots are kept; a big ecosystem (1,000
// characters, 100,000 relationships) takes about 15 MB.
const DefaultCacheSize = 32

// Store loads and caches snapshots, and implements graphstore.Graph over them.
type Store struct {
	pool  *pgxpool.Pool
	q     *db.Queries
	size  int
	loads singleflight.Group

	mu    sync.Mutex
	order *list.List // most recently used first; values are *Snapshot keyed in entries
	items map[uuid.UUID]*list.Element
}

type cached struct {
	ecosystem uuid.UUID
	snap      *Snapshot
}

// New returns a store keeping at most size snapshots (DefaultCacheSize when size <= 0).
func New(pool *pgxpool.Pool, size int) *Store {
	if size <= 0 {
		size = DefaultCacheSize
	}
	return &Store{pool: pool, q: db.New(pool), size: size, order: list.New(), items: map[uuid.UUID]*list.Element{}}
}

var _ graphstore.Graph = (*Store)(nil)

// Snapshot returns the ecosystem's current graph.
func (s *Store) Snapshot(ctx context.Context, ecosystem uuid.UUID) (*Snapshot, error) {
	version, err := s.q.GetGraphVersion(ctx, ecosystem)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("ecosystem %s: %w", ecosystem, errs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("graph version of ecosystem %s: %w", ecosystem, err)
	}
	if snap := s.lookup(ecosystem); snap != nil && snap.Version >= version {
		return snap, nil
	}
	v, err, _ := s.loads.Do(ecosystem.String(), func() (any, error) {
		if snap := s.lookup(ecosystem); snap != nil && snap.Version >= version {
			return snap, nil
		}
		snap, err := s.load(context.WithoutCancel(ctx), ecosystem)
		if err != nil {
			return nil, err
		}
		s.store(ecosystem, snap)
		return snap, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Snapshot), nil
}

func (s *Store) lookup(ecosystem uuid.UUID) *Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.items[ecosystem]
	if !ok {
		return nil
	}
	s.order.MoveToFront(el)
	return el.Value.(cached).snap
}

func (s *Store) store(ecosystem uuid.UUID, snap *Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.items[ecosystem]; ok {
		if el.Value.(cached).snap.Version > snap.Version {
			return
		}
		el.Value = cached{ecosystem, snap}
		s.order.MoveToFront(el)
		return
	}
	s.items[ecosystem] = s.order.PushFront(cached{ecosystem, snap})
	for s.order.Len() > s.size {
		last := s.order.Back()
		s.order.Remove(last)
		delete(s.items, last.Value.(cached).ecosystem)
	}
}

// load reads the version, the characters and the relationships in one snapshot of the
// database, so the graph is exactly the one that version names.
func (s *Store) load(ctx context.Context, ecosystem uuid.UUID) (*Snapshot, error) {
	var snap *Snapshot
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		q := db.New(tx)
		version, err := q.GetGraphVersion(ctx, ecosystem)
		if err != nil {
			return fmt.Errorf("graph version: %w", err)
		}
		chars, err := q.ListEcosystemCharacterNodes(ctx, ecosystem)
		if err != nil {
			return fmt.Errorf("characters: %w", err)
		}
		rels, err := q.ListEcosystemRelationships(ctx, ecosystem)
		if err != nil {
			return fmt.Errorf("relationships: %w", err)
		}
		nodes := make([]NodeInfo, len(chars))
		for i, c := range chars {
			nodes[i] = NodeInfo{ID: c.ID, Name: c.Name, CurrentEmotion: c.CurrentEmotion, IsActive: c.IsActive}
		}
		edges := make([]graphstore.Edge, len(rels))
		labels := make([]*string, len(rels))
		for i, r := range rels {
			edges[i] = graphstore.Edge{ID: r.ID, From: r.FromID, To: r.ToID, Type: r.Type,
				Strength: r.Strength, Trust: r.Trust, Familiarity: r.Familiarity}
			labels[i] = r.Label
		}
		snap = newSnapshot(version, nodes, edges, labels)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load graph of ecosystem %s: %w", ecosystem, err)
	}
	return snap, nil
}

// NeighborsOf implements graphstore.Graph: one snapshot per ecosystem among the nodes.
func (s *Store) NeighborsOf(ctx context.Context, nodes []graphstore.Node, depth int) (map[uuid.UUID][]graphstore.Neighbor, error) {
	if depth < 1 || depth > graphstore.MaxNeighborDepth {
		return nil, fmt.Errorf("neighbors: depth %d outside 1..%d", depth, graphstore.MaxNeighborDepth)
	}
	snaps := map[uuid.UUID]*Snapshot{}
	out := make(map[uuid.UUID][]graphstore.Neighbor, len(nodes))
	for _, n := range nodes {
		snap, ok := snaps[n.Ecosystem]
		if !ok {
			var err error
			if snap, err = s.Snapshot(ctx, n.Ecosystem); err != nil {
				return nil, err
			}
			snaps[n.Ecosystem] = snap
		}
		out[n.Character] = snap.neighbors(n.Character, depth)
	}
	return out, nil
}

// ShortestPath implements graphstore.Graph.
func (s *Store) ShortestPath(ctx context.Context, ecosystem, from, to uuid.UUID, maxDepth int, weighted bool) (graphstore.Path, error) {
	if maxDepth < 1 || maxDepth > graphstore.MaxPathDepth {
		return graphstore.Path{}, fmt.Errorf("shortest path: depth %d outside 1..%d", maxDepth, graphstore.MaxPathDepth)
	}
	snap, err := s.Snapshot(ctx, ecosystem)
	if err != nil {
		return graphstore.Path{}, err
	}
	return snap.shortestPath(from, to, maxDepth, weighted), nil
}

// Status implements graphstore.Graph: the pg backend is up when PostgreSQL answers.
func (s *Store) Status(ctx context.Context) graphstore.Status {
	st := graphstore.Status{Backend: "pg", Up: true}
	if err := s.pool.Ping(ctx); err != nil {
		st.Up, st.Error = false, "database unreachable"
	}
	return st
}
