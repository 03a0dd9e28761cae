package embedded_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/embedding"
	"github.com/literaryai/ensemble/internal/memories"
	"github.com/literaryai/ensemble/internal/testkit"
	"github.com/literaryai/ensemble/internal/vectorstore/embedded"
	"github.com/literaryai/ensemble/internal/vectorstore/vectortest"
)

type world struct {
	pool   *pgxpool.Pool
	viewer auth.Identity
	eco    uuid.UUID
	chars  []uuid.UUID
	emb    *embedding.Offline
}

func newWorld(t *testing.T, characters int) *world {
	t.Helper()
	pool := testkit.DB(t)
	ctx := context.Background()
	w := &world{pool: pool, emb: embedding.NewOffline(64)}
	if err := pool.QueryRow(ctx, `INSERT INTO users (username, email, password_hash) VALUES ('viewer', 'v@example.com', 'x') RETURNING id`).Scan(&w.viewer.UserID); err != nil {
		t.Fatal(err)
	}
	w.viewer.Role = auth.RoleUser
	if err := pool.QueryRow(ctx, `INSERT INTO ecosystems (owner_id, name) VALUES ($1, 'w') RETURNING id`, w.viewer.UserID).Scan(&w.eco); err != nil {
		t.Fatal(err)
	}
	for range characters {
		var id uuid.UUID
		if err := pool.QueryRow(ctx, `INSERT INTO characters (ecosystem_id, name) VALUES ($1, 'c') RETURNING id`, w.eco).Scan(&id); err != nil {
			t.Fatal(err)
		}
		w.chars = append(w.chars, id)
	}
	return w
}

func (w *world) service(store *embedded.Store) *memories.Service {
	cfg := memories.DefaultConfig
	cfg.ReflectionThreshold = 1e9
	return memories.NewService(w.pool, bus.NewLocal(), w.emb, store, nil, cfg, time.Now)
}

func TestLoadsFromPostgresAndFollowsWrites(t *testing.T) {
	w := newWorld(t, 2)
	ctx := context.Background()
	writer := w.service(embedded.New(w.pool, w.emb.Dimension(), w.emb.Model(), 0))
	first, err := writer.Add(ctx, w.viewer, w.chars[0], memories.Input{Content: "the lighthouse keeper's lamp", Type: memories.Observation})
	if err != nil {
		t.Fatal(err)
	}
	// A second store (another process after a restart) loads what PostgreSQL holds.
	store := embedded.New(w.pool, w.emb.Dimension(), w.emb.Model(), 0)
	reader := w.service(store)
	found, err := reader.Search(ctx, w.viewer, w.eco, "lighthouse lamp", 5)
	if err != nil || len(found) != 1 || found[0].Memory.ID != first.ID {
		t.Fatalf("search after load = %+v, %v", found, err)
	}
	// Writes through the loaded store show at once; a forgotten memory is gone.
	second, err := reader.Add(ctx, w.viewer, w.chars[1], memories.Input{Content: "a storm over the lighthouse", Type: memories.Observation})
	if err != nil {
		t.Fatal(err)
	}
	if err := reader.Forget(ctx, w.viewer, first.ID); err != nil {
		t.Fatal(err)
	}
	found, err = reader.Search(ctx, w.viewer, w.eco, "lighthouse", 5)
	if err != nil || len(found) != 1 || found[0].Memory.ID != second.ID {
		t.Fatalf("search after writes = %+v, %v", found, err)
	}
	// Another model's embeddings are stale and left out until reindexed.
	other := embedded.New(w.pool, w.emb.Dimension(), "another-model", 0)
	hits, err := other.Search(ctx, w.eco, make([]float32, w.emb.Dimension()), 5)
	if err != nil || len(hits) != 0 {
		t.Fatalf("stale embeddings were served: %+v %v", hits, err)
	}
}

func TestEvictsPastTheMemoryBound(t *testing.T) {
	w := newWorld(t, 1)
	ctx := context.Background()
	other := newWorld(t, 1)
	store := embedded.New(w.pool, w.emb.Dimension(), w.emb.Model(), 1)
	svc := w.service(store)
	if _, err := svc.Add(ctx, w.viewer, w.chars[0], memories.Input{Content: "kept until evicted", Type: memories.Fact}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Search(ctx, w.eco, make([]float32, w.emb.Dimension()), 1); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Search(ctx, other.eco, make([]float32, w.emb.Dimension()), 1); err != nil {
		t.Fatal(err)
	}
	if st := store.Status(ctx); st.Detail[:1] != "1" {
		t.Fatalf("with a 1-byte bound only the newest ecosystem stays loaded: %s", st.Detail)
	}
}

func TestEncodeDecode(t *testing.T) {
	v := []float32{0, 1, -1, 0.5, 3.25e-7}
	got := embedded.Decode(embedded.Encode(v))
	for i := range v {
		if got[i] != v[i] {
			t.Fatalf("round trip %v → %v", v, got)
		}
	}
}

func TestBehaviour(t *testing.T) {
	pool := testkit.DB(t)
	vectortest.Run(t, embedded.New(pool, 16, "test-model", 0), 16, time.Second)
}
