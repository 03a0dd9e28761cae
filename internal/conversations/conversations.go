// Package conversations provides conversations between users and characters, and their
// messages. A message is numbered within its conversation in commit order (the
// conversation row is locked while a number is handed out), so a message number is a
// cursor that a reconnecting client can resume from without a gap or a duplicate.
package conversations

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/ecosystems"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/page"
	"github.com/literaryai/ensemble/internal/relay"
)

// Kind says who takes part.
type Kind string

// Kinds.
const (
	// Direct is a user and one character.
	Direct Kind = "DIRECT"
	// Scene is a cast of characters the user directs.
	Scene Kind = "SCENE"
)

// Status is where a conversation stands.
type Status string

// Statuses.
const (
	Active Status = "ACTIVE"
	Paused Status = "PAUSED"
	Ended  Status = "ENDED"
)

// Valid reports whether s is a status.
func (s Status) Valid() bool { return s == Active || s == Paused || s == Ended }

// Limits.
const (
	// MaxContent bounds what a user may send in one message, in characters.
	MaxContent = 10000
	// MaxCast bounds a scene's cast.
	MaxCast = 50
	// MaxTitle bounds a title, in characters.
	MaxTitle = 255
)

// Conversation is a conversation's record; participants and messages load apart.
type Conversation struct {
	ID          uuid.UUID
	EcosystemID uuid.UUID
	OwnerID     uuid.UUID
	Kind        Kind
	Status      Status
	Title       string
	StandInID   *uuid.UUID
	LastSeq     int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// sceneMode is a scene's mode (OBSERVE or PARTICIPATE) while a message is numbered;
	// "" otherwise.
	sceneMode string
}

// NodeID is the conversation's id in the API. A method, not a resolver: gqlgen runs every
// resolver field in a goroutine of its own, and a list of conversations would start one per item.
func (c *Conversation) NodeID() string { return relay.ID(relay.TypeConversation, c.ID) }

func fromRow(r db.Conversation) *Conversation {
	return &Conversation{ID: r.ID, EcosystemID: r.EcosystemID, OwnerID: r.OwnerID, Kind: Kind(r.Kind),
		Status: Status(r.Status), Title: r.Title, StandInID: r.StandInID, LastSeq: r.LastSeq,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// Cursor is a conversation's place in (created_at, id) order.
func Cursor(c *Conversation) page.Cursor { return page.Cursor{CreatedAt: c.CreatedAt, ID: c.ID} }

// ChangedPayload is the payload of conversation.changed.
type ChangedPayload struct {
	Op     string    `json:"op"`
	ID     uuid.UUID `json:"id"`
	Kind   Kind      `json:"kind"`
	Status Status    `json:"status"`
}

// Enqueuer inserts background jobs in a transaction.
type Enqueuer interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) error
}

// Service stores conversations and messages. Every method sees only the viewer's
// conversations (an admin's: all).
type Service struct {
	pool *pgxpool.Pool
	q    *db.Queries
	pub  bus.Bus
	jobs Enqueuer
}

// NewService returns the conversation service. Committed messages are published on pub,
// and followed there by subscribers; replies are enqueued on jobs.
func NewService(pool *pgxpool.Pool, pub bus.Bus, jobs Enqueuer) *Service {
	return &Service{pool: pool, q: db.New(pool), pub: pub, jobs: jobs}
}

// StartInput opens a conversation.
type StartInput struct {
	EcosystemID  uuid.UUID
	Kind         Kind
	CharacterIDs []uuid.UUID
	Title        string
	StandInID    *uuid.UUID
}

func (in StartInput) validate() error {
	switch in.Kind {
	case Direct:
		if len(in.CharacterIDs) != 1 {
			return errs.Invalid("input.characterIds", "a direct conversation has exactly one character")
		}
	case Scene:
		if len(in.CharacterIDs) < 1 || len(in.CharacterIDs) > MaxCast {
			return errs.Invalid("input.characterIds", "a scene has 1 to %d characters", MaxCast)
		}
	default:
		return errs.Invalid("input.kind", "must be DIRECT or SCENE")
	}
	seen := map[uuid.UUID]bool{}
	for _, id := range in.CharacterIDs {
		if seen[id] {
			return errs.Invalid("input.characterIds", "names a character twice")
		}
		seen[id] = true
	}
	if in.StandInID != nil && seen[*in.StandInID] {
		return errs.Invalid("input.standInId", "the character you speak as cannot also be in the cast")
	}
	if !utf8.ValidString(in.Title) || utf8.RuneCountInString(in.Title) > MaxTitle {
		return errs.Invalid("input.title", "must be at most %d characters", MaxTitle)
	}
	return nil
}

// checkCast verifies that every character (and the stand-in) is in the ecosystem.
func checkCast(ctx context.Context, q *db.Queries, ecosystemID uuid.UUID, ids []uuid.UUID, standIn *uuid.UUID) error {
	all := append([]uuid.UUID{}, ids...)
	if standIn != nil {
		all = append(all, *standIn)
	}
	rows, err := q.ListCharactersByIDs(ctx, all)
	if err != nil {
		return fmt.Errorf("load cast: %w", err)
	}
	in := map[uuid.UUID]bool{}
	for _, r := range rows {
		if r.EcosystemID == ecosystemID {
			in[r.ID] = true
		}
	}
	for _, id := range ids {
		if !in[id] {
			return fmt.Errorf("character %s in ecosystem %s: %w", id, ecosystemID, errs.ErrNotFound)
		}
	}
	if standIn != nil && !in[*standIn] {
		return fmt.Errorf("stand-in %s in ecosystem %s: %w", *standIn, ecosystemID, errs.ErrNotFound)
	}
	return nil
}

// Start opens a conversation in one of the viewer's ecosystems.
func (s *Service) Start(ctx context.Context, viewer auth.Identity, in StartInput) (*Conversation, error) {
	in.Title = strings.TrimSpace(in.Title)
	if err := in.validate(); err != nil {
		return nil, err
	}
	var out *Conversation
	err := events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, box *events.Outbox) error {
		c, err := s.create(ctx, q, box, viewer, in)
		out = c
		return err
	})
	return out, err
}

func (s *Service) create(ctx context.Context, q *db.Queries, box *events.Outbox, viewer auth.Identity, in StartInput) (*Conversation, error) {
	eco, err := ecosystems.Find(ctx, q, viewer, in.EcosystemID)
	if err != nil {
		return nil, err
	}
	if err := checkCast(ctx, q, eco.ID, in.CharacterIDs, in.StandInID); err != nil {
		return nil, err
	}
	r, err := q.CreateConversation(ctx, db.CreateConversationParams{EcosystemID: eco.ID, OwnerID: eco.OwnerID,
		Kind: string(in.Kind), Title: in.Title, StandInID: in.StandInID})
	if err != nil {
		return nil, fmt.Errorf("create conversation: %w", err)
	}
	if err := q.AddParticipants(ctx, db.AddParticipantsParams{ConversationID: r.ID, CharacterIds: in.CharacterIDs}); err != nil {
		return nil, fmt.Errorf("add participants: %w", err)
	}
	c := fromRow(r)
	return c, box.Append(c.EcosystemID, events.ConversationChanged,
		ChangedPayload{Op: events.OpUpsert, ID: c.ID, Kind: c.Kind, Status: c.Status})
}

// find loads a conversation the viewer may see, through q.
func find(ctx context.Context, q *db.Queries, viewer auth.Identity, id uuid.UUID) (*Conversation, error) {
	r, err := q.GetConversation(ctx, db.GetConversationParams{ID: id, OwnerID: viewer.OwnerFilter()})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("conversation %s: %w", id, errs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load conversation %s: %w", id, err)
	}
	return fromRow(r), nil
}

// lock loads a conversation the viewer may change, locked until commit.
func lock(ctx context.Context, q *db.Queries, owner *uuid.UUID, id uuid.UUID) (*Conversation, error) {
	r, err := q.LockConversation(ctx, db.LockConversationParams{ID: id, OwnerID: owner})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("conversation %s: %w", id, errs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("lock conversation %s: %w", id, err)
	}
	return fromRow(r), nil
}

// Get returns one conversation.
func (s *Service) Get(ctx context.Context, viewer auth.Identity, id uuid.UUID) (*Conversation, error) {
	return find(ctx, s.q, viewer, id)
}

// ByIDs loads conversations by id, for loaders (visibility is checked by the caller's parent).
func (s *Service) ByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*Conversation, error) {
	rows, err := s.q.ConversationsByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load conversations: %w", err)
	}
	out := make(map[uuid.UUID]*Conversation, len(rows))
	for _, r := range rows {
		out[r.ID] = fromRow(r)
	}
	return out, nil
}

// Participants returns the cast of each conversation, in joining order.
func (s *Service) Participants(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]uuid.UUID, error) {
	rows, err := s.q.ParticipantsOfConversations(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load participants: %w", err)
	}
	out := make(map[uuid.UUID][]uuid.UUID, len(ids))
	for _, r := range rows {
		out[r.ConversationID] = append(out[r.ConversationID], r.CharacterID)
	}
	return out, nil
}

// Filter narrows a list of conversations.
type Filter struct {
	EcosystemID *uuid.UUID
	CharacterID *uuid.UUID
	Status      *Status
}

// List pages through the viewer's conversations, oldest first.
func (s *Service) List(ctx context.Context, viewer auth.Identity, f Filter, a page.Args) (page.Page[*Conversation], error) {
	if f.Status != nil && !f.Status.Valid() {
		return page.Page[*Conversation]{}, errs.Invalid("filter.status", "must be ACTIVE, PAUSED or ENDED")
	}
	var status *string
	if f.Status != nil {
		st := string(*f.Status)
		status = &st
	}
	owner := viewer.OwnerFilter()
	rows, err := s.q.ListConversations(ctx, db.ListConversationsParams{OwnerID: owner, EcosystemID: f.EcosystemID,
		Status: status, CharacterID: f.CharacterID, AfterCreatedAt: a.AfterTime(), AfterID: a.AfterID(), PageLimit: a.Limit()})
	if err != nil {
		return page.Page[*Conversation]{}, fmt.Errorf("list conversations: %w", err)
	}
	items := make([]*Conversation, len(rows))
	for i, r := range rows {
		items[i] = fromRow(r)
	}
	return page.New(items, a, Cursor, func(ctx context.Context) (int, error) {
		n, err := s.q.CountConversations(ctx, db.CountConversationsParams{OwnerID: owner, EcosystemID: f.EcosystemID,
			Status: status, CharacterID: f.CharacterID})
		return int(n), err
	}), nil
}

// SetStatus pauses, resumes or ends a conversation. An ended conversation stays ended.
func (s *Service) SetStatus(ctx context.Context, viewer auth.Identity, id uuid.UUID, status Status) (*Conversation, error) {
	if !status.Valid() {
		return nil, errs.Invalid("status", "must be ACTIVE, PAUSED or ENDED")
	}
	var out *Conversation
	err := events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, box *events.Outbox) error {
		c, err := lock(ctx, q, viewer.OwnerFilter(), id)
		if err != nil {
			return err
		}
		if c.Status == Ended && status != Ended {
			return fmt.Errorf("conversation %s has ended and cannot be reopened: %w", id, errs.ErrConflict)
		}
		r, err := q.SetConversationStatus(ctx, db.SetConversationStatusParams{ID: id, Status: string(status)})
		if err != nil {
			return fmt.Errorf("set status of conversation %s: %w", id, err)
		}
		out = fromRow(r)
		return box.Append(out.EcosystemID, events.ConversationChanged,
			ChangedPayload{Op: events.OpUpsert, ID: out.ID, Kind: out.Kind, Status: out.Status})
	})
	return out, err
}

// Delete removes a conversation and its messages.
func (s *Service) Delete(ctx context.Context, viewer auth.Identity, id uuid.UUID) error {
	return events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, box *events.Outbox) error {
		c, err := lock(ctx, q, viewer.OwnerFilter(), id)
		if err != nil {
			return err
		}
		if _, err := q.DeleteConversation(ctx, db.DeleteConversationParams{ID: id}); err != nil {
			return fmt.Errorf("delete conversation %s: %w", id, err)
		}
		return box.Append(c.EcosystemID, events.ConversationChanged,
			ChangedPayload{Op: events.OpDelete, ID: c.ID, Kind: c.Kind, Status: c.Status})
	})
}
