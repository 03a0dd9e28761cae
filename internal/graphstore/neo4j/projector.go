package neo4j

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/events"
)

// ProjectorName names the projector's row in projector_offsets.
const ProjectorName = "neo4j"

// Projector defaults.
const (
	DefaultPollInterval = 500 * time.Millisecond
	DefaultBatchSize    = 500
)

// Retry delays after a failed pass: doubling from the first to the last.
const (
	firstRetry = 100 * time.Millisecond
	lastRetry  = 10 * time.Second
)

// projectorLockKey is the PostgreSQL advisory lock that lets one projector pass, or one
// rebuild, run at a time across all instances ("ensneo4j").
const projectorLockKey int64 = 0x656e736e656f346a

// projectedTopics are the outbox topics that change the graph.
var projectedTopics = []string{events.RelationshipChanged, events.CharacterChanged, events.EcosystemChanged}

// Projector keeps the Neo4j projection in step with PostgreSQL by following the outbox.
//
// Events only say which rows changed. For each batch the projector reads the current
// state of those rows and writes it, or deletes what no longer exists. So the order in
// which events are read does not matter (concurrent transactions' events may be read in
// another order than they committed), stale states are never written, and replaying
// events is harmless. A batch is written in one Neo4j transaction before the offset
// moves past it; a failure moves nothing and is retried.
type Projector struct {
	// PollInterval is how often Run looks for new events when nobody calls Notify
	// (DefaultPollInterval when 0). Set it before Run.
	PollInterval time.Duration
	// BatchSize is how many events one Neo4j transaction covers (DefaultBatchSize when
	// 0). Set it before Run or CatchUp.
	BatchSize int

	pool   *pgxpool.Pool
	store  *Store
	logger *slog.Logger
	wake   chan struct{}
}

// NewProjector returns a projector reading from pool and writing to store; a nil logger
// logs to slog.Default.
func NewProjector(pool *pgxpool.Pool, store *Store, logger *slog.Logger) *Projector {
	if logger == nil {
		logger = slog.Default()
	}
	return &Projector{
		pool:   pool,
		store:  store,
		logger: logger.With("component", "neo4j-projector"),
		wake:   make(chan struct{}, 1),
	}
}

// Notify wakes Run early, e.g. after a commit that wrote events. It never blocks.
func (p *Projector) Notify() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run projects until ctx ends, then returns nil. A pass runs only while this instance
// holds the projector lock; another instance holding it just means this one looks again
// at the next poll. Failures are logged and retried with a delay doubling from 100ms to
// 10s, during which Notify is ignored, so a down server is not hammered by every commit.
func (p *Projector) Run(ctx context.Context) error {
	var retry time.Duration
	for {
		n, locked, err := p.pass(ctx, false)
		if ctx.Err() != nil {
			return nil
		}
		wait := p.PollInterval
		if wait <= 0 {
			wait = DefaultPollInterval
		}
		switch {
		case err != nil:
			retry = nextRetry(retry)
			wait = retry
			p.logger.Error("projection failed; retrying", "err", err, "retry_in", retry)
		case !locked:
			retry = 0
			p.logger.Debug("another instance holds the projector lock")
		default:
			if retry > 0 {
				p.logger.Info("projection recovered")
			}
			retry = 0
			if n > 0 {
				p.logger.Debug("events projected", "events", n)
			}
		}
		if !p.sleep(ctx, wait, retry == 0) {
			return nil
		}
	}
}

// nextRetry is the delay after another failure, given the last one (0 after a success).
func nextRetry(last time.Duration) time.Duration {
	if last <= 0 {
		return firstRetry
	}
	return min(2*last, lastRetry)
}

// sleep waits d, or less when woken (if wakeable); it reports false when ctx ended.
func (p *Projector) sleep(ctx context.Context, d time.Duration, wakeable bool) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	var wake <-chan struct{}
	if wakeable {
		wake = p.wake
	}
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	case <-wake:
	}
	return true
}

// CatchUp applies every event settled by now and returns how many it read. It waits for
// the projector lock if another pass or a rebuild holds it. Tests, and the reindex
// command after a rebuild, use it; a server uses Run.
func (p *Projector) CatchUp(ctx context.Context) (int, error) {
	n, _, err := p.pass(ctx, true)
	return n, err
}

// pass applies the settled events under the projector lock, waiting for it or giving up
// at once (locked false) when another holds it.
func (p *Projector) pass(ctx context.Context, wait bool) (n int, locked bool, err error) {
	locked, err = withProjectorLock(ctx, p.pool, wait, func(conn *pgxpool.Conn) error {
		var err error
		n, err = p.catchUp(ctx, conn)
		return err
	})
	return n, locked, err
}

// catchUp applies batches from the stored offset until the outbox has no more settled
// events. conn holds the projector lock.
func (p *Projector) catchUp(ctx context.Context, conn *pgxpool.Conn) (int, error) {
	batch := p.BatchSize
	if batch <= 0 {
		batch = DefaultBatchSize
	}
	q := db.New(conn)
	off, err := q.GetProjectorOffset(ctx, ProjectorName)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("neo4j projector: read offset: %w", err)
	}
	total := 0
	for {
		evs, err := q.ListSettledEvents(ctx, db.ListSettledEventsParams{
			AfterTxid: off.LastTxid, AfterID: off.LastEventID, Topics: projectedTopics, MaxEvents: int32(batch),
		})
		if err != nil {
			return total, fmt.Errorf("neo4j projector: read events: %w", err)
		}
		if len(evs) == 0 {
			return total, nil
		}
		plan := planBatch(evs)
		for _, s := range plan.Skipped {
			// An event is never rewritten, so retrying it cannot help; it names no row
			// the projection could refresh, and the rest of the batch must go on.
			p.logger.Error("skipping unreadable event", "event_id", s.EventID, "topic", s.Topic, "err", s.Err)
		}
		changes, err := readChanges(ctx, conn, plan)
		if err != nil {
			return total, fmt.Errorf("neo4j projector: %w", err)
		}
		if err := p.store.apply(ctx, changes); err != nil {
			return total, fmt.Errorf("neo4j projector: events %d..%d: %w", evs[0].ID, evs[len(evs)-1].ID, err)
		}
		last := evs[len(evs)-1]
		if err := q.SetProjectorOffset(ctx, db.SetProjectorOffsetParams{
			Name: ProjectorName, LastTxid: last.Txid, LastEventID: last.ID,
		}); err != nil {
			return total, fmt.Errorf("neo4j projector: store offset: %w", err)
		}
		off = db.GetProjectorOffsetRow{LastTxid: last.Txid, LastEventID: last.ID}
		total += len(evs)
		if len(evs) < batch {
			return total, nil
		}
	}
}

// batchPlan is what a batch of events makes dirty.
type batchPlan struct {
	// Characters and Relationships are the rows to refresh from PostgreSQL, in id order.
	Characters    []uuid.UUID
	Relationships []uuid.UUID
	// DeletedEcosystems are ecosystems whose whole graph goes.
	DeletedEcosystems []uuid.UUID
	// Skipped are the events whose payload names no row.
	Skipped []skippedEvent
}

// skippedEvent is an event planBatch could not read.
type skippedEvent struct {
	EventID int64
	Topic   string
	Err     error
}

// planBatch collects the rows a batch of events makes dirty. Which operation an event
// reports does not matter (the current state decides), except that an ecosystem is
// dropped only when deleted: its other changes do not touch the graph.
func planBatch(evs []db.Event) batchPlan {
	chars := map[uuid.UUID]struct{}{}
	rels := map[uuid.UUID]struct{}{}
	ecos := map[uuid.UUID]struct{}{}
	var skipped []skippedEvent
	for _, ev := range evs {
		var payload struct {
			ID uuid.UUID `json:"id"`
			Op string    `json:"op"`
		}
		err := json.Unmarshal(ev.Payload, &payload)
		if err == nil && payload.ID == uuid.Nil {
			err = errors.New("payload has no id")
		}
		if err != nil {
			skipped = append(skipped, skippedEvent{EventID: ev.ID, Topic: ev.Topic, Err: err})
			continue
		}
		switch ev.Topic {
		case events.CharacterChanged:
			chars[payload.ID] = struct{}{}
		case events.RelationshipChanged:
			rels[payload.ID] = struct{}{}
		case events.EcosystemChanged:
			if payload.Op == events.OpDelete {
				ecos[payload.ID] = struct{}{}
			}
		}
	}
	return batchPlan{
		Characters:        sortedIDs(chars),
		Relationships:     sortedIDs(rels),
		DeletedEcosystems: sortedIDs(ecos),
		Skipped:           skipped,
	}
}

// sortedIDs returns the distinct ids of a set in ascending order, so that plans and
// statements are deterministic.
func sortedIDs(set map[uuid.UUID]struct{}) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	slices.SortFunc(out, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	return out
}

// txStarter is a PostgreSQL connection or pool.
type txStarter interface {
	BeginTx(ctx context.Context, opts pgx.TxOptions) (pgx.Tx, error)
}

// readChanges reads the current state of a plan's rows in one snapshot, so that every
// relationship read has its characters read too (a foreign key holds in one snapshot).
func readChanges(ctx context.Context, conn txStarter, plan batchPlan) (changeSet, error) {
	if len(plan.Characters) == 0 && len(plan.Relationships) == 0 {
		return changeSet{DeleteEcosystems: plan.DeletedEcosystems}, nil
	}
	var changes changeSet
	err := pgx.BeginTxFunc(ctx, conn, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		q := db.New(tx)
		var rels []db.Relationship
		if len(plan.Relationships) > 0 {
			var err error
			if rels, err = q.ListRelationshipsByIDs(ctx, plan.Relationships); err != nil {
				return fmt.Errorf("read relationships: %w", err)
			}
		}
		chars, err := q.ListCharactersByIDs(ctx, charactersToRead(plan, rels))
		if err != nil {
			return fmt.Errorf("read characters: %w", err)
		}
		changes = diffState(plan, chars, rels)
		return nil
	})
	if err != nil {
		return changeSet{}, err
	}
	return changes, nil
}

// charactersToRead is the plan's characters and both ends of every relationship that
// exists: a relationship can be read before the event of its character's creation
// (that transaction may settle later), and it can only be written between characters
// that are in the graph.
func charactersToRead(plan batchPlan, rels []db.Relationship) []uuid.UUID {
	set := make(map[uuid.UUID]struct{}, len(plan.Characters)+2*len(rels))
	for _, id := range plan.Characters {
		set[id] = struct{}{}
	}
	for _, r := range rels {
		set[r.FromID] = struct{}{}
		set[r.ToID] = struct{}{}
	}
	return sortedIDs(set)
}

// diffState turns the rows found into a change set: what exists is written as it is
// now, and what the plan names but no longer exists is deleted.
func diffState(plan batchPlan, chars []db.Character, rels []db.Relationship) changeSet {
	c := changeSet{DeleteEcosystems: plan.DeletedEcosystems}
	found := make(map[uuid.UUID]struct{}, len(chars)+len(rels))
	for _, ch := range chars {
		found[ch.ID] = struct{}{}
		c.UpsertCharacters = append(c.UpsertCharacters, characterNode{
			ID: ch.ID, EcosystemID: ch.EcosystemID, Name: ch.Name,
			CurrentEmotion: ch.CurrentEmotion, IsActive: ch.IsActive,
		})
	}
	for _, r := range rels {
		found[r.ID] = struct{}{}
		c.UpsertRelationships = append(c.UpsertRelationships, relationshipEdge{
			ID: r.ID, From: r.FromID, To: r.ToID, Type: r.Type, Label: r.Label,
			Strength: r.Strength, Trust: r.Trust, Familiarity: r.Familiarity,
		})
	}
	for _, id := range plan.Characters {
		if _, ok := found[id]; !ok {
			c.DeleteCharacters = append(c.DeleteCharacters, id)
		}
	}
	for _, id := range plan.Relationships {
		if _, ok := found[id]; !ok {
			c.DeleteRelationships = append(c.DeleteRelationships, id)
		}
	}
	return c
}

// withProjectorLock runs fn on a pooled connection holding the projector lock, waiting
// for the lock or, when wait is false, returning locked false at once if it is taken.
// The lock is a session lock: it is released before the connection goes back to the
// pool, or, if that fails, the connection is closed, which releases it too; a pooled
// session must never keep it.
func withProjectorLock(ctx context.Context, pool *pgxpool.Pool, wait bool, fn func(conn *pgxpool.Conn) error) (locked bool, err error) {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return false, fmt.Errorf("neo4j projector lock: acquire connection: %w", err)
	}
	q := db.New(conn)
	if wait {
		err = q.WaitProjectorLock(ctx, projectorLockKey)
		locked = err == nil
	} else {
		locked, err = q.TryProjectorLock(ctx, projectorLockKey)
	}
	if err != nil {
		// Whether the lock was taken before the failure is unknown.
		closeSession(conn)
		return false, fmt.Errorf("neo4j projector lock: %w", err)
	}
	if !locked {
		conn.Release()
		return false, nil
	}
	defer releaseProjectorLock(conn)
	return true, fn(conn)
}

// releaseProjectorLock unlocks and returns the connection to the pool. It does not use
// the caller's context, which may have ended: the lock must go either way.
func releaseProjectorLock(conn *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if ok, err := db.New(conn).ReleaseProjectorLock(ctx, projectorLockKey); err != nil || !ok {
		closeSession(conn)
		return
	}
	conn.Release()
}

// closeSession takes the connection out of the pool and closes it, ending the session
// and every lock it holds.
func closeSession(conn *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = conn.Hijack().Close(ctx)
}
