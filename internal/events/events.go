// Package events is the outbox: every change worth watching is appended to the events
// table in the transaction of the change, then published on the bus once committed.
// Subscriptions replay it from a cursor (the event id) and projections (Neo4j) read it
// in order.
package events

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/db"
)

// Topics.
const (
	RelationshipChanged = "relationship.changed"
	CharacterChanged    = "character.changed"
	EcosystemChanged    = "ecosystem.changed"
	MemoryChanged       = "memory.changed"
	MessageCreated      = "message.created"
	ConversationChanged = "conversation.changed"
	DocumentChanged     = "document.changed"
	// SceneChanged is a change of a scene's state: started, paused, resumed, ended,
	// stepped, a turn's speaker, a setting, a direction.
	SceneChanged = "scene.changed"
	// MessageDelta carries a piece of a reply being written. It is published, never
	// stored: a client that misses deltas still gets the whole message.
	MessageDelta = "message.delta"
	// SessionRevoked announces sessions that ended (signed out, a refresh token reused,
	// the account deleted), so live connections of them close and cached session checks
	// are dropped at once on every instance. Published, never stored.
	SessionRevoked = "auth.session_revoked"
)

// Ops in payloads.
const (
	OpUpsert = "UPSERT"
	OpDelete = "DELETE"
	// OpImport is a batch of memories imported at once (memory.changed only).
	OpImport = "IMPORT"
)

// Event is one row of the outbox, or an ephemeral event (ID and Seq 0) that is only
// published.
type Event struct {
	ID int64
	// Seq numbers the ecosystem's events in commit order with no holes (0 for ephemeral
	// events, and for the one announcing an ecosystem's deletion).
	Seq         int64
	EcosystemID uuid.UUID
	Topic       string
	At          time.Time
	Payload     json.RawMessage

	memo *memo
}

// memo holds an event's decoded payload, shared by every copy of the event.
type memo struct {
	once sync.Once
	v    any
	err  error
}

// Shared returns the event prepared for fan-out: every copy of the result decodes its
// payload once between them (Decode), instead of once per subscriber.
func (e Event) Shared() Event {
	e.memo = &memo{}
	return e
}

// Decode returns the payload decoded by decode, which must depend on the payload alone.
// The result is shared by all subscribers of a Shared event: treat it as read-only.
func (e Event) Decode(decode func(json.RawMessage) (any, error)) (any, error) {
	if e.memo == nil {
		return decode(e.Payload)
	}
	e.memo.once.Do(func() { e.memo.v, e.memo.err = decode(e.Payload) })
	return e.memo.v, e.memo.err
}

// DecodeAs returns the payload decoded as a T, once between all copies of a Shared event.
// The result is shared by the event's subscribers: treat it as read-only.
func DecodeAs[T any](e Event) (*T, error) {
	v, err := e.Decode(func(payload json.RawMessage) (any, error) {
		var t T
		if err := json.Unmarshal(payload, &t); err != nil {
			return nil, fmt.Errorf("decode %s payload: %w", e.Topic, err)
		}
		return &t, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*T), nil
}

// FromRow converts a stored event.
func FromRow(r db.Event) Event {
	e := Event{ID: r.ID, EcosystemID: r.EcosystemID, Topic: r.Topic, At: r.At, Payload: r.Payload}
	if r.Seq != nil {
		e.Seq = *r.Seq
	}
	return e
}

// CharacterPayload is the payload of character.changed: the character's graph-relevant
// state after the change (or the deleted character).
type CharacterPayload struct {
	Op             string    `json:"op"`
	ID             uuid.UUID `json:"id"`
	EcosystemID    uuid.UUID `json:"ecosystemId"`
	Name           string    `json:"name"`
	CurrentEmotion string    `json:"currentEmotion"`
	IsActive       bool      `json:"isActive"`
}

// EcosystemPayload is the payload of ecosystem.changed; a DELETE takes its characters and
// relationships with it.
type EcosystemPayload struct {
	Op string    `json:"op"`
	ID uuid.UUID `json:"id"`
}

// RelationshipPayload is the payload of relationship.changed: the relationship after the
// change (for DELETED, as it was), and what changed.
type RelationshipPayload struct {
	// Kind is CREATED, UPDATED, ADJUSTED or DELETED.
	Kind        string    `json:"kind"`
	HistoryID   int64     `json:"historyId"`
	ID          uuid.UUID `json:"id"`
	EcosystemID uuid.UUID `json:"ecosystemId"`
	FromID      uuid.UUID `json:"fromId"`
	ToID        uuid.UUID `json:"toId"`
	Type        string    `json:"type"`
	Label       *string   `json:"label,omitempty"`
	Strength    float64   `json:"strength"`
	Trust       float64   `json:"trust"`
	Familiarity float64   `json:"familiarity"`
	Clamped     bool      `json:"clamped,omitempty"`
	Cause       *string   `json:"cause,omitempty"`
	Actor       string    `json:"actor"`
}

// Publisher delivers committed events to whoever listens (the bus).
type Publisher interface {
	Publish(ctx context.Context, evs ...Event)
}

// Outbox collects the events of one transaction.
type Outbox struct {
	tx      pgx.Tx
	q       *db.Queries
	pending []*ecosystemEvents
	evs     []Event
}

// ecosystemEvents is what a transaction changed in one ecosystem: its events, in order,
// and whether its graph changed.
type ecosystemEvents struct {
	ecosystemID uuid.UUID
	topics      []string
	payloads    []json.RawMessage
	graph       bool
}

// Tx is the transaction, for work that must commit with the change (enqueuing a job).
func (o *Outbox) Tx() pgx.Tx { return o.tx }

func (o *Outbox) of(ecosystemID uuid.UUID) *ecosystemEvents {
	for _, p := range o.pending {
		if p.ecosystemID == ecosystemID {
			return p
		}
	}
	p := &ecosystemEvents{ecosystemID: ecosystemID}
	o.pending = append(o.pending, p)
	return p
}

// Append adds an event to the transaction. The events are written once the
// transaction's work is done, in the round trip that commits it (see Transact), so a
// caller may append wherever it is convenient: the ecosystem's lock is taken last anyway.
func (o *Outbox) Append(ecosystemID uuid.UUID, topic string, payload any) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", topic, err)
	}
	p := o.of(ecosystemID)
	p.topics = append(p.topics, topic)
	p.payloads = append(p.payloads, b)
	return nil
}

// GraphChanged records that the transaction changes the ecosystem's characters or
// relationships: when it commits, graph caches learn that their copy is stale.
func (o *Outbox) GraphChanged(ecosystemID uuid.UUID) {
	o.of(ecosystemID).graph = true
}

// commit writes the events, one statement per ecosystem, and commits, in one round
// trip. Writing an ecosystem's events locks its row until commit (its event numbers
// follow commit order), and every writer of the ecosystem queues on that lock: taken at
// commit, it is held for the commit alone, and it is always the last lock a transaction
// takes (conversation, character, then ecosystem), so transactions cannot deadlock on it.
func (o *Outbox) commit(ctx context.Context) error {
	if len(o.pending) == 0 {
		return o.tx.Commit(ctx)
	}
	b := &pgx.Batch{}
	for _, p := range o.pending {
		db.QueueAppendEvents(b, db.AppendEventsParams{EcosystemID: p.ecosystemID, Topics: p.topics,
			Payloads: p.payloads, GraphChanged: p.graph}, func(rows []db.AppendEventsRow) error {
			if len(rows) != len(p.topics) {
				return fmt.Errorf("append events of ecosystem %s: %d of %d written", p.ecosystemID, len(rows), len(p.topics))
			}
			// Ids follow the order the events were appended in.
			slices.SortFunc(rows, func(a, b db.AppendEventsRow) int { return cmp.Compare(a.ID, b.ID) })
			for i, r := range rows {
				e := Event{ID: r.ID, EcosystemID: p.ecosystemID, Topic: p.topics[i], At: r.At, Payload: p.payloads[i]}
				if r.Seq != nil {
					e.Seq = *r.Seq
				}
				o.evs = append(o.evs, e)
			}
			return nil
		})
	}
	b.Queue("commit")
	if err := o.tx.SendBatch(ctx, b).Close(); err != nil {
		// When the events failed, the COMMIT never ran and the transaction is still open.
		_ = o.tx.Rollback(ctx)
		return fmt.Errorf("append events and commit: %w", err)
	}
	return nil
}

// Transact runs fn in a transaction, writes the events fn appended last of all, with
// the commit, and once the transaction has committed, publishes them: nothing is
// announced that did not happen.
func Transact(ctx context.Context, pool *pgxpool.Pool, pub Publisher, fn func(q *db.Queries, out *Outbox) error) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	// A connection left inside a transaction (a rollback that failed) is closed on
	// release, never reused.
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	out := &Outbox{tx: tx, q: db.New(tx)}
	if err := fn(out.q, out); err != nil {
		// The error that matters is fn's.
		_ = tx.Rollback(ctx)
		return err
	}
	// The batch's COMMIT ends the transaction on the server; tx is done with then.
	if err := out.commit(ctx); err != nil {
		return err
	}
	if len(out.evs) > 0 {
		pub.Publish(ctx, out.evs...)
	}
	return nil
}
