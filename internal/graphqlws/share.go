package graphqlws

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Sharing says whether a subscription may be executed once for every socket of the
// Transport that asks for the same thing. See Config.Share.
type Sharing struct {
	// Scope separates subscriptions whose results differ although their text and variables
	// are the same: typically who the viewer is. Empty means the subscription runs on its
	// own.
	Scope string
	// Late lets a socket join an execution that has already sent results. It is safe for a
	// subscription that only streams what happens from now on; one that first replays
	// history after a cursor, or sends a snapshot, must not be joined late, since the
	// joiner would miss what was sent before it came.
	Late bool
}

// hub holds the shared executions of one Transport.
type hub struct {
	mu sync.Mutex
	// open holds, for each key, the execution a new socket may still join.
	open map[[sha256.Size]byte]*execution
}

func newHub() *hub { return &hub{open: map[[sha256.Size]byte]*execution{}} }

// execution is one run of a subscription whose results go to every member.
type execution struct {
	hub    *hub
	key    [sha256.Size]byte
	late   bool
	cancel context.CancelFunc

	// Guarded by mu; the hub's lock, when both are held, is taken first.
	mu      sync.Mutex
	members map[*member]struct{}
	sent    bool // a result has gone out
	over    bool // no more results will go out and nobody may join
}

// member is one socket's operation attached to an execution.
type member struct {
	c     *conn
	op    *operation
	x     *execution    // set by join, under the hub's lock
	ended chan struct{} // closed once the execution has sent the member its last message
}

// shareKey identifies what a subscription computes: the scope, the document, the
// operation and the coerced variables (encoded with sorted keys).
func shareKey(scope string, oc *graphql.OperationContext) ([sha256.Size]byte, error) {
	vars, err := json.Marshal(oc.Variables)
	if err != nil {
		return [sha256.Size]byte{}, fmt.Errorf("encode variables: %w", err)
	}
	h := sha256.New()
	for _, part := range []string{scope, oc.OperationName, oc.RawQuery} {
		fmt.Fprintf(h, "%d:%s", len(part), part)
	}
	h.Write(vars)
	var key [sha256.Size]byte
	h.Sum(key[:0])
	return key, nil
}

// shared reports how the operation may be shared, and under which key, if it may.
func (c *conn) shared(ctx context.Context, oc *graphql.OperationContext) (Sharing, [sha256.Size]byte, bool) {
	if c.cfg.Share == nil || oc.Operation == nil || oc.Operation.Operation != ast.Subscription {
		return Sharing{}, [sha256.Size]byte{}, false
	}
	s := c.cfg.Share(ctx, oc)
	if s.Scope == "" {
		return s, [sha256.Size]byte{}, false
	}
	key, err := shareKey(s.Scope, oc)
	if err != nil {
		// Unshareable, not wrong: the operation runs on its own.
		c.log.Warn("graphql websocket subscription not shared", "err", err)
		return s, key, false
	}
	return s, key, true
}

// runShared attaches op to an execution of the same subscription, starting one when none
// may be joined, and waits until the execution is over for op or op ends.
func (c *conn) runShared(ctx context.Context, op *operation, oc *graphql.OperationContext, s Sharing, key [sha256.Size]byte) {
	m := &member{c: c, op: op, ended: make(chan struct{})}
	c.hub.join(ctx, key, s.Late, m, c.exec, oc)
	select {
	case <-m.ended:
	case <-op.ctx.Done():
		if x := c.hub.leave(m); x != nil {
			// As when an unshared operation ends on its context: the legacy protocol
			// answers a stop with complete; graphql-transport-ws has marked op done.
			c.sendFor(op, c.proto.completeMessage(op.id), true)
		}
	}
}

// join adds m to the open execution of key, or starts a new one with ctx's values (not
// its cancellation: the execution outlives any one member) and oc.
func (h *hub) join(ctx context.Context, key [sha256.Size]byte, late bool, m *member, exec graphql.GraphExecutor, oc *graphql.OperationContext) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if x := h.open[key]; x != nil {
		x.mu.Lock()
		joinable := !x.over && (x.late || !x.sent)
		if joinable {
			x.members[m] = struct{}{}
			m.x = x
		}
		x.mu.Unlock()
		if joinable {
			return
		}
	}
	xctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	x := &execution{hub: h, key: key, late: late, cancel: cancel, members: map[*member]struct{}{m: {}}}
	m.x = x
	h.open[key] = x
	go x.run(xctx, exec, oc)
}

// leave detaches m from its execution, cancelling the execution when m was its last
// member. It returns the execution m left, or nil when the execution had already ended.
func (h *hub) leave(m *member) *execution {
	h.mu.Lock()
	defer h.mu.Unlock()
	x := m.x
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, ok := x.members[m]; !ok {
		return nil
	}
	delete(x.members, m)
	if len(x.members) == 0 {
		x.closeLocked()
		x.cancel()
	}
	return x
}

// closeLocked stops the execution taking members; h.mu and x.mu are held.
func (x *execution) closeLocked() {
	x.over = true
	if x.hub.open[x.key] == x {
		delete(x.hub.open, x.key)
	}
}

// run executes the subscription once and sends each result to every member.
func (x *execution) run(ctx context.Context, exec graphql.GraphExecutor, oc *graphql.OperationContext) {
	defer x.cancel()
	defer func() {
		if r := recover(); r != nil {
			errs := presentPanic(ctx, exec, oc, r)
			b, err := json.Marshal(errs)
			if err != nil {
				b = []byte(`[{"message":"internal system error"}]`)
			}
			x.end(func(m *member) []byte { return m.c.proto.errorMessage(m.op.id, b) })
		}
	}()
	ctx = graphql.StartOperationTrace(ctx)
	responses, ctx := exec.DispatchOperation(graphql.WithOperationContext(ctx, oc), oc)
	for resp := responses(ctx); resp != nil; resp = responses(ctx) {
		b, err := json.Marshal(resp)
		if err != nil {
			b, _ = json.Marshal(&graphql.Response{Errors: gqlerror.List{{Message: "internal system error"}}})
		}
		x.broadcast(b)
	}
	x.end(func(m *member) []byte { return m.c.proto.completeMessage(m.op.id) })
}

// broadcast sends one result to every member. Encoding it once, not per socket, is the
// point of sharing. Once a result is out, join lets only executions marked late take
// newcomers.
func (x *execution) broadcast(response []byte) {
	x.mu.Lock()
	x.sent = true
	members := make([]*member, 0, len(x.members))
	for m := range x.members {
		members = append(members, m)
	}
	x.mu.Unlock()
	// Sockets speaking the same protocol under the same operation id get the same bytes.
	type frameKey struct{ proto, id string }
	frames := map[frameKey][]byte{}
	for _, m := range members {
		k := frameKey{m.c.proto.name, m.op.id}
		f, ok := frames[k]
		if !ok {
			f = m.c.proto.nextMessage(m.op.id, response)
			frames[k] = f
		}
		m.c.sendFor(m.op, f, false)
	}
}

// end sends each member its last message and releases it.
func (x *execution) end(last func(*member) []byte) {
	x.hub.mu.Lock()
	x.mu.Lock()
	x.closeLocked()
	members := x.members
	x.members = map[*member]struct{}{}
	x.mu.Unlock()
	x.hub.mu.Unlock()
	for m := range members {
		m.c.sendFor(m.op, last(m), true)
		close(m.ended)
	}
}
