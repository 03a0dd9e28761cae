package graphqlws

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Defaults applied to the zero fields of Config.
const (
	DefaultInitTimeout      = 3 * time.Second
	DefaultKeepAlive        = 12 * time.Second
	DefaultReadLimit        = 1 << 20
	DefaultSendQueue        = 256
	DefaultWriteTimeout     = 10 * time.Second
	DefaultMaxSubscriptions = 100
)

// Config configures a Transport. The zero value of every field selects its default.
type Config struct {
	// Init is called with the connection_init payload (nil when the client sent none) and
	// a context derived from the upgrade request's. The context it returns is the parent of
	// every operation on the connection; when it is cancelled after the acknowledgement the
	// connection closes with 4403 "Forbidden: credentials expired or revoked". A non-nil
	// error refuses the connection with 4403 "Forbidden: <error message>", cut to the
	// 123 bytes a close reason holds, so the message must be fit for the client. A nil Init
	// accepts every connection.
	Init func(ctx context.Context, payload map[string]any) (context.Context, error)

	// InitTimeout bounds the wait for connection_init (close 4408). Negative disables it.
	InitTimeout time.Duration

	// KeepAlive is the interval of server pings (graphql-transport-ws) or ka messages
	// (graphql-ws) after the acknowledgement. Negative disables them.
	KeepAlive time.Duration

	// OriginPatterns lists the Origin hosts, besides the request's own host, allowed to
	// open a socket (see websocket.AcceptOptions.OriginPatterns). Others get HTTP 403.
	OriginPatterns []string

	// ReadLimit is the largest inbound message in bytes; a larger one closes with 1009.
	// Negative disables the limit.
	ReadLimit int64

	// SendQueue bounds the messages waiting to be written to one connection. When it is
	// full the connection closes with 4499.
	SendQueue int

	// WriteTimeout bounds one write to the socket. When it passes the connection closes.
	WriteTimeout time.Duration

	// MaxSubscriptions bounds the operations running at once on one connection. Negative
	// removes the bound.
	MaxSubscriptions int

	// Logger receives connection-level diagnostics. Nil discards them.
	Logger *slog.Logger

	// Share, when set, is asked about every subscription once it has been validated. When
	// it answers a Scope, identical subscriptions (same scope, document, operation name and
	// variables) on the Transport's sockets run as one execution whose results are encoded
	// once and sent to each socket: with many watchers of one stream, the cost of a result
	// no longer grows with the watchers. The execution runs with the values of the first
	// subscriber's context, so the scope must cover everything results depend on (the
	// viewer, typically); it ends when its last subscriber leaves.
	Share func(ctx context.Context, oc *graphql.OperationContext) Sharing
}

// withDefaults resolves the zero fields of c; negative values stay, meaning "disabled".
func (c Config) withDefaults() Config {
	if c.InitTimeout == 0 {
		c.InitTimeout = DefaultInitTimeout
	}
	if c.KeepAlive == 0 {
		c.KeepAlive = DefaultKeepAlive
	}
	if c.ReadLimit == 0 {
		c.ReadLimit = DefaultReadLimit
	}
	if c.SendQueue <= 0 {
		c.SendQueue = DefaultSendQueue
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.MaxSubscriptions == 0 {
		c.MaxSubscriptions = DefaultMaxSubscriptions
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Transport is a graphql.Transport serving graphql-transport-ws and the legacy graphql-ws.
type Transport struct {
	cfg Config
	hub *hub

	// mu guards conns and closing. closed is closed once Shutdown has begun and no
	// connection is left.
	mu      sync.Mutex
	conns   map[*conn]struct{}
	closing bool
	closed  chan struct{}
}

var _ graphql.Transport = (*Transport)(nil)

// New returns a Transport configured by cfg.
func New(cfg Config) *Transport {
	return &Transport{cfg: cfg.withDefaults(), hub: newHub(), conns: map[*conn]struct{}{}, closed: make(chan struct{})}
}

// Shutdown closes every connection with 1001 "Going away: server restarting", after the
// messages already queued and without a complete for the running operations: clients
// (graphql-ws's among them) take complete as the end of a subscription, and a close code
// they retry as the cue to reconnect and subscribe again, with their latest cursor.
// Connections upgraded from now on are closed the same way at once. Shutdown returns once
// every connection is closed, or with ctx's error when ctx ends first.
// net/http's Server.Shutdown does neither: it does not track upgraded connections.
func (t *Transport) Shutdown(ctx context.Context) error {
	t.mu.Lock()
	if !t.closing {
		t.closing = true
		for c := range t.conns {
			c.shutdown(restartFrame)
		}
		t.closeIfIdle()
	}
	t.mu.Unlock()
	select {
	case <-t.closed:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("graphql websockets still closing: %w", ctx.Err())
	}
}

// restartFrame ends a connection for Shutdown.
var restartFrame = closeFrame{code: websocket.StatusGoingAway, reason: reasonRestart, flush: true}

// track registers c until it has been served, closing it at once if Shutdown has begun.
func (t *Transport) track(c *conn) (untrack func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.conns[c] = struct{}{}
	if t.closing {
		c.shutdown(restartFrame)
	}
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		delete(t.conns, c)
		if t.closing {
			t.closeIfIdle()
		}
	}
}

// closeIfIdle reports the end of Shutdown's wait; t.mu is held and closing set.
func (t *Transport) closeIfIdle() {
	select {
	case <-t.closed:
	default:
		if len(t.conns) == 0 {
			close(t.closed)
		}
	}
}

// Supports reports whether r asks for a WebSocket upgrade.
func (t *Transport) Supports(r *http.Request) bool {
	return r.Method == http.MethodGet && headerHasToken(r.Header, "Upgrade", "websocket")
}

// Do upgrades the request and serves the connection until it closes, including every
// goroutine it started.
func (t *Transport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	proto, ok := negotiate(r.Header)
	if !ok {
		writeHTTPError(w, http.StatusBadRequest,
			"a WebSocket subprotocol is required: "+SubprotocolTransportWS+" or "+SubprotocolGraphQLWS)
		return
	}
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:   []string{proto.name},
		OriginPatterns: t.cfg.OriginPatterns,
	})
	if err != nil {
		// Accept has answered already (403 for a foreign Origin).
		t.cfg.Logger.Debug("websocket upgrade refused", "origin", r.Header.Get("Origin"), "err", err)
		return
	}
	ws.SetReadLimit(t.cfg.ReadLimit)
	c := newConn(&t.cfg, t.hub, proto, ws, exec, r)
	defer t.track(c)()
	c.serve()
}

// negotiate picks the protocol among those the client offers, preferring the modern one.
func negotiate(h http.Header) (*protocol, bool) {
	var offered []string
	for _, v := range h.Values("Sec-WebSocket-Protocol") {
		for p := range strings.SplitSeq(v, ",") {
			offered = append(offered, strings.TrimSpace(p))
		}
	}
	for _, p := range []*protocol{transportWS(), legacyWS()} {
		for _, o := range offered {
			if o == p.name {
				return p, true
			}
		}
	}
	return nil, false
}

func headerHasToken(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// writeHTTPError answers in the GraphQL response shape the HTTP transports use.
func writeHTTPError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(&graphql.Response{Errors: gqlerror.List{{Message: msg}}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
