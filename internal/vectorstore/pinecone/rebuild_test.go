package pinecone

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/testkit"
	"github.com/literaryai/ensemble/internal/vectorstore"
	"github.com/literaryai/ensemble/internal/vectorstore/embedded"
)

// recorder is a Target that keeps what it is asked to do, in order.
type recorder struct {
	mu      sync.Mutex
	ops     []string // "clear" or "write"
	cleared []uuid.UUID
	writes  [][]vectorstore.Item
	ecos    []uuid.UUID // of each write
	fail    error       // returned by every write when set
}

func (r *recorder) DeleteEcosystem(_ context.Context, ecosystem uuid.UUID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ops = append(r.ops, "clear")
	r.cleared = append(r.cleared, ecosystem)
	return nil
}

func (r *recorder) Upsert(_ context.Context, ecosystem uuid.UUID, items ...vectorstore.Item) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.ops = append(r.ops, "write")
	r.writes = append(r.writes, items)
	r.ecos = append(r.ecos, ecosystem)
	return nil
}

// corpus is a database with three ecosystems: two with memories of model "m" (and a
// stale one of another model), one with none.
type corpus struct {
	pool  *pgxpool.Pool
	ecos  []uuid.UUID
	items map[uuid.UUID]vectorstore.Item // memories of model "m", by id
	eco   map[uuid.UUID]uuid.UUID        // their ecosystem
	stale uuid.UUID                      // a memory of another model
}

func newCorpus(t *testing.T) *corpus {
	t.Helper()
	ctx := context.Background()
	c := &corpus{pool: testkit.DB(t), items: map[uuid.UUID]vectorstore.Item{}, eco: map[uuid.UUID]uuid.UUID{}}
	var owner uuid.UUID
	if err := c.pool.QueryRow(ctx, `INSERT INTO users (username, email, password_hash) VALUES ('rebuilder', 'rebuilder@example.com', 'x') RETURNING id`).Scan(&owner); err != nil {
		t.Fatal(err)
	}
	var chars [][]uuid.UUID
	for e := range 3 {
		var eco uuid.UUID
		if err := c.pool.QueryRow(ctx, `INSERT INTO ecosystems (owner_id, name) VALUES ($1, 'e') RETURNING id`, owner).Scan(&eco); err != nil {
			t.Fatal(err)
		}
		c.ecos = append(c.ecos, eco)
		chars = append(chars, nil)
		for range 2 {
			var ch uuid.UUID
			if err := c.pool.QueryRow(ctx, `INSERT INTO characters (ecosystem_id, name) VALUES ($1, 'c') RETURNING id`, eco).Scan(&ch); err != nil {
				t.Fatal(err)
			}
			chars[e] = append(chars[e], ch)
		}
	}
	insert := func(eco, ch uuid.UUID, i int, model string) uuid.UUID {
		vec := []float32{float32(i), 1, -0.5, 0.25}
		typ := []string{"OBSERVATION", "DIALOGUE", "REFLECTION", "FACT", "PLAN"}[i%5]
		importance := float64(i%10) / 10
		var id uuid.UUID
		var at time.Time
		err := c.pool.QueryRow(ctx, `INSERT INTO memories (character_id, ecosystem_id, content, type, importance, embedding, embedding_model)
			VALUES ($1, $2, 'memory', $3, $4, $5, $6) RETURNING id, created_at`, ch, eco, typ, importance, embedded.Encode(vec), model).Scan(&id, &at)
		if err != nil {
			t.Fatal(err)
		}
		if model == "m" {
			c.items[id] = vectorstore.Item{ID: id, Character: ch, Vector: vec, Type: typ, Importance: importance, CreatedAt: at}
			c.eco[id] = eco
		}
		return id
	}
	// Ecosystem 0 has 7 memories, ecosystem 1 has 4, ecosystem 2 none.
	for i := range 11 {
		e := 0
		if i >= 7 {
			e = 1
		}
		insert(c.ecos[e], chars[e][i%2], i, "m")
	}
	c.stale = insert(c.ecos[1], chars[1][0], 99, "old-model")
	return c
}

func TestRebuildPagesThroughEveryMemory(t *testing.T) {
	c := newCorpus(t)
	tests := []struct {
		name  string
		sizes rebuildSizes
	}{
		{"small pages, early writes", rebuildSizes{page: 2, flush: 2, buffer: 3}},
		{"a page ends exactly at the last memory", rebuildSizes{page: 11, flush: 100, buffer: 100}},
		{"one page of ecosystems and memories", rebuildSizes{page: 1000, flush: 1000, buffer: 10000}},
		{"buffer bound", rebuildSizes{page: 4, flush: 100, buffer: 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			var progress []int
			err := rebuild(context.Background(), db.New(c.pool), rec, "m", func(n int) { progress = append(progress, n) }, tt.sizes)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, rec, tt.sizes.flush)
			if len(progress) != len(rec.writes) || progress[len(progress)-1] != len(c.items) || !slices.IsSorted(progress) {
				t.Fatalf("progress = %v over %d writes, want it to climb to %d", progress, len(rec.writes), len(c.items))
			}
		})
	}
}

// check verifies that rec cleared every ecosystem before writing, then wrote each memory
// of model "m" exactly once, to its ecosystem, with its metadata, at most flush at once.
func (c *corpus) check(t *testing.T, rec *recorder, flush int) {
	t.Helper()
	want := slices.Clone(c.ecos)
	slices.SortFunc(want, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	if !slices.Equal(rec.cleared, want) {
		t.Fatalf("cleared %v, want every ecosystem in key order %v", rec.cleared, want)
	}
	if i := slices.Index(rec.ops, "write"); i != len(c.ecos) {
		t.Fatalf("operations %v: every clear must come before the first write", rec.ops)
	}
	seen := map[uuid.UUID]bool{}
	for w, items := range rec.writes {
		if len(items) == 0 || len(items) > flush {
			t.Fatalf("write %d has %d vectors, want 1 to %d", w, len(items), flush)
		}
		for _, it := range items {
			want, ok := c.items[it.ID]
			if !ok {
				t.Fatalf("wrote memory %s, which is not of model m (stale is %s)", it.ID, c.stale)
			}
			if seen[it.ID] {
				t.Fatalf("wrote memory %s twice", it.ID)
			}
			seen[it.ID] = true
			if rec.ecos[w] != c.eco[it.ID] {
				t.Fatalf("memory %s written to ecosystem %s, want %s", it.ID, rec.ecos[w], c.eco[it.ID])
			}
			if it.Character != want.Character || !slices.Equal(it.Vector, want.Vector) || it.Type != want.Type ||
				it.Importance != want.Importance || !it.CreatedAt.Equal(want.CreatedAt) {
				t.Fatalf("memory %s written as %+v, want %+v", it.ID, it, want)
			}
		}
	}
	if len(seen) != len(c.items) {
		t.Fatalf("wrote %d memories, want %d", len(seen), len(c.items))
	}
}

func TestRebuild(t *testing.T) {
	c := newCorpus(t)
	rec := &recorder{}
	if err := Rebuild(context.Background(), c.pool, rec, "m", nil); err != nil {
		t.Fatal(err)
	}
	c.check(t, rec, maxUpsertVectors)
	if len(rec.writes) != 2 {
		t.Fatalf("%d writes, want one per ecosystem with memories", len(rec.writes))
	}

	// Nothing of an unknown model: every namespace is cleared, nothing written.
	rec = &recorder{}
	if err := Rebuild(context.Background(), c.pool, rec, "unknown", nil); err != nil || len(rec.writes) != 0 || len(rec.cleared) != 3 {
		t.Fatalf("rebuild of an unknown model: %v, %d writes, %d cleared", err, len(rec.writes), len(rec.cleared))
	}

	rec = &recorder{fail: errors.New("index is read-only")}
	err := Rebuild(context.Background(), c.pool, rec, "m", nil)
	if err == nil || !strings.Contains(err.Error(), "pinecone rebuild: write ") || !errors.Is(err, rec.fail) {
		t.Fatalf("error = %v, want the failed write", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Rebuild(ctx, c.pool, &recorder{}, "m", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want the cancellation", err)
	}
}

// Rebuild writes through a Store: wrong-sized embeddings are refused, not sent.
func TestRebuildIntoStore(t *testing.T) {
	c := newCorpus(t)
	s, f := fakeStore(4)
	if err := Rebuild(context.Background(), c.pool, s, "m", nil); err != nil {
		t.Fatal(err)
	}
	ops := f.ops()
	if len(ops) != 5 || ops[0] != "deleteAll" || ops[2] != "deleteAll" || ops[3] != "upsert" || ops[4] != "upsert" {
		t.Fatalf("requests = %v, want three clears then two upserts", ops)
	}

	s, _ = fakeStore(8)
	if err := Rebuild(context.Background(), c.pool, s, "m", nil); err == nil || !strings.Contains(err.Error(), "has dimension 4, want 8") {
		t.Fatalf("error = %v, want the dimension mismatch", err)
	}
}
