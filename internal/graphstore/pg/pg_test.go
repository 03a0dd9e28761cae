package pg_test

import (
	"testing"

	"github.com/literaryai/ensemble/internal/graphstore/graphtest"
	"github.com/literaryai/ensemble/internal/graphstore/pg"
	"github.com/literaryai/ensemble/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

func TestBehaviour(t *testing.T) {
	pool := testkit.DB(t)
	f := graphtest.Build(t, pool)
	graphtest.Run(t, pg.New(pool, 0), f)
}

func TestSnapshotFollowsChanges(t *testing.T) {
	pool := testkit.DB(t)
	f := graphtest.Build(t, pool)
	s := pg.New(pool, 1)
	first, err := s.Snapshot(t.Context(), f.Ecosystem)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Snapshot(t.Context(), f.Ecosystem)
	if err != nil || again != first {
		t.Fatalf("an unchanged graph was reloaded: %v", err)
	}
	if _, err := pool.Exec(t.Context(), `DELETE FROM relationships WHERE id = $1`, f.Edges["Alice>Diana"]); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(t.Context(), `UPDATE ecosystems SET graph_version = graph_version + 1 WHERE id = $1`, f.Ecosystem); err != nil {
		t.Fatal(err)
	}
	changed, err := s.Snapshot(t.Context(), f.Ecosystem)
	if err != nil || changed == first || len(changed.Edges) != len(first.Edges)-1 {
		t.Fatalf("a changed graph was not reloaded: %v", err)
	}
	// A cache of one: the other ecosystem evicts the first.
	if _, err := s.Snapshot(t.Context(), f.Other); err != nil {
		t.Fatal(err)
	}
	reloaded, err := s.Snapshot(t.Context(), f.Ecosystem)
	if err != nil || reloaded == changed {
		t.Fatalf("the evicted snapshot was served: %v", err)
	}
}
