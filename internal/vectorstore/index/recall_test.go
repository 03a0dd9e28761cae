package index

import (
	"math/rand/v2"
	"testing"
)

// Search must find at least 95% of the true top 10 with the default options.
// This is a quality assertion on deterministic data, not a timing one.
func TestSearchRecall(t *testing.T) {
	if raceEnabled {
		t.Skip("a quality test with no concurrency, too slow under the race detector; scripts/test runs it without -race")
	}
	const (
		n          = 20000
		dim        = 256
		characters = 100
		queries    = 200
	)
	for _, tc := range []struct {
		name  string
		items func() []Item
		query func(rng *rand.Rand, items []Item) []float32
	}{
		{
			// 200 random unit centres with Gaussian noise: the textbook
			// case for an IVF.
			name:  "clustered",
			items: func() []Item { return clustered(11, n, 200, characters, dim, 0.8) },
			query: func(rng *rand.Rand, items []Item) []float32 {
				v := append([]float32(nil), items[rng.IntN(len(items))].Vector...)
				for j := range v {
					v[j] += float32(rng.NormFloat64() * 0.05)
				}
				return normalise(v)
			},
		},
		{
			// The benchmark's text-like vectors, which have no clear
			// clusters: the hard case.
			name: "text-like",
			items: func() []Item {
				corp := newTextCorpus(12, characters, dim)
				items := make([]Item, n)
				for i := range items {
					c := i % characters
					items[i] = Item{ID: seqID(1, i), Character: seqID(2, c), Vector: corp.embed(corp.text(c, i/characters), make([]float32, dim))}
				}
				return items
			},
			query: func(rng *rand.Rand, _ []Item) []float32 {
				corp := newTextCorpus(12, characters, dim)
				c := rng.IntN(characters)
				return corp.embed(corp.paraphrase(rng, c, corp.text(c, rng.IntN(n/characters))), make([]float32, dim))
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items := tc.items()
			x := New(dim, Options{})
			// In batches, so that the index trains and retrains as it grows.
			for i := 0; i < len(items); i += 500 {
				x.Add(items[i:min(i+500, len(items))]...)
			}
			if x.centroids == nil {
				t.Fatal("the IVF was not trained")
			}
			rng := rand.New(rand.NewPCG(13, 13))
			var recall float64
			for range queries {
				q := tc.query(rng, items)
				recall += recallAt(x.Search(q, 10), x.Exact(q, 10))
			}
			recall /= queries
			t.Logf("recall@10 = %.3f over %d queries (%d cells, %d probed)", recall, queries, len(x.cells), x.probes())
			if recall < 0.95 {
				t.Fatalf("recall@10 = %.3f, want at least 0.95", recall)
			}
		})
	}
}
