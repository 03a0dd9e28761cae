package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"
)

// liveOptions are the flags of `bench live`.
type liveOptions struct {
	Subscribers      int
	Duration         time.Duration
	Senders          int
	Ecosystems       int
	Messages         int
	Interval         time.Duration
	RedisSubscribers int
	DialConcurrency  int
	RedisURL         string
	SkipRedis        bool
	JSON             bool
	KeepLogs         bool
}

func benchLiveCmd() *cobra.Command {
	var o liveOptions
	cmd := &cobra.Command{
		Use:   "live",
		Short: "Benchmark live chat (fan-out, throughput, Redis across two instances) over real server processes",
		Long: `Starts the real server as separate processes on loopback, on a fresh database
(created on DATABASE_URL and dropped afterwards, or a private PostgreSQL), and measures:

  0. the floor: one small frame written to each of as many loopback TCP sockets as the
     fan-out uses, and read back, in this process: what the kernel alone costs; and
     single-row commits per second from --senders clients;
  1. fan-out: --subscribers WebSockets on one conversation of one instance, memory per
     connection and delivery latency of --messages messages and their replies;
  2. throughput: --senders closed-loop senders, each with one subscriber, for --duration;
  3. the same through Redis: senders on instance A, subscribers on instance B.

It prints figures and asserts nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runBenchLive(cmd.Context(), o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.Subscribers, "subscribers", 10000, "WebSocket subscribers of the fan-out scenario")
	f.DurationVar(&o.Duration, "duration", 20*time.Second, "how long the throughput scenarios send")
	f.IntVar(&o.Senders, "senders", 32, "closed-loop senders of the throughput scenarios, one conversation each")
	f.IntVar(&o.Ecosystems, "ecosystems", 8, "ecosystems the throughput conversations are spread over (writes within one ecosystem serialise on its event sequence)")
	f.IntVar(&o.Messages, "messages", 50, "messages sent in the fan-out scenarios (each gets a reply)")
	f.DurationVar(&o.Interval, "interval", 200*time.Millisecond, "time between fan-out messages")
	f.IntVar(&o.RedisSubscribers, "redis-subscribers", 1000, "subscribers on instance B in the Redis fan-out")
	f.IntVar(&o.DialConcurrency, "dial-concurrency", 200, "WebSockets opened at once")
	f.StringVar(&o.RedisURL, "redis-url", "redis://127.0.0.1:6379/0", "Redis for the two-instance scenario")
	f.BoolVar(&o.SkipRedis, "skip-redis", false, "skip the two-instance Redis scenario")
	f.BoolVar(&o.JSON, "json", false, "print the figures as JSON")
	f.BoolVar(&o.KeepLogs, "keep-logs", false, "keep the servers' logs and print where they are")
	return cmd
}

func (o liveOptions) validate() error {
	switch {
	case o.Subscribers < 1 || o.RedisSubscribers < 1 || o.Senders < 1 || o.Messages < 1 || o.Ecosystems < 1:
		return errors.New("bench live: --subscribers, --redis-subscribers, --senders, --ecosystems and --messages must be at least 1")
	case o.Duration <= 0 || o.Interval <= 0:
		return errors.New("bench live: --duration and --interval must be positive")
	case o.DialConcurrency < 1:
		return errors.New("bench live: --dial-concurrency must be at least 1")
	}
	return nil
}

// fileNeed is the descriptors the busiest scenario holds in this process (one per socket,
// plus HTTP connections, the database and logs).
func (o liveOptions) fileNeed() uint64 {
	sockets := max(o.Subscribers, o.RedisSubscribers) + 2*o.Senders
	return uint64(sockets + 512)
}

// liveParams are the options as reported.
type liveParams struct {
	Subscribers      int    `json:"subscribers"`
	Duration         string `json:"duration"`
	Senders          int    `json:"senders"`
	Ecosystems       int    `json:"ecosystems"`
	Messages         int    `json:"messages"`
	Interval         string `json:"interval"`
	RedisSubscribers int    `json:"redisSubscribers"`
	DialConcurrency  int    `json:"dialConcurrency"`
	RedisURL         string `json:"redisUrl"`
	SkipRedis        bool   `json:"skipRedis"`
}

func (o liveOptions) params() liveParams {
	return liveParams{
		Subscribers: o.Subscribers, Duration: o.Duration.String(), Senders: o.Senders, Ecosystems: o.Ecosystems,
		Messages: o.Messages, Interval: o.Interval.String(), RedisSubscribers: o.RedisSubscribers,
		DialConcurrency: o.DialConcurrency, RedisURL: o.RedisURL, SkipRedis: o.SkipRedis,
	}
}

// liveReport is everything `bench live` prints.
type liveReport struct {
	Machine      machineFacts      `json:"machine"`
	Parameters   liveParams        `json:"parameters"`
	Database     string            `json:"database"`
	Floor        *floorResult      `json:"floor,omitempty"`
	CommitFloor  *commitFloor      `json:"commitFloor,omitempty"`
	Fanout       *fanoutResult     `json:"fanout,omitempty"`
	Throughput   *throughputResult `json:"throughput,omitempty"`
	Redis        *redisResult      `json:"redis,omitempty"`
	RedisSkipped string            `json:"redisSkipped,omitempty"`
	ServerLogs   []logSummary      `json:"serverLogs"`
	LogDir       string            `json:"logDir,omitempty"`
	Error        string            `json:"error,omitempty"`
}

// liveBench is one run: the database, the server binary and what the scenarios share.
type liveBench struct {
	opts     liveOptions
	exe      string
	work     string // scratch space removed at the end
	logDir   string
	db       *benchDatabase
	sql      *pgx.Conn // counts stored messages; used by one goroutine at a time
	secret   string    // shared by all instances, so a token from A is valid on B
	migrated bool
	http     *http.Client
	started  time.Time
	progress io.Writer
	report   liveReport
	// extraEnv is configuration every instance gets besides the bench's own.
	extraEnv []string
}

// runBenchLive runs the scenarios and prints the report, also after a failure or Ctrl-C
// (with what was measured so far). Every child process, the bench database and the
// scratch directory are gone when it returns.
func runBenchLive(ctx context.Context, o liveOptions, stdout, stderr io.Writer) (err error) {
	if err := o.validate(); err != nil {
		return err
	}
	files, err := ensureFileLimit(o.fileNeed())
	if err != nil {
		return fmt.Errorf("bench live: %w", err)
	}
	b, err := newLiveBench(o, stderr)
	if err != nil {
		return err
	}
	defer b.close()
	defer func() {
		if err != nil && ctx.Err() != nil {
			err = errors.New("interrupted: servers stopped, bench database removed")
		}
		if err != nil {
			b.report.Error = err.Error()
		}
		if perr := b.print(stdout); perr != nil && err == nil {
			err = perr
		}
	}()
	if b.db, err = openBenchDatabase(ctx, b.work, b.logf); err != nil {
		return err
	}
	b.report.Database = b.db.Describe
	if b.sql, err = pgx.Connect(ctx, withoutPoolParams(b.db.URL)); err != nil {
		return fmt.Errorf("connect to the bench database: %w", err)
	}
	if err := b.floorScenario(ctx, files); err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	if err := b.commitFloorScenario(ctx); err != nil {
		return fmt.Errorf("commit floor: %w", err)
	}
	if err := b.fanoutScenario(ctx); err != nil {
		return fmt.Errorf("fan-out: %w", err)
	}
	if err := b.throughputScenario(ctx); err != nil {
		return fmt.Errorf("throughput: %w", err)
	}
	if err := b.redisScenario(ctx); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}

func newLiveBench(o liveOptions, progress io.Writer) (*liveBench, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("bench live: find the ensemble binary: %w", err)
	}
	work, err := os.MkdirTemp("", "ensemble-bench-")
	if err != nil {
		return nil, fmt.Errorf("bench live: scratch directory: %w", err)
	}
	// PostgreSQL runs as the unprivileged postgres user when we are root: it must be
	// able to walk into the scratch directory to reach its own data directory.
	if err := os.Chmod(work, 0o755); err != nil {
		_ = os.RemoveAll(work)
		return nil, fmt.Errorf("bench live: scratch directory: %w", err)
	}
	logDir := filepath.Join(work, "logs")
	if o.KeepLogs {
		logDir, err = os.MkdirTemp("", "ensemble-bench-logs-")
	} else {
		err = os.Mkdir(logDir, 0o755)
	}
	if err != nil {
		_ = os.RemoveAll(work)
		return nil, fmt.Errorf("bench live: log directory: %w", err)
	}
	b := &liveBench{
		opts: o, exe: exe, work: work, logDir: logDir, secret: randomHex(32), started: time.Now(),
		progress: progress,
		http: &http.Client{Transport: &http.Transport{
			MaxIdleConns: 4 * o.Senders, MaxIdleConnsPerHost: 2 * o.Senders, IdleConnTimeout: time.Minute,
		}},
		report: liveReport{Machine: currentMachine(), Parameters: o.params(), ServerLogs: []logSummary{}},
	}
	if o.KeepLogs {
		b.report.LogDir = logDir
	}
	return b, nil
}

// close releases everything in reverse order of acquisition, with its own deadlines:
// ctx may already be cancelled (Ctrl-C) when it runs.
func (b *liveBench) close() {
	if b.sql != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = b.sql.Close(ctx)
		cancel()
	}
	if b.db != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		if err := b.db.close(ctx); err != nil {
			b.logf("cleanup: %v", err)
		}
		cancel()
	}
	b.http.CloseIdleConnections()
	if err := os.RemoveAll(b.work); err != nil {
		b.logf("cleanup: remove %s: %v", b.work, err)
	}
}

// logf reports progress on stderr, so stdout carries only the report (or its JSON).
func (b *liveBench) logf(format string, args ...any) {
	fmt.Fprintf(b.progress, "[%6.1fs] %s\n", time.Since(b.started).Seconds(), fmt.Sprintf(format, args...))
}

// ---------------------------------------------------------------------------
// Instances and measurements

// messageCounts are the messages stored in the whole bench database.
type messageCounts struct{ user, replies int64 }

// countMessages reads the counts straight from the database: the one figure no client
// can be wrong about. Replies are every message not written by a user.
func (b *liveBench) countMessages(ctx context.Context) (messageCounts, error) {
	var c messageCounts
	err := b.sql.QueryRow(ctx, `SELECT count(*) FILTER (WHERE sender_kind = 'USER'),
	       count(*) FILTER (WHERE sender_kind <> 'USER') FROM messages`).Scan(&c.user, &c.replies)
	if err != nil {
		return c, fmt.Errorf("count messages: %w", err)
	}
	return c, nil
}

// redisTarget puts an instance on a Redis bus.
type redisTarget struct{ url, channel string }

// startInstance runs `ensemble serve` and waits until it is ready. The child gets a
// minimal environment, not ours, so nothing (an LLM endpoint, a Redis URL, a .env in the
// working directory) changes what is measured without the report saying so.
func (b *liveBench) startInstance(ctx context.Context, name string, bus *redisTarget) (*instance, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(b.work, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("instance %s: %w", name, err)
	}
	in := &instance{name: name, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		logPath: filepath.Join(b.logDir, name+".log"), exited: make(chan struct{}),
		onStop: func(s logSummary) { b.report.ServerLogs = append(b.report.ServerLogs, s) }}
	logFile, err := os.Create(in.logPath)
	if err != nil {
		return nil, fmt.Errorf("instance %s: log: %w", name, err)
	}
	defer logFile.Close() // the child has its own descriptor once started
	in.cmd = exec.Command(b.exe, "serve")
	in.cmd.Dir = dir
	in.cmd.Env = b.instanceEnv(in.addr, dir, !b.migrated, bus)
	in.cmd.Stdout, in.cmd.Stderr = logFile, logFile
	// A process group of its own keeps a terminal's Ctrl-C away from the servers, so
	// they are stopped in order (clients first); Pdeathsig takes them down if we die.
	in.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := in.cmd.Start(); err != nil {
		return nil, fmt.Errorf("instance %s: start %s serve: %w", name, b.exe, err)
	}
	go func() { in.exitErr = in.cmd.Wait(); close(in.exited) }()
	b.logf("instance %s: pid %d on %s, waiting for /health/ready", name, in.cmd.Process.Pid, in.addr)
	if err := in.waitReady(ctx, b.http, 2*time.Minute); err != nil {
		in.stop(b.logf)
		return nil, err
	}
	b.migrated = true
	return in, nil
}

func (b *liveBench) instanceEnv(addr, dir string, migrate bool, bus *redisTarget) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"ADDR=" + addr,
		"DATABASE_URL=" + b.db.URL,
		"ENSEMBLE_DATA_DIR=" + dir,
		"SECRET_KEY=" + b.secret,
		// Registration is not what is measured: argon2id at its real cost would only
		// slow the setup down.
		"PASSWORD_HASH_MEMORY_KIB=64",
		"PASSWORD_HASH_ITERATIONS=1",
		"AUTO_MIGRATE=" + strconv.FormatBool(migrate),
		// One user watches through thousands of sockets, and every client sends from
		// loopback: per-user and per-address limits would measure themselves.
		"WS_MAX_SOCKETS_PER_USER=0",
		"MAX_SUBSCRIPTIONS_PER_USER=0",
		"RATE_LIMIT_REGISTRATIONS_PER_HOUR=0",
		"RATE_LIMIT_COST_PER_MINUTE=0",
		"RATE_LIMIT_ANONYMOUS_COST_PER_MINUTE=0",
	}
	if bus != nil {
		env = append(env, "REDIS_URL="+bus.url, "REDIS_EVENTS_CHANNEL="+bus.channel)
	}
	return append(env, b.extraEnv...)
}

// phaseCost is what one measured phase cost the machine.
type phaseCost struct {
	Seconds   float64            `json:"seconds"`
	ServerCPU map[string]float64 `json:"serverCpuSeconds"`
	BenchCPU  float64            `json:"benchCpuSeconds"`
	// DBTransactions counts the bench database's transactions (pg_stat_database): how
	// much database work the phase took, read-backs by subscriptions included.
	DBTransactions int64 `json:"dbTransactions"`
	// MessageReads counts scans of the messages table (pg_stat_user_tables): replies
	// read the recent lines, and subscriptions read back what they missed live.
	MessageReads int64 `json:"messageReads"`
}

// costMeter measures a phaseCost between start and stop.
type costMeter struct {
	start     time.Time
	instances []*instance
	cpu       []float64
	self      float64
	db        dbActivity
}

func (b *liveBench) startMeter(ctx context.Context, instances ...*instance) (*costMeter, error) {
	if len(instances) == 2 && instances[0] == instances[1] {
		instances = instances[:1]
	}
	m := &costMeter{instances: instances, cpu: make([]float64, len(instances))}
	for i, in := range instances {
		c, err := in.cpuSeconds()
		if err != nil {
			return nil, err
		}
		m.cpu[i] = c
	}
	db, err := b.dbActivity(ctx)
	if err != nil {
		return nil, err
	}
	m.db, m.self, m.start = db, selfCPUSeconds(), time.Now()
	return m, nil
}

func (b *liveBench) stopMeter(ctx context.Context, m *costMeter) (phaseCost, error) {
	c := phaseCost{Seconds: time.Since(m.start).Seconds(), BenchCPU: selfCPUSeconds() - m.self, ServerCPU: map[string]float64{}}
	for i, in := range m.instances {
		now, err := in.cpuSeconds()
		if err != nil {
			return c, err
		}
		c.ServerCPU[in.name] = now - m.cpu[i]
	}
	db, err := b.dbActivity(ctx)
	if err != nil {
		return c, err
	}
	c.DBTransactions, c.MessageReads = db.transactions-m.db.transactions, db.messageReads-m.db.messageReads
	return c, nil
}

// dbActivity are the bench database's cumulative counters.
type dbActivity struct{ transactions, messageReads int64 }

// dbActivity reads the bench database's statistics. PostgreSQL publishes backends'
// counts with a delay of about a second, which is noise at these totals.
func (b *liveBench) dbActivity(ctx context.Context) (dbActivity, error) {
	var a dbActivity
	err := b.sql.QueryRow(ctx, `SELECT
	    (SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()),
	    (SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables WHERE relname = 'messages')`).
		Scan(&a.transactions, &a.messageReads)
	if err != nil {
		return a, fmt.Errorf("read database statistics: %w", err)
	}
	return a, nil
}

// ---------------------------------------------------------------------------
// GraphQL over HTTP

// gqlClient calls one instance's /graphql as one user.
type gqlClient struct {
	endpoint string
	token    string
	http     *http.Client
}

// The operations the bench needs; replies come from the offline storyteller.
const (
	opRegister  = `mutation($u:String!,$e:String!,$p:String!){register(input:{username:$u,email:$e,password:$p}){accessToken}}`
	opEcosystem = `mutation($n:String!){createEcosystem(input:{name:$n}){id}}`
	opCharacter = `mutation($e:ID!,$n:String!){createCharacter(input:{ecosystemId:$e,name:$n}){id}}`
	opStart     = `mutation($e:ID!,$c:ID!){startConversation(input:{ecosystemId:$e,kind:DIRECT,characterIds:[$c]}){id}}`
	opSend      = `mutation($c:ID!,$t:String!){sendMessage(input:{conversationId:$c,content:$t}){message{seq}}}`
	opHead      = `query($c:ID!){conversation(id:$c){messageCount messages(last:1){nodes{seq cursor}}}}`
	// subFollow asks for only what latency and loss need, so clients parse little.
	subFollow = `subscription($c:ID!,$a:String){messageAdded(conversationId:$c,after:$a){seq createdAt}}`
)

type gqlError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions"`
}

// do posts one operation and decodes its data into out; GraphQL errors are errors.
func (c gqlClient) do(ctx context.Context, query string, vars map[string]any, out any) error {
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		return fmt.Errorf("encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var r struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return fmt.Errorf("HTTP %d: decode response: %w", resp.StatusCode, err)
	}
	if len(r.Errors) > 0 {
		return fmt.Errorf("HTTP %d: %s (code %v)", resp.StatusCode, r.Errors[0].Message, r.Errors[0].Extensions["code"])
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		return fmt.Errorf("decode data: %w", err)
	}
	return nil
}

// register signs up a fresh user on in and returns a client carrying its token.
func (b *liveBench) register(ctx context.Context, in *instance, label string) (gqlClient, error) {
	c := gqlClient{endpoint: in.gqlURL(), http: b.http}
	name := "bench_" + label + "_" + randomHex(3)
	var out struct{ Register struct{ AccessToken string } }
	err := c.do(ctx, opRegister, map[string]any{"u": name, "e": name + "@bench.invalid", "p": "bench-" + randomHex(8)}, &out)
	if err != nil {
		return c, fmt.Errorf("register %s: %w", name, err)
	}
	c.token = out.Register.AccessToken
	return c, nil
}

func (c gqlClient) createEcosystem(ctx context.Context, name string) (string, error) {
	var out struct{ CreateEcosystem struct{ ID string } }
	if err := c.do(ctx, opEcosystem, map[string]any{"n": name}, &out); err != nil {
		return "", fmt.Errorf("createEcosystem: %w", err)
	}
	return out.CreateEcosystem.ID, nil
}

func (c gqlClient) createCharacter(ctx context.Context, eco, name string) (string, error) {
	var out struct{ CreateCharacter struct{ ID string } }
	if err := c.do(ctx, opCharacter, map[string]any{"e": eco, "n": name}, &out); err != nil {
		return "", fmt.Errorf("createCharacter: %w", err)
	}
	return out.CreateCharacter.ID, nil
}

func (c gqlClient) startConversation(ctx context.Context, eco, character string) (string, error) {
	var out struct{ StartConversation struct{ ID string } }
	if err := c.do(ctx, opStart, map[string]any{"e": eco, "c": character}, &out); err != nil {
		return "", fmt.Errorf("startConversation: %w", err)
	}
	return out.StartConversation.ID, nil
}

// send stores a user message and returns its seq; the reply follows in the background.
func (c gqlClient) send(ctx context.Context, conv, text string) (int64, error) {
	var out struct {
		SendMessage struct{ Message struct{ Seq int64 } }
	}
	if err := c.do(ctx, opSend, map[string]any{"c": conv, "t": text}, &out); err != nil {
		return 0, fmt.Errorf("sendMessage: %w", err)
	}
	return out.SendMessage.Message.Seq, nil
}

// conversationHead is how many messages a conversation has and where its last one is.
type conversationHead struct {
	count  int64
	seq    int64
	cursor string
}

func (c gqlClient) head(ctx context.Context, conv string) (conversationHead, error) {
	var out struct {
		Conversation *struct {
			MessageCount int64
			Messages     struct {
				Nodes []struct {
					Seq    int64
					Cursor string
				}
			}
		}
	}
	if err := c.do(ctx, opHead, map[string]any{"c": conv}, &out); err != nil {
		return conversationHead{}, fmt.Errorf("conversation: %w", err)
	}
	if out.Conversation == nil {
		return conversationHead{}, fmt.Errorf("conversation %s not found", conv)
	}
	h := conversationHead{count: out.Conversation.MessageCount}
	if n := out.Conversation.Messages.Nodes; len(n) > 0 {
		h.seq, h.cursor = n[len(n)-1].Seq, n[len(n)-1].Cursor
	}
	return h, nil
}

// waitCount polls until conv holds at least want messages (replies are written in the
// background) and returns its head then.
func (c gqlClient) waitCount(ctx context.Context, conv string, want int64, limit time.Duration) (conversationHead, error) {
	deadline := time.Now().Add(limit)
	for {
		h, err := c.head(ctx, conv)
		if err != nil || h.count >= want {
			return h, err
		}
		if time.Now().After(deadline) {
			return h, fmt.Errorf("conversation %s has %d messages after %s, want %d (replies not written?)", conv, h.count, limit, want)
		}
		select {
		case <-ctx.Done():
			return h, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// benchConversation is a conversation ready to follow: it holds a first message and its
// reply, and cursor points after them, so a subscriber misses nothing sent later however
// long its subscription takes to start.
type benchConversation struct {
	id     string
	cursor string
	seq    int64 // the seq cursor points at
}

// openConversations creates k ecosystems with n characters among them and a direct
// conversation with each, and writes a first exchange in every one.
func openConversations(ctx context.Context, c gqlClient, n, k int) ([]benchConversation, error) {
	ecos := make([]string, min(n, k))
	for i := range ecos {
		eco, err := c.createEcosystem(ctx, "bench "+randomHex(3))
		if err != nil {
			return nil, err
		}
		ecos[i] = eco
	}
	convs := make([]benchConversation, n)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i := range convs {
		g.Go(func() error {
			conv, err := openConversation(gctx, c, ecos[i%len(ecos)], i)
			convs[i] = conv
			return err
		})
	}
	return convs, g.Wait()
}

func openConversation(ctx context.Context, c gqlClient, eco string, i int) (benchConversation, error) {
	char, err := c.createCharacter(ctx, eco, fmt.Sprintf("Speaker %d", i+1))
	if err != nil {
		return benchConversation{}, err
	}
	id, err := c.startConversation(ctx, eco, char)
	if err != nil {
		return benchConversation{}, err
	}
	if _, err := c.send(ctx, id, "Good morning. Shall we begin?"); err != nil {
		return benchConversation{}, err
	}
	h, err := c.waitCount(ctx, id, 2, time.Minute)
	if err != nil {
		return benchConversation{}, err
	}
	return benchConversation{id: id, cursor: h.cursor, seq: h.seq}, nil
}

// ---------------------------------------------------------------------------
// WebSocket subscribers

// delivery is one next message as a subscriber saw it (times in Unix nanoseconds).
type delivery struct {
	seq     int64
	recv    int64
	created int64
}

func (d delivery) latency() time.Duration { return time.Duration(d.recv - d.created) }

// subscriber is one graphql-transport-ws socket following one conversation. A single
// goroutine reads it and does as little as possible, since the clients share the CPUs
// with the server they measure.
type subscriber struct {
	conn    *websocket.Conn
	conv    int // index into the scenario's conversations
	got     atomic.Int64
	closing atomic.Bool
	done    chan struct{}
	buf     bytes.Buffer
	// Owned by the reading goroutine until done is closed.
	seen    []delivery
	failure error
}

var (
	pongFrame = []byte(`{"type":"pong"}`)
	ackWait   = 30 * time.Second
)

// dialSubscriber opens a socket, authenticates, subscribes to conv after its cursor and
// starts reading.
func dialSubscriber(ctx context.Context, client *http.Client, wsURL, token string, conv benchConversation, index, capacity int) (*subscriber, error) {
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
	if err := initialize(ctx, conn, token, conv); err != nil {
		_ = conn.CloseNow()
		return nil, err
	}
	s := &subscriber{conn: conn, conv: index, done: make(chan struct{}), seen: make([]delivery, 0, capacity)}
	go s.read()
	return s, nil
}

// initialize sends connection_init, waits for the acknowledgement and subscribes.
func initialize(ctx context.Context, conn *websocket.Conn, token string, conv benchConversation) error {
	init := []byte(`{"type":"connection_init","payload":{"authorization":"Bearer ` + token + `"}}`)
	if err := conn.Write(ctx, websocket.MessageText, init); err != nil {
		return fmt.Errorf("send connection_init: %w", err)
	}
	for {
		_, b, err := conn.Read(ctx)
		if err != nil {
			return fmt.Errorf("wait for connection_ack: %w", err)
		}
		if t := frameType(b); t == "connection_ack" {
			break
		} else if t != "ping" && t != "pong" {
			return fmt.Errorf("want connection_ack, got %.200s", b)
		}
	}
	payload, err := json.Marshal(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query": subFollow, "variables": map[string]any{"c": conv.id, "a": conv.cursor},
	}})
	if err != nil {
		return fmt.Errorf("encode subscribe: %w", err)
	}
	if err := conn.Write(ctx, websocket.MessageText, payload); err != nil {
		return fmt.Errorf("send subscribe: %w", err)
	}
	return nil
}

// read records every next message until the socket ends. It reads with a background
// context on purpose: a cancellable one costs a timer registration per message on a
// context shared by thousands of sockets; close ends the read instead.
func (s *subscriber) read() {
	defer close(s.done)
	for {
		_, r, err := s.conn.Reader(context.Background())
		if err == nil {
			s.buf.Reset()
			_, err = s.buf.ReadFrom(r)
		}
		if err == nil {
			err = s.handle(s.buf.Bytes())
		}
		if err != nil {
			if !s.closing.Load() {
				s.failure = err
			}
			return
		}
	}
}

func (s *subscriber) handle(frame []byte) error {
	recv := time.Now().UnixNano()
	switch frameType(frame) {
	case "next":
		seq, created, err := parseNext(frame)
		if err != nil {
			return err
		}
		s.seen = append(s.seen, delivery{seq: seq, recv: recv, created: created})
		s.got.Add(1)
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

// close ends the socket with a normal closure and waits for the reader to finish; the
// recorded deliveries may be read afterwards.
func (s *subscriber) close() {
	if s.closing.CompareAndSwap(false, true) {
		_ = s.conn.Close(websocket.StatusNormalClosure, "bench done")
	}
	<-s.done
}

// closeAll closes sockets a few hundred at a time: each close waits for the server's
// close frame, and one at a time would take minutes for ten thousand.
func closeAll(subs []*subscriber) {
	var wg sync.WaitGroup
	work := make(chan *subscriber)
	for range min(256, len(subs)) {
		wg.Go(func() {
			for s := range work {
				s.close()
			}
		})
	}
	for _, s := range subs {
		if s != nil {
			work <- s
		}
	}
	close(work)
	wg.Wait()
}

// frameType reads the "type" of a graphql-transport-ws message by scanning its bytes
// (the server writes compact JSON).
func frameType(b []byte) string {
	v, ok := stringAfter(b, `"type":"`)
	if !ok {
		return ""
	}
	return string(v)
}

// parseNext reads seq and createdAt of a messageAdded next message without decoding
// the rest.
func parseNext(b []byte) (seq int64, created int64, err error) {
	i := bytes.Index(b, []byte(`"seq":`))
	if i < 0 {
		return 0, 0, fmt.Errorf("next without seq: %.300s", b)
	}
	digits := b[i+len(`"seq":`):]
	end := 0
	for end < len(digits) && digits[end] >= '0' && digits[end] <= '9' {
		end++
	}
	if seq, err = strconv.ParseInt(string(digits[:end]), 10, 64); err != nil {
		return 0, 0, fmt.Errorf("next with a bad seq: %.300s", b)
	}
	at, ok := stringAfter(b, `"createdAt":"`)
	if !ok {
		return 0, 0, fmt.Errorf("next without createdAt: %.300s", b)
	}
	t, err := time.Parse(time.RFC3339Nano, string(at))
	if err != nil {
		return 0, 0, fmt.Errorf("next with a bad createdAt: %w", err)
	}
	return seq, t.UnixNano(), nil
}

// stringAfter returns the bytes between prefix and the next quote.
func stringAfter(b []byte, prefix string) ([]byte, bool) {
	i := bytes.Index(b, []byte(prefix))
	if i < 0 {
		return nil, false
	}
	rest := b[i+len(prefix):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 {
		return nil, false
	}
	return rest[:end], true
}

// dialStats describe how connecting went.
type dialStats struct {
	connected int
	retries   int64
	failures  int
	firstErr  string
	elapsed   time.Duration
}

// connectAll opens n subscribers on wsURL, the i-th following convs[i % len(convs)],
// a bounded number at a time, retrying a failed dial a few times (a loopback accept
// queue overflows now and then under a burst). Sockets that never open are counted, not
// fatal; a cancelled ctx is.
func (b *liveBench) connectAll(ctx context.Context, wsURL, token string, convs []benchConversation, n, capacity int) ([]*subscriber, dialStats, error) {
	subs := make([]*subscriber, n)
	var st dialStats
	var mu sync.Mutex
	var retries atomic.Int64
	start := time.Now()
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(b.opts.DialConcurrency, n) {
		wg.Go(func() {
			for i := range work {
				s, err := dialWithRetry(ctx, b.http, wsURL, token, convs[i%len(convs)], i%len(convs), capacity, &retries)
				mu.Lock()
				if err != nil && st.firstErr == "" {
					st.firstErr = err.Error()
				}
				if err != nil {
					st.failures++
				}
				mu.Unlock()
				subs[i] = s
			}
		})
	}
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		work <- i
		if (i+1)%2000 == 0 {
			b.logf("  %d of %d sockets dialled", i+1, n)
		}
	}
	close(work)
	wg.Wait()
	st.elapsed, st.retries = time.Since(start), retries.Load()
	subs = compact(subs)
	st.connected = len(subs)
	if ctx.Err() != nil {
		closeAll(subs)
		return nil, st, ctx.Err()
	}
	if len(subs) == 0 {
		return nil, st, fmt.Errorf("no subscriber could connect: %s", st.firstErr)
	}
	return subs, st, nil
}

func dialWithRetry(ctx context.Context, client *http.Client, wsURL, token string, conv benchConversation, index, capacity int, retries *atomic.Int64) (*subscriber, error) {
	backoff := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		s, err := dialSubscriber(ctx, client, wsURL, token, conv, index, capacity)
		if err == nil || attempt == 4 || ctx.Err() != nil {
			return s, err
		}
		retries.Add(1)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(backoff):
		}
		backoff *= 2
	}
}

func compact(subs []*subscriber) []*subscriber {
	out := subs[:0]
	for _, s := range subs {
		if s != nil {
			out = append(out, s)
		}
	}
	return out
}

// waitDelivered waits until every subscriber has received want(s) messages, giving up
// when nothing arrives for stall or after limit. It reports how long it waited and
// whether everything came.
func waitDelivered(ctx context.Context, subs []*subscriber, want func(*subscriber) int64, stall, limit time.Duration) (time.Duration, bool, error) {
	start := time.Now()
	lastProgress, lastTotal := start, int64(-1)
	for {
		var total int64
		complete := true
		for _, s := range subs {
			got := s.got.Load()
			total += got
			complete = complete && got >= want(s)
		}
		now := time.Now()
		if complete {
			return now.Sub(start), true, nil
		}
		if total != lastTotal {
			lastProgress, lastTotal = now, total
		}
		if now.Sub(lastProgress) > stall || now.Sub(start) > limit {
			return now.Sub(start), false, nil
		}
		select {
		case <-ctx.Done():
			return now.Sub(start), false, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// lossReport is what subscribers did not get, got twice, or got out of order.
type lossReport struct {
	ClientsMissing   int    `json:"clientsMissing"`
	Missing          int64  `json:"missingMessages"`
	Duplicates       int64  `json:"duplicates"`
	OutOfOrder       int64  `json:"outOfOrder"`
	SocketsEnded     int    `json:"socketsEndedEarly"`
	FirstSocketError string `json:"firstSocketError,omitempty"`
}

// add checks one subscriber's deliveries against every seq in (from, to].
func (l *lossReport) add(s *subscriber, from, to int64) {
	if s.failure != nil {
		l.SocketsEnded++
		if l.FirstSocketError == "" {
			l.FirstSocketError = s.failure.Error()
		}
	}
	have := make([]bool, max(0, to-from))
	var last, distinct int64
	for _, d := range s.seen {
		if d.seq <= from || d.seq > to {
			continue
		}
		if d.seq <= last {
			l.OutOfOrder++
		}
		last = d.seq
		if have[d.seq-from-1] {
			l.Duplicates++
			continue
		}
		have[d.seq-from-1] = true
		distinct++
	}
	if missing := (to - from) - distinct; missing > 0 {
		l.ClientsMissing++
		l.Missing += missing
	}
}

// ---------------------------------------------------------------------------
// Scenario: fan-out

// fanoutResult are the figures of one fan-out run.
type fanoutResult struct {
	// Complete is false when the run stopped before the figures were in.
	Complete          bool           `json:"complete"`
	SendInstance      string         `json:"sendInstance"`
	SubscribeInstance string         `json:"subscribeInstance"`
	Subscribers       int            `json:"subscribers"`
	Connected         int            `json:"connected"`
	DialRetries       int64          `json:"dialRetries"`
	DialFailures      int            `json:"dialFailures"`
	FirstDialError    string         `json:"firstDialError,omitempty"`
	ConnectSeconds    float64        `json:"connectSeconds"`
	LiveSeconds       float64        `json:"liveSeconds"`
	AllLive           bool           `json:"allLive"`
	RSSBeforeKiB      int64          `json:"rssBeforeKiB"`
	RSSAfterKiB       int64          `json:"rssAfterKiB"`
	KiBPerConnection  float64        `json:"kibPerConnection"`
	Messages          int            `json:"messages"`
	Interval          string         `json:"interval"`
	SendErrors        int            `json:"sendErrors"`
	FirstSendError    string         `json:"firstSendError,omitempty"`
	Expected          int64          `json:"expected"`
	Delivered         int64          `json:"delivered"`
	RepliesSeconds    float64        `json:"repliesSeconds"`
	RepliesMissing    int64          `json:"repliesMissing"`
	DrainSeconds      float64        `json:"drainSeconds"`
	Cost              phaseCost      `json:"messagePhaseCost"`
	Loss              lossReport     `json:"loss"`
	Send              latencySummary `json:"sendMessage"`
	Delivery          latencySummary `json:"delivery"`
	UserDelivery      latencySummary `json:"deliveryUserMessages"`
	ReplyDelivery     latencySummary `json:"deliveryReplies"`
}

func (b *liveBench) fanoutScenario(ctx context.Context) error {
	in, err := b.startInstance(ctx, "fanout", nil)
	if err != nil {
		return err
	}
	defer in.stop(b.logf)
	res, err := b.runFanout(ctx, in, in, b.opts.Subscribers)
	b.report.Fanout = res
	return err
}

// runFanout follows one conversation on sub with n sockets and sends the scenario's
// messages on send.
func (b *liveBench) runFanout(ctx context.Context, send, sub *instance, n int) (*fanoutResult, error) {
	res := &fanoutResult{SendInstance: send.name, SubscribeInstance: sub.name, Subscribers: n,
		Messages: b.opts.Messages, Interval: b.opts.Interval.String()}
	api, err := b.register(ctx, send, "fanout")
	if err != nil {
		return res, err
	}
	convs, err := openConversations(ctx, api, 1, 1)
	if err != nil {
		return res, err
	}
	conv := convs[0]
	if res.RSSBeforeKiB, err = sub.rssKiB(); err != nil {
		return res, err
	}
	b.logf("fan-out: connecting %d subscribers to %s (%d at a time)", n, sub.name, b.opts.DialConcurrency)
	subs, st, err := b.connectAll(ctx, sub.wsURL(), api.token, convs, n, 2*b.opts.Messages+4)
	res.Connected, res.DialRetries, res.DialFailures, res.FirstDialError = st.connected, st.retries, st.failures, st.firstErr
	res.ConnectSeconds = st.elapsed.Seconds()
	if err != nil {
		return res, err
	}
	defer closeAll(subs)
	if err := b.syncSubscribers(ctx, api, convs, subs, res); err != nil {
		return res, err
	}
	syncSeq := conv.syncSeq()
	if res.RSSAfterKiB, err = sub.rssKiB(); err != nil {
		return res, err
	}
	res.KiBPerConnection = float64(res.RSSAfterKiB-res.RSSBeforeKiB) / float64(len(subs))
	b.logf("fan-out: %d subscribers live; sending %d messages %s apart", len(subs), b.opts.Messages, b.opts.Interval)
	meter, err := b.startMeter(ctx, send, sub)
	if err != nil {
		return res, err
	}
	sends := sendPaced(ctx, api, conv.id, b.opts.Messages, b.opts.Interval)
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	final, err := b.awaitFanout(ctx, api, conv, subs, sends, res)
	if err != nil {
		return res, err
	}
	if res.Cost, err = b.stopMeter(ctx, meter); err != nil {
		return res, err
	}
	closeAll(subs)
	res.summarize(subs, sends, syncSeq, final)
	res.Complete = true
	return res, nil
}

// syncSubscribers sends one message on every conversation and waits until every socket
// has it and its reply: from then on each subscription is live, so later latencies are
// not inflated by subscriptions still starting.
func (b *liveBench) syncSubscribers(ctx context.Context, api gqlClient, convs []benchConversation, subs []*subscriber, res *fanoutResult) error {
	for _, c := range convs {
		if _, err := api.send(ctx, c.id, "Is everyone here?"); err != nil {
			return err
		}
	}
	waited, ok, err := waitDelivered(ctx, subs, func(*subscriber) int64 { return 2 }, 30*time.Second, 3*time.Minute)
	if err != nil {
		return err
	}
	if res != nil {
		res.LiveSeconds, res.AllLive = waited.Seconds(), ok
	}
	if !ok {
		b.logf("warning: not every subscriber received the sync message within %.1f s; carrying on", waited.Seconds())
	}
	return nil
}

// syncSeq is the last seq of a conversation's sync exchange: measured messages follow it.
func (c benchConversation) syncSeq() int64 { return c.seq + 2 }

// sendResult is one paced sendMessage.
type sendResult struct {
	seq     int64
	latency time.Duration
	err     error
}

// sendPaced sends n messages every interval, each in its own goroutine, so a slow
// response does not delay the next message.
func sendPaced(ctx context.Context, api gqlClient, conv string, n int, every time.Duration) []sendResult {
	results := make([]sendResult, n)
	var wg sync.WaitGroup
	tick := time.NewTicker(every)
	defer tick.Stop()
	for i := range n {
		if i > 0 {
			select {
			case <-ctx.Done():
				wg.Wait()
				return results
			case <-tick.C:
			}
		}
		wg.Go(func() {
			start := time.Now()
			seq, err := api.send(ctx, conv, fmt.Sprintf("Line %d: what do you make of it?", i+1))
			results[i] = sendResult{seq: seq, latency: time.Since(start), err: err}
		})
	}
	wg.Wait()
	return results
}

// replyLimit bounds the wait for the fan-out's replies: under an overloaded instance
// they come late, and how late is a figure worth having.
const replyLimit = 3 * time.Minute

// awaitFanout waits for every reply to be written, then for every socket to have every
// message; it returns the last seq of the conversation.
func (b *liveBench) awaitFanout(ctx context.Context, api gqlClient, conv benchConversation, subs []*subscriber, sends []sendResult, res *fanoutResult) (int64, error) {
	lastSend := time.Now()
	var ok int64
	for _, s := range sends {
		if s.err == nil {
			ok++
		}
	}
	want := conv.syncSeq() + 2*ok
	h, err := api.waitCount(ctx, conv.id, want, replyLimit)
	if err != nil && (ctx.Err() != nil || h.seq == 0) {
		return 0, err
	}
	res.RepliesSeconds = time.Since(lastSend).Seconds()
	if err != nil {
		res.RepliesMissing = want - h.count
		b.logf("warning: %v", err)
	}
	final := h.seq
	_, all, err := waitDelivered(ctx, subs, func(*subscriber) int64 { return final - conv.seq }, 15*time.Second, 2*time.Minute)
	if err != nil {
		return 0, err
	}
	res.DrainSeconds = time.Since(lastSend).Seconds()
	if !all {
		b.logf("warning: some subscribers still miss messages %.1f s after the last send", res.DrainSeconds)
	}
	return final, nil
}

// summarize turns what the sockets recorded into the result's figures.
func (res *fanoutResult) summarize(subs []*subscriber, sends []sendResult, syncSeq, final int64) {
	userSeqs := map[int64]bool{}
	sendLat := make([]time.Duration, 0, len(sends))
	for _, s := range sends {
		if s.err != nil {
			res.SendErrors++
			if res.FirstSendError == "" {
				res.FirstSendError = s.err.Error()
			}
			continue
		}
		userSeqs[s.seq] = true
		sendLat = append(sendLat, s.latency)
	}
	res.Send = summarize(sendLat)
	res.Expected = int64(len(subs)) * 2 * int64(len(sendLat))
	var all, users, replies []time.Duration
	for _, s := range subs {
		for _, d := range s.seen {
			if d.seq <= syncSeq || d.seq > final {
				continue
			}
			all = append(all, d.latency())
			if userSeqs[d.seq] {
				users = append(users, d.latency())
			} else {
				replies = append(replies, d.latency())
			}
		}
		res.Loss.add(s, syncSeq, final)
	}
	res.Delivered = int64(len(all))
	res.Delivery, res.UserDelivery, res.ReplyDelivery = summarize(all), summarize(users), summarize(replies)
}

// ---------------------------------------------------------------------------
// Scenario: throughput

// throughputResult are the figures of one closed-loop throughput run.
type throughputResult struct {
	Complete           bool           `json:"complete"`
	SendInstance       string         `json:"sendInstance"`
	SubscribeInstance  string         `json:"subscribeInstance"`
	Senders            int            `json:"senders"`
	WindowSeconds      float64        `json:"windowSeconds"`
	Sent               int64          `json:"sent"`
	SendErrors         int64          `json:"sendErrors"`
	FirstSendError     string         `json:"firstSendError,omitempty"`
	StoredUser         int64          `json:"storedUserMessages"`
	StoredReplies      int64          `json:"storedReplies"`
	StoredPerSecond    float64        `json:"storedPerSecond"`
	DeliveredInWindow  int64          `json:"deliveredInWindow"`
	DeliveredPerSecond float64        `json:"deliveredPerSecond"`
	BacklogAtEnd       int64          `json:"backlogAtEnd"`
	Drained            bool           `json:"drained"`
	DrainSeconds       float64        `json:"drainSeconds"`
	PendingAfterDrain  int64          `json:"pendingAfterDrain"`
	AllWrittenSeconds  float64        `json:"allWrittenSeconds"`
	SustainedPerSecond float64        `json:"sustainedPerSecond"`
	DeliveredTotal     int64          `json:"deliveredTotal"`
	ExpectedTotal      int64          `json:"expectedTotal"`
	Cost               phaseCost      `json:"windowCost"`
	Loss               lossReport     `json:"loss"`
	Send               latencySummary `json:"sendMessage"`
	Delivery           latencySummary `json:"delivery"`
}

// drainLimit is how long the backlog of replies may take once sending stops.
const drainLimit = 30 * time.Second

func (b *liveBench) throughputScenario(ctx context.Context) error {
	in, err := b.startInstance(ctx, "throughput", nil)
	if err != nil {
		return err
	}
	defer in.stop(b.logf)
	res, err := b.runThroughput(ctx, in, in)
	b.report.Throughput = res
	return err
}

// senderStats is what one closed-loop sender did.
type senderStats struct {
	sent, errors int64
	firstErr     error
	latencies    []time.Duration
}

// runThroughput runs the closed-loop senders on send, each followed by one socket on sub.
func (b *liveBench) runThroughput(ctx context.Context, send, sub *instance) (*throughputResult, error) {
	res := &throughputResult{SendInstance: send.name, SubscribeInstance: sub.name, Senders: b.opts.Senders}
	api, err := b.register(ctx, send, "load")
	if err != nil {
		return res, err
	}
	b.logf("throughput: opening %d conversations in %d ecosystems", b.opts.Senders, min(b.opts.Senders, b.opts.Ecosystems))
	convs, err := openConversations(ctx, api, b.opts.Senders, b.opts.Ecosystems)
	if err != nil {
		return res, err
	}
	subs, st, err := b.connectAll(ctx, sub.wsURL(), api.token, convs, len(convs), 4096)
	if err != nil {
		return res, err
	}
	defer closeAll(subs)
	if st.failures > 0 {
		return res, fmt.Errorf("%d of %d subscribers could not connect: %s", st.failures, len(convs), st.firstErr)
	}
	if err := b.syncSubscribers(ctx, api, convs, subs, nil); err != nil {
		return res, err
	}
	before, err := b.countMessages(ctx)
	if err != nil {
		return res, err
	}
	b.logf("throughput: %d senders for %s", len(convs), b.opts.Duration)
	meter, err := b.startMeter(ctx, send, sub)
	if err != nil {
		return res, err
	}
	start := time.Now()
	stats := runSenders(ctx, api, convs, start.Add(b.opts.Duration))
	end := time.Now()
	if ctx.Err() != nil {
		return res, ctx.Err()
	}
	if res.Cost, err = b.stopMeter(ctx, meter); err != nil {
		return res, err
	}
	if err := b.measureBacklog(ctx, res, stats, before, end.Sub(start)); err != nil {
		return res, err
	}
	finals, err := b.awaitThroughput(ctx, api, convs, subs)
	if err != nil {
		return res, err
	}
	closeAll(subs)
	res.summarize(subs, stats, convs, finals, start, end)
	res.Complete = true
	return res, nil
}

// runSenders runs one closed loop per conversation until deadline: send, wait for the
// answer, send again. Requests in flight at the deadline finish and count.
func runSenders(ctx context.Context, api gqlClient, convs []benchConversation, deadline time.Time) []senderStats {
	stats := make([]senderStats, len(convs))
	var wg sync.WaitGroup
	for i, c := range convs {
		wg.Go(func() {
			st := &stats[i]
			for n := 1; ctx.Err() == nil && time.Now().Before(deadline); n++ {
				t0 := time.Now()
				_, err := api.send(ctx, c.id, fmt.Sprintf("Message %d: tell me more.", n))
				if err != nil {
					st.errors++
					if st.firstErr == nil {
						st.firstErr = err
					}
					// A failing server must not turn the loop into a spin.
					time.Sleep(50 * time.Millisecond)
					continue
				}
				st.sent++
				st.latencies = append(st.latencies, time.Since(t0))
			}
		})
	}
	wg.Wait()
	return stats
}

// measureBacklog counts what was stored during the window and how many replies were
// still to be written when it closed, then waits up to drainLimit for them.
func (b *liveBench) measureBacklog(ctx context.Context, res *throughputResult, stats []senderStats, before messageCounts, window time.Duration) error {
	for _, st := range stats {
		res.Sent += st.sent
		res.SendErrors += st.errors
		if st.firstErr != nil && res.FirstSendError == "" {
			res.FirstSendError = st.firstErr.Error()
		}
	}
	at, err := b.countMessages(ctx)
	if err != nil {
		return err
	}
	res.WindowSeconds = window.Seconds()
	res.StoredUser, res.StoredReplies = at.user-before.user, at.replies-before.replies
	res.StoredPerSecond = float64(res.StoredUser+res.StoredReplies) / window.Seconds()
	res.BacklogAtEnd = res.Sent - res.StoredReplies
	b.logf("throughput: %d sent, %d replies pending at the end; draining (up to %s)", res.Sent, res.BacklogAtEnd, drainLimit)
	start := time.Now()
	for {
		now, err := b.countMessages(ctx)
		if err != nil {
			return err
		}
		res.PendingAfterDrain = res.Sent - (now.replies - before.replies)
		res.DrainSeconds = time.Since(start).Seconds()
		// Messages per second from the first send until the last reply: what the
		// instance keeps up with, as opposed to what it accepts.
		res.SustainedPerSecond = float64(res.StoredUser+now.replies-before.replies) / (window.Seconds() + res.DrainSeconds)
		if res.PendingAfterDrain <= 0 {
			res.Drained = true
			res.AllWrittenSeconds = res.DrainSeconds
			return nil
		}
		if time.Since(start) > drainLimit {
			return b.settle(ctx, res, before, start)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// settleLimit bounds the wait for replies beyond drainLimit.
const settleLimit = 5 * time.Minute

// settle waits, beyond the reported drain, until every reply is written: replies left in
// the queue would be written by the next scenario's instances and spoil its figures.
func (b *liveBench) settle(ctx context.Context, res *throughputResult, before messageCounts, start time.Time) error {
	b.logf("throughput: %d replies still pending after %s; waiting for them before going on", res.PendingAfterDrain, drainLimit)
	for time.Since(start) < settleLimit {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		now, err := b.countMessages(ctx)
		if err != nil {
			return err
		}
		if now.replies-before.replies >= res.Sent {
			res.AllWrittenSeconds = time.Since(start).Seconds()
			return nil
		}
	}
	return fmt.Errorf("replies still pending %s after the window; the queue does not drain", settleLimit)
}

// awaitThroughput reads where every conversation ended and waits for each socket to
// catch up with it; it returns the last seq of each conversation.
func (b *liveBench) awaitThroughput(ctx context.Context, api gqlClient, convs []benchConversation, subs []*subscriber) ([]int64, error) {
	finals := make([]int64, len(convs))
	for i, c := range convs {
		h, err := api.head(ctx, c.id)
		if err != nil {
			return nil, err
		}
		finals[i] = h.seq
	}
	_, ok, err := waitDelivered(ctx, subs, func(s *subscriber) int64 { return finals[s.conv] - convs[s.conv].seq }, 10*time.Second, time.Minute)
	if err != nil {
		return nil, err
	}
	if !ok {
		b.logf("warning: some subscribers did not catch up with their conversation")
	}
	return finals, nil
}

func (res *throughputResult) summarize(subs []*subscriber, stats []senderStats, convs []benchConversation, finals []int64, start, end time.Time) {
	var sendLat, delivery []time.Duration
	for _, st := range stats {
		sendLat = append(sendLat, st.latencies...)
	}
	from, to := start.UnixNano(), end.UnixNano()
	for _, s := range subs {
		syncSeq := convs[s.conv].syncSeq()
		res.ExpectedTotal += finals[s.conv] - syncSeq
		for _, d := range s.seen {
			if d.seq <= syncSeq || d.seq > finals[s.conv] {
				continue
			}
			delivery = append(delivery, d.latency())
			if d.recv >= from && d.recv <= to {
				res.DeliveredInWindow++
			}
		}
		res.Loss.add(s, syncSeq, finals[s.conv])
	}
	res.DeliveredTotal = int64(len(delivery))
	res.DeliveredPerSecond = float64(res.DeliveredInWindow) / end.Sub(start).Seconds()
	res.Send, res.Delivery = summarize(sendLat), summarize(delivery)
}

// ---------------------------------------------------------------------------
// Scenario: two instances over Redis

// redisResult are the figures of the two-instance scenario.
type redisResult struct {
	URL        string            `json:"url"`
	Channel    string            `json:"channel"`
	Fanout     *fanoutResult     `json:"fanout,omitempty"`
	Throughput *throughputResult `json:"throughput,omitempty"`
}

func (b *liveBench) redisScenario(ctx context.Context) error {
	if b.opts.SkipRedis {
		b.report.RedisSkipped = "--skip-redis"
		return nil
	}
	if err := pingRedis(ctx, b.opts.RedisURL); err != nil {
		b.report.RedisSkipped = fmt.Sprintf("Redis at %s did not answer: %v", b.opts.RedisURL, err)
		b.logf("skipping the Redis scenario: %s", b.report.RedisSkipped)
		return nil
	}
	// A channel of its own keeps other servers on the same Redis out of the figures.
	target := &redisTarget{url: b.opts.RedisURL, channel: "ensemble:bench:" + randomHex(4)}
	res := &redisResult{URL: b.opts.RedisURL, Channel: target.channel}
	b.report.Redis = res
	a, err := b.startInstance(ctx, "redis-a", target)
	if err != nil {
		return err
	}
	defer a.stop(b.logf)
	bb, err := b.startInstance(ctx, "redis-b", target)
	if err != nil {
		return err
	}
	defer bb.stop(b.logf)
	if res.Fanout, err = b.runFanout(ctx, a, bb, b.opts.RedisSubscribers); err != nil {
		return err
	}
	res.Throughput, err = b.runThroughput(ctx, a, bb)
	return err
}

func pingRedis(ctx context.Context, raw string) error {
	opts, err := redis.ParseURL(raw)
	if err != nil {
		return fmt.Errorf("--redis-url: %w", err)
	}
	client := redis.NewClient(opts)
	defer client.Close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return client.Ping(ctx).Err()
}

// ---------------------------------------------------------------------------
// Report

func (b *liveBench) print(w io.Writer) error {
	if b.opts.JSON {
		return writeReport(w, b.report)
	}
	p := &printer{w: w}
	p.header(b.report)
	if b.report.Floor != nil || b.report.CommitFloor != nil {
		p.section("0. Floor: what the machine alone allows (socket writes and reads; commits)")
		p.floor(b.report.Floor, b.report.CommitFloor)
	}
	if r := b.report.Fanout; r != nil {
		p.section(fmt.Sprintf("1. Fan-out: %d subscribers on one instance", r.Subscribers))
		p.fanout(r)
	}
	if r := b.report.Throughput; r != nil {
		p.section(fmt.Sprintf("2. Throughput: %d closed-loop senders on one instance for %s", r.Senders, b.report.Parameters.Duration))
		p.throughput(r)
	}
	p.redis(b.report)
	p.logs(b.report)
	if b.report.Error != "" {
		p.line("\nthe run stopped early: %s", b.report.Error)
	}
	return p.err
}

// printer writes the text report, keeping the first write error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) line(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format+"\n", args...)
	}
}

func (p *printer) section(title string) {
	p.line("\n== %s ==", title)
}

func (p *printer) header(r liveReport) {
	m, o := r.Machine, r.Parameters
	p.line("ensemble bench live: live chat over real server processes on loopback (figures only, nothing asserted)")
	p.line("machine     %s/%s, %d CPUs, GOMAXPROCS %d, %s, %s, RLIMIT_NOFILE %d", m.OS, m.Arch, m.NumCPU, m.GOMAXPROCS, m.CPUModel, m.GoVersion, m.FileLimit)
	p.line("parameters  --subscribers %d --duration %s --senders %d --ecosystems %d --messages %d --interval %s --redis-subscribers %d --dial-concurrency %d --redis-url %s --skip-redis=%t",
		o.Subscribers, o.Duration, o.Senders, o.Ecosystems, o.Messages, o.Interval, o.RedisSubscribers, o.DialConcurrency, o.RedisURL, o.SkipRedis)
	p.line("database    %s", r.Database)
	p.line("latency     delivery = receive time - the message's createdAt (PostgreSQL clock_timestamp() at insert, same machine)")
}

func (p *printer) fanout(r *fanoutResult) {
	p.line("instances           send on %s, subscribe on %s", r.SendInstance, r.SubscribeInstance)
	p.line("connected           %d of %d in %.1f s (%d dial retries, %d failed)%s", r.Connected, r.Subscribers, r.ConnectSeconds, r.DialRetries, r.DialFailures, suffix(r.FirstDialError))
	if !r.Complete {
		p.line("stopped before its figures were complete")
		return
	}
	live := "all"
	if !r.AllLive {
		live = "NOT all"
	}
	p.line("live                %s subscriptions delivering %.2f s after the sync message", live, r.LiveSeconds)
	p.line("server RSS          %.1f MiB before, %.1f MiB after connecting: %.1f KiB per connection",
		float64(r.RSSBeforeKiB)/1024, float64(r.RSSAfterKiB)/1024, r.KiBPerConnection)
	p.line("messages            %d sent %s apart (%d errors)%s, each answered by a reply", r.Messages, r.Interval, r.SendErrors, suffix(r.FirstSendError))
	replies := fmt.Sprintf("all written %.2f s after the last send", r.RepliesSeconds)
	if r.RepliesMissing > 0 {
		replies = fmt.Sprintf("%d still not written %.0f s after the last send", r.RepliesMissing, r.RepliesSeconds)
	}
	p.line("replies             %s", replies)
	arrived := "all in"
	if r.Delivered < r.Expected {
		arrived = "gave up waiting"
	}
	p.line("delivered           %d of %d expected (subscribers x 2 x messages), %s %.2f s after the last send", r.Delivered, r.Expected, arrived, r.DrainSeconds)
	p.cost("message phase", r.Cost)
	p.loss(r.Loss)
	p.latencies([]string{"sendMessage", "delivery, all", "delivery, user messages", "delivery, replies"},
		[]latencySummary{r.Send, r.Delivery, r.UserDelivery, r.ReplyDelivery})
}

func (p *printer) throughput(r *throughputResult) {
	p.line("instances           send on %s, subscribe on %s", r.SendInstance, r.SubscribeInstance)
	if !r.Complete {
		p.line("stopped before its figures were complete")
		return
	}
	p.line("sent                %d sendMessage calls answered in %.1f s (%d errors)%s", r.Sent, r.WindowSeconds, r.SendErrors, suffix(r.FirstSendError))
	p.line("stored              %d user messages + %d replies in the window: %.1f messages/s",
		r.StoredUser, r.StoredReplies, r.StoredPerSecond)
	p.line("delivered           %d to subscribers in the window: %.1f messages/s", r.DeliveredInWindow, r.DeliveredPerSecond)
	drain := fmt.Sprintf("all written %.2f s after the window", r.DrainSeconds)
	if !r.Drained {
		drain = fmt.Sprintf("%d still missing after %.0f s (all written after %.1f s)", r.PendingAfterDrain, r.DrainSeconds, r.AllWrittenSeconds)
	}
	p.line("backlog at end      %d replies not yet written; %s", r.BacklogAtEnd, drain)
	p.line("sustained           %.1f messages/s from the first send to the last reply written (or the %.0f s drain limit)", r.SustainedPerSecond, drainLimit.Seconds())
	p.line("delivered in total  %d of %d stored after the sync (counted when the drain ended)", r.DeliveredTotal, r.ExpectedTotal)
	p.cost("window", r.Cost)
	p.loss(r.Loss)
	p.latencies([]string{"sendMessage", "delivery"}, []latencySummary{r.Send, r.Delivery})
}

func (p *printer) cost(phase string, c phaseCost) {
	names := slices.Sorted(maps.Keys(c.ServerCPU))
	cpu := make([]string, len(names))
	for i, n := range names {
		cpu[i] = fmt.Sprintf("%s %.1f s", n, c.ServerCPU[n])
	}
	p.line("cost                %s of %.1f s: server CPU %s; bench clients CPU %.1f s; %d database transactions, %d scans of messages",
		phase, c.Seconds, strings.Join(cpu, ", "), c.BenchCPU, c.DBTransactions, c.MessageReads)
}

func (p *printer) loss(l lossReport) {
	if l == (lossReport{}) {
		p.line("loss                none: every subscriber got every message once, in order")
		return
	}
	p.line("loss                %d subscribers missing %d messages; %d duplicates; %d out of order; %d sockets ended early%s",
		l.ClientsMissing, l.Missing, l.Duplicates, l.OutOfOrder, l.SocketsEnded, suffix(l.FirstSocketError))
}

func (p *printer) latencies(names []string, stats []latencySummary) {
	p.line("%-26s %9s %9s %9s %9s %9s", "latency (ms)", "count", "p50", "p95", "p99", "max")
	for i, s := range stats {
		p.line("%-26s %9d %9.2f %9.2f %9.2f %9.2f", names[i], s.Count, s.P50, s.P95, s.P99, s.Max)
	}
}

func (p *printer) redis(r liveReport) {
	if r.RedisSkipped != "" {
		p.section("3. Redis, two instances: skipped")
		p.line("%s", r.RedisSkipped)
		return
	}
	if r.Redis == nil {
		return
	}
	if f := r.Redis.Fanout; f != nil {
		p.section(fmt.Sprintf("3a. Redis fan-out: %d subscribers on B, messages sent on A (channel %s)", f.Subscribers, r.Redis.Channel))
		p.fanout(f)
	}
	if t := r.Redis.Throughput; t != nil {
		p.section(fmt.Sprintf("3b. Redis throughput: %d senders on A, their subscribers on B, for %s", t.Senders, r.Parameters.Duration))
		p.throughput(t)
	}
}

func (p *printer) logs(r liveReport) {
	p.section("Server logs")
	for _, s := range r.ServerLogs {
		p.line("%-11s %d lines, %d warnings, %d errors; %s", s.Instance, s.Lines, s.Warnings, s.Errors, s.Exit)
		for _, n := range s.Notable {
			p.line("    %dx %s %s\n      e.g. %s", n.Count, n.Level, n.Message, strings.ReplaceAll(n.Example, "\n", "\n      "))
		}
	}
	if r.LogDir != "" {
		p.line("logs kept in %s", r.LogDir)
	}
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return "; first: " + clip(s, 300)
}
