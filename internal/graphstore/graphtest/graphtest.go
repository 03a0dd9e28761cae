// Package graphtest is the behaviour every graph backend must show, run against each
// (the pg backend always, Neo4j when NEO4J_URI is set). The fixture is written through
// the real services, so it lands in PostgreSQL and the outbox as production data does.
package graphtest

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/ecosystems"
	"github.com/literaryai/ensemble/internal/graphstore"
	"github.com/literaryai/ensemble/internal/graphstore/pg"
	"github.com/literaryai/ensemble/internal/relationships"
)

// Fixture is a small cast:
//
//	Alice -FRIEND 0.9-> Bob -ALLY 0.9-> Carol -FRIEND 0.9-> Diana
//	Alice -ACQUAINTANCE 0.1-> Diana       (direct but weak)
//	Eve <-RIVAL -0.8- Diana               (walked backwards)
//	Frank                                 (alone)
//	Zed in another ecosystem
type Fixture struct {
	Ecosystem uuid.UUID
	Other     uuid.UUID
	IDs       map[string]uuid.UUID
	// Edge ids by "From>To".
	Edges map[string]uuid.UUID
}

// Build writes the fixture into the database behind pool.
func Build(t testing.TB, pool *pgxpool.Pool) *Fixture {
	t.Helper()
	ctx := context.Background()
	var uid uuid.UUID
	if err := pool.QueryRow(ctx, `INSERT INTO users (username, email, password_hash) VALUES ('graph', 'graph@example.com', 'x') RETURNING id`).Scan(&uid); err != nil {
		t.Fatal(err)
	}
	viewer := auth.Identity{UserID: uid, Role: auth.RoleUser}
	events := bus.NewLocal()
	ecos := ecosystems.NewService(pool, events)
	chars := characters.NewService(pool, events)
	snaps := pg.New(pool, 0)
	rels := relationships.NewService(pool, events, snaps, snaps, time.Now)

	name := func(s string) *string { return &s }
	f := &Fixture{IDs: map[string]uuid.UUID{}, Edges: map[string]uuid.UUID{}}
	eco, err := ecos.Create(ctx, viewer, ecosystems.Patch{Name: name("Graph")})
	if err != nil {
		t.Fatal(err)
	}
	other, err := ecos.Create(ctx, viewer, ecosystems.Patch{Name: name("Elsewhere")})
	if err != nil {
		t.Fatal(err)
	}
	f.Ecosystem, f.Other = eco.ID, other.ID
	for _, n := range []string{"Alice", "Bob", "Carol", "Diana", "Eve", "Frank"} {
		c, err := chars.Create(ctx, viewer, eco.ID, characters.Patch{Name: name(n)})
		if err != nil {
			t.Fatal(err)
		}
		f.IDs[n] = c.ID
	}
	zed, err := chars.Create(ctx, viewer, other.ID, characters.Patch{Name: name("Zed")})
	if err != nil {
		t.Fatal(err)
	}
	f.IDs["Zed"] = zed.ID
	for _, e := range []struct {
		from, to string
		typ      relationships.Type
		strength float64
	}{
		{"Alice", "Bob", relationships.Friend, 0.9},
		{"Bob", "Carol", relationships.Ally, 0.9},
		{"Carol", "Diana", relationships.Friend, 0.9},
		{"Alice", "Diana", relationships.Acquaintance, 0.1},
		{"Diana", "Eve", relationships.Rival, -0.8},
	} {
		strength := e.strength
		typ := e.typ
		r, err := rels.Create(ctx, viewer, relationships.Input{FromID: f.IDs[e.from], ToID: f.IDs[e.to], Type: &typ, Strength: &strength})
		if err != nil {
			t.Fatal(err)
		}
		f.Edges[e.from+">"+e.to] = r.ID
	}
	return f
}

// names maps a path's or neighbor list's ids back to fixture names.
func (f *Fixture) names(ids []uuid.UUID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		for n, fid := range f.IDs {
			if fid == id {
				out[i] = n
			}
		}
	}
	return out
}

func join(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ","
		}
		out += x
	}
	return out
}

// Run checks a backend against the fixture; g must already reflect it.
func Run(t *testing.T, g graphstore.Graph, f *Fixture) {
	ctx := context.Background()
	node := func(n string) graphstore.Node { return graphstore.Node{Ecosystem: f.Ecosystem, Character: f.IDs[n]} }

	t.Run("neighbors", func(t *testing.T) {
		tests := []struct {
			from  string
			depth int
			want  string
		}{
			{"Alice", 1, "Bob:1,Diana:1"},
			{"Alice", 2, "Bob:1,Diana:1,Carol:2,Eve:2"},
			{"Eve", 1, "Diana:1"},
			{"Eve", 3, "Diana:1,Alice:2,Carol:2,Bob:3"},
			{"Frank", 3, ""},
		}
		for _, tc := range tests {
			got, err := g.NeighborsOf(ctx, []graphstore.Node{node(tc.from)}, tc.depth)
			if err != nil {
				t.Fatal(err)
			}
			var parts []string
			for _, n := range got[f.IDs[tc.from]] {
				parts = append(parts, f.names([]uuid.UUID{n.Character})[0]+":"+string(rune('0'+n.Distance)))
			}
			if join(parts) != tc.want {
				t.Fatalf("neighbors(%s, %d) = %s, want %s", tc.from, tc.depth, join(parts), tc.want)
			}
		}
	})

	t.Run("neighbors of several nodes at once", func(t *testing.T) {
		got, err := g.NeighborsOf(ctx, []graphstore.Node{node("Alice"), node("Frank"), node("Eve")}, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(got[f.IDs["Alice"]]) != 2 || len(got[f.IDs["Frank"]]) != 0 || len(got[f.IDs["Eve"]]) != 1 {
			t.Fatalf("batched neighbors = %v", got)
		}
	})

	t.Run("shortest path", func(t *testing.T) {
		tests := []struct {
			from, to string
			depth    int
			weighted bool
			want     string
			edges    []string
		}{
			{"Alice", "Diana", 6, false, "Alice,Diana", []string{"Alice>Diana"}},
			{"Alice", "Diana", 6, true, "Alice,Bob,Carol,Diana", []string{"Alice>Bob", "Bob>Carol", "Carol>Diana"}},
			{"Alice", "Diana", 2, true, "Alice,Diana", []string{"Alice>Diana"}},
			{"Bob", "Eve", 6, false, "Bob,Alice,Diana,Eve", nil},
			{"Eve", "Carol", 6, false, "Eve,Diana,Carol", []string{"Diana>Eve", "Carol>Diana"}},
			{"Alice", "Eve", 1, false, "", nil},
			{"Alice", "Frank", 6, false, "", nil},
			{"Alice", "Alice", 6, false, "Alice", nil},
		}
		for _, tc := range tests {
			p, err := g.ShortestPath(ctx, f.Ecosystem, f.IDs[tc.from], f.IDs[tc.to], tc.depth, tc.weighted)
			if err != nil {
				t.Fatal(err)
			}
			if got := join(f.names(p.Characters)); got != tc.want {
				t.Fatalf("path %s→%s (depth %d, weighted %v) = %q, want %q", tc.from, tc.to, tc.depth, tc.weighted, got, tc.want)
			}
			if len(p.Characters) > 0 && len(p.Edges) != len(p.Characters)-1 {
				t.Fatalf("path %s→%s has %d characters and %d edges", tc.from, tc.to, len(p.Characters), len(p.Edges))
			}
			for i, want := range tc.edges {
				if p.Edges[i].ID != f.Edges[want] {
					t.Fatalf("path %s→%s edge %d is not %s", tc.from, tc.to, i, want)
				}
			}
		}
	})

	t.Run("weighted cost", func(t *testing.T) {
		p, err := g.ShortestPath(ctx, f.Ecosystem, f.IDs["Alice"], f.IDs["Diana"], 6, true)
		if err != nil {
			t.Fatal(err)
		}
		want := 3 * graphstore.EdgeCost(0.9)
		if d := p.Cost - want; d > 1e-6 || d < -1e-6 {
			t.Fatalf("cost = %g, want %g", p.Cost, want)
		}
		if p.Edges[0].Strength != 0.9 || p.Edges[0].Type != string(relationships.Friend) || p.Edges[0].From != f.IDs["Alice"] {
			t.Fatalf("edge = %+v", p.Edges[0])
		}
	})
}
