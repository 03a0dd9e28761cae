package resolvers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/testkit"
)

// collect reads messageAdded results of subscription id until it has every number up to
// last, failing on a gap or a duplicate.
func collect(t *testing.T, ws *testkit.WS, id string, from, last int) {
	t.Helper()
	for want := from; want <= last; want++ {
		if m := nextMessage(t, ws, id); m.Seq != want {
			t.Fatalf("subscription %s: got message %d, want %d", id, m.Seq, want)
		}
	}
}

// TestTwoInstancesShareLiveMessagesThroughRedis: a client subscribed on one instance
// receives what is sent through another.
func TestTwoInstancesShareLiveMessagesThroughRedis(t *testing.T) {
	env := testkit.RedisEnv(t)
	a := testkit.NewServer(t, env...)
	b := testkit.NewServerOn(t, a.DatabaseURL, env...)
	c := newCast(t, a, "reader")
	watcher := b.Live(t, c.session.AccessToken)
	first := c.send(t, "first, before anyone watches")
	watcher.Subscribe("b", messageAdded, map[string]any{"c": c.conversationID, "after": first.Cursor})
	for i := range 3 {
		c.send(t, fmt.Sprintf("sent through A, %d", i))
	}
	// Message 1 is before the cursor; 2 is its reply; then three messages and replies.
	collect(t, watcher, "b", 2, 8)
}

// TestRedisOutageLosesNothing stops Redis while a client is subscribed on another
// instance, sends messages meanwhile, and brings Redis back: the client catches up from
// Postgres with every message once.
func TestRedisOutageLosesNothing(t *testing.T) {
	redis := testkit.StartRedis(t)
	env := []string{"REDIS_URL=" + redis.URL()}
	a := testkit.NewServer(t, env...)
	b := testkit.NewServerOn(t, a.DatabaseURL, env...)
	c := newCast(t, a, "reader")
	first := c.send(t, "hello")
	ws := b.Live(t, c.session.AccessToken)
	ws.Subscribe("1", messageAdded, map[string]any{"c": c.conversationID, "after": first.Cursor})
	collect(t, ws, "1", 2, 2)

	redis.Stop()
	// Writes do not depend on Redis: they commit, and their announcements are lost.
	for i := range 3 {
		c.send(t, fmt.Sprintf("while Redis is down %d", i))
	}
	redis.Start()
	collect(t, ws, "1", 3, 8)
	// And live delivery resumes.
	c.send(t, "after Redis is back")
	collect(t, ws, "1", 9, 10)
}

// TestEcosystemActivityReplaysThenGoesLive follows everything that happens in an
// ecosystem from a cursor.
func TestEcosystemActivityReplaysThenGoesLive(t *testing.T) {
	srv := testkit.NewServer(t)
	c := newCast(t, srv, "reader")
	darcy := c.client.CreateCharacter(t, c.ecosystem, "Fitzwilliam Darcy")
	var rel struct{ CreateRelationship struct{ ID string } }
	c.client.Must(t, `mutation($f: ID!, $t: ID!) { createRelationship(input: {fromId: $f, toId: $t, type: RIVAL, strength: -0.4}) { id } }`,
		map[string]any{"f": c.character, "t": darcy}, &rel)
	ws := srv.Live(t, c.session.AccessToken)
	const activity = `subscription($e: ID!, $after: String) { ecosystemActivity(ecosystemId: $e, after: $after) {
		cursor topic activity { __typename
			... on RelationshipActivity { kind strength relationship { id } }
			... on CharacterActivity { op name }
			... on ConversationActivity { op status }
			... on Message { seq content } } } }`
	// The very first cursor of the ecosystem: "eco:<id>:0" is valid, built by the server
	// only; take it from a first event instead.
	ws.Subscribe("all", `subscription($e: ID!) { relationshipChanged(ecosystemId: $e, after: null) { cursor change { kind } } }`, map[string]any{"e": c.ecosystem})
	time.Sleep(100 * time.Millisecond)
	c.client.Must(t, `mutation($id: ID!) { adjustRelationship(id: $id, delta: {strength: 0.3}, cause: "the letter") { id } }`,
		map[string]any{"id": rel.CreateRelationship.ID}, &struct{}{})
	m := ws.Read(10 * time.Second)
	var changed struct {
		Data struct {
			RelationshipChanged struct {
				Cursor string
				Change struct{ Kind string }
			}
		}
	}
	if err := json.Unmarshal(m.Payload, &changed); err != nil || changed.Data.RelationshipChanged.Change.Kind != "ADJUSTED" {
		t.Fatalf("relationshipChanged: %s %s", m.Type, m.Payload)
	}
	// Resume the whole activity from that cursor: a message and its reply come next.
	ws.Subscribe("resume", activity, map[string]any{"e": c.ecosystem, "after": changed.Data.RelationshipChanged.Cursor})
	c.send(t, "Mr. Darcy wrote me a letter.")
	var topics []string
	for len(topics) < 3 {
		m := ws.Read(10 * time.Second)
		if m.ID != "resume" {
			continue
		}
		var ev struct {
			Data struct {
				EcosystemActivity struct {
					Topic    string
					Activity map[string]any
				}
			}
		}
		if err := json.Unmarshal(m.Payload, &ev); err != nil {
			t.Fatal(err)
		}
		topics = append(topics, ev.Data.EcosystemActivity.Topic+"/"+fmt.Sprint(ev.Data.EcosystemActivity.Activity["__typename"]))
	}
	// The user's message, then the character's new emotion and the reply, written together.
	want := []string{events.MessageCreated + "/Message", events.CharacterChanged + "/CharacterActivity", events.MessageCreated + "/Message"}
	if fmt.Sprint(topics) != fmt.Sprint(want) {
		t.Fatalf("activity: %v, want %v", topics, want)
	}
}

// TestPostgresUnreachable: mutations answer a clear error, readiness says 503, and
// nothing is published.
func TestPostgresUnreachable(t *testing.T) {
	srv := testkit.NewServer(t)
	c := newCast(t, srv, "reader")
	published := srv.Bus.Subscribe(func(events.Event) bool { return true }, 16)
	defer published.Close()
	admin := testkit.DB(t)
	var name string
	if err := srv.Pool.QueryRow(t.Context(), `SELECT current_database()`).Scan(&name); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(t.Context(), fmt.Sprintf(`ALTER DATABASE %q ALLOW_CONNECTIONS false`, name)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = admin.Exec(t.Context(), fmt.Sprintf(`ALTER DATABASE %q ALLOW_CONNECTIONS true`, name))
	})
	if _, err := admin.Exec(t.Context(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, name); err != nil {
		t.Fatal(err)
	}
	r := c.client.Do(t, sendMessage, map[string]any{"in": map[string]any{"conversationId": c.conversationID, "content": "anyone?"}})
	if code := r.Code(t); code != "SERVICE_UNAVAILABLE" {
		t.Fatalf("sendMessage with the database down: %+v", r.Errors)
	}
	resp, err := http.Get(srv.URL + "/health/ready")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("/health/ready = %d", resp.StatusCode)
	}
	select {
	case e := <-published.Events():
		t.Fatalf("published while the database was down: %+v", e)
	case <-time.After(300 * time.Millisecond):
	}
}
