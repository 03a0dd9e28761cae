package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/literaryai/ensemble/internal/testkit"
)

// playgroundLine is one line e2e/playground.mjs prints.
type playgroundLine struct {
	Step           string            `json:"step"`
	Response       json.RawMessage   `json:"response"`
	ConnectionInit map[string]string `json:"connectionInit"`
	Workers        []string          `json:"workers"`
	Offences       []map[string]any  `json:"offences"`
	raw            string
}

// TestPlaygroundOffline: the playground works in headless Chromium that can reach nothing
// but the server (e2e/playground.mjs aborts and reports any other request): a query over
// HTTP with the Headers tab's token, the explorer, the docs, prettify, Monaco's workers,
// and a subscription whose connection_init carries those headers receives an event made
// here. The screenshot goes
// to PLAYGROUND_SCREENSHOT, or else to the test's temporary directory.
func TestPlaygroundOffline(t *testing.T) {
	t.Parallel()
	node := testkit.Node(t, e2eDir, "puppeteer-core")
	chromium := testkit.Chromium(t)
	screenshot := os.Getenv("PLAYGROUND_SCREENSHOT")
	if screenshot == "" {
		screenshot = filepath.Join(t.TempDir(), "playground.png")
	}
	s := testkit.NewServer(t)
	c, sess := s.Register(t, "pg-visitor")
	eco := c.CreateEcosystem(t, "Netherfield")

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(e2eDir, "playground.mjs"), s.URL, chromium, screenshot, sess.AccessToken, eco)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan playgroundLine)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var l playgroundLine
			if json.Unmarshal(sc.Bytes(), &l) != nil {
				l.Step = "unparsed"
			}
			l.raw = sc.Text()
			lines <- l
		}
	}()

	// From "subscribed" until "event", a character every tick: the subscription may
	// reach the server's bus a moment after its subscribe message.
	steps := map[string]playgroundLine{}
	var order []string
	producing, made := false, 0
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for open := true; open; {
		select {
		case l, ok := <-lines:
			if !ok {
				open = false
				break
			}
			t.Logf("playground: %s", l.raw)
			steps[l.Step] = l
			order = append(order, l.Step)
			producing = l.Step == "subscribed"
		case <-tick.C:
			if producing {
				made++
				c.CreateCharacter(t, eco, fmt.Sprintf("Visitor %d", made))
			}
		}
	}
	err = cmd.Wait()
	if err != nil || stderr.Len() > 0 {
		t.Errorf("playground.mjs: %v\n%s", err, stderr.String())
	}
	if offences := steps["done"].Offences; len(offences) > 0 {
		t.Errorf("the page went wrong: %v", offences)
	}
	if want := "loaded query explorer docs subscribed event screenshot done"; strings.Join(order, " ") != want {
		t.Fatalf("steps %q, want %q", strings.Join(order, " "), want)
	}
	var query struct {
		Data struct{ Me struct{ Username string } }
	}
	if json.Unmarshal(steps["query"].Response, &query) != nil || query.Data.Me.Username != "pg-visitor" {
		t.Errorf("the query answered %s", steps["query"].Response)
	}
	if got := steps["subscribed"].ConnectionInit["Authorization"]; got != "Bearer "+sess.AccessToken {
		t.Errorf("connection_init carried Authorization %q, want the Headers tab's", got)
	}
	// Monaco runs its language services in the page when a worker cannot start: the
	// page would work, slower, and this would not show it otherwise.
	for _, label := range []string{"editor", "json", "graphql"} {
		if !slices.ContainsFunc(steps["done"].Workers, func(w string) bool { return strings.Contains(w, "/"+label+".worker-") }) {
			t.Errorf("no %s worker ran: %v", label, steps["done"].Workers)
		}
	}
	t.Logf("screenshot: %s", screenshot)
}
