package neo4j

import (
	"testing"

	"github.com/literaryai/ensemble/internal/graphstore/graphtest"
	"github.com/literaryai/ensemble/internal/testkit"
)

// TestBehaviour runs the behaviour every backend shares against Neo4j: the fixture is
// written to PostgreSQL through the services, projected from the outbox, then queried.
func TestBehaviour(t *testing.T) {
	store := integrationStore(t)
	pool := testkit.DB(t)
	f := graphtest.Build(t, pool)
	p := NewProjector(pool, store, nil)
	// 9 characters and ecosystems' events: 7 character upserts and 5 relationships.
	catchUp(t, p, 12)
	graphtest.Run(t, store, f)
}
