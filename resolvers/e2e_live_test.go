package resolvers_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/literaryai/ensemble/internal/testkit"
)

const e2eDir = "../e2e"

// nodeEvent is a line the graphql-ws client prints.
type nodeEvent struct {
	Kind string `json:"kind"`
	Seq  int    `json:"seq"`
	Text string `json:"text"`
	Done bool   `json:"done"`
}

// TestGraphQLWSClientAcrossInstancesAndRestarts runs the graphql-ws npm client against
// the server: subscribed on instance A while messages are sent through instance B (the
// bus is Redis), it receives streamed pieces and the messages; A is then killed and
// started again at the same address while B goes on; the client reconnects with its
// cursor and ends up with every message exactly once.
func TestGraphQLWSClientAcrossInstancesAndRestarts(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("this test needs Node.js: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e2eDir, "node_modules", "graphql-ws")); err != nil {
		t.Fatalf("e2e/node_modules/graphql-ws is missing (%v): run `npm ci --prefix e2e` first", err)
	}
	env := testkit.RedisEnv(t)
	addr := testkit.FreeAddr(t)
	dbURL := testkit.DatabaseURL(t)
	a := testkit.NewServerAt(t, addr, dbURL, env...)
	b := testkit.NewServerOn(t, dbURL, env...)
	c := newCast(t, b, "mobile")
	first := c.send(t, "Are you there?")

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(e2eDir, "live.mjs"), "ws://"+addr+"/graphql",
		c.session.AccessToken, c.conversationID, first.Cursor)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	lines := make(chan nodeEvent, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var e nodeEvent
			if json.Unmarshal(sc.Bytes(), &e) == nil {
				lines <- e
			}
		}
	}()
	seen := map[int]int{}
	deltas := 0
	await := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.After(60 * time.Second)
		for !ok() {
			select {
			case e, open := <-lines:
				if !open {
					t.Fatalf("the client exited while waiting for %s", what)
				}
				switch e.Kind {
				case "message":
					seen[e.Seq]++
				case "delta":
					deltas++
				case "error":
					t.Fatalf("client error: %+v", e)
				}
			case <-deadline:
				t.Fatalf("timed out waiting for %s (seen %v, %d deltas)", what, seen, deltas)
			}
		}
	}
	await("the first reply", func() bool { return seen[2] > 0 })

	// Pieces are live only: send until one reply has been seen streaming.
	sent := 1
	for try := 0; deltas == 0 && try < 10; try++ {
		c.send(t, fmt.Sprintf("Tell me about Netherfield (%d)", try))
		sent++
		await("the reply", func() bool { return seen[2*sent] > 0 })
	}
	if deltas == 0 {
		t.Fatal("no streamed pieces reached the client")
	}

	a.Stop()
	for i := range 3 {
		c.send(t, fmt.Sprintf("while you were away %d", i))
		sent++
	}
	testkit.NewServerAt(t, addr, dbURL, env...)
	for i := range 2 {
		c.send(t, fmt.Sprintf("after the restart %d", i))
		sent++
	}
	last := 2 * sent
	await("every message", func() bool { return len(seen) >= last-1 })
	for seq := 2; seq <= last; seq++ {
		if seen[seq] != 1 {
			t.Fatalf("message %d received %d times (all: %v)", seq, seen[seq], seen)
		}
	}
	if len(seen) != last-1 {
		t.Fatalf("received %d distinct messages, want %d: %v", len(seen), last-1, seen)
	}
}
