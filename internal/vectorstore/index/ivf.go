package index

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"github.com/google/uuid"
)

// cell is one IVF cell: references to its rows and their PQ codes, in the
// same order, the codes packed so that scanning a cell reads one contiguous
// run of memory.
type cell struct {
	refs  []ref
	codes []byte // len(refs) * pq.m
}

// trainPlan is what a (re)training works from, taken under the write lock.
type trainPlan struct {
	lists  int
	sample []float32
	rng    *rand.Rand
	pq     *pq // the quantizer to keep, nil to train a new one
}

// ivfModel is a trained coarse quantizer and product quantizer.
type ivfModel struct {
	centroids     []float32
	centroidCodes []byte
	pq            *pq
}

// planTraining starts a (re)training: it draws the sample and marks the index
// as training, so that no other call starts one. The product quantizer is
// trained on the same sample until it has been trained on a full sample
// (pqSample vectors, or Options.TrainSample if smaller); after that it is
// kept: what a codebook of 4-dimensional pieces describes does not change as
// the index grows. Callers hold the write lock.
func (x *Index) planTraining() *trainPlan {
	lists := x.opts.Lists
	if lists <= 0 {
		lists = int(math.Round(math.Sqrt(float64(x.n))))
	}
	m := min(x.n, x.opts.TrainSample)
	// Seeded by the size too, so successive retrainings draw fresh samples
	// while the whole history stays reproducible.
	rng := rand.New(rand.NewPCG(x.opts.Seed, uint64(x.n)))
	p := &trainPlan{lists: max(1, min(lists, m)), sample: x.sample(m, rng), rng: rng}
	if x.pq != nil && x.pq.trainedOn >= min(pqSample, x.opts.TrainSample) {
		p.pq = x.pq
	}
	x.training, x.changed = true, map[uuid.UUID]bool{}
	return p
}

// train (re)builds the IVF from the plan: k-means for the cells on the
// sample, then every row to its nearest centroid, with its code. It runs
// without the write lock, which it takes only to install the result: k-means
// and assigning every row take seconds at tens of thousands of rows, and the
// ecosystem's searches and writes go on meanwhile (searches on the IVF being
// replaced, or exact before the first). Rows are assigned in chunks under the
// read lock; those added or replaced meanwhile are assigned when the result
// is installed. Only cells are rebuilt; vectors stay where they are, so
// retraining needs memory for the sample and the cells, not a second copy of
// the vectors.
func (x *Index) train(p *trainPlan) {
	if x.trainHook != nil {
		x.trainHook()
	}
	mod := ivfModel{pq: p.pq}
	if mod.pq == nil {
		mod.pq = trainPQ(p.sample, x.dim, x.opts.Iterations, p.rng, x.opts.Workers)
	}
	mod.centroids = kmeans(p.sample, x.dim, p.lists, x.opts.Iterations, p.rng, x.opts.Workers)
	mod.centroidCodes = make([]byte, p.lists*mod.pq.m)
	t := make(lut, mod.pq.m)
	for c := range p.lists {
		mod.pq.table(mod.centroids[c*x.dim:(c+1)*x.dim], t)
		mod.pq.encode(t, mod.centroidCodes[c*mod.pq.m:])
	}

	x.mu.RLock()
	ids := make([]uuid.UUID, 0, x.n)
	for _, s := range x.slabs {
		ids = append(ids, s.ids...)
	}
	x.mu.RUnlock()
	m := mod.pq.m
	at := make(map[uuid.UUID]int, len(ids))
	cellOf, codes := make([]int32, len(ids)), make([]byte, len(ids)*m)
	for lo := 0; lo < len(ids); lo += trainChunk {
		hi := min(len(ids), lo+trainChunk)
		x.mu.RLock()
		rows := make([]loc, 0, hi-lo)
		for _, id := range ids[lo:hi] {
			if l, ok := x.byID[id]; ok {
				at[id] = lo + len(rows)
				rows = append(rows, l)
			}
		}
		c, k := x.quantize(mod, rows)
		x.mu.RUnlock()
		copy(cellOf[lo:], c)
		copy(codes[lo*m:], k)
	}

	x.mu.Lock()
	defer x.mu.Unlock()
	x.centroids, x.centroidCodes, x.pq = mod.centroids, mod.centroidCodes, mod.pq
	counts := make([]int, p.lists)
	var done, fresh []loc
	var doneCells []int32
	var doneCodes []byte
	for si, s := range x.slabs {
		for r, id := range s.ids {
			l := loc{int32(si), int32(r)}
			i, ok := at[id]
			if !ok || x.changed[id] {
				fresh = append(fresh, l)
				continue
			}
			done, doneCells = append(done, l), append(doneCells, cellOf[i])
			doneCodes = append(doneCodes, codes[i*m:(i+1)*m]...)
			counts[cellOf[i]]++
		}
	}
	freshCells, freshCodes := x.quantize(mod, fresh)
	for _, c := range freshCells {
		counts[c]++
	}
	x.cells = make([]cell, p.lists)
	for c := range x.cells {
		x.cells[c] = cell{refs: make([]ref, 0, counts[c]), codes: make([]byte, 0, counts[c]*m)}
	}
	x.link(done, doneCells, doneCodes)
	x.link(fresh, freshCells, freshCodes)
	x.trainedAt = x.n
	x.training, x.changed = false, nil
}

// trainChunk is how many rows train assigns per hold of the read lock, so
// that a writer waits for one chunk (milliseconds), not for all rows.
const trainChunk = 512

// assign puts newly added rows into their nearest cells.
// assign links new rows to their cells; first[i] is the row whose vector row i shares
// (i itself if none), which is quantized once for all of them.
func (x *Index) assign(rows []loc, first []int) {
	unique := make([]loc, 0, len(rows))
	at := make([]int, len(rows))
	for i, f := range first {
		if f == i {
			at[i] = len(unique)
			unique = append(unique, rows[i])
		} else {
			at[i] = at[f]
		}
	}
	cellOf, codes := x.quantize(ivfModel{x.centroids, x.centroidCodes, x.pq}, unique)
	if len(unique) < len(rows) {
		m := x.pq.m
		all, allCodes := make([]int32, len(rows)), make([]byte, len(rows)*m)
		for i, u := range at {
			all[i] = cellOf[u]
			copy(allCodes[i*m:(i+1)*m], codes[u*m:(u+1)*m])
		}
		cellOf, codes = all, allCodes
	}
	x.link(rows, cellOf, codes)
}

// link appends each row, with its code, to its cell and records where.
func (x *Index) link(rows []loc, cellOf []int32, codes []byte) {
	m := x.pq.m
	for i, l := range rows {
		c := &x.cells[cellOf[i]]
		s := x.slabs[l.slab]
		s.cell[l.row] = cellOf[i]
		s.pos[l.row] = int32(len(c.refs))
		c.refs = append(c.refs, l)
		c.codes = append(c.codes, codes[i*m:(i+1)*m]...)
	}
}

// unlink removes the row at position p of cell c, moving the cell's last row
// into its place.
func (x *Index) unlink(c, p int32) {
	cl := &x.cells[c]
	m := x.pq.m
	end := len(cl.refs) - 1
	if int(p) != end {
		moved := cl.refs[end]
		cl.refs[p] = moved
		copy(cl.codes[int(p)*m:], cl.codes[end*m:])
		x.slabs[moved.slab].pos[moved.row] = p
	}
	cl.refs = cl.refs[:end]
	cl.codes = cl.codes[:end*m]
}

// assignShortlist is how many centroids, ranked by their PQ estimates, a
// row's nearest centroid is chosen from exactly. Estimating costs a table
// read per subspace instead of a multiply-add per dimension, and the row's
// table is needed for its own code anyway, so assignment costs less than
// half of an exact ranking of all centroids, which dominated ingestion.
const assignShortlist = 16

// quantize returns each row's nearest centroid of mod and its PQ code, in
// parallel when there are enough rows to be worth it. Callers hold a lock.
func (x *Index) quantize(mod ivfModel, rows []loc) ([]int32, []byte) {
	lists := len(mod.centroids) / x.dim
	m := mod.pq.m
	cellOf := make([]int32, len(rows))
	codes := make([]byte, len(rows)*m)
	workers := x.opts.Workers
	if len(rows) < 64 {
		workers = 1
	}
	parallelFor(len(rows), workers, func(lo, hi int) {
		t := make(lut, m)
		short := newShortlist(min(assignShortlist, lists))
		for i := lo; i < hi; i++ {
			l := rows[i]
			v := x.slabs[l.slab].vec(int(l.row), x.dim)
			mod.pq.table(v, t)
			mod.pq.encode(t, codes[i*m:(i+1)*m])
			short.reset()
			for c := range lists {
				short.offer(t.estimate(mod.centroidCodes[c*m:(c+1)*m]), int32(c))
			}
			best := short.ids[0]
			bestScore := dot(v, mod.centroids[int(best)*x.dim:])
			for _, c := range short.ids[1:] {
				if s := dot(v, mod.centroids[int(c)*x.dim:]); s > bestScore || (s == bestScore && c < best) {
					best, bestScore = c, s
				}
			}
			cellOf[i] = best
		}
	})
	return cellOf, codes
}

// shortlist keeps the ids of the n highest scores offered, unordered.
type shortlist struct {
	n      int
	scores []float32
	ids    []int32
	low    int // index of the lowest kept score, once full
}

func newShortlist(n int) *shortlist {
	return &shortlist{n: n, scores: make([]float32, 0, n), ids: make([]int32, 0, n)}
}

func (s *shortlist) reset() {
	s.scores, s.ids = s.scores[:0], s.ids[:0]
}

func (s *shortlist) offer(score float32, id int32) {
	if len(s.ids) < s.n {
		s.scores = append(s.scores, score)
		s.ids = append(s.ids, id)
		if len(s.ids) == s.n {
			s.findLow()
		}
		return
	}
	if score <= s.scores[s.low] {
		return
	}
	s.scores[s.low], s.ids[s.low] = score, id
	s.findLow()
}

func (s *shortlist) findLow() {
	s.low = 0
	for i, v := range s.scores {
		if v < s.scores[s.low] {
			s.low = i
		}
	}
}

// sample copies m rows chosen uniformly at random (selection sampling, so
// one pass and no index of all rows) into one contiguous slice.
func (x *Index) sample(m int, rng *rand.Rand) []float32 {
	out := make([]float32, 0, m*x.dim)
	need, left := m, x.n
	for _, s := range x.slabs {
		for r := range s.ids {
			if rng.IntN(left) < need {
				out = append(out, s.vec(r, x.dim)...)
				need--
			}
			left--
		}
	}
	return out
}

// kmeans clusters the unit vectors packed in data (dim floats each) into k
// cells by spherical k-means: centroids are normalised means and nearness is
// the dot product, matching the cosine scores searched for. It is seeded by
// k-means++ so that the centroids cover the data's dense regions and its
// outskirts alike, then refined by Lloyd iterations. Runs are deterministic
// for a given rng state whatever the number of workers: only per-point work
// is parallel, and sums are taken in point order.
func kmeans(data []float32, dim, k, iters int, rng *rand.Rand, workers int) []float32 {
	m := len(data) / dim
	point := func(i int) []float32 { return data[i*dim : (i+1)*dim : (i+1)*dim] }
	cent := make([]float32, k*dim)

	// k-means++: each next centroid is a point drawn with probability
	// proportional to its squared distance to the nearest centroid so far,
	// which for unit vectors is 2(1 - similarity).
	best := make([]float32, m)
	sims := make([]float32, m)
	weight := func(i int) float64 { return float64(max(0, 1-best[i])) }
	for c := range k {
		pick := rng.IntN(m)
		if c > 0 {
			var total float64
			for i := range m {
				total += weight(i)
			}
			if total > 0 {
				r := rng.Float64() * total
				for i := range m {
					if r -= weight(i); r <= 0 {
						pick = i
						break
					}
				}
			}
		}
		cc := cent[c*dim : (c+1)*dim]
		copy(cc, point(pick))
		parallelFor(m, workers, func(lo, hi int) {
			simsTo(cc, data[lo*dim:hi*dim], sims[lo:hi])
			for i := lo; i < hi; i++ {
				if c == 0 || sims[i] > best[i] {
					best[i] = sims[i]
				}
			}
		})
	}

	// Lloyd.
	assign := make([]int32, m)
	sum := make([]float64, k*dim)
	count := make([]int, k)
	for it := range iters {
		changed := 0
		var mu sync.Mutex
		parallelFor(m, workers, func(lo, hi int) {
			cs := make([]float32, k)
			moved := 0
			for i := lo; i < hi; i++ {
				simsTo(point(i), cent, cs)
				a := int32(argmax(cs))
				if a != assign[i] || it == 0 {
					moved++
				}
				assign[i], best[i] = a, cs[a]
			}
			mu.Lock()
			changed += moved
			mu.Unlock()
		})
		if changed == 0 {
			break
		}
		clear(sum)
		clear(count)
		for i := range m {
			c := int(assign[i])
			count[c]++
			acc := sum[c*dim : (c+1)*dim]
			for j, v := range point(i) {
				acc[j] += float64(v)
			}
		}
		// Empty cells restart at the points served worst.
		var worst []int
		for c := range k {
			cc := cent[c*dim : (c+1)*dim]
			if count[c] > 0 {
				normaliseInto(cc, sum[c*dim:(c+1)*dim])
				continue
			}
			if worst == nil {
				worst = make([]int, m)
				for i := range worst {
					worst[i] = i
				}
				slices.SortStableFunc(worst, func(a, b int) int { return cmp.Compare(best[a], best[b]) })
			}
			copy(cc, point(worst[0]))
			worst = worst[1:]
		}
	}
	return cent
}

// normaliseInto writes v/|v| to dst; a zero mean (points that cancel out)
// leaves dst, the previous centroid, as it was.
func normaliseInto(dst []float32, v []float64) {
	var n float64
	for _, a := range v {
		n += a * a
	}
	if n == 0 {
		return
	}
	inv := 1 / math.Sqrt(n)
	for j, a := range v {
		dst[j] = float32(a * inv)
	}
}

// argmax returns the index of the largest element, the first on ties.
func argmax(s []float32) int {
	b := 0
	for i, v := range s {
		if v > s[b] {
			b = i
		}
	}
	return b
}

// parallelFor calls fn on up to workers contiguous ranges covering [0, n),
// concurrently, and waits for them.
func parallelFor(n, workers int, fn func(lo, hi int)) {
	workers = min(workers, n)
	if workers <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Go(func() { fn(lo, hi) })
	}
	wg.Wait()
}
