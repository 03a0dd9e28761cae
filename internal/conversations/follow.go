package conversations

import (
	"context"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/live"
)

// Follow streams a conversation's messages as they are stored: first those after the
// cursor (nil: none), then live, each exactly once and in order.
func (s *Service) Follow(ctx context.Context, viewer auth.Identity, id uuid.UUID, after *int64) (<-chan *Message, error) {
	conv, err := find(ctx, s.q, viewer, id)
	if err != nil {
		return nil, err
	}
	return live.Follow(ctx, live.Feed[*Message]{
		Bus: s.pub,
		Match: func(e events.Event) bool {
			if e.Topic != events.MessageCreated || e.EcosystemID != conv.EcosystemID {
				return false
			}
			m, err := MessageOf(e)
			return err == nil && m.ConversationID == conv.ID
		},
		Decode: func(e events.Event) (*Message, int64, bool, error) {
			m, err := MessageOf(e)
			if err != nil {
				return nil, 0, false, err
			}
			return m, m.Seq, true, nil
		},
		Load: func(ctx context.Context, after int64, limit int) ([]*Message, error) {
			return s.After(ctx, conv.ID, after, limit)
		},
		Seq:  func(m *Message) int64 { return m.Seq },
		Head: func(ctx context.Context) (int64, error) { return s.Head(ctx, conv.ID) },
	}, after)
}
