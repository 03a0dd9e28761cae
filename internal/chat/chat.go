// Package chat writes characters' replies. A user's message is stored and a reply job
// enqueued in one transaction (package conversations); the job, on any instance,
// gathers what the character knows (persona, traits, emotion, its bond with the user's
// stand-in, recalled memories, recent lines), streams the reply as message.delta events
// while the Generator writes it, then stores it as one message together with the
// character's new emotion and energy and its memory of the exchange, in one transaction.
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

	"github.com/literaryai/ensemble/db"
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

// DeltaOf returns the piece a message.delta event carries, decoded once for all the
// event's subscribers: treat it as read-only.
func DeltaOf(e events.Event) (*Delta, error) { return events.DecodeAs[Delta](e) }

// Deps are what replies are made of.
type Deps struct {
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
	rc, err := w.d.Conversations.ReplyContext(ctx, args.MessageID, args.CharacterID)
	if errors.Is(err, errs.ErrNotFound) {
		// The message, its conversation or the character is gone: nobody to answer.
		w.d.Logger.Info("reply dropped: message or character deleted", "message", args.MessageID, "error", err)
		return nil
	}
	if err != nil {
		return err
	}
	if rc.Answered {
		return w.rememberLater(ctx, rc)
	}
	t, err := w.gather(ctx, rc)
	if err != nil {
		return err
	}
	reply, genErr := w.generate(ctx, t)
	if genErr != nil && ctx.Err() != nil && !errors.Is(genErr, llm.ErrInterrupted) {
		// Shutting down or timed out: River retries the job; nothing was stored.
		return fmt.Errorf("reply to %s: %w", args.MessageID, genErr)
	}
	if genErr != nil {
		err = w.storeFailure(ctx, t, genErr)
	} else {
		err = w.storeReply(ctx, t, reply)
	}
	switch {
	case errors.Is(err, conversations.ErrAnswered):
		// A concurrent attempt answered first, perhaps without the memory (its embedder
		// was down).
		w.publish(ctx, t, Delta{Index: t.pieces, Done: true})
		if genErr != nil {
			return nil
		}
		return w.rememberLater(ctx, t.ReplyContext)
	case errors.Is(err, errs.ErrNotFound):
		// The conversation was deleted while the reply was written.
		return nil
	case err != nil && !errors.Is(err, errUnremembered):
		return err
	}
	w.publish(ctx, t, Delta{Index: t.pieces, Done: true})
	// A reply stored without all of its memory (the embedder was down) fails the job,
	// so that the retry completes the memory.
	return err
}

// turn is everything one reply is made from.
type turn struct {
	*conversations.ReplyContext
	request  llm.Request
	recalled []memories.Scored
	replyID  uuid.UUID
	pieces   int
}

// viewer is who a reply job acts for: the conversation's owner.
func (t *turn) viewer() auth.Identity { return ownerOf(t.Conversation) }

// gather builds the request: the character, who it answers, what it remembers of it,
// and the conversation so far.
func (w *Worker) gather(ctx context.Context, rc *conversations.ReplyContext) (*turn, error) {
	ch, msg := rc.Character, rc.Message
	t := &turn{ReplyContext: rc, replyID: uuid.New()}
	t.request = llm.Request{
		Character: llm.Persona{Name: ch.Name, Description: ch.Description, Backstory: ch.Backstory,
			SpeakingStyle: ch.SpeakingStyle, Goals: ch.Goals, Emotion: ch.CurrentEmotion, SocialEnergy: ch.SocialEnergy,
			Traits: llm.Traits{Openness: ch.Traits.Openness, Conscientiousness: ch.Traits.Conscientiousness,
				Extraversion: ch.Traits.Extraversion, Agreeableness: ch.Traits.Agreeableness, Neuroticism: ch.Traits.Neuroticism}},
		Message: msg.Content,
	}
	var err error
	if t.request.Listener, t.request.Relationship, err = w.listener(ctx, t); err != nil {
		return nil, err
	}
	t.recalled = w.recall(ctx, t)
	for _, sc := range t.recalled {
		t.request.Memories = append(t.request.Memories, sc.Memory.Content)
	}
	lines, err := w.d.Conversations.LinesBefore(ctx, t.Conversation.ID, msg.Seq, historyLines)
	if err != nil {
		return nil, err
	}
	t.request.History = turns(lines, t.request.Listener)
	return t, nil
}

// listener is who the character answers: the user's stand-in (and the character's bond
// with it) or the user by name.
func (w *Worker) listener(ctx context.Context, t *turn) (string, *llm.Bond, error) {
	if t.Conversation.StandInID != nil {
		standIn, err := w.d.Characters.Get(ctx, t.viewer(), *t.Conversation.StandInID)
		if err == nil {
			rels, err := w.d.Relationships.Between(ctx, t.viewer(), t.Character.ID, standIn.ID)
			if err != nil {
				return "", nil, err
			}
			for _, r := range rels {
				if r.FromID == t.Character.ID {
					return standIn.Name, &llm.Bond{Type: string(r.Type), Strength: r.Strength, Trust: r.Trust, Familiarity: r.Familiarity}, nil
				}
			}
			return standIn.Name, nil, nil
		}
		if !errors.Is(err, errs.ErrNotFound) {
			return "", nil, err
		}
	}
	return t.OwnerName, nil, nil
}

// recall returns what the character remembers that bears on the message. Memories make a
// reply better but are not needed for one: an embedder that is down costs them only.
func (w *Worker) recall(ctx context.Context, t *turn) []memories.Scored {
	query := t.Message.Content
	if utf8.RuneCountInString(query) > memories.MaxContent {
		query = string([]rune(query)[:memories.MaxContent])
	}
	scored, err := w.d.Memories.RecallFor(ctx, t.Character.EcosystemID, t.Character.ID, query, recallCount)
	if err != nil {
		w.d.Logger.Warn("reply without memories: recall failed", "character", t.Character.ID, "error", err)
		return nil
	}
	return scored
}

// turns names the speakers of earlier lines.
func turns(lines []conversations.Line, user string) []llm.Turn {
	out := make([]llm.Turn, 0, len(lines))
	for _, l := range lines {
		tn := llm.Turn{Text: l.Content}
		switch {
		case l.SenderKind == conversations.SenderUser:
			tn.Speaker, tn.FromUser = user, true
		case l.Character != nil:
			tn.Speaker = *l.Character
		case l.SenderKind == conversations.SenderNarrator:
			tn.Speaker = "Narrator"
		default:
			continue
		}
		out = append(out, tn)
	}
	return out
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
			if json.Unmarshal(e.Payload, &p) == nil && p.ID == t.Conversation.ID && (p.Op == events.OpDelete || p.Status == conversations.Ended) {
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
	d.ConversationID, d.MessageID, d.ReplyToID, d.CharacterID = t.Conversation.ID, t.replyID, t.Message.ID, t.Character.ID
	payload, err := json.Marshal(d)
	if err != nil {
		w.d.Logger.Error("encode delta", "error", err)
		return
	}
	w.d.Bus.Publish(ctx, events.Event{EcosystemID: t.Conversation.EcosystemID, Topic: events.MessageDelta, At: w.d.Now(), Payload: payload})
}

// errUnremembered means a reply was stored, but the character's memory of it is
// missing or not indexed.
var errUnremembered = errors.New("reply stored without its memory")

// storeReply stores the reply with the character's new emotion and energy (energy
// recovers with time since the last interaction, and talking spends some), the
// character's memory of the exchange, and the recalled memories' access, in one
// transaction. The memory is embedded first; with the embedder down the reply is
// stored alone and errUnremembered returned, so that the job's retry forms the memory.
func (w *Worker) storeReply(ctx context.Context, t *turn, r llm.Reply) error {
	now := w.d.Now()
	ch := t.Character
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
		return fmt.Errorf("encode reply metadata: %w", err)
	}
	content := strings.TrimSpace(r.Text)
	if content == "" {
		content = "…"
	}
	a := conversations.Answer{ReplyTo: t.Message, ID: t.replyID, CharacterID: &ch.ID, Content: content,
		Emotion: emotion, Intensity: intensity, Metadata: meta, Energy: energy, At: now}
	p, memErr := w.d.Memories.Prepare(ctx, memoryOf(t.Message.Content, content, t.replyID))
	if memErr != nil {
		w.d.Logger.Warn("reply stored without its memory for now", "message", t.Message.ID, "error", memErr)
	}
	var m *memories.Memory
	a.Then = func(ctx context.Context, q *db.Queries, box *events.Outbox, _ *conversations.Message) error {
		if err := w.d.Memories.Touch(ctx, q, t.recalled); err != nil {
			return err
		}
		if p == nil {
			return nil
		}
		var err error
		m, err = w.d.Memories.AddTx(ctx, q, box, ch.EcosystemID, ch.ID, p)
		return err
	}
	if _, err := w.d.Conversations.StoreAnswer(ctx, a); err != nil {
		return err
	}
	if memErr != nil {
		return fmt.Errorf("%w: %w", errUnremembered, memErr)
	}
	if err := w.d.Memories.Index(ctx, m, p); err != nil {
		return fmt.Errorf("%w: %w", errUnremembered, err)
	}
	return nil
}

// storeFailure leaves a system message saying why there is no reply.
func (w *Worker) storeFailure(ctx context.Context, t *turn, genErr error) error {
	w.d.Logger.Warn("reply failed; telling the conversation", "message", t.Message.ID, "error", genErr)
	reason := "the language model is unavailable"
	switch {
	case errors.Is(genErr, llm.ErrInterrupted):
		reason = "the language model stopped mid-reply"
	case errors.Is(genErr, llm.ErrRejected):
		reason = "the language model refused the request"
	case errors.Is(genErr, context.Canceled), errors.Is(genErr, context.DeadlineExceeded):
		reason = "the reply was cancelled or took too long"
	}
	meta, err := json.Marshal(map[string]any{"error": genErr.Error(), "characterId": t.Character.ID, "generator": w.d.Generator.Model()})
	if err != nil {
		return fmt.Errorf("encode failure metadata: %w", err)
	}
	// A fresh context: the failure must be recorded even when the reply's was cancelled.
	storeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_, err = w.d.Conversations.StoreAnswer(storeCtx, conversations.Answer{ReplyTo: t.Message, ID: t.replyID,
		Content: fmt.Sprintf("%s could not reply: %s. Try again in a moment.", t.Character.Name, reason), Metadata: meta, At: w.d.Now()})
	return err
}

// rememberLater makes sure the character remembers the exchange an earlier attempt
// answered (an answer stored before its memory could be formed).
func (w *Worker) rememberLater(ctx context.Context, rc *conversations.ReplyContext) error {
	reply, err := w.d.Conversations.AnswerOf(ctx, rc.Message.ID, rc.Character.ID)
	if err != nil || reply == nil || reply.SenderKind != conversations.SenderCharacter {
		return err
	}
	done, err := w.d.Memories.RemembersMessage(ctx, rc.Character.ID, reply.ID)
	if err != nil || done {
		return err
	}
	_, err = w.d.Memories.Add(ctx, ownerOf(rc.Conversation), rc.Character.ID, memoryOf(rc.Message.Content, reply.Content, reply.ID))
	if errors.Is(err, errs.ErrNotFound) {
		return nil
	}
	return err
}

// ownerOf is who a reply job acts for: the conversation's owner.
func ownerOf(conv *conversations.Conversation) auth.Identity {
	return auth.Identity{UserID: conv.OwnerID, Role: auth.RoleUser}
}

// memoryOf is the memory a character forms of answering asked with reply.
func memoryOf(asked, reply string, replyID uuid.UUID) memories.Input {
	content := clip(fmt.Sprintf("I was told: %q. I answered: %q", clip(asked, 1500), clip(reply, 1500)), memories.MaxContent)
	return memories.Input{Content: content, Type: memories.Dialogue, SourceMessageID: &replyID}
}

// clip shortens s to at most n characters.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
