package loaders

import (
	"context"

	"github.com/google/uuid"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/literaryai/ensemble/internal/graphstore"
	"github.com/literaryai/ensemble/internal/page"
	"github.com/literaryai/ensemble/internal/relationships"
)

// RelationshipPageKey asks for one page of a character's relationships. Filter is kept
// by value and compared by its Key, so equal requests share a query.
type RelationshipPageKey struct {
	Character uuid.UUID
	FilterKey string
	First     int
	After     page.Cursor
	HasAfter  bool
	filter    *relationships.Filter
}

// NewRelationshipPageKey builds a key for a character's relationships page.
func NewRelationshipPageKey(character uuid.UUID, f relationships.Filter, a page.Args) RelationshipPageKey {
	k := RelationshipPageKey{Character: character, FilterKey: f.Key(), First: a.First, filter: &f}
	if a.After != nil {
		k.After, k.HasAfter = *a.After, true
	}
	return k
}

// RelationshipCountKey asks for the number of a character's filtered relationships.
type RelationshipCountKey struct {
	Character uuid.UUID
	FilterKey string
	filter    *relationships.Filter
}

// NewRelationshipCountKey builds a key for a character's relationship count.
func NewRelationshipCountKey(character uuid.UUID, f relationships.Filter) RelationshipCountKey {
	return RelationshipCountKey{Character: character, FilterKey: f.Key(), filter: &f}
}

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
	out := make([]*dataloader.Result[V], len(keys))
	for i, k := range keys {
		out[i] = &dataloader.Result[V]{Data: got[k], Error: err}
	}
	return out
}

// relationshipPages runs one query per distinct (filter, page) among the keys, covering
// every character that asked for it.
func relationshipPages(svc *relationships.Service) dataloader.BatchFunc[RelationshipPageKey, []*relationships.Relationship] {
	return func(ctx context.Context, keys []RelationshipPageKey) []*dataloader.Result[[]*relationships.Relationship] {
		type group struct {
			sample RelationshipPageKey
			ids    []uuid.UUID
		}
		groups := map[RelationshipPageKey]*group{}
		for _, k := range keys {
			g := k
			g.Character, g.filter = uuid.Nil, nil
			if groups[g] == nil {
				groups[g] = &group{sample: k}
			}
			groups[g].ids = append(groups[g].ids, k.Character)
		}
		got := make(map[RelationshipPageKey][]*relationships.Relationship, len(keys))
		var firstErr error
		for _, g := range groups {
			a := page.Args{First: g.sample.First}
			if g.sample.HasAfter {
				after := g.sample.After
				a.After = &after
			}
			pages, err := svc.PagesOfCharacters(ctx, g.ids, *g.sample.filter, a)
			if err != nil {
				firstErr = err
				continue
			}
			for _, id := range g.ids {
				k := g.sample
				k.Character, k.filter = id, nil
				got[k] = pages[id]
			}
		}
		out := make([]*dataloader.Result[[]*relationships.Relationship], len(keys))
		for i, k := range keys {
			lookup := k
			lookup.filter = nil
			out[i] = &dataloader.Result[[]*relationships.Relationship]{Data: got[lookup], Error: firstErr}
		}
		return out
	}
}

func relationshipCounts(svc *relationships.Service) dataloader.BatchFunc[RelationshipCountKey, int] {
	return func(ctx context.Context, keys []RelationshipCountKey) []*dataloader.Result[int] {
		byFilter := map[string][]RelationshipCountKey{}
		for _, k := range keys {
			byFilter[k.FilterKey] = append(byFilter[k.FilterKey], k)
		}
		got := make(map[RelationshipCountKey]int, len(keys))
		var firstErr error
		for fk, ks := range byFilter {
			ids := make([]uuid.UUID, len(ks))
			for i, k := range ks {
				ids[i] = k.Character
			}
			counts, err := svc.CountsOfCharacters(ctx, ids, *ks[0].filter)
			if err != nil {
				firstErr = err
				continue
			}
			for _, id := range ids {
				got[RelationshipCountKey{Character: id, FilterKey: fk}] = counts[id]
			}
		}
		out := make([]*dataloader.Result[int], len(keys))
		for i, k := range keys {
			out[i] = &dataloader.Result[int]{Data: got[RelationshipCountKey{Character: k.Character, FilterKey: k.FilterKey}], Error: firstErr}
		}
		return out
	}
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
		var firstErr error
		for r, ids := range groups {
			a := relationships.HistoryArgs{First: r.first}
			if r.hasBefore {
				before := r.before
				a.Before = &before
			}
			pages, err := svc.HistoryPages(ctx, ids, a)
			if err != nil {
				firstErr = err
				continue
			}
			for _, id := range ids {
				got[HistoryKey{Relationship: id, First: r.first, Before: r.before, HasBefore: r.hasBefore}] = pages[id]
			}
		}
		return results(keys, got, firstErr)
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
		var firstErr error
		for depth, nodes := range byDepth {
			found, err := svc.NeighborsOf(ctx, nodes, depth)
			if err != nil {
				firstErr = err
				continue
			}
			for _, n := range nodes {
				got[NeighborKey{Node: n, Depth: depth}] = found[n.Character]
			}
		}
		return results(keys, got, firstErr)
	}
}
