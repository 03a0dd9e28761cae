package neo4j

import (
	"fmt"
	"strconv"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/graphstore"
)

// MaxWeightedPathDepth caps the hops of a weighted ShortestPath. Without GDS or APOC,
// Cypher has no weighted shortest path, so the query enumerates every path of up to that
// many relationships and keeps the cheapest: the work grows as degree^depth, which a
// dense ecosystem cannot afford at depth 6. A larger maxDepth is lowered to this cap, so
// a weighted path longer than MaxWeightedPathDepth hops is not found here (package pg
// finds it).
const MaxWeightedPathDepth = 4

// schemaQueries make Character.id unique (which also indexes it, for every lookup by
// id), and index Character.ecosystemId (deleting an ecosystem) and RELATES.id (updating
// and deleting relationships by id).
var schemaQueries = []string{
	"CREATE CONSTRAINT character_id IF NOT EXISTS FOR (c:Character) REQUIRE c.id IS UNIQUE",
	"CREATE INDEX character_ecosystem IF NOT EXISTS FOR (c:Character) ON (c.ecosystemId)",
	"CREATE INDEX relates_id IF NOT EXISTS FOR ()-[r:RELATES]-() ON (r.id)",
}

// pathColumns are the columns of a path p that decodePath reads: the character ids in
// order, and each relationship walked, with its stored direction.
const pathColumns = `[n IN nodes(p) | n.id] AS characters,
       [r IN relationships(p) | r {.id, .type, .strength, .trust, .familiarity,
                                   from: startNode(r).id, to: endNode(r).id}] AS edges`

// neighborsQuery finds, for every node at once, the characters within depth
// relationships either way and the length of the shortest chain to each. Cypher takes no
// parameter for a variable-length bound, so depth is checked and written into the text.
// A node is matched only within its own ecosystem.
func neighborsQuery(nodes []graphstore.Node, depth int) (string, map[string]any, error) {
	if depth < 1 || depth > graphstore.MaxNeighborDepth {
		return "", nil, fmt.Errorf("depth %d outside 1..%d", depth, graphstore.MaxNeighborDepth)
	}
	rows := make([]map[string]any, 0, len(nodes))
	seen := make(map[graphstore.Node]bool, len(nodes))
	for _, n := range nodes {
		if seen[n] {
			continue
		}
		seen[n] = true
		rows = append(rows, map[string]any{"id": n.Character.String(), "ecosystemId": n.Ecosystem.String()})
	}
	q := `UNWIND $nodes AS node
MATCH (c:Character {id: node.id})
WHERE c.ecosystemId = node.ecosystemId
MATCH path = (c)-[:RELATES*1..` + strconv.Itoa(depth) + `]-(n:Character)
WHERE n <> c
WITH c, n, min(length(path)) AS distance
RETURN c.id AS id, n.id AS neighbor, n.name AS name, distance
ORDER BY id, distance, name, neighbor`
	return q, map[string]any{"nodes": rows}, nil
}

// shortestPathQuery finds a path from one character to another of the ecosystem, in the
// columns of pathColumns, or no record when there is none. from == to is the one
// character, if it exists. Unweighted, Cypher's shortestPath; weighted, every path of up
// to min(maxDepth, MaxWeightedPathDepth) hops ranked by summed cost, then hops. The cost
// of a relationship is graphstore.EdgeCost, written in Cypher: keep the two in step.
// Paths that visit a character twice need no filter: every hop costs at least 0.01, so
// cutting out the loop is always cheaper.
func shortestPathQuery(ecosystem, from, to uuid.UUID, maxDepth int, weighted bool) (string, map[string]any, error) {
	if maxDepth < 1 || maxDepth > graphstore.MaxPathDepth {
		return "", nil, fmt.Errorf("max depth %d outside 1..%d", maxDepth, graphstore.MaxPathDepth)
	}
	if from == to {
		return `MATCH (a:Character {id: $from, ecosystemId: $ecosystem})
RETURN [a.id] AS characters, [] AS edges`,
			map[string]any{"ecosystem": ecosystem.String(), "from": from.String()}, nil
	}
	params := map[string]any{"ecosystem": ecosystem.String(), "from": from.String(), "to": to.String()}
	const ends = `MATCH (a:Character {id: $from, ecosystemId: $ecosystem})
MATCH (b:Character {id: $to, ecosystemId: $ecosystem})
`
	if !weighted {
		return ends + `MATCH p = shortestPath((a)-[:RELATES*..` + strconv.Itoa(maxDepth) + `]-(b))
RETURN ` + pathColumns, params, nil
	}
	depth := min(maxDepth, MaxWeightedPathDepth)
	return ends + `MATCH p = (a)-[:RELATES*1..` + strconv.Itoa(depth) + `]-(b)
WITH p, reduce(cost = 0.0, r IN relationships(p) | cost + (1 - 0.99 * abs(r.strength))) AS cost
ORDER BY cost, length(p)
LIMIT 1
RETURN ` + pathColumns, params, nil
}

// statement is one Cypher statement of a write transaction.
type statement struct {
	query  string
	params map[string]any
}

// characterNode is a character as the graph keeps it.
type characterNode struct {
	ID             uuid.UUID
	EcosystemID    uuid.UUID
	Name           string
	CurrentEmotion string
	IsActive       bool
}

// relationshipEdge is a relationship as the graph keeps it.
type relationshipEdge struct {
	ID          uuid.UUID
	From        uuid.UUID
	To          uuid.UUID
	Type        string
	Label       *string
	Strength    float64
	Trust       float64
	Familiarity float64
}

// changeSet is what one batch of events changes in the graph: the current state of the
// rows that exist, and the ids of those that no longer do.
type changeSet struct {
	UpsertCharacters    []characterNode
	UpsertRelationships []relationshipEdge
	DeleteCharacters    []uuid.UUID
	DeleteRelationships []uuid.UUID
	DeleteEcosystems    []uuid.UUID
}

// applyStatements orders a change set for one transaction: characters first, since a
// relationship is merged between existing characters; a relationship whose ends moved is
// removed before it is merged again between its new ends; deletions last.
func applyStatements(c changeSet) []statement {
	var out []statement
	add := func(q string, p map[string]any) { out = append(out, statement{q, p}) }
	if len(c.UpsertCharacters) > 0 {
		add(upsertCharactersQuery(c.UpsertCharacters))
	}
	if len(c.UpsertRelationships) > 0 {
		add(rehomeRelationshipsQuery(c.UpsertRelationships))
		add(upsertRelationshipsQuery(c.UpsertRelationships))
	}
	if len(c.DeleteRelationships) > 0 {
		add(deleteRelationshipsQuery(c.DeleteRelationships))
	}
	if len(c.DeleteCharacters) > 0 {
		add(deleteCharactersQuery(c.DeleteCharacters))
	}
	if len(c.DeleteEcosystems) > 0 {
		add(deleteEcosystemsQuery(c.DeleteEcosystems))
	}
	return out
}

// upsertCharactersQuery merges characters by id and sets their properties.
func upsertCharactersQuery(nodes []characterNode) (string, map[string]any) {
	rows := make([]map[string]any, len(nodes))
	for i, n := range nodes {
		rows[i] = map[string]any{
			"id": n.ID.String(), "ecosystemId": n.EcosystemID.String(), "name": n.Name,
			"currentEmotion": n.CurrentEmotion, "isActive": n.IsActive,
		}
	}
	return `UNWIND $rows AS row
MERGE (c:Character {id: row.id})
SET c.ecosystemId = row.ecosystemId, c.name = row.name,
    c.currentEmotion = row.currentEmotion, c.isActive = row.isActive`, map[string]any{"rows": rows}
}

// edgeRows turns relationships into query parameters; a missing label is null, which
// removes the property.
func edgeRows(edges []relationshipEdge) []map[string]any {
	rows := make([]map[string]any, len(edges))
	for i, e := range edges {
		var label any
		if e.Label != nil {
			label = *e.Label
		}
		rows[i] = map[string]any{
			"id": e.ID.String(), "from": e.From.String(), "to": e.To.String(), "type": e.Type,
			"label": label, "strength": e.Strength, "trust": e.Trust, "familiarity": e.Familiarity,
		}
	}
	return rows
}

// rehomeRelationshipsQuery deletes the stored copy of a relationship that now joins other
// characters, so that merging by (ends, id) never leaves two relationships with one id.
func rehomeRelationshipsQuery(edges []relationshipEdge) (string, map[string]any) {
	return `UNWIND $rows AS row
MATCH (a:Character)-[r:RELATES {id: row.id}]->(b:Character)
WHERE a.id <> row.from OR b.id <> row.to
DELETE r`, map[string]any{"rows": edgeRows(edges)}
}

// upsertRelationshipsQuery merges relationships by id between their characters and sets
// their properties. A relationship whose characters are absent is skipped, which the
// projector prevents by writing the characters of every relationship it writes.
func upsertRelationshipsQuery(edges []relationshipEdge) (string, map[string]any) {
	return `UNWIND $rows AS row
MATCH (a:Character {id: row.from})
MATCH (b:Character {id: row.to})
MERGE (a)-[r:RELATES {id: row.id}]->(b)
SET r.type = row.type, r.label = row.label, r.strength = row.strength,
    r.trust = row.trust, r.familiarity = row.familiarity`, map[string]any{"rows": edgeRows(edges)}
}

// idStrings renders ids as the strings the graph stores.
func idStrings(ids []uuid.UUID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}

// deleteRelationshipsQuery deletes relationships by id.
func deleteRelationshipsQuery(ids []uuid.UUID) (string, map[string]any) {
	return `UNWIND $ids AS id
MATCH ()-[r:RELATES {id: id}]->()
DELETE r`, map[string]any{"ids": idStrings(ids)}
}

// deleteCharactersQuery deletes characters by id with their relationships, as the
// foreign keys' ON DELETE CASCADE does in PostgreSQL.
func deleteCharactersQuery(ids []uuid.UUID) (string, map[string]any) {
	return `UNWIND $ids AS id
MATCH (c:Character {id: id})
DETACH DELETE c`, map[string]any{"ids": idStrings(ids)}
}

// deleteEcosystemsQuery deletes every character of the ecosystems, and so their
// relationships.
func deleteEcosystemsQuery(ids []uuid.UUID) (string, map[string]any) {
	return `UNWIND $ids AS ecosystemId
MATCH (c:Character {ecosystemId: ecosystemId})
DETACH DELETE c`, map[string]any{"ids": idStrings(ids)}
}

// wipeQuery deletes up to limit characters with their relationships and returns how many
// it deleted; a rebuild repeats it until none is left.
func wipeQuery(limit int) (string, map[string]any) {
	return `MATCH (c:Character)
WITH c LIMIT $limit
DETACH DELETE c
RETURN count(*) AS deleted`, map[string]any{"limit": int64(limit)}
}
