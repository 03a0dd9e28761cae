package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/literaryai/ensemble/internal/testkit"
)

// restoreReads are the answers a restore must keep: vector search and recall (the
// embedded vector index, rebuilt from the restored embeddings) and the graph queries
// (the graph backend's snapshot, rebuilt from the restored relationships and history).
// Recall marks what it returns as accessed, so it runs after the search, alone.
// Lists in unordered (paths of dot-separated keys) are compared as sets: a map's nodes
// and edges, and a character's neighbours at one distance, come in the order PostgreSQL
// reads the rows (the queries name none), which a restore, like any rewrite of a table,
// may change.
var restoreReads = []struct {
	name, query string
	unordered   []string
	// says is a piece of the original answer, so that agreeing on nothing fails.
	says string
}{
	{"searchMemories", `query($eco: ID!) {
		searchMemories(ecosystemId: $eco, query: "a refused dance at the ball", topK: 5) {
			similarity memory { id content type importance character { name } } } }`, nil, "refused to dance"},
	{"recall", `query($lizzy: ID!) {
		recall(characterId: $lizzy, query: "What do I think of Mr Darcy?", topK: 3) {
			score recency importance relevance memory { id content } } }`, nil, "Darcy's letter"},
	{"graph", `query($eco: ID!, $lizzy: ID!, $darcy: ID!, $wickham: ID!, $then: Time) {
		now: relationshipMap(ecosystemId: $eco) { nodes { id name degree } edges { id from to type label strength trust familiarity } }
		then: relationshipMap(ecosystemId: $eco, asOf: $then) { nodes { id name degree } edges { id from to type strength } asOf }
		weighted: shortestPath(fromId: $darcy, toId: $wickham, weighted: true) { length cost characters { name } relationships { type strength } }
		fewest: shortestPath(fromId: $darcy, toId: $wickham) { length characters { name } }
		neighbors(characterId: $lizzy, depth: 2) { distance character { id name } }
		character(id: $lizzy) { relationships(first: 10) { nodes { id type strength trust history(first: 10) { nodes { kind strength previous { strength } delta { strength } cause at } } } } }
	}`, []string{"now.nodes", "now.edges", "then.nodes", "then.edges", "neighbors"}, "the truth about Wickham"},
}

// TestRestoreFromDump is the backup and restore of docs/operations.md: pg_dump a
// database built through the API, restore it into a new database, run `ensemble reindex
// vectors` on it, and check that a server on the copy answers every read as the original.
func TestRestoreFromDump(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"pg_dump", "pg_restore"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (Debian: apt-get install postgresql-client): %v", tool, err)
		}
	}
	original := testkit.NewServer(t)
	c, _ := original.Register(t, "lizzy")
	vars := buildLongbourn(t, c)

	dump := filepath.Join(t.TempDir(), "ensemble.dump")
	if out, err := exec.CommandContext(t.Context(), "pg_dump", "-Fc", "-f", dump, "-d", original.DatabaseURL).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	restored := emptyDatabase(t)
	if out, err := exec.CommandContext(t.Context(), "pg_restore", "--exit-on-error", "--single-transaction", "--no-owner",
		"-d", restored, dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}

	env := []string{"DATABASE_URL=" + restored, "SECRET_KEY=" + testkit.Secret}
	// The dump carries the embeddings: nothing to recompute with the same model.
	if out, err := run(t, env, "reindex", "vectors"); err != nil || !strings.Contains(out, "re-embedded 0 memories") {
		t.Fatalf("reindex vectors: %v\n%s", err, out)
	}
	// As after a dump taken under another embedding model: every vector is recomputed.
	conn, err := pgx.Connect(t.Context(), restored)
	if err != nil {
		t.Fatal(err)
	}
	tag, err := conn.Exec(t.Context(), `UPDATE memories SET embedding_model = 'another-model'`)
	_ = conn.Close(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`re-embedded %d memories`, tag.RowsAffected())
	if out, err := run(t, env, "reindex", "vectors"); err != nil || !strings.Contains(out, want) {
		t.Fatalf("reindex vectors after a model change: %v\n%s\nwant %q", err, out, want)
	}

	copied := testkit.NewServerOn(t, restored)
	// The same access token works: users, sessions and SECRET_KEY came along.
	onCopy := copied.Client()
	onCopy.Token = c.Token
	for _, read := range restoreReads {
		var a, b any
		c.Must(t, read.query, vars, &a)
		onCopy.Must(t, read.query, vars, &b)
		for _, path := range read.unordered {
			sortAt(t, a, path)
			sortAt(t, b, path)
		}
		ja, _ := json.Marshal(a)
		if !strings.Contains(string(ja), read.says) {
			t.Fatalf("%s: the original does not say %q: %s", read.name, read.says, ja)
		}
		if d := difference(a, b, read.name); d != "" {
			jb, _ := json.Marshal(b)
			t.Fatalf("%s differs after the restore:\noriginal %s\nrestored %s", d, ja, jb)
		}
	}
}

// buildLongbourn makes an ecosystem through the API: five characters, relationships
// with a history (an adjustment, a deletion), and memories; it returns the variables
// restoreReads use.
func buildLongbourn(t *testing.T, c *testkit.Client) map[string]any {
	t.Helper()
	eco := c.CreateEcosystem(t, "Longbourn")
	ids := map[string]string{}
	for _, name := range []string{"Elizabeth Bennet", "Jane Bennet", "Fitzwilliam Darcy", "George Wickham", "Charles Bingley"} {
		ids[name] = c.CreateCharacter(t, eco, name)
	}
	relate := func(from, to, typ string, strength float64) string {
		var out struct{ CreateRelationship struct{ ID string } }
		c.Must(t, `mutation($in: CreateRelationshipInput!) { createRelationship(input: $in) { id } }`,
			map[string]any{"in": map[string]any{"fromId": ids[from], "toId": ids[to], "type": typ, "strength": strength, "trust": 0.5, "familiarity": 0.5}}, &out)
		return out.CreateRelationship.ID
	}
	relate("Elizabeth Bennet", "Jane Bennet", "FAMILY", 0.9)
	relate("Jane Bennet", "Charles Bingley", "ROMANCE", 0.8)
	relate("Charles Bingley", "Fitzwilliam Darcy", "FRIEND", 0.7)
	rivals := relate("Fitzwilliam Darcy", "George Wickham", "ENEMY", -0.6)
	charmed := relate("Elizabeth Bennet", "George Wickham", "FRIEND", 0.5)
	slight := relate("Elizabeth Bennet", "Fitzwilliam Darcy", "RIVAL", -0.4)

	var history struct {
		Relationship struct {
			History struct{ Nodes []struct{ At string } }
		}
	}
	c.Must(t, `query($id: ID!) { relationship(id: $id) { history(first: 1) { nodes { at } } } }`, map[string]any{"id": slight}, &history)
	c.Must(t, `mutation($id: ID!) { adjustRelationship(id: $id, delta: {strength: 0.9, trust: 0.3}, cause: "the letter") { id } }`,
		map[string]any{"id": slight}, &struct{}{})
	c.Must(t, `mutation($id: ID!) { adjustRelationship(id: $id, delta: {strength: -0.4}, cause: "the truth about Wickham") { id } }`,
		map[string]any{"id": charmed}, &struct{}{})
	c.Must(t, `mutation($id: ID!) { deleteRelationship(id: $id) }`, map[string]any{"id": rivals}, &struct{}{})

	remember := func(who string, memories ...map[string]any) {
		c.Must(t, `mutation($c: ID!, $in: [AddMemoryInput!]!) { addMemories(characterId: $c, input: $in) }`,
			map[string]any{"c": ids[who], "in": memories}, &struct{}{})
	}
	remember("Elizabeth Bennet",
		map[string]any{"content": "Mr Darcy refused to dance with me at the Meryton assembly.", "type": "OBSERVATION"},
		map[string]any{"content": "Mr Wickham says Darcy cheated him of a living.", "type": "DIALOGUE", "importance": 0.8},
		map[string]any{"content": "Darcy's letter told the truth about Wickham and Georgiana.", "type": "FACT", "importance": 0.9},
		map[string]any{"content": "Jane caught a cold riding to Netherfield in the rain.", "type": "OBSERVATION"})
	remember("Jane Bennet",
		map[string]any{"content": "Mr Bingley danced with me twice at the ball.", "type": "OBSERVATION", "importance": 0.7},
		map[string]any{"content": "Caroline Bingley wrote that they had all left for London.", "type": "FACT"})
	remember("Fitzwilliam Darcy",
		map[string]any{"content": "I would not dance with Miss Bennet; she was tolerable, but not handsome enough.", "type": "DIALOGUE"})
	return map[string]any{
		"eco": eco, "lizzy": ids["Elizabeth Bennet"], "darcy": ids["Fitzwilliam Darcy"], "wickham": ids["George Wickham"],
		"then": history.Relationship.History.Nodes[0].At,
	}
}

// emptyDatabase creates a database with nothing in it (not the migrated template a test
// database is cloned from), dropped when the test ends: where a dump is restored.
func emptyDatabase(t *testing.T) string {
	t.Helper()
	url := testkit.DatabaseURL(t)
	cfg, err := pgconn.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(t.Context(), testkit.AdminURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close(t.Context()) }()
	// Replace the clone under the same name, so that testkit's cleanup drops it.
	name := pgx.Identifier{cfg.Database}.Sanitize()
	for _, stmt := range []string{"DROP DATABASE " + name + " WITH (FORCE)", "CREATE DATABASE " + name + " TEMPLATE template0"} {
		if _, err := conn.Exec(t.Context(), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	return url
}

// sortAt sorts the list at path in answer by each item's JSON, which names every item
// uniquely here.
func sortAt(t *testing.T, answer any, path string) {
	t.Helper()
	v := answer
	for _, key := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("no %s in the answer", path)
		}
		v = obj[key]
	}
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("%s is not a list", path)
	}
	slices.SortFunc(list, func(x, y any) int {
		jx, _ := json.Marshal(x)
		jy, _ := json.Marshal(y)
		return strings.Compare(string(jx), string(jy))
	})
}

// difference returns the path of the first difference between two decoded JSON answers,
// or "" when they agree, numbers within 1e-9: recall's recency is computed from the time
// since each memory was last accessed, which the two servers read at different moments
// (its min-max normalisation cancels the offset, up to rounding).
func difference(a, b any, path string) string {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return path
		}
		for k, v := range a {
			if d := difference(v, b[k], path+"."+k); d != "" {
				return d
			}
		}
		return ""
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return path
		}
		for i := range a {
			if d := difference(a[i], b[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
		return ""
	case float64:
		if b, ok := b.(float64); ok && math.Abs(a-b) <= 1e-9 {
			return ""
		}
		return path
	}
	if reflect.DeepEqual(a, b) {
		return ""
	}
	return path
}
