package graphqlws_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/literaryai/ensemble/internal/graphqlws"
)

func rejectWith(msg string) func(context.Context, map[string]any) (context.Context, error) {
	return func(context.Context, map[string]any) (context.Context, error) {
		return nil, errors.New(msg)
	}
}

// TestCloseCodes drives each protocol violation with raw frames and checks the exact close
// code and reason graphql-transport-ws prescribes.
func TestCloseCodes(t *testing.T) {
	long := strings.Repeat("x", 300)
	tests := []struct {
		name   string
		cfg    graphqlws.Config
		script func(c *client)
		code   websocket.StatusCode
		reason string
	}{
		{
			name:   "invalid JSON",
			script: func(c *client) { c.send(`{"type":`) },
			code:   4400, reason: "Invalid message received: invalid JSON",
		},
		{
			name:   "not an object",
			script: func(c *client) { c.send(`["connection_init"]`) },
			code:   4400, reason: "Invalid message received: message is not a JSON object",
		},
		{
			name:   "missing type",
			script: func(c *client) { c.send(`{"id":"1"}`) },
			code:   4400, reason: "Invalid message received: missing or invalid type",
		},
		{
			name:   "type not a string",
			script: func(c *client) { c.send(`{"type":7}`) },
			code:   4400, reason: "Invalid message received: missing or invalid type",
		},
		{
			name:   "unknown type",
			script: func(c *client) { c.send(`{"type":"start","id":"1","payload":{"query":"{ hello }"}}`) },
			code:   4400, reason: `Invalid message received: unknown type "start"`,
		},
		{
			name:   "server-to-client type",
			script: func(c *client) { c.send(`{"type":"next","id":"1","payload":{}}`) },
			code:   4400, reason: `Invalid message received: unknown type "next"`,
		},
		{
			name:   "init payload not an object",
			script: func(c *client) { c.send(`{"type":"connection_init","payload":"token"}`) },
			code:   4400, reason: "Invalid message received: connection_init payload must be an object",
		},
		{
			name: "subscribe without id",
			script: func(c *client) {
				c.init("")
				c.send(`{"type":"subscribe","payload":{"query":"{ hello }"}}`)
			},
			code: 4400, reason: "Invalid message received: subscribe requires a non-empty string id",
		},
		{
			name: "subscribe with empty id",
			script: func(c *client) {
				c.init("")
				c.send(`{"type":"subscribe","id":"","payload":{"query":"{ hello }"}}`)
			},
			code: 4400, reason: "Invalid message received: subscribe requires a non-empty string id",
		},
		{
			name: "subscribe without payload",
			script: func(c *client) {
				c.init("")
				c.send(`{"type":"subscribe","id":"1"}`)
			},
			code: 4400, reason: "Invalid message received: subscribe requires a payload",
		},
		{
			name: "subscribe with non-object payload",
			script: func(c *client) {
				c.init("")
				c.send(`{"type":"subscribe","id":"1","payload":"{ hello }"}`)
			},
			code: 4400, reason: "Invalid message received: subscribe payload must be an object",
		},
		{
			name: "subscribe without query",
			script: func(c *client) {
				c.init("")
				c.send(`{"type":"subscribe","id":"1","payload":{"variables":{}}}`)
			},
			code: 4400, reason: "Invalid message received: subscribe payload requires a string query",
		},
		{
			name: "complete without id",
			script: func(c *client) {
				c.init("")
				c.send(`{"type":"complete"}`)
			},
			code: 4400, reason: "Invalid message received: complete requires a non-empty string id",
		},
		{
			name:   "subscribe before connection_init",
			script: func(c *client) { c.subscribe("1", "{ hello }") },
			code:   4401, reason: "Unauthorized",
		},
		{
			name:   "init rejected",
			cfg:    graphqlws.Config{Init: rejectWith("invalid token")},
			script: func(c *client) { c.send(`{"type":"connection_init","payload":{"token":"bad"}}`) },
			code:   4403, reason: "Forbidden: invalid token",
		},
		{
			name:   "init rejected with a long message",
			cfg:    graphqlws.Config{Init: rejectWith(long)},
			script: func(c *client) { c.send(`{"type":"connection_init"}`) },
			code:   4403, reason: ("Forbidden: " + long)[:120] + "…",
		},
		{
			name: "init returns an already ended context",
			cfg: graphqlws.Config{Init: func(ctx context.Context, _ map[string]any) (context.Context, error) {
				ctx, cancel := context.WithCancel(ctx)
				cancel()
				return ctx, nil
			}},
			script: func(c *client) { c.send(`{"type":"connection_init"}`) },
			code:   4403, reason: "Forbidden: credentials expired or revoked",
		},
		{
			name:   "init timeout",
			cfg:    graphqlws.Config{InitTimeout: 100 * time.Millisecond},
			script: func(*client) {},
			code:   4408, reason: "Connection initialisation timeout",
		},
		{
			name: "duplicate id",
			script: func(c *client) {
				c.init("")
				c.subscribe("a", "subscription { forever }")
				c.subscribe("a", "subscription { forever }")
			},
			code: 4409, reason: "Subscriber for a already exists",
		},
		{
			name: "second connection_init",
			script: func(c *client) {
				c.init("")
				c.send(`{"type":"connection_init"}`)
			},
			code: 4429, reason: "Too many initialisation requests",
		},
		{
			name: "init panics",
			cfg: graphqlws.Config{Init: func(context.Context, map[string]any) (context.Context, error) {
				panic("boom")
			}},
			script: func(c *client) { c.send(`{"type":"connection_init"}`) },
			code:   4500, reason: "Internal server error",
		},
		{
			name:   "oversized frame",
			cfg:    graphqlws.Config{ReadLimit: 1024},
			script: func(c *client) { c.send(`{"type":"ping","payload":{"pad":"` + strings.Repeat("x", 2048) + `"}}`) },
			// The reason is coder/websocket's; it counts the extra byte it reads to detect the excess.
			code: websocket.StatusMessageTooBig, reason: "read limited at 1025 bytes",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, tt.cfg, newTestSchema(5*time.Millisecond))
			c := dial(t, ts, modern)
			tt.script(c)
			for _, m := range c.expectClose(tt.code, tt.reason) {
				// Only a stream started by the script may have spoken before the close.
				if m.Type != "next" {
					t.Errorf("unexpected %s %q %s before the close", m.Type, m.ID, m.Payload)
				}
			}
		})
	}
}

// TestCredentialsEndedCloses: when the context Init returned is cancelled mid-connection
// (token expired or revoked), the socket closes with 4403 and running resolvers are cancelled.
func TestCredentialsEndedCloses(t *testing.T) {
	revoke := make(chan context.CancelFunc, 1)
	cfg := graphqlws.Config{Init: func(ctx context.Context, _ map[string]any) (context.Context, error) {
		ctx, cancel := context.WithCancel(ctx)
		revoke <- cancel
		return ctx, nil
	}}
	schema := newTestSchema(5 * time.Millisecond)
	ts := startServer(t, cfg, schema)
	c := dial(t, ts, modern)
	c.init(`{"token":"t"}`)
	c.subscribe("s", "subscription { forever }")
	c.expect("next", "s")

	(<-revoke)()

	c.expectClose(4403, "Forbidden: credentials expired or revoked")
	awaitEnd(t, schema, "forever", true)
}

// TestSlowConsumer: a client that stops reading while its subscription produces as fast as
// it can is closed with 4499 and its resolver cancelled, while another connection on the
// same server keeps being served.
func TestSlowConsumer(t *testing.T) {
	schema := newTestSchema(0)
	// The fast client's whole stream fits in the queue, so only the flood can overflow it.
	ts := startServer(t, graphqlws.Config{SendQueue: 64, WriteTimeout: wait}, schema)

	slow := dial(t, ts, modern)
	slow.init("")
	slow.subscribe("flood", "subscription { forever }")

	fast := dial(t, ts, modern)
	fast.init("")
	fast.subscribe("c", "subscription { count(to: 50) }")
	for range 50 {
		fast.expect("next", "c")
	}
	fast.expect("complete", "c")

	// The server gave up on the slow client without its help; reading now drains what was
	// written before the close frame.
	awaitEnd(t, schema, "forever", true)
	slow.expectClose(4499, "Slow consumer: reconnect and resume from your last cursor")
	fast.roundTrip()
}
