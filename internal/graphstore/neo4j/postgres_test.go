package neo4j

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/testkit"
)

// These tests cover the PostgreSQL side of the projection, which needs no Neo4j.

func TestReadChangesReadsCurrentStateAndRelationshipEnds(t *testing.T) {
	pool := testkit.DB(t)
	f := graphFixture{t, pool}
	eco := f.ecosystem()
	a, b, c := f.character(eco, "Anna"), f.character(eco, "Boris"), f.character(eco, "Clara")
	r1 := f.relationship(eco, a, b, "FRIEND", 0.5)
	f.relationship(eco, b, c, "RIVAL", -0.5)
	f.setStrength(eco, r1, 0.75)
	ghost, ghostRel, deadEco := uuid.New(), uuid.New(), uuid.New()

	plan := batchPlan{Characters: ids(c, ghost), Relationships: ids(r1, ghostRel), DeletedEcosystems: []uuid.UUID{deadEco}}
	got, err := readChanges(context.Background(), pool, plan)
	if err != nil {
		t.Fatal(err)
	}

	var chars []uuid.UUID
	for _, n := range got.UpsertCharacters {
		if n.EcosystemID != eco || n.CurrentEmotion != "neutral" || !n.IsActive || n.Name == "" {
			t.Errorf("character %+v", n)
		}
		chars = append(chars, n.ID)
	}
	if slices.SortFunc(chars, compareIDs); !slices.Equal(chars, ids(a, b, c)) {
		t.Errorf("upserted characters = %v, want the planned one and both ends of %s", chars, r1)
	}
	if len(got.UpsertRelationships) != 1 {
		t.Fatalf("upserted relationships = %+v", got.UpsertRelationships)
	}
	if r := got.UpsertRelationships[0]; r.ID != r1 || r.From != a || r.To != b || r.Type != "FRIEND" || r.Strength != 0.75 || r.Trust != 0.5 {
		t.Errorf("relationship = %+v, want the current row", r)
	}
	if !slices.Equal(got.DeleteCharacters, []uuid.UUID{ghost}) || !slices.Equal(got.DeleteRelationships, []uuid.UUID{ghostRel}) ||
		!slices.Equal(got.DeleteEcosystems, []uuid.UUID{deadEco}) {
		t.Errorf("deletions = %v %v %v", got.DeleteCharacters, got.DeleteRelationships, got.DeleteEcosystems)
	}
}

func TestReadChangesOfDeletedEcosystemOnly(t *testing.T) {
	eco := uuid.New()
	// Nothing to read: a nil pool would fail if it were used.
	got, err := readChanges(context.Background(), (*pgxpool.Pool)(nil), batchPlan{DeletedEcosystems: []uuid.UUID{eco}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got.DeleteEcosystems, []uuid.UUID{eco}) || len(got.UpsertCharacters)+len(got.DeleteCharacters) != 0 {
		t.Errorf("changes = %+v", got)
	}
}

func compareIDs(a, b uuid.UUID) int {
	return slices.Compare(a[:], b[:])
}

// advisoryLocks counts the advisory locks held on this test's database.
func advisoryLocks(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestProjectorLockIsExclusive(t *testing.T) {
	pool := testkit.DB(t)
	ctx := context.Background()
	ran := false
	locked, err := withProjectorLock(ctx, pool, false, func(*pgxpool.Conn) error {
		ran = true
		if n := advisoryLocks(t, pool); n != 1 {
			t.Errorf("%d advisory locks while held, want 1", n)
		}
		other, err := withProjectorLock(ctx, pool, false, func(*pgxpool.Conn) error {
			t.Error("a second holder ran")
			return nil
		})
		if err != nil || other {
			t.Errorf("second try = %v, %v; want not locked, no error", other, err)
		}
		waitCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		if _, err := withProjectorLock(waitCtx, pool, true, func(*pgxpool.Conn) error {
			t.Error("a waiting holder ran while the lock was held")
			return nil
		}); err == nil {
			t.Error("waiting past the deadline did not fail")
		}
		return nil
	})
	if err != nil || !locked || !ran {
		t.Fatalf("first holder: locked %v, ran %v, err %v", locked, ran, err)
	}
	// The timed-out waiter's session is closed, but PostgreSQL ends a closed session
	// asynchronously: it may hold the lock a moment if it won it just before.
	for deadline := time.Now().Add(5 * time.Second); advisoryLocks(t, pool) != 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d advisory locks left after release", advisoryLocks(t, pool))
		}
	}
	locked, err = withProjectorLock(ctx, pool, true, func(*pgxpool.Conn) error { return nil })
	if err != nil || !locked {
		t.Fatalf("after release: locked %v, err %v", locked, err)
	}
}

func TestPagesCoverEveryRow(t *testing.T) {
	pool := testkit.DB(t)
	f := graphFixture{t, pool}
	eco1, eco2 := f.ecosystem(), f.ecosystem()
	var chars []uuid.UUID
	for _, name := range []string{"Anna", "Boris", "Clara"} {
		chars = append(chars, f.character(eco1, name))
	}
	chars = append(chars, f.character(eco2, "Dmitri"), f.character(eco2, "Elena"))
	rels := []uuid.UUID{
		f.relationship(eco1, chars[0], chars[1], "FRIEND", 0.1),
		f.relationship(eco1, chars[1], chars[2], "MENTOR", 0.2),
		f.relationship(eco2, chars[3], chars[4], "FAMILY", 0.3),
	}
	slices.SortFunc(chars, compareIDs)
	slices.SortFunc(rels, compareIDs)
	q := db.New(pool)
	ctx := context.Background()

	for _, tc := range []struct {
		size               int
		charPages, relPage []int
	}{
		{size: 2, charPages: []int{2, 2, 1}, relPage: []int{2, 1}},
		{size: 5, charPages: []int{5}, relPage: []int{3}},
		{size: 3, charPages: []int{3, 2}, relPage: []int{3}},
	} {
		var gotChars []uuid.UUID
		var pages []int
		if err := eachCharacterPage(ctx, q, tc.size, func(_ context.Context, nodes []characterNode) error {
			pages = append(pages, len(nodes))
			for _, n := range nodes {
				if n.Name == "" || n.EcosystemID == uuid.Nil || n.CurrentEmotion != "neutral" || !n.IsActive {
					t.Errorf("node %+v", n)
				}
				gotChars = append(gotChars, n.ID)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(gotChars, chars) || !slices.Equal(pages, tc.charPages) {
			t.Errorf("size %d: characters %v in pages %v, want %v in %v", tc.size, gotChars, pages, chars, tc.charPages)
		}

		var gotRels []uuid.UUID
		pages = nil
		if err := eachRelationshipPage(ctx, q, tc.size, func(_ context.Context, edges []relationshipEdge) error {
			pages = append(pages, len(edges))
			for _, e := range edges {
				if e.From == uuid.Nil || e.To == uuid.Nil || e.Type == "" || e.Strength == 0 || e.Trust != 0.5 {
					t.Errorf("edge %+v", e)
				}
				gotRels = append(gotRels, e.ID)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(gotRels, rels) || !slices.Equal(pages, tc.relPage) {
			t.Errorf("size %d: relationships %v in pages %v, want %v in %v", tc.size, gotRels, pages, rels, tc.relPage)
		}
	}
}
