package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/spf13/cobra"

	"github.com/literaryai/ensemble/internal/relay"
)

// The peer of `bench queries`, pinned so runs months apart compare the same server.
// PostGraphile 5 needs Node 22 or newer (it calls Promise.withResolvers); where the
// system's Node is older, the npm package node-linux-<arch> brings one into the same
// folder without touching the system.
const (
	peerPostGraphile    = "postgraphile"
	peerNone            = "none"
	postgraphileVersion = "5.1.5"
	peerNodeVersion     = "22.23.5"
	peerNodeMajor       = 22
)

// The generated data: the nested query's ecosystem (a cast of 100, 10 to 15 outgoing
// relationships each, so every page of 10 is full) and the map's (1,000 characters with
// 25 outgoing relationships each).
const (
	nestedCast    = 100
	nestedPage    = 10
	nestedBondMin = 10
	nestedBondMax = 15
	mapCast       = 1000
	mapBondsEach  = 25
)

// statementSamples is how many requests of each workload the in-process app answers
// while its statements are counted: the count per request is the same every time, so
// a few suffice.
const statementSamples = 20

// overloadLadder are the connection counts tried to find where throughput peaks.
var overloadLadder = []int{1, 2, 4, 8, 16, 32, 64}

// defaultAdminURL is the local PostgreSQL the bench creates its database on when
// DATABASE_URL is not set.
const defaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres"

// queryOptions are the flags of `bench queries`.
type queryOptions struct {
	Peer         string
	Duration     time.Duration
	Warmup       time.Duration
	Settle       time.Duration
	Rounds       int
	Connections  []int
	Timeout      time.Duration
	MapRequests  int
	OverloadStep time.Duration
	EnsembleEnv  []string
	JSON         bool
	KeepLogs     bool
}

func benchQueriesCmd() *cobra.Command {
	var o queryOptions
	cmd := &cobra.Command{
		Use:   "queries",
		Short: "Compare GraphQL queries with PostGraphile on the same database: req/s, latency, CPU and round trips per request",
		Long: `Creates a database of its own on DATABASE_URL (default: the local PostgreSQL as user
postgres; dropped afterwards), generates two ecosystems owned by a registered user, starts
` + "`ensemble serve`" + ` as a child process and, with --peer postgraphile, PostGraphile ` + postgraphileVersion + `
(installed with npm into the user cache directory on first use) on the same database, checks
that both answer the same data, and measures with one load generator, interleaving the
servers round by round:

  nested   100 characters, their five traits and first 10 relationships each, with type,
           strength and the other end's name (1,100 objects), at each of --connections;
  single   one character by id, at each of --connections;
  map      relationshipMap in object form over 1,000 characters and 25,000 relationships,
           one request at a time (Ensemble only);
  overload the nested query at connection counts doubling until throughput peaks, then at
           4x the peak with a --timeout client timeout: throughput against the peak, quick
           refusals and client timeouts.

For each run: req/s, latency p50/p95/p99, server CPU per request (/proc; PostGraphile's whole
process tree), PostgreSQL backend CPU and database transactions per request (one pipelined
batch is one transaction), and the ratios Ensemble / PostGraphile; and, from the app run in
this process with traced pools, Ensemble's statements and round trips per request. Its per-user
limits are off (every request comes from one user); GRAPHQL_COMPLEXITY_LIMIT is not
touched, and answers with GraphQL errors are counted as errors, not successes.
It prints figures and asserts nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchQueries(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Peer, "peer", peerPostGraphile, "server to compare with: postgraphile or none")
	f.DurationVar(&o.Duration, "duration", 20*time.Second, "measured window of every run")
	f.DurationVar(&o.Warmup, "warmup", 3*time.Second, "load before every window opens")
	f.DurationVar(&o.Settle, "settle", 11*time.Second, "quiet time from the end of one run's load to the next window; PostgreSQL's idle backends publish their transaction counts up to 10 s late (0: no pause and no idle baseline)")
	f.IntVar(&o.Rounds, "rounds", 2, "rounds of each workload and connection count, servers interleaved")
	f.IntSliceVar(&o.Connections, "connections", []int{10, 100}, "concurrent connections of the nested and single runs")
	f.DurationVar(&o.Timeout, "timeout", 10*time.Second, "client timeout of every request")
	f.IntVar(&o.MapRequests, "map-requests", 300, "sequential relationshipMap requests")
	f.DurationVar(&o.OverloadStep, "overload-step", 5*time.Second, "window of each step while looking for the peak (0 skips the overload runs)")
	f.StringArrayVar(&o.EnsembleEnv, "ensemble-env", nil, "KEY=VALUE added to Ensemble's environment, repeatable (for trying settings; the report lists them)")
	_ = f.MarkHidden("ensemble-env") // a development aid: figures taken with it are not the defaults'
	f.BoolVar(&o.JSON, "json", false, "print the figures as JSON")
	f.BoolVar(&o.KeepLogs, "keep-logs", false, "keep the servers' logs and print where they are")
	return cmd
}

func (o queryOptions) validate() error {
	switch {
	case o.Peer != peerPostGraphile && o.Peer != peerNone:
		return fmt.Errorf("bench queries: --peer must be %s or %s", peerPostGraphile, peerNone)
	case o.Duration <= 0 || o.Warmup < 0 || o.Settle < 0 || o.Timeout <= 0 || o.OverloadStep < 0:
		return errors.New("bench queries: --duration and --timeout must be positive, --warmup, --settle and --overload-step not negative")
	case o.Rounds < 1 || o.MapRequests < 1 || len(o.Connections) == 0:
		return errors.New("bench queries: --rounds, --map-requests and --connections must be at least 1")
	}
	for _, c := range o.Connections {
		if c < 1 || c > 1000 {
			return fmt.Errorf("bench queries: --connections %d: must be 1..1000", c)
		}
	}
	for _, kv := range o.EnsembleEnv {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return fmt.Errorf("bench queries: --ensemble-env %q: expected KEY=VALUE", kv)
		}
	}
	return nil
}

// ---------------------------------------------------------------------------
// Report

// queryParams are the options as reported.
type queryParams struct {
	Peer         string   `json:"peer"`
	Duration     string   `json:"duration"`
	Warmup       string   `json:"warmup"`
	Settle       string   `json:"settle"`
	Rounds       int      `json:"rounds"`
	Connections  []int    `json:"connections"`
	Timeout      string   `json:"timeout"`
	MapRequests  int      `json:"mapRequests"`
	OverloadStep string   `json:"overloadStep"`
	EnsembleEnv  []string `json:"ensembleEnv"`
}

// queriesReport is everything `bench queries` prints.
type queriesReport struct {
	Machine     machineFacts `json:"machine"`
	Parameters  queryParams  `json:"parameters"`
	Database    string       `json:"database"`
	LoadAverage string       `json:"loadAverage,omitempty"`
	// EnsembleEnv is the child's configuration beyond addresses, paths and secrets.
	EnsembleEnv []string           `json:"ensembleEnv"`
	Peer        *peerFacts         `json:"peer,omitempty"`
	PeerSkipped string             `json:"peerSkipped,omitempty"`
	Data        *dataFacts         `json:"data,omitempty"`
	Operations  []operationText    `json:"operations"`
	Checks      []agreement        `json:"checks"`
	Statements  []statementFigures `json:"statements"`
	Background  *background        `json:"background,omitempty"`
	Runs        []queryRun         `json:"runs"`
	Cells       []queryCell        `json:"summary"`
	Map         *mapResult         `json:"map,omitempty"`
	Overload    []overloadResult   `json:"overload"`
	ServerLogs  []logSummary       `json:"serverLogs"`
	LogDir      string             `json:"logDir,omitempty"`
	Error       string             `json:"error,omitempty"`
}

// peerFacts say which PostGraphile ran and how.
type peerFacts struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	NodeVersion string `json:"nodeVersion"`
	Folder      string `json:"folder"`
	Installed   string `json:"installed"`
	Command     string `json:"command"`
}

// dataFacts describe the generated ecosystems.
type dataFacts struct {
	NestedCharacters    int     `json:"nestedCharacters"`
	NestedRelationships int     `json:"nestedRelationships"`
	MapCharacters       int     `json:"mapCharacters"`
	MapRelationships    int     `json:"mapRelationships"`
	Seconds             float64 `json:"seconds"`
}

// operationText is one workload's GraphQL document for one server.
type operationText struct {
	Workload string `json:"workload"`
	Server   string `json:"server"`
	Query    string `json:"query"`
}

// ---------------------------------------------------------------------------
// Workloads

// The nested query. Ensemble's Character.relationships lists both directions unless
// told otherwise, and for an incoming relationship `to` is the character itself, not
// the other end; PostGraphile's relationshipsByFromId lists outgoing ones. So Ensemble's
// query asks for OUTGOING: the same page, with the other end's name, on both sides.
const (
	ensembleNested = `query($e: ID!) { characters(first: 100, filter: {ecosystemId: $e}) { nodes { name ` +
		`personalityTraits { openness conscientiousness extraversion agreeableness neuroticism } ` +
		`relationships(first: 10, filter: {direction: OUTGOING}) { nodes { type strength to { name } } } } } }`
	peerNested = `query($e: UUID!) { allCharacters(first: 100, condition: {ecosystemId: $e}, orderBy: [CREATED_AT_ASC, ROW_ID_ASC]) { nodes { name ` +
		`openness conscientiousness extraversion agreeableness neuroticism ` +
		`relationshipsByFromId(first: 10, orderBy: [CREATED_AT_ASC, ROW_ID_ASC]) { nodes { type strength characterByToId { name } } } } } }`
	ensembleSingle = `query($id: ID!) { character(id: $id) { name description speakingStyle currentEmotion isActive ` +
		`personalityTraits { openness conscientiousness extraversion agreeableness neuroticism } } }`
	peerSingle = `query($id: UUID!) { characterByRowId(rowId: $id) { name description speakingStyle currentEmotion isActive ` +
		`openness conscientiousness extraversion agreeableness neuroticism } }`
	ensembleMap = `query($e: ID!) { relationshipMap(ecosystemId: $e) { nodes { id name } edges { from to type strength } } }`
)

const (
	workloadNested = "nested"
	workloadSingle = "single"
	workloadMap    = "map"
)

// operation is a GraphQL request; its JSON is the body every request of a run sends.
type operation struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables"`
}

func (op operation) body() []byte {
	b, err := json.Marshal(op)
	if err != nil { // a string and a map of strings always encode
		panic(err)
	}
	return b
}

// workload is one kind of request of the comparison, as each server spells it.
type workload struct {
	name     string
	ensemble operation
	peer     operation
}

// target is one GraphQL server under load and how to read its CPU time.
type target struct {
	name  string
	url   string
	token string
	cpu   func() (float64, error)
}

func (w workload) op(s target) operation {
	if s.name == serverEnsemble {
		return w.ensemble
	}
	return w.peer
}

const (
	serverEnsemble = "Ensemble"
	serverPeer     = "PostGraphile"
)

// ---------------------------------------------------------------------------
// The run

// queryBench is one run. Like bench scenes it borrows bench live's machinery (database,
// scratch and log directories, server processes, GraphQL client) through a liveBench
// that runs none of bench live's scenarios.
type queryBench struct {
	opts      queryOptions
	lb        *liveBench
	api       gqlClient
	servers   []target
	nested    *ecosystemData
	mapEco    *ecosystemData
	workloads []workload
	// nestedError is Ensemble's answer to the nested query when it was an error.
	nestedError string
	report      queriesReport
}

// runBenchQueries sets everything up, measures, and prints the report, also after a
// failure or Ctrl-C (with what was measured so far). Every child process, the bench
// database and the scratch directory are gone when it returns.
func runBenchQueries(ctx context.Context, o queryOptions, stdout, stderr io.Writer) (err error) {
	if err := o.validate(); err != nil {
		return err
	}
	most := max(slices.Max(o.Connections), 4*overloadLadder[len(overloadLadder)-1])
	// This process holds one socket per connection, and so do the servers.
	if _, err := ensureFileLimit(uint64(2*most + 512)); err != nil {
		return fmt.Errorf("bench queries: %w", err)
	}
	lb, err := newLiveBench(liveOptions{Senders: most, KeepLogs: o.KeepLogs}, stderr)
	if err != nil {
		return err
	}
	// ENSEMBLE_ENV=production as deployed (and PostGraphile runs in production mode too);
	// tokens that outlive a long run; per-user cost limits off also for the in-process
	// app that counts statements (the child gets them from instanceEnv as well).
	lb.extraEnv = append([]string{"ENSEMBLE_ENV=production", "ACCESS_TOKEN_EXPIRE_MINUTES=1440",
		"RATE_LIMIT_COST_PER_MINUTE=0", "RATE_LIMIT_ANONYMOUS_COST_PER_MINUTE=0"}, o.EnsembleEnv...)
	b := &queryBench{opts: o, lb: lb, report: queriesReport{
		Machine: currentMachine(), LoadAverage: loadAverage(), ServerLogs: []logSummary{},
		EnsembleEnv: []string{}, Operations: []operationText{}, Checks: []agreement{}, Statements: []statementFigures{},
		Runs: []queryRun{}, Cells: []queryCell{}, Overload: []overloadResult{},
		Parameters: queryParams{Peer: o.Peer, Duration: o.Duration.String(), Warmup: o.Warmup.String(), Settle: o.Settle.String(),
			Rounds: o.Rounds, Connections: o.Connections, Timeout: o.Timeout.String(), MapRequests: o.MapRequests,
			OverloadStep: o.OverloadStep.String(), EnsembleEnv: append([]string{}, o.EnsembleEnv...)},
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
		if perr := b.print(stdout); perr != nil && err == nil {
			err = perr
		}
	}()
	if lb.db, err = createBenchDatabase(ctx, cmp.Or(os.Getenv("DATABASE_URL"), defaultAdminURL), lb.logf); err != nil {
		return err
	}
	b.report.Database = lb.db.Describe
	if lb.sql, err = pgx.Connect(ctx, withoutPoolParams(lb.db.URL)); err != nil {
		return fmt.Errorf("connect to the bench database: %w", err)
	}
	in, err := lb.startInstance(ctx, "ensemble", nil)
	if err != nil {
		return err
	}
	defer in.stop(lb.logf)
	b.report.EnsembleEnv = reportedEnv(in.cmd.Env)
	b.servers = []target{{name: serverEnsemble, url: in.gqlURL(), cpu: in.cpuSeconds}}
	if b.api, err = lb.register(ctx, in, "queries"); err != nil {
		return err
	}
	b.servers[0].token = b.api.token
	if err := b.generate(ctx); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if o.Peer == peerPostGraphile {
		peer, err := b.startPeer(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			b.report.PeerSkipped = err.Error()
			lb.logf("PostGraphile skipped: %v", err)
		} else {
			defer peer.stop(lb.logf)
			b.servers = append(b.servers, target{name: serverPeer, url: peer.in.gqlURL(),
				cpu: func() (float64, error) { return treeCPUSeconds(peer.in.cmd.Process.Pid) }})
		}
	}
	b.describeOperations()
	if err := b.check(ctx); err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if err := b.countStatements(ctx); err != nil {
		return fmt.Errorf("statements: %w", err)
	}
	if err := b.measureBackground(ctx); err != nil {
		return fmt.Errorf("background: %w", err)
	}
	if err := b.comparison(ctx); err != nil {
		return fmt.Errorf("runs: %w", err)
	}
	if err := b.mapPhase(ctx); err != nil {
		return fmt.Errorf("map: %w", err)
	}
	if err := b.overloadPhase(ctx); err != nil {
		return fmt.Errorf("overload: %w", err)
	}
	return nil
}

func (b *queryBench) logf(format string, args ...any) { b.lb.logf(format, args...) }

// reportedEnv is a child's environment as the child sees it (the last of a repeated
// key wins), without what differs from run to run or must not be printed: addresses,
// paths and the secret.
func reportedEnv(env []string) []string {
	out := []string{}
	at := map[string]int{}
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "PATH", "HOME", "ADDR", "DATABASE_URL", "ENSEMBLE_DATA_DIR", "SECRET_KEY":
			continue
		}
		if i, ok := at[k]; ok {
			out[i] = kv
			continue
		}
		at[k] = len(out)
		out = append(out, kv)
	}
	return out
}

// describeOperations fixes the workloads on the generated data and records their text.
func (b *queryBench) describeOperations() {
	single := b.nested.cast[len(b.nested.cast)/2]
	b.workloads = []workload{
		{name: workloadNested,
			ensemble: operation{ensembleNested, map[string]any{"e": b.nested.gid}},
			peer:     operation{peerNested, map[string]any{"e": b.nested.id.String()}}},
		{name: workloadSingle,
			ensemble: operation{ensembleSingle, map[string]any{"id": relay.ID(relay.TypeCharacter, single.id)}},
			peer:     operation{peerSingle, map[string]any{"id": single.id.String()}}},
	}
	for _, w := range b.workloads {
		for _, s := range b.servers {
			b.report.Operations = append(b.report.Operations, operationText{w.name, s.name, w.op(s).Query})
		}
	}
	b.report.Operations = append(b.report.Operations, operationText{workloadMap, serverEnsemble, ensembleMap})
}

// settle waits until the previous load has been quiet for --settle, less the warm-up
// that follows before the next window: PostgreSQL publishes an idle backend's last
// second of counts up to 10 s after it went idle, and they must not land in the window.
func (b *queryBench) settle(ctx context.Context, warmup time.Duration) error {
	return sleep(ctx, b.opts.Settle-warmup)
}

// ---------------------------------------------------------------------------
// Generated data

// castMember is a generated character.
type castMember struct {
	id                                  uuid.UUID
	name, description, backstory, style string
	goals                               []string
	traits                              [5]float64
	autonomy, social                    float64
	emotion                             string
	created                             time.Time
}

// bond is a generated relationship; from and to index the cast.
type bond struct {
	id                           uuid.UUID
	from, to                     int
	typ                          string
	label                        *string
	strength, trust, familiarity float64
	notes                        string
	created                      time.Time
}

// ecosystemData is a generated ecosystem, as inserted.
type ecosystemData struct {
	id    uuid.UUID
	gid   string
	cast  []castMember
	bonds []bond
}

// The words the generator draws from, so every description reads like a person.
var (
	genFirst = []string{"Ada", "Arthur", "Beatrice", "Cecil", "Clara", "Dorian", "Edith", "Elinor", "Felix", "Florence",
		"Gideon", "Harriet", "Hugh", "Imogen", "Jasper", "Julia", "Lavinia", "Lionel", "Lydia", "Marian", "Miles", "Nell",
		"Oliver", "Ophelia", "Percy", "Philippa", "Quentin", "Rosalind", "Rupert", "Sibyl", "Silas", "Theodora", "Tobias",
		"Ursula", "Vernon", "Violet", "Walter", "Winifred", "Xavier", "Zillah"}
	genLast = []string{"Ashdown", "Blackwood", "Carrow", "Dashwood", "Ellery", "Fairfax", "Grantham", "Hale", "Ingram",
		"Jessop", "Kettering", "Lisle", "Marchbanks", "Norcross", "Osgood", "Pemberton", "Quarles", "Ravenscroft", "Sallow",
		"Thorne", "Underhill", "Vane", "Whitcombe", "Yardley", "Ashcombe", "Bellamy", "Crane", "Drummond", "Everard", "Fenwick"}
	genAdjective = []string{"sharp-tongued", "soft-spoken", "restless", "devout", "ambitious", "melancholy", "cheerful",
		"secretive", "proud", "absent-minded", "shrewd", "timid", "reckless", "patient", "vain", "generous"}
	genOccupation = []string{"apothecary", "governess", "naval captain", "curate", "milliner", "solicitor", "heiress",
		"schoolmaster", "stable hand", "lady's maid", "painter", "bookseller", "magistrate", "widow", "surgeon", "clerk"}
	genPlace = []string{"Bath", "Portsmouth", "a Derbyshire estate", "the Yorkshire moors", "Cheapside", "a Kentish parsonage",
		"Edinburgh", "a fishing village in Cornwall", "Mayfair", "a Lincolnshire farm"}
	genClause = []string{"who keeps a ledger of every slight", "who cannot resist a wager", "who writes letters no one answers",
		"who is saving for a passage to India", "who distrusts anyone with new money", "who sings when no one is listening",
		"who has quarrelled with half the county", "who hides a talent for forgery", "who nurses an old injury from the war",
		"who reads every novel twice"}
	genHabit = []string{"Rarely seen without a battered umbrella.", "Known in town for an unlikely friendship with the vicar's dog.",
		"Owes money to at least two people in this story.", "Has never forgiven a sibling for an inheritance.",
		"Speaks French when angry.", "Walks five miles every morning, whatever the weather.",
		"Collects pressed flowers and gossip in equal measure.", "Is courted by someone entirely unsuitable."}
	genBackstory = []string{"Raised by an aunt after a fever took both parents.", "The youngest of seven, and the only one to leave home.",
		"Once engaged, until a letter ended it without explanation.", "Came into a small fortune at twenty and spent most of it by twenty-five.",
		"Served two years abroad and came back quieter.", "Grew up above a shop and still counts every coin."}
	genStyle = []string{"measured and formal", "quick, teasing", "plain and blunt", "ornate, full of quotations",
		"hesitant, trailing off", "warm and wordy"}
	genGoal = []string{"marry well", "clear the family name", "see the sea again", "be thought clever",
		"find the missing letter", "pay off a debt", "protect a younger sibling", "win back an old friend"}
	genEmotion = []string{"neutral", "content", "anxious", "hopeful", "irritable", "wistful", "amused", "resentful"}
	genTypes   = []string{"FRIEND", "RIVAL", "ROMANCE", "ALLY", "FAMILY", "MENTOR", "ENEMY", "ACQUAINTANCE"}
	genLabel   = map[string][]string{"FRIEND": {"old schoolfriend"}, "ROMANCE": {"secret admirer", "old flame"},
		"FAMILY": {"cousin", "sister", "brother-in-law"}, "MENTOR": {"tutor"}, "RIVAL": {"rival for an inheritance"},
		"ENEMY": {"sworn enemy"}, "ALLY": {"partner in a scheme"}}
	genMet = []string{"at a ball in Bath", "over a disputed will", "on the Portsmouth coach", "in the circulating library",
		"at a funeral", "during a long wet summer"}
	genSince = []string{"have not agreed on anything since", "write to each other weekly", "share a secret neither will name",
		"are careful to be polite in company", "owe each other a favour"}
)

// strengthRange is where a relationship type's strength falls: friends like each other,
// enemies do not, acquaintances hardly care.
var strengthRange = map[string][2]float64{"FRIEND": {0.2, 1}, "ALLY": {0.2, 0.9}, "FAMILY": {0, 1}, "ROMANCE": {0.3, 1},
	"MENTOR": {0.2, 0.8}, "RIVAL": {-0.6, 0.1}, "ENEMY": {-1, -0.4}, "ACQUAINTANCE": {-0.2, 0.3}}

// generateEcosystem makes n characters with varied traits and, for each, between
// minOut and maxOut outgoing relationships to distinct others. Characters are created a
// second apart and relationships in a shuffled order a millisecond apart, so both
// servers' orderings (created_at, then id) are unambiguous.
func generateEcosystem(seed uint64, n, minOut, maxOut int, start time.Time) *ecosystemData {
	rng := rand.New(rand.NewPCG(seed, 0xec05))
	pick := func(list []string) string { return list[rng.IntN(len(list))] }
	between := func(lo, hi float64) float64 { return math.Round((lo+(hi-lo)*rng.Float64())*100) / 100 }
	e := &ecosystemData{cast: make([]castMember, n)}
	names := rng.Perm(len(genFirst) * len(genLast))
	for i := range e.cast {
		adj := pick(genAdjective)
		article := "A"
		if strings.ContainsRune("aeiou", rune(adj[0])) {
			article = "An"
		}
		goals := make([]string, 1+rng.IntN(3))
		for g := range goals {
			goals[g] = pick(genGoal)
		}
		e.cast[i] = castMember{
			id:   uuid.New(),
			name: genFirst[names[i]%len(genFirst)] + " " + genLast[names[i]/len(genFirst)],
			description: fmt.Sprintf("%s %s %s from %s %s. %s", article, adj, pick(genOccupation), pick(genPlace),
				pick(genClause), pick(genHabit)),
			backstory: pick(genBackstory), style: pick(genStyle), goals: goals,
			traits:   [5]float64{between(0.05, 0.95), between(0.05, 0.95), between(0.05, 0.95), between(0.05, 0.95), between(0.05, 0.95)},
			autonomy: between(0.1, 0.9), social: between(0.3, 1), emotion: pick(genEmotion),
			created: start.Add(time.Duration(i) * time.Second),
		}
	}
	for from := range e.cast {
		taken := map[int]bool{from: true}
		for range minOut + rng.IntN(maxOut-minOut+1) {
			to := rng.IntN(n)
			for taken[to] {
				to = rng.IntN(n)
			}
			taken[to] = true
			typ := pick(genTypes)
			var label *string
			if labels := genLabel[typ]; len(labels) > 0 && rng.IntN(2) == 0 {
				label = &labels[rng.IntN(len(labels))]
			}
			r := strengthRange[typ]
			e.bonds = append(e.bonds, bond{id: uuid.New(), from: from, to: to, typ: typ, label: label,
				strength: between(r[0], r[1]), trust: between(0, 1), familiarity: between(0, 1),
				notes: fmt.Sprintf("They met %s and %s.", pick(genMet), pick(genSince))})
		}
	}
	later := start.Add(time.Duration(n+1) * time.Second)
	for i, k := range rng.Perm(len(e.bonds)) {
		e.bonds[i].created = later.Add(time.Duration(k) * time.Millisecond)
	}
	return e
}

// generate creates both ecosystems as the bench's user (so they are owned as the app
// owns them) and inserts their characters and relationships with COPY, straight into
// the app's tables: the app's mutations would take minutes for 26,000 rows.
func (b *queryBench) generate(ctx context.Context) error {
	start := time.Now()
	// Fixed seeds: every run measures the same people and bonds.
	base := time.Now().UTC().Add(-24 * time.Hour).Truncate(time.Second)
	b.nested = generateEcosystem(13, nestedCast, nestedBondMin, nestedBondMax, base)
	b.mapEco = generateEcosystem(1300, mapCast, mapBondsEach, mapBondsEach, base)
	for _, e := range []struct {
		data *ecosystemData
		name string
	}{{b.nested, "Nested cast"}, {b.mapEco, "Map cast"}} {
		gid, err := b.api.createEcosystem(ctx, e.name)
		if err != nil {
			return err
		}
		_, id, err := relay.Decode("id", gid)
		if err != nil {
			return fmt.Errorf("ecosystem id %q: %w", gid, err)
		}
		e.data.gid, e.data.id = gid, id
		if err := copyEcosystem(ctx, b.lb.sql, e.data); err != nil {
			return err
		}
	}
	// Caches of the graph follow graph_version, which the app bumps with every change;
	// ANALYZE gives both servers the same, current statistics for their plans.
	if _, err := b.lb.sql.Exec(ctx, `UPDATE ecosystems SET graph_version = graph_version + 1, updated_at = now()
		WHERE id = ANY($1)`, []uuid.UUID{b.nested.id, b.mapEco.id}); err != nil {
		return fmt.Errorf("bump graph_version: %w", err)
	}
	if _, err := b.lb.sql.Exec(ctx, `ANALYZE characters, relationships, ecosystems`); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	b.report.Data = &dataFacts{NestedCharacters: len(b.nested.cast), NestedRelationships: len(b.nested.bonds),
		MapCharacters: len(b.mapEco.cast), MapRelationships: len(b.mapEco.bonds), Seconds: time.Since(start).Seconds()}
	b.logf("data: %d + %d characters, %d + %d relationships in %.1f s", len(b.nested.cast), len(b.mapEco.cast),
		len(b.nested.bonds), len(b.mapEco.bonds), b.report.Data.Seconds)
	return nil
}

func copyEcosystem(ctx context.Context, conn *pgx.Conn, e *ecosystemData) error {
	rows := make([][]any, len(e.cast))
	for i, c := range e.cast {
		rows[i] = []any{c.id, e.id, c.name, c.description, c.backstory, c.style, c.goals, c.traits[0], c.traits[1],
			c.traits[2], c.traits[3], c.traits[4], c.autonomy, c.social, c.emotion, c.created, c.created}
	}
	_, err := conn.CopyFrom(ctx, pgx.Identifier{"characters"}, []string{"id", "ecosystem_id", "name", "description",
		"backstory", "speaking_style", "goals", "openness", "conscientiousness", "extraversion", "agreeableness",
		"neuroticism", "autonomy_level", "social_energy", "current_emotion", "created_at", "updated_at"}, pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("copy characters: %w", err)
	}
	rows = make([][]any, len(e.bonds))
	for i, r := range e.bonds {
		rows[i] = []any{r.id, e.id, e.cast[r.from].id, e.cast[r.to].id, r.typ, r.label, r.strength, r.trust,
			r.familiarity, r.notes, r.created, r.created}
	}
	_, err = conn.CopyFrom(ctx, pgx.Identifier{"relationships"}, []string{"id", "ecosystem_id", "from_id", "to_id", "type",
		"label", "strength", "trust", "familiarity", "notes", "created_at", "updated_at"}, pgx.CopyFromRows(rows))
	if err != nil {
		return fmt.Errorf("copy relationships: %w", err)
	}
	return nil
}

// ---------------------------------------------------------------------------
// PostGraphile

// peerServer is PostGraphile run through npx; its process group holds npx and node.
type peerServer struct {
	in *instance
}

// stop ends the whole process group: npx may not pass the signal on to node.
func (p *peerServer) stop(logf func(string, ...any)) {
	pid := p.in.cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGTERM)
	p.in.stop(logf)
	_ = syscall.Kill(-pid, syscall.SIGKILL)
}

// startPeer installs PostGraphile (or reuses the install), serves the bench database
// with it and waits until it answers. Any failure is a reason to skip the peer.
func (b *queryBench) startPeer(ctx context.Context) (*peerServer, error) {
	dir, installed, err := installPostGraphile(ctx, b.logf)
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	in := &instance{name: "postgraphile", addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		logPath: filepath.Join(b.lb.logDir, "postgraphile.log"), exited: make(chan struct{}),
		onStop: func(s logSummary) { b.lb.report.ServerLogs = append(b.lb.report.ServerLogs, s) }}
	logFile, err := os.Create(in.logPath)
	if err != nil {
		return nil, fmt.Errorf("postgraphile: log: %w", err)
	}
	defer logFile.Close() // the child has its own descriptor once started
	args := []string{"--no-install", "postgraphile", "-P", "postgraphile/presets/amber", "-c", withoutPoolParams(b.lb.db.URL),
		"-s", "public", "-p", strconv.Itoa(port), "-n", "127.0.0.1"}
	in.cmd = exec.Command("npx", args...)
	in.cmd.Dir = dir
	// The folder's node_modules/.bin comes first on PATH, so npx and PostGraphile run on
	// the Node installed there when the system's is too old. Production mode, like
	// Ensemble's: no development checks or formatting.
	in.cmd.Env = []string{"PATH=" + filepath.Join(dir, "node_modules", ".bin") + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"), "GRAPHILE_ENV=production", "NODE_ENV=production", "npm_config_update_notifier=false"}
	in.cmd.Stdout, in.cmd.Stderr = logFile, logFile
	in.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := in.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start npx postgraphile: %w", err)
	}
	go func() { in.exitErr = in.cmd.Wait(); close(in.exited) }()
	p := &peerServer{in: in}
	b.logf("postgraphile: pid %d on %s, waiting for it to answer", in.cmd.Process.Pid, in.addr)
	if err := waitAnswering(ctx, b.lb.http, in, 2*time.Minute); err != nil {
		p.stop(b.logf)
		return nil, err
	}
	facts := &peerFacts{Name: "PostGraphile", Folder: dir, Installed: installed,
		Command: "npx " + strings.Join(slices.Replace(slices.Clone(args), slices.Index(args, "-c")+1, slices.Index(args, "-c")+2, "<bench database>"), " ")}
	facts.Version, err = packageVersion(filepath.Join(dir, "node_modules", "postgraphile", "package.json"))
	if err != nil {
		p.stop(b.logf)
		return nil, err
	}
	// exec resolves a bare name on this process's PATH, not the child's: name the
	// folder's Node where there is one, as the child's PATH finds it first.
	nodeBin := filepath.Join(dir, "node_modules", ".bin", "node")
	if _, err := os.Stat(nodeBin); err != nil {
		nodeBin = "node"
	}
	node := exec.CommandContext(ctx, nodeBin, "--version")
	out, err := node.Output()
	if err != nil {
		p.stop(b.logf)
		return nil, fmt.Errorf("node --version: %w", err)
	}
	facts.NodeVersion = strings.TrimSpace(string(out))
	b.report.Peer = facts
	return p, nil
}

// waitAnswering polls the server with `{__typename}` until it answers 200.
func waitAnswering(ctx context.Context, client *http.Client, in *instance, limit time.Duration) error {
	c := gqlClient{endpoint: in.gqlURL(), http: client}
	return in.waitFor(ctx, "answering", 200*time.Millisecond, limit, func() bool {
		var out struct {
			Typename string `json:"__typename"`
		}
		return c.do(ctx, `{__typename}`, nil, &out) == nil
	})
}

// installPostGraphile returns a folder with PostGraphile installed by npm, pinned,
// under the user cache directory: the one a previous run left when it holds the same
// package.json, otherwise a fresh install, moved into place only once it succeeded.
func installPostGraphile(ctx context.Context, logf func(string, ...any)) (dir, how string, err error) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", "", fmt.Errorf("no cache directory for the PostGraphile install: %w", err)
	}
	parent := filepath.Join(cache, "ensemble", "bench-peer")
	dir = filepath.Join(parent, "postgraphile-"+postgraphileVersion)
	deps := map[string]string{"postgraphile": postgraphileVersion}
	if nodeMajor(ctx) < peerNodeMajor {
		pkg, err := nodePackage()
		if err != nil {
			return "", "", err
		}
		deps[pkg] = peerNodeVersion
	}
	manifest, err := json.MarshalIndent(map[string]any{"name": "ensemble-bench-peer", "private": true, "dependencies": deps}, "", "  ")
	if err != nil {
		return "", "", fmt.Errorf("package.json: %w", err)
	}
	if have, err := os.ReadFile(filepath.Join(dir, "package.json")); err == nil && bytes.Equal(have, manifest) {
		if _, err := os.Stat(filepath.Join(dir, "node_modules", ".bin", "postgraphile")); err == nil {
			logf("postgraphile: reusing %s", dir)
			return dir, "reused from an earlier run", nil
		}
	}
	for _, tool := range []string{"npm", "npx"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "", "", fmt.Errorf("%s is not on PATH, so PostGraphile cannot be installed: install Node.js and npm to compare with it", tool)
		}
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", "", fmt.Errorf("PostGraphile install folder: %w", err)
	}
	tmp, err := os.MkdirTemp(parent, "installing-")
	if err != nil {
		return "", "", fmt.Errorf("PostGraphile install folder: %w", err)
	}
	defer os.RemoveAll(tmp) // gone once renamed, or after a failure
	if err := os.WriteFile(filepath.Join(tmp, "package.json"), manifest, 0o644); err != nil {
		return "", "", fmt.Errorf("PostGraphile install: %w", err)
	}
	logf("postgraphile: npm install postgraphile@%s into %s (once; later runs reuse it)", postgraphileVersion, dir)
	ictx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	npm := exec.CommandContext(ictx, "npm", "install", "--no-audit", "--no-fund", "--loglevel=error")
	npm.Dir = tmp
	var out bytes.Buffer
	npm.Stdout, npm.Stderr = &out, &out
	if err := npm.Run(); err != nil {
		return "", "", fmt.Errorf("npm install postgraphile@%s failed (%v): %s", postgraphileVersion, err,
			clip(strings.TrimSpace(out.String()), 1500))
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", "", fmt.Errorf("replace %s: %w", dir, err)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return "", "", fmt.Errorf("move the PostGraphile install into place: %w", err)
	}
	return dir, "installed by this run", nil
}

// nodeMajor is the major version of the system's Node, 0 where there is none.
func nodeMajor(ctx context.Context) int {
	out, err := exec.CommandContext(ctx, "node", "--version").Output()
	if err != nil {
		return 0
	}
	major, _, _ := strings.Cut(strings.TrimPrefix(strings.TrimSpace(string(out)), "v"), ".")
	n, _ := strconv.Atoi(major)
	return n
}

// nodePackage is the npm package that carries a Node binary for this machine.
func nodePackage() (string, error) {
	arch := map[string]string{"amd64": "x64", "arm64": "arm64"}[runtime.GOARCH]
	if runtime.GOOS != "linux" || arch == "" {
		return "", fmt.Errorf("PostGraphile %s needs Node %d, the system's is older, and no Node package is known for %s/%s",
			postgraphileVersion, peerNodeMajor, runtime.GOOS, runtime.GOARCH)
	}
	return "node-linux-" + arch, nil
}

func packageVersion(path string) (string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read the installed version: %w", err)
	}
	var p struct{ Version string }
	if err := json.Unmarshal(raw, &p); err != nil {
		return "", fmt.Errorf("read the installed version from %s: %w", path, err)
	}
	return p.Version, nil
}

// treeCPUSeconds is the CPU time of process root and all its descendants alive now:
// npx starts node, which serves. (A descendant that exited is lost; the server's
// processes live as long as the run.)
func treeCPUSeconds(root int) (float64, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if ppid, ok := parentPID(pid); ok {
			children[ppid] = append(children[ppid], pid)
		}
	}
	total, err := procCPUSeconds(root)
	if err != nil {
		return 0, err
	}
	for queue := children[root]; len(queue) > 0; queue = queue[1:] {
		// A process may exit between the listing and the read: it is skipped.
		if cpu, err := procCPUSeconds(queue[0]); err == nil {
			total += cpu
		}
		queue = append(queue, children[queue[0]]...)
	}
	return total, nil
}

// parentPID reads the PPid line of /proc/<pid>/status.
func parentPID(pid int) (int, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "PPid:"); ok {
			ppid, err := strconv.Atoi(strings.TrimSpace(rest))
			return ppid, err == nil
		}
	}
	return 0, false
}

// ---------------------------------------------------------------------------
// Same answers

// agreement is whether the servers answered a workload with the generated data.
type agreement struct {
	Workload string `json:"workload"`
	// Agree is true when every server answered exactly the generated data (after
	// normalising enum case and order).
	Agree  bool   `json:"agree"`
	Detail string `json:"detail"`
}

// castAnswer is one character of the nested answer, normalised.
type castAnswer struct {
	Name   string
	Traits [5]float64
	Bonds  []bondAnswer
}

type bondAnswer struct {
	Type     string
	Strength float64
	Other    string
}

// traitsJSON are Ensemble's personalityTraits; PostGraphile has them as columns of the
// character, which decode into the same fields.
type traitsJSON struct {
	Openness, Conscientiousness, Extraversion, Agreeableness, Neuroticism float64
}

func (t traitsJSON) array() [5]float64 {
	return [5]float64{t.Openness, t.Conscientiousness, t.Extraversion, t.Agreeableness, t.Neuroticism}
}

// expectedNested is what the nested query must answer: the cast in creation order, each
// with its first outgoing relationships by (created_at, id).
func expectedNested(e *ecosystemData) []castAnswer {
	cast := slices.Clone(e.cast)
	slices.SortFunc(cast, func(a, b castMember) int {
		return cmp.Or(a.created.Compare(b.created), bytes.Compare(a.id[:], b.id[:]))
	})
	index := map[uuid.UUID]int{}
	for i, c := range e.cast {
		index[c.id] = i
	}
	out := make([]castAnswer, 0, nestedCast)
	for _, c := range cast[:min(nestedCast, len(cast))] {
		var mine []bond
		for _, r := range e.bonds {
			if e.cast[r.from].id == c.id {
				mine = append(mine, r)
			}
		}
		slices.SortFunc(mine, func(a, b bond) int {
			return cmp.Or(a.created.Compare(b.created), bytes.Compare(a.id[:], b.id[:]))
		})
		a := castAnswer{Name: c.name, Traits: c.traits}
		for _, r := range mine[:min(nestedPage, len(mine))] {
			a.Bonds = append(a.Bonds, bondAnswer{Type: r.typ, Strength: r.strength, Other: e.cast[r.to].name})
		}
		out = append(out, a)
	}
	return normalizeCast(out)
}

// normalizeCast makes answers comparable: enum names upper case, characters by name and
// each one's relationships by other end, type and strength.
func normalizeCast(cast []castAnswer) []castAnswer {
	for i := range cast {
		for j := range cast[i].Bonds {
			cast[i].Bonds[j].Type = strings.ToUpper(cast[i].Bonds[j].Type)
		}
		slices.SortFunc(cast[i].Bonds, func(a, b bondAnswer) int {
			return cmp.Or(strings.Compare(a.Other, b.Other), strings.Compare(a.Type, b.Type), cmp.Compare(a.Strength, b.Strength))
		})
	}
	slices.SortFunc(cast, func(a, b castAnswer) int { return strings.Compare(a.Name, b.Name) })
	return cast
}

// castDifference describes the first difference between two normalised answers, or "".
func castDifference(want, got []castAnswer) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d characters, want %d", len(got), len(want))
	}
	for i := range want {
		w, g := want[i], got[i]
		switch {
		case w.Name != g.Name:
			return fmt.Sprintf("character %d is %q, want %q", i, g.Name, w.Name)
		case w.Traits != g.Traits:
			return fmt.Sprintf("%s: traits %v, want %v", w.Name, g.Traits, w.Traits)
		case len(w.Bonds) != len(g.Bonds):
			return fmt.Sprintf("%s: %d relationships, want %d", w.Name, len(g.Bonds), len(w.Bonds))
		}
		for j := range w.Bonds {
			if w.Bonds[j] != g.Bonds[j] {
				return fmt.Sprintf("%s: relationship %+v, want %+v", w.Name, g.Bonds[j], w.Bonds[j])
			}
		}
	}
	return ""
}

// singleAnswer is the single query's answer, normalised.
type singleAnswer struct {
	Name, Description, SpeakingStyle, CurrentEmotion string
	IsActive                                         bool
	Traits                                           [5]float64
}

// check asks every server for the nested and single answers once and compares them
// with the generated data: servers that agree with it agree with each other. Ratios are
// only reported for workloads where every server agreed.
func (b *queryBench) check(ctx context.Context) error {
	wantCast := expectedNested(b.nested)
	c := b.nested.cast[len(b.nested.cast)/2]
	wantSingle := singleAnswer{Name: c.name, Description: c.description, SpeakingStyle: c.style, CurrentEmotion: c.emotion,
		IsActive: true, Traits: c.traits}
	nested := agreement{Workload: workloadNested, Agree: true}
	single := agreement{Workload: workloadSingle, Agree: true}
	var notes []string
	for _, s := range b.servers {
		cast, one, errs := b.answers(ctx, s)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errs.nested != nil {
			nested.Agree = false
			notes = append(notes, fmt.Sprintf("%s answered the nested query with an error: %v", s.name, errs.nested))
			if s.name == serverEnsemble {
				b.nestedError = errs.nested.Error()
			}
		} else if d := castDifference(wantCast, cast); d != "" {
			nested.Agree = false
			notes = append(notes, fmt.Sprintf("%s's nested answer differs from the data: %s", s.name, d))
		}
		switch {
		case errs.single != nil:
			single.Agree = false
			single.Detail += fmt.Sprintf("%s answered with an error: %v; ", s.name, errs.single)
		case one != wantSingle:
			single.Agree = false
			single.Detail += fmt.Sprintf("%s answered %+v, want %+v; ", s.name, one, wantSingle)
		}
	}
	names := make([]string, len(b.servers))
	for i, s := range b.servers {
		names[i] = s.name
	}
	agreeing := strings.Join(names, " and ") + map[bool]string{true: " answers", false: " answer"}[len(names) == 1] +
		" exactly the generated data"
	if nested.Agree {
		bonds := 0
		for _, a := range wantCast {
			bonds += len(a.Bonds)
		}
		nested.Detail = fmt.Sprintf("%s: %d characters with five traits, %d relationships with type, strength and the other end's name",
			agreeing, len(wantCast), bonds)
	} else {
		nested.Detail = strings.Join(notes, "; ")
	}
	if single.Agree {
		single.Detail = agreeing + ": name, description, speaking style, emotion, active, five traits"
	} else {
		single.Detail = strings.TrimSuffix(single.Detail, "; ")
	}
	b.report.Checks = append(b.report.Checks, nested, single)
	for _, a := range b.report.Checks {
		b.logf("check %s: agree=%t: %s", a.Workload, a.Agree, clip(a.Detail, 300))
	}
	return nil
}

// answerErrors are the errors of the two check queries.
type answerErrors struct{ nested, single error }

// answers asks s for the nested and single answers and normalises them.
func (b *queryBench) answers(ctx context.Context, s target) ([]castAnswer, singleAnswer, answerErrors) {
	c := gqlClient{endpoint: s.url, token: s.token, http: b.lb.http}
	var errs answerErrors
	var cast []castAnswer
	var one singleAnswer
	nested, single := b.workloads[0].op(s), b.workloads[1].op(s)
	if s.name == serverEnsemble {
		var out struct {
			Characters struct {
				Nodes []struct {
					Name              string
					PersonalityTraits traitsJSON
					Relationships     struct {
						Nodes []struct {
							Type     string
							Strength float64
							To       struct{ Name string }
						}
					}
				}
			}
		}
		if errs.nested = c.do(ctx, nested.Query, nested.Variables, &out); errs.nested == nil {
			for _, n := range out.Characters.Nodes {
				a := castAnswer{Name: n.Name, Traits: n.PersonalityTraits.array()}
				for _, r := range n.Relationships.Nodes {
					a.Bonds = append(a.Bonds, bondAnswer{Type: r.Type, Strength: r.Strength, Other: r.To.Name})
				}
				cast = append(cast, a)
			}
		}
		var o struct {
			Character *struct {
				Name, Description, SpeakingStyle, CurrentEmotion string
				IsActive                                         bool
				PersonalityTraits                                traitsJSON
			}
		}
		if errs.single = c.do(ctx, single.Query, single.Variables, &o); errs.single == nil {
			if o.Character == nil {
				errs.single = errors.New("character is null")
			} else {
				x := o.Character
				one = singleAnswer{x.Name, x.Description, x.SpeakingStyle, x.CurrentEmotion, x.IsActive, x.PersonalityTraits.array()}
			}
		}
		return normalizeCast(cast), one, errs
	}
	var out struct {
		AllCharacters struct {
			Nodes []struct {
				Name string
				traitsJSON
				RelationshipsByFromID struct {
					Nodes []struct {
						Type            string
						Strength        float64
						CharacterByToID struct{ Name string } `json:"characterByToId"`
					}
				} `json:"relationshipsByFromId"`
			}
		}
	}
	if errs.nested = c.do(ctx, nested.Query, nested.Variables, &out); errs.nested == nil {
		for _, n := range out.AllCharacters.Nodes {
			a := castAnswer{Name: n.Name, Traits: n.array()}
			for _, r := range n.RelationshipsByFromID.Nodes {
				a.Bonds = append(a.Bonds, bondAnswer{Type: r.Type, Strength: r.Strength, Other: r.CharacterByToID.Name})
			}
			cast = append(cast, a)
		}
	}
	var o struct {
		CharacterByRowID *struct {
			Name, Description, SpeakingStyle, CurrentEmotion string
			IsActive                                         bool
			traitsJSON
		} `json:"characterByRowId"`
	}
	if errs.single = c.do(ctx, single.Query, single.Variables, &o); errs.single == nil {
		if o.CharacterByRowID == nil {
			errs.single = errors.New("characterByRowId is null")
		} else {
			x := o.CharacterByRowID
			one = singleAnswer{x.Name, x.Description, x.SpeakingStyle, x.CurrentEmotion, x.IsActive, x.array()}
		}
	}
	return normalizeCast(cast), one, errs
}

// agreed reports whether every server answered workload with the generated data.
func (b *queryBench) agreed(workload string) bool {
	for _, a := range b.report.Checks {
		if a.Workload == workload {
			return a.Agree
		}
	}
	return false
}

// ---------------------------------------------------------------------------
// Statements per request, in process

// statementFigures are what Ensemble sent PostgreSQL for one request of a workload.
type statementFigures struct {
	Workload string `json:"workload"`
	Requests int    `json:"requests"`
	// Statements counts every statement of the app's pool, each of a batch included;
	// RoundTrips counts a pipelined batch once. The job queue's pool is left out.
	Statements float64 `json:"statementsPerRequest"`
	RoundTrips float64 `json:"roundTripsPerRequest"`
	Errors     int     `json:"errors"`
	FirstError string  `json:"firstError,omitempty"`
}

// countStatements serves the app in this process, as bench scenes' history phase does,
// with a statementCounter on its pools, and sends each workload one request at a time:
// the child process cannot be traced, and pg_stat_statements is not loaded by default.
func (b *queryBench) countStatements(ctx context.Context) error {
	counter := newStatementCounter(0)
	// startInProcess belongs to bench scenes; a sceneBench around our liveBench lends it
	// and collects the app's log summary, which joins ours below.
	scenes := &sceneBench{lb: b.lb}
	stop, endpoint, err := scenes.startInProcess(ctx, counter, 0)
	if err != nil {
		return err
	}
	defer func() {
		stop()
		b.report.ServerLogs = append(b.report.ServerLogs, scenes.report.ServerLogs...)
	}()
	client := &http.Client{}
	defer client.CloseIdleConnections()
	snapshot := func() statementCounts {
		counter.mu.Lock()
		defer counter.mu.Unlock()
		return counter.counts
	}
	for _, w := range b.workloads {
		spec := loadSpec{url: endpoint, token: b.api.token, body: w.ensemble.body(), timeout: b.opts.Timeout}
		// The first request fills the caches that later ones find full (sessions, plans).
		post(ctx, client, spec, &bytes.Buffer{})
		f := statementFigures{Workload: w.name, Requests: statementSamples}
		before := snapshot()
		var buf bytes.Buffer
		for range statementSamples {
			o, code := post(ctx, client, spec, &buf)
			if o == outcomeAborted {
				return ctx.Err()
			}
			if o != outcomeOK {
				f.Errors++
				f.FirstError = cmp.Or(f.FirstError, code)
			}
		}
		d := snapshot().minus(before)
		// The queue's statements run one per round trip: what is left is the app's.
		f.Statements = float64(d.App) / statementSamples
		f.RoundTrips = float64(d.RoundTrips-d.Queue) / statementSamples
		b.report.Statements = append(b.report.Statements, f)
	}
	return nil
}

// ---------------------------------------------------------------------------
// Meters

// reading is the cumulative counters at one moment of a run.
type reading struct {
	server  float64
	pg      postgresCPU
	pgErr   error
	xact    int64
	self    float64
	busy    float64
	busyErr error
}

func (b *queryBench) read(ctx context.Context, s target) (reading, error) {
	var r reading
	var err error
	if r.server, err = s.cpu(); err != nil {
		return r, fmt.Errorf("%s CPU: %w", s.name, err)
	}
	r.pg, r.pgErr = readPostgresCPU(databaseName(b.lb.db.URL))
	a, err := b.lb.dbActivity(ctx)
	if err != nil {
		return r, err
	}
	r.xact, r.self = a.transactions, selfCPUSeconds()
	r.busy, r.busyErr = machineBusySeconds()
	return r, nil
}

// background is the database activity with both servers idle (Ensemble's job queue
// polls): subtracted from every window, which shares the database with it.
type background struct {
	Seconds               float64 `json:"seconds"`
	TransactionsPerSecond float64 `json:"transactionsPerSecond"`
	PostgresCPUPerSecond  float64 `json:"postgresBackendCpuMsPerSecond"`
	PostgresCPUError      string  `json:"postgresCpuError,omitempty"`
}

// measureBackground reads the idle activity over --settle, after --settle of quiet.
// With no settle time the counts could not be told apart from the setup's; nothing is
// subtracted then.
func (b *queryBench) measureBackground(ctx context.Context) error {
	if b.opts.Settle <= 0 {
		return nil
	}
	if err := sleep(ctx, b.opts.Settle); err != nil {
		return err
	}
	b.logf("background: measuring the idle servers for %s", b.opts.Settle)
	s := b.servers[0]
	before, err := b.read(ctx, s)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := sleep(ctx, b.opts.Settle); err != nil {
		return err
	}
	after, err := b.read(ctx, s)
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	bg := &background{Seconds: secs, TransactionsPerSecond: float64(after.xact-before.xact) / secs}
	if err := cmp.Or(before.pgErr, after.pgErr); err != nil {
		bg.PostgresCPUError = err.Error()
	} else {
		ours, _ := after.pg.since(before.pg)
		bg.PostgresCPUPerSecond = ours * 1000 / secs
	}
	b.report.Background = bg
	return nil
}

// ---------------------------------------------------------------------------
// Load

// outcome is how a request ended.
type outcome int

const (
	outcomeOK outcome = iota
	// outcomeGraphQLError is an HTTP 200 answer with errors.
	outcomeGraphQLError
	// outcomeShed is HTTP 503 or 429: the server refused the work.
	outcomeShed
	// outcomeRefused is any other status but 200.
	outcomeRefused
	// outcomeTimeout is no answer within the client timeout.
	outcomeTimeout
	// outcomeFailed is a transport failure or an answer that is not JSON.
	outcomeFailed
	// outcomeAborted is the run being interrupted; not counted.
	outcomeAborted
)

// loadSpec is what every client of a run sends, and where.
type loadSpec struct {
	url, token string
	body       []byte
	conns      int
	warmup     time.Duration
	window     time.Duration
	timeout    time.Duration
}

// post sends one request and classifies its answer; code names the error or status
// (empty for OK). buf is reused across a client's requests.
func post(ctx context.Context, c *http.Client, s loadSpec, buf *bytes.Buffer) (outcome, string) {
	rctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, s.url, bytes.NewReader(s.body))
	if err != nil {
		return outcomeFailed, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := c.Do(req)
	if err == nil {
		buf.Reset()
		_, err = buf.ReadFrom(resp.Body)
		_ = resp.Body.Close()
	}
	switch {
	case ctx.Err() != nil:
		return outcomeAborted, ""
	case rctx.Err() != nil:
		return outcomeTimeout, "client timeout"
	case err != nil:
		return outcomeFailed, err.Error()
	}
	return classifyAnswer(resp.StatusCode, buf.Bytes())
}

// classifyAnswer tells OK answers from errors. An answer without the bytes `"errors"`
// has none: that spares this process, which shares the CPUs with the servers, decoding
// 100 KB per request. Any other answer is decoded.
func classifyAnswer(status int, body []byte) (outcome, string) {
	if status == http.StatusOK && !bytes.Contains(body, []byte(`"errors"`)) {
		return outcomeOK, ""
	}
	var r struct {
		Errors []gqlError `json:"errors"`
	}
	decodeErr := json.Unmarshal(body, &r)
	code := ""
	if len(r.Errors) > 0 {
		code = errorCode(r.Errors[0])
	}
	switch {
	case status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests:
		return outcomeShed, strings.TrimSpace(fmt.Sprintf("HTTP %d %s", status, code))
	case status != http.StatusOK:
		return outcomeRefused, strings.TrimSpace(fmt.Sprintf("HTTP %d %s", status, code))
	case decodeErr != nil:
		return outcomeFailed, "HTTP 200, not JSON: " + decodeErr.Error()
	case len(r.Errors) == 0: // "errors" was a word in the data
		return outcomeOK, ""
	}
	return outcomeGraphQLError, code
}

// errorCode is an error's extensions.code, or its message where it has none.
func errorCode(e gqlError) string {
	if c, ok := e.Extensions["code"].(string); ok && c != "" {
		return c
	}
	return clip(e.Message, 100)
}

// sample is one finished request.
type sample struct {
	end     time.Time
	took    time.Duration
	outcome outcome
	code    string
}

// loadTally counts what finished inside a window, and the timeouts of the requests in
// flight when it closed (waited for before the next run).
type loadTally struct {
	WindowSeconds float64 `json:"windowSeconds"`
	OK            int64   `json:"ok"`
	GraphQLErrors int64   `json:"graphqlErrors"`
	Shed          int64   `json:"shed"`
	Refused       int64   `json:"otherRefusals"`
	Timeouts      int64   `json:"timeouts"`
	Failures      int64   `json:"failures"`
	// Codes counts errors and refusals by code ("COMPLEXITY_LIMIT_EXCEEDED", "HTTP 503
	// OVERLOADED", ...).
	Codes          map[string]int64 `json:"codes"`
	FirstFailure   string           `json:"firstFailure,omitempty"`
	Latency        latencySummary   `json:"okLatency"`
	RefusalLatency latencySummary   `json:"refusalLatency"`
	AfterTimeouts  int64            `json:"timeoutsAfterWindow"`
}

// count adds one finished request.
func (t *loadTally) count(o outcome, code string) {
	switch o {
	case outcomeOK:
		t.OK++
		return
	case outcomeGraphQLError:
		t.GraphQLErrors++
	case outcomeShed:
		t.Shed++
	case outcomeRefused:
		t.Refused++
	case outcomeTimeout:
		t.Timeouts++
	case outcomeFailed:
		t.Failures++
		t.FirstFailure = cmp.Or(t.FirstFailure, code)
		return // messages name ports and addresses: counted once above
	}
	t.Codes[code]++
}

// answered is every request the server answered in the window, whatever the answer.
func (t loadTally) answered() int64 { return t.OK + t.GraphQLErrors + t.Shed + t.Refused }

// runLoad drives spec.conns closed-loop clients, each on its own kept-alive connection,
// for spec.warmup and then a window of spec.window. mark is called (from this goroutine,
// with the load running) as the window opens and as it closes, so meters read there
// cover it; a request counts in the window when it finished inside it.
func runLoad(ctx context.Context, spec loadSpec, mark func(open bool)) loadTally {
	tr := &http.Transport{MaxConnsPerHost: spec.conns, MaxIdleConnsPerHost: spec.conns, MaxIdleConns: spec.conns,
		IdleConnTimeout: time.Minute, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var stop atomic.Bool
	per := make([][]sample, spec.conns)
	var wg sync.WaitGroup
	for i := range per {
		wg.Go(func() {
			var buf bytes.Buffer
			for !stop.Load() {
				start := time.Now()
				o, code := post(ctx, client, spec, &buf)
				if o == outcomeAborted {
					return
				}
				end := time.Now()
				per[i] = append(per[i], sample{end: end, took: end.Sub(start), outcome: o, code: code})
			}
		})
	}
	_ = sleep(ctx, spec.warmup) // an interrupted run stops its clients below
	from := time.Now()
	mark(true)
	_ = sleep(ctx, spec.window)
	to := time.Now()
	mark(false)
	stop.Store(true)
	wg.Wait()
	t := loadTally{WindowSeconds: to.Sub(from).Seconds(), Codes: map[string]int64{}}
	var ok, refusals []time.Duration
	for _, samples := range per {
		for _, s := range samples {
			if s.end.After(to) && s.outcome == outcomeTimeout {
				t.AfterTimeouts++
			}
			if s.end.Before(from) || s.end.After(to) {
				continue
			}
			t.count(s.outcome, s.code)
			switch s.outcome {
			case outcomeOK:
				ok = append(ok, s.took)
			case outcomeShed, outcomeRefused:
				refusals = append(refusals, s.took)
			}
		}
	}
	t.Latency, t.RefusalLatency = summarize(ok), summarize(refusals)
	return t
}

// queryRun is one measured run of one workload on one server.
type queryRun struct {
	Workload    string    `json:"workload"`
	Server      string    `json:"server"`
	Connections int       `json:"connections"`
	Round       int       `json:"round"`
	Tally       loadTally `json:"answers"`
	// RequestsPerSecond counts OK answers only.
	RequestsPerSecond float64 `json:"requestsPerSecond"`
	// PerOK divides the window's costs by the OK answers: what serving one cost, the
	// cost of refusing or failing others included. PerAnswer divides by every answer.
	PerOK            requestCost `json:"perOkAnswer"`
	PerAnswer        requestCost `json:"perAnswer"`
	PostgresCPUError string      `json:"postgresCpuError,omitempty"`
	// OtherBusySeconds is the machine's busy CPU time in the window beyond the server,
	// PostgreSQL and this process: other work on a shared machine.
	OtherBusySeconds float64 `json:"otherBusySeconds"`
}

// measure runs spec against s with every meter read at the window's edges.
func (b *queryBench) measure(ctx context.Context, s target, spec loadSpec, workload string, round int) (queryRun, error) {
	run := queryRun{Workload: workload, Server: s.name, Connections: spec.conns, Round: round}
	var before, after reading
	var merr error
	run.Tally = runLoad(ctx, spec, func(open bool) {
		r, err := b.read(ctx, s)
		merr = cmp.Or(merr, err)
		if open {
			before = r
		} else {
			after = r
		}
	})
	if err := cmp.Or(ctx.Err(), merr); err != nil {
		return run, err
	}
	run.RequestsPerSecond = float64(run.Tally.OK) / run.Tally.WindowSeconds
	b.cost(&run, before, after)
	return run, nil
}

// requestCost is what the requests of a window cost on average.
type requestCost struct {
	ServerCPUMs   float64 `json:"serverCpuMs"`
	PostgresCPUMs float64 `json:"postgresBackendCpuMs"`
	Transactions  float64 `json:"transactions"`
	BenchCPUMs    float64 `json:"benchCpuMs"`
}

// cost fills run's costs from the readings at its window's edges, the idle background
// subtracted from the database's figures.
func (b *queryBench) cost(run *queryRun, before, after reading) {
	secs := run.Tally.WindowSeconds
	var bgTx, bgPG float64
	if bg := b.report.Background; bg != nil {
		bgTx, bgPG = bg.TransactionsPerSecond*secs, bg.PostgresCPUPerSecond/1000*secs
	}
	server, self := after.server-before.server, after.self-before.self
	xact := max(0, float64(after.xact-before.xact)-bgTx)
	var pg float64
	if err := cmp.Or(before.pgErr, after.pgErr); err != nil {
		run.PostgresCPUError = err.Error()
	} else {
		ours, all := after.pg.since(before.pg)
		pg = max(0, ours-bgPG)
		if before.busyErr == nil && after.busyErr == nil {
			run.OtherBusySeconds = max(0, after.busy-before.busy-server-all-self)
		}
	}
	per := func(n int64) requestCost {
		if n == 0 {
			return requestCost{}
		}
		ms := 1000 / float64(n)
		return requestCost{ServerCPUMs: server * ms, PostgresCPUMs: pg * ms, Transactions: xact / float64(n), BenchCPUMs: self * ms}
	}
	run.PerOK, run.PerAnswer = per(run.Tally.OK), per(run.Tally.answered())
}

// ---------------------------------------------------------------------------
// The comparison

// spread is the lowest and highest of a figure over the rounds.
type spread struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

func spreadOf(v []float64) *spread {
	if len(v) == 0 {
		return nil
	}
	return &spread{slices.Min(v), slices.Max(v)}
}

// queryCell sums up one workload at one connection count over the rounds.
type queryCell struct {
	Workload    string             `json:"workload"`
	Connections int                `json:"connections"`
	RequestsPS  map[string]*spread `json:"requestsPerSecond"`
	P99         map[string]*spread `json:"p99Ms"`
	// Ratios are Ensemble / PostGraphile of the same round; nil with RatioNote saying why.
	RatioRequests *spread `json:"ratioRequestsPerSecond,omitempty"`
	RatioP99      *spread `json:"ratioP99,omitempty"`
	RatioNote     string  `json:"ratioNote,omitempty"`
	// Errors counts every answer of the cell's runs that was not OK, timeouts included.
	Errors map[string]int64 `json:"errors"`
}

// comparison runs every workload at every connection count, servers interleaved within
// each round, and sums up each cell.
func (b *queryBench) comparison(ctx context.Context) error {
	o := b.opts
	for _, w := range b.workloads {
		for _, conns := range o.Connections {
			var runs []queryRun
			for round := 1; round <= o.Rounds; round++ {
				for _, s := range b.servers {
					if err := b.settle(ctx, o.Warmup); err != nil {
						return err
					}
					b.logf("%s, %d connections, round %d: %s for %s after %s of warm-up", w.name, conns, round, s.name, o.Duration, o.Warmup)
					spec := loadSpec{url: s.url, token: s.token, body: w.op(s).body(), conns: conns,
						warmup: o.Warmup, window: o.Duration, timeout: o.Timeout}
					run, err := b.measure(ctx, s, spec, w.name, round)
					if err != nil {
						return err
					}
					b.report.Runs = append(b.report.Runs, run)
					runs = append(runs, run)
				}
			}
			b.report.Cells = append(b.report.Cells, b.cell(w.name, conns, runs))
		}
	}
	return nil
}

func (b *queryBench) cell(workload string, conns int, runs []queryRun) queryCell {
	c := queryCell{Workload: workload, Connections: conns, RequestsPS: map[string]*spread{}, P99: map[string]*spread{},
		Errors: map[string]int64{}}
	rps, p99 := map[string][]float64{}, map[string][]float64{}
	byRound := map[int]map[string]queryRun{}
	for _, r := range runs {
		rps[r.Server] = append(rps[r.Server], r.RequestsPerSecond)
		if r.Tally.OK > 0 {
			p99[r.Server] = append(p99[r.Server], r.Tally.Latency.P99)
		}
		if byRound[r.Round] == nil {
			byRound[r.Round] = map[string]queryRun{}
		}
		byRound[r.Round][r.Server] = r
		for code, n := range r.Tally.Codes {
			c.Errors[r.Server+": "+code] += n
		}
		if r.Tally.Failures > 0 {
			c.Errors[r.Server+": transport failures"] += r.Tally.Failures
		}
	}
	for s := range rps {
		c.RequestsPS[s], c.P99[s] = spreadOf(rps[s]), spreadOf(p99[s])
	}
	switch {
	case len(b.servers) < 2:
		c.RatioNote = "no peer"
		return c
	case !b.agreed(workload):
		c.RatioNote = "no ratios: the servers did not both answer the generated data (see Same answers)"
		return c
	}
	var rr, pr []float64
	for _, round := range byRound {
		e, p := round[serverEnsemble], round[serverPeer]
		if p.RequestsPerSecond > 0 {
			rr = append(rr, e.RequestsPerSecond/p.RequestsPerSecond)
		}
		if e.Tally.OK > 0 && p.Tally.OK > 0 && p.Tally.Latency.P99 > 0 {
			pr = append(pr, e.Tally.Latency.P99/p.Tally.Latency.P99)
		}
	}
	c.RatioRequests, c.RatioP99 = spreadOf(rr), spreadOf(pr)
	if c.RatioRequests == nil {
		c.RatioNote = "no ratios: PostGraphile answered nothing OK"
	}
	return c
}

// ---------------------------------------------------------------------------
// The relationship map

// mapResult are the figures of the sequential relationshipMap requests.
type mapResult struct {
	Characters    int       `json:"characters"`
	Relationships int       `json:"relationships"`
	Check         string    `json:"check"`
	Run           *queryRun `json:"run,omitempty"`
}

// mapPhase checks the map's size once, then sends --map-requests requests one at a
// time, metered like a run.
func (b *queryBench) mapPhase(ctx context.Context) error {
	res := &mapResult{Characters: len(b.mapEco.cast), Relationships: len(b.mapEco.bonds)}
	b.report.Map = res
	op := operation{ensembleMap, map[string]any{"e": b.mapEco.gid}}
	var out struct {
		RelationshipMap struct {
			Nodes []struct{ ID string }
			Edges []struct{ From, To string }
		}
	}
	if err := b.api.do(ctx, op.Query, op.Variables, &out); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		res.Check = "answered with an error: " + err.Error()
	} else if n, e := len(out.RelationshipMap.Nodes), len(out.RelationshipMap.Edges); n != res.Characters || e != res.Relationships {
		res.Check = fmt.Sprintf("DIFFERS: %d nodes and %d edges, want %d and %d", n, e, res.Characters, res.Relationships)
	} else {
		res.Check = fmt.Sprintf("%d nodes and %d edges, as generated", n, e)
	}
	// The warm-up below is three requests, not --warmup.
	if err := b.settle(ctx, 0); err != nil {
		return err
	}
	s := b.servers[0]
	b.logf("map: %d sequential requests", b.opts.MapRequests)
	spec := loadSpec{url: s.url, token: s.token, body: op.body(), timeout: b.opts.Timeout}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	defer client.CloseIdleConnections()
	var buf bytes.Buffer
	for range 3 { // warm-up: the first map builds the ecosystem's graph snapshot
		post(ctx, client, spec, &buf)
	}
	before, err := b.read(ctx, s)
	if err != nil {
		return err
	}
	run := queryRun{Workload: workloadMap, Server: s.name, Connections: 1, Round: 1, Tally: loadTally{Codes: map[string]int64{}}}
	var took []time.Duration
	start := time.Now()
	for range b.opts.MapRequests {
		t0 := time.Now()
		o, code := post(ctx, client, spec, &buf)
		d := time.Since(t0)
		if o == outcomeAborted {
			return ctx.Err()
		}
		run.Tally.count(o, code)
		if o == outcomeOK {
			took = append(took, d)
		}
	}
	run.Tally.WindowSeconds = time.Since(start).Seconds()
	after, err := b.read(ctx, s)
	if err != nil {
		return err
	}
	run.Tally.Latency = summarize(took)
	run.RequestsPerSecond = float64(run.Tally.OK) / run.Tally.WindowSeconds
	b.cost(&run, before, after)
	res.Run = &run
	return nil
}

// ---------------------------------------------------------------------------
// Overload

// overloadStep is one step of the search for the peak.
type overloadStep struct {
	Connections       int     `json:"connections"`
	RequestsPerSecond float64 `json:"requestsPerSecond"`
	P99               float64 `json:"p99Ms"`
	// Codes counts the answers that were not OK, by code, timeouts included.
	Codes map[string]int64 `json:"codes"`
}

// overloadResult is one server at 4x the connections of its peak.
type overloadResult struct {
	Server  string         `json:"server"`
	Skipped string         `json:"skipped,omitempty"`
	Ladder  []overloadStep `json:"ladder"`
	Peak    *overloadStep  `json:"peak,omitempty"`
	Run     *queryRun      `json:"run,omitempty"`
	// RelativeToPeak is the run's OK throughput over the peak's.
	RelativeToPeak float64 `json:"relativeToPeak"`
}

// overloadPhase finds each server's peak on the nested query, doubling connections
// until two steps in a row fall 10% below the best (or requests time out), then runs
// 4x the peak's connections for --duration.
func (b *queryBench) overloadPhase(ctx context.Context) error {
	if b.opts.OverloadStep == 0 {
		return nil
	}
	w := b.workloads[0]
	for _, s := range b.servers {
		res := overloadResult{Server: s.name, Ladder: []overloadStep{}}
		if s.name == serverEnsemble && b.nestedError != "" {
			res.Skipped = "Ensemble answered the nested query with an error during the check: " + b.nestedError
			b.report.Overload = append(b.report.Overload, res)
			continue
		}
		// The search reads no meters: it needs no quiet before it.
		body := w.op(s).body()
		var best overloadStep
		below := 0
		for _, conns := range overloadLadder {
			b.logf("overload: %s, %d connections for %s", s.name, conns, b.opts.OverloadStep)
			t := runLoad(ctx, loadSpec{url: s.url, token: s.token, body: body, conns: conns,
				warmup: min(b.opts.Warmup, time.Second), window: b.opts.OverloadStep, timeout: b.opts.Timeout}, func(bool) {})
			if ctx.Err() != nil {
				return ctx.Err()
			}
			step := overloadStep{Connections: conns, RequestsPerSecond: float64(t.OK) / t.WindowSeconds, P99: t.Latency.P99, Codes: t.Codes}
			if t.Failures > 0 {
				step.Codes["transport failure"] = t.Failures
			}
			res.Ladder = append(res.Ladder, step)
			if step.RequestsPerSecond > best.RequestsPerSecond {
				best, below = step, 0
			} else if step.RequestsPerSecond < 0.9*best.RequestsPerSecond {
				below++
			}
			if below == 2 || t.Timeouts+t.AfterTimeouts > 0 {
				break
			}
		}
		if best.RequestsPerSecond == 0 {
			res.Skipped = "no OK answer at any step"
			b.report.Overload = append(b.report.Overload, res)
			continue
		}
		res.Peak = &best
		if err := b.settle(ctx, b.opts.Warmup); err != nil {
			return err
		}
		conns := 4 * best.Connections
		b.logf("overload: %s, %d connections (4x the peak) for %s, client timeout %s", s.name, conns, b.opts.Duration, b.opts.Timeout)
		run, err := b.measure(ctx, s, loadSpec{url: s.url, token: s.token, body: body, conns: conns,
			warmup: b.opts.Warmup, window: b.opts.Duration, timeout: b.opts.Timeout}, workloadNested, 1)
		if err != nil {
			return err
		}
		res.Run = &run
		res.RelativeToPeak = run.RequestsPerSecond / best.RequestsPerSecond
		b.report.Overload = append(b.report.Overload, res)
	}
	return nil
}

// ---------------------------------------------------------------------------
// Printing

func (b *queryBench) print(w io.Writer) error {
	if b.opts.JSON {
		return writeReport(w, b.report)
	}
	r := b.report
	p := &printer{w: w}
	m, o := r.Machine, r.Parameters
	p.line("ensemble bench queries: Ensemble and a peer GraphQL server on one database (figures only, nothing asserted)")
	p.line("machine     %s/%s, %d CPUs, GOMAXPROCS %d, %s, %s, RLIMIT_NOFILE %d", m.OS, m.Arch, m.NumCPU, m.GOMAXPROCS, m.CPUModel, m.GoVersion, m.FileLimit)
	p.line("parameters  --peer %s --duration %s --warmup %s --settle %s --rounds %d --connections %s --timeout %s --map-requests %d --overload-step %s",
		o.Peer, o.Duration, o.Warmup, o.Settle, o.Rounds, joinInts(o.Connections), o.Timeout, o.MapRequests, o.OverloadStep)
	p.line("database    %s", r.Database)
	if r.LoadAverage != "" {
		p.line("load        %s (load average when the run started; the machine may be shared)", r.LoadAverage)
	}
	p.line("ensemble    `ensemble serve` as a child process; its environment: %s", strings.Join(r.EnsembleEnv, " "))
	p.line("            per-user and per-address limits are OFF (RATE_LIMIT_*=0 above): every request comes from one user on")
	p.line("            loopback, and PostGraphile runs without auth; GRAPHQL_COMPLEXITY_LIMIT is %s", complexityNote(o.EnsembleEnv))
	if len(o.EnsembleEnv) > 0 {
		p.line("            !! --ensemble-env %s: these figures are not the defaults'", strings.Join(o.EnsembleEnv, " "))
	}
	switch {
	case r.Peer != nil:
		p.line("peer        %s %s on Node %s, %s (%s); no auth; node-postgres pool at its default size", r.Peer.Name, r.Peer.Version, r.Peer.NodeVersion, r.Peer.Folder, r.Peer.Installed)
		p.line("            %s", r.Peer.Command)
	case r.PeerSkipped != "":
		p.line("peer        SKIPPED: %s", r.PeerSkipped)
		p.line("            (Ensemble's side runs alone; no ratios)")
	default:
		p.line("peer        none (--peer none)")
	}
	if d := r.Data; d != nil {
		p.line("data        nested: %d characters, %d relationships (%d-%d outgoing each); map: %d characters, %d relationships; inserted with COPY in %.1f s",
			d.NestedCharacters, d.NestedRelationships, nestedBondMin, nestedBondMax, d.MapCharacters, d.MapRelationships, d.Seconds)
	}
	p.line("figures     req/s counts OK answers (HTTP 200 without errors) finished in the window; costs are per OK answer (the")
	p.line("            window's totals over its OK answers, so refusals' and errors' cost is charged to the requests served);")
	p.line("            server CPU from /proc (PostGraphile: npx and node, its whole process tree); PostgreSQL CPU of the bench")
	p.line("            database's backends; xact = pg_stat_database commits + rollbacks (one per round trip outside a transaction,")
	p.line("            a pipelined batch is one), both less the idle background; other = the machine's busy CPU beyond these")
	if len(r.Operations) > 0 {
		p.section("Operations")
		for _, op := range r.Operations {
			p.line("%-7s %-13s %s", op.Workload, op.Server, op.Query)
		}
	}
	if len(r.Checks) > 0 {
		p.section("Same answers (before measuring)")
		for _, c := range r.Checks {
			verdict := "agree"
			if !c.Agree {
				verdict = "DO NOT AGREE"
			}
			p.line("%-7s %s: %s", c.Workload, verdict, c.Detail)
		}
	}
	if len(r.Statements) > 0 {
		p.section(fmt.Sprintf("Statements per request (Ensemble in this process, traced pools, %d requests one at a time)", statementSamples))
		for _, s := range r.Statements {
			p.line("%-7s %6.2f statements, %6.2f round trips (a pipelined batch once)%s", s.Workload, s.Statements, s.RoundTrips, errorsNote(s.Errors, s.FirstError))
		}
	}
	if bg := r.Background; bg != nil {
		p.section("Background (both servers idle)")
		pg := fmt.Sprintf("%.2f ms/s of PostgreSQL backend CPU", bg.PostgresCPUPerSecond)
		if bg.PostgresCPUError != "" {
			pg = "PostgreSQL CPU unknown: " + bg.PostgresCPUError
		}
		p.line("%.2f transactions/s and %s over %.1f s (Ensemble's job queue polls): subtracted from every window", bg.TransactionsPerSecond, pg, bg.Seconds)
	}
	if len(r.Runs) > 0 {
		p.section("Runs")
		p.runHeader()
		for _, run := range r.Runs {
			p.run(run)
		}
	}
	if len(r.Cells) > 0 {
		p.section("Summary over the rounds (min-max)")
		p.line("%-7s %5s  %-27s %-27s %-12s %-12s", "", "conns", "Ensemble req/s (p99 ms)", "PostGraphile req/s (p99 ms)", "req/s ratio", "p99 ratio")
		for _, c := range r.Cells {
			ratio, p99 := c.RatioNote, ""
			if c.RatioRequests != nil {
				ratio = spreadText(c.RatioRequests, "%.2f")
				p99 = spreadText(c.RatioP99, "%.2f")
			}
			p.line("%-7s %5d  %-27s %-27s %-12s %-12s", c.Workload, c.Connections, cellText(c, serverEnsemble), cellText(c, serverPeer), ratio, p99)
			for _, code := range slices.Sorted(maps.Keys(c.Errors)) {
				p.line("        !! %d answers not OK: %s", c.Errors[code], code)
			}
		}
		p.line("ratios are Ensemble / PostGraphile within a round (req/s: higher is better for Ensemble; p99: lower is)")
	}
	if mr := r.Map; mr != nil {
		p.section(fmt.Sprintf("relationshipMap, object form, %d characters / %d relationships, one request at a time (Ensemble)", mr.Characters, mr.Relationships))
		p.line("check       %s", mr.Check)
		if run := mr.Run; run != nil {
			p.line("requests    %d OK of %d in %.1f s%s", run.Tally.OK, b.opts.MapRequests, run.Tally.WindowSeconds, tallyErrors(run.Tally))
			l := run.Tally.Latency
			p.line("latency     p50 %.2f ms, p95 %.2f ms, p99 %.2f ms, max %.2f ms", l.P50, l.P95, l.P99, l.Max)
			c := run.PerOK
			p.line("per request server CPU %.2f ms, PostgreSQL CPU %.2f ms, %.2f transactions", c.ServerCPUMs, c.PostgresCPUMs, c.Transactions)
		}
	}
	if len(r.Overload) > 0 {
		p.section(fmt.Sprintf("Overload: the nested query at 4x the connections of the peak, client timeout %s", o.Timeout))
		for _, ov := range r.Overload {
			p.overload(ov)
		}
	}
	p.logs(liveReport{ServerLogs: r.ServerLogs, LogDir: r.LogDir})
	if r.Error != "" {
		p.line("\nthe run stopped early: %s", r.Error)
	}
	return p.err
}

func (p *printer) runHeader() {
	p.line("%-7s %5s %5s %-12s %9s %9s %9s %9s %8s %8s %8s %7s %8s %7s", "", "conns", "round", "server", "req/s",
		"p50 ms", "p95 ms", "p99 ms", "answers", "srv ms", "pg ms", "xact", "bench ms", "other s")
}

func (p *printer) run(r queryRun) {
	t := r.Tally
	p.line("%-7s %5d %5d %-12s %9.1f %9.2f %9.2f %9.2f %8d %8.2f %8.2f %7.2f %8.2f %7.1f", r.Workload, r.Connections, r.Round,
		r.Server, r.RequestsPerSecond, t.Latency.P50, t.Latency.P95, t.Latency.P99, t.answered(), r.PerOK.ServerCPUMs,
		r.PerOK.PostgresCPUMs, r.PerOK.Transactions, r.PerOK.BenchCPUMs, r.OtherBusySeconds)
	if e := tallyErrors(t); e != "" {
		c := r.PerAnswer
		p.line("        !!%s; per answer of any kind: srv %.2f ms, pg %.2f ms, %.2f xact", e, c.ServerCPUMs, c.PostgresCPUMs, c.Transactions)
	}
	if r.PostgresCPUError != "" {
		p.line("        PostgreSQL CPU unknown: %s", r.PostgresCPUError)
	}
}

func (p *printer) overload(ov overloadResult) {
	if ov.Skipped != "" {
		p.line("%-12s skipped: %s", ov.Server, clip(ov.Skipped, 300))
		return
	}
	steps := make([]string, len(ov.Ladder))
	for i, s := range ov.Ladder {
		steps[i] = fmt.Sprintf("%d: %.1f", s.Connections, s.RequestsPerSecond)
		var notOK []string
		for _, code := range slices.Sorted(maps.Keys(s.Codes)) {
			notOK = append(notOK, fmt.Sprintf("%d x %s", s.Codes[code], code))
		}
		if len(notOK) > 0 {
			steps[i] += " (not OK: " + strings.Join(notOK, ", ") + ")"
		}
	}
	p.line("%-12s search (connections: req/s) %s", ov.Server, strings.Join(steps, ", "))
	if ov.Peak == nil || ov.Run == nil {
		return
	}
	run, t := ov.Run, ov.Run.Tally
	p.line("%-12s peak %.1f req/s at %d connections; at %d: %.1f req/s = %.0f%% of the peak, p50 %.0f ms, p99 %.0f ms",
		"", ov.Peak.RequestsPerSecond, ov.Peak.Connections, run.Connections, run.RequestsPerSecond, 100*ov.RelativeToPeak,
		t.Latency.P50, t.Latency.P99)
	p.line("%-12s refused with 503/429: %d; other refusals: %d (refusal latency p50 %.1f ms, p99 %.1f ms); GraphQL errors: %d",
		"", t.Shed, t.Refused, t.RefusalLatency.P50, t.RefusalLatency.P99, t.GraphQLErrors)
	p.line("%-12s client timeouts: %d in the window, %d more among the requests in flight when it closed; transport failures: %d%s",
		"", t.Timeouts, t.AfterTimeouts, t.Failures, suffix(t.FirstFailure))
	ok, all := run.PerOK, run.PerAnswer
	p.line("%-12s per OK answer: server CPU %.2f ms, PostgreSQL CPU %.2f ms, %.2f transactions; per answer of any kind: %.2f ms, %.2f ms, %.2f",
		"", ok.ServerCPUMs, ok.PostgresCPUMs, ok.Transactions, all.ServerCPUMs, all.PostgresCPUMs, all.Transactions)
	for _, code := range slices.Sorted(maps.Keys(t.Codes)) {
		p.line("%-12s   %d x %s", "", t.Codes[code], code)
	}
}

// tallyErrors lists what was not OK, or "".
func tallyErrors(t loadTally) string {
	var parts []string
	for _, code := range slices.Sorted(maps.Keys(t.Codes)) {
		parts = append(parts, fmt.Sprintf("%d x %s", t.Codes[code], code))
	}
	if t.Failures > 0 {
		parts = append(parts, fmt.Sprintf("%d transport failures (first: %s)", t.Failures, clip(t.FirstFailure, 200)))
	}
	if t.AfterTimeouts > 0 {
		parts = append(parts, fmt.Sprintf("%d client timeouts after the window", t.AfterTimeouts))
	}
	if len(parts) == 0 {
		return ""
	}
	return " NOT OK: " + strings.Join(parts, "; ")
}

func errorsNote(n int, first string) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("  !! %d answers not OK, first: %s", n, first)
}

func complexityNote(env []string) string {
	for _, kv := range slices.Backward(env) {
		if v, ok := strings.CutPrefix(kv, "GRAPHQL_COMPLEXITY_LIMIT="); ok {
			return v + " (set by --ensemble-env)"
		}
	}
	return "at its default"
}

func cellText(c queryCell, s string) string {
	r := c.RequestsPS[s]
	if r == nil {
		return "-"
	}
	return spreadText(r, "%.1f") + " (" + spreadText(c.P99[s], "%.0f") + ")"
}

func spreadText(s *spread, format string) string {
	if s == nil {
		return "-"
	}
	if s.Min == s.Max {
		return fmt.Sprintf(format, s.Min)
	}
	return fmt.Sprintf(format+"-"+format, s.Min, s.Max)
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}
