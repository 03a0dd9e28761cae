package resolvers_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/literaryai/ensemble/internal/testkit"
)

type pageInfo struct {
	HasNextPage bool
	EndCursor   *string
}

func TestEcosystemLifecycle(t *testing.T) {
	s := testkit.NewServer(t)
	c, _ := s.Register(t, "charlotte")

	var created struct {
		CreateEcosystem struct {
			ID, Name, Description string
			Owner                 struct{ Username string }
		}
	}
	c.Must(t, `mutation { createEcosystem(input: {name: "Hunsford", description: "A parsonage"}) {
		id name description owner { username } } }`, nil, &created)
	e := created.CreateEcosystem
	if e.Name != "Hunsford" || e.Description != "A parsonage" || e.Owner.Username != "charlotte" {
		t.Fatalf("created %+v", e)
	}

	var updated struct {
		UpdateEcosystem struct{ Name, Description string }
	}
	c.Must(t, `mutation($id: ID!) { updateEcosystem(id: $id, input: {description: "Lady Catherine's neighbour"}) { name description } }`,
		map[string]any{"id": e.ID}, &updated)
	if updated.UpdateEcosystem.Name != "Hunsford" || updated.UpdateEcosystem.Description != "Lady Catherine's neighbour" {
		t.Fatalf("update kept the wrong fields: %+v", updated.UpdateEcosystem)
	}

	c.CreateCharacter(t, e.ID, "Mr Collins")
	var del struct{ DeleteEcosystem string }
	c.Must(t, `mutation($id: ID!) { deleteEcosystem(id: $id) }`, map[string]any{"id": e.ID}, &del)
	if del.DeleteEcosystem != e.ID {
		t.Fatalf("deleted %q", del.DeleteEcosystem)
	}
	if n := s.Count(t, "characters"); n != 0 {
		t.Fatalf("characters left after their ecosystem was deleted: %d", n)
	}
	if code := c.Do(t, `query($id: ID!) { ecosystem(id: $id) { id } }`, map[string]any{"id": e.ID}).Code(t); code != "NOT_FOUND" {
		t.Fatalf("deleted ecosystem: %s", code)
	}
	if code := c.Do(t, `mutation($id: ID!) { deleteEcosystem(id: $id) }`, map[string]any{"id": e.ID}).Code(t); code != "NOT_FOUND" {
		t.Fatalf("second delete: %s", code)
	}
}

func TestEcosystemBadInput(t *testing.T) {
	s := testkit.NewServer(t)
	c, _ := s.Register(t, "kitty")
	eco := c.CreateEcosystem(t, "Longbourn")
	tests := []struct {
		name, query string
		vars        map[string]any
		code, field string
	}{
		{"empty name", `mutation { createEcosystem(input: {name: ""}) { id } }`, nil, "BAD_USER_INPUT", "input.name"},
		{"256-character name", `mutation($n: String!) { createEcosystem(input: {name: $n}) { id } }`, map[string]any{"n": strings.Repeat("é", 256)}, "BAD_USER_INPUT", "input.name"},
		{"long description", `mutation($d: String!) { createEcosystem(input: {name: "x", description: $d}) { id } }`, map[string]any{"d": strings.Repeat("a", 10001)}, "BAD_USER_INPUT", "input.description"},
		{"name of the wrong type", `mutation($n: String!) { createEcosystem(input: {name: $n}) { id } }`, map[string]any{"n": 42}, "GRAPHQL_VALIDATION_FAILED", ""},
		{"unknown input field", `mutation { createEcosystem(input: {name: "x", colour: "red"}) { id } }`, nil, "GRAPHQL_VALIDATION_FAILED", ""},
		{"update with empty name", `mutation($id: ID!) { updateEcosystem(id: $id, input: {name: ""}) { id } }`, map[string]any{"id": eco}, "BAD_USER_INPUT", "input.name"},
		{"malformed id", `mutation { updateEcosystem(id: "!!!", input: {name: "y"}) { id } }`, nil, "BAD_USER_INPUT", "id"},
		{"first too large", `{ ecosystems(first: 100000) { totalCount } }`, nil, "BAD_USER_INPUT", "first"},
		{"first zero", `{ ecosystems(first: 0) { totalCount } }`, nil, "BAD_USER_INPUT", "first"},
		{"first negative", `{ ecosystems(first: -1) { totalCount } }`, nil, "BAD_USER_INPUT", "first"},
		{"first beyond Int", `{ ecosystems(first: 99999999999) { totalCount } }`, nil, "BAD_USER_INPUT", "first"},
		{"bad cursor", `{ ecosystems(after: "not-a-cursor") { totalCount } }`, nil, "BAD_USER_INPUT", "after"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := c.Do(t, tc.query, tc.vars)
			if code := r.Code(t); code != tc.code {
				t.Fatalf("code = %s, want %s: %+v", code, tc.code, r.Errors)
			}
			if tc.field != "" && r.Errors[0].Extensions["field"] != tc.field {
				t.Fatalf("field = %v, want %s", r.Errors[0].Extensions["field"], tc.field)
			}
			var name string
			if err := s.Pool.QueryRow(t.Context(), `SELECT name FROM ecosystems`).Scan(&name); err != nil || name != "Longbourn" {
				t.Fatalf("ecosystems changed: %q %v", name, err)
			}
			if n := s.Count(t, "ecosystems"); n != 1 {
				t.Fatalf("ecosystems = %d", n)
			}
		})
	}
}

func TestEcosystemPaging(t *testing.T) {
	s := testkit.NewServer(t)
	c, _ := s.Register(t, "mrsbennet")
	for i := range 5 {
		c.CreateEcosystem(t, fmt.Sprintf("world-%d", i))
	}
	const q = `query($after: String, $first: Int) { ecosystems(first: $first, after: $after) {
		totalCount edges { cursor node { name } } nodes { name } pageInfo { hasNextPage endCursor } } }`
	var names []string
	var after any
	for pages := 1; ; pages++ {
		var out struct {
			Ecosystems struct {
				TotalCount int
				Edges      []struct {
					Cursor string
					Node   struct{ Name string }
				}
				Nodes    []struct{ Name string }
				PageInfo pageInfo
			}
		}
		c.Must(t, q, map[string]any{"after": after, "first": 2}, &out)
		e := out.Ecosystems
		if e.TotalCount != 5 {
			t.Fatalf("totalCount = %d", e.TotalCount)
		}
		for i, edge := range e.Edges {
			if edge.Node.Name != e.Nodes[i].Name {
				t.Fatal("edges and nodes disagree")
			}
			names = append(names, edge.Node.Name)
		}
		if !e.PageInfo.HasNextPage {
			if pages != 3 {
				t.Fatalf("took %d pages, want 3", pages)
			}
			break
		}
		after = *e.PageInfo.EndCursor
	}
	if strings.Join(names, ",") != "world-0,world-1,world-2,world-3,world-4" {
		t.Fatalf("pages gave %v", names)
	}
}

// TestOtherUsersObjectsAreNotFound: another user's id answers exactly as a missing id.
func TestOtherUsersObjectsAreNotFound(t *testing.T) {
	s := testkit.NewServer(t)
	alice, _ := s.Register(t, "alice")
	bob, _ := s.Register(t, "bob")
	eco := alice.CreateEcosystem(t, "Wonderland")
	chr := alice.CreateCharacter(t, eco, "Cheshire Cat")
	bobEco := bob.CreateEcosystem(t, "Looking-glass")
	// A well-formed id that names nothing.
	missing := strings.Replace(eco, eco[len(eco)-6:], "AAAAAA", 1)

	reads := []struct{ name, query, id string }{
		{"ecosystem", `query($id: ID!) { ecosystem(id: $id) { name } }`, eco},
		{"character", `query($id: ID!) { character(id: $id) { name } }`, chr},
		{"node", `query($id: ID!) { node(id: $id) { id } }`, chr},
	}
	for _, tc := range reads {
		t.Run("read "+tc.name, func(t *testing.T) {
			theirs := bob.Do(t, tc.query, map[string]any{"id": tc.id})
			none := bob.Do(t, tc.query, map[string]any{"id": missing})
			if string(theirs.Data) != string(none.Data) || len(theirs.Errors) != len(none.Errors) {
				t.Fatalf("another user's object answers differently from a missing one: %s %+v vs %s %+v",
					theirs.Data, theirs.Errors, none.Data, none.Errors)
			}
		})
	}
	writes := []struct {
		name, query string
		vars        map[string]any
	}{
		{"update ecosystem", `mutation($id: ID!) { updateEcosystem(id: $id, input: {name: "mine"}) { id } }`, map[string]any{"id": eco}},
		{"delete ecosystem", `mutation($id: ID!) { deleteEcosystem(id: $id) }`, map[string]any{"id": eco}},
		{"update character", `mutation($id: ID!) { updateCharacter(id: $id, input: {name: "mine"}) { id } }`, map[string]any{"id": chr}},
		{"delete character", `mutation($id: ID!) { deleteCharacter(id: $id) }`, map[string]any{"id": chr}},
		{"create character in their ecosystem", `mutation($id: ID!) { createCharacter(input: {ecosystemId: $id, name: "Intruder"}) { id } }`, map[string]any{"id": eco}},
		{"list characters of their ecosystem", `query($id: ID!) { characters(filter: {ecosystemId: $id}) { totalCount } }`, map[string]any{"id": eco}},
	}
	for _, tc := range writes {
		t.Run(tc.name, func(t *testing.T) {
			r := bob.Do(t, tc.query, tc.vars)
			if tc.name == "list characters of their ecosystem" {
				var out struct{ Characters struct{ TotalCount int } }
				r.Decode(t, &out)
				if out.Characters.TotalCount != 0 {
					t.Fatalf("bob sees %d of alice's characters", out.Characters.TotalCount)
				}
				return
			}
			if code := r.Code(t); code != "NOT_FOUND" {
				t.Fatalf("code = %s", code)
			}
		})
	}
	var still struct {
		Character struct {
			Name      string
			Ecosystem struct{ Name string }
		}
	}
	alice.Must(t, `query($id: ID!) { character(id: $id) { name ecosystem { name } } }`, map[string]any{"id": chr}, &still)
	if still.Character.Name != "Cheshire Cat" || still.Character.Ecosystem.Name != "Wonderland" {
		t.Fatalf("alice's objects changed: %+v", still)
	}
	if n := s.Count(t, "characters"); n != 1 {
		t.Fatalf("characters = %d", n)
	}
	var lists struct {
		Ecosystems struct{ Nodes []struct{ ID string } }
		Characters struct{ TotalCount int }
	}
	bob.Must(t, `{ ecosystems { nodes { id } } characters { totalCount } }`, nil, &lists)
	if len(lists.Ecosystems.Nodes) != 1 || lists.Ecosystems.Nodes[0].ID != bobEco || lists.Characters.TotalCount != 0 {
		t.Fatalf("bob's lists include alice's objects: %+v", lists)
	}
	// An id of the wrong type names nothing.
	if code := bob.Do(t, `query($id: ID!) { ecosystem(id: $id) { id } }`, map[string]any{"id": chr}); len(code.Errors) == 0 && string(code.Data) != `{"ecosystem":null}` {
		t.Fatalf("character id as ecosystem id: %s", code.Data)
	}
}

func TestNode(t *testing.T) {
	s := testkit.NewServer(t)
	c, sess := s.Register(t, "jane")
	eco := c.CreateEcosystem(t, "Netherfield")
	chr := c.CreateCharacter(t, eco, "Jane Bennet")
	for id, want := range map[string]string{sess.User.ID: "User", eco: "Ecosystem", chr: "Character"} {
		var out struct {
			Node struct {
				Typename string `json:"__typename"`
				ID       string
			}
		}
		c.Must(t, `query($id: ID!) { node(id: $id) { __typename id } }`, map[string]any{"id": id}, &out)
		if out.Node.Typename != want || out.Node.ID != id {
			t.Fatalf("node(%s) = %+v, want %s", id, out.Node, want)
		}
	}
	if code := c.Do(t, `{ node(id: "garbage") { id } }`, nil).Code(t); code != "BAD_USER_INPUT" {
		t.Fatalf("garbage id: %s", code)
	}
}

// TestNestedFieldsAreBatched: the number of statements a nested query sends does not
// grow with the number of objects it returns.
func TestNestedFieldsAreBatched(t *testing.T) {
	const q = `{ ecosystems(first: 50) { totalCount nodes { name owner { username }
		characters(first: 10) { totalCount nodes { name ecosystem { name owner { username } } } } } } }`
	queriesFor := func(ecosystems int) int64 {
		// A wide batching window makes the batches independent of scheduling (the race
		// detector and a busy machine slow goroutines down); the default is 1 ms.
		s := testkit.NewServer(t, "GRAPHQL_BATCH_WAIT=1s")
		c, _ := s.Register(t, "reader")
		for i := range ecosystems {
			eco := c.CreateEcosystem(t, fmt.Sprintf("world-%d", i))
			for j := range 3 {
				c.CreateCharacter(t, eco, fmt.Sprintf("character-%d-%d", i, j))
			}
		}
		before := s.Queries()
		var out struct {
			Ecosystems struct {
				Nodes []struct {
					Characters struct {
						TotalCount int
						Nodes      []struct{ Name string }
					}
				}
			}
		}
		c.Must(t, q, nil, &out)
		t.Logf("%d ecosystems: %s", ecosystems, strings.Join(s.Statements(before), "; "))
		if len(out.Ecosystems.Nodes) != ecosystems {
			t.Fatalf("got %d ecosystems", len(out.Ecosystems.Nodes))
		}
		for _, e := range out.Ecosystems.Nodes {
			if e.Characters.TotalCount != 3 || len(e.Characters.Nodes) != 3 {
				t.Fatalf("characters = %+v", e.Characters)
			}
		}
		return s.Queries() - before
	}
	small, large := queriesFor(2), queriesFor(30)
	t.Logf("statements: %d for 2 ecosystems, %d for 30", small, large)
	if large != small {
		t.Fatalf("statements grew with the result: %d for 2 ecosystems, %d for 30", small, large)
	}
}
