package server

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/literaryai/ensemble/graph"
	"github.com/literaryai/ensemble/internal/admission"
	"github.com/literaryai/ensemble/internal/graphqlws"
	"github.com/literaryai/ensemble/internal/loaders"
)

// maxJSONBody bounds a non-upload GraphQL request body.
const maxJSONBody = 1 << 20

func newGraphQL(d Deps, g *guard) *handler.Server {
	srv := handler.New(graph.NewExecutableSchema(d.Resolver.Config()))
	creds := newCredentials(d.Resolver.AuthService, d.Bus)
	// Upgrades and event streams first: the plain HTTP transport would take an SSE POST.
	d.Streams.ws = graphqlws.New(graphqlws.Config{
		Init: countSockets(d.Metrics, g.capSockets(creds.init)), InitTimeout: d.WSInitTimeout, KeepAlive: d.KeepAlive,
		OriginPatterns: d.WSOriginPatterns, ReadLimit: maxJSONBody, Logger: d.Logger,
		Share: shareSubscriptions, MaxSubscriptions: cmp.Or(d.Limits.SubscriptionsPerSocket, -1),
	})
	srv.AddTransport(d.Streams.ws)
	srv.AddTransport(sseTransport{SSE: transport.SSE{KeepAlivePingInterval: d.KeepAlive}, maxBody: maxJSONBody})
	srv.AddTransport(transport.Options{})
	srv.AddTransport(httpTransport{maxBody: maxJSONBody})
	// The whole request may hold the file plus the operations and map parts.
	srv.AddTransport(uploadTransport{maxBody: d.MaxUploadBytes + maxJSONBody})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	// Admission refuses costly documents cheaply: over the token limit, parsing stops;
	// over its other caps, before validation; too deep or complex, before execution.
	srv.SetParserTokenLimit(d.Admission.Tokens)
	// "Did you mean ..." hints would map the schema for someone probing a production API.
	srv.SetValidationRulesFn(admission.ValidationRules(!d.Production))
	if d.Admission.Introspection {
		srv.Use(extension.Introspection{})
	}
	if d.Persisted != nil {
		// Before admission, which reads the document this fills in.
		srv.Use(d.Persisted)
	}
	srv.Use(inputBoundary{})
	srv.Use(admission.New(d.Admission))
	srv.Use(onePasswordField{})
	// Before subscriptionCap: a subscription it refuses takes no slot.
	srv.Use(deferPolicy{})
	srv.Use(subscriptionCap{g})
	// First of the operation interceptors, so its span and latency cover theirs.
	instrument(srv, d.Metrics, d.Tracer, d.Logger)
	srv.AroundFields(g.aroundFields)
	// Before the cost is charged: an operation refused as OVERLOADED costs nothing.
	srv.AroundOperations(overload{Overload: d.Overload, present: presentError(d.Logger), logger: d.Logger}.aroundOperations)
	srv.AroundOperations(g.chargeCost)
	// Keeps gqlgen's own swap of suggestion rules in step with the rules above.
	srv.SetDisableSuggestion(d.Production)
	srv.SetErrorPresenter(presentError(d.Logger))
	srv.SetRecoverFunc(recoverPanic(d.Logger))
	ops, responses := aroundSubscriptions(creds, func(ctx context.Context) context.Context {
		return loaders.With(ctx, d.Loaders)
	})
	srv.AroundOperations(ops)
	srv.AroundOperations(d.Streams.endSSE)
	srv.AroundResponses(responses)
	srv.AroundResponses(capErrors(admission.MaxErrors))
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
	if d.Planner {
		// Added last, so it stands in for execution alone: every interceptor above still
		// sees the operation and its response.
		srv.Use(d.Resolver.Planner())
	}
	return srv
}

// capErrors keeps the first max errors of a response, then one saying how many more
// there were: a response of thousands of errors costs more to send than to refuse.
func capErrors(max int) graphql.ResponseMiddleware {
	return func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		resp := next(ctx)
		if resp == nil || len(resp.Errors) <= max {
			return resp
		}
		resp.Errors = append(resp.Errors[:max:max], &gqlerror.Error{
			Message:    fmt.Sprintf("too many errors: %d more not shown", len(resp.Errors)-max),
			Extensions: map[string]any{"code": codeTooManyErrors, "requestId": requestID(ctx)},
		})
		return resp
	}
}

// loggerOr returns l, or a logger that drops everything.
func loggerOr(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.New(slog.DiscardHandler)
}
