package graphqlws_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

const testSDL = `
type Query { hello: String, boom: String }
type Subscription { count(to: Int!): Int, forever: Int, explode: Int }
`

// userKey carries the user a test Init put on the connection context; hello answers it.
type userKey struct{}

// resolverEnd reports how a subscription resolver's goroutine ended.
type resolverEnd struct {
	field     string
	cancelled bool
}

// testSchema is a hand-written graphql.ExecutableSchema standing in for gqlgen's generated
// one, so that the real handler and executor (parsing, validation, error presentation) sit
// between the transport and the resolvers. Like generated code, Exec reads the operation
// from the context, a subscription resolver runs on its own goroutine feeding a channel
// until its context ends, and the returned handler yields nil at the end of the stream.
type testSchema struct {
	schema *ast.Schema
	// pace is the delay between forever events; zero produces as fast as they are pulled.
	pace time.Duration
	ends chan resolverEnd
	// started counts subscription executions.
	started atomic.Int64
	// gate holds explode back until it is closed.
	gate chan struct{}
}

var _ graphql.ExecutableSchema = (*testSchema)(nil)

func newTestSchema(pace time.Duration) *testSchema {
	return &testSchema{
		schema: gqlparser.MustLoadSchema(&ast.Source{Name: "test.graphql", Input: testSDL}),
		pace:   pace,
		ends:   make(chan resolverEnd, 256),
		gate:   make(chan struct{}),
	}
}

func (s *testSchema) Schema() *ast.Schema { return s.schema }

func (s *testSchema) Complexity(context.Context, string, string, int, map[string]any) (int, bool) {
	return 0, false
}

func (s *testSchema) Exec(ctx context.Context) graphql.ResponseHandler {
	opCtx := graphql.GetOperationContext(ctx)
	switch opCtx.Operation.Operation {
	case ast.Query:
		return graphql.OneShot(s.query(ctx, opCtx))
	case ast.Subscription:
		return s.subscribe(ctx, opCtx)
	default:
		return graphql.OneShot(graphql.ErrorResponse(ctx, "unsupported GraphQL operation"))
	}
}

func (s *testSchema) query(ctx context.Context, opCtx *graphql.OperationContext) *graphql.Response {
	data := map[string]any{}
	for _, sel := range opCtx.Operation.SelectionSet {
		f := sel.(*ast.Field)
		switch f.Name {
		case "hello":
			user, ok := ctx.Value(userKey{}).(string)
			if !ok {
				user = "world"
			}
			data[f.Alias] = user
		case "boom":
			panic("boom resolver failed")
		case "__typename":
			data[f.Alias] = "Query"
		}
	}
	b, err := json.Marshal(data)
	if err != nil {
		return graphql.ErrorResponse(ctx, "marshal: %v", err)
	}
	return &graphql.Response{Data: b}
}

func (s *testSchema) subscribe(ctx context.Context, opCtx *graphql.OperationContext) graphql.ResponseHandler {
	f := opCtx.Operation.SelectionSet[0].(*ast.Field)
	limit := 0
	if f.Name == "count" {
		n, err := strconv.Atoi(fmt.Sprint(f.ArgumentMap(opCtx.Variables)["to"]))
		if err != nil {
			return graphql.OneShot(graphql.ErrorResponse(ctx, "bad to: %v", err))
		}
		limit = n
	}
	s.started.Add(1)
	if f.Name == "explode" {
		return func(ctx context.Context) *graphql.Response {
			select {
			case <-s.gate:
			case <-ctx.Done():
				return nil
			}
			panic("explode resolver failed")
		}
	}
	ch := make(chan int)
	go s.produce(ctx, f.Name, limit, ch)
	return func(ctx context.Context) *graphql.Response {
		select {
		case v, ok := <-ch:
			if !ok {
				return nil
			}
			return &graphql.Response{Data: json.RawMessage(fmt.Sprintf(`{%q:%d}`, f.Alias, v))}
		case <-ctx.Done():
			return nil
		}
	}
}

// produce is the resolver's goroutine: it sends 1, 2, ... (up to limit when positive) and
// reports whether it stopped because its context was cancelled.
func (s *testSchema) produce(ctx context.Context, field string, limit int, ch chan<- int) {
	defer close(ch)
	for i := 1; limit <= 0 || i <= limit; i++ {
		select {
		case ch <- i:
		case <-ctx.Done():
			s.report(field, true)
			return
		}
		if s.pace > 0 && !sleep(ctx, s.pace) {
			s.report(field, true)
			return
		}
	}
	s.report(field, false)
}

func (s *testSchema) report(field string, cancelled bool) {
	select {
	case s.ends <- resolverEnd{field: field, cancelled: cancelled}:
	default:
	}
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
