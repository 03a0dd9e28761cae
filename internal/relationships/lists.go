package relationships

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/page"
)

// Direction picks which relationships of a character a list shows.
type Direction string

// Directions.
const (
	Outgoing Direction = "OUTGOING"
	Incoming Direction = "INCOMING"
	Both     Direction = "BOTH"
)

// Filter narrows a character's relationships.
type Filter struct {
	Types       []Type
	Direction   Direction
	MinStrength *float64
	MaxStrength *float64
}

// Validate checks the filter's values.
func (f Filter) Validate() error {
	if err := checkTypes(f.Types); err != nil {
		return err
	}
	switch f.Direction {
	case Outgoing, Incoming, Both:
	default:
		return errs.Invalid("filter.direction", "must be OUTGOING, INCOMING or BOTH")
	}
	if err := inRange(f.MinStrength, -1, 1, "filter.minStrength"); err != nil {
		return err
	}
	return inRange(f.MaxStrength, -1, 1, "filter.maxStrength")
}

// checkTypes refuses unknown types in a filter.
func checkTypes(types []Type) error {
	for i, t := range types {
		if !t.Valid() {
			return errs.Invalid(fmt.Sprintf("filter.types.%d", i), "unknown relationship type %q", t)
		}
	}
	return nil
}

// Key is a comparable form of the filter, for grouping loader requests.
func (f Filter) Key() string {
	var b strings.Builder
	for _, t := range f.Types {
		b.WriteString(string(t) + ",")
	}
	fmt.Fprintf(&b, "|%s|%v|%v", f.Direction, fmtPtr(f.MinStrength), fmtPtr(f.MaxStrength))
	return b.String()
}

func fmtPtr(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v, 'g', -1, 64)
}

func (f Filter) types() []string {
	out := make([]string, len(f.Types))
	for i, t := range f.Types {
		out[i] = string(t)
	}
	return out
}

// PagesOfCharacters loads the same page of relationships for several characters in one
// query (the character.relationships loader). The characters were reached through
// objects the viewer may see.
func (s *Service) PagesOfCharacters(ctx context.Context, ids []uuid.UUID, f Filter, a page.Args) (map[uuid.UUID][]*Relationship, error) {
	rows, err := s.q.ListRelationshipsOfCharacters(ctx, db.ListRelationshipsOfCharactersParams{
		CharacterIds: ids, Direction: string(f.Direction), Types: f.types(),
		MinStrength: f.MinStrength, MaxStrength: f.MaxStrength,
		AfterCreatedAt: a.AfterTime(), AfterID: a.AfterID(), PageLimit: a.Limit(),
	})
	if err != nil {
		return nil, fmt.Errorf("load relationships of characters: %w", err)
	}
	out := make(map[uuid.UUID][]*Relationship, len(ids))
	for _, r := range rows {
		out[r.CharacterID] = append(out[r.CharacterID], fromRow(db.Relationship{
			ID: r.ID, EcosystemID: r.EcosystemID, FromID: r.FromID, ToID: r.ToID, Type: r.Type, Label: r.Label,
			Strength: r.Strength, Trust: r.Trust, Familiarity: r.Familiarity, Notes: r.Notes, Since: r.Since,
			CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
		}))
	}
	return out, nil
}

// CountsOfCharacters counts the filtered relationships of several characters at once.
func (s *Service) CountsOfCharacters(ctx context.Context, ids []uuid.UUID, f Filter) (map[uuid.UUID]int, error) {
	rows, err := s.q.CountRelationshipsOfCharacters(ctx, db.CountRelationshipsOfCharactersParams{
		CharacterIds: ids, Direction: string(f.Direction), Types: f.types(),
		MinStrength: f.MinStrength, MaxStrength: f.MaxStrength,
	})
	if err != nil {
		return nil, fmt.Errorf("count relationships of characters: %w", err)
	}
	out := make(map[uuid.UUID]int, len(rows))
	for _, r := range rows {
		out[r.CharacterID] = int(r.Total)
	}
	return out, nil
}

// ByIDs loads relationships by id for dataloaders.
func (s *Service) ByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*Relationship, error) {
	rows, err := s.q.ListRelationshipsByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load relationships: %w", err)
	}
	out := make(map[uuid.UUID]*Relationship, len(rows))
	for _, r := range rows {
		out[r.ID] = fromRow(r)
	}
	return out, nil
}

// HistoryArgs is a validated page request over history, newest first.
type HistoryArgs struct {
	First  int
	Before *int64
}

// HistoryCursor encodes a history entry's position.
func HistoryCursor(c *Change) string {
	return base64.RawURLEncoding.EncodeToString([]byte("h:" + strconv.FormatInt(c.ID, 10)))
}

// ParseHistoryArgs validates first and after for a history connection.
func ParseHistoryArgs(first *int, after *string) (HistoryArgs, error) {
	a, err := page.Parse(first, nil)
	if err != nil {
		return HistoryArgs{}, err
	}
	h := HistoryArgs{First: a.First}
	if after != nil && *after != "" {
		raw, err := base64.RawURLEncoding.DecodeString(*after)
		id, perr := strconv.ParseInt(strings.TrimPrefix(string(raw), "h:"), 10, 64)
		if err != nil || perr != nil || !strings.HasPrefix(string(raw), "h:") {
			return HistoryArgs{}, errs.Invalid("after", "not a valid cursor")
		}
		h.Before = &id
	}
	return h, nil
}

// HistoryPages loads a page of history for several relationships in one query.
func (s *Service) HistoryPages(ctx context.Context, ids []uuid.UUID, a HistoryArgs) (map[uuid.UUID][]*Change, error) {
	rows, err := s.q.ListHistoryOfRelationships(ctx, db.ListHistoryOfRelationshipsParams{
		RelationshipIds: ids, BeforeID: a.Before, PageLimit: int32(a.First + 1),
	})
	if err != nil {
		return nil, fmt.Errorf("load relationship history: %w", err)
	}
	out := make(map[uuid.UUID][]*Change, len(ids))
	for _, r := range rows {
		out[r.RelationshipID] = append(out[r.RelationshipID], changeFromRow(r))
	}
	return out, nil
}

// HistoryCounts counts the history of several relationships in one query.
func (s *Service) HistoryCounts(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]int, error) {
	rows, err := s.q.CountHistoryOfRelationships(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("count relationship history: %w", err)
	}
	out := make(map[uuid.UUID]int, len(rows))
	for _, r := range rows {
		out[r.RelationshipID] = int(r.Total)
	}
	return out, nil
}

// ChangesOfMessages loads the relationship changes each message caused (a scene's
// lines), oldest first, for loaders.
func (s *Service) ChangesOfMessages(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID][]*Change, error) {
	rows, err := s.q.ChangesOfMessages(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load changes of messages: %w", err)
	}
	out := make(map[uuid.UUID][]*Change, len(ids))
	for _, r := range rows {
		if r.MessageID != nil {
			out[*r.MessageID] = append(out[*r.MessageID], changeFromRow(r))
		}
	}
	return out, nil
}

// PageRequest asks for the same page of relationships of several characters, with the
// characters at their ends and the characters' totals when asked.
type PageRequest struct {
	Characters []*characters.Character
	Filter     Filter
	Args       page.Args
	Ends       bool
	Count      bool
}

// PageResult answers a PageRequest: each character's page (one row more than asked
// when there is a next page), the characters at the ends of those pages, and totals.
type PageResult struct {
	Pages  map[uuid.UUID][]*Relationship
	Ends   map[uuid.UUID]*characters.Character
	Counts map[uuid.UUID]int
}

// LoadPages answers every request in one round trip: pages and counts are queued in one
// batch, however many requests and however many characters. The ends of a page are
// mostly the requested characters themselves (a cast and the bonds within it), which the
// caller already has; the others are read by id in one more round trip, only when there
// are any: a query of its own for the ends would compute every page a second time. The
// characters were reached through objects the viewer may see.
func (s *Service) LoadPages(ctx context.Context, reqs []PageRequest) ([]PageResult, error) {
	out := make([]PageResult, len(reqs))
	b := &pgx.Batch{}
	for i, r := range reqs {
		res := &out[i]
		ids := make([]uuid.UUID, len(r.Characters))
		for k, c := range r.Characters {
			ids[k] = c.ID
		}
		res.Pages = make(map[uuid.UUID][]*Relationship, len(r.Characters))
		// One allocation for every row: a page holds at most Limit rows per character.
		slab := make([]Relationship, 0, len(r.Characters)*int(r.Args.Limit()))
		db.QueueListRelationshipsOfCharacters(b, db.ListRelationshipsOfCharactersParams{
			CharacterIds: ids, Direction: string(r.Filter.Direction), Types: r.Filter.types(),
			MinStrength: r.Filter.MinStrength, MaxStrength: r.Filter.MaxStrength,
			AfterCreatedAt: r.Args.AfterTime(), AfterID: r.Args.AfterID(), PageLimit: r.Args.Limit(),
		}, func(row *db.ListRelationshipsOfCharactersRow) error {
			if len(slab) == cap(slab) {
				return fmt.Errorf("more relationships than %d pages of %d", len(r.Characters), r.Args.Limit())
			}
			slab = append(slab, Relationship{
				ID: row.ID, EcosystemID: row.EcosystemID, FromID: row.FromID, ToID: row.ToID, Type: Type(row.Type),
				Label: row.Label, Strength: row.Strength, Trust: row.Trust, Familiarity: row.Familiarity,
				Notes: row.Notes, Since: row.Since, CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt,
			})
			res.Pages[row.CharacterID] = append(res.Pages[row.CharacterID], &slab[len(slab)-1])
			return nil
		})
		if r.Count {
			res.Counts = make(map[uuid.UUID]int, len(r.Characters))
			db.QueueCountRelationshipsOfCharacters(b, db.CountRelationshipsOfCharactersParams{
				CharacterIds: ids, Direction: string(r.Filter.Direction), Types: r.Filter.types(),
				MinStrength: r.Filter.MinStrength, MaxStrength: r.Filter.MaxStrength,
			}, func(row *db.CountRelationshipsOfCharactersRow) error {
				res.Counts[row.CharacterID] = int(row.Total)
				return nil
			})
		}
	}
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("load relationship pages: %w", err)
	}
	if err := s.loadEnds(ctx, reqs, out); err != nil {
		return nil, err
	}
	return out, nil
}

// loadEnds fills the Ends of the results that asked for them: the requested characters,
// and the others at the ends of the pages, read in one query for every result.
func (s *Service) loadEnds(ctx context.Context, reqs []PageRequest, out []PageResult) error {
	var missing []uuid.UUID
	asked := map[uuid.UUID]bool{}
	for i, r := range reqs {
		if !r.Ends {
			continue
		}
		ends := make(map[uuid.UUID]*characters.Character, len(r.Characters))
		for _, c := range r.Characters {
			ends[c.ID] = c
		}
		out[i].Ends = ends
		for _, page := range out[i].Pages {
			for _, rel := range page {
				for _, id := range [2]uuid.UUID{rel.FromID, rel.ToID} {
					if ends[id] == nil && !asked[id] {
						asked[id] = true
						missing = append(missing, id)
					}
				}
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	rows, err := s.q.ListCharactersByIDs(ctx, missing)
	if err != nil {
		return fmt.Errorf("load the ends of relationship pages: %w", err)
	}
	for _, row := range rows {
		c, err := characters.FromRow(row)
		if err != nil {
			return err
		}
		for i, r := range reqs {
			if r.Ends {
				out[i].Ends[c.ID] = c
			}
		}
	}
	return nil
}
