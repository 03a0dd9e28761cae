// Package scenarios keeps scenes as data: a setting, a mood, a premise, an opening line
// for the narrator, a cast with per-scenario roles, goals and secrets, and how a scene
// of it runs. Scenarios are shared by a read-only code or as a portable JSON document
// whose cast is named, not referenced, so it can be imported into another user's
// ecosystem (package scenes runs them).
package scenarios

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/ecosystems"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/page"
	"github.com/literaryai/ensemble/internal/relay"
)

// Limits, as the schema and the table enforce them.
const (
	MaxTitle    = 200
	MaxSetting  = 500
	MaxMood     = 100
	MaxPremise  = 5000
	MaxRole     = 200
	MaxGoal     = 1000
	MaxSecret   = 2000
	MinCast     = 2
	MaxCast     = 50
	MaxTurns    = 10000
	MaxPaceMS   = 600000
	DefaultPace = 1500
	// DefaultTurns is how long a scene runs when nobody says.
	DefaultTurns = 30
)

// Scenario is a scene as data.
type Scenario struct {
	ID          uuid.UUID
	EcosystemID uuid.UUID
	Title       string
	Setting     string
	Mood        string
	Premise     string
	Opening     string
	MaxTurns    int
	PaceMs      int
	ShareCode   *string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// NodeID is the scenario's id in the API. A method, not a resolver: gqlgen runs every
// resolver field in a goroutine of its own, and a list of scenarios would start one per item.
func (s *Scenario) NodeID() string { return relay.ID(relay.TypeScenario, s.ID) }

func fromRow(r db.Scenario) *Scenario {
	return &Scenario{ID: r.ID, EcosystemID: r.EcosystemID, Title: r.Title, Setting: r.Setting, Mood: r.Mood,
		Premise: r.Premise, Opening: r.Opening, MaxTurns: int(r.MaxTurns), PaceMs: int(r.PaceMs),
		ShareCode: r.ShareCode, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// Cursor is a scenario's place in (created_at, id) order.
func Cursor(s *Scenario) page.Cursor { return page.Cursor{CreatedAt: s.CreatedAt, ID: s.ID} }

// Role is a character's part in a scenario (or in a scene, which copies it).
type Role struct {
	CharacterID uuid.UUID `json:"characterId"`
	Role        string    `json:"role"`
	Goal        string    `json:"goal"`
	Secret      string    `json:"secret"`
	MaySpeak    bool      `json:"maySpeak"`
}

// Service stores scenarios. Every method sees only the viewer's (an admin's: all).
type Service struct {
	pool *pgxpool.Pool
	q    *db.Queries
	pub  events.Publisher
}

// NewService returns the scenario service; characters created by an import are
// announced on pub.
func NewService(pool *pgxpool.Pool, pub events.Publisher) *Service {
	return &Service{pool: pool, q: db.New(pool), pub: pub}
}

// Input is a new scenario, or with nil fields a change to one (Cast nil: unchanged).
type Input struct {
	EcosystemID uuid.UUID
	Title       *string
	Setting     *string
	Mood        *string
	Premise     *string
	Opening     *string
	Cast        []Role
	MaxTurns    *int
	PaceMs      *int
}

// CheckText validates a text input: valid UTF-8, no NUL (PostgreSQL cannot store it),
// at most max characters, and at least min after trimming.
func CheckText(field, s string, lo, hi int) error {
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return errs.Invalid(field, "must be valid UTF-8 text without NUL characters")
	}
	if n := utf8.RuneCountInString(s); n > hi {
		return errs.Invalid(field, "must be at most %d characters (got %d)", hi, n)
	}
	if lo > 0 && utf8.RuneCountInString(strings.TrimSpace(s)) < lo {
		return errs.Invalid(field, "must not be empty")
	}
	return nil
}

// apply validates in and writes it over s; creating requires a title and a cast.
func (in Input) apply(s *Scenario, creating bool) error {
	if creating && in.Title == nil {
		return errs.Invalid("input.title", "is required")
	}
	for _, f := range []struct {
		v      *string
		dst    *string
		field  string
		lo, hi int
	}{
		{in.Title, &s.Title, "input.title", 1, MaxTitle},
		{in.Setting, &s.Setting, "input.setting", 0, MaxSetting},
		{in.Mood, &s.Mood, "input.mood", 0, MaxMood},
		{in.Premise, &s.Premise, "input.premise", 0, MaxPremise},
		{in.Opening, &s.Opening, "input.opening", 0, MaxPremise},
	} {
		if f.v == nil {
			continue
		}
		if err := CheckText(f.field, *f.v, f.lo, f.hi); err != nil {
			return err
		}
		*f.dst = strings.TrimSpace(*f.v)
	}
	if in.MaxTurns != nil {
		if *in.MaxTurns < 1 || *in.MaxTurns > MaxTurns {
			return errs.Invalid("input.maxTurns", "must be between 1 and %d", MaxTurns)
		}
		s.MaxTurns = *in.MaxTurns
	}
	if in.PaceMs != nil {
		if *in.PaceMs < 0 || *in.PaceMs > MaxPaceMS {
			return errs.Invalid("input.paceMs", "must be between 0 and %d", MaxPaceMS)
		}
		s.PaceMs = *in.PaceMs
	}
	if creating && in.Cast == nil {
		return errs.Invalid("input.cast", "is required")
	}
	if in.Cast != nil {
		return checkCast(in.Cast)
	}
	return nil
}

// checkCast validates a cast: its size, each character once, and each part's words.
func checkCast(cast []Role) error {
	if len(cast) < MinCast || len(cast) > MaxCast {
		return errs.Invalid("input.cast", "a scenario has %d to %d characters (got %d)", MinCast, MaxCast, len(cast))
	}
	seen := make(map[uuid.UUID]bool, len(cast))
	speakers := 0
	for i, r := range cast {
		if seen[r.CharacterID] {
			return errs.Invalid(fmt.Sprintf("input.cast.%d.characterId", i), "names a character twice")
		}
		seen[r.CharacterID] = true
		for _, f := range []struct {
			v     string
			field string
			hi    int
		}{{r.Role, "role", MaxRole}, {r.Goal, "goal", MaxGoal}, {r.Secret, "secret", MaxSecret}} {
			if err := CheckText(fmt.Sprintf("input.cast.%d.%s", i, f.field), f.v, 0, f.hi); err != nil {
				return err
			}
		}
		if r.MaySpeak {
			speakers++
		}
	}
	if speakers < 2 {
		return errs.Invalid("input.cast", "at least two characters must be allowed to speak")
	}
	return nil
}

// trimmed returns the cast's words without surrounding space.
func trimmed(cast []Role) []Role {
	out := make([]Role, len(cast))
	for i, r := range cast {
		out[i] = Role{CharacterID: r.CharacterID, Role: strings.TrimSpace(r.Role), Goal: strings.TrimSpace(r.Goal),
			Secret: strings.TrimSpace(r.Secret), MaySpeak: r.MaySpeak}
	}
	return out
}

// setCast replaces a scenario's cast; every character must be of its ecosystem.
func setCast(ctx context.Context, q *db.Queries, s *Scenario, cast []Role) error {
	ids := make([]uuid.UUID, len(cast))
	for i, r := range cast {
		ids[i] = r.CharacterID
	}
	found, err := q.ListCharactersByIDs(ctx, ids)
	if err != nil {
		return fmt.Errorf("load cast: %w", err)
	}
	inEcosystem := make(map[uuid.UUID]bool, len(found))
	for _, c := range found {
		if c.EcosystemID == s.EcosystemID {
			inEcosystem[c.ID] = true
		}
	}
	p := db.AddScenarioCastParams{ScenarioID: s.ID}
	for i, r := range cast {
		if !inEcosystem[r.CharacterID] {
			return errs.Invalid(fmt.Sprintf("input.cast.%d.characterId", i), "no such character in the scenario's ecosystem")
		}
		p.CharacterIds = append(p.CharacterIds, r.CharacterID)
		p.Roles = append(p.Roles, r.Role)
		p.Goals = append(p.Goals, r.Goal)
		p.Secrets = append(p.Secrets, r.Secret)
		p.MaySpeak = append(p.MaySpeak, r.MaySpeak)
	}
	if err := q.ClearScenarioCast(ctx, s.ID); err != nil {
		return fmt.Errorf("clear cast: %w", err)
	}
	if err := q.AddScenarioCast(ctx, p); err != nil {
		return fmt.Errorf("store cast: %w", err)
	}
	return nil
}

// Create stores a new scenario in one of the viewer's ecosystems.
func (s *Service) Create(ctx context.Context, viewer auth.Identity, in Input) (*Scenario, error) {
	sc := &Scenario{EcosystemID: in.EcosystemID, MaxTurns: DefaultTurns, PaceMs: DefaultPace}
	if err := in.apply(sc, true); err != nil {
		return nil, err
	}
	err := events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, _ *events.Outbox) error {
		if _, err := ecosystems.Find(ctx, q, viewer, in.EcosystemID); err != nil {
			return err
		}
		r, err := q.CreateScenario(ctx, db.CreateScenarioParams{EcosystemID: sc.EcosystemID, Title: sc.Title,
			Setting: sc.Setting, Mood: sc.Mood, Premise: sc.Premise, Opening: sc.Opening,
			MaxTurns: int32(sc.MaxTurns), PaceMs: int32(sc.PaceMs)})
		if err != nil {
			return fmt.Errorf("create scenario: %w", err)
		}
		sc = fromRow(r)
		return setCast(ctx, q, sc, trimmed(in.Cast))
	})
	if err != nil {
		return nil, err
	}
	return sc, nil
}

// find loads a scenario the viewer may see.
func find(ctx context.Context, q *db.Queries, viewer auth.Identity, id uuid.UUID, lock bool) (*Scenario, error) {
	var r db.Scenario
	var err error
	if lock {
		r, err = q.GetScenarioForUpdate(ctx, db.GetScenarioForUpdateParams{ID: id, OwnerID: viewer.OwnerFilter()})
	} else {
		r, err = q.GetScenario(ctx, db.GetScenarioParams{ID: id, OwnerID: viewer.OwnerFilter()})
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("scenario %s: %w", id, errs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load scenario %s: %w", id, err)
	}
	return fromRow(r), nil
}

// Get returns one scenario.
func (s *Service) Get(ctx context.Context, viewer auth.Identity, id uuid.UUID) (*Scenario, error) {
	return find(ctx, s.q, viewer, id, false)
}

// Update changes a scenario.
func (s *Service) Update(ctx context.Context, viewer auth.Identity, id uuid.UUID, in Input) (*Scenario, error) {
	var out *Scenario
	err := events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, _ *events.Outbox) error {
		sc, err := find(ctx, q, viewer, id, true)
		if err != nil {
			return err
		}
		if err := in.apply(sc, false); err != nil {
			return err
		}
		r, err := q.UpdateScenario(ctx, db.UpdateScenarioParams{ID: id, Title: sc.Title, Setting: sc.Setting,
			Mood: sc.Mood, Premise: sc.Premise, Opening: sc.Opening, MaxTurns: int32(sc.MaxTurns), PaceMs: int32(sc.PaceMs)})
		if err != nil {
			return fmt.Errorf("update scenario %s: %w", id, err)
		}
		out = fromRow(r)
		if in.Cast != nil {
			return setCast(ctx, q, out, trimmed(in.Cast))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Delete removes a scenario; scenes run from it keep their lines and their copy of it.
func (s *Service) Delete(ctx context.Context, viewer auth.Identity, id uuid.UUID) error {
	n, err := s.q.DeleteScenario(ctx, db.DeleteScenarioParams{ID: id, OwnerID: viewer.OwnerFilter()})
	if err != nil {
		return fmt.Errorf("delete scenario %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("scenario %s: %w", id, errs.ErrNotFound)
	}
	return nil
}

// List pages through an ecosystem's scenarios, oldest first.
func (s *Service) List(ctx context.Context, viewer auth.Identity, ecosystemID uuid.UUID, a page.Args) (page.Page[*Scenario], error) {
	if _, err := ecosystems.Find(ctx, s.q, viewer, ecosystemID); err != nil {
		return page.Page[*Scenario]{}, err
	}
	rows, err := s.q.ListScenarios(ctx, db.ListScenariosParams{EcosystemID: ecosystemID,
		AfterCreatedAt: a.AfterTime(), AfterID: a.AfterID(), PageLimit: a.Limit()})
	if err != nil {
		return page.Page[*Scenario]{}, fmt.Errorf("list scenarios: %w", err)
	}
	items := make([]*Scenario, len(rows))
	for i, r := range rows {
		items[i] = fromRow(r)
	}
	return page.New(items, a, Cursor, func(ctx context.Context) (int, error) {
		n, err := s.q.CountScenarios(ctx, ecosystemID)
		if err != nil {
			return 0, fmt.Errorf("count scenarios: %w", err)
		}
		return int(n), nil
	}), nil
}

// ByIDs loads scenarios by id for loaders; callers reach them only through objects the
// viewer may see.
func (s *Service) ByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*Scenario, error) {
	rows, err := s.q.ScenariosByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load scenarios: %w", err)
	}
	out := make(map[uuid.UUID]*Scenario, len(rows))
	for _, r := range rows {
		out[r.ID] = fromRow(r)
	}
	return out, nil
}

// CastOf loads the casts of scenarios, in order, for loaders.
func (s *Service) CastOf(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]Role, error) {
	rows, err := s.q.CastOfScenarios(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load casts: %w", err)
	}
	out := make(map[uuid.UUID][]Role, len(ids))
	for _, r := range rows {
		out[r.ScenarioID] = append(out[r.ScenarioID], Role{CharacterID: r.CharacterID, Role: r.Role, Goal: r.Goal,
			Secret: r.Secret, MaySpeak: r.MaySpeak})
	}
	return out, nil
}

// shareAlphabet is Crockford's base32 alphabet: no I, L, O or U to misread aloud.
const shareAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newShareCode returns 12 random base32 characters (60 bits): unguessable, and short
// enough to read out.
func newShareCode() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = shareAlphabet[b[i]&31]
	}
	return string(b)
}

// Share gives a scenario a share code, keeping the one it has.
func (s *Service) Share(ctx context.Context, viewer auth.Identity, id uuid.UUID) (*Scenario, error) {
	return s.setShare(ctx, viewer, id, true)
}

// Unshare takes the share code away: the old code finds nothing any more.
func (s *Service) Unshare(ctx context.Context, viewer auth.Identity, id uuid.UUID) (*Scenario, error) {
	return s.setShare(ctx, viewer, id, false)
}

func (s *Service) setShare(ctx context.Context, viewer auth.Identity, id uuid.UUID, share bool) (*Scenario, error) {
	var out *Scenario
	err := events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, _ *events.Outbox) error {
		sc, err := find(ctx, q, viewer, id, true)
		if err != nil {
			return err
		}
		if share == (sc.ShareCode != nil) {
			out = sc
			return nil
		}
		var code *string
		if share {
			c := newShareCode()
			code = &c
		}
		r, err := q.SetScenarioShareCode(ctx, db.SetScenarioShareCodeParams{ID: id, ShareCode: code})
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "23505" {
			return fmt.Errorf("share code taken, try again: %w", errs.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("set share code of %s: %w", id, err)
		}
		out = fromRow(r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Find loads a scenario the viewer may see, and its cast, through q (a pool or a
// transaction): what a scene starts from.
func Find(ctx context.Context, q *db.Queries, viewer auth.Identity, id uuid.UUID) (*Scenario, []Role, error) {
	sc, err := find(ctx, q, viewer, id, false)
	if err != nil {
		return nil, nil, err
	}
	rows, err := q.CastOfScenarios(ctx, []uuid.UUID{id})
	if err != nil {
		return nil, nil, fmt.Errorf("load cast of %s: %w", id, err)
	}
	cast := make([]Role, len(rows))
	for i, r := range rows {
		cast[i] = Role{CharacterID: r.CharacterID, Role: r.Role, Goal: r.Goal, Secret: r.Secret, MaySpeak: r.MaySpeak}
	}
	return sc, cast, nil
}
