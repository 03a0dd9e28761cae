package neo4j

import (
	"context"
	"math"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/internal/graphstore"
	"github.com/literaryai/ensemble/internal/testkit"
)

// The tests in this file need a Neo4j 5 server: NEO4J_URI (e.g. bolt://localhost:7687),
// NEO4J_USER and NEO4J_PASSWORD, and optionally NEO4J_DATABASE. They write characters
// with random ids, and TestReindex wipes the database's whole graph: point them at a
// server for tests only.

// integrationStore opens the server named by the environment, or skips the test.
func integrationStore(t *testing.T) *Store {
	t.Helper()
	uri := os.Getenv("NEO4J_URI")
	if uri == "" {
		t.Skip("NEO4J_URI is not set: skipping the Neo4j integration test " +
			"(set NEO4J_URI, NEO4J_USER and NEO4J_PASSWORD to run it against a Neo4j 5 server)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Open(ctx, Config{
		URI: uri, User: os.Getenv("NEO4J_USER"), Password: os.Getenv("NEO4J_PASSWORD"),
		Database: os.Getenv("NEO4J_DATABASE"),
	})
	if err != nil {
		t.Fatalf("open %s: %v", uri, err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

// catchUp applies events until at least want have been projected, waiting for them to
// settle (other tests' transactions on the server can hold them back a moment).
func catchUp(t *testing.T, p *Projector, want int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	total := 0
	for {
		n, err := p.CatchUp(context.Background())
		if err != nil {
			t.Fatalf("catch up: %v", err)
		}
		if total += n; total >= want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("projected %d events in 30s, want %d", total, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func neighbors(t *testing.T, s *Store, eco, id uuid.UUID, depth int) []graphstore.Neighbor {
	t.Helper()
	got, err := s.NeighborsOf(context.Background(), []graphstore.Node{{Ecosystem: eco, Character: id}}, depth)
	if err != nil {
		t.Fatalf("neighbors: %v", err)
	}
	return got[id]
}

func path(t *testing.T, s *Store, eco, from, to uuid.UUID, depth int, weighted bool) graphstore.Path {
	t.Helper()
	p, err := s.ShortestPath(context.Background(), eco, from, to, depth, weighted)
	if err != nil {
		t.Fatalf("shortest path: %v", err)
	}
	return p
}

func edgeIDs(p graphstore.Path) []uuid.UUID {
	out := make([]uuid.UUID, len(p.Edges))
	for i, e := range p.Edges {
		out[i] = e.ID
	}
	return out
}

// cast is a small graph:
//
//	Anna -0.9-> Boris -0.9-> Clara <-0.9- Dmitri      (strong, three hops)
//	Anna -0.0-> Elena -0.0-> Dmitri                   (indifferent, two hops)
//	Fyodor                                            (alone)
type cast struct {
	eco                uuid.UUID
	a, b, c, d, e, fy  uuid.UUID
	ab, bc, dc, ae, ed uuid.UUID
	events             int
}

func newCast(f graphFixture) cast {
	var k cast
	k.eco = f.ecosystem()
	k.a, k.b, k.c = f.character(k.eco, "Anna"), f.character(k.eco, "Boris"), f.character(k.eco, "Clara")
	k.d, k.e, k.fy = f.character(k.eco, "Dmitri"), f.character(k.eco, "Elena"), f.character(k.eco, "Fyodor")
	k.ab = f.relationship(k.eco, k.a, k.b, "FRIEND", 0.9)
	k.bc = f.relationship(k.eco, k.b, k.c, "ALLY", 0.9)
	k.dc = f.relationship(k.eco, k.d, k.c, "FAMILY", 0.9)
	k.ae = f.relationship(k.eco, k.a, k.e, "ACQUAINTANCE", 0)
	k.ed = f.relationship(k.eco, k.e, k.d, "ACQUAINTANCE", 0)
	k.events = 11
	return k
}

// check asserts the queries' answers on the whole cast.
func (k cast) check(t *testing.T, s *Store) {
	t.Helper()
	if got, want := neighbors(t, s, k.eco, k.a, 1), []graphstore.Neighbor{{Character: k.b, Distance: 1}, {Character: k.e, Distance: 1}}; !slices.Equal(got, want) {
		t.Errorf("neighbors of Anna at 1 = %v, want Boris, Elena", got)
	}
	if got, want := neighbors(t, s, k.eco, k.a, 2), []graphstore.Neighbor{{Character: k.b, Distance: 1}, {Character: k.e, Distance: 1}, {Character: k.c, Distance: 2}, {Character: k.d, Distance: 2}}; !slices.Equal(got, want) {
		t.Errorf("neighbors of Anna at 2 = %v, want Boris, Elena, Clara, Dmitri", got)
	}
	if got := neighbors(t, s, k.eco, k.fy, 3); got == nil || len(got) != 0 {
		t.Errorf("neighbors of Fyodor = %#v, want an empty list", got)
	}
	if got := neighbors(t, s, uuid.New(), k.a, 3); len(got) != 0 {
		t.Errorf("neighbors of Anna in another ecosystem = %v, want none", got)
	}

	p := path(t, s, k.eco, k.a, k.d, graphstore.MaxPathDepth, false)
	if !slices.Equal(p.Characters, []uuid.UUID{k.a, k.e, k.d}) || !slices.Equal(edgeIDs(p), []uuid.UUID{k.ae, k.ed}) || p.Cost != 2 {
		t.Errorf("unweighted Anna→Dmitri = %+v, want via Elena, cost 2", p)
	}
	w := path(t, s, k.eco, k.a, k.d, graphstore.MaxPathDepth, true)
	wantCost := math.Round(3*graphstore.EdgeCost(0.9)*1e9) / 1e9
	if !slices.Equal(w.Characters, []uuid.UUID{k.a, k.b, k.c, k.d}) || !slices.Equal(edgeIDs(w), []uuid.UUID{k.ab, k.bc, k.dc}) ||
		math.Abs(w.Cost-wantCost) > 1e-9 {
		t.Errorf("weighted Anna→Dmitri = %+v, want via Boris and Clara, cost %v", w, wantCost)
	}
	if e := w.Edges[2]; e.From != k.d || e.To != k.c || e.Type != "FAMILY" || e.Strength != 0.9 || e.Trust != 0.5 {
		t.Errorf("edge walked backwards = %+v, want stored Dmitri→Clara FAMILY", e)
	}
	if p := path(t, s, k.eco, k.a, k.d, 1, false); len(p.Characters) != 0 {
		t.Errorf("Anna→Dmitri within 1 hop = %+v, want none", p)
	}
	if p := path(t, s, k.eco, k.a, k.fy, graphstore.MaxPathDepth, false); len(p.Characters) != 0 || p.Edges == nil {
		t.Errorf("Anna→Fyodor = %+v, want an empty path", p)
	}
	if p := path(t, s, k.eco, k.a, k.a, 1, true); !slices.Equal(p.Characters, []uuid.UUID{k.a}) || len(p.Edges) != 0 || p.Cost != 0 {
		t.Errorf("Anna→Anna = %+v, want Anna alone", p)
	}
}

func TestProjectionFollowsTheOutbox(t *testing.T) {
	s := integrationStore(t)
	pool := testkit.DB(t)
	f := graphFixture{t, pool}
	p := NewProjector(pool, s, nil)

	if st := s.Status(context.Background()); !st.Up || st.Backend != "neo4j" || st.Version == "" {
		t.Fatalf("status = %+v", st)
	}

	k := newCast(f)
	catchUp(t, p, k.events)
	k.check(t, s)

	// Replaying the whole outbox changes nothing: the projector writes current state.
	resetOffset(t, pool)
	catchUp(t, p, k.events)
	k.check(t, s)

	f.deleteRelationship(k.eco, k.ae)
	f.setStrength(k.eco, k.bc, -0.2)
	catchUp(t, p, 2)
	q := path(t, s, k.eco, k.a, k.d, graphstore.MaxPathDepth, false)
	if !slices.Equal(edgeIDs(q), []uuid.UUID{k.ab, k.bc, k.dc}) || q.Cost != 3 {
		t.Errorf("Anna→Dmitri without Anna–Elena = %+v, want via Boris and Clara", q)
	}
	if q.Edges[1].Strength != -0.2 {
		t.Errorf("updated strength = %v, want -0.2", q.Edges[1].Strength)
	}

	// A deleted character takes its relationships, which get no event of their own.
	f.deleteCharacter(k.eco, k.b)
	catchUp(t, p, 1)
	if got := neighbors(t, s, k.eco, k.a, 3); len(got) != 0 {
		t.Errorf("neighbors of Anna after Boris left = %v, want none", got)
	}
	if got, want := neighbors(t, s, k.eco, k.c, 1), []graphstore.Neighbor{{Character: k.d, Distance: 1}}; !slices.Equal(got, want) {
		t.Errorf("neighbors of Clara = %v, want Dmitri", got)
	}

	f.deleteEcosystem(k.eco)
	catchUp(t, p, 1)
	if n := countCharacters(t, s, k.eco); n != 0 {
		t.Errorf("%d characters left of a deleted ecosystem", n)
	}
}

func TestReindex(t *testing.T) {
	s := integrationStore(t)
	pool := testkit.DB(t)
	f := graphFixture{t, pool}
	k := newCast(f)

	stray := characterNode{ID: uuid.New(), EcosystemID: uuid.New(), Name: "Stray", CurrentEmotion: "lost"}
	if err := s.upsertCharacters(context.Background(), []characterNode{stray}); err != nil {
		t.Fatal(err)
	}

	if err := Reindex(context.Background(), pool, s); err != nil {
		t.Fatalf("reindex: %v", err)
	}
	k.check(t, s)
	if n := countCharacters(t, s, stray.EcosystemID); n != 0 {
		t.Errorf("a character absent from PostgreSQL survived the rebuild")
	}
	off, ok := offset(t, pool)
	if !ok || off.LastEventID != math.MaxInt64 || off.LastTxid <= 0 {
		t.Errorf("offset after rebuild = %+v (stored %v)", off, ok)
	}

	// Events the rebuild already reflects may be replayed; that changes nothing.
	if _, err := NewProjector(pool, s, nil).CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	k.check(t, s)
}

func resetOffset(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), `DELETE FROM projector_offsets WHERE name = $1`, ProjectorName); err != nil {
		t.Fatal(err)
	}
}

func countCharacters(t *testing.T, s *Store, eco uuid.UUID) int64 {
	t.Helper()
	recs, err := s.read(context.Background(), `MATCH (c:Character {ecosystemId: $eco}) RETURN count(c) AS n`,
		map[string]any{"eco": eco.String()})
	if err != nil || len(recs) != 1 {
		t.Fatalf("count characters: %d records, %v", len(recs), err)
	}
	n, _ := recs[0].Get("n")
	return n.(int64)
}
