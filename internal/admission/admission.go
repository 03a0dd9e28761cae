// Package admission decides whether a GraphQL operation may run, and makes the decision
// cheap: a document over the size caps is refused before gqlparser validates it (some
// validation rules cost more than linear time), and the operation's depth and complexity
// are measured in one walk that measures each fragment once. Verdicts are cached by
// document, so a repeated document costs a hash and a map lookup.
package admission

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Bounds that are not settings: they keep validation cheap and no sensible operation
// comes near them.
const (
	// MaxSelections bounds the selections (fields, fragment spreads, inline fragments) of a
	// document once its fragments are expanded, over all its operations and fragment
	// definitions: gqlparser validates each of them with its fragments expanded.
	MaxSelections = 10_000
	// MaxRepeats bounds the pairs of fields that share a response name at one place of an
	// operation (aliases, fragments and inline fragments merge there): gqlparser's
	// OverlappingFieldsCanBeMerged compares every such pair.
	MaxRepeats = 5_000
	// MaxErrors bounds the errors of one response.
	MaxErrors = 100
)

// cacheSize is how many documents and operations keep their verdicts.
const cacheSize = 1000

// Limits are the caps an operation must stay within.
type Limits struct {
	// QueryBytes, Tokens, Fragments, Directives and Aliases bound one document.
	QueryBytes int
	Tokens     int
	Fragments  int
	Directives int
	Aliases    int
	// Depth bounds the nesting of fields (introspection excepted: gqlparser bounds it).
	Depth int
	// Complexity bounds the operation's cost as gqlgen measures it, introspection included.
	Complexity int
	// Introspection allows __schema and __type (once per operation for __schema).
	Introspection bool
}

// Admission is the gqlgen extension that refuses operations over the limits. Register it
// after any extension that fills in the query (automatic persisted queries), since it
// reads the query text before the executor parses it.
type Admission struct {
	limits Limits
	es     graphql.ExecutableSchema
	// documents holds each document's verdict on its caps, by hash.
	documents *lru.LRU[*Refusal]
	// operations holds the verdicts of operations whose cost does not depend on variables,
	// by hash of the document and operation name.
	operations *lru.LRU[verdict]
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = (*Admission)(nil)

// New returns the extension for limits.
func New(limits Limits) *Admission {
	return &Admission{
		limits:     limits,
		documents:  lru.New[*Refusal](cacheSize),
		operations: lru.New[verdict](cacheSize),
	}
}

// ExtensionName names the extension for gqlgen.
func (*Admission) ExtensionName() string { return "Admission" }

// Validate keeps the schema, whose complexity functions the cost walk calls.
func (a *Admission) Validate(es graphql.ExecutableSchema) error {
	a.es = es
	return nil
}

// MutateOperationParameters refuses a document over its caps before the executor parses
// and validates it.
func (a *Admission) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if len(p.Query) > a.limits.QueryBytes {
		// Refused before hashing: a large document costs nothing more.
		return refuse(&Refusal{Limit: LimitQueryBytes, Got: len(p.Query), Max: a.limits.QueryBytes})
	}
	key := documentKey(p.Query)
	r, ok := a.documents.Get(ctx, key)
	if !ok {
		r = checkDocument(p.Query, a.limits)
		a.documents.Add(ctx, key, r)
	}
	if r != nil {
		return refuse(r)
	}
	return nil
}

// MutateOperationContext measures the validated operation and refuses it over the
// limits. It records the complexity where extension.GetComplexityStats finds it.
func (a *Admission) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	key := documentKey(oc.RawQuery) + oc.OperationName
	v, ok := a.operations.Get(ctx, key)
	if !ok {
		c := measure(ctx, a.es, oc.Operation, oc.Variables, a.limits.Complexity)
		v = a.judge(c)
		if !c.Variables {
			a.operations.Add(ctx, key, v)
		}
	}
	oc.Stats.SetExtension(complexityStats, &extension.ComplexityStats{
		Complexity:      v.complexity,
		ComplexityLimit: a.limits.Complexity,
	})
	if v.refusal != nil {
		return refuse(v.refusal)
	}
	return nil
}

// complexityStats is the name gqlgen's complexity extension records its figures under.
const complexityStats = "ComplexityLimit"

// verdict is the outcome of measuring an operation.
type verdict struct {
	complexity int
	refusal    *Refusal
}

func (a *Admission) judge(c cost) verdict {
	v := verdict{complexity: c.Complexity}
	l := a.limits
	switch {
	case c.Introspects && !l.Introspection:
		v.refusal = &Refusal{Limit: LimitIntrospectionOff}
	case c.Schemas > 1:
		v.refusal = &Refusal{Limit: LimitIntrospection, Got: c.Schemas, Max: 1}
	case c.Depth > l.Depth:
		v.refusal = &Refusal{Limit: LimitDepth, Got: c.Depth, Max: l.Depth}
	case c.Complexity > l.Complexity:
		v.refusal = &Refusal{Limit: LimitComplexity, Got: c.Complexity, Max: l.Complexity}
	}
	return v
}

// documentKey identifies a document in the caches without keeping its text.
func documentKey(query string) string {
	sum := sha256.Sum256([]byte(query))
	return string(sum[:])
}

// refuse wraps r for the executor. A new error each time: the error presenter adds to it.
func refuse(r *Refusal) *gqlerror.Error {
	return &gqlerror.Error{Message: r.Error(), Err: r}
}

// Limit names what an operation was refused for.
type Limit string

// The limits an operation can be refused for.
const (
	LimitQueryBytes       Limit = "query bytes"
	LimitFragments        Limit = "fragments"
	LimitDirectives       Limit = "directives"
	LimitAliases          Limit = "aliases"
	LimitSelections       Limit = "selections"
	LimitRepeats          Limit = "repeated fields"
	LimitDepth            Limit = "depth"
	LimitComplexity       Limit = "complexity"
	LimitIntrospection    Limit = "introspection"
	LimitIntrospectionOff Limit = "introspection disabled"
)

// Refusal is an operation refused for going over a limit. Got is what the operation asks
// for; for selections and repeated fields it is where counting stopped.
type Refusal struct {
	Limit Limit
	Got   int
	Max   int
}

func (r *Refusal) Error() string {
	switch r.Limit {
	case LimitQueryBytes:
		return fmt.Sprintf("the query document is %d bytes; the limit is %d (send large values as variables)", r.Got, r.Max)
	case LimitFragments:
		return fmt.Sprintf("the document defines %d fragments; the limit is %d", r.Got, r.Max)
	case LimitDirectives:
		return fmt.Sprintf("the document uses %d directives; the limit is %d", r.Got, r.Max)
	case LimitAliases:
		return fmt.Sprintf("the document uses %d aliases; the limit is %d", r.Got, r.Max)
	case LimitSelections:
		return fmt.Sprintf("the document makes more than %d selections once its fragments are expanded", r.Max)
	case LimitRepeats:
		return fmt.Sprintf("the document repeats fields under one name at one place too often: more than %d pairs to compare", r.Max)
	case LimitDepth:
		return fmt.Sprintf("the operation nests %d levels deep; the limit is %d", r.Got, r.Max)
	case LimitComplexity:
		return fmt.Sprintf("operation has complexity %d, which exceeds the limit of %d", r.Got, r.Max)
	case LimitIntrospection:
		return fmt.Sprintf("an operation may select __schema once; this one does %d times", r.Got)
	case LimitIntrospectionOff:
		return "introspection is disabled on this server"
	}
	return fmt.Sprintf("over the %s limit of %d", r.Limit, r.Max)
}
