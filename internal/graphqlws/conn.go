package graphqlws

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/coder/websocket"
)

// conn serves one socket. The goroutine running serve reads and dispatches client messages;
// one writer goroutine owns all writes and the close; every operation, the init timer, the
// credentials watch and the keep-alive run in goroutines counted by wg, which serve waits for.
type conn struct {
	cfg     *Config
	hub     *hub
	proto   *protocol
	ws      *websocket.Conn
	exec    graphql.GraphExecutor
	headers http.Header
	log     *slog.Logger

	// ctx is cancelled as soon as the connection starts closing, with a *closeCause saying
	// how (see closingFrame).
	ctx    context.Context
	cancel context.CancelCauseFunc

	out chan []byte
	wg  sync.WaitGroup

	// stall, owned by the writer, closes the socket when a write outlasts WriteTimeout;
	// stalled records that it did.
	stall   *time.Timer
	stalled atomic.Bool

	// Owned by the reading goroutine.
	initDone chan struct{}
	authCtx  context.Context // nil until the connection is acknowledged

	mu  sync.Mutex
	ops map[string]*operation
}

// newConn prepares to serve ws, upgraded from r. The connection lives within r's context,
// which net/http keeps alive until Do returns.
func newConn(cfg *Config, hub *hub, proto *protocol, ws *websocket.Conn, exec graphql.GraphExecutor, r *http.Request) *conn {
	ctx, cancel := context.WithCancelCause(r.Context())
	return &conn{
		cfg:      cfg,
		hub:      hub,
		proto:    proto,
		ws:       ws,
		exec:     exec,
		headers:  r.Header,
		log:      cfg.Logger.With("subprotocol", proto.name, "remote", r.RemoteAddr),
		ctx:      ctx,
		cancel:   cancel,
		out:      make(chan []byte, cfg.SendQueue),
		initDone: make(chan struct{}),
		ops:      map[string]*operation{},
	}
}

func (c *conn) serve() {
	c.stall = time.AfterFunc(c.cfg.WriteTimeout, c.onStall)
	c.stall.Stop()
	defer c.stall.Stop()
	c.wg.Go(c.writeLoop)
	if c.cfg.InitTimeout > 0 {
		c.wg.Go(c.awaitInit)
	}
	c.readLoop()
	c.wg.Wait()
}

// closeCause carries the close frame through the connection context's cancellation.
type closeCause struct{ frame closeFrame }

func (c *closeCause) Error() string {
	return fmt.Sprintf("graphql websocket closing with %d %q", c.frame.code, c.frame.reason)
}

// shutdown starts closing the connection; the first reason wins. It never blocks and takes
// no lock of ours, so it is safe from anywhere, including under c.mu.
func (c *conn) shutdown(f closeFrame) {
	c.cancel(&closeCause{frame: f})
}

// closingFrame says how to close once c.ctx is done. When the request context ended
// first — the server cancelling its base context on shutdown, or the client vanishing
// during the upgrade — the client is told the server is going away.
func (c *conn) closingFrame() closeFrame {
	var cause *closeCause
	if errors.As(context.Cause(c.ctx), &cause) {
		return cause.frame
	}
	return closeFrame{code: websocket.StatusGoingAway, reason: "Going away", flush: true}
}

// reject closes with an application close code, preceded by the legacy connection_error.
func (c *conn) reject(code websocket.StatusCode, reason string) {
	reason = truncateReason(reason)
	if msg := c.proto.connectionErrorMessage(reason); msg != nil {
		c.offer(msg)
	}
	c.shutdown(closeFrame{code: code, reason: reason, flush: true})
}

func (c *conn) rejectWith(err error) {
	var ce *closeError
	if errors.As(err, &ce) {
		c.reject(ce.code, ce.reason)
		return
	}
	c.log.Error("graphql websocket failed", "err", err)
	c.reject(CloseInternalError, reasonInternalError)
}

func (c *conn) closed() bool {
	select {
	case <-c.ctx.Done():
		return true
	default:
		return false
	}
}

// offer queues msg if there is room, reporting whether it did.
func (c *conn) offer(msg []byte) bool {
	if c.closed() {
		return false
	}
	select {
	case c.out <- msg:
		return true
	default:
		return false
	}
}

// enqueue queues msg, closing the connection as a slow consumer when the queue is full:
// waiting would hand this client's slowness to the goroutine producing the message.
func (c *conn) enqueue(msg []byte) bool {
	if c.offer(msg) {
		return true
	}
	if !c.closed() {
		c.log.Warn("graphql websocket client too slow; closing", "queue", cap(c.out))
		c.shutdown(closeFrame{code: CloseSlowConsumer, reason: reasonSlowConsumer})
	}
	return false
}

func (c *conn) readLoop() {
	for {
		// Not c.ctx: coder/websocket drops the TCP connection when a read's context ends,
		// which would cut off the close frame the writer is about to send.
		_, data, err := c.ws.Read(context.Background())
		if err != nil {
			c.shutdown(readFailure(err))
			return
		}
		if c.closed() || !c.handle(data, graphql.Now()) {
			return
		}
	}
}

// readFailure maps a failed read to how the connection ends.
func readFailure(err error) closeFrame {
	if errors.Is(err, websocket.ErrMessageTooBig) {
		// coder/websocket has sent the 1009 close frame; finish the handshake.
		return closeFrame{code: websocket.StatusMessageTooBig, reason: "message too big"}
	}
	if code := websocket.CloseStatus(err); code != -1 {
		// The peer closed and coder/websocket has answered its close frame.
		return closeFrame{code: code, abrupt: true}
	}
	return closeFrame{code: websocket.StatusAbnormalClosure, abrupt: true}
}

// handle dispatches one client message, reporting whether to keep reading.
func (c *conn) handle(data []byte, received time.Time) bool {
	msg, err := c.proto.decode(data)
	if err != nil {
		c.rejectWith(err)
		return false
	}
	switch msg.kind {
	case kindInit:
		return c.onInit(msg)
	case kindPing:
		return c.enqueue(c.proto.pongMessage(msg.payload))
	case kindPong:
		return true
	case kindSubscribe:
		return c.onSubscribe(msg, received)
	case kindStop:
		c.onStop(msg.id)
		return true
	case kindTerminate:
		c.shutdown(closeFrame{code: websocket.StatusNormalClosure, flush: true})
		return false
	}
	c.rejectWith(fmt.Errorf("decoded message of unhandled kind %d", msg.kind))
	return false
}

func (c *conn) writeLoop() {
	for {
		select {
		case <-c.ctx.Done():
			c.closeSocket()
			return
		case msg := <-c.out:
			if c.closed() && !c.closingFrame().flush {
				continue
			}
			if err := c.write(msg); err != nil {
				c.shutdown(c.writeFailure(err))
			}
		}
	}
}

// write writes msg, closing the socket if that takes longer than WriteTimeout. One timer
// per connection, reset for each write, bounds it: a context with a deadline per write
// costs a timer, an allocation and a callback registration for every message of a fan-out.
func (c *conn) write(msg []byte) error {
	c.stall.Reset(c.cfg.WriteTimeout)
	err := c.writeWithin(context.Background(), msg)
	c.stall.Stop()
	return err
}

// onStall runs when a write outlasts WriteTimeout: dropping the TCP connection is the only
// way to end a write blocked on a client that stopped reading.
func (c *conn) onStall() {
	c.stalled.Store(true)
	_ = c.ws.CloseNow()
}

// writeWithin writes msg before ctx ends. Not c.ctx: coder/websocket drops the TCP
// connection when a write's context ends, and c.ctx ends before the close frame is sent.
func (c *conn) writeWithin(ctx context.Context, msg []byte) error {
	if err := c.ws.Write(ctx, websocket.MessageText, msg); err != nil {
		return fmt.Errorf("write graphql websocket message: %w", err)
	}
	return nil
}

// writeFailure maps a failed write to how the connection ends. The TCP connection is gone
// in both cases, so no close frame can follow.
func (c *conn) writeFailure(err error) closeFrame {
	if c.stalled.Load() {
		return closeFrame{code: CloseSlowConsumer, reason: reasonSlowConsumer, abrupt: true}
	}
	return closeFrame{code: CloseInternalError, reason: reasonInternalError, abrupt: true}
}

// closeSocket runs on the writer goroutine once the connection is closing, so that the
// close frame follows every message written before it.
func (c *conn) closeSocket() {
	f := c.closingFrame()
	if f.abrupt {
		_ = c.ws.CloseNow()
		return
	}
	if f.flush {
		c.drain()
	}
	// Close performs the handshake with bounded waits; an error means the peer is gone.
	if err := c.ws.Close(f.code, f.reason); err != nil {
		c.log.Debug("graphql websocket close handshake incomplete", "code", int(f.code), "err", err)
	}
}

// drain writes what is queued, all within one WriteTimeout so that a client reading just
// fast enough cannot stretch the close over a timeout per message.
func (c *conn) drain() {
	ctx, cancel := context.WithTimeout(context.Background(), c.cfg.WriteTimeout)
	defer cancel()
	for {
		select {
		case msg := <-c.out:
			if err := c.writeWithin(ctx, msg); err != nil {
				return
			}
		default:
			return
		}
	}
}

func (c *conn) awaitInit() {
	t := time.NewTimer(c.cfg.InitTimeout)
	defer t.Stop()
	select {
	case <-c.initDone:
	case <-c.ctx.Done():
	case <-t.C:
		select {
		case <-c.initDone:
		default:
			c.reject(CloseInitTimeout, reasonInitTimeout)
		}
	}
}
