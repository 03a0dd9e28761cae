package server

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/literaryai/ensemble/graph"
	"github.com/literaryai/ensemble/internal/graphqlws"
	"github.com/literaryai/ensemble/internal/loaders"
)

// maxJSONBody bounds a non-upload GraphQL request body.
const maxJSONBody = 1 << 20

func newGraphQL(d Deps) *handler.Server {
	srv := handler.New(graph.NewExecutableSchema(d.Resolver.Config()))
	creds := newCredentials(d.Resolver.AuthService, d.Bus)
	// Upgrades and event streams first: the plain HTTP transport would take an SSE POST.
	srv.AddTransport(graphqlws.New(graphqlws.Config{
		Init: creds.init, InitTimeout: d.WSInitTimeout, KeepAlive: d.KeepAlive,
		OriginPatterns: d.WSOriginPatterns, ReadLimit: maxJSONBody, Logger: d.Logger,
		Share: shareSubscriptions,
	}))
	srv.AddTransport(sseTransport{SSE: transport.SSE{KeepAlivePingInterval: d.KeepAlive}, maxBody: maxJSONBody})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(httpTransport{maxBody: maxJSONBody})
	srv.AddTransport(transport.MultipartForm{
		// The whole request may hold the file plus the operations and map parts.
		MaxUploadSize: d.MaxUploadBytes + maxJSONBody,
		MaxMemory:     32 << 20,
	})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if d.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.Use(depthLimit{max: d.DepthLimit})
	srv.Use(extension.FixedComplexityLimit(d.ComplexityLimit))
	// "Did you mean ..." hints would map the schema for someone probing a production API.
	srv.SetDisableSuggestion(d.Production)
	srv.SetErrorPresenter(presentError(d.Logger))
	srv.SetRecoverFunc(recoverPanic(d.Logger))
	ops, responses := aroundSubscriptions(creds, func(ctx context.Context) context.Context {
		return loaders.With(ctx, d.Loaders)
	})
	srv.AroundOperations(ops)
	srv.AroundResponses(responses)
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		start := time.Now()
		resp := next(ctx)
		// A subscription's stream ends with a nil response.
		if oc := graphql.GetOperationContext(ctx); resp != nil && oc != nil && oc.Operation != nil {
			loggerFrom(ctx, d.Logger).Debug("graphql operation", "operation", oc.OperationName,
				"type", string(oc.Operation.Operation), "errors", len(resp.Errors),
				"duration_ms", time.Since(start).Milliseconds())
		}
		return resp
	})
	return srv
}

// depthLimit refuses operations whose selections nest deeper than max: complexity alone
// lets a narrow but very deep query through. Introspection is exempt, since the standard
// introspection query is deep by design.
type depthLimit struct {
	max int
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string { return "DepthLimit" }

func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (d depthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if got := depth(oc.Operation.SelectionSet); got > d.max {
		err := gqlerror.Errorf("the operation nests %d levels deep; the limit is %d", got, d.max)
		err.Extensions = map[string]any{"code": codeDepthLimit}
		return err
	}
	return nil
}

func depth(set ast.SelectionSet) int {
	deepest := 0
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(s.Name, "__") {
				continue
			}
			d = 1 + depth(s.SelectionSet)
		case *ast.InlineFragment:
			d = depth(s.SelectionSet)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				d = depth(s.Definition.SelectionSet)
			}
		}
		deepest = max(deepest, d)
	}
	return deepest
}

// loggerOr returns l, or a logger that drops everything.
func loggerOr(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.New(slog.DiscardHandler)
}
