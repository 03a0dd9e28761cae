package tracing

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// SQL traces each statement in a span, only within a span already recording: the job
// queue's own polling and other work outside a request or job makes no traces.
type SQL struct{ tracer trace.Tracer }

var (
	_ pgx.QueryTracer = SQL{}
	_ pgx.BatchTracer = SQL{}
)

// NewSQL makes the pgx tracer; tp nil means no spans.
func NewSQL(tp trace.TracerProvider) SQL { return SQL{tracer: Provider(tp).Tracer(Name)} }

var dbSystem = attribute.String("db.system.name", "postgresql")

// statementName is sqlc's name of a statement (its "-- name: X :one" first line), or
// the statement's first keyword.
func statementName(sql string) string {
	if rest, ok := strings.CutPrefix(sql, "-- name: "); ok {
		name, _, _ := strings.Cut(rest, " ")
		return name
	}
	word, _, _ := strings.Cut(strings.TrimSpace(sql), " ")
	return strings.ToUpper(word)
}

func (s SQL) start(ctx context.Context, sql string) (context.Context, trace.Span) {
	return s.tracer.Start(ctx, "db "+statementName(sql), trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(dbSystem, attribute.String("db.query.text", sql)))
}

// TraceQueryStart implements pgx.QueryTracer.
func (s SQL) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return ctx
	}
	ctx, _ = s.start(ctx, data.SQL)
	return ctx
}

// TraceQueryEnd implements pgx.QueryTracer.
func (s SQL) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	if data.Err != nil {
		Fail(span, data.Err)
	}
	span.SetAttributes(attribute.Int64("db.response.rows_affected", data.CommandTag.RowsAffected()))
	span.End()
}

// TraceBatchStart implements pgx.BatchTracer: the batch is one span, each statement a
// child of it.
func (s SQL) TraceBatchStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return ctx
	}
	ctx, span := s.tracer.Start(ctx, "db batch", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(dbSystem))
	if data.Batch != nil {
		span.SetAttributes(attribute.Int("db.operation.batch.size", data.Batch.Len()))
	}
	return ctx
}

// TraceBatchQuery implements pgx.BatchTracer. pgx reports a statement once its result
// is read, so its span marks which statement it was and how it ended, not its time.
func (s SQL) TraceBatchQuery(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchQueryData) {
	if !trace.SpanFromContext(ctx).IsRecording() {
		return
	}
	_, span := s.start(ctx, data.SQL)
	if data.Err != nil {
		Fail(span, data.Err)
	}
	span.End()
}

// TraceBatchEnd implements pgx.BatchTracer.
func (s SQL) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchEndData) {
	span := trace.SpanFromContext(ctx)
	if !span.IsRecording() {
		return
	}
	if data.Err != nil {
		Fail(span, data.Err)
	}
	span.End()
}
