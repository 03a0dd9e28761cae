package graphqlws_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/coder/websocket"

	"github.com/literaryai/ensemble/internal/graphqlws"
)

// TestPingPong: a ping is answered with a pong echoing its payload, before and after init.
func TestPingPong(t *testing.T) {
	tests := []struct {
		name, ping, pong string
		initFirst        bool
	}{
		{name: "no payload", ping: `{"type":"ping"}`, pong: `{"type":"pong"}`},
		{name: "payload echoed", ping: `{"type":"ping","payload":{"seq":7,"tag":"a"}}`,
			pong: `{"type":"pong","payload":{"seq":7,"tag":"a"}}`},
		{name: "null payload", ping: `{"type":"ping","payload":null}`, pong: `{"type":"pong"}`},
		{name: "after init", ping: `{"type":"ping","payload":{"n":1}}`,
			pong: `{"type":"pong","payload":{"n":1}}`, initFirst: true},
	}
	ts := startServer(t, graphqlws.Config{}, newTestSchema(0))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, ts, modern)
			if tt.initFirst {
				c.init("")
			}
			c.send(tt.ping)
			_, got, err := c.ws.Read(context.Background())
			if err != nil {
				t.Fatalf("read pong: %v", err)
			}
			if string(got) != tt.pong {
				t.Fatalf("got %s, want %s", got, tt.pong)
			}
		})
	}
}

// TestServerKeepAlive: after the acknowledgement the server pings (graphql-transport-ws) or
// sends ka (graphql-ws) every KeepAlive.
func TestServerKeepAlive(t *testing.T) {
	tests := []struct {
		subprotocol, keepAlive string
	}{
		{modern, "ping"},
		{legacy, "ka"},
	}
	ts := startServer(t, graphqlws.Config{KeepAlive: 20 * time.Millisecond}, newTestSchema(0))
	for _, tt := range tests {
		t.Run(tt.subprotocol, func(t *testing.T) {
			c := dial(t, ts, tt.subprotocol)
			c.init("")
			for range 3 {
				c.expect(tt.keepAlive, "")
			}
			if tt.subprotocol == modern {
				// Answering the server's ping is allowed and changes nothing.
				c.send(`{"type":"pong"}`)
				c.roundTrip()
			}
		})
	}
}

// TestSubscriptionStreamsToComplete: subscribe → next per event → complete when the
// resolver's stream ends, with results shaped as GraphQL responses.
func TestSubscriptionStreamsToComplete(t *testing.T) {
	schema := newTestSchema(0)
	ts := startServer(t, graphqlws.Config{}, schema)
	c := dial(t, ts, modern)
	c.init("")
	c.send(`{"type":"subscribe","id":"s1","payload":{"query":"subscription($n: Int!) { count(to: $n) }","variables":{"n":3}}}`)
	for i := 1; i <= 3; i++ {
		m := c.expect("next", "s1")
		want := fmt.Sprintf(`{"data":{"count":%d}}`, i)
		if string(m.Payload) != want {
			t.Fatalf("next %d payload %s, want %s", i, m.Payload, want)
		}
	}
	c.expect("complete", "s1")
	awaitEnd(t, schema, "count", false)
	// The id is free again once the operation completed.
	c.subscribe("s1", "subscription { count(to: 1) }")
	c.expect("next", "s1")
	c.expect("complete", "s1")
}

// TestClientCompleteStopsStream: the client's complete cancels the resolver's context and
// nothing more is sent for that id, not even complete.
func TestClientCompleteStopsStream(t *testing.T) {
	schema := newTestSchema(2 * time.Millisecond)
	ts := startServer(t, graphqlws.Config{}, schema)
	c := dial(t, ts, modern)
	c.init("")
	c.subscribe("s", "subscription { forever }")
	c.expect("next", "s")
	c.expect("next", "s")

	c.send(`{"type":"complete","id":"s"}`)
	awaitEnd(t, schema, "forever", true)
	// The server handles messages in order, so anything for s was queued before this pong.
	c.send(`{"type":"ping"}`)
	c.skipUntil("pong", "", "next")
	time.Sleep(20 * time.Millisecond) // ten would-be events
	c.roundTrip()

	// Completing an unknown or finished id is not an error.
	c.send(`{"type":"complete","id":"s"}`)
	c.roundTrip()
}

// TestOperationsOverSocket: a query answers next then complete, and an operation that does
// not parse or validate answers error for its id only, leaving the connection open.
func TestOperationsOverSocket(t *testing.T) {
	tests := []struct {
		name      string
		payload   string
		wantNext  string // the single next payload; empty when an error is wanted
		wantCode  string // extensions.code of the error, if any
		wantInMsg string
	}{
		{name: "query", payload: `{"query":"{ hello }"}`, wantNext: `{"data":{"hello":"ada"}}`},
		{name: "query with operation name", payload: `{"query":"query A { a: hello } query B { b: hello }","operationName":"B"}`,
			wantNext: `{"data":{"b":"ada"}}`},
		{name: "validation error", payload: `{"query":"{ nope }"}`,
			wantCode: "GRAPHQL_VALIDATION_FAILED", wantInMsg: `Cannot query field "nope" on type "Query".`},
		{name: "parse error", payload: `{"query":"{ hello"}`,
			wantCode: "GRAPHQL_PARSE_FAILED", wantInMsg: `Expected Name, found <EOF>`},
		{name: "missing variable", payload: `{"query":"subscription($n: Int!) { count(to: $n) }"}`,
			wantCode: "GRAPHQL_VALIDATION_FAILED", wantInMsg: `must be defined`},
		{name: "unknown operation name", payload: `{"query":"{ hello }","operationName":"Nope"}`,
			wantCode: "GRAPHQL_VALIDATION_FAILED", wantInMsg: `operation Nope not found`},
		{name: "panic during execution", payload: `{"query":"{ boom }"}`, wantInMsg: "internal system error"},
	}
	// Init's context reaches the resolvers: hello answers the user it carries.
	cfg := graphqlws.Config{Init: func(ctx context.Context, p map[string]any) (context.Context, error) {
		return context.WithValue(ctx, userKey{}, p["user"]), nil
	}}
	ts := startServer(t, cfg, newTestSchema(0))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := dial(t, ts, modern)
			c.init(`{"user":"ada"}`)
			c.send(`{"type":"subscribe","id":"op","payload":` + tt.payload + `}`)
			if tt.wantNext != "" {
				if m := c.expect("next", "op"); string(m.Payload) != tt.wantNext {
					t.Fatalf("next payload %s, want %s", m.Payload, tt.wantNext)
				}
				c.expect("complete", "op")
			} else {
				errs := errorsOf(t, c.expect("error", "op"))
				code, _ := errs[0].Extensions["code"].(string)
				if code != tt.wantCode || !strings.Contains(errs[0].Message, tt.wantInMsg) {
					t.Fatalf("error %+v, want code %s and message containing %q", errs[0], tt.wantCode, tt.wantInMsg)
				}
			}
			// No complete follows an error, and the connection is still served.
			c.roundTrip()
		})
	}
}

// TestMaxSubscriptions: a subscribe beyond the limit gets a RATE_LIMITED error for its id;
// the connection stays, and a slot freed by complete can be used again.
func TestMaxSubscriptions(t *testing.T) {
	schema := newTestSchema(5 * time.Millisecond)
	ts := startServer(t, graphqlws.Config{MaxSubscriptions: 2}, schema)
	c := dial(t, ts, modern)
	c.init("")
	c.subscribe("a", "subscription { forever }")
	c.subscribe("b", "subscription { forever }")
	c.subscribe("c", "subscription { forever }")
	errs := errorsOf(t, c.skipUntil("error", "c", "next"))
	if errs[0].Extensions["code"] != "RATE_LIMITED" {
		t.Fatalf("error %+v, want code RATE_LIMITED", errs[0])
	}

	c.send(`{"type":"complete","id":"a"}`)
	c.subscribe("c", "subscription { count(to: 1) }")
	c.skipUntil("complete", "c", "next")
}

// TestDefaultsApply: the zero Config serves a connection (defaults fill every field).
func TestDefaultsApply(t *testing.T) {
	ts := startServer(t, graphqlws.Config{}, newTestSchema(0))
	c := dial(t, ts, modern)
	c.init("")
	c.subscribe("q", "{ hello }")
	m := c.expect("next", "q")
	var resp struct {
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal(m.Payload, &resp); err != nil || resp.Data["hello"] != "world" {
		t.Fatalf("payload %s: %v", m.Payload, err)
	}
	c.expect("complete", "q")
}

// TestServerShutdownClosesGoingAway: when the server's base context is cancelled (graceful
// shutdown), open sockets close with 1001 and their resolvers are cancelled.
func TestServerShutdownClosesGoingAway(t *testing.T) {
	schema := newTestSchema(5 * time.Millisecond)
	base, shutdown := context.WithCancel(context.Background())
	defer shutdown()
	ts := httptest.NewUnstartedServer(newHandler(graphqlws.Config{}, schema))
	ts.Config.BaseContext = func(net.Listener) context.Context { return base }
	ts.Start()
	defer ts.Close()

	c := dial(t, ts, modern)
	c.init("")
	c.subscribe("s", "subscription { forever }")
	c.expect("next", "s")
	shutdown()
	c.expectClose(websocket.StatusGoingAway, "Going away")
	awaitEnd(t, schema, "forever", true)
}

// TestShutdownClosesForRestart: Shutdown closes every socket with 1001 after what was
// queued, with no complete for the running subscriptions (clients would take it as the end
// and not resubscribe), cancels their resolvers, closes sockets upgraded afterwards at once,
// and returns once all are closed.
func TestShutdownClosesForRestart(t *testing.T) {
	tests := []struct {
		proto, start, next string
		acks               []string
	}{
		{proto: modern, start: "subscribe", next: "next"},
		{proto: legacy, start: "start", next: "data", acks: []string{"ka"}},
	}
	for _, tt := range tests {
		t.Run(tt.proto, func(t *testing.T) {
			schema := newTestSchema(5 * time.Millisecond)
			ws := graphqlws.New(graphqlws.Config{})
			srv := handler.New(schema)
			srv.AddTransport(ws)
			ts := httptest.NewServer(srv)
			defer ts.Close()

			c := dial(t, ts, tt.proto)
			c.init("")
			for _, typ := range tt.acks {
				c.expect(typ, "")
			}
			c.send(subscribeFrame(tt.start, "s", "subscription { forever }"))
			c.expect(tt.next, "s")

			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- ws.Shutdown(ctx) }()
			for _, m := range c.expectClose(websocket.StatusGoingAway, "Going away: server restarting") {
				if m.Type != tt.next {
					t.Errorf("got %s %q before the close, want only %s", m.Type, m.ID, tt.next)
				}
			}
			awaitEnd(t, schema, "forever", true)
			if err := <-done; err != nil {
				t.Fatalf("Shutdown: %v", err)
			}

			late := dial(t, ts, tt.proto)
			late.expectClose(websocket.StatusGoingAway, "Going away: server restarting")
		})
	}
}
