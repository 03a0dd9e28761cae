package server

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/vektah/gqlparser/v2/ast"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/literaryai/ensemble/internal/metrics"
	"github.com/literaryai/ensemble/internal/tracing"
)

// instrumentedKey marks the context of an operation whose responses instrument records,
// so that the response middleware records only what never became an operation.
type instrumentedKey struct{}

// instrument records every GraphQL operation: a span around it, its latency and its
// error codes. It wraps the operation rather than the response so that it sees the
// answers of interceptors that refuse an operation without running it (OVERLOADED).
func instrument(srv *handler.Server, m *metrics.Metrics, tp trace.TracerProvider, logger *slog.Logger) {
	tracer := tracing.Provider(tp).Tracer(tracing.Name)
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		start := time.Now()
		oc := graphql.GetOperationContext(ctx)
		name, kind := operationLabels(m, oc)
		ctx, span := tracer.Start(ctx, kind+" "+name, trace.WithAttributes(
			attribute.String("graphql.operation.name", name), attribute.String("graphql.operation.type", kind)))
		ctx = context.WithValue(ctx, instrumentedKey{}, true)
		if sc := span.SpanContext(); sc.IsValid() {
			// The operation's log lines carry its span, whichever logging call made them;
			// the request's logger already carries the trace.
			ctx = context.WithValue(ctx, loggerKey, loggerFrom(ctx, logger).With("span_id", sc.SpanID().String()))
		}
		if kind == string(ast.Subscription) {
			ended := m.SubscriptionStarted(name)
			// The operation's context ends with the subscription, however it ends.
			context.AfterFunc(ctx, func() {
				ended()
				span.End()
			})
			responses := next(ctx)
			return func(ctx context.Context) *graphql.Response {
				resp := responses(ctx)
				recordErrors(m, span, name, resp)
				return resp
			}
		}
		responses := next(ctx)
		return func(ctx context.Context) *graphql.Response {
			resp := responses(ctx)
			m.Operation(name, kind, time.Since(operationStart(oc, start)))
			recordErrors(m, span, name, resp)
			span.End()
			return resp
		}
	})
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		start := time.Now()
		resp := next(ctx)
		if ctx.Value(instrumentedKey{}) != nil {
			return resp
		}
		// A request refused before it became an operation: unparsable, invalid, or a
		// subscription over its cap.
		var oc *graphql.OperationContext
		if graphql.HasOperationContext(ctx) {
			oc = graphql.GetOperationContext(ctx)
		}
		name, kind := operationLabels(m, oc)
		if kind != string(ast.Subscription) {
			m.Operation(name, kind, time.Since(operationStart(oc, start)))
		}
		recordErrors(m, nil, name, resp)
		return resp
	})
}

// operationLabels are an operation's name and type labels; a request that named no
// operation of a valid document is "invalid" of type "unknown".
func operationLabels(m *metrics.Metrics, oc *graphql.OperationContext) (name, kind string) {
	if oc == nil || oc.Operation == nil {
		return metrics.Invalid, "unknown"
	}
	return m.OperationName(oc.Operation.Name), string(oc.Operation.Operation)
}

// operationStart is when the transport received the operation, so that the latency
// includes parsing and validation.
func operationStart(oc *graphql.OperationContext, fallback time.Time) time.Time {
	if oc == nil || oc.Stats.OperationStart.IsZero() {
		return fallback
	}
	return oc.Stats.OperationStart
}

// recordErrors counts a response's errors by code, and marks span (nil for none) with
// the first code when there are any.
func recordErrors(m *metrics.Metrics, span trace.Span, name string, resp *graphql.Response) {
	if resp == nil || len(resp.Errors) == 0 {
		return
	}
	first := ""
	for i, e := range resp.Errors {
		code, _ := e.Extensions["code"].(string)
		m.OperationError(name, code)
		if i == 0 {
			first = code
		}
	}
	if span != nil {
		span.SetAttributes(attribute.String("graphql.error.code", first), attribute.Int("graphql.errors", len(resp.Errors)))
		span.SetStatus(codes.Error, first)
	}
}

// countSockets counts a WebSocket as open from its acknowledgement until it closes.
func countSockets(m *metrics.Metrics, init func(context.Context, map[string]any) (context.Context, error)) func(context.Context, map[string]any) (context.Context, error) {
	return func(ctx context.Context, payload map[string]any) (context.Context, error) {
		held, err := init(ctx, payload)
		if err != nil {
			return nil, err
		}
		// ctx is the socket's: it ends when the socket closes.
		context.AfterFunc(ctx, m.WebSocketOpened())
		return held, nil
	}
}

// routed tells the access log which route pattern took the request: the mux sets it on
// the request it was given, a copy of the one observe holds.
func routed(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if rec, ok := w.(*statusRecorder); ok {
			rec.route = r.Pattern
		}
	})
}

// serveMetrics answers GET /metrics to those who may read /health/detailed: series name
// the operations, routes and error rates an attacker would like to know.
func (h health) serveMetrics(m *metrics.Metrics) http.HandlerFunc {
	scrape := m.Handler()
	return func(w http.ResponseWriter, r *http.Request) {
		if !h.mayReadDetails(w, r) {
			return
		}
		scrape.ServeHTTP(w, r)
	}
}
