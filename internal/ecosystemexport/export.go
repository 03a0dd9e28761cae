package ecosystemexport

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/ecosystems"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/memories"
	"github.com/literaryai/ensemble/internal/scenarios"
)

// rowBytes is what a row adds to a document besides its long texts (field names, numbers,
// ids, timestamps): the estimate that refuses an export before anything is loaded.
const rowBytes = 400

// Service exports and imports ecosystems.
type Service struct {
	pool     *pgxpool.Pool
	pub      events.Publisher
	memories *memories.Service
	// maxBytes bounds a document both ways: an export larger than an import accepts
	// (the upload limit) could not be brought back.
	maxBytes int64
	now      func() time.Time
}

// NewService returns the service; documents are at most maxBytes.
func NewService(pool *pgxpool.Pool, pub events.Publisher, mem *memories.Service, maxBytes int64, now func() time.Time) *Service {
	return &Service{pool: pool, pub: pub, memories: mem, maxBytes: maxBytes, now: now}
}

// tooLarge refuses a document over the limit.
func (s *Service) tooLarge(what string, n int64) error {
	return fmt.Errorf("%s is about %s, more than the %s a document may be (MAX_UPLOAD_BYTES): %w",
		what, megabytes(n), megabytes(s.maxBytes), errs.ErrTooLarge)
}

func megabytes(n int64) string {
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
}

// Export writes one of the viewer's ecosystems as a document, read in one snapshot. An
// ecosystem whose document would be over the upload limit is refused before its rows are
// read (an estimate from its rows and the bytes of their texts), and after, if the
// document itself is.
func (s *Service) Export(ctx context.Context, viewer auth.Identity, ecosystemID uuid.UUID) (json.RawMessage, error) {
	var d *Document
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		q := db.New(tx)
		eco, err := ecosystems.Find(ctx, q, viewer, ecosystemID)
		if err != nil {
			return err
		}
		size, err := q.ExportSize(ctx, ecosystemID)
		if err != nil {
			return fmt.Errorf("measure ecosystem %s: %w", ecosystemID, err)
		}
		if n := size.TextBytes + size.Rows*rowBytes; n > s.maxBytes {
			return s.tooLarge("the ecosystem's export", n)
		}
		d, err = s.read(ctx, q, eco)
		return err
	})
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	// Text stays as written: escaping <, > and & would grow a document of dialogue.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(d); err != nil {
		return nil, fmt.Errorf("encode export of ecosystem %s: %w", ecosystemID, err)
	}
	if int64(b.Len()) > s.maxBytes {
		return nil, s.tooLarge("the ecosystem's export", int64(b.Len()))
	}
	return bytes.TrimSpace(b.Bytes()), nil
}

// locals numbers the rows of one kind in document order ("c1", "c2", ...).
type locals struct {
	prefix string
	ids    map[uuid.UUID]string
}

func (l *locals) add(id uuid.UUID) string {
	local := l.prefix + strconv.Itoa(len(l.ids)+1)
	l.ids[id] = local
	return local
}

// of is the local id of a row; nil when the row is not in the document.
func (l *locals) of(id *uuid.UUID) *string {
	if id == nil {
		return nil
	}
	if local, ok := l.ids[*id]; ok {
		return &local
	}
	return nil
}

func newLocals(prefix string) *locals { return &locals{prefix: prefix, ids: map[uuid.UUID]string{}} }

// read loads the ecosystem's rows and builds its document.
func (s *Service) read(ctx context.Context, q *db.Queries, eco db.Ecosystem) (*Document, error) {
	id := eco.ID
	d := &Document{Format: Format, Version: Version, ExportedAt: s.now().UTC(),
		Ecosystem: Ecosystem{Name: eco.Name, Description: eco.Description, CreatedAt: eco.CreatedAt}}
	chars, rels, mems, scens, convs, msgs := newLocals("c"), newLocals("r"), newLocals("mem"), newLocals("s"), newLocals("v"), newLocals("m")

	crows, err := q.ExportCharacters(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read characters: %w", err)
	}
	d.Characters = make([]Character, len(crows))
	for i, c := range crows {
		d.Characters[i] = Character{ID: chars.add(c.ID), Name: c.Name, Description: c.Description, Backstory: c.Backstory,
			SpeakingStyle: c.SpeakingStyle, Goals: c.Goals,
			PersonalityTraits: Traits{c.Openness, c.Conscientiousness, c.Extraversion, c.Agreeableness, c.Neuroticism},
			AutonomyLevel:     c.AutonomyLevel, SocialEnergy: c.SocialEnergy, CurrentEmotion: c.CurrentEmotion,
			IsActive: c.IsActive, MemorySummary: c.MemorySummary, CurrentContext: c.CurrentContext,
			LastInteraction: c.LastInteraction, ReflectionDebt: c.ReflectionDebt, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	}

	// Conversations and messages first: history, memories and replies point at messages.
	vrows, err := q.ExportConversations(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read conversations: %w", err)
	}
	for _, v := range vrows {
		convs.add(v.ID)
	}
	mrows, err := q.ExportMessages(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read messages: %w", err)
	}
	// Numbered in conversation order, which an import keeps (the rows come by conversation id).
	rowsOf := map[uuid.UUID][]db.Message{}
	for _, m := range mrows {
		rowsOf[m.ConversationID] = append(rowsOf[m.ConversationID], m)
	}
	for _, v := range vrows {
		for _, m := range rowsOf[v.ID] {
			msgs.add(m.ID)
		}
	}
	srows, err := q.ExportScenarios(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read scenarios: %w", err)
	}
	for _, sc := range srows {
		scens.add(sc.ID)
	}

	if err := readRelationships(ctx, q, id, d, chars, rels, msgs); err != nil {
		return nil, err
	}
	if err := readMemories(ctx, q, id, d, chars, mems, msgs); err != nil {
		return nil, err
	}

	cast, err := q.ExportScenarioCast(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read scenario casts: %w", err)
	}
	castOf := map[uuid.UUID][]CastMember{}
	for _, c := range cast {
		castOf[c.ScenarioID] = append(castOf[c.ScenarioID], CastMember{Character: *chars.of(&c.CharacterID),
			Role: c.Role, Goal: c.Goal, Secret: c.Secret, MaySpeak: c.MaySpeak})
	}
	d.Scenarios = make([]Scenario, len(srows))
	for i, sc := range srows {
		d.Scenarios[i] = Scenario{ID: scens.ids[sc.ID], Title: sc.Title, Setting: sc.Setting, Mood: sc.Mood,
			Premise: sc.Premise, Opening: sc.Opening, MaxTurns: sc.MaxTurns, PaceMs: sc.PaceMs,
			Cast: orEmpty(castOf[sc.ID]), CreatedAt: sc.CreatedAt, UpdatedAt: sc.UpdatedAt}
	}

	parts, err := q.ExportParticipants(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read participants: %w", err)
	}
	partsOf := map[uuid.UUID][]Participant{}
	for _, p := range parts {
		partsOf[p.ConversationID] = append(partsOf[p.ConversationID], Participant{Character: *chars.of(&p.CharacterID), JoinedAt: p.JoinedAt})
	}
	scenes, err := q.ExportScenes(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read scenes: %w", err)
	}
	sceneOf := make(map[uuid.UUID]*Scene, len(scenes))
	for _, sc := range scenes {
		if sceneOf[sc.ConversationID], err = sceneDoc(sc, chars, scens); err != nil {
			return nil, err
		}
	}
	d.Conversations = make([]Conversation, len(vrows))
	for i, v := range vrows {
		lines := make([]Message, len(rowsOf[v.ID]))
		for j, m := range rowsOf[v.ID] {
			lines[j] = Message{ID: msgs.ids[m.ID], Seq: m.Seq, Turn: m.Turn, SenderKind: m.SenderKind,
				SenderCharacter: chars.of(m.SenderCharacterID), Addressee: chars.of(m.AddresseeCharacterID),
				ReplyTo: msgs.of(m.ReplyToID), Content: m.Content, Emotion: m.Emotion, Intensity: m.Intensity,
				Metadata: m.Metadata, CreatedAt: m.CreatedAt}
		}
		d.Conversations[i] = Conversation{ID: convs.ids[v.ID], Kind: v.Kind, Status: v.Status, Title: v.Title,
			StandIn: chars.of(v.StandInID), Participants: orEmpty(partsOf[v.ID]), Scene: sceneOf[v.ID],
			Messages: lines, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt}
	}
	return d, nil
}

// orEmpty writes a missing list as [] rather than null.
func orEmpty[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

func readRelationships(ctx context.Context, q *db.Queries, id uuid.UUID, d *Document, chars, rels, msgs *locals) error {
	rrows, err := q.ExportRelationships(ctx, id)
	if err != nil {
		return fmt.Errorf("read relationships: %w", err)
	}
	hrows, err := q.ExportRelationshipHistory(ctx, id)
	if err != nil {
		return fmt.Errorf("read relationship history: %w", err)
	}
	historyOf := map[uuid.UUID][]Change{}
	for _, h := range hrows {
		c := Change{Kind: h.Kind, Type: h.Type, Label: h.Label, Strength: h.Strength, Trust: h.Trust,
			Familiarity: h.Familiarity, Clamped: h.Clamped, Cause: h.Cause, Actor: h.Actor,
			Message: msgs.of(h.MessageID), At: h.At,
			Old:   &Values{h.OldStrength, h.OldTrust, h.OldFamiliarity},
			Delta: &Values{h.DeltaStrength, h.DeltaTrust, h.DeltaFamiliarity}}
		if c.Old.empty() {
			c.Old = nil
		}
		if c.Delta.empty() {
			c.Delta = nil
		}
		historyOf[h.RelationshipID] = append(historyOf[h.RelationshipID], c)
	}
	d.Relationships = make([]Relationship, len(rrows))
	for i, r := range rrows {
		d.Relationships[i] = Relationship{ID: rels.add(r.ID), From: *chars.of(&r.FromID), To: *chars.of(&r.ToID),
			Type: r.Type, Label: r.Label, Strength: r.Strength, Trust: r.Trust, Familiarity: r.Familiarity,
			Notes: r.Notes, Since: r.Since, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, History: orEmpty(historyOf[r.ID])}
	}
	return nil
}

func readMemories(ctx context.Context, q *db.Queries, id uuid.UUID, d *Document, chars, mems, msgs *locals) error {
	rows, err := q.ExportMemories(ctx, id)
	if err != nil {
		return fmt.Errorf("read memories: %w", err)
	}
	for _, m := range rows {
		mems.add(m.ID)
	}
	srcs, err := q.ExportMemorySources(ctx, id)
	if err != nil {
		return fmt.Errorf("read memory sources: %w", err)
	}
	sourcesOf := map[uuid.UUID][]string{}
	for _, s := range srcs {
		if local := mems.of(&s.SourceID); local != nil {
			sourcesOf[s.ReflectionID] = append(sourcesOf[s.ReflectionID], *local)
		}
	}
	d.Memories = make([]Memory, len(rows))
	for i, m := range rows {
		d.Memories[i] = Memory{ID: mems.ids[m.ID], Character: *chars.of(&m.CharacterID), Content: m.Content, Type: m.Type,
			Importance: m.Importance, CreatedAt: m.CreatedAt, LastAccessedAt: m.LastAccessedAt, AccessCount: m.AccessCount,
			SourceMessage: msgs.of(m.SourceMessageID), Sources: sourcesOf[m.ID]}
	}
	return nil
}

// sceneDoc is a scene's state with its character ids made local.
func sceneDoc(sc db.Scene, chars, scens *locals) (*Scene, error) {
	var roles []scenarios.Role
	if err := json.Unmarshal(sc.Roles, &roles); err != nil {
		return nil, fmt.Errorf("decode roles of scene %s: %w", sc.ConversationID, err)
	}
	var spoke map[uuid.UUID]int
	if err := json.Unmarshal(sc.Spoke, &spoke); err != nil {
		return nil, fmt.Errorf("decode turns spoken in scene %s: %w", sc.ConversationID, err)
	}
	out := &Scene{Scenario: scens.of(sc.ScenarioID), Setting: sc.Setting, Mood: sc.Mood, Premise: sc.Premise,
		Cast: []CastMember{}, Turn: sc.Turn, MaxTurns: sc.MaxTurns, PaceMs: sc.PaceMs, Seed: sc.Seed, Mode: sc.Mode,
		LastSpeaker: chars.of(sc.LastSpeakerID), LastTurnAt: sc.LastTurnAt, Spoke: map[string]int{}}
	for _, r := range roles {
		if local := chars.of(&r.CharacterID); local != nil {
			out.Cast = append(out.Cast, CastMember{Character: *local, Role: r.Role, Goal: r.Goal, Secret: r.Secret, MaySpeak: r.MaySpeak})
		}
	}
	for id, turn := range spoke {
		if local := chars.of(&id); local != nil {
			out.Spoke[*local] = turn
		}
	}
	return out, nil
}
