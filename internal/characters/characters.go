// Package characters provides the characters of an ecosystem: who they are, their Big
// Five personality, and the state the engine moves (emotion, social energy, context).
package characters

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/ecosystems"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/page"
	"github.com/literaryai/ensemble/internal/relay"
)

// Traits are the Big Five personality traits, each 0..1.
type Traits struct {
	Openness          float64
	Conscientiousness float64
	Extraversion      float64
	Agreeableness     float64
	Neuroticism       float64
}

// Character is one member of a cast.
type Character struct {
	ID              uuid.UUID
	EcosystemID     uuid.UUID
	Name            string
	Description     string
	Backstory       string
	SpeakingStyle   string
	Goals           []string
	Traits          Traits
	AutonomyLevel   float64
	SocialEnergy    float64
	CurrentEmotion  string
	IsActive        bool
	MemorySummary   string
	CurrentContext  map[string]any
	LastInteraction *time.Time
	CreatedAt       time.Time
	UpdatedAt       time.Time
}

// NodeID is the character's id in the API. A method, not a resolver: gqlgen runs every
// resolver field in a goroutine of its own, and a list of characters would start one per item.
func (c *Character) NodeID() string { return relay.ID(relay.TypeCharacter, c.ID) }

// FromRow converts a stored character, for services that load one with other rows.
func FromRow(r db.Character) (*Character, error) {
	c := &Character{
		ID: r.ID, EcosystemID: r.EcosystemID, Name: r.Name, Description: r.Description,
		Backstory: r.Backstory, SpeakingStyle: r.SpeakingStyle, Goals: r.Goals,
		Traits: Traits{
			Openness: r.Openness, Conscientiousness: r.Conscientiousness, Extraversion: r.Extraversion,
			Agreeableness: r.Agreeableness, Neuroticism: r.Neuroticism,
		},
		AutonomyLevel: r.AutonomyLevel, SocialEnergy: r.SocialEnergy, CurrentEmotion: r.CurrentEmotion,
		IsActive: r.IsActive, MemorySummary: r.MemorySummary, LastInteraction: r.LastInteraction,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
	if err := json.Unmarshal(r.CurrentContext, &c.CurrentContext); err != nil {
		return nil, fmt.Errorf("decode context of character %s: %w", r.ID, err)
	}
	return c, nil
}

func fromRows(rows []db.Character) ([]*Character, error) {
	out := make([]*Character, len(rows))
	for i, r := range rows {
		c, err := FromRow(r)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// Cursor is a character's position in a list.
func Cursor(c *Character) page.Cursor { return page.Cursor{CreatedAt: c.CreatedAt, ID: c.ID} }

// TraitsPatch sets some of the traits; nil leaves one unchanged.
type TraitsPatch struct {
	Openness          *float64
	Conscientiousness *float64
	Extraversion      *float64
	Agreeableness     *float64
	Neuroticism       *float64
}

// Patch holds the fields to set; nil leaves a field unchanged (or default on create).
type Patch struct {
	Name           *string
	Description    *string
	Backstory      *string
	SpeakingStyle  *string
	Goals          []string
	Traits         *TraitsPatch
	AutonomyLevel  *float64
	SocialEnergy   *float64
	CurrentEmotion *string
	IsActive       *bool
	CurrentContext *any
}

// Limits on character fields (runes; MaxContext in bytes of JSON, MaxGoals goals); the
// database's CHECK constraints repeat them, and an ecosystem import checks them before
// it writes anything.
const (
	MaxName        = 255
	MaxDescription = 10000
	MaxBackstory   = 20000
	MaxStyle       = 2000
	MaxGoals       = 20
	MaxGoal        = 500
	MaxEmotion     = 64
	MaxContext     = 64 << 10
)

func setText(dst *string, src *string, field string, lo, hi int) error {
	if src == nil {
		return nil
	}
	if n := utf8.RuneCountInString(*src); n < lo || n > hi {
		return errs.Invalid(field, "must be %d to %d characters", lo, hi)
	}
	*dst = *src
	return nil
}

func setUnit(dst *float64, src *float64, field string) error {
	if src == nil {
		return nil
	}
	if !(*src >= 0 && *src <= 1) {
		return errs.Invalid(field, "must be between 0 and 1, got %g", *src)
	}
	*dst = *src
	return nil
}

// apply validates p and writes it over c. Fields are checked in input order so the first
// bad field is the one reported.
func (p Patch) apply(c *Character) error {
	if err := setText(&c.Name, p.Name, "input.name", 1, MaxName); err != nil {
		return err
	}
	if p.Name != nil && strings.TrimSpace(*p.Name) == "" {
		return errs.Invalid("input.name", "must not be blank")
	}
	if err := setText(&c.Description, p.Description, "input.description", 0, MaxDescription); err != nil {
		return err
	}
	if err := setText(&c.Backstory, p.Backstory, "input.backstory", 0, MaxBackstory); err != nil {
		return err
	}
	if err := setText(&c.SpeakingStyle, p.SpeakingStyle, "input.speakingStyle", 0, MaxStyle); err != nil {
		return err
	}
	if p.Goals != nil {
		if len(p.Goals) > MaxGoals {
			return errs.Invalid("input.goals", "at most %d goals", MaxGoals)
		}
		for i, g := range p.Goals {
			if n := utf8.RuneCountInString(g); n < 1 || n > MaxGoal {
				return errs.Invalid(fmt.Sprintf("input.goals.%d", i), "must be 1 to %d characters", MaxGoal)
			}
		}
		c.Goals = p.Goals
	}
	if t := p.Traits; t != nil {
		for _, f := range []struct {
			dst  *float64
			src  *float64
			name string
		}{
			{&c.Traits.Openness, t.Openness, "openness"},
			{&c.Traits.Conscientiousness, t.Conscientiousness, "conscientiousness"},
			{&c.Traits.Extraversion, t.Extraversion, "extraversion"},
			{&c.Traits.Agreeableness, t.Agreeableness, "agreeableness"},
			{&c.Traits.Neuroticism, t.Neuroticism, "neuroticism"},
		} {
			if err := setUnit(f.dst, f.src, "input.personalityTraits."+f.name); err != nil {
				return err
			}
		}
	}
	if err := setUnit(&c.AutonomyLevel, p.AutonomyLevel, "input.autonomyLevel"); err != nil {
		return err
	}
	if err := setUnit(&c.SocialEnergy, p.SocialEnergy, "input.socialEnergy"); err != nil {
		return err
	}
	if err := setText(&c.CurrentEmotion, p.CurrentEmotion, "input.currentEmotion", 1, MaxEmotion); err != nil {
		return err
	}
	if p.IsActive != nil {
		c.IsActive = *p.IsActive
	}
	if p.CurrentContext != nil {
		obj, ok := (*p.CurrentContext).(map[string]any)
		if !ok {
			return errs.Invalid("input.currentContext", "must be a JSON object")
		}
		b, err := json.Marshal(obj)
		if err != nil {
			return errs.Invalid("input.currentContext", "must be a JSON object")
		}
		if len(b) > MaxContext {
			return errs.Invalid("input.currentContext", "must be at most %d bytes of JSON", MaxContext)
		}
		c.CurrentContext = obj
	}
	return nil
}

// Service manages characters. A character belongs to its ecosystem's owner; every method
// sees only the viewer's characters (an admin's: all). Every change is written to the
// outbox as character.changed and moves the ecosystem's graph version.
type Service struct {
	pool *pgxpool.Pool
	q    *db.Queries
	pub  events.Publisher
}

// NewService returns the character service; committed changes are published on pub.
func NewService(pool *pgxpool.Pool, pub events.Publisher) *Service {
	return &Service{pool: pool, q: db.New(pool), pub: pub}
}

// RecordChange writes character.changed for a character row another service changed (a
// memory summary, say) and marks the ecosystem's graph as changed, in out's transaction.
func RecordChange(out *events.Outbox, op string, r db.Character) error {
	c, err := FromRow(r)
	if err != nil {
		return err
	}
	return recordChange(out, op, c)
}

// recordChange writes character.changed and marks the ecosystem's graph as changed.
func recordChange(out *events.Outbox, op string, c *Character) error {
	return RecordState(out, events.CharacterPayload{Op: op, ID: c.ID, EcosystemID: c.EcosystemID, Name: c.Name,
		CurrentEmotion: c.CurrentEmotion, IsActive: c.IsActive})
}

// RecordState writes character.changed with a character's state as another service
// read it back from its change (a reply's emotion), in out's transaction, and marks the
// ecosystem's graph as changed.
func RecordState(out *events.Outbox, state events.CharacterPayload) error {
	out.GraphChanged(state.EcosystemID)
	return out.Append(state.EcosystemID, events.CharacterChanged, state)
}

func defaults() Character {
	return Character{
		Goals:          []string{},
		Traits:         Traits{0.5, 0.5, 0.5, 0.5, 0.5},
		AutonomyLevel:  0.5,
		SocialEnergy:   1.0,
		CurrentEmotion: "neutral",
		IsActive:       true,
		CurrentContext: map[string]any{},
	}
}

// Create adds a character to one of the viewer's ecosystems.
func (s *Service) Create(ctx context.Context, viewer auth.Identity, ecosystemID uuid.UUID, p Patch) (*Character, error) {
	var out *Character
	err := events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, box *events.Outbox) error {
		if _, err := ecosystems.Find(ctx, q, viewer, ecosystemID); err != nil {
			return err
		}
		var err error
		out, err = CreateTx(ctx, q, box, ecosystemID, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CreateTx validates p and adds a character to an ecosystem the caller has checked, in
// the caller's transaction (an import that makes several things at once or nothing).
func CreateTx(ctx context.Context, q *db.Queries, box *events.Outbox, ecosystemID uuid.UUID, p Patch) (*Character, error) {
	if p.Name == nil {
		return nil, errs.Invalid("input.name", "is required")
	}
	c := defaults()
	if err := p.apply(&c); err != nil {
		return nil, err
	}
	ctxJSON, err := json.Marshal(c.CurrentContext)
	if err != nil {
		return nil, fmt.Errorf("encode context: %w", err)
	}
	r, err := q.CreateCharacter(ctx, db.CreateCharacterParams{
		EcosystemID: ecosystemID, Name: c.Name, Description: c.Description, Backstory: c.Backstory,
		SpeakingStyle: c.SpeakingStyle, Goals: c.Goals,
		Openness: c.Traits.Openness, Conscientiousness: c.Traits.Conscientiousness,
		Extraversion: c.Traits.Extraversion, Agreeableness: c.Traits.Agreeableness, Neuroticism: c.Traits.Neuroticism,
		AutonomyLevel: c.AutonomyLevel, SocialEnergy: c.SocialEnergy, CurrentEmotion: c.CurrentEmotion,
		IsActive: c.IsActive, CurrentContext: ctxJSON,
	})
	if err != nil {
		return nil, fmt.Errorf("create character: %w", err)
	}
	out, err := FromRow(r)
	if err != nil {
		return nil, err
	}
	return out, recordChange(box, events.OpUpsert, out)
}

// Find loads a character the viewer may see, through q (a pool or a transaction). Every
// service that acts on a character checks it here, so another user's character is not
// found everywhere alike.
func Find(ctx context.Context, q *db.Queries, viewer auth.Identity, id uuid.UUID) (db.Character, error) {
	r, err := q.GetCharacter(ctx, db.GetCharacterParams{ID: id, OwnerID: viewer.OwnerFilter()})
	if errors.Is(err, pgx.ErrNoRows) {
		return db.Character{}, fmt.Errorf("character %s: %w", id, errs.ErrNotFound)
	}
	if err != nil {
		return db.Character{}, fmt.Errorf("load character %s: %w", id, err)
	}
	return r, nil
}

// Get returns one character.
func (s *Service) Get(ctx context.Context, viewer auth.Identity, id uuid.UUID) (*Character, error) {
	r, err := Find(ctx, s.q, viewer, id)
	if err != nil {
		return nil, err
	}
	return FromRow(r)
}

// lock loads a character the viewer may change, under a row lock.
func lock(ctx context.Context, q *db.Queries, viewer auth.Identity, id uuid.UUID) (*Character, error) {
	r, err := q.GetCharacterForUpdate(ctx, db.GetCharacterForUpdateParams{ID: id, OwnerID: viewer.OwnerFilter()})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("character %s: %w", id, errs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load character %s: %w", id, err)
	}
	return FromRow(r)
}

// Update changes the fields set in p, under a row lock so concurrent updates of
// different fields do not overwrite each other.
func (s *Service) Update(ctx context.Context, viewer auth.Identity, id uuid.UUID, p Patch) (*Character, error) {
	var out *Character
	err := events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, box *events.Outbox) error {
		c, err := lock(ctx, q, viewer, id)
		if err != nil {
			return err
		}
		if err := p.apply(c); err != nil {
			return err
		}
		ctxJSON, err := json.Marshal(c.CurrentContext)
		if err != nil {
			return fmt.Errorf("encode context: %w", err)
		}
		r, err := q.UpdateCharacter(ctx, db.UpdateCharacterParams{
			ID: id, Name: c.Name, Description: c.Description, Backstory: c.Backstory,
			SpeakingStyle: c.SpeakingStyle, Goals: c.Goals,
			Openness: c.Traits.Openness, Conscientiousness: c.Traits.Conscientiousness,
			Extraversion: c.Traits.Extraversion, Agreeableness: c.Traits.Agreeableness, Neuroticism: c.Traits.Neuroticism,
			AutonomyLevel: c.AutonomyLevel, SocialEnergy: c.SocialEnergy, CurrentEmotion: c.CurrentEmotion,
			IsActive: c.IsActive, CurrentContext: ctxJSON,
		})
		if err != nil {
			return fmt.Errorf("update character %s: %w", id, err)
		}
		if out, err = FromRow(r); err != nil {
			return err
		}
		return recordChange(box, events.OpUpsert, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Delete removes a character and, by cascade, its relationships.
func (s *Service) Delete(ctx context.Context, viewer auth.Identity, id uuid.UUID) error {
	return events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, box *events.Outbox) error {
		c, err := lock(ctx, q, viewer, id)
		if err != nil {
			return err
		}
		if err := q.DeleteCharacter(ctx, id); err != nil {
			return fmt.Errorf("delete character %s: %w", id, err)
		}
		return recordChange(box, events.OpDelete, c)
	})
}

// Filter narrows a character list.
type Filter struct {
	EcosystemID *uuid.UUID
	IsActive    *bool
	// Search is a case-insensitive substring of the name.
	Search *string
}

// escapeLike makes s match literally inside an ILIKE pattern.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// List pages through the viewer's characters, oldest first.
func (s *Service) List(ctx context.Context, viewer auth.Identity, f Filter, a page.Args) (page.Page[*Character], error) {
	params, err := listParams(viewer, f, a)
	if err != nil {
		return page.Page[*Character]{}, err
	}
	rows, err := s.q.ListCharacters(ctx, params)
	if err != nil {
		return page.Page[*Character]{}, fmt.Errorf("list characters: %w", err)
	}
	items, err := fromRows(rows)
	if err != nil {
		return page.Page[*Character]{}, err
	}
	return page.New(items, a, Cursor, func(ctx context.Context) (int, error) {
		n, err := s.q.CountCharacters(ctx, countParams(params))
		if err != nil {
			return 0, fmt.Errorf("count characters: %w", err)
		}
		return int(n), nil
	}), nil
}

// ListCounted is List with the total of the whole list, both read in one round trip.
func (s *Service) ListCounted(ctx context.Context, viewer auth.Identity, f Filter, a page.Args) (page.Page[*Character], int, error) {
	params, err := listParams(viewer, f, a)
	if err != nil {
		return page.Page[*Character]{}, 0, err
	}
	var items []*Character
	var total int64
	b := &pgx.Batch{}
	db.QueueListCharacters(b, params, func(row *db.Character) error {
		c, err := FromRow(*row)
		items = append(items, c)
		return err
	})
	db.QueueCountCharacters(b, countParams(params), &total)
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return page.Page[*Character]{}, 0, fmt.Errorf("list characters: %w", err)
	}
	n := int(total)
	return page.New(items, a, Cursor, func(context.Context) (int, error) { return n, nil }), n, nil
}

func listParams(viewer auth.Identity, f Filter, a page.Args) (db.ListCharactersParams, error) {
	var search *string
	if f.Search != nil {
		if utf8.RuneCountInString(*f.Search) > MaxName {
			return db.ListCharactersParams{}, errs.Invalid("filter.search", "must be at most %d characters", MaxName)
		}
		e := escapeLike(*f.Search)
		search = &e
	}
	return db.ListCharactersParams{
		OwnerID: viewer.OwnerFilter(), EcosystemID: f.EcosystemID, IsActive: f.IsActive, Search: search,
		AfterCreatedAt: a.AfterTime(), AfterID: a.AfterID(), PageLimit: a.Limit(),
	}, nil
}

func countParams(l db.ListCharactersParams) db.CountCharactersParams {
	return db.CountCharactersParams{OwnerID: l.OwnerID, EcosystemID: l.EcosystemID, IsActive: l.IsActive, Search: l.Search}
}

// ByIDs loads characters by id for dataloaders, without an owner filter: callers reach
// them only through objects the viewer may see.
func (s *Service) ByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*Character, error) {
	rows, err := s.q.ListCharactersByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load characters: %w", err)
	}
	items, err := fromRows(rows)
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID]*Character, len(items))
	for _, c := range items {
		out[c.ID] = c
	}
	return out, nil
}

// PagesOfEcosystems loads the same page of characters for several ecosystems in one
// query (the ecosystem.characters loader).
func (s *Service) PagesOfEcosystems(ctx context.Context, ecosystemIDs []uuid.UUID, a page.Args) (map[uuid.UUID][]*Character, error) {
	rows, err := s.q.ListCharactersOfEcosystems(ctx, db.ListCharactersOfEcosystemsParams{
		EcosystemIds: ecosystemIDs, AfterCreatedAt: a.AfterTime(), AfterID: a.AfterID(), PageLimit: a.Limit(),
	})
	if err != nil {
		return nil, fmt.Errorf("load characters of ecosystems: %w", err)
	}
	items, err := fromRows(rows)
	if err != nil {
		return nil, err
	}
	out := make(map[uuid.UUID][]*Character, len(ecosystemIDs))
	for _, c := range items {
		out[c.EcosystemID] = append(out[c.EcosystemID], c)
	}
	return out, nil
}

// CountsOfEcosystems counts the characters of several ecosystems in one query.
func (s *Service) CountsOfEcosystems(ctx context.Context, ecosystemIDs []uuid.UUID) (map[uuid.UUID]int, error) {
	rows, err := s.q.CountCharactersOfEcosystems(ctx, ecosystemIDs)
	if err != nil {
		return nil, fmt.Errorf("count characters of ecosystems: %w", err)
	}
	out := make(map[uuid.UUID]int, len(rows))
	for _, r := range rows {
		out[r.EcosystemID] = int(r.Total)
	}
	return out, nil
}
