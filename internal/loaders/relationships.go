package loaders

import (
	"context"

	"github.com/google/uuid"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/literaryai/ensemble/internal/graphstore"
	"github.com/literaryai/ensemble/internal/relationships"
)

// HistoryKey asks for one page of a relationship's history.
type HistoryKey struct {
	Relationship uuid.UUID
	First        int
	Before       int64
	HasBefore    bool
}

// NeighborKey asks for the neighbors of a character within depth.
type NeighborKey struct {
	Node  graphstore.Node
	Depth int
}

// results fans one lookup's answers (or error) out to the keys, in key order.
func results[K comparable, V any](keys []K, got map[K]V, err error) []*dataloader.Result[V] {
	return resultsBy(keys, got, func(K) error { return err })
}

// resultsBy is results where each key has its own error: a batch split into several
// queries fails only the keys of the query that failed.
func resultsBy[K comparable, V any](keys []K, got map[K]V, errOf func(K) error) []*dataloader.Result[V] {
	out := make([]*dataloader.Result[V], len(keys))
	for i, k := range keys {
		out[i] = &dataloader.Result[V]{Data: got[k], Error: errOf(k)}
	}
	return out
}

func historyPages(svc *relationships.Service) dataloader.BatchFunc[HistoryKey, []*relationships.Change] {
	return func(ctx context.Context, keys []HistoryKey) []*dataloader.Result[[]*relationships.Change] {
		type request struct {
			first     int
			before    int64
			hasBefore bool
		}
		groups := map[request][]uuid.UUID{}
		for _, k := range keys {
			r := request{k.First, k.Before, k.HasBefore}
			groups[r] = append(groups[r], k.Relationship)
		}
		got := make(map[HistoryKey][]*relationships.Change, len(keys))
		failed := map[request]error{}
		for r, ids := range groups {
			a := relationships.HistoryArgs{First: r.first}
			if r.hasBefore {
				before := r.before
				a.Before = &before
			}
			pages, err := svc.HistoryPages(ctx, ids, a)
			if err != nil {
				failed[r] = err
				continue
			}
			for _, id := range ids {
				got[HistoryKey{Relationship: id, First: r.first, Before: r.before, HasBefore: r.hasBefore}] = pages[id]
			}
		}
		return resultsBy(keys, got, func(k HistoryKey) error { return failed[request{k.First, k.Before, k.HasBefore}] })
	}
}

func historyCounts(svc *relationships.Service) dataloader.BatchFunc[uuid.UUID, int] {
	return func(ctx context.Context, keys []uuid.UUID) []*dataloader.Result[int] {
		counts, err := svc.HistoryCounts(ctx, keys)
		return results(keys, counts, err)
	}
}

// neighbors asks the graph backend once per depth for every node in the batch (one
// UNWIND round trip on Neo4j).
func neighbors(svc *relationships.Service) dataloader.BatchFunc[NeighborKey, []graphstore.Neighbor] {
	return func(ctx context.Context, keys []NeighborKey) []*dataloader.Result[[]graphstore.Neighbor] {
		byDepth := map[int][]graphstore.Node{}
		for _, k := range keys {
			byDepth[k.Depth] = append(byDepth[k.Depth], k.Node)
		}
		got := make(map[NeighborKey][]graphstore.Neighbor, len(keys))
		failed := map[int]error{}
		for depth, nodes := range byDepth {
			found, err := svc.NeighborsOf(ctx, nodes, depth)
			if err != nil {
				failed[depth] = err
				continue
			}
			for _, n := range nodes {
				got[NeighborKey{Node: n, Depth: depth}] = found[n.Character]
			}
		}
		return resultsBy(keys, got, func(k NeighborKey) error { return failed[k.Depth] })
	}
}
