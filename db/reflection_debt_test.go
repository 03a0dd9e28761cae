package db_test

import (
	"context"
	"math"
	"testing"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/testkit"
)

// TestReflectionDebt checks that the importance since the last reflection, kept on the
// character, equals the sum over the memories after every way of adding them: one
// memory, an import (COPY, then AddReflectionDebt), a scene's line, and a reflection,
// which starts the sum again.
func TestReflectionDebt(t *testing.T) {
	t.Parallel()
	pool := testkit.DB(t)
	ctx := context.Background()
	q := db.New(pool)
	var eco, a, b uuid.UUID
	if err := pool.QueryRow(ctx, `WITH u AS (INSERT INTO users (username, email, password_hash) VALUES ('debtor', 'debtor@example.com', 'x') RETURNING id)
		INSERT INTO ecosystems (owner_id, name) SELECT id, 'e' FROM u RETURNING id`).Scan(&eco); err != nil {
		t.Fatal(err)
	}
	for _, id := range []*uuid.UUID{&a, &b} {
		if err := pool.QueryRow(ctx, `INSERT INTO characters (ecosystem_id, name) VALUES ($1, 'c') RETURNING id`, eco).Scan(id); err != nil {
			t.Fatal(err)
		}
	}
	emb := []byte{0, 0, 128, 63}
	one := func(c uuid.UUID, typ string, imp float64) func() (map[uuid.UUID]float64, error) {
		return func() (map[uuid.UUID]float64, error) {
			r, err := q.AddMemory(ctx, db.AddMemoryParams{CharacterID: c, EcosystemID: eco, Content: "m", Type: typ,
				Importance: imp, Embedding: emb, EmbeddingModel: "t"})
			return map[uuid.UUID]float64{c: r.ImportanceSinceReflection}, err
		}
	}
	steps := []struct {
		name string
		add  func() (map[uuid.UUID]float64, error) // returns the sums the statement reported
	}{
		{"one memory", one(a, "OBSERVATION", 0.5)},
		{"another", one(a, "DIALOGUE", 0.25)},
		{"an import", func() (map[uuid.UUID]float64, error) {
			rows := []db.InsertMemoriesParams{
				{ID: uuid.New(), CharacterID: a, EcosystemID: eco, Content: "i", Type: "FACT", Importance: 0.125, Embedding: emb, EmbeddingModel: "t"},
				{ID: uuid.New(), CharacterID: b, EcosystemID: eco, Content: "i", Type: "FACT", Importance: 0.75, Embedding: emb, EmbeddingModel: "t"},
			}
			if _, err := q.InsertMemories(ctx, rows); err != nil {
				return nil, err
			}
			got := map[uuid.UUID]float64{}
			for _, r := range rows {
				sum, err := q.AddReflectionDebt(ctx, db.AddReflectionDebtParams{CharacterID: r.CharacterID, Importance: r.Importance})
				if err != nil {
					return nil, err
				}
				got[r.CharacterID] = sum
			}
			return got, nil
		}},
		{"a scene's line", func() (map[uuid.UUID]float64, error) {
			rows, err := q.AddSceneMemories(ctx, db.AddSceneMemoriesParams{EcosystemID: eco, EmbeddingModel: "t",
				CharacterIds: []uuid.UUID{a, b}, Contents: []string{"s", "s"}, Types: []string{"DIALOGUE", "DIALOGUE"},
				Importances: []float64{0.5, 0.25}, Embeddings: [][]byte{emb, emb}})
			got := map[uuid.UUID]float64{}
			for _, r := range rows {
				got[r.CharacterID] = r.SinceReflection
			}
			return got, err
		}},
		{"a reflection", one(a, "REFLECTION", 0.9)},
		{"a reflection made by reflecting", func() (map[uuid.UUID]float64, error) {
			_, err := q.CreateMemory(ctx, db.CreateMemoryParams{CharacterID: b, EcosystemID: eco, Content: "r", Type: "REFLECTION",
				Importance: 0.9, Embedding: emb, EmbeddingModel: "t"})
			return nil, err
		}},
		{"after the reflection", one(a, "OBSERVATION", 0.375)},
	}
	for _, st := range steps {
		reported, err := st.add()
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		for _, c := range []uuid.UUID{a, b} {
			var kept, summed float64
			if err := pool.QueryRow(ctx, `SELECT reflection_debt FROM characters WHERE id = $1`, c).Scan(&kept); err != nil {
				t.Fatal(err)
			}
			if err := pool.QueryRow(ctx, `SELECT coalesce(sum(m.importance), 0) FROM memories m
				WHERE m.character_id = $1 AND m.type <> 'REFLECTION' AND m.created_at > coalesce((SELECT max(r.created_at)
				FROM memories r WHERE r.character_id = $1 AND r.type = 'REFLECTION'), '-infinity')`, c).Scan(&summed); err != nil {
				t.Fatal(err)
			}
			if math.Abs(kept-summed) > 1e-9 {
				t.Errorf("%s: kept %v, memories sum to %v", st.name, kept, summed)
			}
			if r, ok := reported[c]; ok && math.Abs(r-summed) > 1e-9 {
				t.Errorf("%s: the statement reported %v, memories sum to %v", st.name, r, summed)
			}
		}
	}
}
