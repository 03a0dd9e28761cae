package admission

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
)

const testSDL = `
type Query {
  me: User
  users(first: Int = 20): UserConnection!
  node(id: ID!): Node
  search(filter: Filter): [User!]!
  status(s: Status): Int
}
interface Node { id: ID! }
type User implements Node {
  id: ID!
  name: String
  friends(first: Int = 20): UserConnection!
}
type Group implements Node { id: ID! size: Int }
type UserConnection { nodes: [User!]! total: Int! }
enum Status { ACTIVE PAUSED }
input Filter { name: String }
`

// testSchema is an executable schema whose connections cost their selection per item of
// the page they ask for, like the API's.
type testSchema struct{ schema *ast.Schema }

func newTestSchema(t testing.TB) testSchema {
	t.Helper()
	s, err := gqlparser.LoadSchema(&ast.Source{Name: "test.graphqls", Input: testSDL})
	if err != nil {
		t.Fatal(err)
	}
	return testSchema{s}
}

func (s testSchema) Schema() *ast.Schema { return s.schema }

func (testSchema) Complexity(_ context.Context, _, field string, child int, args map[string]any) (int, bool) {
	if field != "users" && field != "friends" {
		return 0, false
	}
	n, _ := args["first"].(int64)
	return 1 + int(n)*child, true
}

func (testSchema) Exec(context.Context) graphql.ResponseHandler {
	return graphql.OneShot(&graphql.Response{Data: []byte(`{}`)})
}

var testLimits = Limits{
	QueryBytes: 64 << 10, Tokens: 3000, Fragments: 100, Directives: 50, Aliases: 30,
	Depth: 6, Complexity: 5000, Introspection: true,
}

// newExecutor wires the extension as internal/server does.
func newExecutor(t testing.TB, l Limits, suggest bool) (*executor.Executor, *Admission) {
	t.Helper()
	e := executor.New(newTestSchema(t))
	e.SetParserTokenLimit(l.Tokens)
	e.SetDefaultRulesFn(ValidationRules(suggest))
	e.SetDisableSuggestion(!suggest)
	a := New(l)
	e.Use(a)
	return e, a
}

func run(e *executor.Executor, query string, vars map[string]any) (*graphql.OperationContext, gqlerror.List) {
	return e.CreateOperationContext(graphql.StartOperationTrace(context.Background()), &graphql.RawParams{Query: query, Variables: vars})
}

// refusal is the limit an operation was refused for, "" if admitted, or the first error's
// message if it failed otherwise.
func refusal(errs gqlerror.List) string {
	if len(errs) == 0 {
		return ""
	}
	var r *Refusal
	if errors.As(errs[0].Err, &r) {
		return string(r.Limit)
	}
	return errs[0].Message
}

// doubling spreads each fragment's next one twice: n fragments make 2^n fields.
func doubling(n int) string {
	var b strings.Builder
	b.WriteString("{ ...F0 }\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i+1, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Query { __typename }\n", n)
	return b.String()
}

// chain spreads each fragment's next one once.
func chain(n int) string {
	var b strings.Builder
	b.WriteString("{ ...F0 }\n")
	for i := range n {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d }\n", i, i+1)
	}
	fmt.Fprintf(&b, "fragment F%d on Query { __typename }\n", n)
	return b.String()
}

// repeat writes n copies of sel inside braces.
func repeat(sel string, n int) string {
	return "{ " + strings.Repeat(sel+" ", n) + "}"
}

// aliases writes n aliases of sel.
func aliases(sel string, n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, " a%d: %s", i, sel)
	}
	b.WriteString(" }")
	return b.String()
}

// tree nests field r times at each of d levels: validation compares (r^d)^2 pairs.
func tree(field string, r, d int) string {
	if d == 0 {
		return "name"
	}
	return strings.Repeat(field+" { "+tree(field, r, d-1)+" } ", r)
}

func TestDocumentCaps(t *testing.T) {
	cycle := "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"
	tests := []struct {
		name, query string
		want        Limit
	}{
		{"plain", `query Q($n: Int) { me { id name } users(first: $n) { nodes { id } } }`, ""},
		{"introspection", `{ __schema { types { name fields { name type { name ofType { name } } } } } }`, ""},
		{"fragments at the cap", chain(99), ""},
		{"fragments over the cap", chain(100), LimitFragments},
		{"directives at the cap", "{ me " + strings.Repeat("@include(if: true) ", 50) + "{ id } }", ""},
		{"directives over the cap", "{ me " + strings.Repeat("@include(if: true) ", 51) + "{ id } }", LimitDirectives},
		{"aliases at the cap", aliases("me { id }", 30), ""},
		{"aliases over the cap", aliases("me { id }", 31), LimitAliases},
		// Fields spread twice meet at one place: the pairs outgrow the selections.
		{"doubling fragments", doubling(40), LimitRepeats},
		{"same field many times", repeat("__typename", 200), LimitRepeats},
		{"same field, some times", repeat("__typename", 50), ""},
		{"merge tree", "{ __schema { queryType { " + tree("ofType", 2, 8) + "} } }", LimitRepeats},
		{"inline fragments repeat", repeat("... on Query { me { id name } }", 100), LimitRepeats},
		{"fragment cycle", cycle, ""},
		{"does not parse", "{ me { ", ""},
		{"over the token limit", repeat("__typename", 6000), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got Limit
			if r := checkDocument(tc.query, testLimits); r != nil {
				got = r.Limit
			}
			if got != tc.want {
				t.Fatalf("refused for %q, want %q", got, tc.want)
			}
		})
	}
}

// TestShapeStopsAtItsBound: counting what validation would cost never costs more than
// MaxSelections visits, however much the fragments expand.
func TestShapeStopsAtItsBound(t *testing.T) {
	tests := []struct {
		name   string
		query  string
		visits int
		want   Limit
	}{
		// The operation (102 selections), then each fragment definition with the rest of
		// the chain: 1+2+...+101.
		{"chain 100", chain(100), 102 + 101*102/2, ""},
		{"chain 140", chain(140), MaxSelections + 1, LimitSelections},
		// The root's __typename count doubles with each fragment: 2^k fields make about
		// 2^(2k-1) pairs, over MaxRepeats after 339 visits.
		{"doubling 40", doubling(40), 339, LimitRepeats},
	}
	for _, tc := range tests {
		doc, err := parser.ParseQuery(&ast.Source{Input: tc.query})
		if err != nil {
			t.Fatal(err)
		}
		s := newShape(doc)
		var got Limit
		if r := s.walk(doc); r != nil {
			got = r.Limit
		}
		if s.selections != tc.visits || got != tc.want {
			t.Fatalf("%s: %d selections visited, refused for %q; want %d, %q", tc.name, s.selections, got, tc.visits, tc.want)
		}
	}
}

// TestMeasureVisitsEachFragmentOnce counts the walker's visits: linear in the document
// however the fragments spread one another.
func TestMeasureVisitsEachFragmentOnce(t *testing.T) {
	es := newTestSchema(t)
	tests := []struct {
		name          string
		query         string
		visits        int
		fields, depth int
	}{
		// The operation's spread, two spreads in each of 40 fragments, the last field.
		{"doubling 40", doubling(40), 1 + 2*40 + 1, 1 << 40, 0},
		{"chain 20000", chain(20_000), 1 + 20_000 + 1, 1, 0},
		{"fragment spread in two places", `{ me { ...U } users { nodes { ...U } } } fragment U on User { id name friends { total } }`,
			// me, its spread, users, nodes, its spread, and U's four selections once.
			5 + 4, 3 + 2*4, 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := parser.ParseQuery(&ast.Source{Input: tc.query})
			if err != nil {
				t.Fatal(err)
			}
			annotate(es.schema, doc)
			c := measure(context.Background(), es, doc.Operations[0], nil, testLimits.Complexity)
			if c.visits != tc.visits || c.Fields != tc.fields || c.Depth != tc.depth {
				t.Fatalf("visits %d, fields %d, depth %d; want %d, %d, %d", c.visits, c.Fields, c.Depth, tc.visits, tc.fields, tc.depth)
			}
		})
	}
}

// annotate attaches definitions to fields and spreads as validation does, without
// validation's cost (quadratic in a fragment chain's length).
func annotate(s *ast.Schema, doc *ast.QueryDocument) {
	fragments := map[string]*ast.FragmentDefinition{}
	for _, f := range doc.Fragments {
		fragments[f.Name] = f
	}
	var set func(parent *ast.Definition, selections ast.SelectionSet)
	set = func(parent *ast.Definition, selections ast.SelectionSet) {
		for _, sel := range selections {
			switch sel := sel.(type) {
			case *ast.Field:
				sel.ObjectDefinition = parent
				sel.Definition = parent.Fields.ForName(sel.Name)
				if sel.Name == "__typename" {
					sel.Definition = &ast.FieldDefinition{Name: "__typename", Type: ast.NamedType("String", nil)}
				}
				set(s.Types[sel.Definition.Type.Name()], sel.SelectionSet)
			case *ast.InlineFragment:
				set(s.Types[sel.TypeCondition], sel.SelectionSet)
			case *ast.FragmentSpread:
				sel.Definition = fragments[sel.Name]
			}
		}
	}
	for _, op := range doc.Operations {
		set(s.Query, op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		set(s.Types[f.TypeCondition], f.SelectionSet)
	}
}

// TestComplexity: the walk keeps gqlgen's measure, complexity functions and interfaces
// included, except that a scalar field costs nothing of its own (an object costs what
// fetching it costs), and it adds what gqlgen leaves out: __schema.
func TestComplexity(t *testing.T) {
	e, _ := newExecutor(t, testLimits, true)
	tests := []struct {
		query string
		vars  map[string]any
		want  int
	}{
		{`{ me { id name } }`, nil, 1},
		// friends: 1 + 5 x 0; nodes: 1 + 1; users: 1 + 10 x 2.
		{`{ users(first: 10) { nodes { id friends(first: 5) { total } } } }`, nil, 21},
		{`query($n: Int) { users(first: $n) { nodes { id } } }`, map[string]any{"n": int64(7)}, 8},
		{`{ node(id: "1") { id ... on User { name } } }`, nil, 1},
		// friends' default page of 20: 1 + 20 x 1, under me: 22, twice.
		{`{ a: me { ...U } b: me { ...U } } fragment U on User { id friends { nodes { id } } }`, nil, 44},
		{`{ __type(name: "User") { name fields { name } } }`, nil, 2},
		{`{ __schema { types { name fields { name } } } }`, nil, 3},
	}
	for _, tc := range tests {
		oc, errs := run(e, tc.query, tc.vars)
		if errs != nil {
			t.Fatalf("%s: %v", tc.query, errs)
		}
		got := measure(context.Background(), newTestSchema(t), oc.Operation, oc.Variables, testLimits.Complexity).Complexity
		if got != tc.want {
			t.Errorf("%s: complexity %d, want %d", tc.query, got, tc.want)
		}
		if stats := extension.GetComplexityStats(graphql.WithOperationContext(context.Background(), oc)); stats == nil || stats.Complexity != got {
			t.Errorf("%s: complexity stats %+v", tc.query, stats)
		}
	}
}

func TestAdmission(t *testing.T) {
	closed := testLimits
	closed.Introspection = false
	tests := []struct {
		name   string
		limits Limits
		query  string
		vars   map[string]any
		want   Limit
	}{
		{"admitted", testLimits, `{ me { id } }`, nil, ""},
		{"query bytes", testLimits, `{ me { id } }` + strings.Repeat(" ", 64<<10), nil, LimitQueryBytes},
		{"too deep", testLimits, `{ me { friends { nodes { friends { nodes { friends { nodes { id } } } } } } } }`, nil, LimitDepth},
		{"introspection is not deep", testLimits, `{ __type(name: "User") { fields { type { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } }`, nil, ""},
		{"too complex", testLimits, `{ users(first: 100) { nodes { friends(first: 100) { nodes { id } } } } }`, nil, LimitComplexity},
		{"too complex by a variable", testLimits, `query($n: Int) { users(first: $n) { nodes { friends(first: $n) { nodes { id } } } } }`, map[string]any{"n": int64(100)}, LimitComplexity},
		{"not too complex by a variable", testLimits, `query($n: Int) { users(first: $n) { nodes { friends(first: $n) { nodes { id } } } } }`, map[string]any{"n": int64(5)}, ""},
		{"introspection counts", Limits{QueryBytes: 1 << 20, Tokens: 5000, Fragments: 100, Directives: 50, Aliases: 30, Depth: 6, Complexity: 10, Introspection: true},
			aliases(`__type(name: "User") { name fields { name } }`, 7), nil, LimitComplexity},
		{"one __schema", testLimits, `{ __schema { queryType { name } } }`, nil, ""},
		{"two __schema", testLimits, `{ a: __schema { queryType { name } } b: __schema { queryType { name } } }`, nil, LimitIntrospection},
		{"two __schema through a fragment", testLimits, `{ ...S ...S } fragment S on Query { __schema { queryType { name } } }`, nil, LimitIntrospection},
		{"two __schema through fragments", testLimits, `{ ...S ...T } fragment S on Query { __schema { queryType { name } } } fragment T on Query { ...S }`, nil, LimitIntrospection},
		{"introspection off", closed, `{ __type(name: "User") { name } }`, nil, LimitIntrospectionOff},
		{"__typename with introspection off", closed, `{ __typename me { id } }`, nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := newExecutor(t, tc.limits, true)
			_, errs := run(e, tc.query, tc.vars)
			if got := refusal(errs); got != string(tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestVerdictsAreCached: a repeated document is not parsed or measured again, unless its
// cost depends on variables.
func TestVerdictsAreCached(t *testing.T) {
	e, a := newExecutor(t, testLimits, true)
	ctx := context.Background()
	named := `query Me { me { id } }`
	refused := aliases("me { id }", 31)
	variable := `query($n: Int) { users(first: $n) { total } }`
	run(e, named, nil)
	_, first := run(e, refused, nil)
	run(e, variable, map[string]any{"n": int64(3)})
	for _, q := range []string{named, refused, variable} {
		if _, ok := a.documents.Get(ctx, documentKey(q)); !ok {
			t.Errorf("%s: the document's verdict was not kept", q)
		}
	}
	if _, ok := a.operations.Get(ctx, documentKey(named)); !ok {
		t.Error("the operation's verdict was not kept")
	}
	if _, ok := a.operations.Get(ctx, documentKey(variable)); ok {
		t.Error("a verdict that depends on variables was kept")
	}
	// A cached refusal is answered again, as a new error.
	_, second := run(e, refused, nil)
	if refusal(second) != string(LimitAliases) || first[0] == second[0] {
		t.Fatalf("cached refusal answered %v", second)
	}
}

func TestValidationHidesSuggestions(t *testing.T) {
	queries := map[string]string{
		"field":       `{ mee { id } }`,
		"argument":    `{ users(frist: 1) { total } }`,
		"enum value":  `{ status(s: ACTIV) }`,
		"input field": `{ search(filter: {nam: "x"}) { id } }`,
		"type":        `{ me { ...U } } fragment U on Usr { id }`,
		"subfields":   `{ me }`,
	}
	for _, suggest := range []bool{true, false} {
		e, _ := newExecutor(t, testLimits, suggest)
		for name, q := range queries {
			_, errs := run(e, q, nil)
			if len(errs) == 0 {
				t.Fatalf("%s: no error", name)
			}
			if shown := strings.Contains(errs.Error(), "Did you mean"); shown != suggest {
				t.Errorf("%s (suggest %v): %v", name, suggest, errs)
			}
		}
	}
}

func TestValidationErrorsAreCapped(t *testing.T) {
	e, _ := newExecutor(t, testLimits, false)
	var q strings.Builder
	q.WriteString("{")
	for i := range 300 {
		fmt.Fprintf(&q, " nope%d", i)
	}
	q.WriteString(" }")
	_, errs := run(e, q.String(), nil)
	if len(errs) != MaxErrors+1 || !strings.HasPrefix(errs[MaxErrors].Message, "too many errors") {
		t.Fatalf("%d errors, the last %q", len(errs), errs[len(errs)-1].Message)
	}
}
