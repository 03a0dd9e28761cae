package resolvers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/literaryai/ensemble/graph/model"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/page"
	"github.com/literaryai/ensemble/internal/relationships"
	"github.com/literaryai/ensemble/internal/relay"
)

// Planner answers the queries relationship-graph frontends send most (pages of
// characters, their traits, and a page of relationships each with the characters at
// their ends; relationship maps) from a plan made of the whole selection, the way
// PostGraphile compiles a query: one round trip per level, every relationship page and
// its ends in one batch, and the response written straight from the rows. gqlgen's executor would start a
// goroutine per resolver field of every object and marshal field by field, which costs
// tens of microseconds per object.
//
// Anything the plan does not cover (another root field, a field outside the tables
// below, a directive other than @skip and @include, an argument it cannot read) goes to
// the executor unchanged, and so do arguments the executor would refuse: the planner
// never answers differently from it, only faster. TestPlannedAnswersEqualExecuted holds
// it to that.
func (r *Resolver) Planner() graphql.HandlerExtension {
	return planner{r: r, buffers: make(chan []byte, pooledBuffers)}
}

type planner struct {
	r *Resolver
	// buffers holds response buffers written responses gave back (see LendBuffers). Not
	// a sync.Pool: every garbage collection empties one, and a big map's answer makes
	// one nearly every time.
	buffers chan []byte
}

// pooledBuffers response buffers of at most maxPooled bytes are kept for reuse.
const (
	pooledBuffers = 4
	maxPooled     = 16 << 20
)

// leaseKey finds a request's lease in its context.
type leaseKey struct{}

// lease is what a request borrowed from a planner's buffers.
type lease struct {
	pool chan []byte
	bufs [][]byte
}

// LendBuffers lets the planner write a response into a buffer a previous response gave
// back, for a transport that writes the response itself: release gives it back once
// the response is written, and nothing may read the response after. A map of 25,000
// edges is an 8 MB answer; a fresh buffer for each would be memory the runtime zeroes
// and faults in every time.
func LendBuffers(ctx context.Context) (_ context.Context, release func()) {
	l := &lease{}
	return context.WithValue(ctx, leaseKey{}, l), func() {
		for _, b := range l.bufs {
			if cap(b) > maxPooled {
				continue
			}
			select {
			case l.pool <- b[:0]:
			default:
			}
		}
		l.bufs = nil
	}
}

// buffer is an empty buffer for a response: one a written response gave back when the
// request holds a lease, a new one otherwise.
func (p planner) buffer(ctx context.Context) []byte {
	if l, _ := ctx.Value(leaseKey{}).(*lease); l != nil {
		select {
		case b := <-p.buffers:
			return b
		default:
		}
	}
	return make([]byte, 0, 4<<10)
}

// lend records that the response in b is to come back to p's pool once written.
func (p planner) lend(ctx context.Context, b []byte) {
	if l, _ := ctx.Value(leaseKey{}).(*lease); l != nil {
		l.pool = p.buffers
		l.bufs = append(l.bufs, b)
	}
}

func (planner) ExtensionName() string                   { return "Planner" }
func (planner) Validate(graphql.ExecutableSchema) error { return nil }
func (p planner) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return next(ctx)
	}
	if _, err := auth.FromContext(ctx); err != nil {
		return next(ctx) // @auth answers
	}
	if len(graphql.GetErrors(ctx)) > 0 {
		return next(ctx) // the input boundary refused an argument: execution answers
	}
	q, ok := planQuery(oc)
	if !ok {
		return next(ctx)
	}
	data, err := q.run(ctx, p.r, p.buffer(ctx))
	if errors.Is(err, errReplan) {
		return next(ctx)
	}
	if err != nil {
		// Every root field is non-null: one error nulls the data, as in execution.
		at := ctx
		if root := (*rootError)(nil); errors.As(err, &root) {
			at, err = graphql.WithPathContext(ctx, graphql.NewPathWithField(root.field)), root.err
		}
		graphql.AddError(at, err)
		return &graphql.Response{Data: json.RawMessage("null"), Errors: graphql.GetErrors(ctx), Extensions: graphql.GetExtensions(ctx)}
	}
	p.lend(ctx, data)
	return &graphql.Response{Data: data, Extensions: graphql.GetExtensions(ctx)}
}

// errReplan says a planned query met data it cannot answer alone: a relationship whose
// end was deleted between the statements of its batch. The executor answers instead.
var errReplan = errors.New("plan: answer by execution")

// rootError is a root field's error, answered at the field's path as the executor would.
type rootError struct {
	field string
	err   error
}

func (e *rootError) Error() string { return e.err.Error() }
func (e *rootError) Unwrap() error { return e.err }

func atRoot(f graphql.CollectedField, err error) error { return &rootError{field: f.Alias, err: err} }

// plannedQuery is an operation whose root fields are all character pages or
// relationship maps.
type plannedQuery struct {
	oc     *graphql.OperationContext
	fields []graphql.CollectedField
	pages  []*characterPage
	maps   []*mapPlan
	// rels are the distinct relationship pages asked of the characters, by arguments;
	// relOf the one each relationships field asks.
	rels  map[relKey]*relRequest
	relOf map[*ast.Field]*relRequest
}

// mapPlan is a relationshipMap field: the map is drawn by the relationship service as
// for the executor, and written here without a field execution per node and edge.
type mapPlan struct {
	field     graphql.CollectedField
	ecosystem uuid.UUID
	filter    relationships.MapFilter
	asOf      *time.Time
	found     *relationships.Map
}

type characterPage struct {
	field  graphql.CollectedField
	filter characters.Filter
	args   page.Args
	total  bool
	found  page.Page[*characters.Character]
	count  int
}

// relKey tells relationship pages apart: the same arguments under two aliases share one
// request.
type relKey string

type relRequest struct {
	filter relationships.Filter
	args   page.Args
	ends   bool
	count  bool
	result relationships.PageResult
}

func planQuery(oc *graphql.OperationContext) (*plannedQuery, bool) {
	q := &plannedQuery{oc: oc, rels: map[relKey]*relRequest{}, relOf: map[*ast.Field]*relRequest{}}
	q.fields = graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Query"})
	for _, f := range q.fields {
		if !plainDirectives(f) {
			return nil, false
		}
		switch f.Name {
		case "__typename":
		case "characters":
			cp, ok := q.planCharacterPage(f)
			if !ok {
				return nil, false
			}
			q.pages = append(q.pages, cp)
		case "relationshipMap":
			mp, ok := q.planMap(f)
			if !ok {
				return nil, false
			}
			q.maps = append(q.maps, mp)
		default:
			return nil, false
		}
	}
	return q, len(q.pages)+len(q.maps) > 0
}

func (q *plannedQuery) planMap(f graphql.CollectedField) (*mapPlan, bool) {
	args := f.ArgumentMap(q.oc.Variables)
	raw, ok := args["ecosystemId"].(string)
	if !ok {
		return nil, false
	}
	eid, err := relay.Parse("ecosystemId", raw, typeEcosystem)
	if err != nil {
		return nil, false
	}
	mp := &mapPlan{field: f, ecosystem: eid}
	if v := args["asOf"]; v != nil {
		t, err := model.UnmarshalTime(v)
		if err != nil {
			return nil, false
		}
		mp.asOf = &t
	}
	if v := args["filter"]; v != nil {
		in, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		var mf model.RelationshipMapFilter
		for k, val := range in {
			switch k {
			case "types":
				if mf.Types, ok = listArg[relationships.Type](val); !ok {
					return nil, false
				}
			case "minStrength":
				if mf.MinStrength, ok = floatArg(val); !ok {
					return nil, false
				}
			case "characterIds":
				if mf.CharacterIds, ok = listArg[string](val); !ok {
					return nil, false
				}
			default:
				return nil, false
			}
		}
		if mp.filter, err = mapFilter(&mf); err != nil {
			return nil, false
		}
	}
	for _, cf := range q.collect(f.Selections, "RelationshipMap") {
		if !plainDirectives(cf) {
			return nil, false
		}
		switch cf.Name {
		case "__typename", "asOf":
		case "nodes":
			if !q.plainObject(cf.Selections, "MapNode", mapNodeFields) {
				return nil, false
			}
		case "edges":
			if !q.plainObject(cf.Selections, "MapEdge", mapEdgeFields) {
				return nil, false
			}
		case "edgeColumns":
			if !q.plainObject(cf.Selections, "MapEdgeColumns", edgeColumnFields) {
				return nil, false
			}
		default:
			return nil, false
		}
	}
	return mp, true
}

// plainDirectives reports whether f carries only @skip and @include, which CollectFields
// has already applied.
func plainDirectives(f graphql.CollectedField) bool {
	if len(f.Deferrables) > 0 {
		return false
	}
	for _, d := range f.Directives {
		if d.Name != "skip" && d.Name != "include" {
			return false
		}
	}
	return true
}

func (q *plannedQuery) planCharacterPage(f graphql.CollectedField) (*characterPage, bool) {
	args := f.ArgumentMap(q.oc.Variables)
	a, ok := pageArgs(args)
	if !ok {
		return nil, false
	}
	cp := &characterPage{field: f, args: a}
	if raw, ok := args["filter"].(map[string]any); ok {
		for k, v := range raw {
			switch k {
			case "ecosystemId":
				s, ok := optionalArg[string](v)
				if !ok {
					return nil, false
				}
				if s == nil {
					continue
				}
				id, err := relay.Parse("filter.ecosystemId", *s, typeEcosystem)
				if err != nil {
					return nil, false
				}
				cp.filter.EcosystemID = &id
			case "isActive":
				var ok bool
				if cp.filter.IsActive, ok = optionalArg[bool](v); !ok {
					return nil, false
				}
			case "search":
				var ok bool
				if cp.filter.Search, ok = optionalArg[string](v); !ok {
					return nil, false
				}
			default:
				return nil, false
			}
		}
	} else if args["filter"] != nil {
		return nil, false
	}
	total, ok := q.planConnection(f.Selections, "Character", func(set ast.SelectionSet) bool { return q.planCharacter(set, true) })
	if !ok {
		return nil, false
	}
	cp.total = total
	return cp, true
}

// planCharacter checks a character's selection; withRelationships says whether its
// relationships may be planned (the characters of a page: yes; those at the ends of a
// relationship: no, that would be a level more).
func (q *plannedQuery) planCharacter(set ast.SelectionSet, withRelationships bool) bool {
	for _, f := range q.collect(set, "Character") {
		if !plainDirectives(f) {
			return false
		}
		switch {
		case characterLeaves[f.Name] != nil:
		case f.Name == "personalityTraits":
			if !q.plainObject(f.Selections, "PersonalityTraits", traitFields) {
				return false
			}
		case f.Name == "relationships" && withRelationships:
			if !q.planRelationships(f) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

func (q *plannedQuery) planRelationships(f graphql.CollectedField) bool {
	args := f.ArgumentMap(q.oc.Variables)
	a, ok := pageArgs(args)
	if !ok {
		return false
	}
	filter, ok := relFilter(args["filter"])
	if !ok || filter.Validate() != nil {
		return false
	}
	key := keyOf(filter, a)
	req := q.rels[key]
	if req == nil {
		req = &relRequest{filter: filter, args: a}
		q.rels[key] = req
	}
	if other := q.relOf[f.Field]; other != nil && other != req {
		return false
	}
	q.relOf[f.Field] = req
	count, ok := q.planConnection(f.Selections, "Relationship", func(set ast.SelectionSet) bool { return q.planRelationship(set, req) })
	req.count = req.count || count
	return ok
}

// planConnection checks the selection of a connection of typ (typ+"Connection", its
// edges typ+"Edge"), whose nodes node checks; total says whether totalCount is asked.
func (q *plannedQuery) planConnection(set ast.SelectionSet, typ string, node func(ast.SelectionSet) bool) (total, ok bool) {
	for _, f := range q.collect(set, typ+"Connection") {
		if !plainDirectives(f) {
			return false, false
		}
		switch f.Name {
		case "__typename":
		case "totalCount":
			total = true
		case "pageInfo":
			if !q.plainObject(f.Selections, "PageInfo", pageInfoFields) {
				return false, false
			}
		case "nodes":
			if !node(f.Selections) {
				return false, false
			}
		case "edges":
			for _, ef := range q.collect(f.Selections, typ+"Edge") {
				if !plainDirectives(ef) {
					return false, false
				}
				switch ef.Name {
				case "__typename", "cursor":
				case "node":
					if !node(ef.Selections) {
						return false, false
					}
				default:
					return false, false
				}
			}
		default:
			return false, false
		}
	}
	return total, true
}

// keyOf is the value of a relationship page's arguments.
func keyOf(f relationships.Filter, a page.Args) relKey {
	num := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return strconv.FormatFloat(*p, 'g', -1, 64)
	}
	after := ""
	if a.After != nil {
		after = a.After.String()
	}
	return relKey(fmt.Sprintf("%v|%s|%s|%s|%d|%s", f.Types, f.Direction, num(f.MinStrength), num(f.MaxStrength), a.First, after))
}

func (q *plannedQuery) planRelationship(set ast.SelectionSet, req *relRequest) bool {
	for _, f := range q.collect(set, "Relationship") {
		if !plainDirectives(f) {
			return false
		}
		switch {
		case relationshipLeaves[f.Name] != nil:
		case f.Name == "from" || f.Name == "to":
			req.ends = true
			if !q.planCharacter(f.Selections, false) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// plainObject checks a selection of scalar fields of typ.
func (q *plannedQuery) plainObject(set ast.SelectionSet, typ string, fields map[string]bool) bool {
	for _, f := range q.collect(set, typ) {
		if !plainDirectives(f) || !fields[f.Name] {
			return false
		}
	}
	return true
}

func (q *plannedQuery) collect(set ast.SelectionSet, typ string) []graphql.CollectedField {
	return graphql.CollectFields(q.oc, set, []string{typ})
}

// pageArgs reads first and after as page.Parse would, or reports that the executor
// should (and answer the error).
func pageArgs(args map[string]any) (page.Args, bool) {
	var first *int
	if v, ok := args["first"]; ok && v != nil {
		n, ok := intArg(v)
		if !ok {
			return page.Args{}, false
		}
		first = &n
	}
	after, ok := optionalArg[string](args["after"])
	if !ok {
		return page.Args{}, false
	}
	a, err := page.Parse(first, after)
	return a, err == nil
}

// optionalArg reads a nullable argument of type T: nil for null, and false for a value
// of another type (which the executor then reports).
func optionalArg[T any](v any) (*T, bool) {
	if v == nil {
		return nil, true
	}
	t, ok := v.(T)
	if !ok {
		return nil, false
	}
	return &t, true
}

func intArg(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), int64(int(n)) == n
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	case float64:
		return int(n), float64(int(n)) == n
	}
	return 0, false
}

func floatArg(v any) (*float64, bool) {
	switch n := v.(type) {
	case nil:
		return nil, true
	case float64:
		return &n, true
	case int64:
		f := float64(n)
		return &f, true
	case int:
		f := float64(n)
		return &f, true
	case json.Number:
		f, err := n.Float64()
		return &f, err == nil
	}
	return nil, false
}

// listArg reads a nullable list argument of strings (nil for null), false for anything else.
func listArg[T ~string](v any) ([]T, bool) {
	if v == nil {
		return nil, true
	}
	list, ok := v.([]any)
	if !ok {
		return nil, false
	}
	out := make([]T, 0, len(list))
	for _, x := range list {
		s, ok := x.(string)
		if !ok {
			return nil, false
		}
		out = append(out, T(s))
	}
	return out, true
}

// relFilter reads a RelationshipFilter argument as relationshipFilter converts it.
func relFilter(v any) (relationships.Filter, bool) {
	in := &model.RelationshipFilter{}
	switch raw := v.(type) {
	case nil:
		return relationshipFilter(nil), true
	case map[string]any:
		for k, val := range raw {
			switch k {
			case "types":
				var ok bool
				if in.Types, ok = listArg[relationships.Type](val); !ok {
					return relationships.Filter{}, false
				}
			case "direction":
				s, ok := optionalArg[string](val)
				if !ok {
					return relationships.Filter{}, false
				}
				if s != nil {
					d := relationships.Direction(*s)
					in.Direction = &d
				}
			case "minStrength", "maxStrength":
				f, ok := floatArg(val)
				if !ok {
					return relationships.Filter{}, false
				}
				if k == "minStrength" {
					in.MinStrength = f
				} else {
					in.MaxStrength = f
				}
			default:
				return relationships.Filter{}, false
			}
		}
		return relationshipFilter(in), true
	}
	return relationships.Filter{}, false
}

// run loads what the plan needs, a round trip per level, and writes the data.
func (q *plannedQuery) run(ctx context.Context, r *Resolver, buf []byte) (json.RawMessage, error) {
	viewer := viewer(ctx)
	for _, mp := range q.maps {
		found, err := r.RelationshipService.Map(ctx, viewer, mp.ecosystem, mp.filter, mp.asOf)
		if err != nil {
			return nil, atRoot(mp.field, err)
		}
		mp.found = found
	}
	var cast []*characters.Character
	seen := map[uuid.UUID]bool{}
	for _, cp := range q.pages {
		var found page.Page[*characters.Character]
		var err error
		if cp.total {
			found, cp.count, err = r.CharacterService.ListCounted(ctx, viewer, cp.filter, cp.args)
		} else {
			found, err = r.CharacterService.List(ctx, viewer, cp.filter, cp.args)
		}
		if err != nil {
			return nil, atRoot(cp.field, err)
		}
		cp.found = found
		for _, c := range found.Items {
			if !seen[c.ID] {
				seen[c.ID] = true
				cast = append(cast, c)
			}
		}
	}
	if len(q.rels) > 0 && len(cast) > 0 {
		reqs := make([]relationships.PageRequest, 0, len(q.rels))
		order := make([]*relRequest, 0, len(q.rels))
		for _, req := range q.rels {
			reqs = append(reqs, relationships.PageRequest{Characters: cast, Filter: req.filter, Args: req.args, Ends: req.ends, Count: req.count})
			order = append(order, req)
		}
		got, err := r.RelationshipService.LoadPages(ctx, reqs)
		if err != nil {
			return nil, atRoot(q.pages[0].field, err)
		}
		for i, req := range order {
			req.result = got[i]
			if req.ends && !endsLoaded(req.result) {
				return nil, errReplan
			}
		}
	}
	w := &jsonWriter{buf: buf}
	w.open()
	pages, maps := q.pages, q.maps
	for _, f := range q.fields {
		w.key(f.Alias)
		switch f.Name {
		case "__typename":
			w.string("Query")
		case "characters":
			q.writeCharacterPage(w, pages[0])
			pages = pages[1:]
		case "relationshipMap":
			q.writeMap(w, maps[0])
			maps = maps[1:]
		}
	}
	w.close()
	return w.buf, nil
}

func endsLoaded(r relationships.PageResult) bool {
	for _, page := range r.Pages {
		for _, rel := range page {
			if r.Ends[rel.FromID] == nil || r.Ends[rel.ToID] == nil {
				return false
			}
		}
	}
	return true
}

func (q *plannedQuery) writeCharacterPage(w *jsonWriter, cp *characterPage) {
	w.grow(len(cp.found.Items) * 1024)
	writeConnection(q, w, cp.field.Selections, "Character", cp.found.Items, cp.found.HasNext, cp.count, characters.Cursor,
		func(set ast.SelectionSet, c *characters.Character) { q.writeCharacter(w, set, c) })
}

// writeConnection writes a connection of typ (see planConnection) over items, the page
// without its extra row.
func writeConnection[T any](q *plannedQuery, w *jsonWriter, set ast.SelectionSet, typ string, items []T, hasNext bool, total int,
	cursor func(T) page.Cursor, node func(ast.SelectionSet, T)) {
	w.open()
	for _, f := range q.collect(set, typ+"Connection") {
		w.key(f.Alias)
		switch f.Name {
		case "__typename":
			w.string(typ + "Connection")
		case "totalCount":
			w.int(total)
		case "pageInfo":
			q.writePageInfo(w, f.Selections, hasNext, len(items) > 0, func(i int) string { return cursor(items[i]).String() }, len(items))
		case "nodes":
			w.array(len(items), func(i int) { node(f.Selections, items[i]) })
		case "edges":
			sel := q.collect(f.Selections, typ+"Edge")
			w.array(len(items), func(i int) {
				w.open()
				for _, ef := range sel {
					w.key(ef.Alias)
					switch ef.Name {
					case "__typename":
						w.string(typ + "Edge")
					case "cursor":
						w.string(cursor(items[i]).String())
					case "node":
						node(ef.Selections, items[i])
					}
				}
				w.close()
			})
		}
	}
	w.close()
}

func (q *plannedQuery) writePageInfo(w *jsonWriter, set ast.SelectionSet, hasNext, any bool, cursor func(int) string, n int) {
	w.open()
	for _, f := range q.collect(set, "PageInfo") {
		w.key(f.Alias)
		switch f.Name {
		case "__typename":
			w.string("PageInfo")
		case "hasNextPage":
			w.bool(hasNext)
		case "hasPreviousPage":
			w.bool(false)
		case "startCursor", "endCursor":
			switch {
			case !any:
				w.null()
			case f.Name == "startCursor":
				w.string(cursor(0))
			default:
				w.string(cursor(n - 1))
			}
		}
	}
	w.close()
}

func (q *plannedQuery) writeCharacter(w *jsonWriter, set ast.SelectionSet, c *characters.Character) {
	w.open()
	for _, f := range q.collect(set, "Character") {
		w.key(f.Alias)
		if leaf := characterLeaves[f.Name]; leaf != nil {
			leaf(w, c)
			continue
		}
		switch f.Name {
		case "personalityTraits":
			q.writeTraits(w, f.Selections, c.Traits)
		case "relationships":
			q.writeRelationships(w, f, c.ID)
		}
	}
	w.close()
}

func (q *plannedQuery) writeTraits(w *jsonWriter, set ast.SelectionSet, t characters.Traits) {
	w.open()
	for _, f := range q.collect(set, "PersonalityTraits") {
		w.key(f.Alias)
		switch f.Name {
		case "__typename":
			w.string("PersonalityTraits")
		case "openness":
			w.float(t.Openness)
		case "conscientiousness":
			w.float(t.Conscientiousness)
		case "extraversion":
			w.float(t.Extraversion)
		case "agreeableness":
			w.float(t.Agreeableness)
		case "neuroticism":
			w.float(t.Neuroticism)
		}
	}
	w.close()
}

func (q *plannedQuery) writeRelationships(w *jsonWriter, f graphql.CollectedField, of uuid.UUID) {
	req := q.relOf[f.Field]
	rows := req.result.Pages[of]
	hasNext := len(rows) > req.args.First
	if hasNext {
		rows = rows[:req.args.First]
	}
	writeConnection(q, w, f.Selections, "Relationship", rows, hasNext, req.result.Counts[of], relationships.Cursor,
		func(set ast.SelectionSet, r *relationships.Relationship) { q.writeRelationship(w, set, r, req) })
}

func (q *plannedQuery) writeRelationship(w *jsonWriter, set ast.SelectionSet, rel *relationships.Relationship, req *relRequest) {
	w.open()
	for _, f := range q.collect(set, "Relationship") {
		w.key(f.Alias)
		if leaf := relationshipLeaves[f.Name]; leaf != nil {
			leaf(w, rel)
			continue
		}
		end := rel.ToID
		if f.Name == "from" {
			end = rel.FromID
		}
		// run made sure every end is loaded.
		q.writeCharacter(w, f.Selections, req.result.Ends[end])
	}
	w.close()
}

func (q *plannedQuery) writeMap(w *jsonWriter, mp *mapPlan) {
	m := mp.found
	// An edge's ends are nodes of the map: their ids are written once and copied.
	nodeIDs := make([][]byte, len(m.Nodes))
	var ids []byte
	for i := range m.Nodes {
		start := len(ids)
		ids = append(ids, '"')
		ids = relay.AppendID(ids, typeCharacter, m.Nodes[i].ID)
		ids = append(ids, '"')
		nodeIDs[i] = ids[start:len(ids):len(ids)]
	}
	w.grow(len(m.Nodes)*120 + len(m.Edges)*320)
	w.open()
	for _, f := range q.collect(mp.field.Selections, "RelationshipMap") {
		w.key(f.Alias)
		switch f.Name {
		case "__typename":
			w.string("RelationshipMap")
		case "asOf":
			w.optTime(m.AsOf)
		case "nodes":
			sel := q.collect(f.Selections, "MapNode")
			w.array(len(m.Nodes), func(i int) {
				n := &m.Nodes[i]
				w.open()
				for _, nf := range sel {
					w.key(nf.Alias)
					switch nf.Name {
					case "__typename":
						w.string("MapNode")
					case "id":
						w.buf = append(w.buf, nodeIDs[i]...)
					case "name":
						w.string(n.Name)
					case "emotion":
						w.string(n.CurrentEmotion)
					case "degree":
						w.int(n.Degree)
					}
				}
				w.close()
			})
		case "edges":
			sel := q.collect(f.Selections, "MapEdge")
			w.array(len(m.Edges), func(i int) {
				e := &m.Edges[i]
				w.open()
				for _, ef := range sel {
					w.key(ef.Alias)
					switch ef.Name {
					case "__typename":
						w.string("MapEdge")
					case "id":
						w.id(typeRelationship, e.ID)
					case "from":
						from, _ := m.EdgeEnds(i)
						w.buf = append(w.buf, nodeIDs[from]...)
					case "to":
						_, to := m.EdgeEnds(i)
						w.buf = append(w.buf, nodeIDs[to]...)
					case "type":
						w.string(string(e.Type))
					case "label":
						w.optString(e.Label)
					case "strength":
						w.float(e.Strength)
					case "trust":
						w.float(e.Trust)
					case "familiarity":
						w.float(e.Familiarity)
					}
				}
				w.close()
			})
		case "edgeColumns":
			c := m.EdgeColumns()
			w.open()
			for _, cf := range q.collect(f.Selections, "MapEdgeColumns") {
				w.key(cf.Alias)
				switch cf.Name {
				case "__typename":
					w.string("MapEdgeColumns")
				case "ids":
					w.strings(c.IDs)
				case "from":
					w.array(len(c.From), func(i int) { w.int(c.From[i]) })
				case "to":
					w.array(len(c.To), func(i int) { w.int(c.To[i]) })
				case "types":
					w.array(len(c.Types), func(i int) { w.string(string(c.Types[i])) })
				case "strength":
					w.array(len(c.Strength), func(i int) { w.float(c.Strength[i]) })
				case "trust":
					w.array(len(c.Trust), func(i int) { w.float(c.Trust[i]) })
				case "familiarity":
					w.array(len(c.Familiarity), func(i int) { w.float(c.Familiarity[i]) })
				}
			}
			w.close()
		}
	}
	w.close()
}

var mapNodeFields = map[string]bool{"__typename": true, "id": true, "name": true, "emotion": true, "degree": true}

var mapEdgeFields = map[string]bool{"__typename": true, "id": true, "from": true, "to": true, "type": true, "label": true,
	"strength": true, "trust": true, "familiarity": true}

var edgeColumnFields = map[string]bool{"__typename": true, "ids": true, "from": true, "to": true, "types": true,
	"strength": true, "trust": true, "familiarity": true}

var pageInfoFields = map[string]bool{"__typename": true, "hasNextPage": true, "hasPreviousPage": true, "startCursor": true, "endCursor": true}

var traitFields = map[string]bool{"__typename": true, "openness": true, "conscientiousness": true, "extraversion": true, "agreeableness": true, "neuroticism": true}

// characterLeaves write a character's scalar fields as the executor marshals them.
var characterLeaves = map[string]func(*jsonWriter, *characters.Character){
	"__typename":     func(w *jsonWriter, _ *characters.Character) { w.string("Character") },
	"id":             func(w *jsonWriter, c *characters.Character) { w.id(typeCharacter, c.ID) },
	"name":           func(w *jsonWriter, c *characters.Character) { w.string(c.Name) },
	"description":    func(w *jsonWriter, c *characters.Character) { w.string(c.Description) },
	"backstory":      func(w *jsonWriter, c *characters.Character) { w.string(c.Backstory) },
	"speakingStyle":  func(w *jsonWriter, c *characters.Character) { w.string(c.SpeakingStyle) },
	"goals":          func(w *jsonWriter, c *characters.Character) { w.strings(c.Goals) },
	"autonomyLevel":  func(w *jsonWriter, c *characters.Character) { w.float(c.AutonomyLevel) },
	"socialEnergy":   func(w *jsonWriter, c *characters.Character) { w.float(c.SocialEnergy) },
	"currentEmotion": func(w *jsonWriter, c *characters.Character) { w.string(c.CurrentEmotion) },
	"isActive":       func(w *jsonWriter, c *characters.Character) { w.bool(c.IsActive) },
	"memorySummary":  func(w *jsonWriter, c *characters.Character) { w.string(c.MemorySummary) },
	"currentContext": func(w *jsonWriter, c *characters.Character) { w.marshaler(graphql.MarshalMap(c.CurrentContext)) },
	"lastInteraction": func(w *jsonWriter, c *characters.Character) {
		w.optTime(c.LastInteraction)
	},
	"createdAt": func(w *jsonWriter, c *characters.Character) { w.time(c.CreatedAt) },
	"updatedAt": func(w *jsonWriter, c *characters.Character) { w.time(c.UpdatedAt) },
}

// relationshipLeaves write a relationship's scalar fields as the executor marshals them.
var relationshipLeaves = map[string]func(*jsonWriter, *relationships.Relationship){
	"__typename":  func(w *jsonWriter, _ *relationships.Relationship) { w.string("Relationship") },
	"id":          func(w *jsonWriter, r *relationships.Relationship) { w.id(typeRelationship, r.ID) },
	"type":        func(w *jsonWriter, r *relationships.Relationship) { w.string(string(r.Type)) },
	"label":       func(w *jsonWriter, r *relationships.Relationship) { w.optString(r.Label) },
	"strength":    func(w *jsonWriter, r *relationships.Relationship) { w.float(r.Strength) },
	"trust":       func(w *jsonWriter, r *relationships.Relationship) { w.float(r.Trust) },
	"familiarity": func(w *jsonWriter, r *relationships.Relationship) { w.float(r.Familiarity) },
	"notes":       func(w *jsonWriter, r *relationships.Relationship) { w.string(r.Notes) },
	"since":       func(w *jsonWriter, r *relationships.Relationship) { w.optTime(r.Since) },
	"createdAt":   func(w *jsonWriter, r *relationships.Relationship) { w.time(r.CreatedAt) },
	"updatedAt":   func(w *jsonWriter, r *relationships.Relationship) { w.time(r.UpdatedAt) },
}

// jsonWriter appends a response; values go through gqlgen's own marshalers where the
// bytes are not trivially the same, so a planned answer reads as an executed one.
type jsonWriter struct {
	buf []byte
	// first says whether the object being written has no field yet.
	first []bool
}

// grow makes room for n more bytes at once: a big map's response would otherwise be
// copied a dozen times as it doubles.
func (w *jsonWriter) grow(n int) { w.buf = slices.Grow(w.buf, n) }

func (w *jsonWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	return len(p), nil
}

func (w *jsonWriter) open() {
	w.buf = append(w.buf, '{')
	w.first = append(w.first, true)
}

func (w *jsonWriter) close() {
	w.buf = append(w.buf, '}')
	w.first = w.first[:len(w.first)-1]
}

func (w *jsonWriter) key(k string) {
	if top := len(w.first) - 1; w.first[top] {
		w.first[top] = false
	} else {
		w.buf = append(w.buf, ',')
	}
	w.string(k)
	w.buf = append(w.buf, ':')
}

func (w *jsonWriter) array(n int, item func(int)) {
	w.buf = append(w.buf, '[')
	for i := range n {
		if i > 0 {
			w.buf = append(w.buf, ',')
		}
		item(i)
	}
	w.buf = append(w.buf, ']')
}

// string writes s as graphql.MarshalString does; names and ids are mostly printable
// ASCII, which JSON takes as is.
func (w *jsonWriter) string(s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			graphql.MarshalString(s).MarshalGQL(w)
			return
		}
	}
	w.buf = append(w.buf, '"')
	w.buf = append(w.buf, s...)
	w.buf = append(w.buf, '"')
}

func (w *jsonWriter) strings(list []string) {
	w.array(len(list), func(i int) { w.string(list[i]) })
}

func (w *jsonWriter) optString(s *string) {
	if s == nil {
		w.null()
		return
	}
	w.string(*s)
}

// id writes a global id; base64url needs no escaping.
func (w *jsonWriter) id(typ string, id uuid.UUID) {
	w.buf = append(w.buf, '"')
	w.buf = relay.AppendID(w.buf, typ, id)
	w.buf = append(w.buf, '"')
}

func (w *jsonWriter) null() { w.buf = append(w.buf, "null"...) }

func (w *jsonWriter) bool(b bool) { w.buf = strconv.AppendBool(w.buf, b) }

func (w *jsonWriter) int(n int) { w.buf = strconv.AppendInt(w.buf, int64(n), 10) }

// float writes f as graphql.MarshalFloatContext does (%g, the shortest form that reads
// back the same); stored values are finite (CHECK constraints).
func (w *jsonWriter) float(f float64) { w.buf = strconv.AppendFloat(w.buf, f, 'g', -1, 64) }

func (w *jsonWriter) time(t time.Time) { model.MarshalTime(t).MarshalGQL(w) }

func (w *jsonWriter) optTime(t *time.Time) {
	if t == nil {
		w.null()
		return
	}
	w.time(*t)
}

func (w *jsonWriter) marshaler(m graphql.Marshaler) { m.MarshalGQL(w) }
