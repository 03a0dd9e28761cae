package index

import (
	"math"
	"math/rand/v2"
)

// Product quantization (PQ) of the vectors the IVF cells hold.
//
// The IVF alone does not meet the targets on text embeddings: hashed n-gram
// vectors are spread over all their dimensions with no strong clusters, so a
// query's true neighbours land in many cells and reaching recall 0.95 means
// scanning a large part of the index, at about 1 KiB of memory traffic per
// row scattered over the character slabs. So each cell also keeps a compact
// code per row, stored contiguously in cell order: the vector is cut into
// subspaces of pqWidth dimensions and each subspace is replaced by the index
// of the nearest of 256 codewords learnt for it (one byte per 4 floats, 1/16
// of the vector). Search scores the codes of the probed cells against a
// per-query lookup table (the query's dot product with every codeword), a few
// table reads per row instead of a 256-long dot product, keeps the best
// Rerank candidates, and rescores only those with their exact vectors; the
// scores it returns are exact.

// pqWidth is the number of dimensions each PQ subspace covers. Four gives
// codes of dim/4 bytes (64 at dim 256), which on text-like data ranks the true
// nearest neighbours within the top few hundred rows; wider subspaces lose
// too much.
const pqWidth = 4

// pqCodewords is the number of codewords per subspace: a code is one byte.
const pqCodewords = 256

// pq is a trained product quantizer.
type pq struct {
	dim       int
	m         int // subspaces; the last is zero-padded when dim % pqWidth != 0
	books     []codebook
	trainedOn int // how many vectors the codebooks were trained on
}

// codebook is one subspace's codewords, stored coordinate by coordinate
// (c[d][j] is coordinate d of codeword j) so that scoring a subvector against
// all codewords is a few passes over contiguous arrays.
type codebook struct {
	c    [pqWidth][pqCodewords]float32
	half [pqCodewords]float32 // half the squared norm of each codeword
}

// lut holds a vector's dot product with every codeword of every subspace:
// the estimated score of a code is the sum of one entry per subspace.
type lut [][pqCodewords]float32

// sub returns subspace s of x, zero-padded to pqWidth.
func (p *pq) sub(x []float32, s int) (v [pqWidth]float32) {
	lo := s * pqWidth
	copy(v[:], x[lo:min(lo+pqWidth, p.dim)])
	return v
}

// pqSample caps how many vectors the codebooks are trained on: 32 points per
// codeword, ample for 256 codewords in 4 dimensions.
const pqSample = 32 * pqCodewords

// trainPQ learns the codebooks from sample (vectors packed one after
// another), the subspaces in parallel.
func trainPQ(sample []float32, dim, iters int, rng *rand.Rand, workers int) *pq {
	n := len(sample) / dim
	m := (dim + pqWidth - 1) / pqWidth
	use := min(n, pqSample)
	p := &pq{dim: dim, m: m, books: make([]codebook, m), trainedOn: use}
	seeds := make([]uint64, m)
	for s := range seeds {
		seeds[s] = rng.Uint64()
	}
	parallelFor(m, workers, func(first, end int) {
		pts := make([][pqWidth]float32, use)
		for s := first; s < end; s++ {
			for i := range pts {
				// Spread over the whole sample, which is already random.
				pts[i] = p.sub(sample[i*n/use*dim:], s)
			}
			p.books[s].train(pts, iters, rand.New(rand.NewPCG(seeds[s], uint64(s))))
		}
	})
	return p
}

// train fits the codebook to pts by Euclidean k-means (Lloyd), starting from
// distinct random points; an emptied codeword restarts at a random point.
// With fewer points than codewords the spare codewords repeat points.
func (b *codebook) train(pts [][pqWidth]float32, iters int, rng *rand.Rand) {
	n := len(pts)
	perm := rng.Perm(n)
	for j := range pqCodewords {
		b.set(j, pts[perm[j%n]])
	}
	assign := make([]uint8, n)
	var sums [pqCodewords][pqWidth]float64
	var counts [pqCodewords]int
	var scores [pqCodewords]float32
	for range iters {
		for i, v := range pts {
			b.dots(v, &scores)
			assign[i] = b.nearest(&scores)
		}
		sums, counts = [pqCodewords][pqWidth]float64{}, [pqCodewords]int{}
		for i, v := range pts {
			a := assign[i]
			counts[a]++
			for d, x := range v {
				sums[a][d] += float64(x)
			}
		}
		for j := range pqCodewords {
			if counts[j] == 0 {
				b.set(j, pts[rng.IntN(n)])
				continue
			}
			var c [pqWidth]float32
			for d := range c {
				c[d] = float32(sums[j][d] / float64(counts[j]))
			}
			b.set(j, c)
		}
	}
}

// set makes codeword j c.
func (b *codebook) set(j int, c [pqWidth]float32) {
	for d := range c {
		b.c[d][j] = c[d]
	}
	b.half[j] = dot(c[:], c[:]) / 2
}

// nearest returns the codeword nearest in Euclidean distance to the
// subvector whose dot products with the codewords are scores: the one
// maximising x·c - |c|²/2, the lowest index on ties. It compares integer keys
// that order like the floats and carry the index, so the maximum needs no
// unpredictable branch: this runs 256 times per subspace for every row added.
func (b *codebook) nearest(scores *[pqCodewords]float32) uint8 {
	var k0, k1, k2, k3 uint64
	for j := 0; j < pqCodewords; j += 4 {
		k0 = max(k0, orderKey(scores[j]-b.half[j], j))
		k1 = max(k1, orderKey(scores[j+1]-b.half[j+1], j+1))
		k2 = max(k2, orderKey(scores[j+2]-b.half[j+2], j+2))
		k3 = max(k3, orderKey(scores[j+3]-b.half[j+3], j+3))
	}
	return ^uint8(max(max(k0, k1), max(k2, k3)))
}

// orderKey maps (v, j) to an integer that orders by v, then by lower j: the
// float's bits made monotonic (flip all bits of negatives, the sign bit of
// the rest), followed by the complement of j.
func orderKey(v float32, j int) uint64 {
	bits := math.Float32bits(v)
	flip := uint32(int32(bits)>>31) | 1<<31
	return uint64(bits^flip)<<8 | uint64(^uint8(j))
}

// dots fills out with v's dot product with every codeword.
func (b *codebook) dots(v [pqWidth]float32, out *[pqCodewords]float32) {
	c0, c1, c2, c3 := &b.c[0], &b.c[1], &b.c[2], &b.c[3]
	for j := range out {
		out[j] = v[0]*c0[j] + v[1]*c1[j] + v[2]*c2[j] + v[3]*c3[j]
	}
}

// table fills t (p.m rows) with x's dot product with every codeword.
func (p *pq) table(x []float32, t lut) {
	for s := range p.m {
		p.books[s].dots(p.sub(x, s), &t[s])
	}
}

// encode writes the code (p.m bytes) of the vector whose table is t: in
// each subspace, the nearest codeword.
func (p *pq) encode(t lut, code []byte) {
	for s := range p.m {
		code[s] = p.books[s].nearest(&t[s])
	}
}

// estimate is the PQ estimate of the dot product of the vector whose table is
// t with the vector whose code is c.
func (t lut) estimate(c []byte) float32 {
	m := len(t)
	c = c[:m]
	var s0, s1, s2, s3 float32
	j := 0
	for ; j+4 <= m; j += 4 {
		// Fixed-size views let the compiler drop the bounds checks, which
		// otherwise cost as much as the lookups.
		t4 := (*[4][pqCodewords]float32)(t[j : j+4])
		c4 := (*[4]byte)(c[j : j+4])
		s0 += t4[0][c4[0]]
		s1 += t4[1][c4[1]]
		s2 += t4[2][c4[2]]
		s3 += t4[3][c4[3]]
	}
	for ; j < m; j++ {
		s0 += t[j][c[j]]
	}
	return (s0 + s1) + (s2 + s3)
}

// scanCodes offers t the rows refs names with their scores estimated from
// their codes, packed in codes in the same order.
func (t *topK) scanCodes(q lut, codes []byte, refs []ref) {
	m := len(q)
	for i, r := range refs {
		if s := q.estimate(codes[i*m : i*m+m]); s >= t.floor() {
			t.push(cand{s, r.slab, r.row})
		}
	}
}
