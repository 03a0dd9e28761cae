package loaders

import (
	"context"

	"github.com/google/uuid"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/literaryai/ensemble/internal/memories"
	"github.com/literaryai/ensemble/internal/page"
)

// MemoryPageKey asks for one page of a character's memories.
type MemoryPageKey struct {
	Character uuid.UUID
	FilterKey string
	First     int
	After     page.Cursor
	HasAfter  bool
	filter    *memories.Filter
}

// NewMemoryPageKey builds a key for a character's memories page.
func NewMemoryPageKey(character uuid.UUID, f memories.Filter, a page.Args) MemoryPageKey {
	k := MemoryPageKey{Character: character, FilterKey: f.Key(), First: a.First, filter: &f}
	if a.After != nil {
		k.After, k.HasAfter = *a.After, true
	}
	return k
}

// MemoryCountKey asks for the number of a character's filtered memories.
type MemoryCountKey struct {
	Character uuid.UUID
	FilterKey string
	filter    *memories.Filter
}

// NewMemoryCountKey builds a key for a character's memory count.
func NewMemoryCountKey(character uuid.UUID, f memories.Filter) MemoryCountKey {
	return MemoryCountKey{Character: character, FilterKey: f.Key(), filter: &f}
}

// memoryPages runs one query per distinct (filter, page) among the keys.
func memoryPages(svc *memories.Service) dataloader.BatchFunc[MemoryPageKey, []*memories.Memory] {
	return func(ctx context.Context, keys []MemoryPageKey) []*dataloader.Result[[]*memories.Memory] {
		type group struct {
			sample MemoryPageKey
			ids    []uuid.UUID
		}
		groups := map[MemoryPageKey]*group{}
		for _, k := range keys {
			g := k
			g.Character, g.filter = uuid.Nil, nil
			if groups[g] == nil {
				groups[g] = &group{sample: k}
			}
			groups[g].ids = append(groups[g].ids, k.Character)
		}
		got := make(map[MemoryPageKey][]*memories.Memory, len(keys))
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
		out := make([]*dataloader.Result[[]*memories.Memory], len(keys))
		for i, k := range keys {
			lookup := k
			lookup.filter = nil
			out[i] = &dataloader.Result[[]*memories.Memory]{Data: got[lookup], Error: firstErr}
		}
		return out
	}
}

func memoryCounts(svc *memories.Service) dataloader.BatchFunc[MemoryCountKey, int] {
	return func(ctx context.Context, keys []MemoryCountKey) []*dataloader.Result[int] {
		byFilter := map[string][]MemoryCountKey{}
		for _, k := range keys {
			byFilter[k.FilterKey] = append(byFilter[k.FilterKey], k)
		}
		got := make(map[MemoryCountKey]int, len(keys))
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
				got[MemoryCountKey{Character: id, FilterKey: fk}] = counts[id]
			}
		}
		out := make([]*dataloader.Result[int], len(keys))
		for i, k := range keys {
			out[i] = &dataloader.Result[int]{Data: got[MemoryCountKey{Character: k.Character, FilterKey: k.FilterKey}], Error: firstErr}
		}
		return out
	}
}

func memorySources(svc *memories.Service) dataloader.BatchFunc[uuid.UUID, []*memories.Memory] {
	return func(ctx context.Context, keys []uuid.UUID) []*dataloader.Result[[]*memories.Memory] {
		got, err := svc.SourcesOf(ctx, keys)
		return results(keys, got, err)
	}
}
