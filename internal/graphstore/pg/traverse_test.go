package pg

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/graphstore"
)

// randomSnapshot is a graph of n characters with m random relationships.
func randomSnapshot(r *rand.Rand, n, m int) *Snapshot {
	nodes := make([]NodeInfo, n)
	for i := range nodes {
		nodes[i] = NodeInfo{ID: uuid.New(), Name: "c"}
	}
	edges := make([]graphstore.Edge, m)
	for i := range edges {
		a, b := r.IntN(n), r.IntN(n)
		for b == a {
			b = r.IntN(n)
		}
		edges[i] = graphstore.Edge{ID: uuid.New(), From: nodes[a].ID, To: nodes[b].ID, Strength: r.Float64()*2 - 1}
	}
	return newSnapshot(1, nodes, edges, make([]*string, m))
}

// TestWeightedSearchesAgree: the bidirectional search and the hop-limited search find
// paths of the same cost as plain Dijkstra, on random graphs sparse and dense.
func TestWeightedSearchesAgree(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, size := range []struct{ n, m int }{{20, 15}, {50, 120}, {200, 4000}} {
		s := randomSnapshot(r, size.n, size.m)
		for range 200 {
			a, b := int32(r.IntN(size.n)), int32(r.IntN(size.n))
			if a == b {
				continue
			}
			plain, pok := s.search(a, b, 0)
			bi, bok := s.bidirectional(a, b)
			limited, lok := s.search(a, b, size.n)
			if pok != bok || pok != lok {
				t.Fatalf("reachability disagrees: plain %v, bidirectional %v, limited %v", pok, bok, lok)
			}
			if !pok {
				continue
			}
			if math.Abs(plain.Cost-bi.Cost) > 1e-6 || math.Abs(plain.Cost-limited.Cost) > 1e-6 {
				t.Fatalf("costs disagree: plain %g, bidirectional %g, limited %g", plain.Cost, bi.Cost, limited.Cost)
			}
			var sum float64
			for i, e := range bi.Edges {
				sum += graphstore.EdgeCost(e.Strength)
				x, y := bi.Characters[i], bi.Characters[i+1]
				if !(e.From == x && e.To == y || e.From == y && e.To == x) {
					t.Fatalf("edge %d does not join characters %d and %d", i, i, i+1)
				}
			}
			if math.Abs(sum-bi.Cost) > 1e-6 || bi.Characters[0] != s.Nodes[a].ID || bi.Characters[len(bi.Characters)-1] != s.Nodes[b].ID {
				t.Fatalf("bidirectional path is not a path from a to b of its cost")
			}
		}
	}
}
