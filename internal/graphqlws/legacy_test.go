package graphqlws_test

import (
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/literaryai/ensemble/internal/graphqlws"
)

// TestLegacyProtocol covers subscriptions-transport-ws ("graphql-ws") clients.
func TestLegacyProtocol(t *testing.T) {
	tests := []struct {
		name   string
		cfg    graphqlws.Config
		script func(t *testing.T, c *client, s *testSchema)
	}{
		{
			name: "init is acknowledged and followed by ka",
			script: func(_ *testing.T, c *client, _ *testSchema) {
				c.init("")
				c.expect("ka", "")
			},
		},
		{
			name: "start streams data then complete",
			script: func(t *testing.T, c *client, s *testSchema) {
				c.init("")
				c.expect("ka", "")
				c.send(subscribeFrame("start", "1", "subscription { count(to: 2) }"))
				if m := c.expect("data", "1"); string(m.Payload) != `{"data":{"count":1}}` {
					t.Fatalf("data payload %s", m.Payload)
				}
				c.expect("data", "1")
				c.expect("complete", "1")
				awaitEnd(t, s, "count", false)
			},
		},
		{
			name: "start right after init, without waiting for the ack",
			script: func(_ *testing.T, c *client, _ *testSchema) {
				c.send(`{"type":"connection_init"}`)
				c.send(subscribeFrame("start", "1", "{ hello }"))
				c.expect("connection_ack", "")
				c.expect("ka", "")
				c.expect("data", "1")
				c.expect("complete", "1")
			},
		},
		{
			name: "stop cancels the resolver and completes",
			script: func(t *testing.T, c *client, s *testSchema) {
				c.init("")
				c.expect("ka", "")
				c.send(subscribeFrame("start", "1", "subscription { forever }"))
				c.expect("data", "1")
				c.send(`{"type":"stop","id":"1"}`)
				c.skipUntil("complete", "1", "data")
				awaitEnd(t, s, "forever", true)
			},
		},
		{
			name: "validation error answers error for the id only",
			script: func(t *testing.T, c *client, _ *testSchema) {
				c.init("")
				c.expect("ka", "")
				c.send(subscribeFrame("start", "bad", "{ nope }"))
				if errs := errorsOf(t, c.expect("error", "bad")); errs[0].Extensions["code"] != "GRAPHQL_VALIDATION_FAILED" {
					t.Fatalf("error %+v", errs[0])
				}
				c.send(subscribeFrame("start", "good", "{ hello }"))
				c.expect("data", "good")
				c.expect("complete", "good")
			},
		},
		{
			name: "connection_terminate closes normally",
			script: func(_ *testing.T, c *client, _ *testSchema) {
				c.init("")
				c.expect("ka", "")
				c.send(`{"type":"connection_terminate"}`)
				c.expectClose(websocket.StatusNormalClosure, "")
			},
		},
		{
			name: "rejected init sends connection_error then closes 4403",
			cfg:  graphqlws.Config{Init: rejectWith("invalid token")},
			script: func(t *testing.T, c *client, _ *testSchema) {
				c.send(`{"type":"connection_init","payload":{"authToken":"bad"}}`)
				if m := c.expect("connection_error", ""); string(m.Payload) != `{"message":"Forbidden: invalid token"}` {
					t.Fatalf("connection_error payload %s", m.Payload)
				}
				c.expectClose(4403, "Forbidden: invalid token")
			},
		},
		{
			name: "start before init",
			script: func(_ *testing.T, c *client, _ *testSchema) {
				c.send(subscribeFrame("start", "1", "{ hello }"))
				c.expect("connection_error", "")
				c.expectClose(4401, "Unauthorized")
			},
		},
		{
			name: "modern message type is unknown",
			script: func(_ *testing.T, c *client, _ *testSchema) {
				c.init("")
				c.expect("ka", "")
				c.send(subscribeFrame("subscribe", "1", "{ hello }"))
				c.expect("connection_error", "")
				c.expectClose(4400, `Invalid message received: unknown type "subscribe"`)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTestSchema(5 * time.Millisecond)
			ts := startServer(t, tt.cfg, s)
			tt.script(t, dial(t, ts, legacy), s)
		})
	}
}
