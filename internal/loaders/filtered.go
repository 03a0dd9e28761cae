package loaders

import (
	"context"

	"github.com/google/uuid"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/literaryai/ensemble/internal/page"
)

// keyed is a filter with a comparable form, for grouping loader requests.
type keyed interface{ Key() string }

// Unfiltered is the filter of a list that takes none (an ecosystem's characters).
type Unfiltered struct{}

// Key implements keyed.
func (Unfiltered) Key() string { return "" }

// PageOf asks for one page of an owner's filtered list (a character's relationships or
// memories). The filter is carried by pointer and compared by its Key, so equal requests
// share a query.
type PageOf[F keyed] struct {
	Owner     uuid.UUID
	FilterKey string
	First     int
	After     page.Cursor
	HasAfter  bool
	filter    *F
}

// NewPageOf builds a page key.
func NewPageOf[F keyed](owner uuid.UUID, f F, a page.Args) PageOf[F] {
	k := PageOf[F]{Owner: owner, FilterKey: f.Key(), First: a.First, filter: &f}
	if a.After != nil {
		k.After, k.HasAfter = *a.After, true
	}
	return k
}

// CountOf asks for the length of an owner's filtered list.
type CountOf[F keyed] struct {
	Owner     uuid.UUID
	FilterKey string
	filter    *F
}

// NewCountOf builds a count key.
func NewCountOf[F keyed](owner uuid.UUID, f F) CountOf[F] {
	return CountOf[F]{Owner: owner, FilterKey: f.Key(), filter: &f}
}

// filteredPages runs one query per distinct (filter, page) among the keys, covering every
// owner that asked for it.
func filteredPages[F keyed, V any](load func(context.Context, []uuid.UUID, F, page.Args) (map[uuid.UUID][]V, error)) dataloader.BatchFunc[PageOf[F], []V] {
	return func(ctx context.Context, keys []PageOf[F]) []*dataloader.Result[[]V] {
		type group struct {
			sample PageOf[F]
			ids    []uuid.UUID
		}
		groups := map[PageOf[F]]*group{}
		for _, k := range keys {
			g := k
			g.Owner, g.filter = uuid.Nil, nil
			if groups[g] == nil {
				groups[g] = &group{sample: k}
			}
			groups[g].ids = append(groups[g].ids, k.Owner)
		}
		got := make(map[PageOf[F]][]V, len(keys))
		// A failed query fails only the keys that asked for it.
		failed := map[PageOf[F]]error{}
		for gk, g := range groups {
			a := page.Args{First: g.sample.First}
			if g.sample.HasAfter {
				after := g.sample.After
				a.After = &after
			}
			pages, err := load(ctx, g.ids, *g.sample.filter, a)
			if err != nil {
				failed[gk] = err
				continue
			}
			for _, id := range g.ids {
				k := g.sample
				k.Owner, k.filter = id, nil
				got[k] = pages[id]
			}
		}
		out := make([]*dataloader.Result[[]V], len(keys))
		for i, k := range keys {
			k.filter = nil
			g := k
			g.Owner = uuid.Nil
			out[i] = &dataloader.Result[[]V]{Data: got[k], Error: failed[g]}
		}
		return out
	}
}

// filteredCounts runs one count query per distinct filter among the keys.
func filteredCounts[F keyed](count func(context.Context, []uuid.UUID, F) (map[uuid.UUID]int, error)) dataloader.BatchFunc[CountOf[F], int] {
	return func(ctx context.Context, keys []CountOf[F]) []*dataloader.Result[int] {
		byFilter := map[string][]CountOf[F]{}
		for _, k := range keys {
			byFilter[k.FilterKey] = append(byFilter[k.FilterKey], k)
		}
		got := make(map[CountOf[F]]int, len(keys))
		failed := map[string]error{}
		for fk, ks := range byFilter {
			ids := make([]uuid.UUID, len(ks))
			for i, k := range ks {
				ids[i] = k.Owner
			}
			counts, err := count(ctx, ids, *ks[0].filter)
			if err != nil {
				failed[fk] = err
				continue
			}
			for _, id := range ids {
				got[CountOf[F]{Owner: id, FilterKey: fk}] = counts[id]
			}
		}
		out := make([]*dataloader.Result[int], len(keys))
		for i, k := range keys {
			out[i] = &dataloader.Result[int]{Data: got[CountOf[F]{Owner: k.Owner, FilterKey: k.FilterKey}], Error: failed[k.FilterKey]}
		}
		return out
	}
}
