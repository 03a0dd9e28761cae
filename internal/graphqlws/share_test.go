package graphqlws_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/literaryai/ensemble/internal/graphqlws"
)

// sharingConfig authenticates {"user": name} and shares each user's subscriptions,
// joinable late when late says so.
func sharingConfig(late bool) graphqlws.Config {
	return graphqlws.Config{
		Init: func(ctx context.Context, p map[string]any) (context.Context, error) {
			return context.WithValue(ctx, userKey{}, p["user"]), nil
		},
		Share: func(ctx context.Context, _ *graphql.OperationContext) graphqlws.Sharing {
			user, _ := ctx.Value(userKey{}).(string)
			return graphqlws.Sharing{Scope: user, Late: late}
		},
	}
}

// valueOf reads the number a next (or legacy data) message carries for field.
func valueOf(t *testing.T, m message, field string) int {
	t.Helper()
	var r struct {
		Data map[string]int `json:"data"`
	}
	if err := json.Unmarshal(m.Payload, &r); err != nil {
		t.Fatalf("payload %s: %v", m.Payload, err)
	}
	v, ok := r.Data[field]
	if !ok {
		t.Fatalf("payload %s has no %s", m.Payload, field)
	}
	return v
}

// ascending reads n results of op and checks they increase; it returns the last.
func (c *client) ascending(typ, id, field string, n int) int {
	c.t.Helper()
	last := 0
	for range n {
		v := valueOf(c.t, c.skipUntil(typ, id, "ping", "pong", "ka"), field)
		if v <= last {
			c.t.Fatalf("%s %s: got %d after %d", id, field, v, last)
		}
		last = v
	}
	return last
}

func TestSharedSubscriptionRunsOnceForEverySocket(t *testing.T) {
	schema := newTestSchema(5 * time.Millisecond)
	ts := startServer(t, sharingConfig(true), schema)

	a, b, c := dial(t, ts, modern), dial(t, ts, legacy), dial(t, ts, modern)
	for _, cl := range []*client{a, b, c} {
		cl.init(`{"user":"ada"}`)
	}
	a.subscribe("a", "subscription { forever }")
	b.send(subscribeFrame("start", "b", "subscription { forever }"))
	c.subscribe("c", "subscription { forever }")
	a.ascending("next", "a", "forever", 3)
	b.ascending("data", "b", "forever", 3)
	c.ascending("next", "c", "forever", 3)
	if n := schema.started.Load(); n != 1 {
		t.Fatalf("three sockets subscribing alike started %d executions, want 1", n)
	}

	// One socket leaving does not end the stream for the others.
	a.send(`{"type":"complete","id":"a"}`)
	a.send(`{"type":"ping"}`)
	a.skipUntil("pong", "", "next") // results already on their way may precede it
	b.ascending("data", "b", "forever", 3)
	c.ascending("next", "c", "forever", 3)
	b.send(`{"type":"stop","id":"b"}`)
	b.skipUntil("complete", "b", "data", "ka")

	// The last one leaving ends the execution.
	c.send(`{"type":"complete","id":"c"}`)
	awaitEnd(t, schema, "forever", true)
	if n := schema.started.Load(); n != 1 {
		t.Fatalf("started %d executions, want 1", n)
	}
}

func TestSharingKeepsApartWhatDiffers(t *testing.T) {
	tests := []struct {
		name         string
		userA, userB string
		queryA       string
		queryB       string
	}{
		{name: "another user", userA: "ada", userB: "bob",
			queryA: "subscription { forever }", queryB: "subscription { forever }"},
		{name: "other arguments", userA: "ada", userB: "ada",
			queryA: "subscription { count(to: 1000) }", queryB: "subscription { count(to: 1001) }"},
		{name: "another document", userA: "ada", userB: "ada",
			queryA: "subscription { forever }", queryB: "subscription { f: forever }"},
		{name: "no scope", userA: "", userB: "",
			queryA: "subscription { forever }", queryB: "subscription { forever }"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			schema := newTestSchema(5 * time.Millisecond)
			ts := startServer(t, sharingConfig(true), schema)
			a, b := dial(t, ts, modern), dial(t, ts, modern)
			a.init(fmt.Sprintf(`{"user":%q}`, tt.userA))
			b.init(fmt.Sprintf(`{"user":%q}`, tt.userB))
			a.subscribe("x", tt.queryA)
			b.subscribe("x", tt.queryB)
			a.expect("next", "x")
			b.expect("next", "x")
			if n := schema.started.Load(); n != 2 {
				t.Fatalf("started %d executions, want 2", n)
			}
		})
	}
}

func TestLateJoining(t *testing.T) {
	tests := []struct {
		name         string
		late         bool
		wantStarted  int64
		wantFirstOfB func(first int) bool
	}{
		// A replaying subscription joined late would miss what was sent before: the
		// newcomer gets an execution of its own, from the start.
		{name: "replaying subscription", late: false, wantStarted: 2, wantFirstOfB: func(v int) bool { return v == 1 }},
		// A live-only one is joined, from the next result on.
		{name: "live-only subscription", late: true, wantStarted: 1, wantFirstOfB: func(v int) bool { return v > 1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			schema := newTestSchema(5 * time.Millisecond)
			ts := startServer(t, sharingConfig(tt.late), schema)
			a, b := dial(t, ts, modern), dial(t, ts, modern)
			a.init(`{"user":"ada"}`)
			b.init(`{"user":"ada"}`)
			a.subscribe("x", "subscription { count(to: 1000) }")
			if v := valueOf(t, a.expect("next", "x"), "count"); v != 1 {
				t.Fatalf("first result %d, want 1", v)
			}
			b.subscribe("x", "subscription { count(to: 1000) }")
			if v := valueOf(t, b.expect("next", "x"), "count"); !tt.wantFirstOfB(v) {
				t.Fatalf("the second socket's first result is %d", v)
			}
			if n := schema.started.Load(); n != tt.wantStarted {
				t.Fatalf("started %d executions, want %d", n, tt.wantStarted)
			}
		})
	}
}

func TestSharedExecutionCompletesEverySocket(t *testing.T) {
	schema := newTestSchema(20 * time.Millisecond)
	ts := startServer(t, sharingConfig(true), schema)
	a, b := dial(t, ts, modern), dial(t, ts, legacy)
	a.init(`{"user":"ada"}`)
	b.init(`{"user":"ada"}`)
	a.subscribe("a", "subscription { count(to: 3) }")
	b.send(subscribeFrame("start", "b", "subscription { count(to: 3) }"))
	for _, end := range []struct {
		c        *client
		id, data string
	}{{a, "a", "next"}, {b, "b", "data"}} {
		last := 0
		for {
			m := end.c.read()
			if m.Type == "complete" && m.ID == end.id {
				break
			}
			if m.Type == "ka" || m.Type == "ping" {
				continue
			}
			if m.Type != end.data || m.ID != end.id {
				t.Fatalf("%s: got %s %q %s", end.id, m.Type, m.ID, m.Payload)
			}
			last = valueOf(t, m, "count")
		}
		if last != 3 {
			t.Fatalf("%s: last result %d before complete, want 3", end.id, last)
		}
	}
	awaitEnd(t, schema, "count", false)
	// Both sockets stay usable.
	a.roundTrip()
	b.send(subscribeFrame("start", "again", "subscription { count(to: 1) }"))
	b.skipUntil("data", "again", "ka")
}

func TestPanicInASharedExecutionAnswersEverySocket(t *testing.T) {
	schema := newTestSchema(0)
	cfg := sharingConfig(false)
	asked := make(chan struct{}, 2)
	share := cfg.Share
	cfg.Share = func(ctx context.Context, oc *graphql.OperationContext) graphqlws.Sharing {
		asked <- struct{}{}
		return share(ctx, oc)
	}
	ts := startServer(t, cfg, schema)
	a, b := dial(t, ts, modern), dial(t, ts, legacy)
	a.init(`{"user":"ada"}`)
	b.init(`{"user":"ada"}`)
	a.subscribe("a", "subscription { explode }")
	b.send(subscribeFrame("start", "b", "subscription { explode }"))
	for range 2 {
		<-asked
	}
	// Both have been asked about; they join right after. The execution answers nothing
	// before the gate opens, so the second joins the first.
	close(schema.gate)
	if errs := errorsOf(t, a.skipUntil("error", "a", "ping")); errs[0].Message != "internal system error" {
		t.Fatalf("socket a: %+v", errs)
	}
	if errs := errorsOf(t, b.skipUntil("error", "b", "ka")); errs[0].Message != "internal system error" {
		t.Fatalf("socket b: %+v", errs)
	}
	// The sockets stay usable.
	a.roundTrip()
	b.send(subscribeFrame("start", "again", "subscription { count(to: 1) }"))
	b.skipUntil("data", "again", "ka")
}
