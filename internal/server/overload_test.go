package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/literaryai/ensemble/internal/memories"
	"github.com/literaryai/ensemble/internal/testkit"
)

// These tests make an operation as slow as they need without timing anything: a
// connection of the test's own holds an ACCESS EXCLUSIVE lock on a table, and every
// statement touching it waits in PostgreSQL until the test lets go.

// lockTable locks table until release (or the test's end).
func lockTable(t *testing.T, s *testkit.Server, table string) (release func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.DatabaseURL)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE "+pgx.Identifier{table}.Sanitize()+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			_ = tx.Rollback(ctx)
			_ = conn.Close(ctx)
		})
	}
	t.Cleanup(release)
	return release
}

// lockWaiters is how many statements of s's database wait for a lock.
func lockWaiters(t *testing.T, s *testkit.Server) int {
	t.Helper()
	var n int
	if err := s.Pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitUntil polls cond until it holds, failing the test, saying what, if it never does.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("never: %s", what)
		}
	}
}

// post sends a GraphQL POST from a goroutine of the test: it returns what a client sees
// rather than failing the test itself.
func post(s *testkit.Server, token, query string, vars map[string]any) (result, error) {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		return result{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return result{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{}, err
	}
	r := result{status: resp.StatusCode, header: resp.Header}
	if err := json.Unmarshal(raw, &r); err != nil {
		return result{}, fmt.Errorf("not JSON (status %d): %s", resp.StatusCode, raw)
	}
	return r, nil
}

// castOfOne registers a user with an ecosystem of one character, and returns the user's
// token and the character's id.
func castOfOne(t *testing.T, s *testkit.Server) (token, character string) {
	t.Helper()
	c, session := s.Register(t, "overload")
	return session.AccessToken, c.CreateCharacter(t, c.CreateEcosystem(t, "Overload"), "Slow")
}

const characterName = `query($id: ID!) { character(id: $id) { name } }`

// noTrouble fails the test if the server logged a database outage, an internal error or
// a panic: what a stopped operation must not look like.
func noTrouble(t *testing.T, s *testkit.Server) {
	t.Helper()
	for _, line := range s.Warnings() {
		for _, bad := range []string{"database unavailable", "internal error", "panic", "dependency unavailable"} {
			if strings.Contains(line, bad) {
				t.Errorf("server logged %q", line)
			}
		}
	}
}

func TestOverloadRefusesWhatCannotStartInTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  []string
		// queued is how many of the later operations wait in the queue until the first
		// ends; the others are refused.
		queued int
	}{
		{"no queue", []string{"GRAPHQL_QUEUE_WAIT=0s"}, 0},
		{"the wait runs out", []string{"GRAPHQL_QUEUE_WAIT=20ms"}, 0},
		{"the queue is full", []string{"GRAPHQL_QUEUE_LENGTH=1", "GRAPHQL_QUEUE_WAIT=10m"}, 1},
	}
	const later = 4
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := testkit.NewServer(t, append([]string{"GRAPHQL_MAX_INFLIGHT=1"}, tc.env...)...)
			token, character := castOfOne(t, s)
			release := lockTable(t, s, "characters")

			first := make(chan result, 1)
			go func() {
				r, err := post(s, token, characterName, map[string]any{"id": character})
				if err != nil {
					t.Error(err)
				}
				first <- r
			}()
			waitUntil(t, "the first operation runs (waiting on the lock)", func() bool { return lockWaiters(t, s) == 1 })

			// Mutations wait their turn like queries; a refused one changes nothing.
			results := make(chan result, later)
			for i := range later {
				go func() {
					r, err := post(s, token, `mutation($n: String!) { createEcosystem(input: {name: $n}) { id } }`,
						map[string]any{"n": fmt.Sprintf("Later %d", i)})
					if err != nil {
						t.Error(err)
					}
					results <- r
				}()
			}
			for range later - tc.queued {
				r := <-results
				if r.status != http.StatusServiceUnavailable || r.code() != "OVERLOADED" || r.header.Get("Retry-After") != "1" ||
					r.Errors[0].Extensions["retryAfter"] != 1.0 || r.Data != nil {
					t.Fatalf("refused: status %d, Retry-After %q, data %s, errors %+v", r.status, r.header.Get("Retry-After"), r.Data, r.Errors)
				}
			}
			// Health checks never queue.
			resp, err := http.Get(s.URL + "/health")
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("/health while the gate is full: %d", resp.StatusCode)
			}

			release()
			if r := <-first; r.status != http.StatusOK || len(r.Errors) > 0 || !strings.Contains(string(r.Data), "Slow") {
				t.Fatalf("the admitted operation: status %d, data %s, errors %+v", r.status, r.Data, r.Errors)
			}
			for range tc.queued {
				if r := <-results; r.status != http.StatusOK || len(r.Errors) > 0 {
					t.Fatalf("a queued operation: status %d, errors %+v", r.status, r.Errors)
				}
			}
			if n := s.Count(t, "ecosystems"); n != 1+tc.queued {
				t.Fatalf("%d ecosystems, want %d: a refused mutation ran", n, 1+tc.queued)
			}
			noTrouble(t, s)
		})
	}
}

// rawRequest is an HTTP request written on a connection of the test's own, which it
// can drop whenever it likes.
func rawRequest(t *testing.T, s *testkit.Server, req *http.Request) net.Conn {
	t.Helper()
	u, err := url.Parse(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if err := req.Write(conn); err != nil {
		t.Fatal(err)
	}
	return conn
}

func TestAbandonedOperationStops(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		table string
		build func(t *testing.T, s *testkit.Server, token, character string) *http.Request
	}{
		{"POST", "characters", func(t *testing.T, s *testkit.Server, token, character string) *http.Request {
			body, _ := json.Marshal(map[string]any{"query": characterName, "variables": map[string]any{"id": character}})
			req, err := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+token)
			return req
		}},
		{"GET", "characters", func(t *testing.T, s *testkit.Server, token, character string) *http.Request {
			req, err := http.NewRequest(http.MethodGet, s.URL+"/graphql?"+url.Values{
				"query": {characterName}, "variables": {`{"id": "` + character + `"}`}}.Encode(), nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+token)
			return req
		}},
		{"multipart upload", "documents", func(t *testing.T, s *testkit.Server, token, _ string) *http.Request {
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			_ = mw.WriteField("operations", `{"query": "mutation($file: Upload!) { uploadDocument(file: $file) { id } }", "variables": {"file": null}}`)
			_ = mw.WriteField("map", `{"0": ["variables.file"]}`)
			part, err := mw.CreateFormFile("0", "book.txt")
			if err != nil {
				t.Fatal(err)
			}
			_, _ = part.Write([]byte("Elizabeth met Darcy at the ball. Darcy spoke to Elizabeth."))
			_ = mw.Close()
			req, err := http.NewRequest(http.MethodPost, s.URL+"/graphql", &body)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", mw.FormDataContentType())
			req.Header.Set("Apollo-Require-Preflight", "true")
			req.Header.Set("Authorization", "Bearer "+token)
			return req
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			// One operation at a time: the next one runs only if the abandoned one gave
			// its turn back.
			s := testkit.NewServer(t, "GRAPHQL_MAX_INFLIGHT=1", "GRAPHQL_QUEUE_WAIT=1m")
			token, character := castOfOne(t, s)
			documents := s.Count(t, "documents")
			release := lockTable(t, s, tc.table)

			conn := rawRequest(t, s, tc.build(t, s, token, character))
			waitUntil(t, "the operation runs (waiting on the lock)", func() bool { return lockWaiters(t, s) == 1 })
			_ = conn.Close()
			// The lock is still held: only a cancelled statement stops waiting for it.
			waitUntil(t, "the abandoned operation's statement is cancelled", func() bool { return lockWaiters(t, s) == 0 })
			release()

			r, err := post(s, token, characterName, map[string]any{"id": character})
			if err != nil || r.status != http.StatusOK || len(r.Errors) > 0 {
				t.Fatalf("the next operation: %v, status %d, errors %+v", err, r.status, r.Errors)
			}
			if n := s.Count(t, "documents"); n != documents {
				t.Fatalf("%d documents, want %d: the abandoned upload went on", n, documents)
			}
			noTrouble(t, s)
		})
	}
}

func TestOperationPastItsDeadlineAnswersTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		query string
		vars  func(character string) map[string]any
	}{
		{"query", characterName, func(c string) map[string]any { return map[string]any{"id": c} }},
		{"mutation", `mutation($id: ID!) { updateCharacter(id: $id, input: {name: "Renamed"}) { name } }`,
			func(c string) map[string]any { return map[string]any{"id": c} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := testkit.NewServer(t, "GRAPHQL_TIMEOUT=300ms")
			token, character := castOfOne(t, s)
			release := lockTable(t, s, "characters")

			r, err := post(s, token, tc.query, tc.vars(character))
			if err != nil {
				t.Fatal(err)
			}
			if r.status != http.StatusOK || r.code() != "TIMEOUT" {
				t.Fatalf("status %d, errors %+v", r.status, r.Errors)
			}
			// The deadline reached PostgreSQL: the statement stopped waiting while the lock
			// is still held.
			waitUntil(t, "the statement is cancelled", func() bool { return lockWaiters(t, s) == 0 })
			release()

			var after struct{ Character struct{ Name string } }
			c := s.Client()
			c.Token = token
			c.Must(t, characterName, map[string]any{"id": character}, &after)
			if after.Character.Name != "Slow" {
				t.Fatalf("name %q: the timed-out mutation was applied", after.Character.Name)
			}
			noTrouble(t, s)
			timedOut := 0
			for _, line := range s.Warnings() {
				if strings.Contains(line, "operation timed out") {
					timedOut++
				}
			}
			if timedOut != 1 {
				t.Fatalf("%d warnings of a timed-out operation, want 1: %q", timedOut, s.Warnings())
			}
		})
	}
}

func TestJobsRunWhileTheGateIsFull(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, "GRAPHQL_MAX_INFLIGHT=1", "GRAPHQL_QUEUE_WAIT=0s")
	token, character := castOfOne(t, s)
	release := lockTable(t, s, "characters")
	first := make(chan result, 1)
	go func() {
		r, err := post(s, token, characterName, map[string]any{"id": character})
		if err != nil {
			t.Error(err)
		}
		first <- r
	}()
	waitUntil(t, "the first operation runs (waiting on the lock)", func() bool { return lockWaiters(t, s) == 1 })
	if r, err := post(s, token, characterName, map[string]any{"id": character}); err != nil || r.code() != "OVERLOADED" {
		t.Fatalf("the gate is not full: %v %+v", err, r.Errors)
	}

	// A reflection for a character with nothing to reflect on: a job that only reads.
	inserter, err := river.NewClient(riverpgxv5.New(s.Pool), &river.Config{})
	if err != nil {
		t.Fatal(err)
	}
	job, err := inserter.Insert(t.Context(), memories.ReflectArgs{CharacterID: uuid.New()}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the job completes", func() bool {
		var state string
		if err := s.Pool.QueryRow(t.Context(), `SELECT state FROM river_job WHERE id = $1`, job.Job.ID).Scan(&state); err != nil {
			t.Fatal(err)
		}
		return state == "completed"
	})
	release()
	if r := <-first; r.status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("the admitted operation: status %d, errors %+v", r.status, r.Errors)
	}
}

func TestChatWaitsForItsReplyOutsideTheGate(t *testing.T) {
	t.Parallel()
	asked := make(chan struct{}, 1)
	answer := make(chan struct{})
	model := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case asked <- struct{}{}:
		default:
		}
		select {
		case <-answer:
		case <-r.Context().Done():
			return
		}
		chunk, _ := json.Marshal(map[string]any{"choices": []any{map[string]any{"delta": map[string]any{"content": "Good evening."}}}})
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "data: %s\n\ndata: [DONE]\n\n", chunk)
	}))
	t.Cleanup(model.Close) // after the server stops
	const timeout = 500 * time.Millisecond
	s := testkit.NewServer(t, "LLM_BASE_URL="+model.URL+"/v1", "LLM_MODEL=test-model", "LLM_MAX_RETRIES=0",
		"GRAPHQL_MAX_INFLIGHT=1", "GRAPHQL_QUEUE_WAIT=0s", "GRAPHQL_TIMEOUT="+timeout.String())
	var once sync.Once
	reply := func() { once.Do(func() { close(answer) }) }
	t.Cleanup(reply) // before the server stops, whatever happened
	token, character := castOfOne(t, s)
	replied := make(chan result, 1)
	go func() {
		r, err := post(s, token, `mutation($c: ID!) { chat(characterId: $c, content: "Hello?") { reply { content } } }`,
			map[string]any{"c": character})
		if err != nil {
			t.Error(err)
		}
		replied <- r
	}()
	select {
	case <-asked:
	case r := <-replied:
		t.Fatalf("chat answered before the model was asked: status %d, errors %+v", r.status, r.Errors)
	}
	// The chat only waits now: its turn is free for others.
	if r, err := post(s, token, characterName, map[string]any{"id": character}); err != nil || r.status != http.StatusOK || len(r.Errors) > 0 {
		t.Fatalf("an operation while chat waits: %v, status %d, errors %+v", err, r.status, r.Errors)
	}
	// And its wait is bounded by CHAT_TIMEOUT, not GRAPHQL_TIMEOUT: the reply may come later.
	time.Sleep(2 * timeout)
	reply()
	if r := <-replied; r.status != http.StatusOK || len(r.Errors) > 0 || !strings.Contains(string(r.Data), "Good evening.") {
		t.Fatalf("chat: status %d, data %s, errors %+v", r.status, r.Data, r.Errors)
	}
	noTrouble(t, s)
}
