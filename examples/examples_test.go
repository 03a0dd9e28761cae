// Package examples_test runs the example clients of this folder against the real API:
// the relationship-map page in headless Chromium, and the follow-scene script with Node.
package examples_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/literaryai/ensemble/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// e2eDir holds the browser driver script and the graphql-ws package the page loads.
const e2eDir = "../e2e"

// start runs cmd and returns what it prints on stdout, one decoded JSON line at a time
// (other lines go to stderr); the channel closes when stdout does. The process is killed
// when the test ends.
func start[T any](t *testing.T, cmd *exec.Cmd) <-chan T {
	t.Helper()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	lines := make(chan T, 100)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			var v T
			if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
				fmt.Fprintf(os.Stderr, "%s\n", sc.Bytes())
				continue
			}
			lines <- v
		}
	}()
	return lines
}

// next returns the next line, failing the test when the process ends or is silent too long.
func next[T any](t *testing.T, lines <-chan T, what string) T {
	t.Helper()
	var v T
	var ok bool
	select {
	case v, ok = <-lines:
		if !ok {
			t.Fatalf("the script ended while the test waited for %s", what)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
	return v
}

// finish waits for the process to print nothing more and exit, and fails the test unless
// it exited with 0.
func finish[T any](t *testing.T, cmd *exec.Cmd, lines <-chan T) {
	t.Helper()
	for v := range lines {
		t.Errorf("unexpected output: %+v", v)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%s: %v", filepath.Base(cmd.Args[1]), err)
	}
}

// relate creates a relationship and returns its id.
func relate(t *testing.T, c *testkit.Client, from, to, typ string, strength float64) string {
	t.Helper()
	var out struct{ CreateRelationship struct{ ID string } }
	c.Must(t, `mutation($in: CreateRelationshipInput!) { createRelationship(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"fromId": from, "toId": to, "type": typ, "strength": strength, "trust": 0.5, "familiarity": 0.5}}, &out)
	return out.CreateRelationship.ID
}

// pageEvent is a line of e2e/relationship-map.mjs.
type pageEvent struct {
	Kind  string
	Nodes []string
	Edges []pageEdge
	Edge  pageEdge
	Log   []string
}

// pageEdge is a relationship as the page draws it.
type pageEdge struct {
	ID, Type, From, To, Color string
	Strength, Width           float64
}

// TestRelationshipMapPage serves examples/relationship-map from another origin than the
// API's, opens it in headless Chromium with nothing else reachable, and checks that it
// draws the cast, then follows a new relationship and a changed one live.
func TestRelationshipMapPage(t *testing.T) {
	t.Parallel()
	node := testkit.Node(t, e2eDir, "puppeteer-core", "graphql-ws")
	chromium := testkit.Chromium(t)

	files := http.NewServeMux()
	files.Handle("/", http.FileServer(http.Dir("relationship-map")))
	// The page's import map loads graphql-ws from vendor/: here, the e2e clients' copy.
	files.Handle("/vendor/graphql-ws/", http.StripPrefix("/vendor/graphql-ws/",
		http.FileServer(http.Dir(filepath.Join(e2eDir, "node_modules", "graphql-ws")))))
	page := httptest.NewServer(files)
	t.Cleanup(page.Close)
	// Browsers send the page's origin: CORS for fetch, the WebSocket origin check for live.
	srv := testkit.NewServer(t, "CORS_ALLOWED_ORIGINS="+page.URL, "WS_ALLOWED_ORIGINS="+page.URL)

	c, _ := srv.Register(t, "cartographer")
	eco := c.CreateEcosystem(t, "Longbourn")
	lizzy := c.CreateCharacter(t, eco, "Elizabeth Bennet")
	jane := c.CreateCharacter(t, eco, "Jane Bennet")
	darcy := c.CreateCharacter(t, eco, "Fitzwilliam Darcy")
	sisters := relate(t, c, lizzy, jane, "FAMILY", 0.9)
	romance := relate(t, c, darcy, lizzy, "ROMANCE", 0.4)

	dir := os.Getenv("EXAMPLES_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	shot, err := filepath.Abs(filepath.Join(dir, "relationship-map.png"))
	if err != nil {
		t.Fatal(err)
	}
	query := url.Values{"server": {srv.URL}, "token": {c.Token}, "ecosystem": {eco}}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(e2eDir, "relationship-map.mjs"),
		chromium, page.URL+"/?"+query.Encode(), srv.URL, shot)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	events := start[pageEvent](t, cmd)

	ready := next(t, events, "the map")
	slices.Sort(ready.Nodes)
	if want := []string{"Elizabeth Bennet", "Fitzwilliam Darcy", "Jane Bennet"}; !slices.Equal(ready.Nodes, want) {
		t.Fatalf("the map shows %q, want %q", ready.Nodes, want)
	}
	drawn := map[string]pageEdge{}
	for _, e := range ready.Edges {
		drawn[e.ID] = e
	}
	if len(drawn) != 2 || drawn[sisters].From != "Elizabeth Bennet" || drawn[sisters].To != "Jane Bennet" ||
		drawn[romance].Type != "ROMANCE" || drawn[romance].Strength != 0.4 {
		t.Fatalf("the map draws %+v", ready.Edges)
	}
	if drawn[sisters].Color == drawn[romance].Color || drawn[sisters].Width <= drawn[romance].Width {
		t.Fatalf("type should set the colour and strength the width: %+v", ready.Edges)
	}

	// await asks the page for a relationship at a strength and returns it as drawn.
	await := func(id string, strength float64) pageEvent {
		t.Helper()
		if err := json.NewEncoder(stdin).Encode(map[string]any{"edge": id, "strength": strength}); err != nil {
			t.Fatal(err)
		}
		got := next(t, events, "relationship "+id)
		if len(got.Log) == 0 {
			t.Fatalf("the page drew %+v and logged nothing", got.Edge)
		}
		return got
	}

	rival := relate(t, c, lizzy, darcy, "RIVAL", -0.3)
	got := await(rival, -0.3)
	if got.Edge.Type != "RIVAL" || got.Edge.From != "Elizabeth Bennet" || got.Edge.To != "Fitzwilliam Darcy" ||
		!strings.Contains(got.Log[0], "new rival") {
		t.Fatalf("a new relationship: drawn %+v, logged %q", got.Edge, got.Log)
	}

	var adjusted struct{ AdjustRelationship struct{ Strength float64 } }
	c.Must(t, `mutation($id: ID!) { adjustRelationship(id: $id, delta: {strength: 0.5}, cause: "the letter") { strength } }`,
		map[string]any{"id": romance}, &adjusted)
	got = await(romance, adjusted.AdjustRelationship.Strength)
	if got.Edge.Width <= drawn[romance].Width || !strings.Contains(got.Log[0], "0.40 → 0.90 (the letter)") {
		t.Fatalf("a stronger relationship: was %+v, drawn %+v, logged %q", drawn[romance], got.Edge, got.Log)
	}

	if err := stdin.Close(); err != nil {
		t.Fatal(err)
	}
	if done := next(t, events, "the screenshot"); done.Kind != "screenshot" {
		t.Fatalf("want the screenshot, got %+v", done)
	}
	finish(t, cmd, events)
	if info, err := os.Stat(shot); err != nil || info.Size() == 0 {
		t.Fatalf("no screenshot at %s: %v", shot, err)
	}
	t.Logf("screenshot: %s", shot)
}

// followed is a line of follow-scene.mjs --json.
type followed struct {
	Type                string
	ID                  string
	Title               string
	Speaker             string
	Text                string
	Reason              string
	RelationshipChanges []struct{ From, To string }
}

// dropProxy forwards TCP connections to the API and cuts them all at once on drop, as a
// flaky network does, while it keeps accepting new ones.
type dropProxy struct {
	ln       net.Listener
	mu       sync.Mutex
	conns    []net.Conn
	accepted int
}

func newDropProxy(t *testing.T, target string) *dropProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &dropProxy{ln: ln}
	t.Cleanup(func() { _ = ln.Close(); p.drop() })
	go func() {
		for {
			client, err := ln.Accept()
			if err != nil {
				return
			}
			server, err := net.Dial("tcp", target)
			if err != nil {
				_ = client.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, client, server)
			p.accepted++
			p.mu.Unlock()
			go func() { _, _ = io.Copy(server, client); _ = server.Close() }()
			go func() { _, _ = io.Copy(client, server); _ = client.Close() }()
		}
	}()
	return p
}

// drop cuts every open connection and returns how many were accepted so far.
func (p *dropProxy) drop() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		_ = c.Close()
	}
	p.conns = nil
	return p.accepted
}

// TestFollowSceneScript runs examples/follow-scene on a running scene, cuts its connection
// a few lines in, and checks that it printed every line of the scene once, in order, with
// its speaker, then exited at the end of the scene.
func TestFollowSceneScript(t *testing.T) {
	t.Parallel()
	node := testkit.Node(t, "follow-scene", "@apollo/client", "graphql-ws", "ws")
	srv := testkit.NewServer(t)
	c, _ := srv.Register(t, "follower")
	eco := c.CreateEcosystem(t, "Uppercross")
	cast := []map[string]any{}
	ids := map[string]string{}
	for _, name := range []string{"Anne Elliot", "Frederick Wentworth", "Louisa Musgrove"} {
		ids[name] = c.CreateCharacter(t, eco, name)
		cast = append(cast, map[string]any{"characterId": ids[name], "role": "a guest"})
	}
	relate(t, c, ids["Anne Elliot"], ids["Frederick Wentworth"], "ROMANCE", 0.6)
	relate(t, c, ids["Frederick Wentworth"], ids["Louisa Musgrove"], "FRIEND", 0.3)
	var scenario struct{ CreateScenario struct{ ID string } }
	c.Must(t, `mutation($in: CreateScenarioInput!) { createScenario(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"ecosystemId": eco, "title": "The Cobb at Lyme", "setting": "A sea wall", "mood": "Giddy",
		"opening": "Louisa runs up the steps of the Cobb.", "maxTurns": 8, "paceMs": 250, "cast": cast}}, &scenario)
	var run struct {
		RunScenario struct{ Conversation struct{ ID string } }
	}
	c.Must(t, `mutation($id: ID!) { runScenario(id: $id, input: {seed: 7}) { conversation { id } } }`,
		map[string]any{"id": scenario.CreateScenario.ID}, &run)
	conv := run.RunScenario.Conversation.ID

	proxy := newDropProxy(t, strings.TrimPrefix(srv.URL, "http://"))
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	script := filepath.Join("follow-scene", "follow-scene.mjs")
	cmd := exec.CommandContext(ctx, node, script, "http://"+proxy.ln.Addr().String(), c.Token, conv, "--json")
	lines := start[followed](t, cmd)
	if head := next(t, lines, "the scene"); head.Type != "scene" || head.Title != "The Cobb at Lyme" {
		t.Fatalf("want the scene first, got %+v", head)
	}
	var got []followed
	droppedAt := -1
	for {
		l := next(t, lines, "the scene's lines")
		if l.Type == "end" {
			if l.Reason != "ended" {
				t.Fatalf("the script stopped: %+v", l)
			}
			break
		}
		got = append(got, l)
		if len(got) == 3 {
			droppedAt = proxy.drop()
		}
	}
	finish(t, cmd, lines)
	if proxy.drop() == droppedAt {
		t.Fatal("the script never reconnected after its connection was cut")
	}

	var after struct {
		Conversation struct {
			Scene    struct{ Status string }
			Messages struct {
				Nodes []struct {
					ID, SenderKind, Content string
					SenderCharacter         *struct{ Name string }
					RelationshipChanges     []struct{ From, To struct{ Name string } }
				}
			}
		}
	}
	c.Must(t, `query($c: ID!) { conversation(id: $c) { scene { status } messages(first: 100) { nodes {
		id senderKind content senderCharacter { name } relationshipChanges { from { name } to { name } } } } } }`,
		map[string]any{"c": conv}, &after)
	stored := after.Conversation.Messages.Nodes
	if after.Conversation.Scene.Status != "ENDED" || len(stored) != 9 {
		t.Fatalf("the scene is %s with %d lines, want ENDED with the opening and 8 turns", after.Conversation.Scene.Status, len(stored))
	}
	if len(got) != len(stored) {
		t.Fatalf("the script printed %d lines, the conversation holds %d", len(got), len(stored))
	}
	for i, m := range stored {
		speaker := strings.ToLower(m.SenderKind)
		if m.SenderCharacter != nil {
			speaker = m.SenderCharacter.Name
		}
		l := got[i]
		if l.ID != m.ID || l.Speaker != speaker || l.Text != m.Content || len(l.RelationshipChanges) != len(m.RelationshipChanges) {
			t.Fatalf("line %d: printed %+v, stored %s %s %q with %d relationship changes",
				i, l, m.ID, speaker, m.Content, len(m.RelationshipChanges))
		}
		for j, r := range m.RelationshipChanges {
			if p := l.RelationshipChanges[j]; p.From != r.From.Name || p.To != r.To.Name {
				t.Fatalf("line %d: printed relationship change %+v, stored %+v", i, p, r)
			}
		}
	}

	// --lines stops early: on an ended scene, after its first two lines.
	first := exec.CommandContext(ctx, node, script, srv.URL, c.Token, conv, "--json", "--lines", "2")
	lines = start[followed](t, first)
	next(t, lines, "the scene")
	for i := range 2 {
		if l := next(t, lines, "a line"); l.Type != "line" || l.ID != stored[i].ID {
			t.Fatalf("--lines 2: line %d is %+v, want %s", i, l, stored[i].ID)
		}
	}
	if end := next(t, lines, "the end"); end.Type != "end" || end.Reason != "lines" {
		t.Fatalf("--lines 2 ends with %+v", end)
	}
	finish(t, first, lines)
}
