package pg

import (
	"math"
	"slices"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/graphstore"
)

// neighbors is a breadth-first search from id to depth, ignoring edge direction.
func (s *Snapshot) neighbors(id uuid.UUID, depth int) []graphstore.Neighbor {
	start, ok := s.index[id]
	if !ok {
		return []graphstore.Neighbor{}
	}
	seen := make([]bool, len(s.Nodes))
	seen[start] = true
	frontier := []int32{start}
	out := []graphstore.Neighbor{}
	for d := 1; d <= depth && len(frontier) > 0; d++ {
		var next []int32
		for _, n := range frontier {
			for _, e := range s.adj[n] {
				m := s.other(e, n)
				if seen[m] {
					continue
				}
				seen[m] = true
				next = append(next, m)
			}
		}
		// Within one distance, order by name so answers are stable.
		slices.SortFunc(next, func(a, b int32) int {
			if c := compareStrings(s.Nodes[a].Name, s.Nodes[b].Name); c != 0 {
				return c
			}
			return compareStrings(s.Nodes[a].ID.String(), s.Nodes[b].ID.String())
		})
		for _, m := range next {
			out = append(out, graphstore.Neighbor{Character: s.Nodes[m].ID, Distance: d})
		}
		frontier = next
	}
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// shortestPath finds the chain from one character to another of at most maxDepth edges:
// fewest hops (breadth-first), or least summed EdgeCost (Dijkstra over (node, hops)
// states, so the hop limit is exact).
func (s *Snapshot) shortestPath(from, to uuid.UUID, maxDepth int, weighted bool) graphstore.Path {
	a, aok := s.index[from]
	b, bok := s.index[to]
	if !aok || !bok {
		return graphstore.Path{Characters: []uuid.UUID{}, Edges: []graphstore.Edge{}}
	}
	if a == b {
		return graphstore.Path{Characters: []uuid.UUID{from}, Edges: []graphstore.Edge{}}
	}
	if weighted {
		return s.dijkstra(a, b, maxDepth)
	}
	return s.bfsPath(a, b, maxDepth)
}

func (s *Snapshot) bfsPath(a, b int32, maxDepth int) graphstore.Path {
	// via[n] is the edge that first reached n, -1 for the start, -2 for not reached.
	via := make([]int32, len(s.Nodes))
	for i := range via {
		via[i] = -2
	}
	via[a] = -1
	frontier := []int32{a}
	for d := 1; d <= maxDepth && len(frontier) > 0; d++ {
		var next []int32
		for _, n := range frontier {
			for _, e := range s.adj[n] {
				m := s.other(e, n)
				if via[m] != -2 {
					continue
				}
				via[m] = e
				if m == b {
					return s.walkBack(a, b, d, func(n int32, _ int) int32 { return via[n] }, float64(d))
				}
				next = append(next, m)
			}
		}
		frontier = next
	}
	return graphstore.Path{Characters: []uuid.UUID{}, Edges: []graphstore.Edge{}}
}

type state struct {
	node int32
	hops int
	cost float64
}

// stateHeap is a binary min-heap on cost, typed to avoid container/heap's boxing (the
// search pushes hundreds of thousands of states on a dense graph).
type stateHeap []state

func (h *stateHeap) push(x state) {
	*h = append(*h, x)
	q := *h
	for i := len(q) - 1; i > 0; {
		p := (i - 1) / 2
		if q[p].cost <= q[i].cost {
			break
		}
		q[p], q[i] = q[i], q[p]
		i = p
	}
}

func (h *stateHeap) pop() state {
	q := *h
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q = q[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(q) && q[l].cost < q[m].cost {
			m = l
		}
		if r < len(q) && q[r].cost < q[m].cost {
			m = r
		}
		if m == i {
			break
		}
		q[m], q[i] = q[i], q[m]
		i = m
	}
	*h = q
	return top
}

// dijkstra finds the least-cost path of at most maxDepth edges. It first runs plain
// Dijkstra, whose answer is also the best within the hop limit when it respects it (the
// usual case: strong chains are short); only otherwise does it search (node, hops)
// states, where a state is skipped when the node was reached as cheaply in as few hops.
func (s *Snapshot) dijkstra(a, b int32, maxDepth int) graphstore.Path {
	if p, ok := s.bidirectional(a, b); ok && len(p.Edges) <= maxDepth {
		return p
	}
	if p, ok := s.search(a, b, maxDepth); ok {
		return p
	}
	return graphstore.Path{Characters: []uuid.UUID{}, Edges: []graphstore.Edge{}}
}

// bidirectional is plain Dijkstra run from both ends at once, which settles far fewer
// nodes than one search on a dense graph. It stops when the two frontiers' smallest
// costs add up to no less than the best meeting found.
func (s *Snapshot) bidirectional(a, b int32) (graphstore.Path, bool) {
	n := len(s.Nodes)
	type side struct {
		dist    []float64
		via     []int32
		settled []bool
		heap    stateHeap
	}
	newSide := func(start int32) *side {
		sd := &side{dist: make([]float64, n), via: make([]int32, n), settled: make([]bool, n)}
		for i := range sd.dist {
			sd.dist[i], sd.via[i] = math.Inf(1), -1
		}
		sd.dist[start] = 0
		sd.heap.push(state{start, 0, 0})
		return sd
	}
	fwd, bwd := newSide(a), newSide(b)
	best, meet := math.Inf(1), int32(-1)
	top := func(sd *side) float64 {
		for len(sd.heap) > 0 && sd.settled[sd.heap[0].node] {
			sd.heap.pop()
		}
		if len(sd.heap) == 0 {
			return math.Inf(1)
		}
		return sd.heap[0].cost
	}
	for {
		tf, tb := top(fwd), top(bwd)
		if math.IsInf(tf, 1) && math.IsInf(tb, 1) || tf+tb >= best {
			break
		}
		sd, other := fwd, bwd
		if tb < tf {
			sd, other = bwd, fwd
		}
		cur := sd.heap.pop()
		sd.settled[cur.node] = true
		for _, e := range s.adj[cur.node] {
			m := s.other(e, cur.node)
			nc := cur.cost + s.costs[e]
			if nc < sd.dist[m] {
				sd.dist[m], sd.via[m] = nc, e
				sd.heap.push(state{m, 0, nc})
			}
			if total := sd.dist[m] + other.dist[m]; total < best {
				best, meet = total, m
			}
		}
	}
	if meet < 0 {
		return graphstore.Path{}, false
	}
	// Walk from the meeting node back to a, then on to b.
	var nodes, edges []int32
	for v := meet; v != a; {
		e := fwd.via[v]
		nodes, edges = append(nodes, v), append(edges, e)
		v = s.other(e, v)
	}
	nodes = append(nodes, a)
	slices.Reverse(nodes)
	slices.Reverse(edges)
	for v := meet; v != b; {
		e := bwd.via[v]
		edges = append(edges, e)
		v = s.other(e, v)
		nodes = append(nodes, v)
	}
	slices.Reverse(nodes)
	slices.Reverse(edges)
	return s.path(nodes, edges, math.Round(best*1e9)/1e9), true
}

// search is Dijkstra from a to b; with limit > 0 over (node, hops) states up to limit
// hops, with limit 0 over nodes alone.
func (s *Snapshot) search(a, b int32, limit int) (graphstore.Path, bool) {
	n := len(s.Nodes)
	layers := limit + 1
	if limit == 0 {
		layers = 1
	}
	layer := func(hops int) int {
		if limit == 0 {
			return 0
		}
		return hops
	}
	best := make([]float64, layers*n)
	via := make([]int32, layers*n)
	for i := range best {
		best[i] = math.Inf(1)
	}
	best[a] = 0
	// dominated reports whether n is known at cost or less in hops or fewer.
	dominated := func(node int32, hops int, cost float64) bool {
		for h := 0; h <= layer(hops); h++ {
			if best[h*n+int(node)] <= cost {
				return true
			}
		}
		return false
	}
	h := &stateHeap{{a, 0, 0}}
	for len(*h) > 0 {
		cur := h.pop()
		if cur.cost > best[layer(cur.hops)*n+int(cur.node)] {
			continue
		}
		if cur.node == b {
			hops := cur.hops
			return s.walkBack(a, b, hops, func(node int32, hops int) int32 { return via[layer(hops)*n+int(node)] }, cur.cost), true
		}
		if limit > 0 && cur.hops == limit {
			continue
		}
		for _, e := range s.adj[cur.node] {
			m := s.other(e, cur.node)
			nc := cur.cost + s.costs[e]
			if dominated(m, cur.hops+1, nc) {
				continue
			}
			k := layer(cur.hops+1)*n + int(m)
			best[k] = nc
			via[k] = e
			h.push(state{m, cur.hops + 1, nc})
		}
	}
	return graphstore.Path{}, false
}

// walkBack rebuilds a path of hops edges ending at b from the edge that reached each
// node (which, in the hop-limited search, depends on the hop count).
func (s *Snapshot) walkBack(a, b int32, hops int, via func(int32, int) int32, cost float64) graphstore.Path {
	var nodes []int32
	var edges []int32
	for n := b; hops > 0; hops-- {
		e := via(n, hops)
		nodes = append(nodes, n)
		edges = append(edges, e)
		n = s.other(e, n)
	}
	nodes = append(nodes, a)
	return s.path(nodes, edges, math.Round(cost*1e9)/1e9)
}

// path turns reversed node and edge indexes into a Path from the start.
func (s *Snapshot) path(nodes, edges []int32, cost float64) graphstore.Path {
	p := graphstore.Path{Characters: make([]uuid.UUID, 0, len(nodes)), Edges: make([]graphstore.Edge, 0, len(edges)), Cost: cost}
	for i := len(nodes) - 1; i >= 0; i-- {
		p.Characters = append(p.Characters, s.Nodes[nodes[i]].ID)
	}
	for i := len(edges) - 1; i >= 0; i-- {
		p.Edges = append(p.Edges, s.Edges[edges[i]])
	}
	return p
}
