// Package charactercards imports characters from Character Card V2/V3 files and exports
// them as cards again. The card is kept whole beside the character (with its picture), so
// an export writes back everything the card held; what Ensemble can change (the mapped
// fields, the lorebook's facts) is laid over it.
//
// The mapping: name → name, description → description, personality → speakingStyle (the
// card's short account of temperament and manner, the nearest Ensemble field), scenario →
// backstory (the situation the character starts in), each lorebook entry → a FACT memory.
// First message, example dialogue, tags, creator notes, greetings, extensions and anything
// else stay in the stored card only.
package charactercards

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/cards"
	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/ecosystems"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/memories"
)

// Service imports and exports character cards through the character and memory services'
// own transactional paths, so events, reflection debt and the vector index stay as for any
// character and memory.
type Service struct {
	pool     *pgxpool.Pool
	q        *db.Queries
	pub      events.Publisher
	memories *memories.Service
}

// NewService returns the card service.
func NewService(pool *pgxpool.Pool, pub events.Publisher, mem *memories.Service) *Service {
	return &Service{pool: pool, q: db.New(pool), pub: pub, memories: mem}
}

// mapping ties a card's data field to the character field it sets, with that field's limit.
type mapping struct {
	card, character string
	max             int
}

// The character's limits, as internal/characters and the database's CHECKs hold them.
var mappings = []mapping{
	{"name", "name", 255},
	{"description", "description", 10000},
	{"personality", "speakingStyle", 2000},
	{"scenario", "backstory", 20000},
}

// current is a character's value for a mapped field.
func current(c *characters.Character, field string) string {
	switch field {
	case "name":
		return c.Name
	case "description":
		return c.Description
	case "speakingStyle":
		return c.SpeakingStyle
	}
	return c.Backstory
}

// Import is what ImportCard made.
type Import struct {
	Character *characters.Character
	// LorebookEntries is how many lorebook entries became FACT memories.
	LorebookEntries int
	Warnings        []string
}

// clean makes a card's text storable: PostgreSQL text holds no NUL, and a field longer
// than its limit is cut (the card keeps the whole, and exports it while the field is left
// as imported).
func clean(s string, limit int) (string, bool) {
	s = strings.ReplaceAll(s, "\x00", "")
	if utf8.RuneCountInString(s) <= limit {
		return s, false
	}
	return string([]rune(s)[:limit]), true
}

// decode reads an uploaded card: a PNG with the card in a text chunk, or the card's JSON.
// picture is the PNG without the card, nil for JSON.
func decode(file []byte) (card *cards.Card, picture []byte, err error) {
	if cards.IsPNG(file) {
		return cards.ReadPNG(file)
	}
	file = bytes.TrimPrefix(file, []byte("\xef\xbb\xbf"))
	if !bytes.HasPrefix(bytes.TrimLeft(file, " \t\r\n"), []byte("{")) {
		return nil, nil, errs.Invalid("file", "not a character card: expected a PNG with a chara or ccv3 chunk, or a card's JSON")
	}
	card, err = cards.Parse(file)
	return card, nil, err
}

// ImportCard makes a character in one of the viewer's ecosystems from a card file, and a
// FACT memory from each enabled lorebook entry, all in one transaction or not at all.
func (s *Service) ImportCard(ctx context.Context, viewer auth.Identity, ecosystemID uuid.UUID, file []byte) (*Import, error) {
	// Checked first, so another user's ecosystem is not found whatever the file holds.
	if _, err := ecosystems.Find(ctx, s.q, viewer, ecosystemID); err != nil {
		return nil, err
	}
	card, picture, err := decode(file)
	if err != nil {
		return nil, err
	}
	out := &Import{Warnings: []string{}}
	mapped := map[string]string{}
	for _, m := range mappings {
		v, cut := clean(card.Text(m.card), m.max)
		if m.character == "name" {
			v = strings.TrimSpace(v)
		}
		if cut {
			out.Warnings = append(out.Warnings, fmt.Sprintf("%s is longer than a character's %s (%d characters): cut; the card keeps it whole", m.card, m.character, m.max))
		}
		mapped[m.character] = v
	}
	prepared := make([]*memories.Prepared, len(card.Entries))
	for i, e := range card.Entries {
		content, cut := clean(strings.TrimSpace(e.Content), memories.MaxContent)
		switch {
		case !e.Enabled:
			out.Warnings = append(out.Warnings, fmt.Sprintf("lorebook entry %d is disabled: kept in the card, not made a memory", i))
			continue
		case content == "":
			out.Warnings = append(out.Warnings, fmt.Sprintf("lorebook entry %d is empty: kept in the card, not made a memory", i))
			continue
		case cut:
			out.Warnings = append(out.Warnings, fmt.Sprintf("lorebook entry %d is longer than a memory (%d characters): its memory is cut; the card keeps it whole", i, memories.MaxContent))
		}
		// Embedded before the transaction, which then holds no connection while a model runs.
		if prepared[i], err = s.memories.Prepare(ctx, memories.Input{Content: content, Type: memories.Fact}); err != nil {
			return nil, fmt.Errorf("lorebook entry %d: %w", i, err)
		}
	}
	mappedJSON, err := json.Marshal(mapped)
	if err != nil {
		return nil, fmt.Errorf("encode mapped fields: %w", err)
	}
	stored := *card
	stored.Entries = nil
	type made struct {
		m *memories.Memory
		p *memories.Prepared
	}
	var added []made
	err = events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, box *events.Outbox) error {
		if _, err := ecosystems.Find(ctx, q, viewer, ecosystemID); err != nil {
			return err
		}
		name, desc, style, back := mapped["name"], mapped["description"], mapped["speakingStyle"], mapped["backstory"]
		c, err := characters.CreateTx(ctx, q, box, ecosystemID, characters.Patch{
			Name: &name, Description: &desc, SpeakingStyle: &style, Backstory: &back,
		})
		if err != nil {
			return fmt.Errorf("create character from card: %w", err)
		}
		out.Character = c
		if err := q.CreateCharacterCard(ctx, db.CreateCharacterCardParams{
			CharacterID: c.ID, Spec: string(card.Spec), Card: stored.JSON(), Picture: picture, Mapped: mappedJSON,
		}); err != nil {
			return fmt.Errorf("store card of character %s: %w", c.ID, err)
		}
		rows := make([]db.CreateCharacterCardEntriesParams, len(card.Entries))
		for i, e := range card.Entries {
			rows[i] = db.CreateCharacterCardEntriesParams{CharacterID: c.ID, Position: int32(i), Entry: e.JSON()}
			if prepared[i] == nil {
				continue
			}
			m, err := s.memories.AddTx(ctx, q, box, ecosystemID, c.ID, prepared[i])
			if err != nil {
				return fmt.Errorf("lorebook entry %d: %w", i, err)
			}
			added = append(added, made{m, prepared[i]})
			rows[i].MemoryID = &m.ID
		}
		if _, err := q.CreateCharacterCardEntries(ctx, rows); err != nil {
			return fmt.Errorf("store lorebook of character %s: %w", c.ID, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, a := range added {
		if err := s.memories.Index(ctx, a.m, a.p); err != nil {
			return nil, err
		}
	}
	out.LorebookEntries = len(added)
	return out, nil
}

// Format is the file an export writes.
type Format string

// The formats.
const (
	FormatJSON Format = "JSON"
	FormatPNG  Format = "PNG"
)

// Export is a card written out, inline: JSON as text, a PNG in base64.
type Export struct {
	Filename    string
	ContentType string
	Content     string
	Warnings    []string
}

// build rebuilds a character's card: the stored card (or a new V3 one for a character
// that came from no card), with each mapped field the character has changed since the
// import set to its current value, and the lorebook made of the entries whose memories
// the character still has (or that made none) followed by the FACT memories it has
// gained. It returns the picture the card came in too (nil: none).
func (s *Service) build(ctx context.Context, viewer auth.Identity, characterID uuid.UUID) (*cards.Card, []byte, []string, error) {
	row, err := characters.Find(ctx, s.q, viewer, characterID)
	if err != nil {
		return nil, nil, nil, err
	}
	c, err := characters.FromRow(row)
	if err != nil {
		return nil, nil, nil, err
	}
	var card *cards.Card
	var picture []byte
	mapped := map[string]string{}
	var entries []cards.Entry
	stored, err := s.q.GetCharacterCard(ctx, characterID)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		card = cards.New(cards.V3, c.Name)
	case err != nil:
		return nil, nil, nil, fmt.Errorf("load card of character %s: %w", characterID, err)
	default:
		if card, err = cards.Parse(stored.Card); err != nil {
			return nil, nil, nil, fmt.Errorf("stored card of character %s: %w", characterID, err)
		}
		if err := json.Unmarshal(stored.Mapped, &mapped); err != nil {
			return nil, nil, nil, fmt.Errorf("decode mapped fields of character %s: %w", characterID, err)
		}
		picture = stored.Picture
		rows, err := s.q.ListCharacterCardEntries(ctx, characterID)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("load lorebook of character %s: %w", characterID, err)
		}
		for _, r := range rows {
			e, err := cards.ParseEntry(r.Entry)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("stored lorebook entry %d of character %s: %w", r.Position, characterID, err)
			}
			entries = append(entries, e)
		}
	}
	for _, m := range mappings {
		if v := current(c, m.character); v != mapped[m.character] {
			card.SetText(m.card, v)
		}
	}
	var warnings []string
	room := cards.MaxEntries - len(entries)
	facts, err := s.q.ListUnlinkedFacts(ctx, db.ListUnlinkedFactsParams{CharacterID: characterID, MaxFacts: int32(room + 1)})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("load facts of character %s: %w", characterID, err)
	}
	if len(facts) > room {
		facts = facts[:room]
		warnings = append(warnings, fmt.Sprintf("the lorebook holds at most %d entries: later FACT memories were left out", cards.MaxEntries))
	}
	next := 0
	for _, e := range entries {
		if id, ok := e.ID(); ok && id >= next {
			next = id + 1
		}
	}
	for _, f := range facts {
		entries = append(entries, cards.NewEntry(next, f.Content))
		next++
	}
	card.SetEntries(entries)
	return card, picture, warnings, nil
}

// ExportCard writes a character's card as JSON (its own spec) or as a PNG (the picture
// it came in, else a generated one, with the card as V2 and V3 chunks).
func (s *Service) ExportCard(ctx context.Context, viewer auth.Identity, characterID uuid.UUID, format Format) (*Export, error) {
	if format != FormatJSON && format != FormatPNG {
		return nil, errs.Invalid("format", "must be JSON or PNG")
	}
	card, picture, warnings, err := s.build(ctx, viewer, characterID)
	if err != nil {
		return nil, err
	}
	base := filename(card.Text("name"))
	out := &Export{Warnings: warnings}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	if format == FormatJSON {
		out.Filename, out.ContentType, out.Content = base+".json", "application/json", string(card.Indented())
		return out, nil
	}
	b, err := cards.WritePNG(card, picture)
	if err != nil {
		return nil, fmt.Errorf("write card of character %s: %w", characterID, err)
	}
	out.Filename, out.ContentType, out.Content = base+".png", "image/png", base64.StdEncoding.EncodeToString(b)
	return out, nil
}

// filename is a file name for a card: the character's name without path separators or
// control characters.
func filename(name string) string {
	base := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < 32 {
			return '_'
		}
		return r
	}, name)
	if base = path.Base(strings.TrimSpace(base)); base == "." || base == "" {
		return "character"
	}
	return base
}
