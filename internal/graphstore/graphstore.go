// Package graphstore answers traversal questions about an ecosystem's relationship graph:
// who is near a character, and how two characters are connected. PostgreSQL holds the
// truth; a backend is either computed from it in process (package pg, the default) or a
// projection of it (package neo4j, when NEO4J_URI is set).
package graphstore

import (
	"context"
	"math"

	"github.com/google/uuid"
)

// Edge is one directed relationship as the graph sees it.
type Edge struct {
	ID          uuid.UUID
	From        uuid.UUID
	To          uuid.UUID
	Type        string
	Strength    float64
	Trust       float64
	Familiarity float64
}

// Node names a character and the ecosystem it lives in.
type Node struct {
	Ecosystem uuid.UUID
	Character uuid.UUID
}

// Neighbor is a character within reach, and how many relationships away (ignoring
// direction: a bond either way connects two characters).
type Neighbor struct {
	Character uuid.UUID
	Distance  int
}

// Path is a chain of characters and, between each consecutive pair, the relationship
// walked (in either direction). No path is an empty Path.
type Path struct {
	Characters []uuid.UUID
	Edges      []Edge
	// Cost is the number of hops, or for weighted paths the summed EdgeCost.
	Cost float64
}

// Limits on traversal arguments; the API refuses values outside them.
const (
	MaxNeighborDepth = 3
	MaxPathDepth     = 6
)

// EdgeCost is the cost of walking a relationship in a weighted path: strong bonds, loving
// or hostile, are short; indifference is long. 1 - |strength| alone would make a bond of
// strength ±1 free and let a path wander through any number of them, so every hop costs
// at least 0.01 and, among equally strong chains, fewer hops win.
func EdgeCost(strength float64) float64 {
	return 1 - 0.99*math.Abs(strength)
}

// Status is a backend's health.
type Status struct {
	Backend string
	Up      bool
	Version string
	Error   string
}

// Graph is a traversal backend.
type Graph interface {
	// NeighborsOf returns, for each node, the characters within depth relationships
	// (1..MaxNeighborDepth), nearest first, the node itself excluded.
	NeighborsOf(ctx context.Context, nodes []Node, depth int) (map[uuid.UUID][]Neighbor, error)
	// ShortestPath finds a chain from one character to another of at most maxDepth
	// relationships (1..MaxPathDepth): the fewest hops, or with weighted the least summed
	// EdgeCost. from == to is a path of one character.
	ShortestPath(ctx context.Context, ecosystem, from, to uuid.UUID, maxDepth int, weighted bool) (Path, error)
	// Status reports the backend and whether it answers.
	Status(ctx context.Context) Status
}
