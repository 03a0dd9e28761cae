package scenes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
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
	"github.com/literaryai/ensemble/internal/chat"
	"github.com/literaryai/ensemble/internal/conversations"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/llm"
	"github.com/literaryai/ensemble/internal/memories"
)

// Tuning of a turn.
const (
	// historyLines is how many earlier lines the speaker hears.
	historyLines = 12
	// recallCount is how many of its memories the speaker recalls.
	recallCount = 5
	// energyCost is the social energy one line spends (less for an extravert).
	energyCost = 0.08
	// energyRecovery is the social energy a character regains per turn it stays silent.
	energyRecovery = 0.02
	// maxWait is the longest pause between turns a worker waits out itself; longer
	// pauses give the job back to the queue until it is due.
	maxWait = 10 * time.Second
	// writeAttempts is how often a line that repeats the scene or gives away a secret is
	// asked for again before the speaker is asked without its memories.
	writeAttempts = 3
)

// Worker is the River worker of TurnArgs.
type Worker struct {
	river.WorkerDefaults[TurnArgs]
	s      *Service
	writer llm.SceneWriter
	// offline writes the line when the writer's keep repeating the scene or giving
	// secrets away.
	offline llm.SceneWriter
	timeout time.Duration
	// said remembers what each scene has said, for the offline storyteller.
	said *said
}

// NewWorker returns the turn worker; timeout bounds writing one line.
func NewWorker(s *Service, writer llm.SceneWriter, timeout time.Duration) *Worker {
	if timeout <= 0 {
		timeout = time.Minute
	}
	return &Worker{s: s, writer: writer, offline: llm.NewOffline(), timeout: timeout, said: newSaid()}
}

// Timeout covers the wait for the pace, a retried request and the commit.
func (w *Worker) Timeout(*river.Job[TurnArgs]) time.Duration {
	return maxWait + 2*w.timeout + 30*time.Second
}

// Work writes one turn. A turn already written, a scene ended or deleted, or a paused
// scene (unless stepping) make it a no-op.
func (w *Worker) Work(ctx context.Context, job *river.Job[TurnArgs]) error {
	args := job.Args
	st, err := w.due(ctx, args)
	if st == nil || err != nil {
		return err
	}
	t, err := w.prepare(ctx, st, args, job.Attempt)
	if err != nil {
		return err
	}
	if t == nil {
		// Nobody may speak (the speakers were made inactive): the scene is over.
		_, err := w.s.endTurnless(ctx, st.ConversationID)
		return err
	}
	line, err := w.write(ctx, t)
	if err != nil {
		return fmt.Errorf("write turn %d of scene %s: %w", args.Turn, args.ConversationID, err)
	}
	w.stream(ctx, t, line.Text)
	err = w.commit(ctx, t, line)
	if err == nil {
		t.said.add(int32(args.Turn), line.Text)
	}
	w.publish(ctx, t, chat.Delta{Index: t.pieces, Done: true})
	if errors.Is(err, errTurnTaken) {
		return nil
	}
	return err
}

// errTurnTaken means the turn was written, or the scene stopped, while this attempt
// wrote its line.
var errTurnTaken = errors.New("turn already written or scene stopped")

// due waits for the turn's time and returns the scene, or nil when there is nothing to do.
func (w *Worker) due(ctx context.Context, args TurnArgs) (*Scene, error) {
	for {
		st, err := load(ctx, w.s.q, auth.Identity{Role: auth.RoleAdmin}, args.ConversationID, false)
		if errors.Is(err, errs.ErrNotFound) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		switch {
		case st.Turn != args.Turn-1, st.Turn >= st.MaxTurns, st.Status == conversations.Ended,
			st.Status == conversations.Paused && !args.Step:
			return nil, nil
		}
		if args.Step || st.LastTurnAt == nil {
			return st, nil
		}
		wait := st.LastTurnAt.Add(time.Duration(st.PaceMs) * time.Millisecond).Sub(w.s.now())
		if wait <= 0 {
			return st, nil
		}
		if wait > maxWait {
			return nil, river.JobSnooze(wait)
		}
		// Read the scene again after the wait: the director may have paused it, or
		// changed the pace.
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// turn is everything one turn is made from.
type turn struct {
	scene *Scene
	args  TurnArgs
	cast  map[uuid.UUID]*characters.Character
	// fromBook are the cast members made from a book: they have lines of their own.
	fromBook  map[uuid.UUID]bool
	speaker   *characters.Character
	addressee *characters.Character
	reason    string
	// last is the line the speaker answers (nil at the start).
	last *db.SceneLinesRow
	// recent counts each character's lines among the last recentWindow turns.
	recent    map[uuid.UUID]int
	rels      []db.Relationship
	recalled  []memories.Scored
	direction []string
	said      *sceneSaid
	request   llm.SceneRequest
	lineID    uuid.UUID
	pieces    int
}

// prepare chooses the speaker and whom it addresses, and gathers what it knows. It
// returns nil when nobody may speak.
func (w *Worker) prepare(ctx context.Context, st *Scene, args TurnArgs, attempt int) (*turn, error) {
	t := &turn{scene: st, args: args, cast: map[uuid.UUID]*characters.Character{}, fromBook: map[uuid.UUID]bool{},
		lineID: uuid.New(), recent: map[uuid.UUID]int{}}
	var cast []db.Character
	var lines []db.SceneLinesRow
	var dirs []db.SceneDirection
	// The cast, its bonds, the last lines and the pending directions travel in one round
	// trip: a turn's reads are a third of its statements.
	b := &pgx.Batch{}
	db.QueueSceneCast(b, st.ConversationID, func(rows []db.Character) error { cast = rows; return nil })
	db.QueueSceneRelationships(b, st.ConversationID, func(rows []db.Relationship) error { t.rels = rows; return nil })
	db.QueueSceneLines(b, db.SceneLinesParams{ConversationID: st.ConversationID, BeforeSeq: st.LastSeq + 1, MaxLines: historyLines},
		func(rows []db.SceneLinesRow) error { lines = rows; return nil })
	db.QueuePendingDirections(b, st.ConversationID, func(rows []db.SceneDirection) error { dirs = rows; return nil })
	t.said = w.said.of(st.ConversationID)
	if known, before := t.said.through(), int32(args.Turn); known < before-1 {
		db.QueueSceneLineHashes(b, db.SceneLineHashesParams{ConversationID: st.ConversationID, AfterTurn: known, BeforeTurn: before},
			func(hashes [][]byte) error { t.said.catchUp(hashes, before-1); return nil })
	}
	if err := w.s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("load cast, lines and directions of scene %s: %w", st.ConversationID, err)
	}
	for _, r := range cast {
		c, err := characters.FromRow(r)
		if err != nil {
			return nil, err
		}
		t.cast[c.ID] = c
		t.fromBook[c.ID] = r.SourceDocumentID != nil
	}
	if len(lines) > 0 {
		t.last = &lines[0]
	}
	for _, l := range lines {
		if l.Turn != nil && int(*l.Turn) > st.Turn-recentWindow && l.SenderCharacterID != nil {
			t.recent[*l.SenderCharacterID]++
		}
	}
	rng := rand.New(rand.NewPCG(uint64(st.Seed), uint64(args.Turn)))
	if !t.choose(rng, dirs) {
		return nil, nil
	}
	t.addressee = t.chooseAddressee(rng)
	for _, d := range dirs {
		if d.CharacterID == t.speaker.ID {
			t.direction = append(t.direction, d.Instruction)
		}
	}
	if err := w.gather(ctx, t, lines, attempt); err != nil {
		return nil, err
	}
	return t, nil
}

// choose applies the speaker policy (see Choose).
func (t *turn) choose(rng *rand.Rand, dirs []db.SceneDirection) bool {
	st := t.scene
	var lastText string
	var addressed *uuid.UUID
	if t.last != nil {
		lastText, addressed = t.last.Content, t.last.AddresseeCharacterID
	}
	directed := map[uuid.UUID]bool{}
	for _, d := range dirs {
		directed[d.CharacterID] = true
	}
	var cands []Candidate
	var who []*characters.Character
	for _, r := range st.Roles {
		c, ok := t.cast[r.CharacterID]
		if !ok || !r.MaySpeak || !c.IsActive {
			continue
		}
		cand := Candidate{ID: c.ID, Extraversion: c.Traits.Extraversion, Energy: t.energy(c), Autonomy: c.AutonomyLevel,
			Addressed: addressed != nil && *addressed == c.ID, Directed: directed[c.ID],
			Stake: Stake(lastText, r.Goal, r.Secret), SilentTurns: st.Turn - st.Spoke[c.ID], Recent: t.recent[c.ID],
			LastSpeaker: st.LastSpeakerID != nil && *st.LastSpeakerID == c.ID}
		if st.LastSpeakerID != nil {
			if b := t.bond(c.ID, *st.LastSpeakerID); b != nil {
				cand.Bond = math.Abs(b.Strength)
			}
		}
		cands = append(cands, cand)
		who = append(who, c)
	}
	i, reason := Choose(cands, rng)
	if i < 0 {
		return false
	}
	t.speaker, t.reason = who[i], reason
	return true
}

// energy is a character's social energy now: what it had, plus what it regained by
// staying silent since it last spoke in the scene.
func (t *turn) energy(c *characters.Character) float64 {
	silent := t.scene.Turn - t.scene.Spoke[c.ID]
	return math.Min(1, c.SocialEnergy+energyRecovery*float64(silent))
}

// bond is from's strongest relationship towards to (by |strength|), nil if none.
func (t *turn) bond(from, to uuid.UUID) *db.Relationship {
	var best *db.Relationship
	for i := range t.rels {
		r := &t.rels[i]
		if r.FromID == from && r.ToID == to && (best == nil || math.Abs(r.Strength) > math.Abs(best.Strength)) {
			best = r
		}
	}
	return best
}

// chooseAddressee: whoever spoke to the speaker is most likely answered, the more so
// the stronger the speaker's feelings for them; otherwise someone present is drawn by the
// strength of the speaker's feelings and how well it knows them (the last speaker a
// little likelier). nil addresses the room, or the user who spoke to the speaker.
func (t *turn) chooseAddressee(rng *rand.Rand) *characters.Character {
	if t.last != nil && t.last.AddresseeCharacterID != nil && *t.last.AddresseeCharacterID == t.speaker.ID {
		if t.last.SenderCharacterID == nil {
			return nil
		}
		if c, ok := t.cast[*t.last.SenderCharacterID]; ok {
			answer := 0.55
			if b := t.bond(t.speaker.ID, c.ID); b != nil {
				answer += 0.35 * math.Abs(b.Strength)
			}
			if rng.Float64() < answer {
				return c
			}
		}
	}
	var others []*characters.Character
	var weights []float64
	sum := 0.0
	for _, r := range t.scene.Roles {
		c, ok := t.cast[r.CharacterID]
		if !ok || c.ID == t.speaker.ID {
			continue
		}
		w := 0.4
		if b := t.bond(t.speaker.ID, c.ID); b != nil {
			w += math.Abs(b.Strength) + 0.3*b.Familiarity
		}
		if t.last != nil && t.last.SenderCharacterID != nil && *t.last.SenderCharacterID == c.ID {
			w += 0.4
		}
		others = append(others, c)
		weights = append(weights, w)
		sum += w
	}
	if len(others) == 0 {
		return nil
	}
	x := rng.Float64() * sum
	for i, w := range weights {
		if x < w {
			return others[i]
		}
		x -= w
	}
	return others[len(others)-1]
}

// gather builds the generator's request from the speaker's own point of view: its
// persona, part and secret, its bonds with those present, its memories, its book voice,
// and the last lines.
func (w *Worker) gather(ctx context.Context, t *turn, lines []db.SceneLinesRow, attempt int) error {
	st, sp := t.scene, t.speaker
	role, _ := st.Role(sp.ID)
	req := llm.SceneRequest{
		Speaker: llm.Persona{Name: sp.Name, Description: sp.Description, Backstory: sp.Backstory,
			SpeakingStyle: sp.SpeakingStyle, Goals: sp.Goals, Emotion: sp.CurrentEmotion, SocialEnergy: t.energy(sp),
			Traits: llm.Traits{Openness: sp.Traits.Openness, Conscientiousness: sp.Traits.Conscientiousness,
				Extraversion: sp.Traits.Extraversion, Agreeableness: sp.Traits.Agreeableness, Neuroticism: sp.Traits.Neuroticism}},
		Role: role.Role, Goal: role.Goal, Secret: role.Secret,
		Setting: st.Setting, Mood: st.Mood, Premise: st.Premise,
		Direction: strings.Join(t.direction, " "),
		Seed:      st.Seed*1_000_003 + int64(t.args.Turn)*7919 + int64(attempt),
	}
	for _, r := range st.Roles {
		c, ok := t.cast[r.CharacterID]
		if !ok || c.ID == sp.ID {
			continue
		}
		p := llm.Present{Name: c.Name, Role: r.Role}
		if b := t.bond(sp.ID, c.ID); b != nil {
			p.Bond = bondOf(b)
		}
		if b := t.bond(c.ID, sp.ID); b != nil {
			p.BondBack = bondOf(b)
		}
		req.Present = append(req.Present, p)
	}
	if t.addressee != nil {
		req.Addressee = t.addressee.Name
	}
	for i := len(lines) - 1; i >= 0; i-- {
		l := lines[i]
		tn := llm.Turn{Text: l.Content}
		switch {
		case l.SenderKind == string(conversations.SenderUser):
			tn.Speaker, tn.FromUser = "You", true
		case l.SenderKind == string(conversations.SenderNarrator):
			tn.Speaker = "Narrator"
		case l.SpeakerName != nil:
			tn.Speaker = *l.SpeakerName
		default:
			continue
		}
		req.History = append(req.History, tn)
		if l.Turn != nil {
			req.Avoid = append(req.Avoid, l.Content)
		}
	}
	query := st.Premise
	if t.last != nil {
		query = t.last.Content
	}
	if strings.TrimSpace(query) == "" {
		query = st.Setting + " " + st.Mood
	}
	if strings.TrimSpace(query) != "" {
		query = clip(query, memories.MaxContent)
		recalled, err := w.s.memories.RecallFor(ctx, st.EcosystemID, sp.ID, query, recallCount)
		if err != nil {
			// Memories make a line better but are not needed for one.
			w.s.logger.Warn("scene line without memories: recall failed", "character", sp.ID, "error", err)
		}
		t.recalled = recalled
		for _, m := range recalled {
			req.Memories = append(req.Memories, m.Memory.Content)
		}
	}
	req.SaidBefore = t.said.has
	t.request = req
	if !t.fromBook[sp.ID] {
		return nil
	}
	voice, err := w.s.q.BookVoice(ctx, sp.ID)
	if err != nil {
		return fmt.Errorf("load voice of %s: %w", sp.ID, err)
	}
	for _, v := range voice {
		if line, ok := llm.BookLine(v); ok {
			t.request.Voice = append(t.request.Voice, line)
		}
	}
	return nil
}

func bondOf(r *db.Relationship) *llm.Bond {
	return &llm.Bond{Type: r.Type, Strength: r.Strength, Trust: r.Trust, Familiarity: r.Familiarity}
}

// write asks the generator for the line. A line said before in the scene, or one that
// gives away a secret (anyone's: a holder keeps its own unless directed otherwise), is
// asked for again; when that keeps happening the speaker is asked without its memories
// and book lines, where such words come from, and at last the offline storyteller writes
// the line without the speaker's secret (see fallback), and the line says so in its
// metadata.
func (w *Worker) write(ctx context.Context, t *turn) (llm.SceneLine, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*w.timeout)
	defer cancel()
	req := t.request
	for attempt := range writeAttempts {
		if attempt == writeAttempts-1 {
			req.Memories, req.Voice = nil, nil
		}
		line, err := w.writer.Scene(ctx, req, nil)
		if err != nil {
			return llm.SceneLine{}, err
		}
		line.Text = strings.TrimSpace(line.Text)
		ok, err := w.acceptable(ctx, t, line.Text)
		if err != nil {
			return llm.SceneLine{}, err
		}
		if ok {
			return line, nil
		}
		req.Seed++
		req.Avoid = append(req.Avoid, line.Text)
	}
	line, err := w.fallback(ctx, t, req)
	if err == nil && line.Fallback == "" {
		line.Fallback = "the model's lines repeated the scene or gave a secret away"
	}
	return line, err
}

// Fallback rounds: the offline storyteller drafts fallbackBatch lines at a time, and one
// query finds those the scene has said. The storyteller sees only the recent lines, so
// deep into a long scene many of its drafts were said long ago; a batch makes finding a
// new one cost one round trip however many are old.
const (
	fallbackBatch  = 16
	fallbackRounds = 4
)

// fallback writes the line with the offline storyteller, without the speaker's secret:
// the first of its drafts, in order, that is new in the scene and keeps every secret.
func (w *Worker) fallback(ctx context.Context, t *turn, req llm.SceneRequest) (llm.SceneLine, error) {
	req.Secret = ""
	for range fallbackRounds {
		var lines []llm.SceneLine
		var texts []string
		for range fallbackBatch {
			line, err := w.offline.Scene(ctx, req, nil)
			if err != nil {
				break // the storyteller has nothing more to say: check what it had
			}
			line.Text = strings.TrimSpace(line.Text)
			req.Seed++
			req.Avoid = append(req.Avoid, line.Text)
			if w.keepsSecrets(t, line.Text) {
				lines = append(lines, line)
				texts = append(texts, line.Text)
			}
		}
		if len(lines) == 0 {
			break
		}
		said, err := w.s.q.SceneLinesSaid(ctx, db.SceneLinesSaidParams{ConversationID: t.scene.ConversationID, Contents: texts})
		if err != nil {
			return llm.SceneLine{}, fmt.Errorf("look up lines: %w", err)
		}
		for _, line := range lines {
			if !slices.Contains(said, line.Text) {
				return line, nil
			}
		}
	}
	return llm.SceneLine{}, fmt.Errorf("no new line that keeps every secret after %d drafts", writeAttempts+fallbackRounds*fallbackBatch)
}

// acceptable reports whether a line is new in the scene and keeps every secret.
func (w *Worker) acceptable(ctx context.Context, t *turn, text string) (bool, error) {
	if !w.keepsSecrets(t, text) {
		return false, nil
	}
	said, err := w.s.q.SceneLineExists(ctx, db.SceneLineExistsParams{ConversationID: t.scene.ConversationID, Content: text})
	if err != nil {
		return false, fmt.Errorf("look up line: %w", err)
	}
	return !said, nil
}

// keepsSecrets reports whether a line may be said as far as its own words go: not empty,
// not too long, and giving no secret away.
func (w *Worker) keepsSecrets(t *turn, text string) bool {
	if text == "" || utf8.RuneCountInString(text) > conversations.MaxContent {
		return false
	}
	for _, r := range t.scene.Roles {
		// A holder gives its own secret away only when the director tells it to.
		own := r.CharacterID == t.speaker.ID && len(t.direction) > 0
		if !own && Leaks(text, r.Secret) {
			return false
		}
	}
	return true
}

// stream publishes the line word by word on messageStream before it is stored, as
// replies stream.
func (w *Worker) stream(ctx context.Context, t *turn, text string) {
	start := 0
	for i := 1; i <= len(text); i++ {
		if i == len(text) || (text[i] == ' ' && text[i-1] != ' ') {
			w.publish(ctx, t, chat.Delta{Index: t.pieces, Text: text[start:i]})
			t.pieces++
			start = i
		}
	}
}

func (w *Worker) publish(ctx context.Context, t *turn, d chat.Delta) {
	d.ConversationID, d.MessageID, d.CharacterID = t.scene.ConversationID, t.lineID, t.speaker.ID
	if t.last != nil {
		d.ReplyToID = t.last.ID
	}
	payload, err := json.Marshal(d)
	if err != nil {
		w.s.logger.Error("encode delta", "error", err)
		return
	}
	w.s.pub.Publish(ctx, events.Event{EcosystemID: t.scene.EcosystemID, Topic: events.MessageDelta, At: w.s.now(), Payload: payload})
}

// commit stores the line and what it changes, in one transaction under the scene's lock:
// the line (the turn's number), the speaker's energy and emotion, the addressee's
// emotion, the relationship changes (history, with the line as cause), every present
// character's memory of it, the directions it followed, and the next turn's job. After
// the scene's lock, the statements travel in one round trip (two when the line makes
// new acquaintances), then the events, the next job and the commit.
func (w *Worker) commit(ctx context.Context, t *turn, line llm.SceneLine) error {
	witnesses, err := w.s.memories.PrepareWitnessed(ctx, t.witnesses(line.Text))
	if err != nil {
		return err
	}
	meta, err := json.Marshal(map[string]any{"generator": line.Model, "offline": line.Offline, "fallback": line.Fallback,
		"reason": t.reason, "memoriesRecalled": len(t.request.Memories), "bookVoice": len(t.request.Voice) > 0,
		"direction": t.request.Direction, "scene": true})
	if err != nil {
		return fmt.Errorf("encode line metadata: %w", err)
	}
	var stored *memories.Stored
	now := w.s.now()
	err = events.Transact(ctx, w.s.pool, w.s.pub, func(q *db.Queries, box *events.Outbox) error {
		st, err := load(ctx, q, auth.Identity{Role: auth.RoleAdmin}, t.scene.ConversationID, true)
		if err != nil {
			return err
		}
		if st.Turn != t.args.Turn-1 || st.Status == conversations.Ended || (st.Status == conversations.Paused && !t.args.Step) {
			return errTurnTaken
		}
		ids := make([]uuid.UUID, 0, len(t.cast))
		for id := range t.cast {
			ids = append(ids, id)
		}
		p := db.AppendSceneLineParams{ID: t.lineID, ConversationID: st.ConversationID, Turn: int32(t.args.Turn),
			SpeakerID: t.speaker.ID, Content: line.Text, Emotion: line.Emotion, Intensity: clamp01(line.Intensity),
			Metadata: meta, At: now}
		if t.addressee != nil {
			p.AddresseeID = &t.addressee.ID
		}
		if t.last != nil {
			p.ReplyToID = &t.last.ID
		}
		b := &pgx.Batch{}
		db.QueueLockCharacters(b, ids)
		var lineRows []db.Message
		db.QueueAppendSceneLine(b, p, func(rows []db.Message) error { lineRows = rows; return nil })
		var states []db.SetCharacterStatesRow
		db.QueueSetCharacterStates(b, t.states(line, now), func(rows []db.SetCharacterStatesRow) error { states = rows; return nil })
		d := t.deltas(line)
		var created []db.CreateSceneRelationshipsRow
		if from, to := t.unrelated(d); len(from) > 0 {
			// The new acquaintances' ids are needed to adjust them: this much goes first.
			db.QueueCreateSceneRelationships(b, db.CreateSceneRelationshipsParams{EcosystemID: st.EcosystemID,
				FromIds: from, ToIds: to, Cause: d.cause, MessageID: t.lineID},
				func(rows []db.CreateSceneRelationshipsRow) error { created = rows; return nil })
			if err := sendLine(ctx, box, b, t.args.Turn); err != nil {
				return err
			}
			b = &pgx.Batch{}
			for _, r := range created {
				t.rels = append(t.rels, acquaintance(r))
			}
		}
		var adjusted []db.RelationshipEvent
		if adj := t.adjustments(d, t.lineID); len(adj.Ids) > 0 {
			db.QueueAdjustRelationships(b, adj, func(rows []db.RelationshipEvent) error { adjusted = rows; return nil })
		}
		w.s.memories.QueueTouch(b, t.recalled)
		inCast := func(c uuid.UUID) bool { _, ok := t.cast[c]; return ok }
		pending := w.s.memories.QueueWitnessed(b, st.EcosystemID, &t.lineID, witnesses, inCast)
		if len(t.direction) > 0 {
			db.QueueUseDirections(b, db.UseDirectionsParams{ConversationID: st.ConversationID, CharacterID: t.speaker.ID, Turn: &p.Turn})
		}
		if err := sendLine(ctx, box, b, t.args.Turn); err != nil {
			return err
		}
		if len(lineRows) != 1 {
			return fmt.Errorf("store line: %w", pgx.ErrNoRows)
		}
		msg := conversations.MessageFromRow(lineRows[0])
		st.Turn = t.args.Turn
		if err := recordStates(box, states); err != nil {
			return err
		}
		if err := recordDeltas(box, d, created, adjusted); err != nil {
			return err
		}
		if len(d.order) > 0 {
			box.GraphChanged(st.EcosystemID)
		}
		if stored, err = pending.Finish(ctx, box); err != nil {
			return err
		}
		if err := box.Append(st.EcosystemID, events.MessageCreated, msg); err != nil {
			return err
		}
		c := change(Turned, st)
		c.SpeakerID, c.AddresseeID, c.Reason = &t.speaker.ID, p.AddresseeID, t.reason
		if err := box.Append(st.EcosystemID, Topic, c); err != nil {
			return err
		}
		switch {
		case st.Turn >= st.MaxTurns:
			return setStatus(ctx, q, box, st, conversations.Ended, Ended)
		case st.Status == conversations.Active:
			return w.s.jobs.InsertTx(ctx, box.Tx(), TurnArgs{ConversationID: st.ConversationID, Turn: st.Turn + 1, Run: t.args.Run}, nil)
		}
		return nil
	})
	if errors.Is(err, errs.ErrNotFound) {
		return errTurnTaken
	}
	if err != nil {
		return err
	}
	w.s.index(ctx, stored)
	return nil
}

// sendLine runs a batch of the turn's writes in box's transaction. A line said before in
// the scene (its unique index) is a conflict.
func sendLine(ctx context.Context, box *events.Outbox, b *pgx.Batch, turn int) error {
	err := box.Tx().SendBatch(ctx, b).Close()
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return fmt.Errorf("line of turn %d said before: %w", turn, errs.ErrConflict)
	}
	if err != nil {
		return fmt.Errorf("store line of turn %d and its changes: %w", turn, err)
	}
	return nil
}

// witnesses are the memories every character present forms of the line, each from its
// own point of view.
func (t *turn) witnesses(text string) []memories.Witness {
	said := clip(text, 3000)
	to := "everyone"
	if t.addressee != nil {
		to = t.addressee.Name
	}
	out := make([]memories.Witness, 0, len(t.cast))
	for _, r := range t.scene.Roles {
		c, ok := t.cast[r.CharacterID]
		if !ok {
			continue
		}
		var content string
		switch {
		case c.ID == t.speaker.ID:
			content = fmt.Sprintf("I said to %s: “%s”", to, said)
		case t.addressee != nil && c.ID == t.addressee.ID:
			content = fmt.Sprintf("%s said to me: “%s”", t.speaker.Name, said)
		default:
			content = fmt.Sprintf("%s said to %s: “%s”", t.speaker.Name, to, said)
		}
		out = append(out, memories.Witness{CharacterID: c.ID, Input: memories.Input{Content: content, Type: memories.Dialogue}})
	}
	return out
}

// states spends the speaker's energy and sets its emotion, and moves the addressee's
// emotion by what was said to it.
func (t *turn) states(line llm.SceneLine, now time.Time) db.SetCharacterStatesParams {
	sp := t.speaker
	p := db.SetCharacterStatesParams{At: now, Ids: []uuid.UUID{sp.ID}, Emotions: []string{line.Emotion},
		Energies: []float64{math.Max(0, t.energy(sp)-energyCost*(1-sp.Traits.Extraversion/2))}}
	if a := t.addressee; a != nil {
		var bond *llm.Bond
		if b := t.bond(a.ID, sp.ID); b != nil {
			bond = bondOf(b)
		}
		felt, _ := llm.Reaction(llm.Persona{Name: a.Name, Emotion: a.CurrentEmotion, Traits: llm.Traits{
			Openness: a.Traits.Openness, Conscientiousness: a.Traits.Conscientiousness, Extraversion: a.Traits.Extraversion,
			Agreeableness: a.Traits.Agreeableness, Neuroticism: a.Traits.Neuroticism}}, bond, line.Text)
		p.Ids = append(p.Ids, a.ID)
		p.Emotions = append(p.Emotions, felt)
		p.Energies = append(p.Energies, a.SocialEnergy)
	}
	return p
}

// recordStates announces the characters' new states.
func recordStates(box *events.Outbox, rows []db.SetCharacterStatesRow) error {
	for _, r := range rows {
		if err := characters.RecordState(box, events.CharacterPayload{Op: events.OpUpsert, ID: r.ID, EcosystemID: r.EcosystemID,
			Name: r.Name, CurrentEmotion: r.CurrentEmotion, IsActive: r.IsActive}); err != nil {
			return err
		}
	}
	return nil
}

// pair is a directed pair of characters.
type pair struct{ from, to uuid.UUID }

// lineDeltas are a line's relationship changes, summed and clamped per pair, in the order
// the line names the pairs, with the line as their cause.
type lineDeltas struct {
	order []pair
	sums  map[pair]llm.SceneDelta
	cause string
}

// deltas sums the line's relationship changes between members of the cast, clamped
// again.
func (t *turn) deltas(line llm.SceneLine) lineDeltas {
	byName := make(map[string]uuid.UUID, len(t.cast))
	for id, c := range t.cast {
		byName[strings.ToLower(c.Name)] = id
	}
	d := lineDeltas{sums: map[pair]llm.SceneDelta{}, cause: clip(line.Text, 1000)}
	for _, x := range line.Deltas {
		from, ok1 := byName[strings.ToLower(x.From)]
		to, ok2 := byName[strings.ToLower(x.To)]
		if !ok1 || !ok2 || from == to {
			continue
		}
		x = llm.ClampDelta(x)
		k := pair{from, to}
		if _, seen := d.sums[k]; !seen {
			d.order = append(d.order, k)
		}
		s := d.sums[k]
		s.Strength += x.Strength
		s.Trust += x.Trust
		s.Familiarity += x.Familiarity
		d.sums[k] = llm.ClampDelta(s)
	}
	return d
}

// unrelated are the pairs of d with no relationship yet: they become acquainted first.
func (t *turn) unrelated(d lineDeltas) (from, to []uuid.UUID) {
	for _, k := range d.order {
		if t.bond(k.from, k.to) == nil {
			from, to = append(from, k.from), append(to, k.to)
		}
	}
	return from, to
}

// adjustments applies d to the relationships of its pairs, through history with the
// line as the cause.
func (t *turn) adjustments(d lineDeltas, messageID uuid.UUID) db.AdjustRelationshipsParams {
	p := db.AdjustRelationshipsParams{Cause: d.cause, MessageID: messageID}
	for _, k := range d.order {
		b := t.bond(k.from, k.to)
		if b == nil {
			continue // made meanwhile by someone else; the next line will move it
		}
		s := d.sums[k]
		p.Ids = append(p.Ids, b.ID)
		p.DStrength = append(p.DStrength, s.Strength)
		p.DTrust = append(p.DTrust, s.Trust)
		p.DFamiliarity = append(p.DFamiliarity, s.Familiarity)
	}
	return p
}

// recordDeltas announces the acquaintances a line made and the relationships it moved.
func recordDeltas(box *events.Outbox, d lineDeltas, created []db.CreateSceneRelationshipsRow, adjusted []db.RelationshipEvent) error {
	for _, r := range created {
		if err := recordRelationship(box, acquaintance(r), "CREATED", r.HistoryID, false, &d.cause); err != nil {
			return err
		}
	}
	for _, h := range adjusted {
		rel := db.Relationship{ID: h.RelationshipID, EcosystemID: h.EcosystemID, FromID: h.FromID, ToID: h.ToID, Type: h.Type,
			Label: h.Label, Strength: h.Strength, Trust: h.Trust, Familiarity: h.Familiarity}
		if err := recordRelationship(box, rel, "ADJUSTED", h.ID, h.Clamped, &d.cause); err != nil {
			return err
		}
	}
	return nil
}

// acquaintance is a relationship a line made.
func acquaintance(r db.CreateSceneRelationshipsRow) db.Relationship {
	return db.Relationship{ID: r.ID, EcosystemID: r.EcosystemID, FromID: r.FromID, ToID: r.ToID, Type: r.Type,
		Label: r.Label, Strength: r.Strength, Trust: r.Trust, Familiarity: r.Familiarity}
}

// recordRelationship announces a relationship change a line made.
func recordRelationship(box *events.Outbox, r db.Relationship, kind string, historyID int64, clamped bool, cause *string) error {
	return box.Append(r.EcosystemID, events.RelationshipChanged, events.RelationshipPayload{
		Kind: kind, HistoryID: historyID, ID: r.ID, EcosystemID: r.EcosystemID, FromID: r.FromID, ToID: r.ToID,
		Type: r.Type, Label: r.Label, Strength: r.Strength, Trust: r.Trust, Familiarity: r.Familiarity,
		Clamped: clamped, Cause: cause, Actor: "scene",
	})
}

// endTurnless ends a scene in which nobody may speak any more.
func (s *Service) endTurnless(ctx context.Context, id uuid.UUID) (*Scene, error) {
	return s.control(ctx, auth.Identity{Role: auth.RoleAdmin}, id, func(q *db.Queries, box *events.Outbox, st *Scene) error {
		if st.Status == conversations.Ended {
			return nil
		}
		return setStatus(ctx, q, box, st, conversations.Ended, Ended)
	})
}

// clip shortens s to at most n characters.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
