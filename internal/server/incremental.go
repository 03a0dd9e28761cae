package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/literaryai/ensemble/internal/errs"
)

// Incremental delivery (@defer) follows the 2022-08-24 format of the draft, the one gqlgen's
// executor produces and Apollo Client's Defer20220824Handler reads: an initial payload
// {"data", "hasNext": true}, then {"incremental": [{"data", "path", "label"}], "hasNext"},
// each in a part of a multipart/mixed response. The newer format (graphql-js 17 alpha 9:
// pending, completed and ids) needs the list of pending fragments with the initial
// payload, which the executor does not expose; a client asking only for it gets the
// whole result at once, which the draft allows (a server may always deliver a deferred
// fragment inline).

// incrementalBoundary separates the parts. Compact JSON holds no line break, so no
// payload can contain it.
const incrementalBoundary = "graphql"

// incrementalMedia is the Content-Type of an incremental response.
const incrementalMedia = `multipart/mixed; boundary="` + incrementalBoundary + `"; deferSpec=20220824`

// incrementalBatch bounds the payloads read ahead of the writer: those ready together go
// out in one part.
const incrementalBatch = 64

// incrementalAccepted reports whether accept asks for the incremental format this server
// writes, at least as much as for media (the JSON media type chosen, "" for none):
// multipart/mixed bare or with deferSpec=20220824. Another spec parameter
// (incrementalSpec=v0.2 of Apollo Client's GraphQL17Alpha9Handler, subscriptionSpec) names
// a format this server does not write.
func incrementalAccepted(accept, media string) bool {
	best := 0.0
	for part := range strings.SplitSeq(accept, ",") {
		rng, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || rng != "multipart/mixed" {
			continue
		}
		q := 1.0
		ours := true
		for name, v := range params {
			switch {
			case name == "q":
				if q, err = strconv.ParseFloat(v, 64); err != nil || q < 0 || q > 1 {
					ours = false
				}
			case name == "deferspec" && v == "20220824", name == "boundary":
			default:
				ours = false
			}
		}
		if ours {
			best = max(best, q)
		}
	}
	if best == 0 {
		return false
	}
	if media == "" {
		return true
	}
	q, _ := acceptQuality(accept, media)
	return best >= q
}

// incrementalKey marks the context of a request whose client takes incremental delivery.
type incrementalKey struct{}

// deferPolicy decides, once an operation is valid, whether its deferred fragments come
// later or inline. Later only for a query whose client takes incremental delivery
// (multipart/mixed over HTTP); everywhere else gqlgen's executor would leave them null
// for good: the JSON, SSE and WebSocket transports send one result per operation, and
// its mutation and subscription paths never send a deferred payload. Inline is what the
// draft allows when @defer cannot be honoured. A subscription whose @defer is on is
// refused instead: validation refuses the literal ones (as graphql-js 17 does), this the
// ones a variable turns on.
type deferPolicy struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = deferPolicy{}

func (deferPolicy) ExtensionName() string { return "DeferPolicy" }

func (deferPolicy) Validate(graphql.ExecutableSchema) error { return nil }

func (deferPolicy) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	// No "defer" in the text, no @defer: most operations cost this one scan.
	if oc.Operation == nil || !strings.Contains(oc.RawQuery, "defer") {
		return nil
	}
	op := oc.Operation.Operation
	if op == ast.Query && ctx.Value(incrementalKey{}) != nil {
		return nil
	}
	in := inliner{doc: oc.Doc, vars: oc.Variables, frags: map[string]*ast.FragmentDefinition{}}
	set, changed := in.selections(oc.Operation.SelectionSet)
	if op == ast.Subscription && in.active != nil {
		err := gqlerror.ErrorPosf(in.active.Position, "@defer is not supported in subscriptions: its if argument must be false here")
		errcode.Set(err, errcode.ValidationFailed)
		return err
	}
	fragsChanged := false
	for _, f := range oc.Doc.Fragments {
		if g := in.frags[f.Name]; g != nil && g != f {
			fragsChanged = true
		}
	}
	if !changed && !fragsChanged {
		return nil
	}
	// The document may be the query cache's, shared with other requests: its rewritten
	// parts are copies.
	operation := *oc.Operation
	operation.SelectionSet = set
	doc := *oc.Doc
	doc.Operations = slices.Clone(doc.Operations)
	for i, o := range doc.Operations {
		if o == oc.Operation {
			doc.Operations[i] = &operation
		}
	}
	doc.Fragments = slices.Clone(doc.Fragments)
	for i, f := range doc.Fragments {
		if g := in.frags[f.Name]; g != nil {
			doc.Fragments[i] = g
		}
	}
	oc.Doc, oc.Operation = &doc, &operation
	return nil
}

// inliner rewrites selections without their @defer directives, copying only what
// changes.
type inliner struct {
	doc  *ast.QueryDocument
	vars map[string]any
	// frags are the fragments reached so far, rewritten or not, by name.
	frags map[string]*ast.FragmentDefinition
	// active is the first @defer removed that would have deferred its fragment.
	active *ast.Directive
}

func (in *inliner) selections(set ast.SelectionSet) (ast.SelectionSet, bool) {
	var out ast.SelectionSet
	for i, sel := range set {
		next := in.selection(sel)
		if next != sel && out == nil {
			out = slices.Clone(set[:i])
		}
		if out != nil {
			out = append(out, next)
		}
	}
	if out == nil {
		return set, false
	}
	return out, true
}

func (in *inliner) selection(sel ast.Selection) ast.Selection {
	switch s := sel.(type) {
	case *ast.Field:
		set, changed := in.selections(s.SelectionSet)
		if !changed {
			return s
		}
		c := *s
		c.SelectionSet = set
		return &c
	case *ast.InlineFragment:
		set, changed := in.selections(s.SelectionSet)
		dirs, dropped := in.directives(s.Directives)
		if !changed && !dropped {
			return s
		}
		c := *s
		c.SelectionSet, c.Directives = set, dirs
		return &c
	case *ast.FragmentSpread:
		def := in.fragment(s.Name)
		dirs, dropped := in.directives(s.Directives)
		if !dropped && def == s.Definition {
			return s
		}
		c := *s
		c.Directives, c.Definition = dirs, def
		return &c
	}
	return sel
}

// fragment returns the fragment named name, rewritten if it holds a @defer.
func (in *inliner) fragment(name string) *ast.FragmentDefinition {
	if f, ok := in.frags[name]; ok {
		return f
	}
	f := in.doc.Fragments.ForName(name)
	if f == nil {
		return nil
	}
	// Recorded before its selections are: a cycle (which validation refuses) ends here.
	in.frags[name] = f
	if set, changed := in.selections(f.SelectionSet); changed {
		c := *f
		c.SelectionSet = set
		in.frags[name] = &c
	}
	return in.frags[name]
}

// directives returns list without @defer, and whether there was one.
func (in *inliner) directives(list ast.DirectiveList) (ast.DirectiveList, bool) {
	d := list.ForName("defer")
	if d == nil {
		return list, false
	}
	if in.active == nil && deferOn(d, in.vars) {
		in.active = d
	}
	return slices.DeleteFunc(slices.Clone(list), func(d *ast.Directive) bool { return d.Name == "defer" }), true
}

// deferOn reports whether d would defer its fragment, read as gqlgen's executor reads
// it: on unless its if argument is a value other than true.
func deferOn(d *ast.Directive, vars map[string]any) bool {
	arg := d.Arguments.ForName("if")
	if arg == nil {
		return true
	}
	v, err := arg.Value.Value(vars)
	if err != nil {
		return true
	}
	on, _ := v.(bool)
	return on
}

// hasNext reports whether more payloads of resp's operation are to come.
func hasNext(resp *graphql.Response) bool {
	return resp != nil && resp.HasNext != nil && *resp.HasNext
}

// initialPayload is the first payload of an incremental response.
type initialPayload struct {
	Errors     gqlerror.List   `json:"errors,omitempty"`
	Data       json.RawMessage `json:"data"`
	HasNext    bool            `json:"hasNext"`
	Extensions map[string]any  `json:"extensions,omitempty"`
}

// subsequentPayload is every payload after the first. Errors is set only when the
// operation ends before its deferred fragments do (its time limit).
type subsequentPayload struct {
	Errors      gqlerror.List     `json:"errors,omitempty"`
	Incremental []incrementalItem `json:"incremental,omitempty"`
	HasNext     bool              `json:"hasNext"`
}

// incrementalItem is one deferred fragment's data, at the path of the object it belongs
// to.
type incrementalItem struct {
	Errors     gqlerror.List   `json:"errors,omitempty"`
	Data       json.RawMessage `json:"data"`
	Path       ast.Path        `json:"path"`
	Label      string          `json:"label,omitempty"`
	Extensions map[string]any  `json:"extensions,omitempty"`
}

func dataOrNull(data json.RawMessage) json.RawMessage {
	if data == nil {
		return json.RawMessage("null")
	}
	return data
}

// multipartWriter writes the parts of an incremental response, each flushed as written.
type multipartWriter struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func startMultipart(w http.ResponseWriter) *multipartWriter {
	w.Header().Set("Content-Type", incrementalMedia)
	w.WriteHeader(http.StatusOK)
	// The delimiter starts with a line break (RFC 2046), which Apollo Client looks for
	// before the first part too.
	_, _ = io.WriteString(w, "\r\n--"+incrementalBoundary+"\r\n")
	return &multipartWriter{w: w, rc: http.NewResponseController(w)}
}

// part writes payload, then the delimiter: the closing one unless more parts follow.
// The delimiter goes out with the part, as clients take a part as complete only once
// they see it.
func (m *multipartWriter) part(payload any, more bool) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode an incremental payload: %w", err)
	}
	end := "--\r\n"
	if more {
		end = "\r\n"
	}
	var buf strings.Builder
	buf.Grow(len(b) + 96)
	buf.WriteString("Content-Type: application/json; charset=utf-8\r\n\r\n")
	buf.Write(b)
	buf.WriteString("\r\n--" + incrementalBoundary + end)
	if _, err := io.WriteString(m.w, buf.String()); err != nil {
		return fmt.Errorf("write an incremental payload: %w", err)
	}
	if err := m.rc.Flush(); err != nil {
		return fmt.Errorf("flush an incremental payload: %w", err)
	}
	return nil
}

// writeIncremental answers an operation whose first response is first as a multipart
// response: first, then the deferred payloads as they come, the ones ready together in
// one part. It ends with the operation's last payload, or sooner at the operation's
// time limit or when the client leaves (reqCtx ends). ctx is the operation's.
func writeIncremental(ctx, reqCtx context.Context, w http.ResponseWriter, exec graphql.GraphExecutor,
	responses graphql.ResponseHandler, first *graphql.Response) {
	mw := startMultipart(w)
	more := hasNext(first)
	nulls := newDeferredNulls(graphql.GetOperationContext(ctx))
	data := first.Data
	if more {
		data = nulls.strip(data, nil)
	}
	if err := mw.part(initialPayload{first.Errors, dataOrNull(data), more, first.Extensions}, more); err != nil || !more {
		return
	}
	results := make(chan *graphql.Response, incrementalBatch)
	go func() {
		// gqlgen's executor waits for a deferred result without watching ctx: once ctx
		// ends, this call may never return, so the writer never waits on it alone.
		defer close(results)
		for {
			resp := responses(ctx)
			if resp == nil {
				return
			}
			// Not ctx: the operation's last payload ends it as it is made (overload calls
			// off what is left), and that payload must still go out.
			select {
			case results <- resp:
			case <-reqCtx.Done():
				return
			}
			if !hasNext(resp) {
				return
			}
		}
	}()
	timedOut := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		if errors.Is(context.Cause(ctx), errs.ErrTimeout) {
			close(timedOut)
		}
	})
	defer stop()
	for {
		batch, ok := nextBatch(results, reqCtx.Done(), timedOut)
		p := subsequentPayload{Incremental: nulls.items(batch), HasNext: ok && hasNext(batch[len(batch)-1])}
		if p.HasNext && len(p.Incremental) == 0 {
			continue // all held back until their objects come
		}
		if !p.HasNext {
			p.Incremental = append(p.Incremental, nulls.rest()...)
		}
		if !ok && errors.Is(context.Cause(ctx), errs.ErrTimeout) {
			// The executor stops at the time limit without a word for the fragments still
			// pending: the client learns why they never come.
			p.Errors = exec.DispatchError(ctx, gqlerror.List{gqlerror.Wrap(errs.ErrTimeout)}).Errors
		}
		if err := mw.part(p, p.HasNext); err != nil || !p.HasNext {
			return
		}
	}
}

// nextBatch waits for the next payload, then takes those already waiting behind it, up
// to the operation's last. ok is false when the operation ended before its last payload
// (results closed, the client gone, or the time limit).
func nextBatch(results <-chan *graphql.Response, gone, timedOut <-chan struct{}) (batch []*graphql.Response, ok bool) {
	select {
	case r, open := <-results:
		if !open {
			return nil, false
		}
		batch = append(batch, r)
	case <-gone:
		return nil, false
	case <-timedOut:
		return nil, false
	}
	for hasNext(batch[len(batch)-1]) {
		select {
		case r, open := <-results:
			if !open {
				return batch, false
			}
			batch = append(batch, r)
		default:
			return batch, true
		}
	}
	return batch, true
}

// pathOrRoot is p, or the empty path of the root: the format always has a path.
func pathOrRoot(p ast.Path) ast.Path {
	if p == nil {
		return ast.Path{}
	}
	return p
}
