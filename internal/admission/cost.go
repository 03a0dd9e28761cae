package admission

import (
	"context"
	"math"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// cost is what one operation asks of the server.
type cost struct {
	// Depth is the deepest nesting of fields. Introspection fields and what they select
	// do not count: gqlparser's MaxIntrospectionDepth bounds their nesting, and the
	// standard introspection query nests deeper than the API's own queries need.
	Depth int
	// Complexity is gqlgen's measure (a field costs 1 plus its selection, or what the
	// schema's complexity function says), introspection fields included, except that a
	// scalar field without arguments costs 0 (see walker.complexity).
	Complexity int
	// Fields counts the field selections once fragments are expanded.
	Fields int
	// Schemas counts the __schema fields, as often as fragments spread them (merged or
	// not); Introspects says whether the operation selects __schema or __type at all.
	Schemas     int
	Introspects bool
	// Variables says whether a field argument takes a variable: complexity functions see
	// argument values, so the cost may differ from one request to the next.
	Variables bool
	// visits counts the selections walked.
	visits int
}

// measure walks op once, measuring each fragment once however often it is spread, so
// the walk is linear in the document. The document must be validated: the walk reads
// the definitions validation attaches to fields and spreads. limit is the complexity
// limit: complexity functions only see selections within it, since they multiply and an
// over-limit selection would only overflow.
func measure(ctx context.Context, es graphql.ExecutableSchema, op *ast.OperationDefinition, vars map[string]any, limit int) cost {
	w := walker{
		ctx: ctx, es: es, schema: es.Schema(), vars: vars, limit: limit,
		memo:   map[*ast.FragmentDefinition]cost{},
		active: map[*ast.FragmentDefinition]bool{},
	}
	c := w.set(op.SelectionSet)
	c.visits = w.visits
	return c
}

type walker struct {
	ctx    context.Context
	es     graphql.ExecutableSchema
	schema *ast.Schema
	vars   map[string]any
	limit  int
	// memo holds each fragment's measure; active the fragments being measured, so that a
	// cycle (which validation refuses) cannot loop.
	memo   map[*ast.FragmentDefinition]cost
	active map[*ast.FragmentDefinition]bool
	visits int
}

func (w *walker) set(set ast.SelectionSet) cost {
	var total cost
	for _, sel := range set {
		w.visits++
		var c cost
		switch sel := sel.(type) {
		case *ast.Field:
			c = w.field(sel)
		case *ast.InlineFragment:
			c = w.set(sel.SelectionSet)
		case *ast.FragmentSpread:
			c = w.fragment(sel.Definition)
		}
		total = total.plus(c)
	}
	return total
}

func (c cost) plus(o cost) cost {
	return cost{
		Depth:       max(c.Depth, o.Depth),
		Complexity:  safeAdd(c.Complexity, o.Complexity),
		Fields:      safeAdd(c.Fields, o.Fields),
		Schemas:     safeAdd(c.Schemas, o.Schemas),
		Introspects: c.Introspects || o.Introspects,
		Variables:   c.Variables || o.Variables,
	}
}

func (w *walker) fragment(def *ast.FragmentDefinition) cost {
	if def == nil || w.active[def] {
		return cost{}
	}
	if c, ok := w.memo[def]; ok {
		return c
	}
	w.active[def] = true
	c := w.set(def.SelectionSet)
	delete(w.active, def)
	w.memo[def] = c
	return c
}

func (w *walker) field(f *ast.Field) cost {
	sub := w.set(f.SelectionSet)
	c := cost{
		Fields:      safeAdd(1, sub.Fields),
		Schemas:     sub.Schemas,
		Introspects: sub.Introspects,
		Variables:   sub.Variables || takesVariable(f.Arguments),
		Complexity:  w.complexity(f, sub.Complexity),
	}
	switch f.Name {
	case "__schema":
		c.Schemas = safeAdd(c.Schemas, 1)
		c.Introspects = true
	case "__type":
		c.Introspects = true
	}
	if !strings.HasPrefix(f.Name, "__") {
		c.Depth = 1 + sub.Depth
	}
	return c
}

// complexity follows gqlgen's complexity package, except that it counts __schema and
// that a scalar field without arguments costs nothing of its own: an object costs what
// fetching and writing it costs, and its scalars come with it (the planner writes them
// from the row the object was read from). A list of objects still costs each object,
// and a type's scalars are a constant few, so cost keeps its order of magnitude.
func (w *walker) complexity(f *ast.Field, child int) int {
	typ := w.schema.Types[f.Definition.Type.Name()]
	leaf := false
	switch typ.Kind {
	case ast.Object, ast.Interface, ast.Union:
	default:
		child, leaf = 0, len(f.Arguments) == 0
	}
	if child > w.limit {
		return safeAdd(1, child)
	}
	args := f.ArgumentMap(w.vars)
	if f.ObjectDefinition.Kind != ast.Interface {
		return w.fieldComplexity(f.ObjectDefinition.Name, f.Name, child, args, leaf)
	}
	// An interface's field costs what its costliest implementation's does.
	most := 0
	for _, t := range w.schema.GetPossibleTypes(f.ObjectDefinition) {
		most = max(most, w.fieldComplexity(t.Name, f.Name, child, args, leaf))
	}
	return most
}

func (w *walker) fieldComplexity(typeName, field string, child int, args map[string]any, leaf bool) int {
	if c, ok := w.es.Complexity(w.ctx, typeName, field, child, args); ok && c >= 1 {
		return c
	}
	if leaf {
		return 0
	}
	return safeAdd(1, child)
}

func takesVariable(args ast.ArgumentList) bool {
	for _, a := range args {
		if hasVariable(a.Value) {
			return true
		}
	}
	return false
}

func hasVariable(v *ast.Value) bool {
	if v == nil {
		return false
	}
	if v.Kind == ast.Variable {
		return true
	}
	for _, child := range v.Children {
		if hasVariable(child.Value) {
			return true
		}
	}
	return false
}

// safeAdd adds two counts, saturating instead of overflowing.
func safeAdd(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}
