package index

import (
	"cmp"
	"fmt"
	"slices"
	"sync"

	"github.com/google/uuid"
)

// SearchCharacter returns the k items of one character most similar to q,
// best first, by exhaustive search: a character's memories are few enough
// (thousands) that scanning them all is fast, and recall is then exact.
// It returns nil if k <= 0 or the character has no items, and panics if
// len(q) is not the index's dimension.
func (x *Index) SearchCharacter(character uuid.UUID, q []float32, k int) []Hit {
	x.checkQuery(q)
	if k <= 0 {
		return nil
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	si, ok := x.byChar[character]
	if !ok {
		return nil
	}
	s := x.slabs[si]
	return x.fanOut(k, len(s.blocks), minRowsPerWorker,
		func(i int) int { return len(s.blocks[i]) / x.dim },
		func(i int, t *topK) { t.scanBlock(q, s.blocks[i], si, i*blockRows) }).hits()
}

// Exact returns the k items most similar to q across all characters, best
// first, by brute force. It is the reference that Search's recall is measured
// against, and what Search does while the index is below the training
// threshold. It returns nil if k <= 0 and panics if len(q) is not the index's
// dimension.
func (x *Index) Exact(q []float32, k int) []Hit {
	x.checkQuery(q)
	if k <= 0 {
		return nil
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.exact(q, k)
}

func (x *Index) exact(q []float32, k int) []Hit {
	return x.fanOut(k, len(x.slabs), minRowsPerWorker,
		func(i int) int { return len(x.slabs[i].ids) },
		func(i int, t *topK) {
			for b, blk := range x.slabs[i].blocks {
				t.scanBlock(q, blk, int32(i), b*blockRows)
			}
		}).hits()
}

// Search returns about the k items most similar to q across all characters,
// best first. Once the IVF is trained it estimates the scores of the rows in
// the cells whose centroids are nearest q (see Options.Probes) from their PQ
// codes, and rescores the best of them (see Options.Rerank) exactly; an item
// in a cell not probed, or whose estimate ranks too low, can be missed.
// Until the IVF is trained Search is Exact. Scores are exact for the items
// returned. It returns nil if k <= 0 and panics if len(q) is not the index's
// dimension.
func (x *Index) Search(q []float32, k int) []Hit {
	x.checkQuery(q)
	if k <= 0 {
		return nil
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	if x.centroids == nil {
		return x.exact(q, k)
	}
	probe := x.nearestCells(q, x.probes())
	table := make(lut, x.pq.m)
	x.pq.table(q, table)
	candidates := x.fanOut(max(k, x.rerank()), len(probe), minCodesPerWorker,
		func(i int) int { return len(x.cells[probe[i]].refs) },
		func(i int, t *topK) {
			c := &x.cells[probe[i]]
			t.scanCodes(table, c.codes, c.refs)
		})
	best := newTopK(k, x.slabs)
	best.rescore(q, candidates.h)
	return best.hits()
}

// rerank is the number of candidates Search rescores exactly.
func (x *Index) rerank() int {
	if x.opts.Rerank > 0 {
		return x.opts.Rerank
	}
	return defaultRerank
}

// probes is the number of cells Search scans.
func (x *Index) probes() int {
	lists := len(x.cells)
	if x.opts.Probes > 0 {
		return min(x.opts.Probes, lists)
	}
	return DefaultProbes(lists)
}

// nearestCells returns the p cells whose centroids are most similar to q,
// nearest first.
func (x *Index) nearestCells(q []float32, p int) []int32 {
	sims := simsTo(q, x.centroids, make([]float32, len(x.cells)))
	order := make([]int32, len(sims))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		if c := cmp.Compare(sims[b], sims[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	return order[:p]
}

// simsTo fills out with q's dot product with each of the rows packed in m.
func simsTo(q, m, out []float32) []float32 {
	dim := len(q)
	n := len(out)
	i := 0
	for ; i+4 <= n; i += 4 {
		o := i * dim
		out[i], out[i+1], out[i+2], out[i+3] = dot4(q, m[o:], m[o+dim:], m[o+2*dim:], m[o+3*dim:])
	}
	for ; i < n; i++ {
		out[i] = dot(q, m[i*dim:])
	}
	return out
}

// The least work worth a goroutine of its own, in rows of vectors and in
// rows of PQ codes: a millisecond or so of scanning, against microseconds to
// start and join a goroutine.
const (
	minRowsPerWorker  = 4096
	minCodesPerWorker = 65536
)

// fanOut scans n units of work (blocks, slabs or cells) of the given sizes in
// rows into a top-k, splitting them into contiguous runs of about equal size
// across up to Options.Workers goroutines when each would get at least
// minPerWorker rows, and returns the merged top-k. Callers hold the read lock.
func (x *Index) fanOut(k, n, minPerWorker int, size func(int) int, scan func(int, *topK)) *topK {
	total := 0
	for i := range n {
		total += size(i)
	}
	workers := min(x.opts.Workers, total/minPerWorker)
	if workers <= 1 {
		t := newTopK(k, x.slabs)
		for i := range n {
			scan(i, t)
		}
		return t
	}
	tops := make([]*topK, workers)
	var wg sync.WaitGroup
	start, done := 0, 0
	for w := range workers {
		end := start
		for end < n && (w == workers-1 || done < (w+1)*total/workers) {
			done += size(end)
			end++
		}
		t := newTopK(k, x.slabs)
		tops[w] = t
		lo, hi := start, end
		wg.Go(func() {
			for i := lo; i < hi; i++ {
				scan(i, t)
			}
		})
		start = end
	}
	wg.Wait()
	for _, t := range tops[1:] {
		tops[0].merge(t)
	}
	return tops[0]
}

func (x *Index) checkQuery(q []float32) {
	if len(q) != x.dim {
		panic(fmt.Sprintf("index: query has %d dimensions, want %d", len(q), x.dim))
	}
}
