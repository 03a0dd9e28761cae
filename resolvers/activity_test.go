package resolvers_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/activity"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/testkit"
)

// TestActivitySelectsOpOnEveryMember: a client selects `op` on every member of Activity
// that has one (the fields must not conflict), and each change arrives with its op.
func TestActivitySelectsOpOnEveryMember(t *testing.T) {
	srv := testkit.NewServer(t)
	c := newCast(t, srv, "watcher")
	ws := srv.Live(t, c.session.AccessToken)
	ws.Subscribe("all", `subscription($e: ID!) { ecosystemActivity(ecosystemId: $e) { topic activity { __typename
		... on CharacterActivity { op }
		... on MemoryActivity { op count }
		... on ConversationActivity { op } } } }`, map[string]any{"e": c.ecosystem})
	// A subscription without a cursor starts live; give the server a moment to register.
	time.Sleep(200 * time.Millisecond)

	var memory struct{ AddMemory struct{ ID string } }
	tests := []struct {
		name     string
		mutation string
		vars     map[string]any
		out      any
		typename string
		op       string
		count    int
	}{
		{"character changed", `mutation($id: ID!) { updateCharacter(id: $id, input: {currentEmotion: "joy"}) { id } }`,
			map[string]any{"id": c.character}, &struct{}{}, "CharacterActivity", "UPSERT", 0},
		{"memory added", `mutation($c: ID!) { addMemory(characterId: $c, input: {content: "Jane is in town.", type: FACT}) { id } }`,
			map[string]any{"c": c.character}, &memory, "MemoryActivity", "UPSERT", 1},
		{"memories imported", `mutation($c: ID!) { addMemories(characterId: $c, input: [{content: "One.", type: FACT}, {content: "Two.", type: FACT}]) }`,
			map[string]any{"c": c.character}, &struct{}{}, "MemoryActivity", "IMPORT", 2},
		{"memory forgotten", `mutation($id: ID!) { forgetMemory(id: $id) }`,
			nil, &struct{}{}, "MemoryActivity", "DELETE", 1},
		{"conversation paused", `mutation($id: ID!) { setConversationStatus(id: $id, status: PAUSED) { id } }`,
			map[string]any{"id": c.conversationID}, &struct{}{}, "ConversationActivity", "UPSERT", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vars := tc.vars
			if vars == nil {
				vars = map[string]any{"id": memory.AddMemory.ID}
			}
			c.client.Must(t, tc.mutation, vars, tc.out)
			for {
				m := ws.Read(10 * time.Second)
				if m.ID != "all" {
					continue
				}
				var p struct {
					Data struct {
						EcosystemActivity struct {
							Activity struct {
								Typename string `json:"__typename"`
								Op       string
								Count    int
							}
						}
					}
					Errors []testkit.Error
				}
				if err := json.Unmarshal(m.Payload, &p); err != nil || m.Type != "next" || len(p.Errors) > 0 {
					t.Fatalf("ecosystemActivity: %s %s (%v)", m.Type, m.Payload, err)
				}
				a := p.Data.EcosystemActivity.Activity
				if a.Typename != tc.typename {
					// Other effects of the change (a memory's character, say) come too.
					continue
				}
				if a.Op != tc.op || tc.count > 0 && a.Count != tc.count {
					t.Fatalf("%s: op %q count %d, want %q %d", a.Typename, a.Op, a.Count, tc.op, tc.count)
				}
				return
			}
		})
	}
}

// TestSendingToAClosedConversation: the refusal tells the client what it can do, and
// never to resume a conversation that cannot be resumed.
func TestSendingToAClosedConversation(t *testing.T) {
	srv := testkit.NewServer(t)
	tests := []struct {
		status   string
		wantText string
		badText  string
	}{
		{"PAUSED", "resume it", "has ended"},
		{"ENDED", "start a new one", "resume"},
	}
	for _, tc := range tests {
		t.Run(tc.status, func(t *testing.T) {
			c := newCast(t, srv, "closed-"+tc.status)
			c.client.Must(t, `mutation($id: ID!, $s: ConversationStatus!) { setConversationStatus(id: $id, status: $s) { status } }`,
				map[string]any{"id": c.conversationID, "s": tc.status}, &struct{}{})
			r := c.client.Do(t, sendMessage, map[string]any{"in": map[string]any{"conversationId": c.conversationID, "content": "hello?"}})
			if code := r.Code(t); code != "CONFLICT" {
				t.Fatalf("code %s", code)
			}
			msg := r.Errors[0].Message
			if !strings.Contains(msg, tc.wantText) || strings.Contains(msg, tc.badText) {
				t.Fatalf("message %q: want %q, not %q", msg, tc.wantText, tc.badText)
			}
		})
	}
}

// TestEventsPruneExpiresOldCursors: events older than the retention are deleted, and a
// subscription resuming from a cursor before them is told its cursor expired (it would
// otherwise miss them without knowing), while a cursor at the oldest kept event still
// resumes.
func TestEventsPruneExpiresOldCursors(t *testing.T) {
	t.Parallel()
	srv := testkit.NewServer(t)
	c := newCast(t, srv, "pruner")
	for _, m := range []string{"One.", "Two.", "Three."} {
		c.client.Must(t, `mutation($c: ID!, $m: String!) { addMemory(characterId: $c, input: {content: $m, type: FACT}) { id } }`,
			map[string]any{"c": c.character, "m": m}, &struct{}{})
	}
	eco := uuid.MustParse(uuidOf(t, c.ecosystem))
	ctx := t.Context()
	var last int64
	if err := srv.Pool.QueryRow(ctx, `SELECT max(seq) FROM events WHERE ecosystem_id = $1`, eco).Scan(&last); err != nil {
		t.Fatal(err)
	}
	tag, err := srv.Pool.Exec(ctx, `UPDATE events SET at = now() - interval '40 days' WHERE ecosystem_id = $1 AND seq < $2`, eco, last)
	if err != nil {
		t.Fatal(err)
	}
	pruner := events.NewPruneWorker(srv.Pool, 30*24*time.Hour)
	n, err := pruner.Prune(ctx)
	if err != nil || n != tag.RowsAffected() || n < 3 {
		t.Fatalf("pruned %d of %d old events: %v", n, tag.RowsAffected(), err)
	}
	if again, err := pruner.Prune(ctx); err != nil || again != 0 {
		t.Fatalf("second prune: %d, %v", again, err)
	}
	var kept, pruned int64
	if err := srv.Pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM events WHERE ecosystem_id = $1), events_pruned_seq FROM ecosystems WHERE id = $1`,
		eco).Scan(&kept, &pruned); err != nil {
		t.Fatal(err)
	}
	if kept != 1 || pruned != last-1 {
		t.Fatalf("kept %d events, pruned through %d; want 1 and %d", kept, pruned, last-1)
	}

	ws := srv.Live(t, c.session.AccessToken)
	const sub = `subscription($e: ID!, $a: String) { ecosystemActivity(ecosystemId: $e, after: $a) { cursor topic } }`
	ws.Subscribe("old", sub, map[string]any{"e": c.ecosystem, "a": activity.Events.Cursor(eco, 1)})
	m := ws.Read(10 * time.Second)
	if m.ID != "old" || !strings.Contains(string(m.Payload), `"data":null`) || !strings.Contains(string(m.Payload), "BAD_USER_INPUT") || !strings.Contains(string(m.Payload), "expired") {
		t.Fatalf("resume from a pruned cursor: %s %s", m.Type, m.Payload)
	}
	ws.Subscribe("kept", sub, map[string]any{"e": c.ecosystem, "a": activity.Events.Cursor(eco, pruned)})
	m = ws.Read(10 * time.Second)
	for m.ID != "kept" { // the refused subscription's complete may come first
		m = ws.Read(10 * time.Second)
	}
	if m.ID != "kept" || m.Type != "next" || !strings.Contains(string(m.Payload), activity.Events.Cursor(eco, last)) {
		t.Fatalf("resume from the oldest kept event: %s %s", m.Type, m.Payload)
	}
}
