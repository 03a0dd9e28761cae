package pg

import (
	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/graphstore"
)

// NodeInfo is what the graph keeps of a character.
type NodeInfo struct {
	ID             uuid.UUID
	Name           string
	CurrentEmotion string
	IsActive       bool
}

// Snapshot is an ecosystem's whole graph at one graph version, indexed for traversal.
// It is shared between requests and never modified after it is built.
type Snapshot struct {
	Version int64
	Nodes   []NodeInfo
	Edges   []graphstore.Edge
	// Labels holds the free label of each edge (nil when none), by edge index.
	Labels []*string

	index map[uuid.UUID]int32
	// adj lists, for each node, the indexes of the edges that touch it either way.
	adj [][]int32
	// ends holds the node indexes of each edge's from and to.
	ends [][2]int32
	// costs holds each edge's graphstore.EdgeCost.
	costs []float64
}

func newSnapshot(version int64, nodes []NodeInfo, edges []graphstore.Edge, labels []*string) *Snapshot {
	s := &Snapshot{Version: version, Nodes: nodes, Edges: edges, Labels: labels,
		index: make(map[uuid.UUID]int32, len(nodes)), adj: make([][]int32, len(nodes)),
		ends: make([][2]int32, len(edges)), costs: make([]float64, len(edges))}
	for i, n := range nodes {
		s.index[n.ID] = int32(i)
	}
	for i, e := range edges {
		s.costs[i] = graphstore.EdgeCost(e.Strength)
		f, fok := s.index[e.From]
		t, tok := s.index[e.To]
		if !fok || !tok {
			// Both ends are characters of the ecosystem (a foreign key and the service
			// guarantee it); an edge without them cannot be walked.
			s.ends[i] = [2]int32{-1, -1}
			continue
		}
		s.ends[i] = [2]int32{f, t}
		s.adj[f] = append(s.adj[f], int32(i))
		s.adj[t] = append(s.adj[t], int32(i))
	}
	return s
}

// Node returns a character's graph data.
func (s *Snapshot) Node(id uuid.UUID) (NodeInfo, bool) {
	i, ok := s.index[id]
	if !ok {
		return NodeInfo{}, false
	}
	return s.Nodes[i], true
}

// other is the node at the far end of edge e from node n.
func (s *Snapshot) other(e, n int32) int32 {
	if ends := s.ends[e]; ends[0] == n {
		return ends[1]
	}
	return s.ends[e][0]
}
