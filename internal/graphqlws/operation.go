package graphqlws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// operation is one running subscribe (or start).
type operation struct {
	id     string
	ctx    context.Context
	cancel context.CancelFunc
	// done, guarded by conn.mu, is set once nothing more may be sent for the id: after the
	// terminal complete or error, or when the client completed the operation.
	done bool
}

func newOperation(parent context.Context, id string) *operation {
	ctx, cancel := context.WithCancel(parent)
	return &operation{id: id, ctx: ctx, cancel: cancel}
}

// run executes the operation the way gqlgen's own WebSocket transport drives the executor,
// streaming each response until the handler reports the end.
func (c *conn) run(op *operation, params *graphql.RawParams, received time.Time) {
	// Init may return a context unrelated to the connection's; the operation must end with
	// the connection either way.
	stop := context.AfterFunc(c.ctx, op.cancel)
	defer func() {
		stop()
		c.finish(op)
	}()

	ctx := graphql.StartOperationTrace(op.ctx)
	params.ReadTime = graphql.TraceTiming{Start: received, End: graphql.Now()}
	params.Headers = c.headers

	var opCtx *graphql.OperationContext
	defer func() {
		if r := recover(); r != nil {
			c.sendErrors(op, presentPanic(ctx, c.exec, opCtx, r))
		}
	}()

	opCtx, errs := c.exec.CreateOperationContext(ctx, params)
	if errs != nil {
		resp := c.exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs)
		c.sendErrors(op, resp.Errors)
		return
	}
	if s, key, ok := c.shared(ctx, opCtx); ok {
		c.runShared(ctx, op, opCtx, s, key)
		return
	}
	responses, ctx := c.exec.DispatchOperation(graphql.WithOperationContext(ctx, opCtx), opCtx)
	for resp := responses(ctx); resp != nil; resp = responses(ctx) {
		if !c.sendNext(op, resp) {
			return
		}
	}
	c.sendFor(op, c.proto.completeMessage(op.id), true)
}

// presentPanic turns a panic escaping the executor into the errors for the operation, through
// the server's recover function and error presenter.
func presentPanic(ctx context.Context, exec graphql.GraphExecutor, opCtx *graphql.OperationContext, r any) gqlerror.List {
	var err error
	if opCtx != nil && opCtx.RecoverFunc != nil {
		err = opCtx.Recover(ctx, r)
	} else {
		err = graphql.DefaultRecover(ctx, r)
	}
	if err == nil {
		err = errors.New("internal system error")
	}
	var gqlErr *gqlerror.Error
	if !errors.As(err, &gqlErr) {
		gqlErr = gqlerror.WrapIfUnwrapped(err)
	}
	return exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), gqlerror.List{gqlErr}).Errors
}

// finish releases the operation's id, unless a new operation already reuses it.
func (c *conn) finish(op *operation) {
	c.mu.Lock()
	if c.ops[op.id] == op {
		delete(c.ops, op.id)
	}
	c.mu.Unlock()
	op.cancel()
}

func (c *conn) sendNext(op *operation, resp *graphql.Response) bool {
	b, err := json.Marshal(resp)
	if err != nil {
		c.rejectWith(fmt.Errorf("encode response of operation %q: %w", op.id, err))
		return false
	}
	return c.sendFor(op, c.proto.nextMessage(op.id, b), false)
}

// sendErrors ends the operation with an error message; no complete follows it.
func (c *conn) sendErrors(op *operation, errs gqlerror.List) {
	b, err := json.Marshal(errs)
	if err != nil {
		c.rejectWith(fmt.Errorf("encode errors of operation %q: %w", op.id, err))
		return
	}
	c.sendFor(op, c.proto.errorMessage(op.id, b), true)
}

// sendFor queues a message of op unless op is already done; final marks it done. Checking
// and queueing under one lock keeps a message from slipping out after the client's complete.
func (c *conn) sendFor(op *operation, msg []byte, final bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if op.done {
		return false
	}
	if final {
		op.done = true
	}
	return c.enqueue(msg)
}

// refuseOverLimit answers a subscribe beyond MaxSubscriptions; the connection stays open.
func (c *conn) refuseOverLimit(id string) bool {
	errs := gqlerror.List{{
		Message: fmt.Sprintf("too many operations running on this connection (limit %d)",
			c.cfg.MaxSubscriptions),
		Extensions: map[string]any{"code": "RATE_LIMITED"},
	}}
	b, err := json.Marshal(errs)
	if err != nil {
		c.rejectWith(fmt.Errorf("encode rate limit error: %w", err))
		return false
	}
	return c.enqueue(c.proto.errorMessage(id, b))
}
