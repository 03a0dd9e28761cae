package conversations

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/riverqueue/river"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/page"
	"github.com/literaryai/ensemble/internal/relay"
)

// SenderKind says who wrote a message.
type SenderKind string

// Sender kinds.
const (
	SenderUser      SenderKind = "USER"
	SenderCharacter SenderKind = "CHARACTER"
	SenderNarrator  SenderKind = "NARRATOR"
	SenderSystem    SenderKind = "SYSTEM"
)

// Message is one line of a conversation. It is also the payload of message.created, so
// live subscribers get the whole message without reading it back.
type Message struct {
	ID             uuid.UUID       `json:"id"`
	ConversationID uuid.UUID       `json:"conversationId"`
	EcosystemID    uuid.UUID       `json:"ecosystemId"`
	Seq            int64           `json:"seq"`
	SenderKind     SenderKind      `json:"senderKind"`
	SenderUserID   *uuid.UUID      `json:"senderUserId,omitempty"`
	SenderCharID   *uuid.UUID      `json:"senderCharacterId,omitempty"`
	AddresseeID    *uuid.UUID      `json:"addresseeId,omitempty"`
	ReplyToID      *uuid.UUID      `json:"replyToId,omitempty"`
	Content        string          `json:"content"`
	Emotion        *string         `json:"emotion,omitempty"`
	Intensity      *float64        `json:"intensity,omitempty"`
	Metadata       json.RawMessage `json:"metadata"`
	CreatedAt      time.Time       `json:"createdAt"`
	// Turn is the scene turn a character's line is (nil for other messages).
	Turn *int32 `json:"turn,omitempty"`
}

// MessageFromRow converts a stored message.
func MessageFromRow(r db.Message) *Message {
	return &Message{Turn: r.Turn, ID: r.ID, ConversationID: r.ConversationID, EcosystemID: r.EcosystemID, Seq: r.Seq,
		SenderKind: SenderKind(r.SenderKind), SenderUserID: r.SenderUserID, SenderCharID: r.SenderCharacterID,
		AddresseeID: r.AddresseeCharacterID, ReplyToID: r.ReplyToID, Content: r.Content, Emotion: r.Emotion,
		Intensity: r.Intensity, Metadata: r.Metadata, CreatedAt: r.CreatedAt}
}

// MessageOf returns the message a message.created event carries, decoded once for all
// the event's subscribers: treat it as read-only.
func MessageOf(e events.Event) (*Message, error) { return events.DecodeAs[Message](e) }

// Messages is the stream of a conversation's messages: its cursors.
var Messages = page.Stream{Prefix: "msg", Item: "message", Scope: "conversation"}

// Cursor is the message's cursor.
func (m *Message) Cursor() string { return Messages.Cursor(m.ConversationID, m.Seq) }

// GlobalID is the message's id in the API. It is a method, not a resolver, because a
// message goes to every subscriber of its conversation and gqlgen runs each resolver in
// a goroutine of its own.
func (m *Message) GlobalID() string { return relay.ID(relay.TypeMessage, m.ID) }

// ReplyArgs is the background job that writes a character's reply to a message.
type ReplyArgs struct {
	MessageID   uuid.UUID `json:"messageId"`
	CharacterID uuid.UUID `json:"characterId"`
}

// Kind names the job.
func (ReplyArgs) Kind() string { return "reply" }

// ReplyQueue is the queue replies are written from.
const ReplyQueue = "replies"

// InsertOpts puts replies on their own queue, and gives up after a few attempts: a reply
// that keeps failing is reported in the conversation by the last attempt.
func (ReplyArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: ReplyQueue, MaxAttempts: 3}
}

// SendInput is a user's message.
type SendInput struct {
	// ConversationID, or CharacterID for the viewer's open direct conversation with that
	// character (started if there is none). With both, the character must be in the
	// conversation and is the one addressed.
	ConversationID *uuid.UUID
	CharacterID    *uuid.UUID
	Content        string
	// ID is the new message's id; zero means a fresh one. (The synchronous chat knows
	// it in advance, to wait for the reply.)
	ID uuid.UUID
}

func (in SendInput) validate() error {
	if in.ConversationID == nil && in.CharacterID == nil {
		return errs.Invalid("input", "give conversationId or characterId")
	}
	if !utf8.ValidString(in.Content) {
		return errs.Invalid("input.content", "must be valid UTF-8")
	}
	if strings.TrimSpace(in.Content) == "" {
		return errs.Invalid("input.content", "must not be empty")
	}
	if n := utf8.RuneCountInString(in.Content); n > MaxContent {
		return errs.Invalid("input.content", "must be at most %d characters (got %d)", MaxContent, n)
	}
	return nil
}

// Sent is the stored message, its conversation, and the character that will answer it
// (nil when nobody is addressed in a scene).
type Sent struct {
	Message      *Message
	Conversation *Conversation
	Responder    *uuid.UUID
}

// Send stores the viewer's message and, in the same transaction, enqueues the reply of
// the character it addresses. It returns as soon as the message has committed.
func (s *Service) Send(ctx context.Context, viewer auth.Identity, in SendInput) (*Sent, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	if in.ID == uuid.Nil {
		in.ID = uuid.New()
	}
	var out *Sent
	err := events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, box *events.Outbox) error {
		conv, cast, err := s.conversationFor(ctx, q, box, viewer, in)
		if err != nil {
			return err
		}
		switch conv.Status {
		case Active:
		case Ended:
			// An ended conversation is never reopened (SetStatus), so point at a new one.
			return fmt.Errorf("conversation %s has ended and takes no more messages; start a new one (sendMessage with characterId and no conversationId, or startConversation): %w",
				conv.ID, errs.ErrConflict)
		default:
			return fmt.Errorf("conversation %s is %s; resume it (setConversationStatus ACTIVE) to send messages: %w", conv.ID, conv.Status, errs.ErrConflict)
		}
		responder, err := responder(conv, cast, in.CharacterID)
		if err != nil {
			return err
		}
		if conv.sceneMode != "" && conv.sceneMode != "PARTICIPATE" {
			return fmt.Errorf("scene %s is in Observer Mode; setSceneMode PARTICIPATE to take part: %w", conv.ID, errs.ErrConflict)
		}
		m, err := store(ctx, q, conv, db.CreateMessageParams{ID: in.ID, SenderKind: string(SenderUser),
			SenderUserID: &viewer.UserID, AddresseeCharacterID: responder, Content: in.Content})
		if err != nil {
			return err
		}
		// In a running scene the character addressed answers at the scene's next turn.
		if conv.sceneMode != "" {
			responder = nil
		}
		if responder != nil {
			if err := s.jobs.InsertTx(ctx, box.Tx(), ReplyArgs{MessageID: m.ID, CharacterID: *responder}, nil); err != nil {
				return err
			}
		}
		out = &Sent{Message: m, Conversation: conv, Responder: responder}
		return box.Append(conv.EcosystemID, events.MessageCreated, m)
	})
	return out, err
}

// conversationFor numbers the message in the conversation it goes to (see numbered),
// starting the viewer's direct conversation with the character when there is none.
func (s *Service) conversationFor(ctx context.Context, q *db.Queries, box *events.Outbox, viewer auth.Identity, in SendInput) (*Conversation, []uuid.UUID, error) {
	if in.ConversationID != nil {
		return numbered(ctx, q, viewer.OwnerFilter(), *in.ConversationID)
	}
	ch, err := characters.Find(ctx, q, viewer, *in.CharacterID)
	if err != nil {
		return nil, nil, err
	}
	// Two first messages at once must not open two conversations.
	if err := q.LockKey(ctx, "direct:"+viewer.UserID.String()+":"+ch.ID.String()); err != nil {
		return nil, nil, fmt.Errorf("lock direct conversation: %w", err)
	}
	r, err := q.LatestDirectConversation(ctx, db.LatestDirectConversationParams{OwnerID: viewer.UserID, CharacterID: ch.ID})
	switch {
	case err == nil:
		return numbered(ctx, q, nil, r.ID)
	case !errors.Is(err, pgx.ErrNoRows):
		return nil, nil, fmt.Errorf("find direct conversation: %w", err)
	}
	c, err := s.create(ctx, q, box, viewer, StartInput{EcosystemID: ch.EcosystemID, Kind: Direct, CharacterIDs: []uuid.UUID{ch.ID}})
	if err != nil {
		return nil, nil, err
	}
	return numbered(ctx, q, nil, c.ID)
}

// numbered hands out the next message number of a conversation the owner may write to
// (it becomes the conversation's LastSeq), and returns the conversation, locked until
// commit, with its cast in joining order.
func numbered(ctx context.Context, q *db.Queries, owner *uuid.UUID, id uuid.UUID) (*Conversation, []uuid.UUID, error) {
	r, err := q.NumberMessage(ctx, db.NumberMessageParams{ID: id, OwnerID: owner})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, fmt.Errorf("conversation %s: %w", id, errs.ErrNotFound)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("number message in conversation %s: %w", id, err)
	}
	conv := fromRow(db.Conversation{ID: r.ID, EcosystemID: r.EcosystemID, OwnerID: r.OwnerID, Kind: r.Kind,
		Status: r.Status, Title: r.Title, StandInID: r.StandInID, LastSeq: r.LastSeq, CreatedAt: r.CreatedAt,
		UpdatedAt: r.UpdatedAt})
	conv.sceneMode = r.SceneMode
	return conv, r.CastIds, nil
}

// responder is the character that answers: a direct conversation's character, or in a
// scene the character addressed (none when nobody is).
func responder(conv *Conversation, cast []uuid.UUID, addressed *uuid.UUID) (*uuid.UUID, error) {
	if addressed != nil {
		if slices.Contains(cast, *addressed) {
			return addressed, nil
		}
		return nil, errs.Invalid("input.characterId", "the character is not in this conversation")
	}
	if conv.Kind == Direct && len(cast) > 0 {
		return &cast[0], nil
	}
	return nil, nil
}

// store inserts a message under the number numbered handed out; the caller appends its
// event.
func store(ctx context.Context, q *db.Queries, conv *Conversation, p db.CreateMessageParams) (*Message, error) {
	p.ConversationID, p.EcosystemID, p.Seq = conv.ID, conv.EcosystemID, conv.LastSeq
	if p.Metadata == nil {
		p.Metadata = json.RawMessage(`{}`)
	}
	r, err := q.CreateMessage(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("store message: %w", err)
	}
	return MessageFromRow(r), nil
}

// ErrAnswered means the message already has this answer: a retried reply job found its
// earlier attempt's work done.
var ErrAnswered = errors.New("message already answered")

// Answer is a character's reply to a message (or, with no character, the system's
// report that none could be written), and what speaking did to the character.
type Answer struct {
	ReplyTo     *Message
	ID          uuid.UUID
	CharacterID *uuid.UUID
	Content     string
	Metadata    json.RawMessage
	// Emotion, Intensity and Energy are a character's reply's: the emotion it speaks
	// with, and the speaker's emotion and social energy after it, written to the
	// character in the same statement as the reply.
	Emotion   string
	Intensity float64
	Energy    float64
	At        time.Time
	// Then, if set, runs in the answer's transaction once the answer and the speaker are
	// written: what else commits with the reply or not at all (the speaker's memory of
	// the exchange). Its locks come after the conversation's and the speaker's.
	Then func(ctx context.Context, q *db.Queries, box *events.Outbox, answer *Message) error
}

// StoreAnswer writes a reply, and the speaker's new emotion and energy, in one
// transaction. A message is answered at most once by each character: a second answer
// returns the first with ErrAnswered.
func (s *Service) StoreAnswer(ctx context.Context, a Answer) (*Message, error) {
	if a.Metadata == nil {
		a.Metadata = json.RawMessage(`{}`)
	}
	var out *Message
	err := events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, box *events.Outbox) error {
		// Lock order everywhere: conversation (numbering the answer), then character,
		// then ecosystem (the events, written at commit).
		var err error
		if a.CharacterID != nil {
			out, err = appendReply(ctx, q, box, a)
		} else {
			out, err = appendReport(ctx, q, a)
		}
		var pgErr *pgconn.PgError
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return fmt.Errorf("conversation of message %s, or its speaker: %w", a.ReplyTo.ID, errs.ErrNotFound)
		case errors.As(err, &pgErr) && pgErr.Code == "23505":
			return ErrAnswered
		case err != nil:
			return fmt.Errorf("store answer to %s: %w", a.ReplyTo.ID, err)
		}
		if err := box.Append(out.EcosystemID, events.MessageCreated, out); err != nil {
			return err
		}
		if a.Then != nil {
			return a.Then(ctx, q, box, out)
		}
		return nil
	})
	if errors.Is(err, ErrAnswered) {
		r, ferr := s.q.ReplyTo(ctx, db.ReplyToParams{ReplyToID: &a.ReplyTo.ID, SenderCharacterID: a.CharacterID})
		if ferr != nil {
			return nil, fmt.Errorf("load earlier answer to %s: %w", a.ReplyTo.ID, ferr)
		}
		return MessageFromRow(r), ErrAnswered
	}
	if err != nil {
		return nil, err
	}
	return out, nil
}

// appendReport stores the system's report that no reply could be written.
func appendReport(ctx context.Context, q *db.Queries, a Answer) (*Message, error) {
	r, err := q.AppendReport(ctx, db.AppendReportParams{ConversationID: a.ReplyTo.ConversationID, ID: a.ID,
		ReplyToID: a.ReplyTo.ID, Content: a.Content, Metadata: a.Metadata})
	if err != nil {
		return nil, err
	}
	return MessageFromRow(r), nil
}

// appendReply stores a character's reply and the speaker's new state, and records the
// speaker's change.
func appendReply(ctx context.Context, q *db.Queries, box *events.Outbox, a Answer) (*Message, error) {
	r, err := q.AppendReply(ctx, db.AppendReplyParams{ConversationID: a.ReplyTo.ConversationID, ID: a.ID,
		CharacterID: *a.CharacterID, ReplyToID: a.ReplyTo.ID, Content: a.Content, Emotion: a.Emotion,
		Intensity: a.Intensity, Metadata: a.Metadata, SocialEnergy: math.Max(0, math.Min(1, a.Energy)), At: a.At})
	if err != nil {
		return nil, err
	}
	if err := characters.RecordState(box, events.CharacterPayload{Op: events.OpUpsert, ID: *a.CharacterID,
		EcosystemID: r.SpeakerEcosystemID, Name: r.SpeakerName, CurrentEmotion: r.SpeakerEmotion, IsActive: r.SpeakerActive}); err != nil {
		return nil, err
	}
	return MessageFromRow(db.Message{ID: r.ID, ConversationID: r.ConversationID, EcosystemID: r.EcosystemID, Seq: r.Seq,
		SenderKind: r.SenderKind, SenderUserID: r.SenderUserID, SenderCharacterID: r.SenderCharacterID, SenderID: r.SenderID,
		AddresseeCharacterID: r.AddresseeCharacterID, ReplyToID: r.ReplyToID, Content: r.Content, Emotion: r.Emotion,
		Intensity: r.Intensity, Metadata: r.Metadata, CreatedAt: r.CreatedAt}), nil
}

// ReplyContext is what a reply job starts from.
type ReplyContext struct {
	Message      *Message
	Conversation *Conversation
	// Character is the character that answers.
	Character *characters.Character
	// OwnerName is the username of the conversation's owner, whom the character answers
	// when the owner speaks as nobody in particular.
	OwnerName string
	// Answered says that an earlier attempt stored the answer (see AnswerOf).
	Answered bool
}

// ReplyContext loads, in one round trip, what a reply of a character to a message starts
// from. It is ErrNotFound when the message, its conversation or the character is gone,
// or the character has left the conversation owner's ecosystems.
func (s *Service) ReplyContext(ctx context.Context, messageID, characterID uuid.UUID) (*ReplyContext, error) {
	r, err := s.q.ReplyContext(ctx, db.ReplyContextParams{MessageID: messageID, CharacterID: characterID})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("message %s or character %s: %w", messageID, characterID, errs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load reply context of message %s: %w", messageID, err)
	}
	ch, err := characters.FromRow(r.Character)
	if err != nil {
		return nil, err
	}
	return &ReplyContext{Message: MessageFromRow(r.Message), Conversation: fromRow(r.Conversation), Character: ch,
		OwnerName: r.OwnerName, Answered: r.Answered}, nil
}

// Line is an earlier line of a conversation, as a reply follows on from it.
type Line struct {
	SenderKind SenderKind
	Content    string
	// Character is the name of the character who spoke it: nil when no character did, or
	// the character has been deleted since.
	Character *string
}

// LinesBefore returns up to limit lines numbered below before, oldest first.
func (s *Service) LinesBefore(ctx context.Context, conversationID uuid.UUID, before int64, limit int) ([]Line, error) {
	rows, err := s.q.ListLinesBefore(ctx, db.ListLinesBeforeParams{ConversationID: conversationID, BeforeSeq: before, MaxMessages: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("list lines of %s: %w", conversationID, err)
	}
	out := make([]Line, len(rows))
	for i, r := range rows {
		out[len(rows)-1-i] = Line{SenderKind: SenderKind(r.SenderKind), Content: r.Content, Character: r.CharacterName}
	}
	return out, nil
}

// Message loads one message the viewer may see.
func (s *Service) Message(ctx context.Context, viewer auth.Identity, id uuid.UUID) (*Message, error) {
	r, err := s.q.GetMessage(ctx, db.GetMessageParams{ID: id, OwnerID: viewer.OwnerFilter()})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("message %s: %w", id, errs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load message %s: %w", id, err)
	}
	return MessageFromRow(r), nil
}

// AnswerOf returns what a message got from a character: its reply, or the system's
// report that none could be written; nil when neither exists yet.
func (s *Service) AnswerOf(ctx context.Context, messageID, characterID uuid.UUID) (*Message, error) {
	r, err := s.q.AnswerOf(ctx, db.AnswerOfParams{ReplyToID: &messageID, CharacterID: &characterID})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load reply to %s: %w", messageID, err)
	}
	return MessageFromRow(r), nil
}

// MessagesByIDs loads messages by id, for loaders.
func (s *Service) MessagesByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*Message, error) {
	rows, err := s.q.MessagesByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load messages: %w", err)
	}
	out := make(map[uuid.UUID]*Message, len(rows))
	for _, r := range rows {
		out[r.ID] = MessageFromRow(r)
	}
	return out, nil
}

// After returns up to limit messages numbered above after, oldest first.
func (s *Service) After(ctx context.Context, conversationID uuid.UUID, after int64, limit int) ([]*Message, error) {
	rows, err := s.q.ListMessagesAfter(ctx, db.ListMessagesAfterParams{ConversationID: conversationID, AfterSeq: after, MaxMessages: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("list messages of %s: %w", conversationID, err)
	}
	out := make([]*Message, len(rows))
	for i, r := range rows {
		out[i] = MessageFromRow(r)
	}
	return out, nil
}

// Before returns up to limit messages numbered below before, oldest first.
func (s *Service) Before(ctx context.Context, conversationID uuid.UUID, before int64, limit int) ([]*Message, error) {
	rows, err := s.q.ListMessagesBefore(ctx, db.ListMessagesBeforeParams{ConversationID: conversationID, BeforeSeq: before, MaxMessages: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("list messages of %s: %w", conversationID, err)
	}
	out := make([]*Message, len(rows))
	for i, r := range rows {
		out[len(rows)-1-i] = MessageFromRow(r)
	}
	return out, nil
}

// Head is the number of the conversation's last message.
func (s *Service) Head(ctx context.Context, conversationID uuid.UUID) (int64, error) {
	n, err := s.q.ConversationSeq(ctx, conversationID)
	if err != nil {
		return 0, fmt.Errorf("read position of conversation %s: %w", conversationID, err)
	}
	return n, nil
}
