package graph_test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// loadSchema parses schema/*.graphqls as gqlgen does.
func loadSchema(t *testing.T) *ast.Schema {
	t.Helper()
	files, err := filepath.Glob("../schema/*.graphqls")
	if err != nil || len(files) == 0 {
		t.Fatalf("no schema files (%v)", err)
	}
	var sources []*ast.Source
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, &ast.Source{Name: filepath.Base(f), Input: string(b)})
	}
	s, err := gqlparser.LoadSchema(sources...)
	if err != nil {
		t.Fatalf("load schema: %v", err)
	}
	return s
}

// undescribed lists, as "file:line: kind name", every element of s that a client sees
// without a description: types, fields, arguments, input fields, enum values and
// directives. Built-in types, directives and introspection fields are left out.
func undescribed(s *ast.Schema) []string {
	var out []string
	missing := func(desc string, pos *ast.Position, kind, name string) {
		if strings.TrimSpace(desc) != "" {
			return
		}
		where := "?"
		if pos != nil && pos.Src != nil {
			where = fmt.Sprintf("%s:%d", pos.Src.Name, pos.Line)
		}
		out = append(out, fmt.Sprintf("%s: %s %s", where, kind, name))
	}
	args := func(owner string, list ast.ArgumentDefinitionList) {
		for _, a := range list {
			missing(a.Description, a.Position, "argument", owner+"("+a.Name+")")
		}
	}
	for _, d := range s.Types {
		if d.BuiltIn || strings.HasPrefix(d.Name, "__") {
			continue
		}
		missing(d.Description, d.Position, strings.ToLower(string(d.Kind)), d.Name)
		for _, f := range d.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			kind := "field"
			if d.Kind == ast.InputObject {
				kind = "input field"
			}
			missing(f.Description, f.Position, kind, d.Name+"."+f.Name)
			args(d.Name+"."+f.Name, f.Arguments)
		}
		for _, v := range d.EnumValues {
			missing(v.Description, v.Position, "enum value", d.Name+"."+v.Name)
		}
	}
	for _, d := range s.Directives {
		if d.Position == nil || d.Position.Src == nil || d.Position.Src.BuiltIn {
			continue
		}
		missing(d.Description, d.Position, "directive", "@"+d.Name)
		args("@"+d.Name, d.Arguments)
	}
	slices.Sort(out)
	return out
}

// TestSchemaIsDescribed: every public element of the schema says what it is, so that a
// client developer reads it in their IDE (the graphql-schema-linter description rules).
func TestSchemaIsDescribed(t *testing.T) {
	t.Parallel()
	if missing := undescribed(loadSchema(t)); len(missing) > 0 {
		t.Fatalf("%d schema elements have no description:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}

// TestUndescribedFindsEveryKind: the check itself sees each kind of element it must.
func TestUndescribedFindsEveryKind(t *testing.T) {
	t.Parallel()
	const described = `"d" directive @d("d" a: Int) on FIELD_DEFINITION
"d" scalar S
"d" enum E { "d" A }
"d" input I { "d" f: Int }
"d" type T { "d" f("d" a: Int): Int }
"d" union U = T
"d" type Query { "d" t: T }
`
	tests := []struct {
		name, sdl, want string
	}{
		{"all described", described, ""},
		{"object", strings.Replace(described, `"d" type T`, `type T`, 1), "object T"},
		{"input", strings.Replace(described, `"d" input I`, `input I`, 1), "input_object I"},
		{"enum", strings.Replace(described, `"d" enum E`, `enum E`, 1), "enum E"},
		{"field", strings.Replace(described, `"d" f("d"`, `f("d"`, 1), "field T.f"},
		{"argument", strings.Replace(described, `f("d" a`, `f(a`, 1), "argument T.f(a)"},
		{"input field", strings.Replace(described, `{ "d" f: Int }`, `{ f: Int }`, 1), "input field I.f"},
		{"enum value", strings.Replace(described, `"d" A`, `A`, 1), "enum value E.A"},
		{"scalar", strings.Replace(described, `"d" scalar S`, `scalar S`, 1), "scalar S"},
		{"union", strings.Replace(described, `"d" union U`, `union U`, 1), "union U"},
		{"directive", strings.Replace(described, `"d" directive @d`, `directive @d`, 1), "directive @d"},
		{"directive argument", strings.Replace(described, `@d("d" a`, `@d(a`, 1), "argument @d(a)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := gqlparser.LoadSchema(&ast.Source{Name: "t.graphqls", Input: tc.sdl})
			if err != nil {
				t.Fatal(err)
			}
			got := undescribed(s)
			if tc.want == "" {
				if len(got) > 0 {
					t.Fatalf("findings in a described schema: %v", got)
				}
				return
			}
			if len(got) != 1 || !strings.HasSuffix(got[0], ": "+tc.want) {
				t.Fatalf("want one finding %q, got %v", tc.want, got)
			}
		})
	}
}
