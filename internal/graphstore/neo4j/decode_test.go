package neo4j

import (
	"math"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/literaryai/ensemble/internal/graphstore"
)

func neighborRecord(id, neighbor uuid.UUID, name string, distance int64) *neo4j.Record {
	return &neo4j.Record{
		Keys:   []string{"id", "neighbor", "name", "distance"},
		Values: []any{id.String(), neighbor.String(), name, distance},
	}
}

func TestAddNeighbors(t *testing.T) {
	a, b, x, y, z := uuid.New(), uuid.New(), uuid.New(), uuid.New(), uuid.New()
	out := map[uuid.UUID][]graphstore.Neighbor{a: {}, b: {}, z: {}}
	err := addNeighbors(out, []*neo4j.Record{
		neighborRecord(a, x, "Xavier", 1),
		neighborRecord(a, y, "Yann", 2),
		neighborRecord(b, x, "Xavier", 1),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := out[a], []graphstore.Neighbor{{Character: x, Distance: 1}, {Character: y, Distance: 2}}; !slices.Equal(got, want) {
		t.Errorf("a: %v, want %v", got, want)
	}
	if got, want := out[b], []graphstore.Neighbor{{Character: x, Distance: 1}}; !slices.Equal(got, want) {
		t.Errorf("b: %v, want %v", got, want)
	}
	if got := out[z]; got == nil || len(got) != 0 {
		t.Errorf("z: %#v, want an empty list", got)
	}
}

func TestAddNeighborsRejectsMalformed(t *testing.T) {
	for name, rec := range map[string]*neo4j.Record{
		"bad id":         {Keys: []string{"id", "neighbor", "distance"}, Values: []any{"nope", uuid.NewString(), int64(1)}},
		"missing column": {Keys: []string{"id", "distance"}, Values: []any{uuid.NewString(), int64(1)}},
		"float distance": {Keys: []string{"id", "neighbor", "distance"}, Values: []any{uuid.NewString(), uuid.NewString(), 1.0}},
	} {
		if err := addNeighbors(map[uuid.UUID][]graphstore.Neighbor{}, []*neo4j.Record{rec}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func edgeMap(id, from, to uuid.UUID, typ string, strength float64) map[string]any {
	return map[string]any{
		"id": id.String(), "from": from.String(), "to": to.String(), "type": typ,
		"strength": strength, "trust": 0.5, "familiarity": int64(1),
	}
}

func pathRecord(chars []uuid.UUID, edges ...map[string]any) *neo4j.Record {
	cs := make([]any, len(chars))
	for i, c := range chars {
		cs[i] = c.String()
	}
	es := make([]any, len(edges))
	for i, e := range edges {
		es[i] = e
	}
	return &neo4j.Record{Keys: []string{"characters", "edges"}, Values: []any{cs, es}}
}

func TestDecodePathNone(t *testing.T) {
	for _, weighted := range []bool{false, true} {
		p, err := decodePath(nil, weighted)
		if err != nil {
			t.Fatal(err)
		}
		if p.Characters == nil || p.Edges == nil || len(p.Characters) != 0 || len(p.Edges) != 0 || p.Cost != 0 {
			t.Errorf("no path = %#v, want empty non-nil lists", p)
		}
	}
}

func TestDecodePathSingleCharacter(t *testing.T) {
	a := uuid.New()
	p, err := decodePath([]*neo4j.Record{pathRecord([]uuid.UUID{a})}, true)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(p.Characters, []uuid.UUID{a}) || len(p.Edges) != 0 || p.Cost != 0 {
		t.Errorf("path = %+v", p)
	}
}

// An edge walked against its direction keeps its stored From and To.
func TestDecodePathKeepsStoredDirection(t *testing.T) {
	a, b, c := uuid.New(), uuid.New(), uuid.New()
	r1, r2 := uuid.New(), uuid.New()
	rec := pathRecord([]uuid.UUID{a, b, c}, edgeMap(r1, a, b, "FRIEND", 0.9), edgeMap(r2, c, b, "RIVAL", -0.5))

	p, err := decodePath([]*neo4j.Record{rec}, false)
	if err != nil {
		t.Fatal(err)
	}
	want := []graphstore.Edge{
		{ID: r1, From: a, To: b, Type: "FRIEND", Strength: 0.9, Trust: 0.5, Familiarity: 1},
		{ID: r2, From: c, To: b, Type: "RIVAL", Strength: -0.5, Trust: 0.5, Familiarity: 1},
	}
	if !slices.Equal(p.Characters, []uuid.UUID{a, b, c}) || !slices.Equal(p.Edges, want) {
		t.Errorf("path = %+v", p)
	}
	if p.Cost != 2 {
		t.Errorf("unweighted cost = %v, want 2 hops", p.Cost)
	}

	w, err := decodePath([]*neo4j.Record{rec}, true)
	if err != nil {
		t.Fatal(err)
	}
	want2 := math.Round((graphstore.EdgeCost(0.9)+graphstore.EdgeCost(-0.5))*1e9) / 1e9
	if w.Cost != want2 {
		t.Errorf("weighted cost = %v, want %v", w.Cost, want2)
	}
}

func TestDecodePathRejectsMalformed(t *testing.T) {
	a, b := uuid.New(), uuid.New()
	good := edgeMap(uuid.New(), a, b, "ALLY", 0.1)
	broken := func(key string, v any) map[string]any {
		m := map[string]any{}
		for k, x := range good {
			m[k] = x
		}
		m[key] = v
		return m
	}
	cases := map[string][]*neo4j.Record{
		"two records":        {pathRecord([]uuid.UUID{a, b}, good), pathRecord([]uuid.UUID{a, b}, good)},
		"edge count":         {pathRecord([]uuid.UUID{a, b})},
		"bad character":      {{Keys: []string{"characters", "edges"}, Values: []any{[]any{"x"}, []any{}}}},
		"edges not a list":   {{Keys: []string{"characters", "edges"}, Values: []any{[]any{a.String()}, "x"}}},
		"edge not a map":     {{Keys: []string{"characters", "edges"}, Values: []any{[]any{a.String(), b.String()}, []any{"x"}}}},
		"edge id":            {pathRecord([]uuid.UUID{a, b}, broken("id", "x"))},
		"edge from":          {pathRecord([]uuid.UUID{a, b}, broken("from", nil))},
		"edge type":          {pathRecord([]uuid.UUID{a, b}, broken("type", int64(3)))},
		"edge strength":      {pathRecord([]uuid.UUID{a, b}, broken("strength", "strong"))},
		"no characters":      {{Keys: []string{"edges"}, Values: []any{[]any{}}}},
		"characters not ids": {{Keys: []string{"characters", "edges"}, Values: []any{[]any{int64(1)}, []any{}}}},
	}
	for name, recs := range cases {
		if p, err := decodePath(recs, true); err == nil {
			t.Errorf("%s: accepted as %+v", name, p)
		}
	}
}
