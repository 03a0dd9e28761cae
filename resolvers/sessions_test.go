package resolvers_test

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/testkit"
)

const deleteAccount = `mutation($p: String!) { deleteAccount(password: $p) }`

func TestDeletedUserNoLongerAuthenticates(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t)
	c, sess := s.Register(t, "lucas")
	c.CreateEcosystem(t, "Lucas Lodge")
	if _, err := s.Pool.Exec(t.Context(), `DELETE FROM users WHERE username = 'lucas'`); err != nil {
		t.Fatal(err)
	}
	for _, op := range []string{meQuery, `mutation { createEcosystem(input: {name: "Again"}) { id } }`} {
		if code := c.Do(t, op, nil).Code(t); code != "UNAUTHENTICATED" {
			t.Fatalf("%s: code = %s", op, code)
		}
	}
	if code := s.Client().Do(t, refreshMutation, map[string]any{"t": sess.RefreshToken}).Code(t); code != "UNAUTHENTICATED" {
		t.Fatalf("refresh: code = %s", code)
	}
	ws := s.DialWS(t, nil)
	ws.SendRaw([]byte(`{"type":"connection_init","payload":{"authorization":"Bearer ` + sess.AccessToken + `"}}`))
	if code, reason := ws.Closed(5 * time.Second); code != 4403 {
		t.Fatalf("socket closed with %d %q, want 4403", code, reason)
	}
}

// tableCounts counts the rows of every table but River's and the migrator's.
func tableCounts(t *testing.T, s *testkit.Server) map[string]int {
	t.Helper()
	rows, err := s.Pool.Query(t.Context(), `SELECT tablename FROM pg_tables
		WHERE schemaname = 'public' AND tablename NOT LIKE 'river%' AND tablename <> 'goose_db_version'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	counts := make(map[string]int, len(tables))
	for _, name := range tables {
		counts[name] = s.Count(t, name)
	}
	return counts
}

// jobsSettle waits until no background job is left to run, and fails if one was given up.
func jobsSettle(t *testing.T, s *testkit.Server) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		var pending, discarded int
		if err := s.Pool.QueryRow(t.Context(), `SELECT
			count(*) FILTER (WHERE state NOT IN ('completed', 'cancelled', 'discarded')),
			count(*) FILTER (WHERE state IN ('cancelled', 'discarded')) FROM river_job`).Scan(&pending, &discarded); err != nil {
			t.Fatal(err)
		}
		if discarded > 0 {
			t.Fatalf("%d background jobs failed for good", discarded)
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d background jobs still pending", pending)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestDeleteAccount(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t)

	// Another user's data, which must survive.
	other := newCast(t, s, "bennet")
	newStage(t, other.client, "Netherfield")
	upload(t, other.client, "letters.txt", []byte("My dear Jane, the weather is fine."))
	jobsSettle(t, s)
	before := tableCounts(t, s)

	// The account to delete: a cast, a conversation, a staged scenario and a book.
	collins := newCast(t, s, "collins")
	stage := newStage(t, collins.client, "Rosings")
	book := upload(t, collins.client, "sermons.txt", []byte("Chapter 1\n\nMr Collins said, \"Lady Catherine is all affability.\""))
	jobsSettle(t, s)
	withAccount := tableCounts(t, s)
	for _, table := range []string{"users", "sessions", "refresh_tokens", "ecosystems", "characters", "relationships",
		"scenarios", "scenario_cast", "conversations", "conversation_participants", "documents", "document_contents", "events"} {
		if withAccount[table] <= before[table] {
			t.Fatalf("the account has no rows in %s to delete", table)
		}
	}

	// A wrong password deletes nothing and ends nothing.
	for _, bad := range []string{"password-bennet", "", strings.Repeat("x", 5000)} {
		r := collins.client.Do(t, deleteAccount, map[string]any{"p": bad})
		if code := r.Code(t); code != "UNAUTHENTICATED" || r.Errors[0].Message != "wrong login or password" {
			t.Fatalf("wrong password %.10q: %s %q", bad, code, r.Errors[0].Message)
		}
	}
	if got := tableCounts(t, s); !maps.Equal(got, withAccount) {
		t.Fatalf("a refused deletion changed rows: %v, want %v", got, withAccount)
	}
	collins.client.Must(t, meQuery, nil, &struct{}{})

	// Work in flight when the account goes: a running scene, a reply being written, a
	// book being analysed, and a live subscription.
	live := s.Live(t, collins.session.AccessToken)
	live.Subscribe("1", messageStream, map[string]any{"c": collins.conversationID})
	scene := stage.run(t, map[string]any{"paceMs": 200, "maxTurns": 200})
	stage.waitFor(t, scene, 30*time.Second, func(st sceneStatus) bool { return st.Scene.Turn >= 2 })
	collins.send(t, "Will you dine at Rosings?")
	collins.client.Must(t, `mutation($id: ID!) { analyzeDocument(id: $id) { analysisStatus } }`, map[string]any{"id": book}, &struct{}{})
	var ecosystems []uuid.UUID
	if err := s.Pool.QueryRow(t.Context(), `SELECT array_agg(e.id) FROM ecosystems e JOIN users u ON u.id = e.owner_id
		WHERE u.username = 'collins'`).Scan(&ecosystems); err != nil {
		t.Fatal(err)
	}
	busy := tableCounts(t, s)
	for _, table := range []string{"messages", "memories", "relationship_events", "scenes"} {
		if busy[table] <= before[table] {
			t.Fatalf("the account has no rows in %s to delete", table)
		}
	}

	var out struct{ DeleteAccount bool }
	collins.client.Must(t, deleteAccount, map[string]any{"p": "password-collins"}, &out)
	if !out.DeleteAccount {
		t.Fatal("deleteAccount answered false")
	}
	if code, reason := live.Closed(5 * time.Second); code != 4403 {
		t.Fatalf("the account's socket closed with %d %q, want 4403", code, reason)
	}
	if code := answers(t, s, collins.session.AccessToken); code != "UNAUTHENTICATED" {
		t.Fatalf("the deleted account's access token: code = %q", code)
	}
	if code := s.Client().Do(t, refreshMutation, map[string]any{"t": collins.session.RefreshToken}).Code(t); code != "UNAUTHENTICATED" {
		t.Fatalf("the deleted account's refresh token: code = %s", code)
	}
	r := s.Client().Do(t, `mutation { login(input: {login: "collins", password: "password-collins"}) { accessToken } }`, nil)
	if code := r.Code(t); code != "UNAUTHENTICATED" {
		t.Fatalf("signing in to the deleted account: code = %s", code)
	}

	// The jobs left for the account's objects find nothing and end quietly.
	jobsSettle(t, s)
	after := tableCounts(t, s)
	for table, n := range after {
		want := before[table]
		if table == "events" {
			// The outbox keeps one event per deleted ecosystem, announcing the deletion.
			want += len(ecosystems)
		}
		if n != want {
			t.Errorf("%s: %d rows after the deletion, %d before the account existed", table, n, want)
		}
	}
	var left int
	if err := s.Pool.QueryRow(t.Context(), `SELECT count(*) FROM events WHERE ecosystem_id = ANY($1)
		AND NOT (topic = 'ecosystem.changed' AND payload->>'op' = 'DELETE')`, ecosystems).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d events of deleted ecosystems left (%v)", left, err)
	}

	// The other user is untouched.
	var list struct{ Ecosystems struct{ TotalCount int } }
	other.client.Must(t, `{ ecosystems { totalCount } }`, nil, &list)
	if list.Ecosystems.TotalCount != 2 {
		t.Fatalf("the other user has %d ecosystems, want 2", list.Ecosystems.TotalCount)
	}
}

// sessionChecks counts the session checks among the statements sent after skip.
func sessionChecks(s *testkit.Server, skip int64) int {
	return len(slices.DeleteFunc(s.Statements(skip), func(st string) bool { return !strings.Contains(st, "CheckSession") }))
}

func TestSessionCheckIsOneStatement(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t)
	c, _ := s.Register(t, "hill")
	for range 3 {
		start := s.Queries()
		c.Must(t, `{ me { id } }`, nil, &struct{}{})
		if n := sessionChecks(s, start); n != 1 {
			t.Fatalf("%d session checks in one request, want 1: %v", n, s.Statements(start))
		}
	}
}

func TestSessionCacheEndsWithTheSession(t *testing.T) {
	t.Parallel()
	redis := testkit.RedisEnv(t)
	a := testkit.NewServer(t, append(redis, "SESSION_CACHE_TTL=1m")...)
	b := testkit.NewServerOn(t, a.DatabaseURL, append(redis, "SESSION_CACHE_TTL=1m")...)
	c, sess := a.Register(t, "jenkinson")
	onB := &testkit.Client{URL: b.URL + "/graphql", Token: sess.AccessToken}

	// A cached check costs no statement.
	for _, srv := range []*testkit.Server{a, b} {
		cl := &testkit.Client{URL: srv.URL + "/graphql", Token: sess.AccessToken}
		cl.Must(t, meQuery, nil, &struct{}{})
		start := srv.Queries()
		cl.Must(t, meQuery, nil, &struct{}{})
		if n := sessionChecks(srv, start); n != 0 {
			t.Fatalf("%d session checks while cached", n)
		}
	}

	// Signing out on a: a forgets at once, b as soon as the bus tells it.
	c.Must(t, `mutation($t: String!) { logout(refreshToken: $t) }`, map[string]any{"t": sess.RefreshToken}, &struct{}{})
	if code := c.Do(t, meQuery, nil).Code(t); code != "UNAUTHENTICATED" {
		t.Fatalf("same instance after logout: code = %s", code)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		r := onB.Do(t, meQuery, nil)
		if len(r.Errors) > 0 && r.Code(t) == "UNAUTHENTICATED" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the other instance still accepts the signed-out session: %+v", r.Errors)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
