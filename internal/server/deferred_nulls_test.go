package server

import (
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/literaryai/ensemble/graph"
)

// TestDeferredNulls feeds deferredNulls payloads in orders gqlgen's executor may send
// them, which the server tests cannot force.
func TestDeferredNulls(t *testing.T) {
	const query = `{ characters { nodes { id lastInteraction
		... @defer(label: "bonds") { relationships { nodes { type ... @defer(label: "ends") { to { name } } } } }
		... @defer(label: "plain") { currentEmotion } } } }`
	doc, errs := gqlparser.LoadQuery(graph.NewExecutableSchema(graph.Config{}).Schema(), query)
	if errs != nil {
		t.Fatal(errs)
	}
	path := func(steps ...any) ast.Path {
		var p ast.Path
		for _, s := range steps {
			switch s := s.(type) {
			case string:
				p = append(p, ast.PathName(s))
			case int:
				p = append(p, ast.PathIndex(s))
			}
		}
		return p
	}
	payload := func(label, data string, p ast.Path) *graphql.Response {
		return &graphql.Response{Label: label, Data: json.RawMessage(data), Path: p}
	}
	first := path("characters", "nodes", 0)
	// The first character's parts come, its nested one first; the second's never do
	// (say its object was nulled by an error), and its plain field is really null.
	const initial = `{"characters":{"nodes":[{"id":"1","lastInteraction":null,"relationships":null,"currentEmotion":"joy"},` +
		`{"id":"2","lastInteraction":null,"relationships":null,"currentEmotion":null}]}}`
	tests := []struct {
		batch []*graphql.Response
		want  string // the items, as JSON
	}{
		{
			batch: []*graphql.Response{payload("ends", `{"to":{"name":"Jane"}}`, path("characters", "nodes", 0, "relationships", "nodes", 0))},
			want:  `null`,
		},
		{
			batch: []*graphql.Response{payload("bonds", `{"relationships":{"nodes":[{"type":"FAMILY","to":null}]}}`, first)},
			want: `[{"data":{"relationships":{"nodes":[{"type":"FAMILY"}]}},"path":["characters","nodes",0],"label":"bonds"},` +
				`{"data":{"to":{"name":"Jane"}},"path":["characters","nodes",0,"relationships","nodes",0],"label":"ends"}]`,
		},
		{
			batch: []*graphql.Response{payload("ends", `{"to":{"name":"Darcy"}}`, path("characters", "nodes", 1, "relationships", "nodes", 0))},
			want:  `null`,
		},
	}
	d := newDeferredNulls(&graphql.OperationContext{Doc: doc, Operation: doc.Operations[0]})
	if got := string(d.strip(json.RawMessage(initial), nil)); got !=
		`{"characters":{"nodes":[{"id":"1","lastInteraction":null,"currentEmotion":"joy"},{"id":"2","lastInteraction":null}]}}` {
		t.Fatalf("initial: %s", got)
	}
	for i, tc := range tests {
		got, _ := json.Marshal(d.items(tc.batch))
		if string(got) != tc.want {
			t.Fatalf("batch %d: %s\nwant     %s", i, got, tc.want)
		}
	}
	got, _ := json.Marshal(d.rest())
	if want := `[{"data":{"relationships":null,"currentEmotion":null},"path":["characters","nodes",1]}]`; string(got) != want {
		t.Fatalf("rest: %s\nwant %s (held: %d)", got, want, len(d.held))
	}
}
