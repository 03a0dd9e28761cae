package neo4j

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/graphstore"
)

var paramRef = regexp.MustCompile(`\$([A-Za-z_][A-Za-z0-9_]*)`)

// checkParams fails unless the query's $parameters and the params keys are the same set.
func checkParams(t *testing.T, query string, params map[string]any) {
	t.Helper()
	used := map[string]bool{}
	for _, m := range paramRef.FindAllStringSubmatch(query, -1) {
		used[m[1]] = true
		if _, ok := params[m[1]]; !ok {
			t.Errorf("query uses $%s, which params lack:\n%s", m[1], query)
		}
	}
	for k := range params {
		if !used[k] {
			t.Errorf("param %q is not used by the query:\n%s", k, query)
		}
	}
}

func mustContain(t *testing.T, query string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(query, p) {
			t.Errorf("query lacks %q:\n%s", p, query)
		}
	}
}

func TestNeighborsQuery(t *testing.T) {
	eco := uuid.New()
	a, b := uuid.New(), uuid.New()
	nodes := []graphstore.Node{{Ecosystem: eco, Character: a}, {Ecosystem: eco, Character: b}, {Ecosystem: eco, Character: a}}
	for depth := 1; depth <= graphstore.MaxNeighborDepth; depth++ {
		q, params, err := neighborsQuery(nodes, depth)
		if err != nil {
			t.Fatalf("depth %d: %v", depth, err)
		}
		checkParams(t, q, params)
		mustContain(t, q,
			"UNWIND $nodes AS node",
			"MATCH (c:Character {id: node.id})",
			"WHERE c.ecosystemId = node.ecosystemId",
			"-[:RELATES*1.."+strconv.Itoa(depth)+"]-(n:Character)",
			"WHERE n <> c",
			"min(length(path)) AS distance",
			"ORDER BY id, distance, name, neighbor",
		)
		rows := params["nodes"].([]map[string]any)
		want := []map[string]any{
			{"id": a.String(), "ecosystemId": eco.String()},
			{"id": b.String(), "ecosystemId": eco.String()},
		}
		if len(rows) != len(want) {
			t.Fatalf("nodes param = %v, want the two distinct nodes %v", rows, want)
		}
		for i := range want {
			if rows[i]["id"] != want[i]["id"] || rows[i]["ecosystemId"] != want[i]["ecosystemId"] {
				t.Errorf("nodes[%d] = %v, want %v", i, rows[i], want[i])
			}
		}
	}
}

func TestNeighborsQueryRefusesDepth(t *testing.T) {
	for _, depth := range []int{-1, 0, graphstore.MaxNeighborDepth + 1, 100} {
		if q, _, err := neighborsQuery(nil, depth); err == nil {
			t.Errorf("depth %d accepted:\n%s", depth, q)
		}
	}
}

func TestShortestPathQueryUnweighted(t *testing.T) {
	eco, a, b := uuid.New(), uuid.New(), uuid.New()
	for depth := 1; depth <= graphstore.MaxPathDepth; depth++ {
		q, params, err := shortestPathQuery(eco, a, b, depth, false)
		if err != nil {
			t.Fatalf("depth %d: %v", depth, err)
		}
		checkParams(t, q, params)
		mustContain(t, q,
			"MATCH (a:Character {id: $from, ecosystemId: $ecosystem})",
			"MATCH (b:Character {id: $to, ecosystemId: $ecosystem})",
			"shortestPath((a)-[:RELATES*.."+strconv.Itoa(depth)+"]-(b))",
			"[n IN nodes(p) | n.id] AS characters",
			"from: startNode(r).id, to: endNode(r).id",
		)
		if params["ecosystem"] != eco.String() || params["from"] != a.String() || params["to"] != b.String() {
			t.Errorf("params = %v", params)
		}
	}
}

func TestShortestPathQueryWeighted(t *testing.T) {
	eco, a, b := uuid.New(), uuid.New(), uuid.New()
	for depth := 1; depth <= graphstore.MaxPathDepth; depth++ {
		q, params, err := shortestPathQuery(eco, a, b, depth, true)
		if err != nil {
			t.Fatalf("depth %d: %v", depth, err)
		}
		checkParams(t, q, params)
		inlined := min(depth, MaxWeightedPathDepth)
		mustContain(t, q,
			"MATCH p = (a)-[:RELATES*1.."+strconv.Itoa(inlined)+"]-(b)",
			"reduce(cost = 0.0, r IN relationships(p) | cost + (1 - 0.99 * abs(r.strength))) AS cost",
			"ORDER BY cost, length(p)",
			"LIMIT 1",
			"[n IN nodes(p) | n.id] AS characters",
		)
		if strings.Contains(q, "shortestPath") {
			t.Errorf("weighted query uses shortestPath:\n%s", q)
		}
	}
}

// The Cypher cost must be graphstore.EdgeCost; this pins the formula the query spells out.
func TestWeightedCostIsEdgeCost(t *testing.T) {
	for _, s := range []float64{-1, -0.5, 0, 0.3, 1} {
		if got, want := graphstore.EdgeCost(s), 1-0.99*math.Abs(s); got != want {
			t.Errorf("EdgeCost(%v) = %v, but the query computes %v", s, got, want)
		}
	}
}

func TestShortestPathQuerySameCharacter(t *testing.T) {
	eco, a := uuid.New(), uuid.New()
	for _, weighted := range []bool{false, true} {
		q, params, err := shortestPathQuery(eco, a, a, 3, weighted)
		if err != nil {
			t.Fatal(err)
		}
		checkParams(t, q, params)
		mustContain(t, q, "MATCH (a:Character {id: $from, ecosystemId: $ecosystem})", "RETURN [a.id] AS characters, [] AS edges")
		if strings.Contains(q, "RELATES") {
			t.Errorf("same-character query walks relationships:\n%s", q)
		}
	}
}

func TestShortestPathQueryRefusesDepth(t *testing.T) {
	eco, a, b := uuid.New(), uuid.New(), uuid.New()
	for _, depth := range []int{-1, 0, graphstore.MaxPathDepth + 1} {
		for _, weighted := range []bool{false, true} {
			if q, _, err := shortestPathQuery(eco, a, b, depth, weighted); err == nil {
				t.Errorf("depth %d weighted %v accepted:\n%s", depth, weighted, q)
			}
		}
	}
	// The depth is refused even when no walk is needed, as package pg does.
	if _, _, err := shortestPathQuery(eco, a, a, 0, false); err == nil {
		t.Error("depth 0 accepted for from == to")
	}
}

func TestSchemaQueries(t *testing.T) {
	want := []string{
		"CREATE CONSTRAINT character_id IF NOT EXISTS FOR (c:Character) REQUIRE c.id IS UNIQUE",
		"CREATE INDEX character_ecosystem IF NOT EXISTS FOR (c:Character) ON (c.ecosystemId)",
		"CREATE INDEX relates_id IF NOT EXISTS FOR ()-[r:RELATES]-() ON (r.id)",
	}
	if !slices.Equal(schemaQueries, want) {
		t.Fatalf("schema = %q", schemaQueries)
	}
}

func TestApplyStatementsOrder(t *testing.T) {
	label := "old flame"
	a, b := uuid.New(), uuid.New()
	c := changeSet{
		UpsertCharacters: []characterNode{
			{ID: a, EcosystemID: uuid.New(), Name: "Anna", CurrentEmotion: "joy", IsActive: true},
			{ID: b, EcosystemID: uuid.New(), Name: "Boris", CurrentEmotion: "neutral"},
		},
		UpsertRelationships: []relationshipEdge{
			{ID: uuid.New(), From: a, To: b, Type: "ROMANCE", Label: &label, Strength: 0.8, Trust: 0.6, Familiarity: 0.9},
			{ID: uuid.New(), From: b, To: a, Type: "RIVAL", Strength: -0.4, Trust: 0.1},
		},
		DeleteCharacters:    []uuid.UUID{uuid.New()},
		DeleteRelationships: []uuid.UUID{uuid.New(), uuid.New()},
		DeleteEcosystems:    []uuid.UUID{uuid.New()},
	}
	stmts := applyStatements(c)
	wantStarts := []string{
		"MERGE (c:Character {id: row.id})",
		"WHERE a.id <> row.from OR b.id <> row.to",
		"MERGE (a)-[r:RELATES {id: row.id}]->(b)",
		"MATCH ()-[r:RELATES {id: id}]->()",
		"MATCH (c:Character {id: id})",
		"MATCH (c:Character {ecosystemId: ecosystemId})",
	}
	if len(stmts) != len(wantStarts) {
		t.Fatalf("%d statements, want %d", len(stmts), len(wantStarts))
	}
	for i, st := range stmts {
		mustContain(t, st.query, wantStarts[i])
		checkParams(t, st.query, st.params)
	}

	chars := stmts[0].params["rows"].([]map[string]any)
	if chars[0]["id"] != a.String() || chars[0]["name"] != "Anna" || chars[0]["currentEmotion"] != "joy" ||
		chars[0]["isActive"] != true || chars[0]["ecosystemId"] != c.UpsertCharacters[0].EcosystemID.String() {
		t.Errorf("character row = %v", chars[0])
	}
	mustContain(t, stmts[0].query, "c.ecosystemId = row.ecosystemId", "c.name = row.name",
		"c.currentEmotion = row.currentEmotion", "c.isActive = row.isActive")

	rels := stmts[2].params["rows"].([]map[string]any)
	if rels[0]["label"] != "old flame" || rels[0]["from"] != a.String() || rels[0]["to"] != b.String() ||
		rels[0]["type"] != "ROMANCE" || rels[0]["strength"] != 0.8 || rels[0]["trust"] != 0.6 || rels[0]["familiarity"] != 0.9 {
		t.Errorf("relationship row = %v", rels[0])
	}
	if rels[1]["label"] != nil {
		t.Errorf("missing label = %#v, want nil (removes the property)", rels[1]["label"])
	}
	mustContain(t, stmts[2].query, "MATCH (a:Character {id: row.from})", "MATCH (b:Character {id: row.to})",
		"r.type = row.type", "r.label = row.label", "r.strength = row.strength", "r.trust = row.trust", "r.familiarity = row.familiarity")

	if ids := stmts[3].params["ids"].([]string); len(ids) != 2 || ids[0] != c.DeleteRelationships[0].String() {
		t.Errorf("relationship ids = %v", ids)
	}
	for _, i := range []int{4, 5} {
		mustContain(t, stmts[i].query, "DETACH DELETE c")
	}
}

func TestApplyStatementsOnlyWhatChanged(t *testing.T) {
	if stmts := applyStatements(changeSet{}); len(stmts) != 0 {
		t.Errorf("empty change set: %d statements", len(stmts))
	}
	stmts := applyStatements(changeSet{DeleteEcosystems: []uuid.UUID{uuid.New()}})
	if len(stmts) != 1 || !strings.Contains(stmts[0].query, "ecosystemId: ecosystemId") {
		t.Errorf("ecosystem delete only: %+v", stmts)
	}
}

func TestWipeQuery(t *testing.T) {
	q, params := wipeQuery(5000)
	checkParams(t, q, params)
	mustContain(t, q, "MATCH (c:Character)", "WITH c LIMIT $limit", "DETACH DELETE c", "RETURN count(*) AS deleted")
	if params["limit"] != int64(5000) {
		t.Errorf("limit = %#v", params["limit"])
	}
}
