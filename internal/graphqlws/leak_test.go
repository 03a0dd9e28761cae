package graphqlws_test

import (
	"net/http"
	"runtime"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/literaryai/ensemble/internal/graphqlws"
)

// TestNoGoroutineLeaks closes connections every way they can close, with operations
// running, and checks that every goroutine the transport started (readers, writers,
// keep-alives, timers, operations and their resolvers) has exited.
func TestNoGoroutineLeaks(t *testing.T) {
	baseline := settledGoroutines()

	schema := newTestSchema(2 * time.Millisecond)
	ts := startServer(t, graphqlws.Config{InitTimeout: 200 * time.Millisecond, KeepAlive: 10 * time.Millisecond}, schema)
	slowTS := startServer(t, graphqlws.Config{SendQueue: 2}, newTestSchema(0))

	scenarios := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"client drops the TCP connection", func(t *testing.T) {
			c := dial(t, ts, modern)
			c.init("")
			c.subscribe("a", "subscription { forever }")
			c.subscribe("b", "subscription { forever }")
			c.skipUntil("next", "a", "ping", "next")
			_ = c.ws.CloseNow()
		}},
		{"client closes normally", func(t *testing.T) {
			c := dial(t, ts, modern)
			c.init("")
			c.subscribe("a", "subscription { forever }")
			c.skipUntil("next", "a", "ping", "next")
			if err := c.ws.Close(websocket.StatusNormalClosure, "bye"); err != nil {
				t.Fatalf("close: %v", err)
			}
		}},
		{"server closes on a protocol error", func(t *testing.T) {
			c := dial(t, ts, modern)
			c.init("")
			c.subscribe("a", "subscription { forever }")
			c.subscribe("a", "subscription { forever }")
			c.expectClose(4409, "Subscriber for a already exists")
		}},
		{"init timeout", func(t *testing.T) {
			dial(t, ts, modern).expectClose(4408, "Connection initialisation timeout")
		}},
		{"legacy terminate", func(t *testing.T) {
			c := dial(t, ts, legacy)
			c.init("")
			c.send(subscribeFrame("start", "1", "subscription { forever }"))
			c.send(`{"type":"connection_terminate"}`)
			c.expectClose(websocket.StatusNormalClosure, "")
		}},
		{"slow consumer", func(t *testing.T) {
			c := dial(t, slowTS, modern)
			c.init("")
			c.subscribe("a", "subscription { forever }")
			c.expectClose(4499, "Slow consumer: reconnect and resume from your last cursor")
		}},
	}
	for _, s := range scenarios {
		t.Run(s.name, s.run)
	}

	ts.Close()
	slowTS.Close()
	http.DefaultClient.CloseIdleConnections()
	deadline := time.Now().Add(wait)
	for runtime.NumGoroutine() > baseline {
		if time.Now().After(deadline) {
			var b strings.Builder
			_ = pprof.Lookup("goroutine").WriteTo(&b, 1)
			t.Fatalf("%d goroutines remain, %d before the test:\n%s", runtime.NumGoroutine(), baseline, b.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// settledGoroutines waits for goroutines left by earlier tests to finish exiting, so that
// they are not counted as this test's baseline.
func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for range 100 {
		time.Sleep(20 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m == n {
			return n
		}
		n = m
	}
	return n
}
