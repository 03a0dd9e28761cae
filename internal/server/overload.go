package server

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/limits"
)

// Overload keeps an instance serving the operations it admits at a steady rate when it
// is asked for more than it can do (issue 13: without it, 100 connections of a heavy
// query finished 64 requests in 20 s and timed out 137).
type Overload struct {
	// Gate admits the queries and mutations that run at once; nil admits every one.
	Gate *limits.Gate
	// Timeout is how long an admitted operation may run before it is stopped, its
	// statements cancelled in PostgreSQL; 0 sets no limit.
	Timeout time.Duration
}

// overloadRetryAfter is the Retry-After, in seconds, of an operation refused as
// OVERLOADED: the queue turns over in well under a second, and HTTP counts in seconds.
const overloadRetryAfter = 1

// overload applies an Overload to the operations of every transport.
type overload struct {
	Overload
	present graphql.ErrorPresenterFunc
	logger  *slog.Logger
}

// aroundOperations takes a turn at the gate for each query and mutation, then runs it
// under its deadline; it comes before the cost is charged, so that a refused operation
// costs its caller nothing. Subscriptions pass: each holds its stream for minutes or
// hours, so counting them would let a few subscribers shut every query out, and their
// events, small and already bounded per user and socket, would reach clients late if
// they queued behind queries.
func (o overload) aroundOperations(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	oc := graphql.GetOperationContext(ctx)
	if oc.Operation == nil || oc.Operation.Operation == ast.Subscription {
		return next(ctx)
	}
	leave := func() {}
	if o.Gate != nil {
		var err error
		if leave, err = o.Gate.Enter(ctx); err != nil {
			rctx := graphql.WithResponseContext(ctx, o.present, nil)
			graphql.AddError(rctx, err)
			return graphql.OneShot(&graphql.Response{Errors: graphql.GetErrors(rctx)})
		}
	}
	parent := ctx
	ctx, stop := context.WithCancelCause(ctx)
	// A timer rather than a context deadline, so that Waiting can lift it.
	var deadline *time.Timer
	if o.Timeout > 0 {
		deadline = time.AfterFunc(o.Timeout, func() { stop(errs.ErrTimeout) })
	}
	var once sync.Once
	free := func() {
		once.Do(func() {
			if deadline != nil {
				deadline.Stop()
			}
			leave()
		})
	}
	// The turn also ends with the request, should a transport never ask for the response.
	context.AfterFunc(parent, free)
	handler := next(limits.OnWaiting(ctx, free))
	return func(ctx context.Context) *graphql.Response {
		// An incremental (@defer) response keeps its turn and deadline until its last
		// payload; the turn also ends with the request, should the client leave first.
		more := false
		defer func() {
			if !more {
				// Calling off what is left (loaders still waiting) once the response is made.
				free()
				stop(nil)
			}
		}()
		resp := handler(ctx)
		more = hasNext(resp)
		if !more && errors.Is(context.Cause(ctx), errs.ErrTimeout) {
			loggerFrom(ctx, o.logger).Warn("operation timed out", "operation", oc.OperationName,
				"type", string(oc.Operation.Operation), "timeout", o.Timeout)
		}
		return resp
	}
}
