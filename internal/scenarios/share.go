package scenarios

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/ecosystems"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/events"
)

// Format names the portable document's version; an import refuses any other.
const Format = "ensemble.scenario/v1"

// Document is a scenario that can travel: its cast is named and described rather than
// referenced, so an import finds or makes the characters in the ecosystem it lands in.
type Document struct {
	Format   string     `json:"format"`
	Title    string     `json:"title"`
	Setting  string     `json:"setting"`
	Mood     string     `json:"mood"`
	Premise  string     `json:"premise"`
	Opening  string     `json:"opening"`
	MaxTurns int        `json:"maxTurns"`
	PaceMs   int        `json:"paceMs"`
	Cast     []CastPart `json:"cast"`
}

// CastPart is a cast member of a Document.
type CastPart struct {
	Name          string  `json:"name"`
	Description   string  `json:"description"`
	SpeakingStyle string  `json:"speakingStyle,omitempty"`
	Traits        *Traits `json:"traits,omitempty"`
	Role          string  `json:"role"`
	Goal          string  `json:"goal"`
	Secret        string  `json:"secret"`
	MaySpeak      bool    `json:"maySpeak"`
}

// Traits are a cast member's Big Five, for the character an import creates.
type Traits struct {
	Openness          float64 `json:"openness"`
	Conscientiousness float64 `json:"conscientiousness"`
	Extraversion      float64 `json:"extraversion"`
	Agreeableness     float64 `json:"agreeableness"`
	Neuroticism       float64 `json:"neuroticism"`
}

// document builds the portable document of a scenario.
func (s *Service) document(ctx context.Context, sc *Scenario) (*Document, error) {
	casts, err := s.CastOf(ctx, []uuid.UUID{sc.ID})
	if err != nil {
		return nil, err
	}
	cast := casts[sc.ID]
	ids := make([]uuid.UUID, len(cast))
	for i, r := range cast {
		ids[i] = r.CharacterID
	}
	rows, err := s.q.ListCharactersByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load cast of %s: %w", sc.ID, err)
	}
	byID := make(map[uuid.UUID]db.Character, len(rows))
	for _, r := range rows {
		byID[r.ID] = r
	}
	d := &Document{Format: Format, Title: sc.Title, Setting: sc.Setting, Mood: sc.Mood, Premise: sc.Premise,
		Opening: sc.Opening, MaxTurns: sc.MaxTurns, PaceMs: sc.PaceMs, Cast: make([]CastPart, 0, len(cast))}
	for _, r := range cast {
		c, ok := byID[r.CharacterID]
		if !ok {
			continue
		}
		d.Cast = append(d.Cast, CastPart{Name: c.Name, Description: c.Description, SpeakingStyle: c.SpeakingStyle,
			Traits: &Traits{c.Openness, c.Conscientiousness, c.Extraversion, c.Agreeableness, c.Neuroticism},
			Role:   r.Role, Goal: r.Goal, Secret: r.Secret, MaySpeak: r.MaySpeak})
	}
	return d, nil
}

// Export returns a scenario of the viewer's as a portable document.
func (s *Service) Export(ctx context.Context, viewer auth.Identity, id uuid.UUID) (*Document, error) {
	sc, err := s.Get(ctx, viewer, id)
	if err != nil {
		return nil, err
	}
	return s.document(ctx, sc)
}

// Shared returns the document of the scenario shared under code; a code nobody holds
// is not found.
func (s *Service) Shared(ctx context.Context, code string) (*Document, error) {
	code = strings.ToUpper(strings.TrimSpace(code))
	if err := CheckText("code", code, 1, 32); err != nil {
		return nil, err
	}
	r, err := s.q.GetScenarioByShareCode(ctx, &code)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("shared scenario: %w", errs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load shared scenario: %w", err)
	}
	return s.document(ctx, fromRow(r))
}

// DecodeDocument reads a document from a JSON value as a client sent it: the fields'
// types must be right, unknown fields are refused.
func DecodeDocument(v any) (*Document, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, errs.Invalid("document", "is not a JSON object")
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var d Document
	if err := dec.Decode(&d); err != nil {
		return nil, errs.Invalid("document", "is not a scenario document: %v", err)
	}
	return &d, nil
}

// validate checks a document before anything is written.
func (d *Document) validate() error {
	if d.Format != Format {
		return errs.Invalid("document.format", "must be %q", Format)
	}
	if len(d.Cast) < MinCast || len(d.Cast) > MaxCast {
		return errs.Invalid("document.cast", "a scenario has %d to %d characters (got %d)", MinCast, MaxCast, len(d.Cast))
	}
	seen := map[string]bool{}
	for i, c := range d.Cast {
		field := fmt.Sprintf("document.cast.%d", i)
		if err := CheckText(field+".name", c.Name, 1, 255); err != nil {
			return err
		}
		key := strings.ToLower(strings.TrimSpace(c.Name))
		if seen[key] {
			return errs.Invalid(field+".name", "names a character twice")
		}
		seen[key] = true
		if err := CheckText(field+".description", c.Description, 0, 10000); err != nil {
			return err
		}
		if err := CheckText(field+".speakingStyle", c.SpeakingStyle, 0, 2000); err != nil {
			return err
		}
		if t := c.Traits; t != nil {
			for _, v := range []float64{t.Openness, t.Conscientiousness, t.Extraversion, t.Agreeableness, t.Neuroticism} {
				if !(v >= 0 && v <= 1) {
					return errs.Invalid(field+".traits", "every trait must be between 0 and 1")
				}
			}
		}
	}
	return nil
}

// Import stores a document as a new scenario in one of the viewer's ecosystems: cast
// members are matched by name (case-insensitive, the oldest character of that name),
// and the missing ones are created, all in one transaction.
func (s *Service) Import(ctx context.Context, viewer auth.Identity, ecosystemID uuid.UUID, d *Document) (*Scenario, error) {
	if err := d.validate(); err != nil {
		return nil, err
	}
	in := Input{EcosystemID: ecosystemID, Title: &d.Title, Setting: &d.Setting, Mood: &d.Mood, Premise: &d.Premise,
		Opening: &d.Opening, MaxTurns: &d.MaxTurns, PaceMs: &d.PaceMs}
	sc := &Scenario{EcosystemID: ecosystemID}
	probe := in
	probe.Cast = make([]Role, len(d.Cast))
	for i, c := range d.Cast {
		// Stand-in ids: the real ones are known once the characters are found or made.
		probe.Cast[i] = Role{CharacterID: uuid.New(), Role: c.Role, Goal: c.Goal, Secret: c.Secret, MaySpeak: c.MaySpeak}
	}
	if err := probe.apply(sc, true); err != nil {
		return nil, fmt.Errorf("document: %w", err)
	}
	err := events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, box *events.Outbox) error {
		if _, err := ecosystems.Find(ctx, q, viewer, ecosystemID); err != nil {
			return err
		}
		names := make([]string, len(d.Cast))
		for i, c := range d.Cast {
			names[i] = strings.ToLower(strings.TrimSpace(c.Name))
		}
		found, err := q.CharactersByNames(ctx, db.CharactersByNamesParams{EcosystemID: ecosystemID, Names: names})
		if err != nil {
			return fmt.Errorf("find cast by name: %w", err)
		}
		byName := map[string]uuid.UUID{}
		for _, c := range found {
			if _, ok := byName[strings.ToLower(c.Name)]; !ok {
				byName[strings.ToLower(c.Name)] = c.ID
			}
		}
		for i, c := range d.Cast {
			id, ok := byName[names[i]]
			if !ok {
				made, err := characters.CreateTx(ctx, q, box, ecosystemID, patchOf(c))
				if err != nil {
					return fmt.Errorf("document.cast.%d: %w", i, err)
				}
				box.GraphChanged(ecosystemID)
				id = made.ID
			}
			probe.Cast[i].CharacterID = id
		}
		r, err := q.CreateScenario(ctx, db.CreateScenarioParams{EcosystemID: ecosystemID, Title: sc.Title,
			Setting: sc.Setting, Mood: sc.Mood, Premise: sc.Premise, Opening: sc.Opening,
			MaxTurns: int32(sc.MaxTurns), PaceMs: int32(sc.PaceMs)})
		if err != nil {
			return fmt.Errorf("create scenario: %w", err)
		}
		sc = fromRow(r)
		return setCast(ctx, q, sc, trimmed(probe.Cast))
	})
	if err != nil {
		return nil, err
	}
	return sc, nil
}

// patchOf is the character an import creates for a cast member it did not find.
func patchOf(c CastPart) characters.Patch {
	name := strings.TrimSpace(c.Name)
	p := characters.Patch{Name: &name, Description: &c.Description, SpeakingStyle: &c.SpeakingStyle}
	if t := c.Traits; t != nil {
		p.Traits = &characters.TraitsPatch{Openness: &t.Openness, Conscientiousness: &t.Conscientiousness,
			Extraversion: &t.Extraversion, Agreeableness: &t.Agreeableness, Neuroticism: &t.Neuroticism}
	}
	return p
}
