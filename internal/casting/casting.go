// Package casting turns an analysed book into a living cast: characters described,
// voiced and motivated in the book's own words, with Big Five estimates, memories of
// what they said and heard there, and relationships set from the evidence of the text.
//
// It is idempotent: characters made from a book carry the book and their canonical name
// (source_document_id, source_key), so running it again finds them instead of making
// twins, skips the memories they already have from the book, and leaves relationships
// that exist alone.
package casting

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/documents"
	"github.com/literaryai/ensemble/internal/ecosystems"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/literary/analysis"
	"github.com/literaryai/ensemble/internal/llm"
	"github.com/literaryai/ensemble/internal/memories"
	"github.com/literaryai/ensemble/internal/relationships"
)

// Limits of the options.
const (
	DefaultMaxCharacters = 20
	MaxMaxCharacters     = 100
	DefaultMinMentions   = 5
	// maxQuoteMemories bounds the lines a character remembers from a book.
	maxQuoteMemories = 200
	// minWeight is the weakest bond (relative to the book's strongest) made a relationship.
	minWeight = 0.03
)

// Options tune a cast.
type Options struct {
	MaxCharacters int
	MinMentions   int
}

func (o *Options) validate() error {
	if o.MaxCharacters == 0 {
		o.MaxCharacters = DefaultMaxCharacters
	}
	if o.MinMentions == 0 {
		o.MinMentions = DefaultMinMentions
	}
	if o.MaxCharacters < 1 || o.MaxCharacters > MaxMaxCharacters {
		return errs.Invalid("options.maxCharacters", "must be between 1 and %d", MaxMaxCharacters)
	}
	if o.MinMentions < 1 || o.MinMentions > 100000 {
		return errs.Invalid("options.minMentions", "must be between 1 and 100000")
	}
	return nil
}

// Result says what a cast made and found.
type Result struct {
	Characters           []*characters.Character
	Created, Existing    int
	RelationshipsCreated int
	MemoriesCreated      int
}

// Service creates casts.
type Service struct {
	pool          *pgxpool.Pool
	q             *db.Queries
	pub           events.Publisher
	documents     *documents.Service
	characters    *characters.Service
	memories      *memories.Service
	relationships *relationships.Service
	logger        *slog.Logger
	// refiner is the model that refines offline profiles, nil offline.
	refiner llm.ProfileWriter
}

// NewService returns the casting service.
func NewService(pool *pgxpool.Pool, pub events.Publisher, docs *documents.Service, chars *characters.Service,
	mems *memories.Service, rels *relationships.Service, logger *slog.Logger) *Service {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Service{pool: pool, q: db.New(pool), pub: pub, documents: docs, characters: chars, memories: mems,
		relationships: rels, logger: logger}
}

// RefineWith has w refine every new character's profile from the book's evidence.
func (s *Service) RefineWith(w llm.ProfileWriter) { s.refiner = w }

// FromDocument creates (or completes) the cast of an analysed document in an ecosystem.
func (s *Service) FromDocument(ctx context.Context, viewer auth.Identity, documentID, ecosystemID uuid.UUID, o Options) (*Result, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	doc, err := s.documents.Get(ctx, viewer, documentID)
	if err != nil {
		return nil, err
	}
	if _, err := ecosystems.Find(ctx, s.q, viewer, ecosystemID); err != nil {
		return nil, err
	}
	if doc.AnalysisStatus != documents.AnalysisDone {
		return nil, fmt.Errorf("document %s is not analysed (analysis %s): run analyzeDocument first: %w", documentID, doc.AnalysisStatus, errs.ErrConflict)
	}
	an, err := s.documents.GetAnalysis(ctx, doc)
	if err != nil {
		return nil, err
	}
	if an == nil {
		return nil, fmt.Errorf("analysis of document %s: %w", documentID, errs.ErrNotFound)
	}
	book := an.Result
	cast := choose(book, o)
	quotes := quotesBy(book)
	text, err := s.documents.FullText(ctx, doc)
	if err != nil {
		return nil, fmt.Errorf("cast of %s: %w", documentID, err)
	}
	ev := newBook(doc.Title, text, book, cast)
	res := &Result{}
	made, err := s.createCharacters(ctx, ecosystemID, doc, ev, cast, quotes, res)
	if err != nil {
		return nil, err
	}
	if err := s.createRelationships(ctx, viewer, doc, book, made, res); err != nil {
		return nil, err
	}
	for _, c := range cast {
		ch := made[c.ID]
		n, err := s.remember(ctx, viewer, doc, ch, ev.memories(c, made[c.ID].Description))
		if err != nil {
			return nil, err
		}
		res.MemoriesCreated += n
	}
	for _, c := range cast {
		res.Characters = append(res.Characters, made[c.ID])
	}
	return res, nil
}

// choose picks the cast: the most mentioned characters with enough mentions.
func choose(book *analysis.Result, o Options) []analysis.Character {
	var out []analysis.Character
	for _, c := range book.Characters {
		if c.Mentions >= o.MinMentions && len(out) < o.MaxCharacters {
			out = append(out, c)
		}
	}
	return out
}

func quotesBy(book *analysis.Result) map[int][]analysis.Quote {
	out := map[int][]analysis.Quote{}
	for _, q := range book.Quotes {
		if q.SpeakerID >= 0 {
			out[q.SpeakerID] = append(out[q.SpeakerID], q)
		}
	}
	return out
}

// createCharacters makes the characters the ecosystem does not have yet from this book,
// in one transaction, and returns every cast member by book id.
func (s *Service) createCharacters(ctx context.Context, ecosystemID uuid.UUID, doc *documents.Document, ev *book, cast []analysis.Character,
	quotes map[int][]analysis.Quote, res *Result) (map[int]*characters.Character, error) {
	maxQuotes := 1
	for _, c := range cast {
		maxQuotes = max(maxQuotes, len(quotes[c.ID]))
	}
	profiles, err := s.profiles(ctx, ecosystemID, doc, ev, cast, quotes, maxQuotes)
	if err != nil {
		return nil, err
	}
	made := map[int]*characters.Character{}
	err = events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, box *events.Outbox) error {
		existing, err := q.ListCharactersFromDocument(ctx, db.ListCharactersFromDocumentParams{EcosystemID: ecosystemID, SourceDocumentID: &doc.ID})
		if err != nil {
			return fmt.Errorf("load cast of %s: %w", doc.ID, err)
		}
		byKey := map[string]db.Character{}
		for _, r := range existing {
			if r.SourceKey != nil {
				byKey[*r.SourceKey] = r
			}
		}
		for _, c := range cast {
			key := sourceKey(c.Name)
			if r, ok := byKey[key]; ok {
				res.Existing++
				made[c.ID] = &characters.Character{ID: r.ID}
				continue
			}
			p := profiles[c.ID]
			r, err := q.CreateCharacterFromBook(ctx, db.CreateCharacterFromBookParams{
				EcosystemID: ecosystemID, Name: clip(c.Name, 255), Description: clip(p.description, 10000),
				Backstory: clip(p.backstory, 20000), SpeakingStyle: clip(p.style, 2000), Goals: p.goals,
				Openness: p.traits.Openness, Conscientiousness: p.traits.Conscientiousness, Extraversion: p.traits.Extraversion,
				Agreeableness: p.traits.Agreeableness, Neuroticism: p.traits.Neuroticism, AutonomyLevel: p.autonomy,
				CurrentEmotion: p.emotion, SourceDocumentID: &doc.ID, SourceKey: &key,
			})
			if err != nil {
				return fmt.Errorf("create %s: %w", c.Name, err)
			}
			if err := characters.RecordChange(box, events.OpUpsert, r); err != nil {
				return err
			}
			res.Created++
			made[c.ID] = &characters.Character{ID: r.ID}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Read the cast back whole, new and existing alike, as every character is returned.
	ids := make([]uuid.UUID, 0, len(made))
	for _, c := range made {
		ids = append(ids, c.ID)
	}
	full, err := s.characters.ByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	for k, c := range made {
		f, ok := full[c.ID]
		if !ok {
			return nil, fmt.Errorf("character %s: %w", c.ID, errs.ErrNotFound)
		}
		made[k] = f
	}
	return made, nil
}

// profiles drafts the profile of every cast member offline, in cast order (a description
// given to one is no one else's), and has the model refine those of the characters still
// to be made when one is configured. The model is asked outside the transaction that
// makes them, and a profile it fails to refine keeps its draft.
func (s *Service) profiles(ctx context.Context, ecosystemID uuid.UUID, doc *documents.Document, ev *book, cast []analysis.Character,
	quotes map[int][]analysis.Quote, maxQuotes int) (map[int]profileOf, error) {
	existing := map[string]bool{}
	if s.refiner != nil {
		rows, err := s.q.ListCharactersFromDocument(ctx, db.ListCharactersFromDocumentParams{EcosystemID: ecosystemID, SourceDocumentID: &doc.ID})
		if err != nil {
			return nil, fmt.Errorf("load cast of %s: %w", doc.ID, err)
		}
		for _, r := range rows {
			if r.SourceKey != nil {
				existing[*r.SourceKey] = true
			}
		}
	}
	drafts := make([]profileOf, len(cast))
	taken := map[string]bool{}
	for rank, c := range cast {
		drafts[rank] = profile(ev, c, quotes[c.ID], maxQuotes, rank, taken)
	}
	if s.refiner != nil {
		if err := s.refineAll(ctx, ev, cast, drafts, existing); err != nil {
			return nil, err
		}
	}
	out := make(map[int]profileOf, len(cast))
	for rank, c := range cast {
		out[c.ID] = drafts[rank]
	}
	return out, nil
}

// refineAt is how many profiles the model refines at once.
const refineAt = 4

// refineAll has the model refine the drafts of the characters still to be made, refineAt
// at a time, within half of the time ctx has left: a profile not refined by then keeps
// its draft, so a slow model makes a plainer cast rather than a failed mutation.
func (s *Service) refineAll(ctx context.Context, ev *book, cast []analysis.Character, drafts []profileOf, existing map[string]bool) error {
	budget := ctx
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		budget, cancel = context.WithTimeout(ctx, time.Until(deadline)/2)
		defer cancel()
	}
	g, gctx := errgroup.WithContext(budget)
	g.SetLimit(refineAt)
	for rank, c := range cast {
		if existing[sourceKey(c.Name)] {
			continue
		}
		g.Go(func() error { return s.refine(gctx, ev, c, &drafts[rank]) })
	}
	if err := g.Wait(); err != nil && ctx.Err() != nil {
		return fmt.Errorf("refine profiles: %w", ctx.Err())
	}
	return nil
}

// refine has the model rewrite a profile from the evidence; when it cannot, the offline
// draft stands, and the reason is logged.
func (s *Service) refine(ctx context.Context, ev *book, c analysis.Character, p *profileOf) error {
	in := llm.ProfileEvidence{Name: c.Name, Book: ev.title,
		Draft: llm.Profile{Description: p.description, Backstory: p.backstory, SpeakingStyle: p.style, Goals: p.goals}}
	for _, u := range ev.said {
		if u.speaker == c.ID {
			in.Lines = append(in.Lines, u.text)
		}
	}
	r, err := s.refiner.RefineProfile(ctx, in)
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("profile of %s: %w", c.Name, ctx.Err())
	case err != nil:
		s.logger.WarnContext(ctx, "profile kept as drafted offline", "character", c.Name, "error", err)
		return nil
	}
	p.description, p.backstory, p.style, p.goals = r.Description, r.Backstory, r.SpeakingStyle, r.Goals
	return nil
}

// sourceKey identifies a book character across runs: its canonical name, folded.
func sourceKey(name string) string {
	return clip(strings.ToLower(strings.Join(strings.Fields(name), " ")), 255)
}

// createRelationships sets a relationship each way for every bond of the book between
// cast members, unless one of that type exists already.
func (s *Service) createRelationships(ctx context.Context, viewer auth.Identity, doc *documents.Document, book *analysis.Result,
	made map[int]*characters.Character, res *Result) error {
	for _, r := range book.Relationships {
		a, b := made[r.A], made[r.B]
		if a == nil || b == nil || r.Weight < minWeight {
			continue
		}
		in := bond(r, doc.Title)
		for _, pair := range [][2]uuid.UUID{{a.ID, b.ID}, {b.ID, a.ID}} {
			in.FromID, in.ToID = pair[0], pair[1]
			_, err := s.relationships.Create(ctx, viewer, in)
			switch {
			case errors.Is(err, errs.ErrConflict):
			case err != nil:
				return fmt.Errorf("relationship %s – %s: %w", a.Name, b.Name, err)
			default:
				res.RelationshipsCreated++
			}
		}
	}
	return nil
}

// bond turns the book's evidence into a relationship's numbers. The analysis's type picks
// the schema type (employment and service are allies: people who work together), its
// fine-grained kind ("sister", "married", "clerk") the label, and the sentence that shows
// it the notes. Enmity and rivalry are negative strength and low trust; the other types
// are positive, stronger with more shared passages; familiarity grows with conversations
// and shared scenes.
func bond(r analysis.Relationship, title string) relationships.Input {
	w := math.Max(0, math.Min(1, r.Weight))
	typ := relationships.Acquaintance
	strength, trust := 0.1+0.3*w, 0.4+0.2*w
	switch r.Type {
	case "family":
		typ, strength, trust = relationships.Family, 0.3+0.6*w, 0.7
	case "romance":
		typ, strength, trust = relationships.Romance, 0.4+0.55*w, 0.6+0.3*w
	case "friendship":
		typ, strength, trust = relationships.Friend, 0.3+0.6*w, 0.6+0.3*w
	case "mentorship":
		typ, strength, trust = relationships.Mentor, 0.3+0.5*w, 0.7
	case "service":
		typ, strength, trust = relationships.Ally, 0.2+0.4*w, 0.5+0.2*w
	case "rivalry":
		typ, strength, trust = relationships.Rival, -(0.2 + 0.4*w), 0.35
	case "enmity":
		typ, strength, trust = relationships.Enemy, -(0.3 + 0.6*w), 0.2
	}
	familiarity := math.Min(1, 0.2+float64(r.Conversations)/20+float64(r.CoOccurrences)/100)
	label := r.Kind
	if label == "" {
		label = r.Type
	}
	var notes string
	switch {
	case r.Type == "acquaintance" || r.Type == "":
		notes = fmt.Sprintf("From %s: the book says nothing more of how they are related.", clip(title, 200))
	case r.Reason != "":
		notes = fmt.Sprintf("From %s (%s, confidence %.2f): “%s”", clip(title, 200), label, r.Confidence, clip(r.Reason, 600))
	default:
		notes = fmt.Sprintf("From %s (%s, confidence %.2f): shown by their names.", clip(title, 200), label, r.Confidence)
	}
	return relationships.Input{Type: &typ, Label: &label, Strength: &strength, Trust: &trust, Familiarity: &familiarity, Notes: &notes}
}

// remember gives a character its memories of the book, unless it already has memories
// from the book.
func (s *Service) remember(ctx context.Context, viewer auth.Identity, doc *documents.Document, ch *characters.Character,
	ins []memories.Input) (int, error) {
	n, err := s.q.CountMemoriesFromDocument(ctx, db.CountMemoriesFromDocumentParams{CharacterID: ch.ID, SourceDocumentID: &doc.ID})
	if err != nil {
		return 0, fmt.Errorf("count memories of %s: %w", ch.Name, err)
	}
	if n > 0 || len(ins) == 0 {
		return 0, nil
	}
	for i := range ins {
		ins[i].SourceDocumentID = &doc.ID
	}
	added, err := s.memories.AddMany(ctx, viewer, ch.ID, ins)
	if err != nil {
		return 0, fmt.Errorf("memories of %s: %w", ch.Name, err)
	}
	return added, nil
}

// clip shortens s to at most n characters.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// isWordRune is part of a word.
func isWordRune(r rune) bool { return unicode.IsLetter(r) || r == '\'' || r == '’' }
