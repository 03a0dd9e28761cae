package resolvers_test

import (
	"testing"
	"time"

	"github.com/literaryai/ensemble/internal/relay"
	"github.com/literaryai/ensemble/internal/testkit"

	"github.com/google/uuid"
)

// BenchmarkGraph measures graph queries through the real HTTP endpoint on a generated
// ecosystem of 1,000 characters and 100,000 relationships (each character relates to 100
// others chosen at random). It reports p50 and p95 latencies; it asserts nothing on time.
//
//	go test -run '^$' -bench Graph -benchtime 200x ./resolvers
func BenchmarkGraph(b *testing.B) {
	s := testkit.NewServer(b, "GRAPHQL_COMPLEXITY_LIMIT=10000000")
	c, _ := s.Register(b, "bench")
	eco := c.CreateEcosystem(b, "Big")
	_, ecoID, _ := relay.Decode("id", eco)
	ctx := b.Context()
	if _, err := s.Pool.Exec(ctx, `INSERT INTO characters (ecosystem_id, name, current_emotion)
		SELECT $1, 'character-' || lpad(i::text, 4, '0'), (ARRAY['calm','joyful','angry','sad'])[1 + i % 4]
		FROM generate_series(1, 1000) i`, ecoID); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Pool.Exec(ctx, `WITH c AS (SELECT array_agg(id ORDER BY name) ids FROM characters WHERE ecosystem_id = $1)
		INSERT INTO relationships (ecosystem_id, from_id, to_id, type, strength, trust, familiarity)
		SELECT $1, c.ids[i], c.ids[j],
			(ARRAY['FRIEND','RIVAL','ROMANCE','ALLY','FAMILY','MENTOR','ENEMY','ACQUAINTANCE'])[1 + floor(random() * 8)::int],
			random() * 2 - 1, random(), random()
		FROM c, generate_series(1, 1000) i
		CROSS JOIN LATERAL (SELECT j FROM generate_series(1, 1000) j WHERE j <> i ORDER BY random() LIMIT 100) t`, ecoID); err != nil {
		b.Fatal(err)
	}
	if _, err := s.Pool.Exec(ctx, `UPDATE ecosystems SET graph_version = graph_version + 1 WHERE id = $1`, ecoID); err != nil {
		b.Fatal(err)
	}
	var ids []uuid.UUID
	rows, err := s.Pool.Query(ctx, `SELECT id FROM characters WHERE ecosystem_id = $1 ORDER BY name`, ecoID)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var id uuid.UUID
		if err := rows.Scan(&id); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, id)
	}
	char := func(i int) string { return relay.ID(relay.TypeCharacter, ids[i%len(ids)]) }

	cases := []struct {
		name  string
		query string
		vars  func(i int) map[string]any
	}{
		{"relationshipMap/columns/minStrength=0.5", `query($e: ID!) { relationshipMap(ecosystemId: $e, filter: {minStrength: 0.5}) {
			nodes { id name emotion degree } edgeColumns { ids from to types strength trust familiarity } } }`,
			func(int) map[string]any { return map[string]any{"e": eco} }},
		{"relationshipMap/columns/minStrength=0.9", `query($e: ID!) { relationshipMap(ecosystemId: $e, filter: {minStrength: 0.9}) {
			nodes { id name emotion degree } edgeColumns { ids from to types strength trust familiarity } } }`,
			func(int) map[string]any { return map[string]any{"e": eco} }},
		{"relationshipMap/columns/types=ROMANCE,ENEMY", `query($e: ID!) { relationshipMap(ecosystemId: $e, filter: {types: [ROMANCE, ENEMY]}) {
			nodes { id name emotion degree } edgeColumns { ids from to types strength trust familiarity } } }`,
			func(int) map[string]any { return map[string]any{"e": eco} }},
		{"relationshipMap/objects/minStrength=0.5", `query($e: ID!) { relationshipMap(ecosystemId: $e, filter: {minStrength: 0.5}) {
			nodes { id name emotion degree } edges { id from to type strength trust familiarity } } }`,
			func(int) map[string]any { return map[string]any{"e": eco} }},
		{"relationshipMap/objects/minStrength=0.9", `query($e: ID!) { relationshipMap(ecosystemId: $e, filter: {minStrength: 0.9}) {
			nodes { id name emotion degree } edges { id from to type strength trust familiarity } } }`,
			func(int) map[string]any { return map[string]any{"e": eco} }},
		{"shortestPath/unweighted", `query($a: ID!, $b: ID!) { shortestPath(fromId: $a, toId: $b) { length cost characters { name } } }`,
			func(i int) map[string]any { return map[string]any{"a": char(i * 7), "b": char(i*13 + 500)} }},
		{"shortestPath/weighted", `query($a: ID!, $b: ID!) { shortestPath(fromId: $a, toId: $b, weighted: true) { length cost characters { name } } }`,
			func(i int) map[string]any { return map[string]any{"a": char(i * 7), "b": char(i*13 + 500)} }},
		{"neighbors/depth=2", `query($a: ID!) { neighbors(characterId: $a, depth: 2) { distance } }`,
			func(i int) map[string]any { return map[string]any{"a": char(i * 11)} }},
		{"characters/100-with-relationships", `query($e: ID!) { characters(first: 100, filter: {ecosystemId: $e}) { nodes { name
			relationships(first: 10) { totalCount nodes { type strength from { name } to { name } } } } } }`,
			func(int) map[string]any { return map[string]any{"e": eco} }},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			size := len(c.Raw(b, tc.query, tc.vars(0)))
			var took []time.Duration
			i := 0
			for b.Loop() {
				start := time.Now()
				c.Raw(b, tc.query, tc.vars(i))
				took = append(took, time.Since(start))
				i++
			}
			b.ReportMetric(testkit.PercentileMS(took, 0.50), "p50_ms")
			b.ReportMetric(testkit.PercentileMS(took, 0.95), "p95_ms")
			b.ReportMetric(float64(size)/1024, "response_KiB")
		})
	}
}
