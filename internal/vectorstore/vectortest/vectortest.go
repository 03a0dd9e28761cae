// Package vectortest is the behaviour every vector backend must show, run against each
// (the embedded backend always, Pinecone when PINECONE_API_KEY and PINECONE_INDEX are
// set). Remote indexes are eventually consistent, so every check retries until a
// deadline before it fails.
package vectortest

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/vectorstore"
)

// unit returns a unit vector of dimension dim pointing mostly along axis a, a little
// along b.
func unit(dim, a, b int, tilt float64) []float32 {
	v := make([]float32, dim)
	v[a] = float32(math.Cos(tilt))
	v[b] += float32(math.Sin(tilt))
	return v
}

// eventually retries check until it returns "" or the deadline passes.
func eventually(t *testing.T, within time.Duration, check func() string) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		msg := check()
		if msg == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(msg)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func ids(hits []vectorstore.Hit) []uuid.UUID {
	out := make([]uuid.UUID, len(hits))
	for i, h := range hits {
		out[i] = h.ID
	}
	return out
}

func equal(a, b []uuid.UUID) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Run checks v with vectors of dimension dim (at least 8) in a fresh ecosystem.
// within is how long writes may take to become visible.
func Run(t *testing.T, v vectorstore.Vectors, dim int, within time.Duration) {
	ctx := context.Background()
	eco, alice, bob := uuid.New(), uuid.New(), uuid.New()
	mk := func(character uuid.UUID, a, b int, tilt float64) vectorstore.Item {
		return vectorstore.Item{ID: uuid.New(), Character: character, Vector: unit(dim, a, b, tilt),
			Type: "OBSERVATION", Importance: 0.5, CreatedAt: time.Now()}
	}
	// Alice's memories lie near axis 0 at growing angles; Bob's one is exactly on it.
	a0, a1, a2 := mk(alice, 0, 1, 0.1), mk(alice, 0, 1, 0.5), mk(alice, 0, 1, 1.0)
	far := mk(alice, 5, 6, 0)
	b0 := mk(bob, 0, 1, 0)
	if err := v.Upsert(ctx, eco, a0, a1, a2, far, b0); err != nil {
		t.Fatal(err)
	}
	q := unit(dim, 0, 1, 0)

	t.Run("within a character, exact and ordered", func(t *testing.T) {
		eventually(t, within, func() string {
			hits, err := v.SearchCharacter(ctx, eco, alice, q, 3)
			if err != nil {
				return err.Error()
			}
			if !equal(ids(hits), []uuid.UUID{a0.ID, a1.ID, a2.ID}) {
				return "SearchCharacter did not return alice's three nearest in order"
			}
			if d := float64(hits[0].Score) - math.Cos(0.1); math.Abs(d) > 1e-3 {
				return "SearchCharacter's score is not the cosine similarity"
			}
			return ""
		})
	})
	t.Run("across the ecosystem", func(t *testing.T) {
		eventually(t, within, func() string {
			hits, err := v.Search(ctx, eco, q, 2)
			if err != nil {
				return err.Error()
			}
			if !equal(ids(hits), []uuid.UUID{b0.ID, a0.ID}) || hits[0].Character != bob {
				return "Search did not return the ecosystem's two nearest in order"
			}
			return ""
		})
	})
	t.Run("k beyond the population", func(t *testing.T) {
		eventually(t, within, func() string {
			hits, err := v.SearchCharacter(ctx, eco, bob, q, 10)
			if err != nil {
				return err.Error()
			}
			if len(hits) != 1 {
				return "SearchCharacter returned memories of another character"
			}
			return ""
		})
	})
	t.Run("replace and delete", func(t *testing.T) {
		moved := a0
		moved.Vector = unit(dim, 5, 6, 0.2)
		if err := v.Upsert(ctx, eco, moved); err != nil {
			t.Fatal(err)
		}
		if err := v.Delete(ctx, eco, a1.ID); err != nil {
			t.Fatal(err)
		}
		eventually(t, within, func() string {
			hits, err := v.SearchCharacter(ctx, eco, alice, q, 2)
			if err != nil {
				return err.Error()
			}
			if !equal(ids(hits), []uuid.UUID{a2.ID, a0.ID}) && !equal(ids(hits), []uuid.UUID{a2.ID, far.ID}) {
				return "after a move and a delete, alice's nearest are not the ones left"
			}
			return ""
		})
	})
	t.Run("another ecosystem is separate", func(t *testing.T) {
		hits, err := v.Search(ctx, uuid.New(), q, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 0 {
			t.Fatalf("an empty ecosystem returned %d hits", len(hits))
		}
	})
	if st := v.Status(ctx); !st.Up || st.Backend == "" {
		t.Fatalf("status = %+v", st)
	}
}
