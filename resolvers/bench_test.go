package resolvers_test

import (
	"fmt"
	"testing"

	"github.com/literaryai/ensemble/internal/testkit"
)

// BenchmarkCharacterPage measures one round trip of a typical list query over HTTP: a
// page of 20 characters with their ecosystem (batched), against real PostgreSQL.
func BenchmarkCharacterPage(b *testing.B) {
	s := testkit.NewServer(b)
	c, _ := s.Register(b, "bench")
	for i := range 5 {
		eco := c.CreateEcosystem(b, fmt.Sprintf("world-%d", i))
		for j := range 20 {
			c.CreateCharacter(b, eco, fmt.Sprintf("character-%d-%d", i, j))
		}
	}
	const q = `{ characters(first: 20) { totalCount nodes { id name personalityTraits { openness }
		ecosystem { name owner { username } } } pageInfo { endCursor } } }`
	b.ResetTimer()
	for b.Loop() {
		var out struct {
			Characters struct{ TotalCount int }
		}
		c.Must(b, q, nil, &out)
		if out.Characters.TotalCount != 100 {
			b.Fatalf("total = %d", out.Characters.TotalCount)
		}
	}
}

// BenchmarkCreateCharacter measures the write path: validation, ownership check, insert.
func BenchmarkCreateCharacter(b *testing.B) {
	s := testkit.NewServer(b)
	c, _ := s.Register(b, "bench")
	eco := c.CreateEcosystem(b, "world")
	b.ResetTimer()
	for b.Loop() {
		c.CreateCharacter(b, eco, "someone")
	}
}
