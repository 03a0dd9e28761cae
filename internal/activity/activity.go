// Package activity streams what happens in an ecosystem: its outbox events, numbered in
// commit order (migrations/00006), replayed from a cursor and then followed live.
package activity

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/ecosystems"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/live"
	"github.com/literaryai/ensemble/internal/page"
)

// Topics are the persisted topics an ecosystem's activity stream carries.
var Topics = []string{events.MessageCreated, events.RelationshipChanged, events.CharacterChanged,
	events.MemoryChanged, events.ConversationChanged, events.SceneChanged}

// Service streams ecosystem events.
type Service struct {
	q   *db.Queries
	bus bus.Bus
}

// NewService returns the activity service.
func NewService(pool *pgxpool.Pool, b bus.Bus) *Service {
	return &Service{q: db.New(pool), bus: b}
}

// Events is the stream of an ecosystem's events: its cursors.
var Events = page.Stream{Prefix: "eco", Item: "event", Scope: "ecosystem"}

// Cursor is the client's cursor for an event.
func Cursor(e events.Event) string { return Events.Cursor(e.EcosystemID, e.Seq) }

// Follow streams the ecosystem's events of the given topics (a subset of Topics): first
// those after the client's cursor (nil: none), then live, each exactly once and in order.
// A cursor older than the events kept (EVENTS_RETENTION) has expired: BAD_USER_INPUT on
// after, since the events between it and the oldest kept are gone.
func (s *Service) Follow(ctx context.Context, viewer auth.Identity, ecosystemID uuid.UUID, topics []string, after *int64) (<-chan events.Event, error) {
	eco, err := ecosystems.Find(ctx, s.q, viewer, ecosystemID)
	if err != nil {
		return nil, err
	}
	if after != nil && *after < eco.EventsPrunedSeq {
		return nil, errs.Invalid("after", "the cursor has expired: events older than the retention are deleted; read the current state and subscribe without a cursor")
	}
	return s.follow(ctx, ecosystemID, topics, after)
}

// FollowFrom is Follow from a starting point the server chose (a scene's first event),
// which starts at the oldest event kept when it is older.
func (s *Service) FollowFrom(ctx context.Context, viewer auth.Identity, ecosystemID uuid.UUID, topics []string, from int64) (<-chan events.Event, error) {
	eco, err := ecosystems.Find(ctx, s.q, viewer, ecosystemID)
	if err != nil {
		return nil, err
	}
	from = max(from, eco.EventsPrunedSeq)
	return s.follow(ctx, ecosystemID, topics, &from)
}

func (s *Service) follow(ctx context.Context, ecosystemID uuid.UUID, topics []string, after *int64) (<-chan events.Event, error) {
	for _, t := range topics {
		if !slices.Contains(Topics, t) {
			return nil, fmt.Errorf("activity: %q is not a streamed topic", t)
		}
	}
	return live.Follow(ctx, live.Feed[events.Event]{
		Bus: s.bus,
		// Every numbered event of the ecosystem, whatever its topic: the stream's numbers
		// count them all, so events of other topics are how it sees there is no gap.
		Match: func(e events.Event) bool { return e.EcosystemID == ecosystemID && e.Seq > 0 },
		Decode: func(e events.Event) (events.Event, int64, bool, error) {
			return e, e.Seq, slices.Contains(topics, e.Topic), nil
		},
		Load: func(ctx context.Context, after int64, limit int) ([]events.Event, error) {
			rows, err := s.q.ListEcosystemEvents(ctx, db.ListEcosystemEventsParams{EcosystemID: ecosystemID,
				AfterSeq: &after, Topics: topics, MaxEvents: int32(limit)})
			if err != nil {
				return nil, fmt.Errorf("read events of ecosystem %s: %w", ecosystemID, err)
			}
			out := make([]events.Event, len(rows))
			for i, r := range rows {
				out[i] = events.FromRow(r)
			}
			return out, nil
		},
		Seq: func(e events.Event) int64 { return e.Seq },
		Head: func(ctx context.Context) (int64, error) {
			n, err := s.q.EcosystemEventSeq(ctx, ecosystemID)
			if err != nil {
				return 0, fmt.Errorf("read position of ecosystem %s: %w", ecosystemID, err)
			}
			return n, nil
		},
	}, after)
}
