package server

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/literaryai/ensemble/internal/graphqlws"
)

// Streams ends a handler's subscriptions when the server restarts, in the way stock
// clients answer by reconnecting and subscribing again: WebSockets close with 1001, and
// SSE streams end without a complete event. A complete would tell graphql-ws and
// graphql-sse clients that the subscription is over for good. A client that keeps its
// latest cursor in the subscription's variables then resumes exactly where it was.
type Streams struct {
	ending context.Context
	end    context.CancelFunc
	ws     *graphqlws.Transport
}

// NewStreams returns the Streams to pass in Deps.
func NewStreams() *Streams {
	ctx, cancel := context.WithCancel(context.Background())
	return &Streams{ending: ctx, end: cancel}
}

// End ends every subscription, those that start from now on included, and waits until
// the WebSockets are closed or ctx ends. Call it once the listener is closed (from
// http.Server.RegisterOnShutdown), so that clients reconnect to the next instance, not
// this one: http.Server.Shutdown waits for SSE streams, not for upgraded connections.
func (s *Streams) End(ctx context.Context) error {
	s.end()
	if s.ws == nil {
		return nil
	}
	if err := s.ws.Shutdown(ctx); err != nil {
		return fmt.Errorf("end live streams: %w", err)
	}
	return nil
}

// endSSE makes an SSE subscription end when the streams end, without its complete event.
func (s *Streams) endSSE(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	w, ok := ctx.Value(sseWriterKey{}).(*sseWriter)
	oc := graphql.GetOperationContext(ctx)
	if !ok || oc.Operation == nil || oc.Operation.Operation != ast.Subscription {
		return next(ctx)
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(s.ending, func() {
		// Before the cancel: gqlgen writes complete once the stream ends.
		w.ended.Store(true)
		cancel()
	})
	context.AfterFunc(ctx, func() { stop() })
	return next(ctx)
}

// sseWriterKey carries the *sseWriter of an SSE request to endSSE.
type sseWriterKey struct{}

// sseWriter drops everything written once its stream has ended for a restart.
type sseWriter struct {
	http.ResponseWriter
	ended atomic.Bool
}

func (w *sseWriter) Write(p []byte) (int, error) {
	if w.ended.Load() {
		return len(p), nil
	}
	n, err := w.ResponseWriter.Write(p)
	if err != nil {
		return n, fmt.Errorf("write event stream: %w", err)
	}
	return n, nil
}

func (w *sseWriter) Flush() {
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}
