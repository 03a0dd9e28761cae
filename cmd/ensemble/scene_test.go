package main

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/internal/testkit"
)

// process is a running `ensemble serve`.
type process struct {
	cmd  *exec.Cmd
	base string
}

// startProcess starts the binary on the database and waits until it serves.
func startProcess(t *testing.T, databaseURL string, env ...string) *process {
	t.Helper()
	cmd := exec.Command(binary, "serve")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "ADDR=127.0.0.1:0",
		"DATABASE_URL=" + databaseURL, "SECRET_KEY=" + testkit.Secret, "ENSEMBLE_DATA_DIR=" + t.TempDir(),
		"PASSWORD_HASH_MEMORY_KIB=64", "PASSWORD_HASH_ITERATIONS=1"}, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`msg="ensemble is serving" addr=(\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		return &process{cmd: cmd, base: "http://" + a}
	case <-time.After(60 * time.Second):
		t.Fatal("ensemble did not start")
		return nil
	}
}

// kill ends the process as a crash would: no shutdown, no goodbye to PostgreSQL.
func (i *process) kill(t *testing.T) {
	t.Helper()
	if err := i.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_, _ = i.cmd.Process.Wait()
}

// TestSceneSurvivesKill9 kills the process running a scene, again and again at
// whatever point of a turn it is, and starts another: the scene goes on to its last
// turn with every turn written exactly once and its numbers without a hole.
func TestSceneSurvivesKill9(t *testing.T) {
	t.Parallel()
	dbURL := testkit.DatabaseURL(t)
	pool, err := pgxpool.New(t.Context(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	turn := func() (turn int, status string) {
		if err := pool.QueryRow(t.Context(), `SELECT s.turn, c.status FROM scenes s JOIN conversations c ON c.id = s.conversation_id`).Scan(&turn, &status); err != nil {
			t.Fatal(err)
		}
		return turn, status
	}

	const turns = 45
	srv := startProcess(t, dbURL)
	c := &testkit.Client{URL: srv.base + "/graphql"}
	var reg struct{ Register struct{ AccessToken string } }
	c.Must(t, `mutation { register(input: {username: "director", email: "d@example.com", password: "password-director"}) { accessToken } }`, nil, &reg)
	c.Token = reg.Register.AccessToken
	eco := c.CreateEcosystem(t, "Garden")
	var cast []map[string]any
	for _, name := range []string{"Alice", "Bob", "Charlie", "Diana"} {
		cast = append(cast, map[string]any{"characterId": c.CreateCharacter(t, eco, name)})
	}
	var sc struct{ CreateScenario struct{ ID string } }
	c.Must(t, `mutation($in: CreateScenarioInput!) { createScenario(input: $in) { id } }`, map[string]any{"in": map[string]any{
		"ecosystemId": eco, "title": "The letter", "setting": "Victorian Garden", "maxTurns": turns, "paceMs": 40, "cast": cast}}, &sc)
	c.Must(t, `mutation($id: ID!) { runScenario(id: $id, input: {seed: 42}) { turn } }`, map[string]any{"id": sc.CreateScenario.ID}, &struct{}{})

	// Kill the process three times while the scene runs, each time a little later into
	// a turn, then let the last process finish it.
	for i, after := range []time.Duration{0, 13 * time.Millisecond, 29 * time.Millisecond} {
		deadline := time.Now().Add(60 * time.Second)
		start, _ := turn()
		for n, _ := turn(); n < start+4; n, _ = turn() {
			if time.Now().After(deadline) {
				t.Fatalf("kill %d: the scene is stuck at turn %d", i, n)
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(after)
		srv.kill(t)
		srv = startProcess(t, dbURL)
	}
	deadline := time.Now().Add(90 * time.Second)
	for n, status := turn(); status != "ENDED"; n, status = turn() {
		if time.Now().After(deadline) {
			t.Fatalf("after the kills the scene is stuck at turn %d (%s)", n, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var lines, distinct, first, last, seqs, maxSeq int
	if err := pool.QueryRow(t.Context(), `SELECT count(*), count(DISTINCT turn), min(turn), max(turn) FROM messages WHERE turn IS NOT NULL`).
		Scan(&lines, &distinct, &first, &last); err != nil {
		t.Fatal(err)
	}
	if lines != turns || distinct != turns || first != 1 || last != turns {
		t.Fatalf("%d lines, %d distinct turns from %d to %d; want exactly one line for each of turns 1..%d", lines, distinct, first, last, turns)
	}
	if err := pool.QueryRow(t.Context(), `SELECT count(*), max(seq) FROM messages`).Scan(&seqs, &maxSeq); err != nil {
		t.Fatal(err)
	}
	if seqs != maxSeq {
		t.Fatalf("message numbers have holes: %d messages up to %d", seqs, maxSeq)
	}
	var events, maxEvent int
	if err := pool.QueryRow(t.Context(), `SELECT count(*), max(seq) FROM events WHERE seq IS NOT NULL`).Scan(&events, &maxEvent); err != nil {
		t.Fatal(err)
	}
	if events != maxEvent {
		t.Fatalf("event numbers have holes: %d events up to %d", events, maxEvent)
	}
	var said, memories int
	if err := pool.QueryRow(t.Context(), `SELECT count(DISTINCT md5(content)) FROM messages WHERE turn IS NOT NULL`).Scan(&said); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM memories m JOIN messages l ON l.id = m.source_message_id WHERE l.turn IS NOT NULL`).Scan(&memories); err != nil {
		t.Fatal(err)
	}
	if said != turns || memories != 4*turns {
		t.Fatalf("%d different lines, %d memories of them; want %d and %d", said, memories, turns, 4*turns)
	}
	// The kills left turns running on dead instances; live ones took them over.
	var takenOver int
	if err := pool.QueryRow(t.Context(), `SELECT count(*) FROM river_job WHERE kind = 'scene_turn' AND cardinality(attempted_by) > 1`).Scan(&takenOver); err != nil {
		t.Fatal(err)
	}
	if takenOver == 0 {
		t.Fatal("no turn was taken over from a dead instance")
	}
}

// TestReadinessDrainsOnSIGTERM: on SIGTERM an instance first says it is not ready while it
// still serves, for SHUTDOWN_DRAIN_DELAY, so a load balancer takes it out of rotation
// before it stops accepting; then it exits cleanly.
func TestReadinessDrainsOnSIGTERM(t *testing.T) {
	t.Parallel()
	p := startProcess(t, testkit.DatabaseURL(t), "SHUTDOWN_DRAIN_DELAY=3s")
	status := func(path string) int {
		resp, err := http.Get(p.base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	if got := status("/health/ready"); got != http.StatusOK {
		t.Fatalf("ready before SIGTERM: %d", got)
	}
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for status("/health/ready") != http.StatusServiceUnavailable {
		if time.Now().After(deadline) {
			t.Fatal("/health/ready still 200 after SIGTERM")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := status("/health/live"); got != http.StatusOK {
		t.Fatalf("live while draining: %d", got)
	}
	p.exited(t)
}
