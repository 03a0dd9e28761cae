package chat

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/conversations"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/limits"
)

// recheck is how often a waiting chat looks in Postgres for its reply, in case the bus
// lost the announcement (Redis away for a moment).
const recheck = time.Second

// Chat sends messages and waits for their replies, for clients that do not subscribe.
type Chat struct {
	conversations *conversations.Service
	bus           bus.Bus
	timeout       time.Duration
}

// NewChat returns a Chat that waits at most timeout for a reply.
func NewChat(c *conversations.Service, b bus.Bus, timeout time.Duration) *Chat {
	return &Chat{conversations: c, bus: b, timeout: timeout}
}

// Converse stores the viewer's message and waits for the reply. The reply is a
// character's message, or a system message saying why none could be written.
func (c *Chat) Converse(ctx context.Context, viewer auth.Identity, in conversations.SendInput) (*conversations.Sent, *conversations.Message, error) {
	if in.CharacterID == nil {
		return nil, nil, errs.Invalid("characterId", "name the character to talk with")
	}
	in.ID = uuid.New()
	// Listen before sending, so the reply cannot come and go unseen.
	sub := c.bus.Subscribe(func(e events.Event) bool { return e.Topic == events.MessageCreated }, 64)
	defer sub.Close()
	sent, err := c.conversations.Send(ctx, viewer, in)
	if err != nil {
		return nil, nil, err
	}
	if sent.Responder == nil {
		// Send answers a character that is named or alone in the conversation.
		return nil, nil, fmt.Errorf("message %s has nobody to answer it: %w", in.ID, errs.ErrConflict)
	}
	// The reply is a job's to write, with a model perhaps taking a minute: the wait holds
	// no CPU and no connection, so it gives back the operation's turn at the server's
	// gate and its deadline (c.timeout bounds it instead).
	limits.Waiting(ctx)
	deadline := time.NewTimer(c.timeout)
	defer deadline.Stop()
	tick := time.NewTicker(recheck)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		case <-deadline.C:
			return nil, nil, fmt.Errorf("no reply to message %s within %s; it will still appear in the conversation: %w",
				in.ID, c.timeout, errs.ErrUnavailable)
		case e, ok := <-sub.Events():
			if !ok {
				return nil, nil, fmt.Errorf("server shutting down: %w", errs.ErrUnavailable)
			}
			if m, err := conversations.MessageOf(e); err == nil && m.ReplyToID != nil && *m.ReplyToID == in.ID {
				return sent, m, nil
			}
			continue
		case <-sub.Gaps():
		case <-tick.C:
		}
		m, err := c.conversations.AnswerOf(ctx, in.ID, *sent.Responder)
		if err != nil {
			return nil, nil, err
		}
		if m != nil {
			return sent, m, nil
		}
	}
}
