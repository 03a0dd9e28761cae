package graphqlws

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// onInit authenticates the connection and acknowledges it. It runs on the reading goroutine,
// so messages the client sends after connection_init are handled after the acknowledgement,
// which the legacy clients that do not wait for connection_ack rely on.
func (c *conn) onInit(msg inbound) bool {
	select {
	case <-c.initDone:
		c.reject(CloseTooManyInits, reasonTooManyInits)
		return false
	default:
		close(c.initDone)
	}
	ctx, err := c.authenticate(msg.init)
	if err != nil {
		c.rejectWith(err)
		return false
	}
	c.authCtx = ctx
	if !c.enqueue(c.proto.ackMessage()) {
		return false
	}
	if c.proto.keepAliveOnAck && c.cfg.KeepAlive > 0 && !c.enqueue(c.proto.keepAliveMessage()) {
		return false
	}
	c.wg.Go(func() { c.watchCredentials(ctx) })
	if c.cfg.KeepAlive > 0 {
		c.wg.Go(c.keepAlive)
	}
	return true
}

// authenticate runs Config.Init. Its errors are *closeError values.
func (c *conn) authenticate(payload map[string]any) (ctx context.Context, err error) {
	if c.cfg.Init == nil {
		return c.ctx, nil
	}
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("graphql websocket init panicked", "panic", r)
			ctx, err = nil, &closeError{code: CloseInternalError, reason: reasonInternalError}
		}
	}()
	ctx, err = c.cfg.Init(c.ctx, payload)
	switch {
	case err != nil:
		c.log.Info("graphql websocket connection refused", "err", err)
		var ce *closeError
		if errors.As(err, &ce) {
			return nil, ce
		}
		return nil, forbidden(err)
	case ctx == nil:
		return c.ctx, nil
	case ctx.Err() != nil:
		return nil, &closeError{code: CloseForbidden, reason: reasonCredentialsEnded}
	}
	return ctx, nil
}

func forbidden(err error) *closeError {
	reason := reasonForbidden
	if msg := err.Error(); msg != "" {
		reason += ": " + msg
	}
	return &closeError{code: CloseForbidden, reason: truncateReason(reason)}
}

// watchCredentials closes the connection when the context Init returned ends while the
// connection itself is still open: the credentials it stood for expired or were revoked.
func (c *conn) watchCredentials(auth context.Context) {
	select {
	case <-auth.Done():
		// A context derived from c.ctx ends with it; that is a close, not an expiry.
		if !c.closed() {
			c.log.Info("graphql websocket credentials ended; closing")
			c.reject(CloseForbidden, reasonCredentialsEnded)
		}
	case <-c.ctx.Done():
	}
}

func (c *conn) keepAlive() {
	t := time.NewTicker(c.cfg.KeepAlive)
	defer t.Stop()
	msg := c.proto.keepAliveMessage()
	for {
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
			if !c.enqueue(msg) {
				return
			}
		}
	}
}

// onSubscribe registers the operation and starts it on its own goroutine.
func (c *conn) onSubscribe(msg inbound, received time.Time) bool {
	if c.authCtx == nil {
		c.reject(CloseUnauthorized, reasonUnauthorized)
		return false
	}
	c.mu.Lock()
	if _, dup := c.ops[msg.id]; dup {
		c.mu.Unlock()
		c.reject(CloseSubscriberExists, fmt.Sprintf("Subscriber for %s already exists", msg.id))
		return false
	}
	if c.cfg.MaxSubscriptions > 0 && len(c.ops) >= c.cfg.MaxSubscriptions {
		c.mu.Unlock()
		return c.refuseOverLimit(msg.id)
	}
	op := newOperation(c.authCtx, msg.id)
	c.ops[msg.id] = op
	c.mu.Unlock()
	c.wg.Go(func() { c.run(op, msg.params, received) })
	return true
}

// onStop cancels the operation the client completed (or stopped). graphql-transport-ws
// wants nothing more sent for it; the legacy protocol answers with complete.
func (c *conn) onStop(id string) {
	c.mu.Lock()
	op := c.ops[id]
	if op != nil {
		delete(c.ops, id)
		if !c.proto.completeAfterStop {
			op.done = true
		}
	}
	c.mu.Unlock()
	if op != nil {
		op.cancel()
	}
}
