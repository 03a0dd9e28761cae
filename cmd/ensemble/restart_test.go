package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/literaryai/ensemble/internal/testkit"
)

// e2eDir is the Node project of the end-to-end clients, relative to this package.
const e2eDir = "../../e2e"

// stop ends the process as a deployment does, with SIGTERM, and waits for a clean exit.
func (i *process) stop(t *testing.T) {
	t.Helper()
	if err := i.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	i.exited(t)
}

// exited waits for the process to exit cleanly, after a SIGTERM.
func (i *process) exited(t *testing.T) {
	t.Helper()
	exited := make(chan error, 1)
	go func() { exited <- i.cmd.Wait() }()
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("ensemble did not exit within 30s of SIGTERM")
	}
}

// clientLine is one line restart.mjs prints.
type clientLine struct {
	Client string `json:"client"`
	Kind   string `json:"kind"`
	Cursor string `json:"cursor"`
	Code   int    `json:"code"`
	Error  string `json:"error"`
}

// followers collects what the Node clients print.
type followers struct {
	mu    sync.Mutex
	lines []clientLine
}

func (f *followers) of(client, kind string) []clientLine {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []clientLine
	for _, l := range f.lines {
		if l.Client == client && l.Kind == kind {
			out = append(out, l)
		}
	}
	return out
}

// await polls until ok holds, failing the test after a minute: the clients' default
// retry waits up to 1+2+4+8+16 s plus up to 3 s of jitter each.
func (f *followers) await(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !ok() {
		if time.Now().After(deadline) {
			f.mu.Lock()
			defer f.mu.Unlock()
			t.Fatalf("timed out waiting for %s; clients printed %+v", what, f.lines)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestStreamsSurviveRestart: the stock graphql-ws and graphql-sse npm clients, with their
// default retry settings, follow relationshipChanged while the server is stopped with
// SIGTERM mid-stream and started again on the same port. The server ends their streams
// without complete (WebSocket close 1001, SSE stream end), so both reconnect on their
// own and resubscribe with the cursor kept in their variables: each receives every event
// exactly once, in the same order, events produced while they were away included.
func TestStreamsSurviveRestart(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("this test needs Node.js: %v", err)
	}
	for _, pkg := range []string{"graphql-ws", "graphql-sse"} {
		if _, err := os.Stat(filepath.Join(e2eDir, "node_modules", pkg)); err != nil {
			t.Fatalf("e2e/node_modules/%s is missing (%v): run `npm ci --prefix e2e` first", pkg, err)
		}
	}
	addr := testkit.FreeAddr(t)
	dbURL := testkit.DatabaseURL(t)
	srv := startProcess(t, dbURL, "ADDR="+addr)

	c := &testkit.Client{URL: srv.base + "/graphql"}
	var reg struct{ Register struct{ AccessToken string } }
	c.Must(t, `mutation { register(input: {username: "watcher", email: "w@example.com", password: "password-watcher"}) { accessToken } }`, nil, &reg)
	c.Token = reg.Register.AccessToken
	eco := c.CreateEcosystem(t, "Longbourn")
	var rel struct{ CreateRelationship struct{ ID string } }
	c.Must(t, `mutation($in: CreateRelationshipInput!) { createRelationship(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"fromId": c.CreateCharacter(t, eco, "Lizzy"), "toId": c.CreateCharacter(t, eco, "Jane"), "type": "FAMILY"}}, &rel)
	produced := 0
	produce := func(n int) {
		t.Helper()
		for range n {
			// Up and down, so that no value is clamped.
			delta := 0.01 * float64(1-2*(produced%2))
			c.Must(t, `mutation($id: ID!, $d: Float!) { adjustRelationship(id: $id, delta: {strength: $d}) { id } }`,
				map[string]any{"id": rel.CreateRelationship.ID, "d": delta}, &struct{}{})
			produced++
		}
	}

	cmd := exec.CommandContext(t.Context(), node, filepath.Join(e2eDir, "restart.mjs"), srv.base+"/graphql", c.Token, eco)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait() })
	f := &followers{}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var l clientLine
			if json.Unmarshal(sc.Bytes(), &l) == nil {
				f.mu.Lock()
				f.lines = append(f.lines, l)
				f.mu.Unlock()
			}
		}
	}()
	clients := []string{"ws", "sse"}
	events := func(client string) int { return len(f.of(client, "event")) }
	lastCursor := func(client string) string {
		e := f.of(client, "event")
		if len(e) == 0 {
			return ""
		}
		return e[len(e)-1].Cursor
	}

	// Without a cursor a subscription streams from the moment it runs: produce until both
	// clients are surely subscribed, then count from there.
	f.await(t, "both clients subscribed", func() bool {
		produce(1)
		time.Sleep(200 * time.Millisecond)
		return events("ws") > 0 && events("sse") > 0
	})
	f.await(t, "both clients level", func() bool { return lastCursor("ws") == lastCursor("sse") })
	base := map[string]int{"ws": events("ws"), "sse": events("sse")}
	baseProduced := produced

	// Mid-stream: events still going out when SIGTERM arrives.
	produce(5)
	srv.stop(t)
	srv = startProcess(t, dbURL, "ADDR="+addr)
	c.URL = srv.base + "/graphql"
	// The clients wait at least 1.3 s before reconnecting: these are replayed from their cursor.
	produce(3)
	for _, name := range clients {
		f.await(t, name+" reconnected", func() bool { return len(f.of(name, "connected")) >= 2 })
	}
	produce(4)
	want := produced - baseProduced
	for _, name := range clients {
		f.await(t, fmt.Sprintf("%s to receive %d events", name, want), func() bool { return events(name)-base[name] >= want })
	}
	time.Sleep(500 * time.Millisecond) // a duplicate would arrive now

	var sequences [][]string
	for _, name := range clients {
		var cursors []string
		for _, e := range f.of(name, "event")[base[name]:] {
			cursors = append(cursors, e.Cursor)
		}
		if len(cursors) != want {
			t.Errorf("%s received %d events after subscribing, want %d", name, len(cursors), want)
		}
		seen := map[string]bool{}
		for _, cur := range cursors {
			if seen[cur] {
				t.Errorf("%s received event %s twice", name, cur)
			}
			seen[cur] = true
		}
		for _, kind := range []string{"complete", "error"} {
			if got := f.of(name, kind); len(got) > 0 {
				t.Errorf("%s got %s: %+v", name, kind, got)
			}
		}
		sequences = append(sequences, cursors)
	}
	if !slices.Equal(sequences[0], sequences[1]) {
		t.Errorf("the clients received different events:\nws  %v\nsse %v", sequences[0], sequences[1])
	}
	closed := f.of("ws", "closed")
	if len(closed) == 0 || closed[0].Code != 1001 {
		t.Errorf("graphql-ws saw closes %+v, want 1001 first", closed)
	}
}
