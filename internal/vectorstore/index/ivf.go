package index

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
)

// cell is one IVF cell: references to its rows and their PQ codes, in the
// same order, the codes packed so that scanning a cell reads one contiguous
// run of memory.
type cell struct {
	refs  []ref
	codes []byte // len(refs) * pq.m
}

// train (re)builds the IVF: k-means for the cells on a sample, then every row
// to its nearest centroid. The product quantizer is trained on the same
// sample until it has been trained on a full sample (pqSample vectors, or
// Options.TrainSample if smaller); after that it is kept, and so are the
// rows' codes, which makes retraining a large index cheaper: what a codebook
// of 4-dimensional pieces describes does not change as the index grows.
// Callers hold the write lock. Only cells are rebuilt; vectors stay where
// they are, so retraining needs memory for the sample and the cells, not a
// second copy of the vectors.
func (x *Index) train() {
	lists := x.opts.Lists
	if lists <= 0 {
		lists = int(math.Round(math.Sqrt(float64(x.n))))
	}
	m := min(x.n, x.opts.TrainSample)
	lists = max(1, min(lists, m))
	// Seeded by the size too, so successive retrainings draw fresh samples
	// while the whole history stays reproducible.
	rng := rand.New(rand.NewPCG(x.opts.Seed, uint64(x.n)))
	sample := x.sample(m, rng)

	// Rows already in cells keep their codes if the quantizer is kept; the
	// rest (all rows, if it is not) are encoded.
	keep := x.pq != nil && x.pq.trainedOn >= min(pqSample, x.opts.TrainSample)
	if !keep {
		x.pq = trainPQ(sample, x.dim, x.opts.Iterations, rng, x.opts.Workers)
	}
	var coded, fresh []loc
	var codes []byte
	if keep {
		coded, codes = make([]loc, 0, x.n), make([]byte, 0, x.n*x.pq.m)
	}
	for si, s := range x.slabs {
		for r := range s.ids {
			l := loc{int32(si), int32(r)}
			if !keep || s.cell[r] < 0 {
				fresh = append(fresh, l)
				continue
			}
			c, p := &x.cells[s.cell[r]], int(s.pos[r])
			coded = append(coded, l)
			codes = append(codes, c.codes[p*x.pq.m:(p+1)*x.pq.m]...)
		}
	}

	x.centroids = kmeans(sample, x.dim, lists, x.opts.Iterations, rng, x.opts.Workers)
	x.centroidCodes = make([]byte, lists*x.pq.m)
	t := make(lut, x.pq.m)
	for c := range lists {
		x.pq.table(x.centroids[c*x.dim:(c+1)*x.dim], t)
		x.pq.encode(t, x.centroidCodes[c*x.pq.m:])
	}

	codedCells, codes := x.quantize(coded, codes)
	freshCells, freshCodes := x.quantize(fresh, nil)
	counts := make([]int, lists)
	for _, c := range codedCells {
		counts[c]++
	}
	for _, c := range freshCells {
		counts[c]++
	}
	x.cells = make([]cell, lists)
	for c := range x.cells {
		x.cells[c] = cell{refs: make([]ref, 0, counts[c]), codes: make([]byte, 0, counts[c]*x.pq.m)}
	}
	x.link(coded, codedCells, codes)
	x.link(fresh, freshCells, freshCodes)
	x.trainedAt = x.n
}

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
	cellOf, codes := x.quantize(unique, nil)
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

// quantize returns each row's nearest centroid and its PQ code, in parallel
// when there are enough rows to be worth it. codes, if not nil, holds the
// rows' codes already.
func (x *Index) quantize(rows []loc, codes []byte) ([]int32, []byte) {
	lists := len(x.centroids) / x.dim
	m := x.pq.m
	cellOf := make([]int32, len(rows))
	encode := codes == nil
	if encode {
		codes = make([]byte, len(rows)*m)
	}
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
			x.pq.table(v, t)
			if encode {
				x.pq.encode(t, codes[i*m:(i+1)*m])
			}
			short.reset()
			for c := range lists {
				short.offer(t.estimate(x.centroidCodes[c*m:(c+1)*m]), int32(c))
			}
			best := short.ids[0]
			bestScore := dot(v, x.centroids[int(best)*x.dim:])
			for _, c := range short.ids[1:] {
				if s := dot(v, x.centroids[int(c)*x.dim:]); s > bestScore || (s == bestScore && c < best) {
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
