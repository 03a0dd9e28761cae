package ecosystemexport

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/conversations"
	"github.com/literaryai/ensemble/internal/ecosystems"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/memories"
	"github.com/literaryai/ensemble/internal/relationships"
	"github.com/literaryai/ensemble/internal/scenarios"
	"github.com/literaryai/ensemble/internal/scenes"
	"github.com/literaryai/ensemble/internal/vectorstore"
	"github.com/literaryai/ensemble/internal/vectorstore/embedded"
)

// Import is what ImportDocument made.
type Import struct {
	Ecosystem     *ecosystems.Ecosystem
	Characters    int
	Relationships int
	Memories      int
	Scenarios     int
	Conversations int
	Messages      int
	// Warnings say what the import changed: scenes that were running come back paused.
	Warnings []string
}

// plan is a document checked and turned into rows with new ids.
type plan struct {
	characters    []db.ImportCharactersParams
	relationships []db.ImportRelationshipsParams
	history       []db.ImportRelationshipHistoryParams
	memories      []db.ImportMemoriesParams
	sources       []db.ImportMemorySourcesParams
	scenarios     []db.ImportScenariosParams
	cast          []db.ImportScenarioCastParams
	conversations []db.ImportConversationsParams
	participants  []db.ImportParticipantsParams
	scenes        []db.ImportScenesParams
	messages      []db.ImportMessagesParams
	warnings      []string
	// pairs are the relationships planned so far, which the table holds unique.
	pairs map[pair]bool
}

// pair is a relationship's identity: its ends and type.
type pair struct {
	from, to uuid.UUID
	typ      string
}

// ImportDocument makes a new ecosystem of the viewer's from a document file: checked
// whole first, memories embedded next, then everything written in one transaction, so a
// bad document or a failing embedder changes nothing.
func (s *Service) ImportDocument(ctx context.Context, viewer auth.Identity, file []byte) (*Import, error) {
	if int64(len(file)) > s.maxBytes {
		return nil, s.tooLarge("the file", int64(len(file)))
	}
	d, err := Decode(file)
	if err != nil {
		return nil, err
	}
	if err := scenarios.CheckText("file.ecosystem.name", d.Ecosystem.Name, 1, maxEcosystemName); err != nil {
		return nil, err
	}
	if err := scenarios.CheckText("file.ecosystem.description", d.Ecosystem.Description, 0, maxEcosystemDescription); err != nil {
		return nil, err
	}
	p, err := s.plan(viewer, d)
	if err != nil {
		return nil, err
	}
	texts := make([]string, len(p.memories))
	for i, m := range p.memories {
		texts[i] = m.Content
	}
	vecs, model, err := s.memories.Embeddings(ctx, texts)
	if err != nil {
		return nil, fmt.Errorf("embed imported memories: %w", err)
	}
	for i := range p.memories {
		p.memories[i].Embedding, p.memories[i].EmbeddingModel = embedded.Encode(vecs[i]), model
	}
	var eco db.Ecosystem
	err = events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, box *events.Outbox) error {
		r, err := q.ImportEcosystem(ctx, db.ImportEcosystemParams{OwnerID: viewer.UserID,
			Name: d.Ecosystem.Name, Description: d.Ecosystem.Description})
		if err != nil {
			return fmt.Errorf("create ecosystem: %w", err)
		}
		eco = r
		p.place(eco.ID)
		if err := p.write(ctx, q); err != nil {
			return err
		}
		return p.announce(ctx, q, box, eco.ID)
	})
	if err != nil {
		return nil, err
	}
	items := make([]vectorstore.Item, len(p.memories))
	for i, m := range p.memories {
		items[i] = vectorstore.Item{ID: m.ID, Character: m.CharacterID, Vector: vecs[i], Type: m.Type,
			Importance: m.Importance, CreatedAt: m.CreatedAt}
	}
	if err := s.memories.IndexAll(ctx, eco.ID, items); err != nil {
		return nil, err
	}
	return &Import{
		Ecosystem: &ecosystems.Ecosystem{ID: eco.ID, OwnerID: eco.OwnerID, Name: eco.Name, Description: eco.Description,
			CreatedAt: eco.CreatedAt, UpdatedAt: eco.UpdatedAt},
		Characters: len(p.characters), Relationships: len(p.relationships), Memories: len(p.memories),
		Scenarios: len(p.scenarios), Conversations: len(p.conversations), Messages: len(p.messages),
		Warnings: orEmpty(p.warnings),
	}, nil
}

// place puts every row in the new ecosystem.
func (p *plan) place(eco uuid.UUID) {
	for i := range p.characters {
		p.characters[i].EcosystemID = eco
	}
	for i := range p.relationships {
		p.relationships[i].EcosystemID = eco
	}
	for i := range p.history {
		p.history[i].EcosystemID = eco
	}
	for i := range p.memories {
		p.memories[i].EcosystemID = eco
	}
	for i := range p.scenarios {
		p.scenarios[i].EcosystemID = eco
	}
	for i := range p.conversations {
		p.conversations[i].EcosystemID = eco
	}
	for i := range p.messages {
		p.messages[i].EcosystemID = eco
	}
}

// write copies the rows in, each table after those it refers to.
func (p *plan) write(ctx context.Context, q *db.Queries) error {
	for _, step := range []struct {
		what string
		copy func() (int64, error)
	}{
		{"characters", func() (int64, error) { return q.ImportCharacters(ctx, p.characters) }},
		{"scenarios", func() (int64, error) { return q.ImportScenarios(ctx, p.scenarios) }},
		{"scenario casts", func() (int64, error) { return q.ImportScenarioCast(ctx, p.cast) }},
		{"conversations", func() (int64, error) { return q.ImportConversations(ctx, p.conversations) }},
		{"participants", func() (int64, error) { return q.ImportParticipants(ctx, p.participants) }},
		{"scenes", func() (int64, error) { return q.ImportScenes(ctx, p.scenes) }},
		// One COPY: a reply's reference to an earlier line is checked at its end.
		{"messages", func() (int64, error) { return q.ImportMessages(ctx, p.messages) }},
		{"relationships", func() (int64, error) { return q.ImportRelationships(ctx, p.relationships) }},
		{"relationship history", func() (int64, error) { return q.ImportRelationshipHistory(ctx, p.history) }},
		{"memories", func() (int64, error) { return q.ImportMemories(ctx, p.memories) }},
		{"memory sources", func() (int64, error) { return q.ImportMemorySources(ctx, p.sources) }},
	} {
		if _, err := step.copy(); err != nil {
			return fmt.Errorf("import %s: %w", step.what, err)
		}
	}
	return nil
}

// announce writes the events a watcher of the new ecosystem (and the Neo4j projection)
// needs: each character and relationship, one memory import per character, each
// conversation. Messages are history, not news: clients read them.
func (p *plan) announce(ctx context.Context, q *db.Queries, box *events.Outbox, eco uuid.UUID) error {
	box.GraphChanged(eco)
	for _, c := range p.characters {
		if err := box.Append(eco, events.CharacterChanged, events.CharacterPayload{Op: events.OpUpsert, ID: c.ID,
			EcosystemID: eco, Name: c.Name, CurrentEmotion: c.CurrentEmotion, IsActive: c.IsActive}); err != nil {
			return err
		}
	}
	last, err := q.LastHistoryOfRelationships(ctx, eco)
	if err != nil {
		return fmt.Errorf("read imported history: %w", err)
	}
	historyOf := make(map[uuid.UUID]int64, len(last))
	for _, h := range last {
		historyOf[h.RelationshipID] = h.HistoryID
	}
	for _, r := range p.relationships {
		if err := box.Append(eco, events.RelationshipChanged, events.RelationshipPayload{Kind: "CREATED",
			HistoryID: historyOf[r.ID], ID: r.ID, EcosystemID: eco, FromID: r.FromID, ToID: r.ToID, Type: r.Type,
			Label: r.Label, Strength: r.Strength, Trust: r.Trust, Familiarity: r.Familiarity, Actor: "import"}); err != nil {
			return err
		}
	}
	counts := map[uuid.UUID]int{}
	for _, m := range p.memories {
		counts[m.CharacterID]++
	}
	for _, c := range p.characters {
		if n := counts[c.ID]; n > 0 {
			if err := box.Append(eco, events.MemoryChanged, memories.ImportPayload{Op: events.OpImport, CharacterID: c.ID, Count: n}); err != nil {
				return err
			}
		}
	}
	for _, v := range p.conversations {
		if err := box.Append(eco, events.ConversationChanged, conversations.ChangedPayload{Op: events.OpUpsert, ID: v.ID,
			Kind: conversations.Kind(v.Kind), Status: conversations.Status(v.Status)}); err != nil {
			return err
		}
	}
	return nil
}

// orNow is a timestamp the document left out: the import's time.
func orNow(t time.Time, now time.Time) time.Time {
	if t.IsZero() {
		return now
	}
	return t
}

// plan checks the document and turns it into rows with new ids, the ecosystem's left to
// place. Every reference must name an element of the document.
func (s *Service) plan(viewer auth.Identity, d *Document) (*plan, error) {
	now := s.now()
	p := &plan{pairs: map[pair]bool{}}
	chars := newIDMap("character", len(d.Characters))
	for i, c := range d.Characters {
		f := "file.characters." + strconv.Itoa(i)
		id, err := chars.add(f+".id", c.ID)
		if err != nil {
			return nil, err
		}
		row, err := characterRow(f, c, now)
		if err != nil {
			return nil, err
		}
		row.ID = id
		p.characters = append(p.characters, row)
	}
	msgs := newIDMap("message", 0)
	for i, v := range d.Conversations {
		for j, m := range v.Messages {
			if _, err := msgs.add(fmt.Sprintf("file.conversations.%d.messages.%d.id", i, j), m.ID); err != nil {
				return nil, err
			}
		}
	}
	scens := newIDMap("scenario", len(d.Scenarios))
	for i, sc := range d.Scenarios {
		if err := p.addScenario(fmt.Sprintf("file.scenarios.%d", i), sc, scens, chars, now); err != nil {
			return nil, err
		}
	}
	convs := newIDMap("conversation", len(d.Conversations))
	for i, v := range d.Conversations {
		if err := p.addConversation(viewer, fmt.Sprintf("file.conversations.%d", i), v, convs, chars, msgs, scens, now); err != nil {
			return nil, err
		}
	}
	rels := newIDMap("relationship", len(d.Relationships))
	for i, r := range d.Relationships {
		if err := p.addRelationship(viewer, fmt.Sprintf("file.relationships.%d", i), r, rels, chars, msgs, now); err != nil {
			return nil, err
		}
	}
	mems := newIDMap("memory", len(d.Memories))
	for i, m := range d.Memories {
		f := fmt.Sprintf("file.memories.%d", i)
		if err := p.addMemory(f, m, mems, chars, msgs, now); err != nil {
			return nil, err
		}
	}
	// Sources last: a reflection may name memories listed after it.
	for i, m := range d.Memories {
		seen := map[string]bool{}
		for j, src := range m.Sources {
			f := fmt.Sprintf("file.memories.%d.sources.%d", i, j)
			id, err := mems.ref(f, src)
			if err != nil {
				return nil, err
			}
			if seen[src] {
				return nil, errs.Invalid(f, "names memory %q twice", src)
			}
			seen[src] = true
			p.sources = append(p.sources, db.ImportMemorySourcesParams{ReflectionID: mems.ids[m.ID], SourceID: id})
		}
	}
	return p, nil
}

func characterRow(f string, c Character, now time.Time) (db.ImportCharactersParams, error) {
	for _, t := range []struct {
		field, v string
		lo, hi   int
	}{
		{".name", c.Name, 1, characters.MaxName}, {".description", c.Description, 0, characters.MaxDescription},
		{".backstory", c.Backstory, 0, characters.MaxBackstory}, {".speakingStyle", c.SpeakingStyle, 0, characters.MaxStyle},
		{".currentEmotion", c.CurrentEmotion, 1, characters.MaxEmotion},
		// No limit but the file's: the table has none, and imports from SQLite bring any length.
		{".memorySummary", c.MemorySummary, 0, math.MaxInt},
	} {
		if err := scenarios.CheckText(f+t.field, t.v, t.lo, t.hi); err != nil {
			return db.ImportCharactersParams{}, err
		}
	}
	if len(c.Goals) > characters.MaxGoals {
		return db.ImportCharactersParams{}, errs.Invalid(f+".goals", "at most %d goals (got %d)", characters.MaxGoals, len(c.Goals))
	}
	for j, g := range c.Goals {
		if err := scenarios.CheckText(fmt.Sprintf("%s.goals.%d", f, j), g, 1, characters.MaxGoal); err != nil {
			return db.ImportCharactersParams{}, err
		}
	}
	t := c.PersonalityTraits
	for _, u := range []struct {
		field string
		v     float64
	}{
		{".personalityTraits.openness", t.Openness}, {".personalityTraits.conscientiousness", t.Conscientiousness},
		{".personalityTraits.extraversion", t.Extraversion}, {".personalityTraits.agreeableness", t.Agreeableness},
		{".personalityTraits.neuroticism", t.Neuroticism}, {".autonomyLevel", c.AutonomyLevel}, {".socialEnergy", c.SocialEnergy},
	} {
		if err := checkRange(f+u.field, u.v, 0, 1); err != nil {
			return db.ImportCharactersParams{}, err
		}
	}
	if err := checkRange(f+".reflectionDebt", c.ReflectionDebt, 0, 1e9); err != nil {
		return db.ImportCharactersParams{}, err
	}
	ctx, err := checkObject(f+".currentContext", c.CurrentContext, characters.MaxContext)
	if err != nil {
		return db.ImportCharactersParams{}, err
	}
	return db.ImportCharactersParams{Name: c.Name, Description: c.Description, Backstory: c.Backstory,
		SpeakingStyle: c.SpeakingStyle, Goals: orEmpty(c.Goals), Openness: t.Openness, Conscientiousness: t.Conscientiousness,
		Extraversion: t.Extraversion, Agreeableness: t.Agreeableness, Neuroticism: t.Neuroticism,
		AutonomyLevel: c.AutonomyLevel, SocialEnergy: c.SocialEnergy, CurrentEmotion: c.CurrentEmotion,
		IsActive: c.IsActive, MemorySummary: c.MemorySummary, CurrentContext: ctx, LastInteraction: c.LastInteraction,
		ReflectionDebt: c.ReflectionDebt, CreatedAt: orNow(c.CreatedAt, now), UpdatedAt: orNow(c.UpdatedAt, now)}, nil
}

// castRows checks a cast and resolves its characters.
func castRows(f string, cast []CastMember, chars *idMap) ([]scenarios.Role, error) {
	if len(cast) > maxCast {
		return nil, errs.Invalid(f, "at most %d characters (got %d)", maxCast, len(cast))
	}
	out := make([]scenarios.Role, len(cast))
	seen := map[string]bool{}
	for i, c := range cast {
		g := fmt.Sprintf("%s.%d", f, i)
		id, err := chars.ref(g+".character", c.Character)
		if err != nil {
			return nil, err
		}
		if seen[c.Character] {
			return nil, errs.Invalid(g+".character", "names character %q twice in one cast", c.Character)
		}
		seen[c.Character] = true
		for _, t := range []struct {
			field, v string
			hi       int
		}{{".role", c.Role, maxRole}, {".goal", c.Goal, maxScenarioGl}, {".secret", c.Secret, maxSecret}} {
			if err := scenarios.CheckText(g+t.field, t.v, 0, t.hi); err != nil {
				return nil, err
			}
		}
		out[i] = scenarios.Role{CharacterID: id, Role: c.Role, Goal: c.Goal, Secret: c.Secret, MaySpeak: c.MaySpeak}
	}
	return out, nil
}

// checkRun checks a scenario's or a scene's run settings.
func checkRun(f string, maxTurnsV, paceMs int32) error {
	if err := checkRange(f+".maxTurns", float64(maxTurnsV), 1, maxTurns); err != nil {
		return err
	}
	return checkRange(f+".paceMs", float64(paceMs), 0, maxPaceMS)
}

func (p *plan) addScenario(f string, sc Scenario, scens, chars *idMap, now time.Time) error {
	id, err := scens.add(f+".id", sc.ID)
	if err != nil {
		return err
	}
	for _, t := range []struct {
		field, v string
		lo, hi   int
	}{
		{".title", sc.Title, 1, maxTitle}, {".setting", sc.Setting, 0, maxSetting}, {".mood", sc.Mood, 0, maxMood},
		{".premise", sc.Premise, 0, maxPremise}, {".opening", sc.Opening, 0, maxPremise},
	} {
		if err := scenarios.CheckText(f+t.field, t.v, t.lo, t.hi); err != nil {
			return err
		}
	}
	if err := checkRun(f, sc.MaxTurns, sc.PaceMs); err != nil {
		return err
	}
	roles, err := castRows(f+".cast", sc.Cast, chars)
	if err != nil {
		return err
	}
	p.scenarios = append(p.scenarios, db.ImportScenariosParams{ID: id, Title: sc.Title, Setting: sc.Setting,
		Mood: sc.Mood, Premise: sc.Premise, Opening: sc.Opening, MaxTurns: sc.MaxTurns, PaceMs: sc.PaceMs,
		CreatedAt: orNow(sc.CreatedAt, now), UpdatedAt: orNow(sc.UpdatedAt, now)})
	for i, r := range roles {
		p.cast = append(p.cast, db.ImportScenarioCastParams{ScenarioID: id, CharacterID: r.CharacterID, Position: int32(i),
			Role: r.Role, Goal: r.Goal, Secret: r.Secret, MaySpeak: r.MaySpeak})
	}
	return nil
}

func (p *plan) addConversation(viewer auth.Identity, f string, v Conversation, convs, chars, msgs, scens *idMap, now time.Time) error {
	id, err := convs.add(f+".id", v.ID)
	if err != nil {
		return err
	}
	if err := oneOf(f+".kind", v.Kind, string(conversations.Direct), string(conversations.Scene)); err != nil {
		return err
	}
	if err := oneOf(f+".status", v.Status, string(conversations.Active), string(conversations.Paused), string(conversations.Ended)); err != nil {
		return err
	}
	if err := scenarios.CheckText(f+".title", v.Title, 0, maxConvTitle); err != nil {
		return err
	}
	standIn, err := chars.optional(f+".standIn", v.StandIn)
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for i, pt := range v.Participants {
		g := fmt.Sprintf("%s.participants.%d.character", f, i)
		cid, err := chars.ref(g, pt.Character)
		if err != nil {
			return err
		}
		if seen[pt.Character] {
			return errs.Invalid(g, "names character %q twice", pt.Character)
		}
		seen[pt.Character] = true
		p.participants = append(p.participants, db.ImportParticipantsParams{ConversationID: id, CharacterID: cid, JoinedAt: orNow(pt.JoinedAt, now)})
	}
	status := v.Status
	if sc := v.Scene; sc != nil {
		if v.Kind != string(conversations.Scene) {
			return errs.Invalid(f+".scene", "only a SCENE conversation has a scene")
		}
		if err := p.addScene(f+".scene", id, *sc, chars, scens); err != nil {
			return err
		}
		// Its turns were jobs of the server it came from: nothing runs it here until resumed.
		if status == string(conversations.Active) {
			status = string(conversations.Paused)
			p.warnings = append(p.warnings, fmt.Sprintf("conversation %q: its scene was running; it is imported paused (resumeScene runs it again)", v.ID))
		}
	}
	lastSeq, err := p.addMessages(viewer, f+".messages", id, v.Messages, chars, msgs, now)
	if err != nil {
		return err
	}
	p.conversations = append(p.conversations, db.ImportConversationsParams{ID: id, OwnerID: viewer.UserID, Kind: v.Kind,
		Status: status, Title: v.Title, StandInID: standIn, LastSeq: lastSeq,
		CreatedAt: orNow(v.CreatedAt, now), UpdatedAt: orNow(v.UpdatedAt, now)})
	return nil
}

func (p *plan) addScene(f string, conv uuid.UUID, sc Scene, chars, scens *idMap) error {
	scenario, err := scens.optional(f+".scenario", sc.Scenario)
	if err != nil {
		return err
	}
	for _, t := range []struct {
		field, v string
		hi       int
	}{{".setting", sc.Setting, maxSetting}, {".mood", sc.Mood, maxMood}, {".premise", sc.Premise, maxPremise}} {
		if err := scenarios.CheckText(f+t.field, t.v, 0, t.hi); err != nil {
			return err
		}
	}
	if err := checkRun(f, sc.MaxTurns, sc.PaceMs); err != nil {
		return err
	}
	if err := checkRange(f+".turn", float64(sc.Turn), 0, maxTurns); err != nil {
		return err
	}
	if err := oneOf(f+".mode", sc.Mode, string(scenes.Observe), string(scenes.Participate)); err != nil {
		return err
	}
	roles, err := castRows(f+".cast", sc.Cast, chars)
	if err != nil {
		return err
	}
	last, err := chars.optional(f+".lastSpeaker", sc.LastSpeaker)
	if err != nil {
		return err
	}
	spoke := make(map[uuid.UUID]int, len(sc.Spoke))
	for local, turn := range sc.Spoke {
		id, err := chars.ref(f+".spoke."+local, local)
		if err != nil {
			return err
		}
		if err := checkRange(f+".spoke."+local, float64(turn), 0, maxTurns); err != nil {
			return err
		}
		spoke[id] = turn
	}
	rolesJSON, err := json.Marshal(roles)
	if err != nil {
		return fmt.Errorf("encode scene roles: %w", err)
	}
	spokeJSON, err := json.Marshal(spoke)
	if err != nil {
		return fmt.Errorf("encode scene turns: %w", err)
	}
	p.scenes = append(p.scenes, db.ImportScenesParams{ConversationID: conv, ScenarioID: scenario, Setting: sc.Setting,
		Mood: sc.Mood, Premise: sc.Premise, Roles: rolesJSON, Turn: sc.Turn, MaxTurns: sc.MaxTurns, PaceMs: sc.PaceMs,
		Seed: sc.Seed, Mode: sc.Mode, LastSpeakerID: last, LastTurnAt: sc.LastTurnAt, Spoke: spokeJSON})
	return nil
}

// addMessages checks a conversation's lines and returns its last number. Numbers and
// turns are unique in a conversation, as is a scene line's text, and a character answers
// a line once: the table's unique indexes, refused here with a path instead.
func (p *plan) addMessages(viewer auth.Identity, f string, conv uuid.UUID, ms []Message, chars, msgs *idMap, now time.Time) (int64, error) {
	var last int64
	seqs, turns, lines, replies := map[int64]bool{}, map[int32]bool{}, map[string]bool{}, map[string]bool{}
	for i, m := range ms {
		g := fmt.Sprintf("%s.%d", f, i)
		if m.Seq < 1 || seqs[m.Seq] {
			return 0, errs.Invalid(g+".seq", "must be a number from 1, unique in its conversation (got %d)", m.Seq)
		}
		seqs[m.Seq], last = true, max(last, m.Seq)
		if err := oneOf(g+".senderKind", m.SenderKind, string(conversations.SenderUser), string(conversations.SenderCharacter),
			string(conversations.SenderNarrator), string(conversations.SenderSystem)); err != nil {
			return 0, err
		}
		if err := scenarios.CheckText(g+".content", m.Content, 1, maxMessage); err != nil {
			return 0, err
		}
		if err := checkOptional(g+".emotion", m.Emotion, 1, maxMessageEmotion); err != nil {
			return 0, err
		}
		if m.Intensity != nil {
			if err := checkRange(g+".intensity", *m.Intensity, 0, 1); err != nil {
				return 0, err
			}
		}
		if t := m.Turn; t != nil {
			if *t < 1 || turns[*t] {
				return 0, errs.Invalid(g+".turn", "must be a number from 1, unique in its conversation (got %d)", *t)
			}
			if lines[m.Content] {
				return 0, errs.Invalid(g+".content", "repeats an earlier line of the scene")
			}
			turns[*t], lines[m.Content] = true, true
		}
		sender, err := chars.optional(g+".senderCharacter", m.SenderCharacter)
		if err != nil {
			return 0, err
		}
		if m.SenderKind == string(conversations.SenderCharacter) && sender == nil {
			return 0, errs.Invalid(g+".senderCharacter", "is required for a CHARACTER line")
		}
		addressee, err := chars.optional(g+".addressee", m.Addressee)
		if err != nil {
			return 0, err
		}
		replyTo, err := msgs.optional(g+".replyTo", m.ReplyTo)
		if err != nil {
			return 0, err
		}
		if m.ReplyTo != nil {
			key := *m.ReplyTo + "\x00"
			if m.SenderCharacter != nil {
				key += *m.SenderCharacter
			}
			if replies[key] {
				return 0, errs.Invalid(g+".replyTo", "answers line %q a second time from the same sender", *m.ReplyTo)
			}
			replies[key] = true
		}
		meta, err := checkObject(g+".metadata", m.Metadata, maxMetadata)
		if err != nil {
			return 0, err
		}
		row := db.ImportMessagesParams{ID: msgs.ids[m.ID], ConversationID: conv, Seq: m.Seq, SenderKind: m.SenderKind,
			SenderCharacterID: sender, AddresseeCharacterID: addressee, ReplyToID: replyTo, Content: m.Content,
			Emotion: m.Emotion, Intensity: m.Intensity, Metadata: meta, CreatedAt: orNow(m.CreatedAt, now), Turn: m.Turn}
		if m.SenderKind == string(conversations.SenderUser) {
			row.SenderUserID = &viewer.UserID
		}
		p.messages = append(p.messages, row)
	}
	return last, nil
}

func (p *plan) addRelationship(viewer auth.Identity, f string, r Relationship, rels, chars, msgs *idMap, now time.Time) error {
	id, err := rels.add(f+".id", r.ID)
	if err != nil {
		return err
	}
	from, err := chars.ref(f+".from", r.From)
	if err != nil {
		return err
	}
	to, err := chars.ref(f+".to", r.To)
	if err != nil {
		return err
	}
	if from == to {
		return errs.Invalid(f+".to", "a relationship joins two different characters")
	}
	if !relationships.Type(r.Type).Valid() {
		return errs.Invalid(f+".type", "unknown relationship type %q", r.Type)
	}
	key := pair{from, to, r.Type}
	if p.pairs[key] {
		return errs.Invalid(f, "repeats the %s relationship from %q to %q", r.Type, r.From, r.To)
	}
	p.pairs[key] = true
	if err := checkValues(f, r.Strength, r.Trust, r.Familiarity); err != nil {
		return err
	}
	if err := checkOptional(f+".label", r.Label, 1, maxLabel); err != nil {
		return err
	}
	if err := scenarios.CheckText(f+".notes", r.Notes, 0, maxNotes); err != nil {
		return err
	}
	p.relationships = append(p.relationships, db.ImportRelationshipsParams{ID: id, FromID: from, ToID: to, Type: r.Type,
		Label: r.Label, Strength: r.Strength, Trust: r.Trust, Familiarity: r.Familiarity, Notes: r.Notes, Since: r.Since,
		CreatedAt: orNow(r.CreatedAt, now), UpdatedAt: orNow(r.UpdatedAt, now)})
	for i, h := range r.History {
		g := fmt.Sprintf("%s.history.%d", f, i)
		if err := oneOf(g+".kind", h.Kind, "CREATED", "UPDATED", "ADJUSTED", "DELETED"); err != nil {
			return err
		}
		if !relationships.Type(h.Type).Valid() {
			return errs.Invalid(g+".type", "unknown relationship type %q", h.Type)
		}
		if err := checkValues(g, h.Strength, h.Trust, h.Familiarity); err != nil {
			return err
		}
		if err := checkOptional(g+".label", h.Label, 1, maxLabel); err != nil {
			return err
		}
		if err := checkOptional(g+".cause", h.Cause, 0, maxCause); err != nil {
			return err
		}
		if err := scenarios.CheckText(g+".actor", h.Actor, 1, maxActor); err != nil {
			return err
		}
		msg, err := msgs.optional(g+".message", h.Message)
		if err != nil {
			return err
		}
		row := db.ImportRelationshipHistoryParams{RelationshipID: id, FromID: from, ToID: to, Type: h.Type, Kind: h.Kind,
			Strength: h.Strength, Trust: h.Trust, Familiarity: h.Familiarity, Label: h.Label, Clamped: h.Clamped,
			Cause: h.Cause, Actor: h.Actor, At: orNow(h.At, now), MessageID: msg}
		if o := h.Old; o != nil {
			row.OldStrength, row.OldTrust, row.OldFamiliarity = o.Strength, o.Trust, o.Familiarity
		}
		if dl := h.Delta; dl != nil {
			row.DeltaStrength, row.DeltaTrust, row.DeltaFamiliarity = dl.Strength, dl.Trust, dl.Familiarity
		}
		// A user's change on the other server is the owner's: here, the importer's.
		if h.Actor == "user" {
			row.ActorUserID = &viewer.UserID
		}
		p.history = append(p.history, row)
	}
	return nil
}

// checkValues checks a relationship's strength (-1..1), trust and familiarity (0..1).
func checkValues(f string, strength, trust, familiarity float64) error {
	if err := checkRange(f+".strength", strength, -1, 1); err != nil {
		return err
	}
	if err := checkRange(f+".trust", trust, 0, 1); err != nil {
		return err
	}
	return checkRange(f+".familiarity", familiarity, 0, 1)
}

func (p *plan) addMemory(f string, m Memory, mems, chars, msgs *idMap, now time.Time) error {
	id, err := mems.add(f+".id", m.ID)
	if err != nil {
		return err
	}
	cid, err := chars.ref(f+".character", m.Character)
	if err != nil {
		return err
	}
	if err := scenarios.CheckText(f+".content", m.Content, 1, maxMemory); err != nil {
		return err
	}
	if !memories.Type(m.Type).Valid() {
		return errs.Invalid(f+".type", "unknown memory type %q", m.Type)
	}
	if err := checkRange(f+".importance", m.Importance, 0, 1); err != nil {
		return err
	}
	if m.AccessCount < 0 {
		return errs.Invalid(f+".accessCount", "must not be negative")
	}
	src, err := msgs.optional(f+".sourceMessage", m.SourceMessage)
	if err != nil {
		return err
	}
	p.memories = append(p.memories, db.ImportMemoriesParams{ID: id, CharacterID: cid, Content: m.Content, Type: m.Type,
		Importance: m.Importance, CreatedAt: orNow(m.CreatedAt, now), LastAccessedAt: orNow(m.LastAccessedAt, now),
		AccessCount: m.AccessCount, SourceMessageID: src})
	return nil
}
