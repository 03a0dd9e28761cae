package memories

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/page"
)

// Filter narrows a character's memories.
type Filter struct {
	Types []Type
	Since *time.Time
}

// Validate checks the filter.
func (f Filter) Validate() error {
	for i, t := range f.Types {
		if !t.Valid() {
			return errs.Invalid(fmt.Sprintf("filter.types.%d", i), "unknown memory type %q", t)
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
	if f.Since != nil {
		b.WriteString("|" + f.Since.UTC().Format(time.RFC3339Nano))
	}
	return b.String()
}

func (f Filter) types() []string {
	out := make([]string, len(f.Types))
	for i, t := range f.Types {
		out[i] = string(t)
	}
	return out
}

// PagesOfCharacters loads the same page of memories, newest first, for several characters
// in one query (the character.memories loader). The characters were reached through
// objects the viewer may see.
func (s *Service) PagesOfCharacters(ctx context.Context, ids []uuid.UUID, f Filter, a page.Args) (map[uuid.UUID][]*Memory, error) {
	rows, err := s.q.ListMemoriesOfCharacters(ctx, db.ListMemoriesOfCharactersParams{
		CharacterIds: ids, Types: f.types(), Since: f.Since,
		BeforeCreatedAt: a.AfterTime(), BeforeID: a.AfterID(), PageLimit: a.Limit(),
	})
	if err != nil {
		return nil, fmt.Errorf("load memories of characters: %w", err)
	}
	out := make(map[uuid.UUID][]*Memory, len(ids))
	for _, r := range rows {
		out[r.CharacterID] = append(out[r.CharacterID], fromRow(r))
	}
	return out, nil
}

// CountsOfCharacters counts the filtered memories of several characters at once.
func (s *Service) CountsOfCharacters(ctx context.Context, ids []uuid.UUID, f Filter) (map[uuid.UUID]int, error) {
	rows, err := s.q.CountMemoriesOfCharacters(ctx, db.CountMemoriesOfCharactersParams{CharacterIds: ids, Types: f.types(), Since: f.Since})
	if err != nil {
		return nil, fmt.Errorf("count memories of characters: %w", err)
	}
	out := make(map[uuid.UUID]int, len(rows))
	for _, r := range rows {
		out[r.CharacterID] = int(r.Total)
	}
	return out, nil
}

// SourcesOf loads the source memories of several reflections in one query.
func (s *Service) SourcesOf(ctx context.Context, reflectionIDs []uuid.UUID) (map[uuid.UUID][]*Memory, error) {
	rows, err := s.q.ListSourcesOfReflections(ctx, reflectionIDs)
	if err != nil {
		return nil, fmt.Errorf("load sources of reflections: %w", err)
	}
	out := make(map[uuid.UUID][]*Memory, len(reflectionIDs))
	for _, r := range rows {
		out[r.ReflectionID] = append(out[r.ReflectionID], fromRow(db.Memory{
			ID: r.ID, CharacterID: r.CharacterID, EcosystemID: r.EcosystemID, Content: r.Content, Type: r.Type,
			Importance: r.Importance, CreatedAt: r.CreatedAt, LastAccessedAt: r.LastAccessedAt,
			AccessCount: r.AccessCount, SourceDocumentID: r.SourceDocumentID,
		}))
	}
	return out, nil
}
