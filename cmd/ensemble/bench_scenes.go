package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/app"
	"github.com/literaryai/ensemble/internal/config"
	"github.com/literaryai/ensemble/internal/relay"
	"github.com/literaryai/ensemble/internal/server"
)

// The targets of the scenes issue, printed next to the figures and never asserted: a
// busy machine would make any threshold flaky, and the figures are what a reader needs.
const (
	targetTurnsPerSecond = 200.0
	targetP95Ms          = 100.0
	targetHistoryRatio   = 1.2
)

// The windows of the long scene: turns around 10 against its last ten turns.
const (
	earlyFrom, earlyTo = 6, 15
	lateSpan           = 10
	minLongTurns       = 30
)

// sceneOptions are the flags of `bench scenes`.
type sceneOptions struct {
	Scenes    int
	Cast      int
	Duration  time.Duration
	Warmup    time.Duration
	LongTurns int
	LongRuns  int
	// PriorMemories is how many memories each character of a long scene starts with.
	PriorMemories int
	// SceneWorkers is the instances' SCENE_WORKERS: turns written at once.
	SceneWorkers int
	JSON         bool
	KeepLogs     bool
}

func benchScenesCmd() *cobra.Command {
	var o sceneOptions
	cmd := &cobra.Command{
		Use:   "scenes",
		Short: "Benchmark scenes run by the offline storyteller: turns per second, turn latency, and the cost of long history",
		Long: `Runs on a fresh database (created on DATABASE_URL and dropped afterwards, or a private
PostgreSQL) with the offline storyteller (no LLM endpoint), and measures:

  A. throughput: --scenes scenes of --cast characters each, every one with its own
     user and ecosystem, running at once on one server process (started as a child of this
     binary), each followed by a sceneUpdates WebSocket; over --duration after
     --warmup: turns committed per second, turn latency from the job's start to the
     line inserted and to the line delivered, and CPU and database transactions per
     turn (server, PostgreSQL and this process);
  B. history: one scene of --cast characters run to turn --long-turns by the app in
     this process, with every statement traced: wall time, statements and CPU per turn
     around turn 10 against the last ten turns.

It prints figures, with the targets next to them, and asserts nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchScenes(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Scenes, "scenes", 100, "scenes running at once in the throughput phase, one ecosystem each")
	f.IntVar(&o.Cast, "cast", 5, "characters in every scene (2..50)")
	f.DurationVar(&o.Duration, "duration", 20*time.Second, "measured window of the throughput phase")
	f.DurationVar(&o.Warmup, "warmup", 3*time.Second, "time the scenes run before the window opens")
	f.IntVar(&o.LongTurns, "long-turns", 1000, "turns of the long scene of the history phase")
	f.IntVar(&o.PriorMemories, "prior-memories", 60, "memories each character of a long scene starts with, as a cast from a book does (0..1000)")
	f.IntVar(&o.LongRuns, "long-runs", 5, "long scenes run one after another, whose windows the history phase pools (1..10)")
	f.IntVar(&o.SceneWorkers, "scene-workers", 0, "SCENE_WORKERS of the servers (0: their default)")
	f.BoolVar(&o.JSON, "json", false, "print the figures as JSON")
	f.BoolVar(&o.KeepLogs, "keep-logs", false, "keep the servers' logs and print where they are")
	return cmd
}

func (o sceneOptions) validate() error {
	switch {
	case o.Scenes < 1:
		return errors.New("bench scenes: --scenes must be at least 1")
	case o.Cast < 2 || o.Cast > 50:
		return errors.New("bench scenes: --cast must be 2..50 (a scenario's cast)")
	case o.Duration <= 0 || o.Warmup < 0:
		return errors.New("bench scenes: --duration must be positive and --warmup not negative")
	case o.PriorMemories < 0 || o.PriorMemories > 1000:
		return errors.New("bench scenes: --prior-memories must be 0..1000")
	case o.LongRuns < 1 || o.LongRuns > 10:
		return errors.New("bench scenes: --long-runs must be 1..10")
	case o.LongTurns < minLongTurns || o.LongTurns > 10000-lateSpan:
		return fmt.Errorf("bench scenes: --long-turns must be %d..%d: the early window is turns %d-%d, the late one the last %d",
			minLongTurns, 10000-lateSpan, earlyFrom, earlyTo, lateSpan)
	}
	return nil
}

// sceneParams are the options as reported.
type sceneParams struct {
	Scenes    int    `json:"scenes"`
	Cast      int    `json:"cast"`
	Duration  string `json:"duration"`
	Warmup    string `json:"warmup"`
	LongTurns int    `json:"longTurns"`
	LongRuns  int    `json:"longRuns"`
	// PriorMemories is --prior-memories.
	PriorMemories int `json:"priorMemories"`
	// SceneWorkers is the servers' SCENE_WORKERS, 0 for their default.
	SceneWorkers int `json:"sceneWorkers"`
}

// scenesReport is everything `bench scenes` prints.
type scenesReport struct {
	Machine    machineFacts `json:"machine"`
	Parameters sceneParams  `json:"parameters"`
	Database   string       `json:"database"`
	// LoadAverage is /proc/loadavg when the run started: other work on the machine
	// shares the CPUs with what is measured.
	LoadAverage string           `json:"loadAverage,omitempty"`
	Throughput  *sceneThroughput `json:"throughput,omitempty"`
	History     *sceneHistory    `json:"history,omitempty"`
	Targets     []sceneTarget    `json:"targets"`
	ServerLogs  []logSummary     `json:"serverLogs"`
	LogDir      string           `json:"logDir,omitempty"`
	Error       string           `json:"error,omitempty"`
}

// sceneTarget is one target of the issue with the figure it is judged on.
type sceneTarget struct {
	Name   string  `json:"name"`
	Target string  `json:"target"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	// Met is nil when the figure is missing (the run stopped before it).
	Met *bool `json:"met"`
}

// sceneBench is one run. It borrows bench live's machinery (database, scratch and log
// directories, server processes, meters, GraphQL client) through a liveBench that runs
// none of bench live's scenarios.
type sceneBench struct {
	opts   sceneOptions
	lb     *liveBench
	report scenesReport
}

// runBenchScenes runs both phases and prints the report, also after a failure or Ctrl-C
// (with what was measured so far). Every child process, the bench database and the
// scratch directory are gone when it returns.
func runBenchScenes(ctx context.Context, o sceneOptions, stdout, stderr io.Writer) (err error) {
	if err := o.validate(); err != nil {
		return err
	}
	// One socket per scene here, and the server holds as many.
	if _, err := ensureFileLimit(uint64(2*o.Scenes + 512)); err != nil {
		return fmt.Errorf("bench scenes: %w", err)
	}
	lb, err := newLiveBench(liveOptions{Senders: o.Scenes, KeepLogs: o.KeepLogs}, stderr)
	if err != nil {
		return err
	}
	if o.SceneWorkers > 0 {
		lb.extraEnv = []string{"SCENE_WORKERS=" + strconv.Itoa(o.SceneWorkers)}
	}
	b := &sceneBench{opts: o, lb: lb, report: scenesReport{
		Machine: currentMachine(), ServerLogs: []logSummary{}, LoadAverage: loadAverage(),
		Parameters: sceneParams{Scenes: o.Scenes, Cast: o.Cast, Duration: o.Duration.String(), Warmup: o.Warmup.String(),
			LongTurns: o.LongTurns, LongRuns: o.LongRuns, PriorMemories: o.PriorMemories, SceneWorkers: o.SceneWorkers},
	}}
	if o.KeepLogs {
		b.report.LogDir = lb.logDir
	}
	defer lb.close()
	defer func() {
		if err != nil && ctx.Err() != nil {
			err = errors.New("interrupted: servers stopped, bench database removed")
		}
		if err != nil {
			b.report.Error = err.Error()
		}
		b.report.ServerLogs = append(lb.report.ServerLogs, b.report.ServerLogs...)
		b.report.Targets = b.targets()
		if perr := b.print(stdout); perr != nil && err == nil {
			err = perr
		}
	}()
	if lb.db, err = openBenchDatabase(ctx, lb.work, lb.logf); err != nil {
		return err
	}
	b.report.Database = lb.db.Describe
	if lb.sql, err = pgx.Connect(ctx, withoutPoolParams(lb.db.URL)); err != nil {
		return fmt.Errorf("connect to the bench database: %w", err)
	}
	if err := b.throughputPhase(ctx); err != nil {
		return fmt.Errorf("throughput: %w", err)
	}
	if err := b.historyPhase(ctx); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	return nil
}

func (b *sceneBench) logf(format string, args ...any) { b.lb.logf(format, args...) }

// sleep waits d unless ctx ends first.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// ---------------------------------------------------------------------------
// Stages: a cast, its bonds and a scenario, set up through GraphQL

const (
	opSceneCharacter    = `mutation($in:CreateCharacterInput!){createCharacter(input:$in){id}}`
	opSceneRelationship = `mutation($in:CreateRelationshipInput!){createRelationship(input:$in){id}}`
	opScenario          = `mutation($in:CreateScenarioInput!){createScenario(input:$in){id}}`
	opRunScenario       = `mutation($id:ID!,$in:RunScenarioInput){runScenario(id:$id,input:$in){conversation{id} status turn}}`
	opEndScene          = `mutation($c:ID!){endScene(conversationId:$c){status turn}}`
	opAddMemories       = `mutation($c:ID!,$in:[AddMemoryInput!]!){addMemories(characterId:$c,input:$in)}`
	// subScene asks for only what latency needs: the turn of each line.
	subScene = `subscription($c:ID!){sceneUpdates(conversationId:$c){message{turn} change{kind}}}`
)

// castNames, descriptions, styles, roles and goals are cycled through, so every scene
// has the same kinds of people with different traits.
var (
	castNames    = []string{"Alice", "Bob", "Charlie", "Diana", "Edmund", "Fanny", "George", "Harriet", "Isabella", "James"}
	descriptions = []string{
		"A warm-hearted schoolteacher who hates quarrels", "A proud naval officer who feels wronged",
		"Alice's oldest friend, a painter", "A widow with something to hide", "A young clerk eager to be noticed",
		"A governess who sees more than she says", "A country squire fond of his own voice",
		"A poor relation, patient and observant", "A heiress bored of her suitors", "A curate with unpaid debts",
	}
	styles = []string{"gentle, curious", "blunt, clipped", "playful, wordy", "guarded, precise", "earnest, hurried"}
	roles  = []string{"the peacemaker", "the accuser", "the joker", "the suspect", "the witness"}
	goals  = []string{"keep everyone talking kindly", "find out who took the letter", "lighten the mood",
		"deflect suspicion", "be believed"}
	settings = []string{"Victorian Garden", "A drawing room at Mansfield", "The Pump Room at Bath", "A windswept cliff path"}
	moods    = []string{"Tense", "Uneasy", "Festive", "Melancholy"}
)

// sceneBonds are the relationships every cast starts with (members beyond the cast are
// skipped): a hostile pair, a warm pair, and a few weaker ties.
var sceneBonds = []struct {
	from, to                     int
	typ                          string
	strength, trust, familiarity float64
}{
	{0, 1, "ENEMY", -0.6, 0.2, 0.6}, {1, 0, "ENEMY", -0.5, 0.2, 0.6},
	{2, 3, "FRIEND", 0.7, 0.8, 0.7}, {3, 2, "FRIEND", 0.7, 0.8, 0.7},
	{4, 0, "RIVAL", -0.3, 0.4, 0.5}, {3, 4, "MENTOR", 0.5, 0.7, 0.4}, {1, 2, "FAMILY", 0.4, 0.6, 0.9},
}

// stage is one scene's ecosystem, ready to run.
type stage struct {
	ecosystem string
	scenario  string
	bonds     int
}

// The pieces of the memories a long scene's cast brings with it.
var (
	pastWhen  = []string{"Last winter", "On my sister's wedding day", "Years ago", "The morning the ship sailed", "At Michaelmas", "Once, in the rain", "The night of the ball", "When I was a child"}
	pastWhat  = []string{"I lost a ring", "a stranger asked my name", "I read a letter twice", "we quarrelled over money", "I promised to keep quiet", "the roof leaked on my books", "I danced until dawn", "someone lied to me"}
	pastWhere = []string{"by the old mill", "in the library", "on the road to Bath", "at the harbour", "in the orchard", "at church", "in a crowded inn", "on the cliff path"}
)

// pastMemories returns n distinct memories of a character's life before the scene.
func pastMemories(rng *rand.Rand, n int) []map[string]any {
	types := []string{"OBSERVATION", "DIALOGUE", "FACT"}
	out := make([]map[string]any, n)
	for i := range out {
		j := i + rng.IntN(len(pastWhen))*len(pastWhat)*len(pastWhere)
		content := fmt.Sprintf("%s %s %s.", pastWhen[j%len(pastWhen)], pastWhat[(j/len(pastWhen))%len(pastWhat)], pastWhere[(j/len(pastWhen)/len(pastWhat))%len(pastWhere)])
		out[i] = map[string]any{"content": content, "type": types[i%len(types)]}
	}
	return out
}

// setUpStage creates an ecosystem, a cast of n characters with varied traits, their
// bonds and a scenario with pace 0 (turns follow each other at once).
func setUpStage(ctx context.Context, c gqlClient, index, n, maxTurns, memories int) (stage, error) {
	var st stage
	eco, err := c.createEcosystem(ctx, fmt.Sprintf("bench scene %d %s", index+1, randomHex(3)))
	if err != nil {
		return st, err
	}
	st.ecosystem = eco
	// Traits differ from scene to scene, but a run sets up the same stages every time.
	rng := rand.New(rand.NewPCG(uint64(index), 0x5ce7e5))
	trait := func() float64 { return math.Round((0.1+0.8*rng.Float64())*100) / 100 }
	ids := make([]string, n)
	for i := range n {
		name := castNames[i%len(castNames)]
		if i >= len(castNames) {
			name += " " + strconv.Itoa(i/len(castNames)+1)
		}
		var out struct{ CreateCharacter struct{ ID string } }
		err := c.do(ctx, opSceneCharacter, map[string]any{"in": map[string]any{
			"ecosystemId": eco, "name": name, "description": descriptions[i%len(descriptions)],
			"speakingStyle": styles[i%len(styles)], "autonomyLevel": trait(), "socialEnergy": 0.5 + trait()/2,
			"personalityTraits": map[string]float64{"openness": trait(), "conscientiousness": trait(),
				"extraversion": trait(), "agreeableness": trait(), "neuroticism": trait()},
		}}, &out)
		if err != nil {
			return st, fmt.Errorf("createCharacter: %w", err)
		}
		ids[i] = out.CreateCharacter.ID
		if memories > 0 {
			if err := c.do(ctx, opAddMemories, map[string]any{"c": ids[i], "in": pastMemories(rng, memories)}, &struct{}{}); err != nil {
				return st, fmt.Errorf("addMemories: %w", err)
			}
		}
	}
	for _, r := range sceneBonds {
		if r.from >= n || r.to >= n {
			continue
		}
		err := c.do(ctx, opSceneRelationship, map[string]any{"in": map[string]any{
			"fromId": ids[r.from], "toId": ids[r.to], "type": r.typ, "strength": r.strength, "trust": r.trust,
			"familiarity": r.familiarity}}, &struct{}{})
		if err != nil {
			return st, fmt.Errorf("createRelationship: %w", err)
		}
		st.bonds++
	}
	cast := make([]map[string]any, n)
	for i, id := range ids {
		cast[i] = map[string]any{"characterId": id, "role": roles[i%len(roles)], "goal": goals[i%len(goals)]}
	}
	// One secret per scene: every line is checked against it, as in real scenes.
	cast[n-1]["secret"] = "I burned the captain's letter in the potting shed"
	var out struct{ CreateScenario struct{ ID string } }
	err = c.do(ctx, opScenario, map[string]any{"in": map[string]any{
		"ecosystemId": eco, "title": "The letter", "setting": settings[index%len(settings)], "mood": moods[index%len(moods)],
		"premise":  "A letter has gone missing, and everyone suspects someone.",
		"opening":  "Rain clouds gather as the company meets by the fountain.",
		"maxTurns": maxTurns, "paceMs": 0, "cast": cast,
	}}, &out)
	if err != nil {
		return st, fmt.Errorf("createScenario: %w", err)
	}
	st.scenario = out.CreateScenario.ID
	return st, nil
}

// runScene starts a scene of the scenario and returns its conversation's global id.
func runScene(ctx context.Context, c gqlClient, scenario string, seed, maxTurns int) (string, error) {
	var out struct {
		RunScenario struct {
			Conversation struct{ ID string }
			Status       string
		}
	}
	err := c.do(ctx, opRunScenario, map[string]any{"id": scenario, "in": map[string]any{
		"seed": seed, "maxTurns": maxTurns, "paceMs": 0, "mode": "OBSERVE"}}, &out)
	if err != nil {
		return "", fmt.Errorf("runScenario: %w", err)
	}
	if out.RunScenario.Status != "ACTIVE" {
		return "", fmt.Errorf("runScenario: scene is %s, want ACTIVE", out.RunScenario.Status)
	}
	return out.RunScenario.Conversation.ID, nil
}

func endScene(ctx context.Context, c gqlClient, conv string) error {
	var out struct{ EndScene struct{ Status string } }
	if err := c.do(ctx, opEndScene, map[string]any{"c": conv}, &out); err != nil {
		return fmt.Errorf("endScene: %w", err)
	}
	return nil
}

// conversationUUID is the uuid inside a conversation's global id, as the database has it.
func conversationUUID(gid string) (string, error) {
	_, id, err := relay.Decode("conversationId", gid)
	if err != nil {
		return "", err
	}
	return id.String(), nil
}

// ---------------------------------------------------------------------------
// sceneUpdates sockets

// sceneSocket is one graphql-transport-ws socket following one scene's sceneUpdates. A
// single goroutine reads it and records when each line arrived.
type sceneSocket struct {
	conn    *websocket.Conn
	got     atomic.Int64
	closing atomic.Bool
	done    chan struct{}
	// Owned by the reading goroutine until done is closed: receive time (Unix
	// nanoseconds) by turn, and why the socket ended early.
	seen    map[int]int64
	failure error
}

// dialScene opens a socket, authenticates in connection_init and subscribes to conv's
// sceneUpdates. Without `after`, the subscription starts from the scene's first event,
// so lines written before it was live arrive too (late, and before the window).
func dialScene(ctx context.Context, client *http.Client, wsURL, token, conv string) (*sceneSocket, error) {
	ctx, cancel := context.WithTimeout(ctx, ackWait)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, wsURL, &websocket.DialOptions{
		Subprotocols: []string{"graphql-transport-ws"}, HTTPClient: client, CompressionMode: websocket.CompressionDisabled,
	})
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", wsURL, err)
	}
	fail := func(err error) (*sceneSocket, error) { _ = conn.CloseNow(); return nil, err }
	init := []byte(`{"type":"connection_init","payload":{"authorization":"Bearer ` + token + `"}}`)
	if err := conn.Write(ctx, websocket.MessageText, init); err != nil {
		return fail(fmt.Errorf("send connection_init: %w", err))
	}
	for {
		_, frame, err := conn.Read(ctx)
		if err != nil {
			return fail(fmt.Errorf("wait for connection_ack: %w", err))
		}
		if t := frameType(frame); t == "connection_ack" {
			break
		} else if t != "ping" && t != "pong" {
			return fail(fmt.Errorf("want connection_ack, got %.200s", frame))
		}
	}
	sub, err := json.Marshal(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query": subScene, "variables": map[string]any{"c": conv}}})
	if err != nil {
		return fail(fmt.Errorf("encode subscribe: %w", err))
	}
	if err := conn.Write(ctx, websocket.MessageText, sub); err != nil {
		return fail(fmt.Errorf("send subscribe: %w", err))
	}
	s := &sceneSocket{conn: conn, done: make(chan struct{}), seen: map[int]int64{}}
	go s.read()
	return s, nil
}

// read records every line until the socket ends; like bench live's subscribers it reads
// with a background context and is ended by close.
func (s *sceneSocket) read() {
	defer close(s.done)
	for {
		_, frame, err := s.conn.Read(context.Background())
		if err == nil {
			err = s.handle(time.Now().UnixNano(), frame)
		}
		if err != nil {
			if !s.closing.Load() {
				s.failure = err
			}
			return
		}
	}
}

func (s *sceneSocket) handle(recv int64, frame []byte) error {
	switch frameType(frame) {
	case "next":
		turn, ok, err := parseSceneNext(frame)
		if err != nil {
			return err
		}
		if ok {
			if _, dup := s.seen[turn]; !dup {
				s.seen[turn] = recv
			}
			s.got.Add(1)
		}
	case "ping":
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.conn.Write(ctx, websocket.MessageText, pongFrame); err != nil {
			return fmt.Errorf("send pong: %w", err)
		}
	case "pong":
	default: // error or complete: the subscription is over
		return fmt.Errorf("server sent %.300s", frame)
	}
	return nil
}

// parseSceneNext reads the turn of a line from a sceneUpdates next message; ok is false
// for state changes and for lines that are not turns (the narrator's opening).
func parseSceneNext(frame []byte) (turn int, ok bool, err error) {
	var m struct {
		Payload struct {
			Data struct {
				SceneUpdates struct {
					Message *struct {
						Turn *int `json:"turn"`
					} `json:"message"`
				} `json:"sceneUpdates"`
			} `json:"data"`
			Errors []gqlError `json:"errors"`
		} `json:"payload"`
	}
	if err := json.Unmarshal(frame, &m); err != nil {
		return 0, false, fmt.Errorf("decode next: %w", err)
	}
	if len(m.Payload.Errors) > 0 {
		return 0, false, fmt.Errorf("sceneUpdates: %s", m.Payload.Errors[0].Message)
	}
	msg := m.Payload.Data.SceneUpdates.Message
	if msg == nil || msg.Turn == nil {
		return 0, false, nil
	}
	return *msg.Turn, true, nil
}

func (s *sceneSocket) close() {
	if s.closing.CompareAndSwap(false, true) {
		_ = s.conn.Close(websocket.StatusNormalClosure, "bench done")
	}
	<-s.done
}

func closeSceneSockets(socks []*sceneSocket) {
	var wg sync.WaitGroup
	for _, s := range socks {
		if s != nil {
			wg.Go(s.close)
		}
	}
	wg.Wait()
}

// ---------------------------------------------------------------------------
// PostgreSQL's CPU

// postgresCPU is the CPU time of the machine's postgres processes, by pid, and which of
// them serve the bench database.
type postgresCPU struct {
	seconds map[int]float64
	ours    map[int]bool
}

// readPostgresCPU reads /proc: every process named postgres, and whether its title
// (PostgreSQL writes "postgres: user database host ..." over its command line) names
// dbName. It fails where there is no /proc.
func readPostgresCPU(dbName string) (postgresCPU, error) {
	p := postgresCPU{seconds: map[int]float64{}, ours: map[int]bool{}}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return p, err
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
		if err != nil || strings.TrimSpace(string(comm)) != "postgres" {
			continue
		}
		// A process may exit between the listing and the read: it is skipped.
		cpu, err := procCPUSeconds(pid)
		if err != nil {
			continue
		}
		p.seconds[pid] = cpu
		title, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		p.ours[pid] = slices.Contains(strings.Fields(strings.ReplaceAll(string(title), "\x00", " ")), dbName)
	}
	if len(p.seconds) == 0 {
		return p, errors.New("no postgres process in /proc (PostgreSQL on another machine or in a container?)")
	}
	return p, nil
}

// since is the CPU spent between before and p, for the bench database's backends and for
// all postgres processes. A process that started in between counts whole; one that
// ended in between is lost (the pools keep their connections, so few do).
func (p postgresCPU) since(before postgresCPU) (ours, all float64) {
	for pid, now := range p.seconds {
		d := now - before.seconds[pid]
		if d < 0 { // a pid reused by a new process
			d = now
		}
		all += d
		if p.ours[pid] {
			ours += d
		}
	}
	return ours, all
}

// machineBusySeconds is the CPU time all CPUs of the machine have spent busy since boot
// (the first line of /proc/stat, in USER_HZ ticks): what is left of a window's busy time
// after the processes measured is other work on the machine.
func machineBusySeconds() (float64, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(first)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, fmt.Errorf("parse /proc/stat: %.80q", first)
	}
	var busy int64
	// user nice system idle iowait irq softirq steal: all but idle and iowait are busy.
	for i, v := range f[1:9] {
		if i == 3 || i == 4 {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse /proc/stat: %w", err)
		}
		busy += n
	}
	return float64(busy) / 100, nil
}

// loadAverage is the first three fields of /proc/loadavg, empty where there is none.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

// databaseName is the database a URL names.
func databaseName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(u.Path, "/")
}

// ---------------------------------------------------------------------------
// Phase A: throughput

// sceneThroughput are the figures of the throughput phase.
type sceneThroughput struct {
	// Complete is false when the run stopped before the figures were in.
	Complete       bool    `json:"complete"`
	Instance       string  `json:"instance"`
	Scenes         int     `json:"scenes"`
	Cast           int     `json:"cast"`
	Relationships  int     `json:"relationships"`
	SetupSeconds   float64 `json:"setupSeconds"`
	Subscriptions  int     `json:"subscriptions"`
	WarmupSeconds  float64 `json:"warmupSeconds"`
	WindowSeconds  float64 `json:"windowSeconds"`
	Turns          int64   `json:"turns"`
	ScenesTurning  int     `json:"scenesTurning"`
	TurnsPerSecond float64 `json:"turnsPerSecond"`
	// PerSecond are the turns committed in each whole second of the window.
	PerSecondMin    int64 `json:"perSecondMin"`
	PerSecondMedian int64 `json:"perSecondMedian"`
	PerSecondMax    int64 `json:"perSecondMax"`
	Delivered       int64 `json:"delivered"`
	Undelivered     int64 `json:"undelivered"`
	Retried         int64 `json:"retried"`
	// NoJobStart counts turns whose writing attempt's start River no longer records (a
	// later attempt of the same job overwrote attempted_at): left out of the latencies.
	NoJobStart       int64          `json:"noJobStart"`
	SocketsEnded     int            `json:"socketsEndedEarly"`
	FirstSocketError string         `json:"firstSocketError,omitempty"`
	Delivery         latencySummary `json:"jobStartToDelivered"`
	Insert           latencySummary `json:"jobStartToInserted"`
	Fanout           latencySummary `json:"insertedToDelivered"`
	Cost             phaseCost      `json:"windowCost"`
	PostgresCPUError string         `json:"postgresCpuError,omitempty"`
	// The window's CPU time: the machine's busy time (all CPUs) and the postgres
	// processes'; the rest of the busy time, beyond server, PostgreSQL and bench, is
	// other work on the machine.
	MachineBusySeconds float64 `json:"machineBusySeconds"`
	PostgresAllSeconds float64 `json:"postgresAllCpuSeconds"`
	OtherBusySeconds   float64 `json:"otherBusySeconds"`
	// Per turn committed in the window.
	ServerCPUMs         float64 `json:"serverCpuMsPerTurn"`
	PostgresBackendCPU  float64 `json:"postgresBackendCpuMsPerTurn"`
	PostgresAllCPU      float64 `json:"postgresAllCpuMsPerTurn"`
	BenchCPUMs          float64 `json:"benchCpuMsPerTurn"`
	TransactionsPerTurn float64 `json:"transactionsPerTurn"`
	Ended               int     `json:"scenesEnded"`
}

// throughputPhase runs the scenes at once on one server process and measures a window.
func (b *sceneBench) throughputPhase(ctx context.Context) error {
	o := b.opts
	res := &sceneThroughput{Scenes: o.Scenes, Cast: o.Cast}
	b.report.Throughput = res
	in, err := b.lb.startInstance(ctx, "scenes", nil)
	if err != nil {
		return err
	}
	defer in.stop(b.logf)
	res.Instance = in.name
	b.logf("throughput: setting up %d scenes of %d characters, one user and one ecosystem each", o.Scenes, o.Cast)
	start := time.Now()
	// A user may run only a few scenes at once (MAX_RUNNING_SCENES), so every scene has
	// its own director.
	users := make([]gqlClient, o.Scenes)
	stages := make([]stage, o.Scenes)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range stages {
		g.Go(func() (err error) {
			if users[i], err = b.lb.register(gctx, in, "scenes"); err != nil {
				return err
			}
			stages[i], err = setUpStage(gctx, users[i], i, o.Cast, 10000, 0)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	res.SetupSeconds = time.Since(start).Seconds()
	for _, s := range stages {
		res.Relationships += s.bonds
	}

	// Each scene is followed as soon as it runs; its subscription replays what it missed.
	b.logf("throughput: running %d scenes and subscribing to each", o.Scenes)
	convs := make([]string, o.Scenes)
	socks := make([]*sceneSocket, o.Scenes)
	defer func() { closeSceneSockets(socks) }()
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range stages {
		g.Go(func() error {
			conv, err := runScene(gctx, users[i], stages[i].scenario, i+1, 10000)
			if err != nil {
				return err
			}
			convs[i] = conv
			socks[i], err = dialScene(gctx, b.lb.http, in.wsURL(), users[i].token, conv)
			return err
		})
	}
	err = g.Wait()
	// Scenes that started run until ended, also when another failed to start.
	defer b.endScenes(ctx, users, convs, res)
	if err != nil {
		return err
	}
	res.Subscriptions = len(socks)

	b.logf("throughput: warming up for %s", o.Warmup)
	if err := sleep(ctx, o.Warmup); err != nil {
		return err
	}
	res.WarmupSeconds = o.Warmup.Seconds()
	dbName := databaseName(b.lb.db.URL)
	pgBefore, pgErr := readPostgresCPU(dbName)
	busyBefore, busyErr := machineBusySeconds()
	meter, err := b.lb.startMeter(ctx, in)
	if err != nil {
		return err
	}
	b.logf("throughput: measuring for %s", o.Duration)
	from := time.Now()
	if err := sleep(ctx, o.Duration); err != nil {
		return err
	}
	to := time.Now()
	if res.Cost, err = b.lb.stopMeter(ctx, meter); err != nil {
		return err
	}
	pgAfter, err := readPostgresCPU(dbName)
	if pgErr == nil {
		pgErr = err
	}
	busyAfter, err := machineBusySeconds()
	if busyErr == nil {
		busyErr = err
	}
	res.WindowSeconds = to.Sub(from).Seconds()

	b.endScenes(ctx, users, convs, res)
	b.awaitQuiet(ctx, socks)
	closeSceneSockets(socks)
	for _, s := range socks {
		if s.failure != nil {
			res.SocketsEnded++
			if res.FirstSocketError == "" {
				res.FirstSocketError = s.failure.Error()
			}
		}
	}
	if err := b.measureWindow(ctx, res, convs, socks, from, to); err != nil {
		return err
	}
	if res.Turns > 0 {
		perTurn := func(seconds float64) float64 { return seconds * 1000 / float64(res.Turns) }
		res.ServerCPUMs = perTurn(res.Cost.ServerCPU[in.name])
		res.BenchCPUMs = perTurn(res.Cost.BenchCPU)
		res.TransactionsPerTurn = float64(res.Cost.DBTransactions) / float64(res.Turns)
		if pgErr != nil {
			res.PostgresCPUError = pgErr.Error()
		} else {
			ours, all := pgAfter.since(pgBefore)
			res.PostgresBackendCPU, res.PostgresAllCPU = perTurn(ours), perTurn(all)
			res.PostgresAllSeconds = all
		}
	}
	if busyErr == nil && pgErr == nil {
		res.MachineBusySeconds = busyAfter - busyBefore
		res.OtherBusySeconds = max(0, res.MachineBusySeconds-res.Cost.ServerCPU[in.name]-res.PostgresAllSeconds-res.Cost.BenchCPU)
	}
	res.Complete = true
	return nil
}

// endScenes ends every scene started (once), so none runs on into the next phase.
func (b *sceneBench) endScenes(ctx context.Context, users []gqlClient, convs []string, res *sceneThroughput) {
	if res.Ended > 0 {
		return
	}
	// Also after Ctrl-C: the scenes must stop before their server does.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	var ended atomic.Int64
	var wg sync.WaitGroup
	work := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range work {
				if err := endScene(ctx, users[i], convs[i]); err != nil {
					b.logf("warning: %v", err)
					continue
				}
				ended.Add(1)
			}
		})
	}
	for i, conv := range convs {
		if conv != "" {
			work <- i
		}
	}
	close(work)
	wg.Wait()
	res.Ended = int(ended.Load())
	b.logf("throughput: %d scenes ended", res.Ended)
}

// awaitQuiet waits until the sockets have received nothing for a second (the lines
// committed before the scenes ended are on their way), at most 15 s.
func (b *sceneBench) awaitQuiet(ctx context.Context, socks []*sceneSocket) {
	deadline := time.Now().Add(15 * time.Second)
	last, since := int64(-1), time.Now()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		var total int64
		for _, s := range socks {
			total += s.got.Load()
		}
		if total != last {
			last, since = total, time.Now()
		} else if time.Since(since) > time.Second {
			return
		}
		_ = sleep(ctx, 50*time.Millisecond)
	}
}

// measureWindow reads the turns committed in [from, to) from the database, each with the
// start of the job attempt that wrote it, and matches them with what the sockets got.
func (b *sceneBench) measureWindow(ctx context.Context, res *sceneThroughput, convs []string, socks []*sceneSocket, from, to time.Time) error {
	index := make(map[string]int, len(convs))
	for i, gid := range convs {
		id, err := conversationUUID(gid)
		if err != nil {
			return err
		}
		index[id] = i
	}
	// The job of a turn is the one whose args name the scene and the turn (a resume may
	// queue a turn again as another job); of its attempts River records the latest start,
	// which is the writing attempt's when it started before the line was inserted.
	rows, err := b.lb.sql.Query(ctx, `SELECT m.conversation_id::text, m.turn, m.created_at, j.attempted_at, coalesce(j.attempt, 0)
		FROM messages m
		LEFT JOIN LATERAL (
		    SELECT attempted_at, attempt FROM river_job
		    WHERE kind = 'scene_turn' AND attempted_at <= m.created_at
		      AND args @> jsonb_build_object('conversationId', m.conversation_id::text, 'turn', m.turn)
		    ORDER BY attempted_at DESC LIMIT 1) j ON true
		WHERE m.turn IS NOT NULL AND m.created_at >= $1 AND m.created_at < $2`, from, to)
	if err != nil {
		return fmt.Errorf("read the window's turns: %w", err)
	}
	defer rows.Close()
	seconds := make([]int64, max(1, int(to.Sub(from)/time.Second)))
	turning := map[int]bool{}
	var delivery, insert, fanout []time.Duration
	for rows.Next() {
		var conv string
		var turn int
		var created time.Time
		var started *time.Time
		var attempt int
		if err := rows.Scan(&conv, &turn, &created, &started, &attempt); err != nil {
			return fmt.Errorf("read the window's turns: %w", err)
		}
		res.Turns++
		if s := int(created.Sub(from) / time.Second); s < len(seconds) {
			seconds[s]++
		}
		i, ok := index[conv]
		if !ok {
			return fmt.Errorf("a turn of conversation %s, which the bench did not start", conv)
		}
		turning[i] = true
		if attempt > 1 {
			res.Retried++
		}
		recv, got := socks[i].seen[turn]
		if got {
			res.Delivered++
			fanout = append(fanout, time.Duration(recv-created.UnixNano()))
		} else {
			res.Undelivered++
		}
		if started == nil {
			res.NoJobStart++
			continue
		}
		insert = append(insert, created.Sub(*started))
		if got {
			delivery = append(delivery, time.Duration(recv-started.UnixNano()))
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the window's turns: %w", err)
	}
	res.ScenesTurning = len(turning)
	res.TurnsPerSecond = float64(res.Turns) / to.Sub(from).Seconds()
	slices.Sort(seconds)
	res.PerSecondMin, res.PerSecondMedian, res.PerSecondMax = seconds[0], seconds[len(seconds)/2], seconds[len(seconds)-1]
	res.Delivery, res.Insert, res.Fanout = summarize(delivery), summarize(insert), summarize(fanout)
	return nil
}

// ---------------------------------------------------------------------------
// Phase B: the cost of history, in process

// statementCounts are cumulative counts of what the app sent to PostgreSQL.
type statementCounts struct {
	// Statements counts every statement, each of a batch included.
	Statements int64
	// Queue counts the job queue's: everything on its pool, and River's statements in
	// the app's transactions (they name river_ tables or notify).
	Queue int64
	// App counts the rest: the turn's own reads and writes, BEGIN and COMMIT included.
	App int64
	// RoundTrips counts a batch once.
	RoundTrips int64
	// Waited is the time connections spent in round trips (query, batch or COPY sent
	// until its results were read): the database's share of a turn as the app sees it.
	Waited time.Duration
}

func (c statementCounts) plus(o statementCounts) statementCounts {
	return statementCounts{c.Statements + o.Statements, c.Queue + o.Queue, c.App + o.App, c.RoundTrips + o.RoundTrips, c.Waited + o.Waited}
}

func (c statementCounts) minus(o statementCounts) statementCounts {
	return statementCounts{c.Statements - o.Statements, c.Queue - o.Queue, c.App - o.App, c.RoundTrips - o.RoundTrips, c.Waited - o.Waited}
}

// turnCommit is the moment a turn's transaction committed, with the counts and this
// process's CPU time then.
type turnCommit struct {
	at     time.Time
	counts statementCounts
	cpu    float64
}

// statementCounter is a pgx tracer on both of the in-process app's pools. It counts
// statements, and it notices each turn's commit on its own: the connection that inserts
// a scene line (AppendSceneLine, whose int32 argument is the turn) holds that turn until
// it commits. Snapshots at commits make per-turn figures exact without polling.
type statementCounter struct {
	mu      sync.Mutex
	counts  statementCounts
	names   map[string]int64
	pending map[*pgx.Conn]int
	commits map[int]turnCommit
	// keep are the turns at whose commit the counts by statement are copied into kept.
	keep    map[int]bool
	kept    map[int]map[string]int64
	last    int
	target  int
	reached chan struct{}
	failure error
}

func newStatementCounter(target int, keep ...int) *statementCounter {
	c := &statementCounter{names: map[string]int64{}, pending: map[*pgx.Conn]int{}, commits: map[int]turnCommit{},
		keep: map[int]bool{}, kept: map[int]map[string]int64{}, target: target, reached: make(chan struct{})}
	for _, t := range keep {
		c.keep[t] = true
	}
	return c
}

// statementName is sqlc's name of a statement ("-- name: AppendSceneLine :one" is
// AppendSceneLine), or its first line (BEGIN, COMMIT, hand-written SQL).
func statementName(sql string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(sql), "\n")
	if rest, ok := strings.CutPrefix(first, "-- name: "); ok {
		name, _, _ := strings.Cut(rest, " ")
		return name
	}
	return clip(strings.TrimSpace(first), 60)
}

// statement counts one statement and reports whether it is a COMMIT.
func (c *statementCounter) statement(conn *pgx.Conn, sql string, args []any, queuePool, trip bool) bool {
	name := statementName(sql)
	queue := queuePool || strings.Contains(sql, "river_") || strings.Contains(sql, "pg_notify")
	if queue {
		name = "[queue] " + name
	}
	turn := 0
	if name == "AppendSceneLine" {
		for _, a := range args {
			if v, ok := a.(int32); ok {
				turn = int(v)
				break
			}
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts.Statements++
	if queue {
		c.counts.Queue++
	} else {
		c.counts.App++
	}
	if trip {
		c.counts.RoundTrips++
	}
	c.names[name]++
	switch {
	case name == "AppendSceneLine" && turn == 0 && c.failure == nil:
		c.failure = errors.New("AppendSceneLine without an int32 turn argument: the tracer cannot tell turns apart")
	case name == "AppendSceneLine":
		c.pending[conn] = turn
	case strings.EqualFold(name, "rollback"):
		delete(c.pending, conn)
	case strings.EqualFold(name, "commit"):
		return true
	}
	return false
}

// committed records the commit of the turn conn's transaction wrote, if any.
func (c *statementCounter) committed(conn *pgx.Conn) {
	at := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	turn, ok := c.pending[conn]
	if !ok {
		return
	}
	delete(c.pending, conn)
	c.commits[turn] = turnCommit{at: at, counts: c.counts, cpu: selfCPUSeconds()}
	if c.keep[turn] {
		c.kept[turn] = maps.Clone(c.names)
	}
	if turn > c.last {
		c.last = turn
		if turn == c.target {
			close(c.reached)
		}
	}
}

func (c *statementCounter) lastTurn() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.last
}

// poolTracer is the counter as one pool's tracer; queue marks the job queue's pool.
type poolTracer struct {
	c     *statementCounter
	queue bool
}

type (
	commitKey struct{}
	startKey  struct{}
)

// waited adds the time since the round trip that ctx carries began.
func (c *statementCounter) waited(ctx context.Context) {
	if start, ok := ctx.Value(startKey{}).(time.Time); ok {
		d := time.Since(start)
		c.mu.Lock()
		c.counts.Waited += d
		c.mu.Unlock()
	}
}

func (t poolTracer) TraceQueryStart(ctx context.Context, conn *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	ctx = context.WithValue(ctx, startKey{}, time.Now())
	if t.c.statement(conn, d.SQL, d.Args, t.queue, true) {
		return context.WithValue(ctx, commitKey{}, true)
	}
	return ctx
}

func (t poolTracer) TraceQueryEnd(ctx context.Context, conn *pgx.Conn, d pgx.TraceQueryEndData) {
	t.c.waited(ctx)
	if ctx.Value(commitKey{}) != nil && d.Err == nil {
		t.c.committed(conn)
	}
}

// The outbox sends a turn's events and its COMMIT as one batch.
func (t poolTracer) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	t.c.mu.Lock()
	t.c.counts.RoundTrips++
	t.c.mu.Unlock()
	return context.WithValue(ctx, startKey{}, time.Now())
}

func (t poolTracer) TraceBatchQuery(_ context.Context, conn *pgx.Conn, d pgx.TraceBatchQueryData) {
	if t.c.statement(conn, d.SQL, d.Args, t.queue, false) && d.Err == nil {
		t.c.committed(conn)
	}
}

func (t poolTracer) TraceBatchEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchEndData) {
	t.c.waited(ctx)
}

// Memories are stored with COPY.
func (t poolTracer) TraceCopyFromStart(ctx context.Context, conn *pgx.Conn, d pgx.TraceCopyFromStartData) context.Context {
	t.c.statement(conn, "COPY "+d.TableName.Sanitize(), nil, t.queue, true)
	return context.WithValue(ctx, startKey{}, time.Now())
}

func (t poolTracer) TraceCopyFromEnd(ctx context.Context, _ *pgx.Conn, _ pgx.TraceCopyFromEndData) {
	t.c.waited(ctx)
}

// historyWindow are the figures of a run of turns of the long scene, per turn.
type historyWindow struct {
	From int `json:"from"`
	To   int `json:"to"`
	// WallMean and WallP50 are from the job's start (river_job.attempted_at) to the
	// commit of the turn's transaction.
	WallMeanMs float64 `json:"wallMeanMs"`
	WallP50Ms  float64 `json:"wallP50Ms"`
	// IntervalMeanMs is from the previous turn's commit to this one's: the scene's pace
	// with the queue's pick-up included.
	IntervalMeanMs  float64 `json:"intervalMeanMs"`
	Statements      float64 `json:"statements"`
	AppStatements   float64 `json:"appStatements"`
	QueueStatements float64 `json:"queueStatements"`
	RoundTrips      float64 `json:"roundTrips"`
	// WaitedMs is statementCounts.Waited per turn.
	WaitedMs float64 `json:"waitedMs"`
	CPUMs    float64 `json:"cpuMs"`
}

// statementGrowth is a statement whose count per turn differs between the windows.
type statementGrowth struct {
	Name  string  `json:"name"`
	Early float64 `json:"early"`
	Late  float64 `json:"late"`
}

// sceneHistory are the figures of the history phase.
type sceneHistory struct {
	Complete bool `json:"complete"`
	Turns    int  `json:"turns"`
	// Runs is how many long scenes the windows pool, one after another.
	Runs    int     `json:"runs"`
	Seconds float64 `json:"seconds"`
	// Retried counts turns whose job took more than one attempt.
	Retried int                `json:"retried"`
	Early   *historyWindow     `json:"early,omitempty"`
	Late    *historyWindow     `json:"late,omitempty"`
	Ratios  map[string]float64 `json:"ratios,omitempty"`
	Changed []statementGrowth  `json:"statementsChanged"`
	Series  []historyWindow    `json:"series"`
}

// The ratios reported: the late window over the early one, and the series' last block
// over its first. Ten turns take a fraction of a second, so a window's figures move
// with a garbage collection, a periodic reflection or other work on the machine; the
// blocks (a tenth of the scene each) average those out.
const (
	ratioWallP50          = "wallP50"
	ratioWallMean         = "wallMean"
	ratioStatements       = "statements"
	ratioCPU              = "cpu"
	ratioBlocksWallP50    = "blocksWallP50"
	ratioBlocksStatements = "blocksStatements"
	ratioBlocksCPU        = "blocksCpu"
)

// historyPhase runs --long-runs long scenes one after another, each with the app in this
// process on pools traced by its own statementCounter, and pools their windows: ten turns
// take a fraction of a second, so one scene's windows are a few dozen milliseconds of
// samples. The server process of phase A is stopped by then, so this process's CPU is
// the app's alone.
func (b *sceneBench) historyPhase(ctx context.Context) error {
	o := b.opts
	res := &sceneHistory{Turns: o.LongTurns, Runs: o.LongRuns, Changed: []statementGrowth{}, Series: []historyWindow{}}
	b.report.History = res
	runs := make([]historyRun, 0, o.LongRuns)
	for i := range o.LongRuns {
		run, err := b.historyRun(ctx, i)
		if err != nil {
			return err
		}
		runs = append(runs, run)
		res.Seconds += run.seconds
	}
	return b.measureHistory(res, runs)
}

// historyRun is what one long scene left: the commits the tracer saw, the counts by
// statement at the windows' edges, and the start of the attempt that wrote each turn.
type historyRun struct {
	commits map[int]turnCommit
	kept    map[int]map[string]int64
	started map[int]time.Time
	retried int
	seconds float64
}

// historyRun runs the i-th long scene on an app of its own.
func (b *sceneBench) historyRun(ctx context.Context, i int) (historyRun, error) {
	o := b.opts
	lateFrom := o.LongTurns - lateSpan + 1
	counter := newStatementCounter(o.LongTurns, earlyFrom-1, earlyTo, lateFrom-1, o.LongTurns)
	stop, endpoint, err := b.startInProcess(ctx, counter, i)
	if err != nil {
		return historyRun{}, err
	}
	defer stop()
	api, err := registerAt(ctx, gqlClient{endpoint: endpoint, http: b.lb.http}, "history")
	if err != nil {
		return historyRun{}, err
	}
	// The scene may run a little past the long turn, so that turn is an ordinary one
	// (the last turn also ends the scene); it is ended once the turn is in.
	maxTurns := o.LongTurns + lateSpan
	st, err := setUpStage(ctx, api, o.Scenes+i, o.Cast, maxTurns, o.PriorMemories)
	if err != nil {
		return historyRun{}, err
	}
	b.logf("history: scene %d of %d, %d characters to turn %d, app in this process", i+1, o.LongRuns, o.Cast, o.LongTurns)
	start := time.Now()
	conv, err := runScene(ctx, api, st.scenario, 1+i, maxTurns)
	if err != nil {
		return historyRun{}, err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := endScene(ctx, api, conv); err != nil {
			b.logf("warning: %v", err)
		}
	}()
	if err := b.awaitTurn(ctx, counter, start); err != nil {
		return historyRun{}, err
	}
	run := historyRun{seconds: time.Since(start).Seconds()}
	counter.mu.Lock()
	run.commits = maps.Clone(counter.commits)
	run.kept = maps.Clone(counter.kept)
	failure := counter.failure
	counter.mu.Unlock()
	if failure != nil {
		return historyRun{}, failure
	}
	run.started, run.retried, err = b.turnStarts(ctx, conv, run.commits)
	return run, err
}

// awaitTurn waits for the long turn's commit, logging progress, for at most 30 minutes
// (a scene that slows down with history is what this phase is for: it may take long).
func (b *sceneBench) awaitTurn(ctx context.Context, counter *statementCounter, start time.Time) error {
	tick := time.NewTicker(10 * time.Second)
	defer tick.Stop()
	limit := time.NewTimer(30 * time.Minute)
	defer limit.Stop()
	for {
		select {
		case <-counter.reached:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-limit.C:
			return fmt.Errorf("turn %d not written after %s (last: %d)", counter.target, time.Since(start).Round(time.Second), counter.lastTurn())
		case <-tick.C:
			b.logf("history: turn %d of %d", counter.lastTurn(), counter.target)
		}
	}
}

// startInProcess builds the app as `ensemble serve` does (offline storyteller, default
// workers and pool size), with a traced pool for the app and one for the job queue, and
// serves it on a loopback port. stop shuts it down and adds its log to the report.
func (b *sceneBench) startInProcess(ctx context.Context, counter *statementCounter, run int) (stop func(), endpoint string, err error) {
	label := fmt.Sprintf("in-process-%d", run+1)
	dir := filepath.Join(b.lb.work, label)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	cfg, err := config.Load(append([]string{"DATABASE_URL=" + b.lb.db.URL, "ENSEMBLE_DATA_DIR=" + dir, "SECRET_KEY=" + b.lb.secret,
		"PASSWORD_HASH_MEMORY_KIB=64", "PASSWORD_HASH_ITERATIONS=1", "AUTO_MIGRATE=false"}, b.lb.extraEnv...), "")
	if err != nil {
		return nil, "", fmt.Errorf("configuration: %w", err)
	}
	logPath := filepath.Join(b.lb.logDir, label+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, "", fmt.Errorf("log: %w", err)
	}
	var cleanup []func()
	stop = func() {
		for _, f := range slices.Backward(cleanup) {
			f()
		}
		_ = logFile.Close()
		s := summarizeLog(label, logPath)
		s.Exit = "stopped (in process)"
		b.report.ServerLogs = append(b.report.ServerLogs, s)
	}
	defer func() {
		if err != nil {
			stop()
		}
	}()
	logger := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))
	secret, err := cfg.Secret(logger)
	if err != nil {
		return nil, "", err
	}
	pool, err := tracedPool(ctx, b.lb.db.URL, poolTracer{c: counter})
	if err != nil {
		return nil, "", err
	}
	cleanup = append(cleanup, pool.Close)
	jobsPool, err := tracedPool(ctx, b.lb.db.URL, poolTracer{c: counter, queue: true})
	if err != nil {
		return nil, "", err
	}
	cleanup = append(cleanup, jobsPool.Close)
	a, err := app.New(app.Options{Config: cfg, Secret: secret, Pool: pool, JobsPool: jobsPool, Logger: logger,
		Version: buildVersion(), Database: server.DatabaseInfo{Backend: "external"}})
	if err != nil {
		return nil, "", fmt.Errorf("app: %w", err)
	}
	if err := a.Start(context.WithoutCancel(ctx)); err != nil {
		return nil, "", fmt.Errorf("start background work: %w", err)
	}
	cleanup = append(cleanup, func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := a.Stop(stopCtx); err != nil {
			b.logf("in-process app: %v", err)
		}
		a.Bus.Close()
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{Handler: a.Handler, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	// Registered last, so the listener closes first and the app stops after it.
	cleanup = append(cleanup, func() { _ = srv.Close() })
	return stop, "http://" + ln.Addr().String() + "/graphql", nil
}

// tracedPool opens a pool as db.Open does, with tracer on every connection.
func tracedPool(ctx context.Context, raw string, tracer poolTracer) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(raw)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", err)
	}
	if !strings.Contains(raw, "pool_max_conns") {
		cfg.MaxConns = db.DefaultMaxConns
	}
	cfg.AfterConnect = db.AfterConnect
	cfg.ConnConfig.Tracer = tracer
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	return pool, nil
}

// registerAt signs up a fresh user at c's endpoint and returns c carrying its token.
func registerAt(ctx context.Context, c gqlClient, label string) (gqlClient, error) {
	name := "bench_" + label + "_" + randomHex(3)
	var out struct{ Register struct{ AccessToken string } }
	err := c.do(ctx, opRegister, map[string]any{"u": name, "e": name + "@bench.invalid", "p": "bench-" + randomHex(8)}, &out)
	if err != nil {
		return c, fmt.Errorf("register %s: %w", name, err)
	}
	c.token = out.Register.AccessToken
	return c, nil
}

// turnStarts reads the start of the attempt that wrote each turn of the scene conv (the
// latest one before its commit) and counts the turns that took more than one attempt.
func (b *sceneBench) turnStarts(ctx context.Context, conv string, commits map[int]turnCommit) (map[int]time.Time, int, error) {
	id, err := conversationUUID(conv)
	if err != nil {
		return nil, 0, err
	}
	rows, err := b.lb.sql.Query(ctx, `SELECT (args->>'turn')::int, attempted_at, attempt FROM river_job
		WHERE kind = 'scene_turn' AND attempted_at IS NOT NULL AND args @> jsonb_build_object('conversationId', $1::text)`, id)
	if err != nil {
		return nil, 0, fmt.Errorf("read the scene's jobs: %w", err)
	}
	defer rows.Close()
	started := map[int]time.Time{}
	retried := map[int]bool{}
	for rows.Next() {
		var turn, attempt int
		var at time.Time
		if err := rows.Scan(&turn, &at, &attempt); err != nil {
			return nil, 0, fmt.Errorf("read the scene's jobs: %w", err)
		}
		if c, ok := commits[turn]; ok && !at.After(c.at) && at.After(started[turn]) {
			started[turn] = at
		}
		if attempt > 1 {
			retried[turn] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("read the scene's jobs: %w", err)
	}
	return started, len(retried), nil
}

// measureHistory turns the runs' commits and the jobs' starts into windows pooled over
// the runs: per-turn means over every run's turns, and the p50 of all their walls.
func (b *sceneBench) measureHistory(res *sceneHistory, runs []historyRun) error {
	for _, r := range runs {
		res.Retried += r.retried
	}
	window := func(from, to int) (*historyWindow, error) {
		var d statementCounts
		var cpu float64
		var interval, sum time.Duration
		var walls []time.Duration
		for _, r := range runs {
			before, okB := r.commits[from-1]
			after, okA := r.commits[to]
			if !okB || !okA {
				return nil, fmt.Errorf("the tracer saw no commit of turn %d or %d", from-1, to)
			}
			d = d.plus(after.counts.minus(before.counts))
			cpu += after.cpu - before.cpu
			interval += after.at.Sub(before.at)
			for t := from; t <= to; t++ {
				s, ok := r.started[t]
				if !ok {
					continue
				}
				wall := r.commits[t].at.Sub(s)
				walls = append(walls, wall)
				sum += wall
			}
		}
		n := float64((to - from + 1) * len(runs))
		w := &historyWindow{From: from, To: to, Statements: float64(d.Statements) / n, AppStatements: float64(d.App) / n,
			QueueStatements: float64(d.Queue) / n, RoundTrips: float64(d.RoundTrips) / n, WaitedMs: millis(d.Waited) / n,
			CPUMs: cpu * 1000 / n, IntervalMeanMs: millis(interval) / n}
		if len(walls) > 0 {
			w.WallMeanMs = millis(sum) / float64(len(walls))
			w.WallP50Ms = summarize(walls).P50
		}
		return w, nil
	}
	lateFrom := res.Turns - lateSpan + 1
	var err error
	if res.Early, err = window(earlyFrom, earlyTo); err != nil {
		return err
	}
	if res.Late, err = window(lateFrom, res.Turns); err != nil {
		return err
	}
	ratio := func(late, early float64) float64 {
		if early <= 0 {
			return 0
		}
		return late / early
	}
	res.Ratios = map[string]float64{
		ratioWallP50:    ratio(res.Late.WallP50Ms, res.Early.WallP50Ms),
		ratioWallMean:   ratio(res.Late.WallMeanMs, res.Early.WallMeanMs),
		ratioStatements: ratio(res.Late.Statements, res.Early.Statements),
		ratioCPU:        ratio(res.Late.CPUMs, res.Early.CPUMs),
	}
	kept := map[int]map[string]int64{}
	for _, r := range runs {
		for turn, names := range r.kept {
			if kept[turn] == nil {
				kept[turn] = map[string]int64{}
			}
			for name, c := range names {
				kept[turn][name] += c
			}
		}
	}
	res.Changed = statementsChanged(kept, len(runs), earlyFrom-1, earlyTo, lateFrom-1, res.Turns)
	// Ten blocks across the scene show a trend the two windows could miss. The first
	// block starts at turn 2: a block needs the commit before it.
	block := res.Turns / 10
	for to := block; to <= res.Turns; to += block {
		from := max(2, to-block+1)
		if res.Turns-to < block {
			to = res.Turns // the last block takes the remainder
		}
		w, err := window(from, to)
		if err != nil {
			return err
		}
		res.Series = append(res.Series, *w)
	}
	first, last := res.Series[0], res.Series[len(res.Series)-1]
	res.Ratios[ratioBlocksWallP50] = ratio(last.WallP50Ms, first.WallP50Ms)
	res.Ratios[ratioBlocksStatements] = ratio(last.Statements, first.Statements)
	res.Ratios[ratioBlocksCPU] = ratio(last.CPUMs, first.CPUMs)
	res.Complete = true
	return nil
}

// statementsChanged lists the statements whose count per turn differs by at least 0.05
// between the windows (e0, e1] and (l0, l1], largest change first, at most ten; kept
// holds the counts summed over runs scenes.
func statementsChanged(kept map[int]map[string]int64, runs, e0, e1, l0, l1 int) []statementGrowth {
	perTurn := func(from, to int, name string) float64 {
		return float64(kept[to][name]-kept[from][name]) / float64((to-from)*runs)
	}
	out := []statementGrowth{}
	for name := range kept[l1] {
		g := statementGrowth{Name: name, Early: perTurn(e0, e1, name), Late: perTurn(l0, l1, name)}
		if math.Abs(g.Late-g.Early) >= 0.05 {
			out = append(out, g)
		}
	}
	slices.SortFunc(out, func(a, b statementGrowth) int {
		if c := -cmpFloat(math.Abs(a.Late-a.Early), math.Abs(b.Late-b.Early)); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out[:min(len(out), 10)]
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// ---------------------------------------------------------------------------
// Report

// targets judges the figures against the targets; a missing figure is neither
// met nor missed.
func (b *sceneBench) targets() []sceneTarget {
	judge := func(name, target, unit string, value float64, have bool, met func(float64) bool) sceneTarget {
		t := sceneTarget{Name: name, Target: target, Unit: unit, Value: value}
		if have {
			ok := met(value)
			t.Met = &ok
		}
		return t
	}
	atMost := func(limit float64) func(float64) bool { return func(v float64) bool { return v <= limit } }
	tp, h := b.report.Throughput, b.report.History
	tpOK := tp != nil && tp.Complete && tp.Turns > 0
	hOK := h != nil && h.Complete
	value := func(f func() float64, ok bool) float64 {
		if !ok {
			return 0
		}
		return f()
	}
	ratio := func(key string) float64 { return value(func() float64 { return h.Ratios[key] }, hOK) }
	n := b.opts.LongTurns
	blocks := "last / first tenth"
	if hOK {
		first, last := h.Series[0], h.Series[len(h.Series)-1]
		blocks = fmt.Sprintf("turns %d-%d / %d-%d", last.From, last.To, first.From, first.To)
	}
	within := fmt.Sprintf("<= %.1f", targetHistoryRatio)
	return []sceneTarget{
		judge("sustained turns per second", fmt.Sprintf(">= %.0f", targetTurnsPerSecond), "turns/s",
			value(func() float64 { return tp.TurnsPerSecond }, tpOK), tpOK, func(v float64) bool { return v >= targetTurnsPerSecond }),
		judge("p95 job start -> delivered", fmt.Sprintf("< %.0f ms", targetP95Ms), "ms",
			value(func() float64 { return tp.Delivery.P95 }, tpOK), tpOK && tp.Delivery.Count > 0, func(v float64) bool { return v < targetP95Ms }),
		judge(fmt.Sprintf("turn %d / turn 10, wall time p50", n), within, "x", ratio(ratioWallP50), hOK, atMost(targetHistoryRatio)),
		judge(fmt.Sprintf("turn %d / turn 10, statements", n), within, "x", ratio(ratioStatements), hOK, atMost(targetHistoryRatio)),
		judge(fmt.Sprintf("turn %d / turn 10, CPU", n), within, "x", ratio(ratioCPU), hOK, atMost(targetHistoryRatio)),
		judge(blocks+", wall time p50", within, "x", ratio(ratioBlocksWallP50), hOK, atMost(targetHistoryRatio)),
		judge(blocks+", statements", within, "x", ratio(ratioBlocksStatements), hOK, atMost(targetHistoryRatio)),
		judge(blocks+", CPU", within, "x", ratio(ratioBlocksCPU), hOK, atMost(targetHistoryRatio)),
	}
}

func (b *sceneBench) print(w io.Writer) error {
	if b.opts.JSON {
		return writeReport(w, b.report)
	}
	r := b.report
	p := &printer{w: w}
	m, o := r.Machine, r.Parameters
	p.line("ensemble bench scenes: scenes written by the offline storyteller (figures only, nothing asserted)")
	p.line("machine     %s/%s, %d CPUs, GOMAXPROCS %d, %s, %s, RLIMIT_NOFILE %d", m.OS, m.Arch, m.NumCPU, m.GOMAXPROCS, m.CPUModel, m.GoVersion, m.FileLimit)
	p.line("parameters  --scenes %d --cast %d --duration %s --warmup %s --long-turns %d --long-runs %d --prior-memories %d --scene-workers %d",
		o.Scenes, o.Cast, o.Duration, o.Warmup, o.LongTurns, o.LongRuns, o.PriorMemories, o.SceneWorkers)
	p.line("database    %s", r.Database)
	if r.LoadAverage != "" {
		p.line("load        %s (load average when the run started)", r.LoadAverage)
	}
	p.line("storyteller offline (no LLM endpoint in the app's environment); pool sizes at their defaults, scene workers too unless --scene-workers")
	p.line("timings     job start = river_job.attempted_at of the attempt that wrote the turn; inserted = messages.created_at")
	p.line("            (clock_timestamp() in the turn's transaction, before its commit); delivered = arrival of the line on")
	p.line("            a sceneUpdates WebSocket; commit (phase B) = when the turn's COMMIT returned to the app")
	if t := r.Throughput; t != nil {
		p.section(fmt.Sprintf("A. Throughput: %d scenes of %d characters at once on one server process", t.Scenes, t.Cast))
		p.sceneThroughputSection(t)
	}
	if h := r.History; h != nil {
		p.section(fmt.Sprintf("B. History: %s of %d characters to turn %d, one after another, the app in this process", scenesWord(h.Runs), o.Cast, h.Turns))
		p.sceneHistorySection(h)
	}
	p.section("Targets (printed, not asserted)")
	for _, t := range r.Targets {
		verdict := "no figure"
		if t.Met != nil {
			verdict = map[bool]string{true: "met", false: "NOT met"}[*t.Met]
		}
		p.line("%-44s %-9s %10.2f %-7s %s", t.Name, t.Target, t.Value, t.Unit, verdict)
	}
	p.logs(liveReport{ServerLogs: r.ServerLogs, LogDir: r.LogDir})
	if r.Error != "" {
		p.line("\nthe run stopped early: %s", r.Error)
	}
	return p.err
}

func (p *printer) sceneThroughputSection(r *sceneThroughput) {
	p.line("setup               %d users, each with an ecosystem, %d characters, %d relationships and a scenario in all, in %.1f s; %d sceneUpdates subscriptions, one socket each",
		r.Scenes, r.Scenes*r.Cast, r.Relationships, r.SetupSeconds, r.Subscriptions)
	if !r.Complete {
		p.line("stopped before its figures were complete")
		return
	}
	p.line("window              %.1f s, after a %.1f s warm-up", r.WindowSeconds, r.WarmupSeconds)
	p.line("turns               %d committed in the window by %d of %d scenes: %.1f turns/s (per whole second: min %d, median %d, max %d)",
		r.Turns, r.ScenesTurning, r.Scenes, r.TurnsPerSecond, r.PerSecondMin, r.PerSecondMedian, r.PerSecondMax)
	p.line("delivered           %d of those lines to their subscriptions, %d not delivered; %d sockets ended early%s",
		r.Delivered, r.Undelivered, r.SocketsEnded, suffix(r.FirstSocketError))
	p.line("jobs                %d turns took more than one attempt; %d without a recorded start of the attempt that wrote them",
		r.Retried, r.NoJobStart)
	p.cost("window", r.Cost)
	pg := fmt.Sprintf("PostgreSQL CPU %.2f ms (this database's backends), %.2f ms (all postgres processes on the machine)",
		r.PostgresBackendCPU, r.PostgresAllCPU)
	if r.PostgresCPUError != "" {
		pg = "PostgreSQL CPU unknown: " + r.PostgresCPUError
	}
	p.line("per turn            server CPU %.2f ms; %s; bench client CPU %.2f ms; %.2f database transactions",
		r.ServerCPUMs, pg, r.BenchCPUMs, r.TransactionsPerTurn)
	if r.MachineBusySeconds > 0 {
		p.line("machine CPU         %.1f s busy of %.1f s (%d CPUs x the window): server %.1f s, postgres processes %.1f s, bench %.1f s, other work %.1f s",
			r.MachineBusySeconds, float64(runtime.NumCPU())*r.WindowSeconds, runtime.NumCPU(), r.Cost.ServerCPU[r.Instance],
			r.PostgresAllSeconds, r.Cost.BenchCPU, r.OtherBusySeconds)
	}
	p.latencies([]string{"job start -> delivered", "job start -> inserted", "inserted -> delivered"},
		[]latencySummary{r.Delivery, r.Insert, r.Fanout})
	p.line("ended               %d scenes after the window", r.Ended)
}

// scenesWord is "one scene" or "3 scenes".
func scenesWord(n int) string {
	if n == 1 {
		return "one scene"
	}
	return fmt.Sprintf("%d scenes", n)
}

func (p *printer) sceneHistorySection(h *sceneHistory) {
	if !h.Complete {
		p.line("stopped before its figures were complete")
		return
	}
	p.line("run                 %d turns in %.1f s (%.1f turns/s, one scene alone at a time); %d turns took more than one attempt",
		h.Turns*h.Runs, h.Seconds, float64(h.Turns*h.Runs)/h.Seconds, h.Retried)
	p.line("windows             per turn over the %d scenes' turns; p50 of all their turns' walls", h.Runs)
	e, l := h.Early, h.Late
	p.line("%-34s %12s %14s %8s", "per turn", fmt.Sprintf("turns %d-%d", e.From, e.To), fmt.Sprintf("turns %d-%d", l.From, l.To), "ratio")
	row := func(name string, a, b float64) {
		r := 0.0
		if a > 0 {
			r = b / a
		}
		p.line("%-34s %12.2f %14.2f %8.2f", name, a, b, r)
	}
	row("job start -> commit, mean ms", e.WallMeanMs, l.WallMeanMs)
	row("job start -> commit, p50 ms", e.WallP50Ms, l.WallP50Ms)
	row("commit -> next commit, mean ms", e.IntervalMeanMs, l.IntervalMeanMs)
	row("statements", e.Statements, l.Statements)
	row("  the app's (BEGIN, COMMIT incl.)", e.AppStatements, l.AppStatements)
	row("  the job queue's (River)", e.QueueStatements, l.QueueStatements)
	row("round trips (a batch once)", e.RoundTrips, l.RoundTrips)
	row("waiting on the database, ms", e.WaitedMs, l.WaitedMs)
	row("CPU ms (this process)", e.CPUMs, l.CPUMs)
	if len(h.Changed) == 0 {
		p.line("statements changed  none: every statement ran as often per turn late as early (within 0.05)")
	} else {
		p.line("statements changed  per turn, early -> late:")
		for _, g := range h.Changed {
			p.line("    %-40s %6.2f -> %6.2f", g.Name, g.Early, g.Late)
		}
	}
	p.line("%-16s %10s %10s %12s %10s %10s", "series (turns)", "mean ms", "p50 ms", "statements", "DB wait ms", "CPU ms")
	for _, s := range h.Series {
		p.line("%-16s %10.2f %10.2f %12.2f %10.2f %10.2f", fmt.Sprintf("%d-%d", s.From, s.To), s.WallMeanMs, s.WallP50Ms, s.Statements, s.WaitedMs, s.CPUMs)
	}
	p.line("last / first block  wall time p50 %.2f, statements %.2f, CPU %.2f",
		h.Ratios[ratioBlocksWallP50], h.Ratios[ratioBlocksStatements], h.Ratios[ratioBlocksCPU])
}
