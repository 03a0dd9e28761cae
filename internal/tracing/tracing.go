// Package tracing sets up OpenTelemetry traces: an OTLP/HTTP exporter when an endpoint
// is configured and a no-op tracer otherwise, spans for SQL statements and background
// jobs, and the trace id on log lines.
package tracing

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/riverqueue/river/rivertype"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Name is the instrumentation scope of Ensemble's spans.
const Name = "github.com/literaryai/ensemble"

// Setup returns the tracer provider and its shutdown (which flushes the spans still
// buffered). With no endpoint it is a no-op provider: spans cost nothing and nothing is
// sent. endpoint is OTEL_EXPORTER_OTLP_ENDPOINT, the collector's base URL; the
// exporter reads the other OTEL_EXPORTER_OTLP_* variables (headers, timeout) itself.
func Setup(ctx context.Context, endpoint, service, version string) (trace.TracerProvider, func(context.Context) error, error) {
	if endpoint == "" {
		return noop.NewTracerProvider(), func(context.Context) error { return nil }, nil
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(strings.TrimSuffix(endpoint, "/")+"/v1/traces"))
	if err != nil {
		return nil, nil, fmt.Errorf("OTEL_EXPORTER_OTLP_ENDPOINT: %w", err)
	}
	res := resource.NewSchemaless(attribute.String("service.name", service), attribute.String("service.version", version))
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	return tp, func(ctx context.Context) error {
		if err := tp.Shutdown(ctx); err != nil {
			return fmt.Errorf("flush traces: %w", err)
		}
		return nil
	}, nil
}

// Provider is tp, or the no-op provider when tp is nil.
func Provider(tp trace.TracerProvider) trace.TracerProvider {
	if tp == nil {
		return noop.NewTracerProvider()
	}
	return tp
}

// Fail marks span as failed with err.
func Fail(span trace.Span, err error) {
	span.RecordError(err)
	span.SetStatus(codes.Error, err.Error())
}

// logHandler adds the current span's ids to every record logged with its context.
type logHandler struct{ slog.Handler }

// LogHandler wraps h so that a line logged within a span carries trace_id and span_id.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

func (l logHandler) Handle(ctx context.Context, r slog.Record) error {
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		r.AddAttrs(slog.String("trace_id", sc.TraceID().String()), slog.String("span_id", sc.SpanID().String()))
	}
	return l.Handler.Handle(ctx, r)
}

func (l logHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logHandler{l.Handler.WithAttrs(attrs)}
}

func (l logHandler) WithGroup(name string) slog.Handler { return logHandler{l.Handler.WithGroup(name)} }

// JobMiddleware is River worker middleware that works each job in a span of its own.
func JobMiddleware(tp trace.TracerProvider) rivertype.WorkerMiddleware {
	return jobMiddleware{tracer: Provider(tp).Tracer(Name)}
}

type jobMiddleware struct{ tracer trace.Tracer }

func (jobMiddleware) IsMiddleware() bool { return true }

func (j jobMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	ctx, span := j.tracer.Start(ctx, "job "+job.Kind, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("job.kind", job.Kind), attribute.Int64("job.id", job.ID),
			attribute.Int("job.attempt", job.Attempt), attribute.String("job.queue", job.Queue)))
	defer span.End()
	err := doInner(ctx)
	if err != nil {
		Fail(span, err)
	}
	return err
}
