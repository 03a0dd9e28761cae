package index

import (
	"bytes"
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// model is the expected content of an index: what the brute-force reference
// searches.
type model map[uuid.UUID]Item

func (m model) add(items ...Item) {
	for _, it := range items {
		m[it.ID] = Item{ID: it.ID, Character: it.Character, Vector: slices.Clone(it.Vector)}
	}
}

// bruteForce ranks the model's items (of one character, unless character is
// uuid.Nil) by the package's own dot product, best first, ties by ID.
func (m model) bruteForce(character uuid.UUID, q []float32, k int) []Hit {
	if k <= 0 {
		return nil
	}
	var hits []Hit
	for _, it := range m {
		if character == uuid.Nil || it.Character == character {
			hits = append(hits, Hit{ID: it.ID, Character: it.Character, Score: dot(q, it.Vector)})
		}
	}
	slices.SortFunc(hits, func(a, b Hit) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return bytes.Compare(a.ID[:], b.ID[:])
	})
	if len(hits) == 0 {
		return nil
	}
	return hits[:min(k, len(hits))]
}

// randomItems makes n unit vectors spread over the given characters; every
// seventh vector repeats an earlier one so that ties occur and are ordered.
func randomItems(rng *rand.Rand, n, characters, dim, idBase int) []Item {
	items := make([]Item, n)
	for i := range items {
		v := randomUnit(rng, dim)
		if i%7 == 6 {
			v = slices.Clone(items[rng.IntN(i)].Vector)
		}
		items[i] = Item{ID: seqID(1, idBase+i), Character: seqID(2, rng.IntN(characters)), Vector: v}
	}
	return items
}

// checkInvariants verifies that the ID map, the slabs, the blocks and the IVF
// references all agree with each other and with the model.
func checkInvariants(t *testing.T, x *Index, m model) {
	t.Helper()
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.n != len(m) || len(x.byID) != len(m) {
		t.Fatalf("n = %d, byID has %d, model has %d", x.n, len(x.byID), len(m))
	}
	rows := 0
	for si, s := range x.slabs {
		if len(s.ids) == 0 {
			t.Fatalf("slab %d is empty", si)
		}
		if got := x.byChar[s.character]; got != int32(si) {
			t.Fatalf("byChar[%s] = %d, want %d", s.character, got, si)
		}
		if want := (len(s.ids) + blockRows - 1) / blockRows; len(s.blocks) != want {
			t.Fatalf("slab %d: %d blocks for %d rows", si, len(s.blocks), len(s.ids))
		}
		for b, blk := range s.blocks {
			want := blockRows
			if b == len(s.blocks)-1 {
				want = len(s.ids) - b*blockRows
			}
			if len(blk) != want*x.dim {
				t.Fatalf("slab %d block %d holds %d floats, want %d", si, b, len(blk), want*x.dim)
			}
		}
		for r, id := range s.ids {
			if got := x.byID[id]; got != (loc{int32(si), int32(r)}) {
				t.Fatalf("byID[%s] = %v, want {%d %d}", id, got, si, r)
			}
			it, ok := m[id]
			if !ok || it.Character != s.character || !slices.Equal(it.Vector, s.vec(r, x.dim)) {
				t.Fatalf("row %d of slab %d (%s) does not match the model", r, si, id)
			}
			if x.centroids != nil {
				c, p := s.cell[r], s.pos[r]
				if x.cells[c].refs[p] != (ref{int32(si), int32(r)}) {
					t.Fatalf("cell %d position %d does not point back at slab %d row %d", c, p, si, r)
				}
				code, table := make([]byte, x.pq.m), make(lut, x.pq.m)
				x.pq.table(s.vec(r, x.dim), table)
				x.pq.encode(table, code)
				if got := x.cells[c].codes[int(p)*x.pq.m:][:x.pq.m]; !slices.Equal(got, code) {
					t.Fatalf("cell %d position %d holds code %v, want %v", c, p, got, code)
				}
			}
		}
		rows += len(s.ids)
	}
	if rows != len(m) || len(x.slabs) != len(x.byChar) {
		t.Fatalf("%d rows in %d slabs (%d characters mapped), model has %d", rows, len(x.slabs), len(x.byChar), len(m))
	}
	if x.centroids != nil {
		refs := 0
		for _, c := range x.cells {
			refs += len(c.refs)
			if len(c.codes) != len(c.refs)*x.pq.m {
				t.Fatalf("cell has %d refs and %d bytes of codes", len(c.refs), len(c.codes))
			}
		}
		if refs != len(m) {
			t.Fatalf("cells reference %d rows, want %d", refs, len(m))
		}
	}
}

func equalHits(t *testing.T, what string, got, want []Hit) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s:\n got %v\nwant %v", what, got, want)
	}
}

func TestSearchCharacterIsExact(t *testing.T) {
	for _, tc := range []struct {
		name               string
		n, characters, dim int
		trainThreshold, k  int
		queries, workers   int
	}{
		{name: "one character", n: 300, characters: 1, dim: 16, k: 10, queries: 5},
		{name: "several blocks", n: 900, characters: 2, dim: 8, k: 25, queries: 5},
		{name: "many characters", n: 500, characters: 40, dim: 32, k: 5, queries: 3},
		{name: "trained IVF", n: 1500, characters: 7, dim: 16, trainThreshold: 200, k: 10, queries: 3},
		{name: "k above population", n: 50, characters: 5, dim: 8, k: 100, queries: 2},
		{name: "odd dimension", n: 200, characters: 3, dim: 7, k: 9, queries: 3},
		{name: "split across goroutines", n: 12000, characters: 1, dim: 4, k: 10, queries: 3, workers: 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(tc.n)))
			x := New(tc.dim, Options{TrainThreshold: tc.trainThreshold, Workers: tc.workers})
			m := model{}
			items := randomItems(rng, tc.n, tc.characters, tc.dim, 0)
			x.Add(items...)
			m.add(items...)
			checkInvariants(t, x, m)
			for c := range tc.characters {
				ch := seqID(2, c)
				for range tc.queries {
					q := randomUnit(rng, tc.dim)
					equalHits(t, fmt.Sprintf("character %d", c), x.SearchCharacter(ch, q, tc.k), m.bruteForce(ch, q, tc.k))
				}
				// A stored vector finds itself (or an identical twin) first.
				stored := items[rng.IntN(len(items))]
				if got := x.SearchCharacter(stored.Character, stored.Vector, 1); len(got) != 1 || !slices.Equal(m[got[0].ID].Vector, stored.Vector) {
					t.Fatalf("searching a stored vector found %v", got)
				}
			}
			if got := x.SearchCharacter(seqID(3, 0), randomUnit(rng, tc.dim), tc.k); got != nil {
				t.Fatalf("unknown character: %v", got)
			}
		})
	}
}

func TestSearchIsExactBelowThreshold(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	x := New(24, Options{})
	m := model{}
	items := randomItems(rng, defaultTrainThreshold-1, 30, 24, 0)
	x.Add(items...)
	m.add(items...)
	if x.centroids != nil {
		t.Fatal("trained below the threshold")
	}
	for _, k := range []int{1, 10, 100} {
		q := randomUnit(rng, 24)
		want := m.bruteForce(uuid.Nil, q, k)
		equalHits(t, "Exact", x.Exact(q, k), want)
		equalHits(t, "Search", x.Search(q, k), want)
	}
}

// With every cell probed and every row rescored, the IVF must agree with
// Exact item for item; this checks the references and codes, not the
// quantizers' quality.
func TestSearchProbingAllCellsIsExact(t *testing.T) {
	for _, dim := range []int{16, 7} {
		t.Run(fmt.Sprint("dim ", dim), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, uint64(dim)))
			x := New(dim, Options{TrainThreshold: 100, Probes: 1 << 30, Rerank: 1 << 30})
			m := model{}
			items := randomItems(rng, 3000, 25, dim, 0)
			x.Add(items...)
			m.add(items...)
			checkInvariants(t, x, m)
			if x.centroids == nil {
				t.Fatal("not trained")
			}
			for range 20 {
				q := randomUnit(rng, dim)
				want := m.bruteForce(uuid.Nil, q, 10)
				equalHits(t, "Exact", x.Exact(q, 10), want)
				equalHits(t, "Search", x.Search(q, 10), want)
			}
		})
	}
}

// Once the product quantizer has been trained on a full sample, retraining
// keeps it and the rows' codes, including rows added by the call that
// triggers the retraining.
func TestRetrainKeepsQuantizer(t *testing.T) {
	const dim = 8
	rng := rand.New(rand.NewPCG(14, 14))
	x := New(dim, Options{TrainThreshold: 500, TrainSample: 500, Probes: 1 << 30, Rerank: 1 << 30})
	m := model{}
	add := func(n int) {
		items := randomItems(rng, n, 9, dim, len(m))
		x.Add(items...)
		m.add(items...)
	}
	add(500)
	first := x.pq
	if first == nil || x.trainedAt != 500 {
		t.Fatal("not trained at 500 items")
	}
	add(1400)
	add(150) // crosses 2000: retrains, with 150 rows not yet in a cell
	if x.trainedAt != 2050 || x.pq != first {
		t.Fatalf("trained at %d, quantizer kept: %v", x.trainedAt, x.pq == first)
	}
	checkInvariants(t, x, m)
	for range 10 {
		q := randomUnit(rng, dim)
		equalHits(t, "Search", x.Search(q, 10), m.bruteForce(uuid.Nil, q, 10))
	}
}

// Items that share one vector slice, as the witnesses of a scene's line do, are quantized
// once: each still gets the cell and code its vector has, and search finds all of them.
func TestAddSharedVectors(t *testing.T) {
	const dim = 8
	rng := rand.New(rand.NewPCG(15, 15))
	x := New(dim, Options{TrainThreshold: 300, Probes: 1 << 30, Rerank: 1 << 30})
	m := model{}
	first := randomItems(rng, 300, 5, dim, 0)
	x.Add(first...)
	m.add(first...)
	if x.centroids == nil {
		t.Fatal("not trained at 300 items")
	}
	shared := randomUnit(rng, dim)
	batch := []Item{
		{ID: seqID(1, 1000), Character: seqID(2, 0), Vector: shared},
		{ID: seqID(1, 1001), Character: seqID(2, 1), Vector: randomUnit(rng, dim)},
		{ID: seqID(1, 1002), Character: seqID(2, 1), Vector: shared},
		{ID: seqID(1, 1003), Character: seqID(2, 7), Vector: shared[:dim:dim]},
		{ID: seqID(1, 1004), Character: seqID(2, 2), Vector: slices.Clone(shared)},
	}
	x.Add(batch...)
	m.add(batch...)
	checkInvariants(t, x, m)
	cells := map[int32]bool{}
	for _, it := range []Item{batch[0], batch[2], batch[3], batch[4]} {
		l := x.byID[it.ID]
		cells[x.slabs[l.slab].cell[l.row]] = true
	}
	if len(cells) != 1 {
		t.Fatalf("one vector in %d cells", len(cells))
	}
	equalHits(t, "Search", x.Search(shared, 6), m.bruteForce(uuid.Nil, shared, 6))
	for _, c := range []int{0, 1, 7} {
		equalHits(t, "SearchCharacter", x.SearchCharacter(seqID(2, c), shared, 3), m.bruteForce(seqID(2, c), shared, 3))
	}
}

func TestAddReplaces(t *testing.T) {
	const dim = 8
	alice, bob := seqID(2, 1), seqID(2, 2)
	id := seqID(1, 1)
	v := func(i int) []float32 {
		u := make([]float32, dim)
		u[i] = 1
		return u
	}
	for _, tc := range []struct {
		name           string
		trainThreshold int
		batches        [][]Item
		want           Item
	}{
		{
			name:    "same character, new vector",
			batches: [][]Item{{{ID: id, Character: alice, Vector: v(0)}}, {{ID: id, Character: alice, Vector: v(1)}}},
			want:    Item{ID: id, Character: alice, Vector: v(1)},
		},
		{
			name:    "moves to another character",
			batches: [][]Item{{{ID: id, Character: alice, Vector: v(0)}}, {{ID: id, Character: bob, Vector: v(2)}}},
			want:    Item{ID: id, Character: bob, Vector: v(2)},
		},
		{
			name:    "last of one call wins",
			batches: [][]Item{{{ID: id, Character: alice, Vector: v(0)}, {ID: id, Character: bob, Vector: v(3)}, {ID: id, Character: alice, Vector: v(4)}}},
			want:    Item{ID: id, Character: alice, Vector: v(4)},
		},
		{
			name:           "in a trained index",
			trainThreshold: 1,
			batches:        [][]Item{{{ID: id, Character: alice, Vector: v(0)}, {ID: seqID(1, 2), Character: bob, Vector: v(5)}}, {{ID: id, Character: bob, Vector: v(6)}}},
			want:           Item{ID: id, Character: bob, Vector: v(6)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := New(dim, Options{TrainThreshold: tc.trainThreshold})
			m := model{}
			for _, b := range tc.batches {
				x.Add(b...)
				m.add(b...)
			}
			checkInvariants(t, x, m)
			if got := m[id]; got.Character != tc.want.Character || !slices.Equal(got.Vector, tc.want.Vector) {
				t.Fatalf("model holds %v", got)
			}
			hits := x.Exact(tc.want.Vector, 1)
			if len(hits) != 1 || hits[0] != (Hit{ID: id, Character: tc.want.Character, Score: 1}) {
				t.Fatalf("Exact found %v", hits)
			}
			other := alice
			if tc.want.Character == alice {
				other = bob
			}
			for _, h := range x.SearchCharacter(other, tc.want.Vector, 10) {
				if h.ID == id {
					t.Fatalf("item still found under its old character: %v", h)
				}
			}
		})
	}
}

func TestRemove(t *testing.T) {
	const dim = 12
	for _, tc := range []struct {
		name           string
		n, characters  int
		trainThreshold int
		remove         func(items []Item) []uuid.UUID
	}{
		{name: "nothing known", n: 100, characters: 3, remove: func([]Item) []uuid.UUID { return []uuid.UUID{seqID(9, 1)} }},
		{name: "every other", n: 700, characters: 4, remove: func(items []Item) []uuid.UUID {
			var ids []uuid.UUID
			for i := 0; i < len(items); i += 2 {
				ids = append(ids, items[i].ID)
			}
			return ids
		}},
		{name: "whole characters", n: 600, characters: 6, trainThreshold: 100, remove: func(items []Item) []uuid.UUID {
			var ids []uuid.UUID
			for _, it := range items {
				if it.Character == seqID(2, 0) || it.Character == seqID(2, 3) {
					ids = append(ids, it.ID)
				}
			}
			return ids
		}},
		{name: "everything twice", n: 400, characters: 5, trainThreshold: 50, remove: func(items []Item) []uuid.UUID {
			var ids []uuid.UUID
			for _, it := range items {
				ids = append(ids, it.ID, it.ID)
			}
			return ids
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(4, uint64(tc.n)))
			x := New(dim, Options{TrainThreshold: tc.trainThreshold, Probes: 1 << 30, Rerank: 1 << 30})
			m := model{}
			items := randomItems(rng, tc.n, tc.characters, dim, 0)
			x.Add(items...)
			m.add(items...)
			ids := tc.remove(items)
			x.Remove(ids...)
			for _, id := range ids {
				delete(m, id)
			}
			checkInvariants(t, x, m)
			if x.Len() != len(m) {
				t.Fatalf("Len = %d, want %d", x.Len(), len(m))
			}
			for range 5 {
				q := randomUnit(rng, dim)
				want := m.bruteForce(uuid.Nil, q, 20)
				equalHits(t, "Exact", x.Exact(q, 20), want)
				equalHits(t, "Search", x.Search(q, 20), want)
				for c := range tc.characters {
					ch := seqID(2, c)
					equalHits(t, "SearchCharacter", x.SearchCharacter(ch, q, 20), m.bruteForce(ch, q, 20))
				}
			}
		})
	}
}

func TestKBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, trained := range []bool{false, true} {
		opts := Options{}
		if trained {
			opts.TrainThreshold = 10
		}
		x := New(8, opts)
		items := randomItems(rng, 40, 2, 8, 0)
		x.Add(items...)
		q := randomUnit(rng, 8)
		ch := items[0].Character
		population := 0
		for _, it := range items {
			if it.Character == ch {
				population++
			}
		}
		for _, k := range []int{-1, 0} {
			if x.Search(q, k) != nil || x.Exact(q, k) != nil || x.SearchCharacter(ch, q, k) != nil {
				t.Fatalf("k = %d gave results", k)
			}
		}
		if got := len(x.Exact(q, 1000)); got != len(items) {
			t.Fatalf("Exact with k above n returned %d, want %d", got, len(items))
		}
		if got := len(x.SearchCharacter(ch, q, 1000)); got != population {
			t.Fatalf("SearchCharacter with k above population returned %d, want %d", got, population)
		}
		if got := len(x.Search(q, 1000)); got == 0 || got > len(items) {
			t.Fatalf("Search with k above n returned %d", got)
		}
	}
	empty := New(8, Options{})
	q := randomUnit(rng, 8)
	if empty.Search(q, 5) != nil || empty.Exact(q, 5) != nil || empty.SearchCharacter(uuid.Nil, q, 5) != nil {
		t.Fatal("an empty index returned hits")
	}
}

func TestRetrainsAfterGrowth(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	x := New(8, Options{TrainThreshold: 100})
	items := randomItems(rng, 1000, 10, 8, 0)
	for i, it := range items {
		x.Add(it)
		trained := x.centroids != nil
		switch n := i + 1; {
		case n < 100 && trained:
			t.Fatalf("trained at %d items", n)
		case n >= 100 && n < 400 && (x.trainedAt != 100 || len(x.cells) != 10):
			t.Fatalf("at %d items: trained at %d with %d cells, want 100 and 10", n, x.trainedAt, len(x.cells))
		case n >= 400 && (x.trainedAt != 400 || len(x.cells) != 20):
			t.Fatalf("at %d items: trained at %d with %d cells, want 400 and 20", n, x.trainedAt, len(x.cells))
		}
	}
}

// Random interleavings of adds, replacements and removals, across trainings,
// must keep every structure consistent.
func TestRandomOperations(t *testing.T) {
	const dim = 6
	rng := rand.New(rand.NewPCG(7, 7))
	x := New(dim, Options{TrainThreshold: 60, Probes: 1 << 30, Rerank: 1 << 30})
	m := model{}
	next := 0
	for step := range 300 {
		switch op := rng.IntN(10); {
		case op < 6:
			batch := randomItems(rng, 1+rng.IntN(40), 8, dim, next)
			next += len(batch)
			x.Add(batch...)
			m.add(batch...)
		case op < 8 && len(m) > 0:
			var batch []Item
			for id := range m {
				if len(batch) == 10 {
					break
				}
				batch = append(batch, Item{ID: id, Character: seqID(2, rng.IntN(8)), Vector: randomUnit(rng, dim)})
			}
			x.Add(batch...)
			m.add(batch...)
		default:
			var ids []uuid.UUID
			for id := range m {
				if rng.IntN(4) == 0 {
					ids = append(ids, id)
				}
			}
			x.Remove(ids...)
			for _, id := range ids {
				delete(m, id)
			}
		}
		checkInvariants(t, x, m)
		if step%10 == 0 {
			q := randomUnit(rng, dim)
			equalHits(t, "Search", x.Search(q, 15), m.bruteForce(uuid.Nil, q, 15))
		}
	}
}

func TestConcurrentUse(t *testing.T) {
	const dim = 16
	x := New(dim, Options{TrainThreshold: 200})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(8, uint64(w)))
			for i := range 30 {
				batch := randomItems(rng, 20, 5, dim, (w*30+i)*20)
				x.Add(batch...)
				if i%3 == 0 {
					x.Remove(batch[0].ID, batch[1].ID)
				}
			}
		})
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(9, uint64(w)))
			for range 60 {
				q := randomUnit(rng, dim)
				for _, hits := range [][]Hit{x.Search(q, 5), x.Exact(q, 5), x.SearchCharacter(seqID(2, w), q, 5)} {
					if !slices.IsSortedFunc(hits, func(a, b Hit) int { return cmp.Compare(b.Score, a.Score) }) {
						t.Errorf("hits out of order: %v", hits)
					}
				}
				_ = x.Len()
				_ = x.Bytes()
			}
		})
	}
	wg.Wait()
	if got, want := x.Len(), 4*30*20-4*10*2; got != want {
		t.Fatalf("Len = %d, want %d", got, want)
	}
}

func TestWrongDimensionPanics(t *testing.T) {
	x := New(4, Options{})
	x.Add(Item{ID: seqID(1, 1), Character: seqID(2, 1), Vector: []float32{1, 0, 0, 0}})
	for name, f := range map[string]func(){
		"Add":             func() { x.Add(Item{ID: seqID(1, 2), Vector: []float32{1, 0}}) },
		"Search":          func() { x.Search([]float32{1}, 1) },
		"Exact":           func() { x.Exact([]float32{1, 0, 0, 0, 0}, 1) },
		"SearchCharacter": func() { x.SearchCharacter(seqID(2, 1), nil, 1) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			f()
		}()
	}
	if x.Len() != 1 {
		t.Fatalf("a rejected Add changed the index: Len = %d", x.Len())
	}
}

func TestBytesFollowsContent(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	x := New(32, Options{})
	if b := x.Bytes(); b != 0 {
		t.Fatalf("empty index holds %d bytes", b)
	}
	items := randomItems(rng, 3000, 10, 32, 0)
	x.Add(items...)
	vectors := int64(len(items) * 32 * 4)
	full := x.Bytes()
	if full < vectors || full > 2*vectors {
		t.Fatalf("Bytes = %d for %d bytes of vectors", full, vectors)
	}
	for _, it := range items {
		x.Remove(it.ID)
	}
	// The vectors and the ID map are released; cells and codebooks keep
	// their capacity.
	if b := x.Bytes(); full-b < vectors {
		t.Fatalf("Bytes = %d after removing everything, %d when full", b, full)
	}
}

// A (re)training runs without the write lock: searches, adds, replacements and removals
// go on while it trains, and what they changed is in the IVF it installs.
func TestTrainingDoesNotBlock(t *testing.T) {
	const dim = 8
	for _, retrain := range []bool{false, true} {
		t.Run(fmt.Sprintf("retrain=%v", retrain), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(21, 21))
			x := New(dim, Options{TrainThreshold: 400, Probes: 1 << 30, Rerank: 1 << 30})
			m := model{}
			add := func(items ...Item) {
				x.Add(items...)
				m.add(items...)
			}
			add(randomItems(rng, 399, 7, dim, 0)...)
			if retrain {
				add(randomItems(rng, 1, 7, dim, 399)...)    // trains at 400
				add(randomItems(rng, 1199, 7, dim, 400)...) // the next item retrains, at 1,600
			}
			inTraining, release := make(chan struct{}), make(chan struct{})
			x.trainHook = func() {
				close(inTraining)
				<-release
			}
			trigger := randomItems(rng, 1, 7, dim, m.size())
			m.add(trigger...)
			trained := make(chan struct{})
			go func() {
				x.Add(trigger...)
				close(trained)
			}()
			select {
			case <-inTraining:
			case <-trained:
				t.Fatal("no training started")
			}

			meanwhile := make(chan struct{})
			var old Item
			for _, it := range m {
				old = it
				break
			}
			replaced := Item{ID: old.ID, Character: old.Character, Vector: randomUnit(rng, dim)}
			var gone uuid.UUID
			more := randomItems(rng, 50, 7, dim, m.size())
			q := randomUnit(rng, dim)
			want := m.bruteForce(uuid.Nil, q, 10)
			var during []Hit
			go func() {
				defer close(meanwhile)
				during = x.Search(q, 10)
				x.Add(more...)
				x.Add(replaced)
				for id := range m {
					if id != old.ID {
						gone = id
						break
					}
				}
				x.Remove(gone)
			}()
			select {
			case <-meanwhile:
			case <-trained:
				t.Fatal("training finished before it was released")
			case <-time.After(30 * time.Second):
				t.Fatal("search and writes waited for the training")
			}
			equalHits(t, "Search during training", during, want)
			m.add(more...)
			m.add(replaced)
			delete(m, gone)
			close(release)
			<-trained

			if x.centroids == nil || x.training || x.trainedAt != m.size() {
				t.Fatalf("after training: trained %v, still training %v, trained at %d of %d", x.centroids != nil, x.training, x.trainedAt, m.size())
			}
			checkInvariants(t, x, m)
			for range 10 {
				q := randomUnit(rng, dim)
				equalHits(t, "Search", x.Search(q, 10), m.bruteForce(uuid.Nil, q, 10))
			}
			equalHits(t, "Search for the replaced vector", x.Search(replaced.Vector, 1), m.bruteForce(uuid.Nil, replaced.Vector, 1))
		})
	}
}

func (m model) size() int { return len(m) }
