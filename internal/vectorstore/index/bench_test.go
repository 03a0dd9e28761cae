package index

import (
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"
)

// BenchmarkIndex1M builds an index of a million text-like memories (see
// textCorpus) over a thousand characters, the largest budgets of the issue,
// and reports:
//
//	build_s, ingest_items/s  time spent in Add, loading in batches of 1000
//	                         (as from a database cursor), trainings included
//	search_p50_ms, _p95_ms   Search latency, k = 10
//	recall@10                Search against Exact, averaged over the queries
//	                         (half paraphrases of stored memories, half fresh)
//	char_p50_ms, _p95_ms     SearchCharacter latency, k = 10
//	heap_MiB, index_MiB      HeapAlloc after GC, and Bytes()
//	lists, probes            the IVF's shape
//
// Run it with -benchtime 200x: each iteration is one query.
func BenchmarkIndex1M(b *testing.B) {
	const (
		items      = 1_000_000
		characters = 1000
		dim        = 256
		batchSize  = 1000
	)
	corp := newTextCorpus(42, characters, dim)
	sizes := memoriesPerCharacter(items, characters)
	x := New(dim, Options{})

	// Memories arrive in an order that interleaves characters, as they
	// would be written over time.
	rng := rand.New(rand.NewPCG(42, 1))
	order := make([]int32, 0, items) // character of each memory, in order
	for c, n := range sizes {
		for range n {
			order = append(order, int32(c))
		}
	}
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })

	var building time.Duration
	next := make([]int, characters) // memories of each character so far
	batch := make([]Item, batchSize)
	vecs := make([]float32, batchSize*dim)
	for start := 0; start < items; start += batchSize {
		for j := range batch {
			c := int(order[start+j])
			batch[j] = Item{
				ID:        seqID(1, start+j),
				Character: seqID(2, c),
				Vector:    corp.embed(corp.text(c, next[c]), vecs[j*dim:(j+1)*dim]),
			}
			next[c]++
		}
		t := time.Now()
		x.Add(batch...)
		building += time.Since(t)
	}
	order = nil
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)

	// Queries: even ones paraphrase a stored memory, odd ones are new
	// memories; the character is that of a random memory, so busy
	// characters are asked about more, as they would be.
	pick := cumulative(sizes)
	var queries [][]float32
	var search, character []time.Duration
	for b.Loop() {
		i := len(queries)
		qrng := rand.New(rand.NewPCG(43, uint64(i)))
		c, _ := slices.BinarySearch(pick, qrng.Float64())
		var words []int32
		if i%2 == 0 {
			words = corp.paraphrase(qrng, c, corp.text(c, qrng.IntN(sizes[c])))
		} else {
			words = corp.text(c, sizes[c]+i)
		}
		q := corp.embed(words, make([]float32, dim))
		queries = append(queries, q)

		t := time.Now()
		x.Search(q, 10)
		search = append(search, time.Since(t))
		t = time.Now()
		x.SearchCharacter(seqID(2, c), q, 10)
		character = append(character, time.Since(t))
	}

	var recall float64
	for _, q := range queries {
		recall += recallAt(x.Search(q, 10), x.Exact(q, 10))
	}
	recall /= float64(len(queries))

	b.ReportMetric(building.Seconds(), "build_s")
	b.ReportMetric(float64(items)/building.Seconds(), "ingest_items/s")
	b.ReportMetric(percentileMs(search, 50), "search_p50_ms")
	b.ReportMetric(percentileMs(search, 95), "search_p95_ms")
	b.ReportMetric(recall, "recall@10")
	b.ReportMetric(percentileMs(character, 50), "char_p50_ms")
	b.ReportMetric(percentileMs(character, 95), "char_p95_ms")
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "heap_MiB")
	b.ReportMetric(float64(x.Bytes())/(1<<20), "index_MiB")
	b.ReportMetric(float64(len(x.cells)), "lists")
	b.ReportMetric(float64(x.probes()), "probes")
}

// memoriesPerCharacter splits n memories over the characters with Zipf-like
// sizes: casts have a few protagonists with thousands of memories (the
// largest about 9,400 of a million, near the 10,000 the per-character search
// is budgeted for) and a long tail of minor characters with a few hundred.
func memoriesPerCharacter(n, characters int) []int {
	const offset = 30
	w := make([]float64, characters)
	var total float64
	for c := range w {
		w[c] = 1 / float64(c+offset)
		total += w[c]
	}
	sizes := make([]int, characters)
	left := n
	for c := range sizes {
		sizes[c] = int(math.Round(w[c] / total * float64(n)))
		left -= sizes[c]
	}
	sizes[characters-1] += left
	return sizes
}

// cumulative is the cumulative distribution of picking a character in
// proportion to its size.
func cumulative(sizes []int) []float64 {
	total := 0
	for _, s := range sizes {
		total += s
	}
	out := make([]float64, len(sizes))
	run := 0
	for i, s := range sizes {
		run += s
		out[i] = float64(run) / float64(total)
	}
	return out
}

// recallAt is the share of want's IDs found in got.
func recallAt(got, want []Hit) float64 {
	if len(want) == 0 {
		return 1
	}
	found := 0
	for _, w := range want {
		for _, g := range got {
			if g.ID == w.ID {
				found++
				break
			}
		}
	}
	return float64(found) / float64(len(want))
}

func percentileMs(d []time.Duration, p int) float64 {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := min(len(s)-1, (len(s)*p+99)/100-1)
	return float64(s[max(i, 0)].Nanoseconds()) / 1e6
}

// BenchmarkTrainingStall measures what the first training costs everyone else: while the
// item that crosses TrainThreshold (20,000 vectors of 256 dimensions) trains the IVF, a
// second goroutine keeps searching one character and adding a memory, as a scene does,
// and reports:
//
//	train_s        how long the Add that trains takes
//	wait_max_ms    the slowest search-and-add meanwhile (was the whole training while
//	               it ran under the write lock)
//	ops            how many search-and-adds ran meanwhile
//
// Run it with -benchtime 1x.
func BenchmarkTrainingStall(b *testing.B) {
	const dim = 256
	for range b.N {
		rng := rand.New(rand.NewPCG(1, 1))
		x := New(dim, Options{})
		x.Add(randomItems(rng, defaultTrainThreshold-1, 50, dim, 0)...)
		trigger := randomItems(rng, 1, 50, dim, defaultTrainThreshold)
		started := make(chan struct{})
		x.trainHook = func() { close(started) }
		done := make(chan time.Duration)
		go func() {
			t := time.Now()
			x.Add(trigger...)
			done <- time.Since(t)
		}()
		<-started
		q := randomUnit(rng, dim)
		var worst time.Duration
		ops := 0
		for {
			select {
			case took := <-done:
				b.ReportMetric(took.Seconds(), "train_s")
				b.ReportMetric(float64(worst.Microseconds())/1000, "wait_max_ms")
				b.ReportMetric(float64(ops), "ops")
				return
			default:
			}
			t := time.Now()
			x.SearchCharacter(seqID(2, ops%50), q, 10)
			x.Add(randomItems(rng, 1, 50, dim, 2*defaultTrainThreshold+ops)...)
			worst = max(worst, time.Since(t))
			ops++
			time.Sleep(2 * time.Millisecond)
		}
	}
}
