// Package chat writes characters' replies. A user's message is stored and a reply job
// enqueued in one transaction (package conversations); the job, on any instance,
// gathers what the character knows (persona, traits, emotion, its bond with the user's
// stand-in, recalled memories, recent lines), streams the reply as message.delta events
// while the Generator writes it, then stores it as one message together with the
// character's new emotion and energy, and gives the character a memory of the exchange.
// A generator that fails leaves a system message in the conversation instead of a reply:
// never a crash, never half a reply.
package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/conversations"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/llm"
	"github.com/literaryai/ensemble/internal/memories"
	"github.com/literaryai/ensemble/internal/relationships"
)

// Tuning of a reply.
const (
	// historyLines is how many earlier lines the generator sees.
	historyLines = 12
	// recallCount is how many memories are recalled for a reply.
	recallCount = 5
	// energyCost is the social energy one reply spends (halved for an extravert).
	energyCost = 0.05
	// energyRecovery is the social energy regained per hour without talking.
	energyRecovery = 0.1
	// deltaInterval coalesces streamed pieces: one event at most this often.
	deltaInterval = 25 * time.Millisecond
)

// Delta is the payload of message.delta: a piece of a reply being written. Index counts
// the pieces of one reply from 0; the last event has Done set (and no text).
type Delta struct {
	ConversationID uuid.UUID `json:"conversationId"`
	MessageID      uuid.UUID `json:"messageId"`
	ReplyToID      uuid.UUID `json:"replyToId"`
	CharacterID    uuid.UUID `json:"characterId"`
	Index          int       `json:"index"`
	Text           string    `json:"text"`
	Done           bool      `json:"done,omitempty"`
}

// DecodeDelta reads a message.delta payload.
func DecodeDelta(payload json.RawMessage) (*Delta, error) {
	var d Delta
	if err := json.Unmarshal(payload, &d); err != nil {
		return nil, fmt.Errorf("decode delta: %w", err)
	}
	return &d, nil
}

func decodeDelta(payload json.RawMessage) (any, error) { return DecodeDelta(payload) }

// DeltaOf returns the piece a message.delta event carries, decoded once for all the
// event's subscribers: treat it as read-only.
func DeltaOf(e events.Event) (*Delta, error) {
	v, err := e.Decode(decodeDelta)
	if err != nil {
		return nil, err
	}
	return v.(*Delta), nil
}

// Deps are what replies are made of.
type Deps struct {
	Auth          *auth.Service
	Conversations *conversations.Service
	Characters    *characters.Service
	Memories      *memories.Service
	Relationships *relationships.Service
	Generator     llm.Generator
	Bus           bus.Bus
	Logger        *slog.Logger
	Now           func() time.Time
	// Timeout bounds writing one reply.
	Timeout time.Duration
}

// Worker is the River worker of conversations.ReplyArgs.
type Worker struct {
	river.WorkerDefaults[conversations.ReplyArgs]
	d Deps
}

// NewWorker returns the reply worker.
func NewWorker(d Deps) *Worker {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Timeout <= 0 {
		d.Timeout = 2 * time.Minute
	}
	return &Worker{d: d}
}

// Timeout lets River cancel a reply that outlives the generator's own limits.
func (w *Worker) Timeout(*river.Job[conversations.ReplyArgs]) time.Duration {
	return w.d.Timeout + 30*time.Second
}

// Work writes one reply. A retry finds an answer already stored and only makes sure the
// character remembers the exchange.
func (w *Worker) Work(ctx context.Context, job *river.Job[conversations.ReplyArgs]) error {
	args := job.Args
	done, err := w.d.Conversations.AnswerOf(ctx, args.MessageID, args.CharacterID)
	if err != nil {
		return err
	}
	if done != nil {
		return w.rememberLater(ctx, args.CharacterID, done)
	}
	t, err := w.gather(ctx, args)
	if errors.Is(err, errs.ErrNotFound) {
		// The message, its conversation or the character is gone: nobody to answer.
		w.d.Logger.Info("reply dropped: message or character deleted", "message", args.MessageID, "error", err)
		return nil
	}
	if err != nil {
		return err
	}
	reply, genErr := w.generate(ctx, t)
	if genErr != nil && ctx.Err() != nil && !errors.Is(genErr, llm.ErrInterrupted) {
		// Shutting down or timed out: River retries the job; nothing was stored.
		return fmt.Errorf("reply to %s: %w", args.MessageID, genErr)
	}
	var stored *conversations.Message
	if genErr != nil {
		stored, err = w.storeFailure(ctx, t, genErr)
	} else {
		stored, err = w.storeReply(ctx, t, reply)
	}
	switch {
	case errors.Is(err, conversations.ErrAnswered):
	case errors.Is(err, errs.ErrNotFound):
		// The conversation was deleted while the reply was written.
		return nil
	case err != nil:
		return err
	}
	w.publish(ctx, t, Delta{Index: t.pieces, Done: true})
	if genErr != nil {
		return nil
	}
	return w.remember(ctx, t.viewer, t.character.ID, t.message, stored)
}

// turn is everything one reply is made from.
type turn struct {
	viewer    auth.Identity
	message   *conversations.Message
	conv      *conversations.Conversation
	character *characters.Character
	request   llm.Request
	replyID   uuid.UUID
	pieces    int
}

// gather loads the message, its conversation and the character, and builds the request.
func (w *Worker) gather(ctx context.Context, args conversations.ReplyArgs) (*turn, error) {
	msg, conv, err := w.messageIn(ctx, args.MessageID)
	if err != nil {
		return nil, err
	}
	viewer := ownerOf(conv)
	ch, err := w.d.Characters.Get(ctx, viewer, args.CharacterID)
	if err != nil {
		return nil, err
	}
	t := &turn{viewer: viewer, message: msg, conv: conv, character: ch, replyID: uuid.New()}
	t.request = llm.Request{
		Character: llm.Persona{Name: ch.Name, Description: ch.Description, Backstory: ch.Backstory,
			SpeakingStyle: ch.SpeakingStyle, Goals: ch.Goals, Emotion: ch.CurrentEmotion, SocialEnergy: ch.SocialEnergy,
			Traits: llm.Traits{Openness: ch.Traits.Openness, Conscientiousness: ch.Traits.Conscientiousness,
				Extraversion: ch.Traits.Extraversion, Agreeableness: ch.Traits.Agreeableness, Neuroticism: ch.Traits.Neuroticism}},
		Message: msg.Content,
	}
	if t.request.Listener, t.request.Relationship, err = w.listener(ctx, t); err != nil {
		return nil, err
	}
	t.request.Memories = w.recall(ctx, t)
	history, err := w.d.Conversations.Before(ctx, conv.ID, msg.Seq, historyLines)
	if err != nil {
		return nil, err
	}
	t.request.History, err = w.turns(ctx, history, t.request.Listener)
	return t, err
}

// listener is who the character answers: the user's stand-in (and the character's bond
// with it) or the user by name.
func (w *Worker) listener(ctx context.Context, t *turn) (string, *llm.Bond, error) {
	if t.conv.StandInID != nil {
		standIn, err := w.d.Characters.Get(ctx, t.viewer, *t.conv.StandInID)
		if err == nil {
			rels, err := w.d.Relationships.Between(ctx, t.viewer, t.character.ID, standIn.ID)
			if err != nil {
				return "", nil, err
			}
			for _, r := range rels {
				if r.FromID == t.character.ID {
					return standIn.Name, &llm.Bond{Type: string(r.Type), Strength: r.Strength, Trust: r.Trust, Familiarity: r.Familiarity}, nil
				}
			}
			return standIn.Name, nil, nil
		}
		if !errors.Is(err, errs.ErrNotFound) {
			return "", nil, err
		}
	}
	users, err := w.d.Auth.UsersByIDs(ctx, []uuid.UUID{t.viewer.UserID})
	if err != nil {
		return "", nil, err
	}
	if u, ok := users[t.viewer.UserID]; ok {
		return u.Username, nil, nil
	}
	return "", nil, nil
}

// recall returns what the character remembers that bears on the message. Memories make a
// reply better but are not needed for one: an embedder that is down costs them only.
func (w *Worker) recall(ctx context.Context, t *turn) []string {
	query := t.message.Content
	if utf8.RuneCountInString(query) > memories.MaxContent {
		query = string([]rune(query)[:memories.MaxContent])
	}
	scored, err := w.d.Memories.Recall(ctx, t.viewer, t.character.ID, query, recallCount, nil)
	if err != nil {
		w.d.Logger.Warn("reply without memories: recall failed", "character", t.character.ID, "error", err)
		return nil
	}
	out := make([]string, len(scored))
	for i, s := range scored {
		out[i] = s.Memory.Content
	}
	return out
}

// turns names the speakers of earlier lines.
func (w *Worker) turns(ctx context.Context, history []*conversations.Message, user string) ([]llm.Turn, error) {
	var ids []uuid.UUID
	for _, m := range history {
		if m.SenderCharID != nil {
			ids = append(ids, *m.SenderCharID)
		}
	}
	names := map[uuid.UUID]*characters.Character{}
	if len(ids) > 0 {
		var err error
		if names, err = w.d.Characters.ByIDs(ctx, ids); err != nil {
			return nil, err
		}
	}
	out := make([]llm.Turn, 0, len(history))
	for _, m := range history {
		tn := llm.Turn{Text: m.Content}
		switch {
		case m.SenderKind == conversations.SenderUser:
			tn.Speaker, tn.FromUser = user, true
		case m.SenderCharID != nil && names[*m.SenderCharID] != nil:
			tn.Speaker = names[*m.SenderCharID].Name
		case m.SenderKind == conversations.SenderNarrator:
			tn.Speaker = "Narrator"
		default:
			continue
		}
		out = append(out, tn)
	}
	return out, nil
}

// generate writes the reply, streaming pieces as message.delta events (coalesced, so a
// fast generator does not flood subscribers), and stops when the conversation ends or
// is deleted meanwhile: nobody is waiting for the reply any more.
func (w *Worker) generate(ctx context.Context, t *turn) (llm.Reply, error) {
	ctx, cancel := context.WithTimeout(ctx, w.d.Timeout)
	defer cancel()
	stop := w.d.Bus.Subscribe(func(e events.Event) bool { return e.Topic == events.ConversationChanged }, 16)
	defer stop.Close()
	go func() {
		for e := range stop.Events() {
			var p conversations.ChangedPayload
			if json.Unmarshal(e.Payload, &p) == nil && p.ID == t.conv.ID && (p.Op == events.OpDelete || p.Status == conversations.Ended) {
				cancel()
			}
		}
	}()
	var buf strings.Builder
	var last time.Time
	flush := func() {
		if buf.Len() == 0 {
			return
		}
		w.publish(ctx, t, Delta{Index: t.pieces, Text: buf.String()})
		t.pieces++
		buf.Reset()
		last = time.Now()
	}
	reply, err := w.d.Generator.Generate(ctx, t.request, func(piece string) {
		buf.WriteString(piece)
		if time.Since(last) >= deltaInterval {
			flush()
		}
	})
	if err == nil {
		flush()
	}
	return reply, err
}

func (w *Worker) publish(ctx context.Context, t *turn, d Delta) {
	d.ConversationID, d.MessageID, d.ReplyToID, d.CharacterID = t.conv.ID, t.replyID, t.message.ID, t.character.ID
	payload, err := json.Marshal(d)
	if err != nil {
		w.d.Logger.Error("encode delta", "error", err)
		return
	}
	w.d.Bus.Publish(ctx, events.Event{EcosystemID: t.conv.EcosystemID, Topic: events.MessageDelta, At: w.d.Now(), Payload: payload})
}

// storeReply stores the reply with the character's new emotion and energy: energy
// recovers with time since the last interaction, and talking spends some.
func (w *Worker) storeReply(ctx context.Context, t *turn, r llm.Reply) (*conversations.Message, error) {
	now := w.d.Now()
	ch := t.character
	energy := ch.SocialEnergy
	if ch.LastInteraction != nil {
		energy += now.Sub(*ch.LastInteraction).Hours() * energyRecovery
	}
	energy = math.Min(1, energy) - energyCost*(1-ch.Traits.Extraversion/2)
	emotion, intensity := r.Emotion, math.Max(0, math.Min(1, r.Intensity))
	meta, err := json.Marshal(map[string]any{
		"generator": r.Model, "offline": r.Offline, "finishReason": r.FinishReason,
		"memoriesRecalled": len(t.request.Memories),
	})
	if err != nil {
		return nil, fmt.Errorf("encode reply metadata: %w", err)
	}
	content := strings.TrimSpace(r.Text)
	if content == "" {
		content = "…"
	}
	return w.d.Conversations.StoreAnswer(ctx, conversations.Answer{ReplyTo: t.message, ID: t.replyID,
		CharacterID: &ch.ID, Content: content, Emotion: &emotion, Intensity: &intensity, Metadata: meta,
		Energy: energy, At: now})
}

// storeFailure leaves a system message saying why there is no reply.
func (w *Worker) storeFailure(ctx context.Context, t *turn, genErr error) (*conversations.Message, error) {
	w.d.Logger.Warn("reply failed; telling the conversation", "message", t.message.ID, "error", genErr)
	reason := "the language model is unavailable"
	switch {
	case errors.Is(genErr, llm.ErrInterrupted):
		reason = "the language model stopped mid-reply"
	case errors.Is(genErr, llm.ErrRejected):
		reason = "the language model refused the request"
	case errors.Is(genErr, context.Canceled), errors.Is(genErr, context.DeadlineExceeded):
		reason = "the reply was cancelled or took too long"
	}
	meta, err := json.Marshal(map[string]any{"error": genErr.Error(), "characterId": t.character.ID, "generator": w.d.Generator.Model()})
	if err != nil {
		return nil, fmt.Errorf("encode failure metadata: %w", err)
	}
	// A fresh context: the failure must be recorded even when the reply's was cancelled.
	storeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	return w.d.Conversations.StoreAnswer(storeCtx, conversations.Answer{ReplyTo: t.message, ID: t.replyID,
		Content: fmt.Sprintf("%s could not reply: %s. Try again in a moment.", t.character.Name, reason), Metadata: meta, At: w.d.Now()})
}

// rememberLater makes sure a retried job's character remembers the exchange its earlier
// attempt stored.
func (w *Worker) rememberLater(ctx context.Context, characterID uuid.UUID, reply *conversations.Message) error {
	if reply.SenderKind != conversations.SenderCharacter || reply.ReplyToID == nil {
		return nil
	}
	done, err := w.d.Memories.RemembersMessage(ctx, characterID, reply.ID)
	if err != nil || done {
		return err
	}
	asked, conv, err := w.messageIn(ctx, *reply.ReplyToID)
	if errors.Is(err, errs.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return w.remember(ctx, ownerOf(conv), characterID, asked, reply)
}

// messageIn loads a message and its conversation.
func (w *Worker) messageIn(ctx context.Context, id uuid.UUID) (*conversations.Message, *conversations.Conversation, error) {
	msgs, err := w.d.Conversations.MessagesByIDs(ctx, []uuid.UUID{id})
	if err != nil {
		return nil, nil, err
	}
	msg, ok := msgs[id]
	if !ok {
		return nil, nil, fmt.Errorf("message %s: %w", id, errs.ErrNotFound)
	}
	convs, err := w.d.Conversations.ByIDs(ctx, []uuid.UUID{msg.ConversationID})
	if err != nil {
		return nil, nil, err
	}
	conv, ok := convs[msg.ConversationID]
	if !ok {
		return nil, nil, fmt.Errorf("conversation %s: %w", msg.ConversationID, errs.ErrNotFound)
	}
	return msg, conv, nil
}

// ownerOf is who a reply job acts for: the conversation's owner.
func ownerOf(conv *conversations.Conversation) auth.Identity {
	return auth.Identity{UserID: conv.OwnerID, Role: auth.RoleUser}
}

// remember gives the character a memory of the exchange.
func (w *Worker) remember(ctx context.Context, viewer auth.Identity, characterID uuid.UUID, asked, reply *conversations.Message) error {
	content := clip(fmt.Sprintf("I was told: %q. I answered: %q", clip(asked.Content, 1500), clip(reply.Content, 1500)), memories.MaxContent)
	_, err := w.d.Memories.Add(ctx, viewer, characterID, memories.Input{Content: content, Type: memories.Dialogue, SourceMessageID: &reply.ID})
	if errors.Is(err, errs.ErrNotFound) {
		return nil
	}
	return err
}

// clip shortens s to at most n characters.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
