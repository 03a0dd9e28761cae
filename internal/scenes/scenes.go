// Package scenes runs scenarios: a scene is a SCENE conversation whose cast speaks on its
// own, one line per turn. Each turn is a River job (TurnArgs) that chooses the speaker,
// has the Generator write the line, and commits the line with everything it changes (the
// relationships it moves, the speaker's energy, the addressee's emotion, a memory for
// every character present) in one transaction, which also enqueues the next turn. So a
// scene survives restarts, runs on one instance at a time, and numbers its turns with no
// hole and no repeat. The director's controls (pause, resume, end, step, narrate, direct,
// pace, mode) lock the scene's conversation, the same lock a turn commits under, so they
// take effect at a turn boundary.
package scenes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/conversations"
	"github.com/literaryai/ensemble/internal/ecosystems"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/memories"
	"github.com/literaryai/ensemble/internal/scenarios"
)

// Mode says whether the user takes part in a scene.
type Mode string

// Modes.
const (
	Observe     Mode = "OBSERVE"
	Participate Mode = "PARTICIPATE"
)

// Valid reports whether m is a mode.
func (m Mode) Valid() bool { return m == Observe || m == Participate }

// Limits.
const (
	MaxNarration   = 2000
	MaxInstruction = 1000
	// MaxSeed keeps seeds within GraphQL's Int.
	MaxSeed = 1<<31 - 1
)

// Topic is the outbox topic of a scene's state changes.
const Topic = events.SceneChanged

// Kinds of scene.changed.
const (
	Started  = "STARTED"
	Paused   = "PAUSED"
	Resumed  = "RESUMED"
	Ended    = "ENDED"
	Stepped  = "STEPPED"
	Turned   = "TURN"
	Settings = "SETTINGS"
	Directed = "DIRECTED"
)

// Scene is a scene's state.
type Scene struct {
	ConversationID uuid.UUID
	EcosystemID    uuid.UUID
	OwnerID        uuid.UUID
	ScenarioID     *uuid.UUID
	Status         conversations.Status
	Mode           Mode
	Setting        string
	Mood           string
	Premise        string
	Roles          []scenarios.Role
	Turn           int
	MaxTurns       int
	PaceMs         int
	Seed           int64
	LastSpeakerID  *uuid.UUID
	LastTurnAt     *time.Time
	// Spoke is the last turn each character spoke.
	Spoke map[uuid.UUID]int
	// LastSeq is the conversation's last message number; StartSeq the ecosystem's event
	// number before the scene started.
	LastSeq  int64
	StartSeq int64
}

// FromRows builds a scene from its conversation and scene rows.
func FromRows(c db.Conversation, s db.Scene) (*Scene, error) {
	out := &Scene{ConversationID: c.ID, EcosystemID: c.EcosystemID, OwnerID: c.OwnerID, ScenarioID: s.ScenarioID,
		Status: conversations.Status(c.Status), Mode: Mode(s.Mode), Setting: s.Setting, Mood: s.Mood, Premise: s.Premise,
		Turn: int(s.Turn), MaxTurns: int(s.MaxTurns), PaceMs: int(s.PaceMs), Seed: s.Seed, LastSpeakerID: s.LastSpeakerID,
		LastTurnAt: s.LastTurnAt, LastSeq: c.LastSeq, StartSeq: s.StartSeq}
	if err := json.Unmarshal(s.Roles, &out.Roles); err != nil {
		return nil, fmt.Errorf("decode roles of scene %s: %w", c.ID, err)
	}
	spoke := map[string]int{}
	if err := json.Unmarshal(s.Spoke, &spoke); err != nil {
		return nil, fmt.Errorf("decode turns of scene %s: %w", c.ID, err)
	}
	out.Spoke = make(map[uuid.UUID]int, len(spoke))
	for k, v := range spoke {
		if id, err := uuid.Parse(k); err == nil {
			out.Spoke[id] = v
		}
	}
	return out, nil
}

// Role returns a character's part in the scene.
func (s *Scene) Role(id uuid.UUID) (scenarios.Role, bool) {
	for _, r := range s.Roles {
		if r.CharacterID == id {
			return r, true
		}
	}
	return scenarios.Role{}, false
}

// ChangePayload is the payload of scene.changed.
type ChangePayload struct {
	Kind           string               `json:"kind"`
	ConversationID uuid.UUID            `json:"conversationId"`
	Status         conversations.Status `json:"status"`
	Turn           int                  `json:"turn"`
	PaceMs         int                  `json:"paceMs"`
	Mode           Mode                 `json:"mode"`
	SpeakerID      *uuid.UUID           `json:"speakerId,omitempty"`
	AddresseeID    *uuid.UUID           `json:"addresseeId,omitempty"`
	Reason         string               `json:"reason,omitempty"`
	CharacterID    *uuid.UUID           `json:"characterId,omitempty"`
	Instruction    string               `json:"instruction,omitempty"`
}

// ChangeOf returns the payload a scene.changed event carries, decoded once for all the
// event's subscribers: treat it as read-only.
func ChangeOf(e events.Event) (*ChangePayload, error) { return events.DecodeAs[ChangePayload](e) }

func change(kind string, st *Scene) ChangePayload {
	return ChangePayload{Kind: kind, ConversationID: st.ConversationID, Status: st.Status, Turn: st.Turn,
		PaceMs: st.PaceMs, Mode: st.Mode}
}

// TurnArgs is the job that writes one turn of a scene. Jobs are unique by scene and
// turn while waiting or running, so a turn is never queued twice.
type TurnArgs struct {
	ConversationID uuid.UUID `json:"conversationId" river:"unique"`
	Turn           int       `json:"turn" river:"unique"`
	// Step runs the turn although the scene is paused (the director's step).
	Step bool `json:"step,omitempty"`
	// Run tells apart the chains of turns a resume or a step starts: the job of the
	// turn a pause stopped may still be finishing (River marks jobs done in batches),
	// and must not stand in the way of the new one. A turn run twice is written once.
	Run int64 `json:"run,omitempty" river:"unique"`
}

// Kind names the job.
func (TurnArgs) Kind() string { return "scene_turn" }

// Queue is the queue turns run on, apart from replies and slow work.
const Queue = "scenes"

// InsertOpts puts turns on their queue, unique while not yet finished (a finished turn's
// job may be queued again by a resume, and then finds its turn written).
func (TurnArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: 5, UniqueOpts: river.UniqueOpts{
		ByArgs: true,
		ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending,
			rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled},
	}}
}

// Service runs scenes.
type Service struct {
	// maxRunning bounds the scenes one user may have running at once: each costs a
	// worker's time for as long as it runs.
	maxRunning int
	pool       *pgxpool.Pool
	q          *db.Queries
	pub        bus.Bus
	jobs       Jobs
	memories   *memories.Service
	logger     *slog.Logger
	now        func() time.Time
}

// NewService returns the scene service. Turns are enqueued on jobs; committed events
// are published on pub; a user may run at most maxRunning scenes at once.
func NewService(pool *pgxpool.Pool, pub bus.Bus, jobs Jobs, mem *memories.Service, maxRunning int, logger *slog.Logger, now func() time.Time) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	return &Service{maxRunning: maxRunning, pool: pool, q: db.New(pool), pub: pub, jobs: jobs, memories: mem, logger: logger, now: now}
}

// RunInput overrides a scenario's settings for one scene.
type RunInput struct {
	Seed      *int64
	MaxTurns  *int
	PaceMs    *int
	Mode      Mode
	StandInID *uuid.UUID
	Title     *string
}

func (in *RunInput) validate() error {
	if in.Seed != nil && (*in.Seed < 0 || *in.Seed > MaxSeed) {
		return errs.Invalid("input.seed", "must be between 0 and %d", MaxSeed)
	}
	if in.MaxTurns != nil && (*in.MaxTurns < 1 || *in.MaxTurns > scenarios.MaxTurns) {
		return errs.Invalid("input.maxTurns", "must be between 1 and %d", scenarios.MaxTurns)
	}
	if in.PaceMs != nil && (*in.PaceMs < 0 || *in.PaceMs > scenarios.MaxPaceMS) {
		return errs.Invalid("input.paceMs", "must be between 0 and %d", scenarios.MaxPaceMS)
	}
	if in.Mode == "" {
		in.Mode = Observe
	}
	if !in.Mode.Valid() {
		return errs.Invalid("input.mode", "must be OBSERVE or PARTICIPATE")
	}
	if in.Title != nil {
		return scenarios.CheckText("input.title", *in.Title, 0, conversations.MaxTitle)
	}
	return nil
}

// Run starts a scene of a scenario: a SCENE conversation with the scenario's cast, the
// narrator's opening, a secret-keeping memory for each holder of a secret, and the first
// turn queued.
func (s *Service) Run(ctx context.Context, viewer auth.Identity, scenarioID uuid.UUID, in RunInput) (*Scene, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	// The opening's and the secrets' memories are embedded before the transaction, from
	// the cast as it is now; a character that leaves meanwhile is skipped.
	sc, cast, err := scenarios.Find(ctx, s.q, viewer, scenarioID)
	if err != nil {
		return nil, err
	}
	var ws []memories.Witness
	for _, r := range cast {
		if sc.Opening != "" {
			ws = append(ws, memories.Witness{CharacterID: r.CharacterID, Input: memories.Input{Content: sc.Opening, Type: memories.Observation}})
		}
	}
	prepared, err := s.memories.PrepareWitnessed(ctx, ws)
	if err != nil {
		return nil, err
	}
	secrets, err := s.memories.PrepareWitnessed(ctx, secretMemories(sc, cast))
	if err != nil {
		return nil, err
	}
	var st *Scene
	var stored []*memories.Stored
	err = events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, box *events.Outbox) error {
		sc, cast, err := scenarios.Find(ctx, q, viewer, scenarioID)
		if err != nil {
			return err
		}
		eco, err := ecosystems.Find(ctx, q, viewer, sc.EcosystemID)
		if err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(cast))
		for i, r := range cast {
			ids[i] = r.CharacterID
		}
		if in.StandInID != nil {
			if err := checkStandIn(ctx, q, viewer, sc.EcosystemID, ids, *in.StandInID); err != nil {
				return err
			}
		}
		title := sc.Title
		if in.Title != nil && strings.TrimSpace(*in.Title) != "" {
			title = strings.TrimSpace(*in.Title)
		}
		if err := s.checkRunning(ctx, q, eco.OwnerID); err != nil {
			return err
		}
		conv, err := q.CreateConversation(ctx, db.CreateConversationParams{EcosystemID: sc.EcosystemID, OwnerID: eco.OwnerID,
			Kind: string(conversations.Scene), Title: title, StandInID: in.StandInID})
		if err != nil {
			return fmt.Errorf("create scene conversation: %w", err)
		}
		if err := q.AddParticipants(ctx, db.AddParticipantsParams{ConversationID: conv.ID, CharacterIds: ids}); err != nil {
			return fmt.Errorf("add cast: %w", err)
		}
		roles, err := json.Marshal(cast)
		if err != nil {
			return fmt.Errorf("encode roles: %w", err)
		}
		seed := rand.Int64N(MaxSeed + 1)
		if in.Seed != nil {
			seed = *in.Seed
		}
		maxTurns, pace := sc.MaxTurns, sc.PaceMs
		if in.MaxTurns != nil {
			maxTurns = *in.MaxTurns
		}
		if in.PaceMs != nil {
			pace = *in.PaceMs
		}
		row, err := q.CreateScene(ctx, db.CreateSceneParams{ConversationID: conv.ID, ScenarioID: &sc.ID, Setting: sc.Setting,
			Mood: sc.Mood, Premise: sc.Premise, Roles: roles, MaxTurns: int32(maxTurns), PaceMs: int32(pace), Seed: seed,
			Mode: string(in.Mode), EcosystemID: sc.EcosystemID})
		if err != nil {
			return fmt.Errorf("create scene: %w", err)
		}
		if st, err = FromRows(conv, row); err != nil {
			return err
		}
		if err := box.Append(sc.EcosystemID, events.ConversationChanged, conversations.ChangedPayload{Op: events.OpUpsert,
			ID: conv.ID, Kind: conversations.Scene, Status: conversations.Active}); err != nil {
			return err
		}
		if err := box.Append(sc.EcosystemID, Topic, change(Started, st)); err != nil {
			return err
		}
		inCast := func(id uuid.UUID) bool { _, ok := st.Role(id); return ok }
		// Storing memories moves their characters' rows (importance since reflection):
		// locked in id order first, as every turn does.
		if _, err := q.LockCharacters(ctx, ids); err != nil {
			return fmt.Errorf("lock cast: %w", err)
		}
		sec, err := s.memories.AddWitnessedTx(ctx, box, sc.EcosystemID, nil, secrets, inCast)
		if err != nil {
			return err
		}
		stored = append(stored, sec)
		if sc.Opening != "" {
			_, m, err := s.narrateTx(ctx, q, box, st, sc.Opening, prepared, inCast)
			if err != nil {
				return err
			}
			stored = append(stored, m)
		}
		return s.jobs.InsertTx(ctx, box.Tx(), TurnArgs{ConversationID: conv.ID, Turn: 1}, nil)
	})
	if err != nil {
		return nil, err
	}
	s.index(ctx, stored...)
	return st, nil
}

// checkRunning refuses one more running scene to a user who runs as many as allowed.
// Two starts at once may both pass: the bound is a brake, not an invariant.
func (s *Service) checkRunning(ctx context.Context, q *db.Queries, owner uuid.UUID) error {
	n, err := q.CountRunningScenes(ctx, owner)
	if err != nil {
		return fmt.Errorf("count running scenes: %w", err)
	}
	if int(n) >= s.maxRunning {
		return fmt.Errorf("%d scenes are running, the most one user may run at once; pause or end one first: %w", n, errs.ErrConflict)
	}
	return nil
}

// secretMemories are the memories that tell each holder of a secret what it keeps: the
// secret is in its holder's memories and in nobody else's.
func secretMemories(sc *scenarios.Scenario, cast []scenarios.Role) []memories.Witness {
	var ws []memories.Witness
	for _, r := range cast {
		if r.Secret == "" {
			continue
		}
		ws = append(ws, memories.Witness{CharacterID: r.CharacterID, Input: memories.Input{
			Content: fmt.Sprintf("A secret I keep in %q: %s", sc.Title, r.Secret), Type: memories.Fact}})
	}
	return ws
}

// checkStandIn verifies that the character the user speaks as is of the ecosystem and
// not in the cast.
func checkStandIn(ctx context.Context, q *db.Queries, viewer auth.Identity, ecosystemID uuid.UUID, cast []uuid.UUID, id uuid.UUID) error {
	for _, c := range cast {
		if c == id {
			return errs.Invalid("input.standInId", "the character you speak as cannot also be in the cast")
		}
	}
	c, err := characters.Find(ctx, q, viewer, id)
	if errors.Is(err, errs.ErrNotFound) || (err == nil && c.EcosystemID != ecosystemID) {
		return errs.Invalid("input.standInId", "no such character in the scenario's ecosystem")
	}
	return err
}

// index adds committed memories to the vector index. A failure costs recall its newest
// memories until `ensemble reindex vectors`, never the scene.
func (s *Service) index(ctx context.Context, stored ...*memories.Stored) {
	for _, st := range stored {
		if err := s.memories.IndexWitnessed(ctx, st); err != nil {
			s.logger.Warn("scene memories not indexed", "error", err)
		}
	}
}

// load reads a scene the viewer may see, through q.
func load(ctx context.Context, q *db.Queries, viewer auth.Identity, id uuid.UUID, lock bool) (*Scene, error) {
	var c db.Conversation
	var sc db.Scene
	var err error
	if lock {
		var r db.LockSceneRow
		r, err = q.LockScene(ctx, db.LockSceneParams{ID: id, OwnerID: viewer.OwnerFilter()})
		c, sc = r.Conversation, r.Scene
	} else {
		var r db.GetSceneRow
		r, err = q.GetScene(ctx, db.GetSceneParams{ID: id, OwnerID: viewer.OwnerFilter()})
		c, sc = r.Conversation, r.Scene
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("scene %s: %w", id, errs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load scene %s: %w", id, err)
	}
	return FromRows(c, sc)
}

// Get returns the scene of a conversation.
func (s *Service) Get(ctx context.Context, viewer auth.Identity, conversationID uuid.UUID) (*Scene, error) {
	return load(ctx, s.q, viewer, conversationID, false)
}

// ByConversationIDs loads scenes for loaders; conversations without one are absent.
func (s *Service) ByConversationIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*Scene, error) {
	rows, err := s.q.ScenesByConversationIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load scenes: %w", err)
	}
	convs, err := s.q.ConversationsByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load scene conversations: %w", err)
	}
	byID := make(map[uuid.UUID]db.Conversation, len(convs))
	for _, c := range convs {
		byID[c.ID] = c
	}
	out := make(map[uuid.UUID]*Scene, len(rows))
	for _, r := range rows {
		c, ok := byID[r.ConversationID]
		if !ok {
			continue
		}
		st, err := FromRows(c, r)
		if err != nil {
			return nil, err
		}
		out[r.ConversationID] = st
	}
	return out, nil
}

// control runs a director's change under the scene's lock, so it lands between turns.
func (s *Service) control(ctx context.Context, viewer auth.Identity, id uuid.UUID, fn func(q *db.Queries, box *events.Outbox, st *Scene) error) (*Scene, error) {
	var out *Scene
	err := events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, box *events.Outbox) error {
		st, err := load(ctx, q, viewer, id, true)
		if err != nil {
			return err
		}
		if err := fn(q, box, st); err != nil {
			return err
		}
		out = st
		return nil
	})
	return out, err
}

// errEnded refuses a change to a scene that has ended.
func errEnded(id uuid.UUID) error {
	return fmt.Errorf("scene %s has ended: %w", id, errs.ErrConflict)
}

// setStatus writes a new status and announces it (as a conversation change too, for
// those who watch conversations).
func setStatus(ctx context.Context, q *db.Queries, box *events.Outbox, st *Scene, status conversations.Status, kind string) error {
	if _, err := q.SetConversationStatus(ctx, db.SetConversationStatusParams{ID: st.ConversationID, Status: string(status)}); err != nil {
		return fmt.Errorf("set status of scene %s: %w", st.ConversationID, err)
	}
	st.Status = status
	if err := box.Append(st.EcosystemID, events.ConversationChanged, conversations.ChangedPayload{Op: events.OpUpsert,
		ID: st.ConversationID, Kind: conversations.Scene, Status: status}); err != nil {
		return err
	}
	return box.Append(st.EcosystemID, Topic, change(kind, st))
}

// Pause stops the scene after the turn under way; pausing a paused scene changes nothing.
func (s *Service) Pause(ctx context.Context, viewer auth.Identity, id uuid.UUID) (*Scene, error) {
	return s.control(ctx, viewer, id, func(q *db.Queries, box *events.Outbox, st *Scene) error {
		switch st.Status {
		case conversations.Ended:
			return errEnded(id)
		case conversations.Paused:
			return nil
		}
		return setStatus(ctx, q, box, st, conversations.Paused, Paused)
	})
}

// Resume goes on from the next turn; resuming a running scene changes nothing.
func (s *Service) Resume(ctx context.Context, viewer auth.Identity, id uuid.UUID) (*Scene, error) {
	return s.control(ctx, viewer, id, func(q *db.Queries, box *events.Outbox, st *Scene) error {
		switch st.Status {
		case conversations.Ended:
			return errEnded(id)
		case conversations.Active:
			return nil
		}
		if err := s.checkRunning(ctx, q, st.OwnerID); err != nil {
			return err
		}
		if err := setStatus(ctx, q, box, st, conversations.Active, Resumed); err != nil {
			return err
		}
		return s.jobs.InsertTx(ctx, box.Tx(), TurnArgs{ConversationID: id, Turn: st.Turn + 1, Run: s.now().UnixNano()}, nil)
	})
}

// End ends the scene for good; ending an ended scene changes nothing.
func (s *Service) End(ctx context.Context, viewer auth.Identity, id uuid.UUID) (*Scene, error) {
	return s.control(ctx, viewer, id, func(q *db.Queries, box *events.Outbox, st *Scene) error {
		if st.Status == conversations.Ended {
			return nil
		}
		return setStatus(ctx, q, box, st, conversations.Ended, Ended)
	})
}

// Step runs one turn of a paused scene.
func (s *Service) Step(ctx context.Context, viewer auth.Identity, id uuid.UUID) (*Scene, error) {
	return s.control(ctx, viewer, id, func(q *db.Queries, box *events.Outbox, st *Scene) error {
		switch {
		case st.Status == conversations.Ended:
			return errEnded(id)
		case st.Status == conversations.Active:
			return fmt.Errorf("scene %s is running: pause it to step: %w", id, errs.ErrConflict)
		case st.Turn >= st.MaxTurns:
			return fmt.Errorf("scene %s has played all its %d turns: %w", id, st.MaxTurns, errs.ErrConflict)
		}
		if err := box.Append(st.EcosystemID, Topic, change(Stepped, st)); err != nil {
			return err
		}
		return s.jobs.InsertTx(ctx, box.Tx(), TurnArgs{ConversationID: id, Turn: st.Turn + 1, Step: true, Run: s.now().UnixNano()}, nil)
	})
}

// SetStatus is setConversationStatus: for a scene, Pause, Resume or End (so that a
// resumed scene goes on), and for any other conversation the conversation service's.
func (s *Service) SetStatus(ctx context.Context, viewer auth.Identity, convs *conversations.Service, id uuid.UUID, status conversations.Status) error {
	if _, err := s.Get(ctx, viewer, id); errors.Is(err, errs.ErrNotFound) {
		_, err := convs.SetStatus(ctx, viewer, id, status)
		return err
	} else if err != nil {
		return err
	}
	var err error
	switch status {
	case conversations.Active:
		_, err = s.Resume(ctx, viewer, id)
	case conversations.Paused:
		_, err = s.Pause(ctx, viewer, id)
	case conversations.Ended:
		_, err = s.End(ctx, viewer, id)
	default:
		err = errs.Invalid("status", "must be ACTIVE, PAUSED or ENDED")
	}
	return err
}

// SetPace changes the pause between turns, from the next turn.
func (s *Service) SetPace(ctx context.Context, viewer auth.Identity, id uuid.UUID, paceMs int) (*Scene, error) {
	if paceMs < 0 || paceMs > scenarios.MaxPaceMS {
		return nil, errs.Invalid("paceMs", "must be between 0 and %d", scenarios.MaxPaceMS)
	}
	return s.control(ctx, viewer, id, func(q *db.Queries, box *events.Outbox, st *Scene) error {
		if st.Status == conversations.Ended {
			return errEnded(id)
		}
		st.PaceMs = paceMs
		return s.saveControls(ctx, q, box, st)
	})
}

// SetMode lets the user take part (optionally as a stand-in character) or only watch.
func (s *Service) SetMode(ctx context.Context, viewer auth.Identity, id uuid.UUID, mode Mode, standIn *uuid.UUID) (*Scene, error) {
	if !mode.Valid() {
		return nil, errs.Invalid("mode", "must be OBSERVE or PARTICIPATE")
	}
	return s.control(ctx, viewer, id, func(q *db.Queries, box *events.Outbox, st *Scene) error {
		if st.Status == conversations.Ended {
			return errEnded(id)
		}
		if standIn != nil {
			ids := make([]uuid.UUID, len(st.Roles))
			for i, r := range st.Roles {
				ids[i] = r.CharacterID
			}
			if err := checkStandIn(ctx, q, viewer, st.EcosystemID, ids, *standIn); err != nil {
				return err
			}
			if err := q.SetStandIn(ctx, db.SetStandInParams{ID: id, StandInID: standIn}); err != nil {
				return fmt.Errorf("set stand-in of scene %s: %w", id, err)
			}
		}
		st.Mode = mode
		return s.saveControls(ctx, q, box, st)
	})
}

func (s *Service) saveControls(ctx context.Context, q *db.Queries, box *events.Outbox, st *Scene) error {
	if _, err := q.UpdateSceneControls(ctx, db.UpdateSceneControlsParams{ConversationID: st.ConversationID,
		PaceMs: int32(st.PaceMs), Mode: string(st.Mode), MaxTurns: int32(st.MaxTurns)}); err != nil {
		return fmt.Errorf("update scene %s: %w", st.ConversationID, err)
	}
	return box.Append(st.EcosystemID, Topic, change(Settings, st))
}

// Direct gives a character of the cast an instruction its next line follows.
func (s *Service) Direct(ctx context.Context, viewer auth.Identity, id, characterID uuid.UUID, instruction string) (*Scene, error) {
	instruction = strings.TrimSpace(instruction)
	if err := scenarios.CheckText("instruction", instruction, 1, MaxInstruction); err != nil {
		return nil, err
	}
	return s.control(ctx, viewer, id, func(q *db.Queries, box *events.Outbox, st *Scene) error {
		if st.Status == conversations.Ended {
			return errEnded(id)
		}
		r, ok := st.Role(characterID)
		if !ok {
			return errs.Invalid("characterId", "the character is not in this scene")
		}
		if !r.MaySpeak {
			return errs.Invalid("characterId", "the character does not speak in this scene")
		}
		if _, err := q.AddDirection(ctx, db.AddDirectionParams{ConversationID: id, CharacterID: characterID, Instruction: instruction}); err != nil {
			return fmt.Errorf("store direction: %w", err)
		}
		p := change(Directed, st)
		p.CharacterID, p.Instruction = &characterID, instruction
		return box.Append(st.EcosystemID, Topic, p)
	})
}

// Directions returns a scene's instructions not yet followed, oldest first.
func (s *Service) Directions(ctx context.Context, id uuid.UUID) ([]db.SceneDirection, error) {
	rows, err := s.q.PendingDirections(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load directions of %s: %w", id, err)
	}
	return rows, nil
}

// Narrate stores a narrator's line in the scene at once: every character present
// witnesses it (a memory each), and the next speaker hears it.
func (s *Service) Narrate(ctx context.Context, viewer auth.Identity, id uuid.UUID, text string) (*conversations.Message, error) {
	text = strings.TrimSpace(text)
	if err := scenarios.CheckText("text", text, 1, MaxNarration); err != nil {
		return nil, err
	}
	st, err := s.Get(ctx, viewer, id)
	if err != nil {
		return nil, err
	}
	ws := make([]memories.Witness, len(st.Roles))
	for i, r := range st.Roles {
		ws[i] = memories.Witness{CharacterID: r.CharacterID, Input: memories.Input{Content: text, Type: memories.Observation}}
	}
	prepared, err := s.memories.PrepareWitnessed(ctx, ws)
	if err != nil {
		return nil, err
	}
	var msg *conversations.Message
	var stored *memories.Stored
	err = events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, box *events.Outbox) error {
		st, err := load(ctx, q, viewer, id, true)
		if err != nil {
			return err
		}
		if st.Status == conversations.Ended {
			return errEnded(id)
		}
		inCast := func(c uuid.UUID) bool { _, ok := st.Role(c); return ok }
		msg, stored, err = s.narrateTx(ctx, q, box, st, text, prepared, inCast)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.index(ctx, stored)
	return msg, nil
}

// narrateTx stores a narrator's line and every present character's memory of it, under
// the scene's lock.
func (s *Service) narrateTx(ctx context.Context, q *db.Queries, box *events.Outbox, st *Scene, text string,
	prepared *memories.Witnessed, keep func(uuid.UUID) bool) (*conversations.Message, *memories.Stored, error) {
	meta, err := json.Marshal(map[string]any{"scene": true})
	if err != nil {
		return nil, nil, fmt.Errorf("encode narration metadata: %w", err)
	}
	r, err := q.StoreNarration(ctx, db.StoreNarrationParams{ID: uuid.New(), ConversationID: st.ConversationID,
		Content: text, Metadata: meta})
	if err != nil {
		return nil, nil, fmt.Errorf("store narration: %w", err)
	}
	msg := conversations.MessageFromRow(r)
	st.LastSeq = msg.Seq
	if err := box.Append(st.EcosystemID, events.MessageCreated, msg); err != nil {
		return nil, nil, err
	}
	ids := make([]uuid.UUID, 0, len(st.Roles))
	for _, r := range st.Roles {
		ids = append(ids, r.CharacterID)
	}
	if _, err := q.LockCharacters(ctx, ids); err != nil {
		return nil, nil, fmt.Errorf("lock cast: %w", err)
	}
	stored, err := s.memories.AddWitnessedTx(ctx, box, st.EcosystemID, &msg.ID, prepared, keep)
	if err != nil {
		return nil, nil, err
	}
	return msg, stored, nil
}
