package index

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestOrderKeyOrdersLikeFloats(t *testing.T) {
	vals := []float32{float32(math.Inf(-1)), -3, -1, -0.5, -1e-30, 0, 1e-30, 0.25, 1, 7, float32(math.Inf(1))}
	for i := range vals {
		for j := range vals {
			for _, ji := range []int{0, 1, 200, 255} {
				for _, jj := range []int{0, 1, 200, 255} {
					a, b := orderKey(vals[i], ji), orderKey(vals[j], jj)
					want := vals[i] > vals[j] || (vals[i] == vals[j] && ji < jj)
					if (a > b) != want {
						t.Fatalf("orderKey(%v, %d) > orderKey(%v, %d) = %v", vals[i], ji, vals[j], jj, a > b)
					}
				}
			}
		}
	}
}

// encode picks, in each subspace, the codeword nearest in Euclidean
// distance, the lowest on ties; estimate sums the chosen codewords' dot
// products with the query.
func TestProductQuantizer(t *testing.T) {
	for _, dim := range []int{16, 10} {
		rng := rand.New(rand.NewPCG(15, uint64(dim)))
		var sample []float32
		for range 3000 {
			sample = append(sample, randomUnit(rng, dim)...)
		}
		p := trainPQ(sample, dim, 4, rng, 2)
		if p.m != (dim+pqWidth-1)/pqWidth || p.trainedOn != 3000 {
			t.Fatalf("dim %d: %d subspaces trained on %d", dim, p.m, p.trainedOn)
		}
		// A duplicate codeword, to check ties go to the lower index.
		p.books[0].set(77, p.codeword(0, 5))

		codeword := func(s, j int) []float32 { c := p.codeword(s, j); return c[:] }
		for range 200 {
			x := randomUnit(rng, dim)
			table := make(lut, p.m)
			p.table(x, table)
			code := make([]byte, p.m)
			p.encode(table, code)
			for s := range p.m {
				sub := p.sub(x, s)
				dist := func(j int) float64 {
					var d float64
					for i, c := range codeword(s, j) {
						d += math.Pow(float64(sub[i]-c), 2)
					}
					return d
				}
				best := 0
				for j := 1; j < pqCodewords; j++ {
					if dist(j) < dist(best)-1e-9 {
						best = j
					}
				}
				if got := int(code[s]); got != best && math.Abs(dist(got)-dist(best)) > 1e-6 {
					t.Fatalf("dim %d subspace %d: code %d at distance %g, nearest is %d at %g", dim, s, got, dist(got), best, dist(best))
				}
				if s == 0 && code[s] == 77 {
					t.Fatalf("dim %d: the duplicate codeword 77 won over 5", dim)
				}
			}
			q := randomUnit(rng, dim)
			qt := make(lut, p.m)
			p.table(q, qt)
			var want float64
			for s := range p.m {
				qs := p.sub(q, s)
				want += float64(dot(qs[:], codeword(s, int(code[s]))))
			}
			if got := qt.estimate(code); math.Abs(float64(got)-want) > 1e-5 {
				t.Fatalf("dim %d: estimate %v, want %v", dim, got, want)
			}
		}
	}
}

// The codebooks come out the same whatever the number of workers.
func TestTrainingIsDeterministic(t *testing.T) {
	build := func(workers int) *Index {
		rng := rand.New(rand.NewPCG(16, 16))
		x := New(12, Options{TrainThreshold: 300, Workers: workers})
		x.Add(randomItems(rng, 1000, 4, 12, 0)...)
		return x
	}
	a, b := build(1), build(3)
	if !slices.Equal(a.centroids, b.centroids) || !slices.Equal(a.centroidCodes, b.centroidCodes) {
		t.Fatal("centroids differ with the number of workers")
	}
	for s := range a.pq.books {
		if a.pq.books[s] != b.pq.books[s] {
			t.Fatalf("codebook %d differs with the number of workers", s)
		}
	}
}

// codeword returns codeword j of subspace s.
func (p *pq) codeword(s, j int) (c [pqWidth]float32) {
	for d := range c {
		c[d] = p.books[s].c[d][j]
	}
	return c
}
