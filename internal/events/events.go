// Package events is the outbox: every change worth watching is appended to the events
// table in the transaction of the change, then published on the bus once committed.
// Subscriptions replay it from a cursor (the event id) and projections (Neo4j) read it
// in order.
package events

import (
	"context"
	"encoding/json"
	"fmt"
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
	// MessageDelta carries a piece of a reply being written. It is published, never
	// stored: a client that misses deltas still gets the whole message.
	MessageDelta = "message.delta"
	// TokenRevoked announces a signed-out access token, so live connections holding it
	// end at once on every instance. Published, never stored.
	TokenRevoked = "auth.token_revoked"
)

// Ops in payloads.
const (
	OpUpsert = "UPSERT"
	OpDelete = "DELETE"
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
	tx  pgx.Tx
	q   *db.Queries
	evs []Event
}

// Tx is the transaction, for work that must commit with the change (enqueuing a job).
func (o *Outbox) Tx() pgx.Tx { return o.tx }

// Append writes an event in the transaction.
func (o *Outbox) Append(ctx context.Context, ecosystemID uuid.UUID, topic string, payload any) error {
	b, err := json.Marshal(payload)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", topic, err)
	}
	r, err := o.q.AppendEvent(ctx, db.AppendEventParams{EcosystemID: ecosystemID, Topic: topic, Payload: b})
	if err != nil {
		return fmt.Errorf("append %s event: %w", topic, err)
	}
	o.evs = append(o.evs, FromRow(r))
	return nil
}

// Transact runs fn in a transaction and, once it has committed, publishes the events fn
// appended: nothing is announced that did not happen.
func Transact(ctx context.Context, pool *pgxpool.Pool, pub Publisher, fn func(q *db.Queries, out *Outbox) error) error {
	var out *Outbox
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		q := db.New(tx)
		out = &Outbox{tx: tx, q: q}
		return fn(q, out)
	})
	if err != nil {
		return err
	}
	if len(out.evs) > 0 {
		pub.Publish(ctx, out.evs...)
	}
	return nil
}
