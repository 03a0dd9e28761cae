package chat_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/chat"
	"github.com/literaryai/ensemble/internal/conversations"
	"github.com/literaryai/ensemble/internal/ecosystems"
	"github.com/literaryai/ensemble/internal/embedding"
	"github.com/literaryai/ensemble/internal/graphstore/pg"
	"github.com/literaryai/ensemble/internal/jobs"
	"github.com/literaryai/ensemble/internal/llm"
	"github.com/literaryai/ensemble/internal/memories"
	"github.com/literaryai/ensemble/internal/relationships"
	"github.com/literaryai/ensemble/internal/testkit"
	"github.com/literaryai/ensemble/internal/vectorstore/embedded"
)

func TestMain(m *testing.M) { testkit.Main(m) }

// flakyEmbedder is the offline embedder, down while down is set.
type flakyEmbedder struct {
	*embedding.Offline
	down atomic.Bool
}

func (e *flakyEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if e.down.Load() {
		return nil, errors.New("embedder down")
	}
	return e.Offline.Embed(ctx, texts)
}

// refusing is a generator that refuses every request.
type refusing struct{}

func (refusing) Generate(context.Context, llm.Request, func(string)) (llm.Reply, error) {
	return llm.Reply{}, llm.ErrRejected
}

func (refusing) Model() string { return "refusing" }

func (refusing) Offline() bool { return false }

// world is a user with a character and a direct conversation with it, and the services
// a reply is written with.
type world struct {
	t         *testing.T
	pool      *pgxpool.Pool
	viewer    auth.Identity
	character uuid.UUID
	conv      uuid.UUID
	convs     *conversations.Service
	mems      *memories.Service
	embedder  *flakyEmbedder
	worker    *chat.Worker
}

func newWorld(t *testing.T, gen llm.Generator) *world {
	t.Helper()
	ctx := t.Context()
	pool := testkit.DB(t)
	w := &world{t: t, pool: pool, embedder: &flakyEmbedder{Offline: embedding.NewOffline(64)}}
	if err := pool.QueryRow(ctx, `INSERT INTO users (username, email, password_hash) VALUES ('reader', 'reader@example.com', 'x') RETURNING id`).
		Scan(&w.viewer.UserID); err != nil {
		t.Fatal(err)
	}
	w.viewer.Role = auth.RoleUser
	b := bus.NewLocal()
	t.Cleanup(b.Close)
	runner := jobs.NewRunner()
	name := "Longbourn"
	eco, err := ecosystems.NewService(pool, b).Create(ctx, w.viewer, ecosystems.Patch{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	chars := characters.NewService(pool, b)
	lizzy := "Elizabeth Bennet"
	ch, err := chars.Create(ctx, w.viewer, eco.ID, characters.Patch{Name: &lizzy})
	if err != nil {
		t.Fatal(err)
	}
	w.character = ch.ID
	w.mems = memories.NewService(pool, b, w.embedder, embedded.New(pool, w.embedder.Dimension(), w.embedder.Model(), 0),
		runner, memories.DefaultConfig, time.Now)
	w.convs = conversations.NewService(pool, b, runner)
	rels := relationships.NewService(pool, b, pg.New(pool, 0), pg.New(pool, 0), time.Now)
	w.worker = chat.NewWorker(chat.Deps{Conversations: w.convs, Characters: chars, Memories: w.mems,
		Relationships: rels, Generator: gen, Bus: b})
	// The runner only enqueues (it is never started): the tests work the jobs themselves.
	jobs.Register(runner, w.worker)
	jobs.Register(runner, memories.NewReflectWorker(w.mems))
	if err := runner.Open(pool, nil, jobs.Options{Queues: map[string]int{conversations.ReplyQueue: 1}}); err != nil {
		t.Fatal(err)
	}
	c, err := w.convs.Start(ctx, w.viewer, conversations.StartInput{EcosystemID: eco.ID, Kind: conversations.Direct, CharacterIDs: []uuid.UUID{ch.ID}})
	if err != nil {
		t.Fatal(err)
	}
	w.conv = c.ID
	return w
}

// send stores a user message and returns the reply job it enqueued.
func (w *world) send(content string) *river.Job[conversations.ReplyArgs] {
	w.t.Helper()
	sent, err := w.convs.Send(w.t.Context(), w.viewer, conversations.SendInput{ConversationID: &w.conv, Content: content})
	if err != nil {
		w.t.Fatal(err)
	}
	return &river.Job[conversations.ReplyArgs]{Args: conversations.ReplyArgs{MessageID: sent.Message.ID, CharacterID: *sent.Responder}}
}

func (w *world) count(query string, args ...any) int {
	w.t.Helper()
	var n int
	if err := w.pool.QueryRow(w.t.Context(), query, args...).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

// replies counts the character's replies to a message, and the memories formed from them.
func (w *world) replies(message uuid.UUID) (replies, memories int) {
	w.t.Helper()
	replies = w.count(`SELECT count(*) FROM messages WHERE reply_to_id = $1 AND sender_kind = 'CHARACTER'`, message)
	memories = w.count(`SELECT count(*) FROM memories m JOIN messages r ON r.id = m.source_message_id WHERE r.reply_to_id = $1`, message)
	return replies, memories
}

func TestReplyCommitsWithItsMemoryAndTheRecalledMemoriesAccess(t *testing.T) {
	w := newWorld(t, llm.NewOffline())
	ctx := t.Context()
	recalled, err := w.mems.Add(ctx, w.viewer, w.character, memories.Input{Content: "Mr. Darcy is proud and disagreeable.", Type: memories.Observation})
	if err != nil {
		t.Fatal(err)
	}
	job := w.send("Is Mr. Darcy proud?")
	if err := w.worker.Work(ctx, job); err != nil {
		t.Fatal(err)
	}
	if replies, mems := w.replies(job.Args.MessageID); replies != 1 || mems != 1 {
		t.Fatalf("%d replies and %d memories of them, want 1 and 1", replies, mems)
	}
	// The reply, the speaker's new state and its memory are one transaction's events.
	var txids, eventsOfIt int
	if err := w.pool.QueryRow(ctx, `SELECT count(DISTINCT e.txid), count(*) FROM events e
		WHERE e.txid = (SELECT txid FROM events WHERE topic = 'message.created' AND payload->>'replyToId' = $1::text)`,
		job.Args.MessageID).Scan(&txids, &eventsOfIt); err != nil {
		t.Fatal(err)
	}
	topics := w.count(`SELECT count(DISTINCT topic) FROM events WHERE txid = (SELECT txid FROM events
		WHERE topic = 'message.created' AND payload->>'replyToId' = $1::text)
		AND topic IN ('message.created', 'character.changed', 'memory.changed')`, job.Args.MessageID)
	if txids != 1 || eventsOfIt != 3 || topics != 3 {
		t.Fatalf("the reply's transaction wrote %d events of %d topics, want 3 (message, character, memory)", eventsOfIt, topics)
	}
	if n := w.count(`SELECT access_count FROM memories WHERE id = $1`, recalled.ID); n != 1 {
		t.Fatalf("recalled memory accessed %d times, want 1", n)
	}
	if n := w.count(`SELECT count(*) FROM characters WHERE id = $1 AND last_interaction IS NOT NULL`, w.character); n != 1 {
		t.Fatal("the speaker's last interaction was not recorded")
	}
}

func TestRetriedReplyFormsTheMemoryItsFirstAttemptCouldNot(t *testing.T) {
	w := newWorld(t, llm.NewOffline())
	ctx := t.Context()
	job := w.send("How is Jane?")
	w.embedder.down.Store(true)
	if err := w.worker.Work(ctx, job); err == nil {
		t.Fatal("a reply without its memory did not fail the job")
	}
	if replies, mems := w.replies(job.Args.MessageID); replies != 1 || mems != 0 {
		t.Fatalf("first attempt: %d replies and %d memories, want 1 and 0", replies, mems)
	}
	w.embedder.down.Store(false)
	for range 2 {
		if err := w.worker.Work(ctx, job); err != nil {
			t.Fatal(err)
		}
		if replies, mems := w.replies(job.Args.MessageID); replies != 1 || mems != 1 {
			t.Fatalf("after a retry: %d replies and %d memories, want 1 and 1", replies, mems)
		}
	}
}

func TestConcurrentAttemptsAnswerOnceAndRememberOnce(t *testing.T) {
	w := newWorld(t, llm.NewOffline())
	job := w.send("Shall we walk to Meryton?")
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Go(func() { errs[i] = w.worker.Work(t.Context(), job) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if replies, mems := w.replies(job.Args.MessageID); replies != 1 || mems != 1 {
		t.Fatalf("%d replies and %d memories, want 1 and 1", replies, mems)
	}
}

func TestGeneratorFailureLeavesASystemMessageAndNoMemory(t *testing.T) {
	w := newWorld(t, refusing{})
	ctx := t.Context()
	job := w.send("Hello?")
	if err := w.worker.Work(ctx, job); err != nil {
		t.Fatal(err)
	}
	if n := w.count(`SELECT count(*) FROM messages WHERE reply_to_id = $1 AND sender_kind = 'SYSTEM'`, job.Args.MessageID); n != 1 {
		t.Fatalf("%d system messages, want 1", n)
	}
	if n := w.count(`SELECT count(*) FROM memories WHERE character_id = $1`, w.character); n != 0 {
		t.Fatalf("%d memories after a failed reply, want none", n)
	}
	if n := w.count(`SELECT count(*) FROM characters WHERE id = $1 AND last_interaction IS NULL`, w.character); n != 1 {
		t.Fatal("a failed reply changed the character")
	}
}
