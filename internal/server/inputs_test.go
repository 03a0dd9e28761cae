package server_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/literaryai/ensemble/graph"
	"github.com/literaryai/ensemble/internal/testkit"
)

// surrogateMark stands in a request for a lone surrogate escape, which no Go string can
// hold: the raw body is edited after encoding.
const surrogateMark = "\uE000lone-surrogate\uE000"

// overLong is one byte over the boundary's per-value limit.
var overLong = strings.Repeat("a", 128<<10+1)

// textSlot is one place in a field's arguments where a client sends text: an argument,
// a field of an input object (at any depth), or an element of a list.
type textSlot struct {
	path []string // argument, then input fields; "0" for a list element
}

func (s textSlot) String() string { return strings.Join(s.path, ".") }

// textSlots lists the String, ID and JSON positions of a field's arguments.
func textSlots(schema *ast.Schema, args ast.ArgumentDefinitionList) []textSlot {
	var out []textSlot
	var walk func(path []string, t *ast.Type, seen map[string]bool)
	walk = func(path []string, t *ast.Type, seen map[string]bool) {
		if t.Elem != nil {
			walk(append(slices.Clone(path), "0"), t.Elem, seen)
			return
		}
		def := schema.Types[t.NamedType]
		switch {
		case t.NamedType == "String" || t.NamedType == "ID" || t.NamedType == "JSON":
			out = append(out, textSlot{path: path})
		case def.Kind == ast.InputObject && !seen[def.Name]:
			seen = maps(seen, def.Name)
			for _, f := range def.Fields {
				walk(append(slices.Clone(path), f.Name), f.Type, seen)
			}
		}
	}
	for _, a := range args {
		walk([]string{a.Name}, a.Type, map[string]bool{})
	}
	return out
}

func maps(m map[string]bool, k string) map[string]bool {
	out := map[string]bool{k: true}
	for key := range m {
		out[key] = true
	}
	return out
}

// validValue is a value of type t that passes validation: required input fields only.
func validValue(schema *ast.Schema, t *ast.Type) any {
	if t.Elem != nil {
		return []any{validValue(schema, t.Elem)}
	}
	def := schema.Types[t.NamedType]
	switch {
	case def.Kind == ast.Enum:
		return def.EnumValues[0].Name
	case def.Kind == ast.InputObject:
		obj := map[string]any{}
		for _, f := range def.Fields {
			if f.Type.NonNull && f.DefaultValue == nil {
				obj[f.Name] = validValue(schema, f.Type)
			}
		}
		return obj
	}
	switch t.NamedType {
	case "Int":
		return 1
	case "Float":
		return 0.5
	case "Boolean":
		return true
	case "Time":
		return "2024-01-01T00:00:00Z"
	case "JSON":
		return map[string]any{}
	case "Upload":
		return "not-a-file"
	}
	return "x"
}

// withBad returns args (valid values for the required arguments) with the text at slot
// replaced by bad; a JSON slot gets an object holding it.
func withBad(schema *ast.Schema, field *ast.FieldDefinition, slot textSlot, bad string) map[string]any {
	args := map[string]any{}
	for _, a := range field.Arguments {
		if a.Type.NonNull && a.DefaultValue == nil || a.Name == slot.path[0] {
			args[a.Name] = validValue(schema, a.Type)
		}
	}
	var set func(v any, t *ast.Type, path []string) any
	set = func(v any, t *ast.Type, path []string) any {
		if len(path) == 0 {
			if t.NamedType == "JSON" {
				return map[string]any{"note": bad}
			}
			return bad
		}
		if t.Elem != nil {
			list, _ := v.([]any)
			if len(list) == 0 {
				list = []any{validValue(schema, t.Elem)}
			}
			list[0] = set(list[0], t.Elem, path[1:])
			return list
		}
		obj, _ := v.(map[string]any)
		f := schema.Types[t.NamedType].Fields.ForName(path[0])
		cur, ok := obj[path[0]]
		if !ok {
			cur = validValue(schema, f.Type)
		}
		obj[path[0]] = set(cur, f.Type, path[1:])
		return obj
	}
	a := field.Arguments.ForName(slot.path[0])
	args[a.Name] = set(args[a.Name], a.Type, slot.path[1:])
	return args
}

// literal writes v as a GraphQL input literal; enums are the strings of enum-typed slots.
func literal(schema *ast.Schema, t *ast.Type, v any) string {
	switch x := v.(type) {
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = literal(schema, t.Elem, e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		def := schema.Types[t.NamedType]
		var parts []string
		for k, e := range x {
			ft := &ast.Type{NamedType: "JSON"}
			if def.Kind == ast.InputObject {
				ft = def.Fields.ForName(k).Type
			}
			parts = append(parts, k+": "+literal(schema, ft, e))
		}
		slices.Sort(parts)
		return "{" + strings.Join(parts, ", ") + "}"
	case string:
		if schema.Types[t.NamedType] != nil && schema.Types[t.NamedType].Kind == ast.Enum {
			return x
		}
		b, _ := json.Marshal(x)
		return string(b)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// operation writes a document calling field with args, inline or through variables.
func operation(schema *ast.Schema, kind string, field *ast.FieldDefinition, args map[string]any, inline bool) (string, map[string]any) {
	var defs, uses []string
	vars := map[string]any{}
	for _, a := range field.Arguments {
		v, ok := args[a.Name]
		if !ok {
			continue
		}
		if inline {
			uses = append(uses, a.Name+": "+literal(schema, a.Type, v))
			continue
		}
		defs = append(defs, "$"+a.Name+": "+a.Type.String())
		uses = append(uses, a.Name+": $"+a.Name)
		vars[a.Name] = v
	}
	doc := kind
	if len(defs) > 0 {
		doc += "(" + strings.Join(defs, ", ") + ")"
	}
	doc += " { " + field.Name
	if len(uses) > 0 {
		doc += "(" + strings.Join(uses, ", ") + ")"
	}
	if def := schema.Types[field.Type.Name()]; def.Kind != ast.Scalar && def.Kind != ast.Enum {
		doc += " { __typename }"
	}
	return doc + " }", vars
}

// postRaw sends a GraphQL request whose encoded body has surrogateMark replaced (in
// strings) by a lone surrogate escape, or, in a document literal, by its GraphQL escape.
func postRaw(t *testing.T, c *testkit.Client, query string, vars map[string]any) (int, []testkit.Error) {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	// In a variable the mark is JSON text; in the document it sits inside a GraphQL string,
	// itself inside the JSON query string, so its backslash is escaped once more.
	body = bytes.ReplaceAll(body, []byte(`\"`+surrogateMark+`\"`), []byte(`\"\\ud800\"`))
	body = bytes.ReplaceAll(body, []byte(`"`+surrogateMark+`"`), []byte(`"\ud800"`))
	req, err := http.NewRequest(http.MethodPost, c.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out struct{ Errors []testkit.Error }
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("status %d: %.300s", resp.StatusCode, raw)
	}
	return resp.StatusCode, out.Errors
}

// rowCounts counts the rows of every table of the schema that requests write (River's
// own tables move on their own).
func rowCounts(t *testing.T, s *testkit.Server) map[string]int {
	t.Helper()
	rows, err := s.Pool.Query(t.Context(), `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
		  AND table_name NOT LIKE 'river%' AND table_name <> 'goose_db_version'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	rows.Close()
	counts := map[string]int{}
	for _, table := range tables {
		counts[table] = s.Count(t, table)
	}
	return counts
}

// TestInputBoundary is derived from the schema: every String, ID and JSON position of
// every argument of every root field (input objects and lists included, sign-in and
// registration too) is sent a NUL, a lone surrogate and an over-long value, inline and in
// variables (an over-long one only in variables: inline, the document is over its own
// size limit). Each must answer BAD_USER_INPUT naming the position, never INTERNAL, and
// change nothing.
func TestInputBoundary(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t)
	c, _ := s.Register(t, "boundary")
	c.CreateEcosystem(t, "Before")
	before := rowCounts(t, s)

	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	bad := map[string]string{"NUL": "a\x00b", "lone surrogate": surrogateMark, "over-long": overLong}
	slots := 0
	for _, root := range []*ast.Definition{schema.Query, schema.Mutation, schema.Subscription} {
		kind := strings.ToLower(string(root.Name))
		for _, field := range root.Fields {
			if strings.HasPrefix(field.Name, "__") {
				continue
			}
			for _, slot := range textSlots(schema, field.Arguments) {
				slots++
				for name, value := range bad {
					for _, inline := range []bool{true, false} {
						if inline && name == "over-long" {
							// The cost model refuses a document of this size before any
							// value in it is read; long values travel as variables.
							continue
						}
						form := "variables"
						if inline {
							form = "inline"
						}
						t.Run(fmt.Sprintf("%s.%s/%s/%s/%s", kind, field.Name, slot, name, form), func(t *testing.T) {
							args := withBad(schema, field, slot, value)
							query, vars := operation(schema, kind, field, args, inline)
							status, errs := postRaw(t, c, query, vars)
							if len(errs) != 1 || errs[0].Code() != "BAD_USER_INPUT" {
								t.Fatalf("status %d, errors %+v\nquery: %.500s", status, errs, query)
							}
							want := slot.String()
							if name == "lone surrogate" && !inline {
								// Found in the raw JSON body, before GraphQL: named where it was sent.
								want = "variables." + want
							}
							if got, _ := errs[0].Extensions["field"].(string); !strings.HasPrefix(got, want) {
								t.Fatalf("field = %q, want %q (%s)", got, want, errs[0].Message)
							}
						})
					}
				}
			}
		}
	}
	if slots < 50 {
		t.Fatalf("found only %d text positions in the schema", slots)
	}
	if after := rowCounts(t, s); !mapsEqual(before, after) {
		t.Fatalf("rows changed:\nbefore %v\nafter  %v", before, after)
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestInputBoundaryLimits: the longest legitimate value passes the boundary, and escapes
// that only look like lone surrogates are text.
func TestInputBoundaryLimits(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t)
	c, _ := s.Register(t, "limits")
	eco := c.CreateEcosystem(t, "Limits")

	// A backstory at its 20,000-character limit, four bytes a character.
	long := strings.Repeat("😀", 20000)
	r := c.Do(t, `mutation($e: ID!, $b: String) { createCharacter(input: {ecosystemId: $e, name: "Long", backstory: $b}) { id } }`,
		map[string]any{"e": eco, "b": long})
	if len(r.Errors) != 0 {
		t.Fatalf("backstory of 80,000 bytes: %+v", r.Errors)
	}
	for _, name := range []string{`back\\ud800slash`, `pair \ud83d\ude00`} {
		r := c.Do(t, `mutation { createEcosystem(input: {name: "`+name+`"}) { name } }`, nil)
		if len(r.Errors) != 0 {
			t.Fatalf("%s: %+v", name, r.Errors)
		}
	}
}
