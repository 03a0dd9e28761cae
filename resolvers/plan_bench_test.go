package resolvers_test

import (
	"syscall"
	"testing"
	"time"

	"github.com/literaryai/ensemble/internal/relay"
	"github.com/literaryai/ensemble/internal/testkit"
)

// nestedQuery is what relationship-graph frontends send: a cast of 100 with their
// traits and first ten bonds, each with the other end's name (1,100 objects).
const nestedQuery = `query($e: ID!) { characters(first: 100, filter: {ecosystemId: $e}) { nodes { name
	personalityTraits { openness conscientiousness extraversion agreeableness neuroticism }
	relationships(first: 10) { nodes { type strength to { name } } } } } }`

// BenchmarkNestedQuery measures nestedQuery through the real HTTP endpoint with the
// default limits, one request at a time. It reports the process's CPU per request
// (server and the thin test client), statements sent to PostgreSQL per request and
// latency percentiles; it asserts nothing on time.
//
//	go test -run '^$' -bench NestedQuery -benchmem -benchtime 300x ./resolvers
func BenchmarkNestedQuery(b *testing.B) {
	s := testkit.NewServer(b, "GRAPHQL_COMPLEXITY_LIMIT=100000", "RATE_LIMIT_COST_PER_MINUTE=0")
	c, _ := s.Register(b, "bench")
	eco := c.CreateEcosystem(b, "Cast")
	_, ecoID, _ := relay.Decode("id", eco)
	ctx := b.Context()
	if _, err := s.Pool.Exec(ctx, `INSERT INTO characters (ecosystem_id, name, description,
			openness, conscientiousness, extraversion, agreeableness, neuroticism)
		SELECT $1, 'character-' || lpad(i::text, 3, '0'), 'A person of the story, number ' || i || '.',
			(i % 10) / 10.0, (i % 7) / 7.0, (i % 5) / 5.0, (i % 3) / 3.0, (i % 11) / 11.0
		FROM generate_series(1, 100) i`, ecoID); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Pool.Exec(ctx, `WITH c AS (SELECT array_agg(id ORDER BY name) ids FROM characters WHERE ecosystem_id = $1)
		INSERT INTO relationships (ecosystem_id, from_id, to_id, type, strength, trust, familiarity)
		SELECT $1, c.ids[i], c.ids[1 + (i + j) % 100],
			(ARRAY['FRIEND','RIVAL','ROMANCE','ALLY','FAMILY','MENTOR','ENEMY','ACQUAINTANCE'])[1 + (i * j) % 8],
			((i * j) % 200) / 100.0 - 1, 0.5, 0.5
		FROM c, generate_series(1, 100) i, generate_series(1, 12) j`, ecoID); err != nil {
		b.Fatal(err)
	}
	vars := map[string]any{"e": eco}
	var out struct {
		Characters struct {
			Nodes []struct {
				Relationships struct {
					Nodes []struct{ To struct{ Name string } }
				}
			}
		}
	}
	c.Must(b, nestedQuery, vars, &out)
	if n := len(out.Characters.Nodes); n != 100 || len(out.Characters.Nodes[0].Relationships.Nodes) != 10 {
		b.Fatalf("got %d characters, first with %d relationships", n, len(out.Characters.Nodes[0].Relationships.Nodes))
	}
	took := make([]time.Duration, 0, b.N)
	statements := s.Queries()
	cpu := processCPU()
	for b.Loop() {
		start := time.Now()
		c.Discard(b, nestedQuery, vars)
		took = append(took, time.Since(start))
	}
	n := float64(len(took))
	b.ReportMetric((processCPU()-cpu).Seconds()*1000/n, "cpu_ms/op")
	b.ReportMetric(float64(s.Queries()-statements)/n, "statements/op")
	b.ReportMetric(testkit.PercentileMS(took, 0.50), "p50_ms")
	b.ReportMetric(testkit.PercentileMS(took, 0.99), "p99_ms")
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkMapObjects measures relationshipMap in object form on 1,000 characters and
// 25,000 relationships through the real HTTP endpoint with the default limits, one
// request at a time: the process's CPU per request and latency percentiles.
//
//	go test -run '^$' -bench MapObjects -benchmem -benchtime 200x ./resolvers
func BenchmarkMapObjects(b *testing.B) {
	s := testkit.NewServer(b, "RATE_LIMIT_COST_PER_MINUTE=0")
	c, _ := s.Register(b, "bench")
	eco := c.CreateEcosystem(b, "Map")
	_, ecoID, _ := relay.Decode("id", eco)
	ctx := b.Context()
	if _, err := s.Pool.Exec(ctx, `INSERT INTO characters (ecosystem_id, name)
		SELECT $1, 'character-' || lpad(i::text, 4, '0') FROM generate_series(1, 1000) i`, ecoID); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Pool.Exec(ctx, `WITH c AS (SELECT array_agg(id ORDER BY name) ids FROM characters WHERE ecosystem_id = $1)
		INSERT INTO relationships (ecosystem_id, from_id, to_id, type, strength, trust, familiarity)
		SELECT $1, c.ids[i], c.ids[1 + (i + j * 37) % 1000],
			(ARRAY['FRIEND','RIVAL','ROMANCE','ALLY','FAMILY','MENTOR','ENEMY','ACQUAINTANCE'])[1 + (i * j) % 8],
			((i * j) % 200) / 100.0 - 1, 0.5, 0.5
		FROM c, generate_series(1, 1000) i, generate_series(1, 25) j`, ecoID); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Pool.Exec(ctx, `UPDATE ecosystems SET graph_version = graph_version + 1 WHERE id = $1`, ecoID); err != nil {
		b.Fatal(err)
	}
	const q = `query($e: ID!) { relationshipMap(ecosystemId: $e) { nodes { id name } edges { from to type strength } } }`
	vars := map[string]any{"e": eco}
	var out struct {
		RelationshipMap struct{ Edges []struct{ From string } }
	}
	c.Must(b, q, vars, &out)
	if n := len(out.RelationshipMap.Edges); n != 25000 {
		b.Fatalf("%d edges", n)
	}
	took := make([]time.Duration, 0, b.N)
	cpu := processCPU()
	for b.Loop() {
		start := time.Now()
		c.Discard(b, q, vars)
		took = append(took, time.Since(start))
	}
	b.ReportMetric((processCPU()-cpu).Seconds()*1000/float64(len(took)), "cpu_ms/op")
	b.ReportMetric(testkit.PercentileMS(took, 0.50), "p50_ms")
	b.ReportMetric(testkit.PercentileMS(took, 0.95), "p95_ms")
}
