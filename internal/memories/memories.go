// Package memories gives every character a memory: what it saw, said, learnt, planned
// and concluded. Recall ranks memories by recency, importance and relevance together, as
// in Park et al., "Generative Agents" (2023), and marks what it returns as accessed.
package memories

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/ecosystems"
	"github.com/literaryai/ensemble/internal/embedding"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/page"
	"github.com/literaryai/ensemble/internal/relay"
	"github.com/literaryai/ensemble/internal/vectorstore"
	"github.com/literaryai/ensemble/internal/vectorstore/embedded"
)

// Type is the kind of a memory.
type Type string

// The memory types.
const (
	Observation Type = "OBSERVATION"
	Dialogue    Type = "DIALOGUE"
	Reflection  Type = "REFLECTION"
	Fact        Type = "FACT"
	Plan        Type = "PLAN"
)

// Valid reports whether t is one of the types.
func (t Type) Valid() bool {
	_, ok := baseImportance[t]
	return ok
}

// MaxContent bounds a memory's text, in characters.
const MaxContent = 10000

// Memory is one thing a character remembers.
type Memory struct {
	ID               uuid.UUID
	CharacterID      uuid.UUID
	EcosystemID      uuid.UUID
	Content          string
	Type             Type
	Importance       float64
	CreatedAt        time.Time
	LastAccessedAt   time.Time
	AccessCount      int
	SourceDocumentID *uuid.UUID
}

// NodeID is the memory's id in the API. A method, not a resolver: gqlgen runs every
// resolver field in a goroutine of its own, and a list of memories would start one per item.
func (m *Memory) NodeID() string { return relay.ID(relay.TypeMemory, m.ID) }

func fromRow(r db.Memory) *Memory {
	return &Memory{ID: r.ID, CharacterID: r.CharacterID, EcosystemID: r.EcosystemID, Content: r.Content,
		Type: Type(r.Type), Importance: r.Importance, CreatedAt: r.CreatedAt, LastAccessedAt: r.LastAccessedAt,
		AccessCount: int(r.AccessCount), SourceDocumentID: r.SourceDocumentID}
}

// byIDs loads memories without their embeddings (a recall's 50 candidates would
// otherwise read 50 KB of vectors it already has).
func (s *Service) byIDs(ctx context.Context, ids []uuid.UUID) ([]*Memory, error) {
	rows, err := s.q.ListMemoryRowsByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]*Memory, len(rows))
	for i, r := range rows {
		out[i] = fromRow(db.Memory{ID: r.ID, CharacterID: r.CharacterID, EcosystemID: r.EcosystemID, Content: r.Content,
			Type: r.Type, Importance: r.Importance, CreatedAt: r.CreatedAt, LastAccessedAt: r.LastAccessedAt,
			AccessCount: r.AccessCount, SourceDocumentID: r.SourceDocumentID, SourceMessageID: r.SourceMessageID})
	}
	return out, nil
}

// Cursor is a memory's position in a list (newest first).
func Cursor(m *Memory) page.Cursor { return page.Cursor{CreatedAt: m.CreatedAt, ID: m.ID} }

// Weights weigh the three parts of a recall score.
type Weights struct {
	Recency    float64
	Importance float64
	Relevance  float64
}

// Config holds recall's parameters.
type Config struct {
	// Decay is recency's base per hour since last access (the paper's 0.995).
	Decay float64
	// Weights are the default weights (the paper's 1, 1, 1).
	Weights Weights
	// Overfetch is how many candidates per result recall takes from the vector index
	// before re-ranking by the whole score; at least MinCandidates are taken.
	Overfetch     int
	MinCandidates int
	// ReflectionThreshold is the summed importance of new memories that makes a
	// character reflect: the paper's 150 on its 1..10 scale is 15 on ours.
	ReflectionThreshold float64
}

// DefaultConfig is the paper's setting.
var DefaultConfig = Config{Decay: 0.995, Weights: Weights{1, 1, 1}, Overfetch: 5, MinCandidates: 50, ReflectionThreshold: 15}

// Service stores and recalls memories. The viewer sees only memories of characters in
// their own ecosystems (an admin: all).
type Service struct {
	pool    *pgxpool.Pool
	q       *db.Queries
	pub     events.Publisher
	embed   embedding.Embedder
	vectors vectorstore.Vectors
	jobs    Enqueuer
	cfg     Config
	now     func() time.Time
}

// NewService returns the memory service. jobs runs reflections (nil: never reflect).
func NewService(pool *pgxpool.Pool, pub events.Publisher, embed embedding.Embedder, vectors vectorstore.Vectors, jobs Enqueuer, cfg Config, now func() time.Time) *Service {
	return &Service{pool: pool, q: db.New(pool), pub: pub, embed: embed, vectors: vectors, jobs: jobs, cfg: cfg, now: now}
}

// Model names the embedding model memories are embedded with.
func (s *Service) Model() string { return s.embed.Model() }

// Input is a new memory.
type Input struct {
	Content string
	Type    Type
	// Importance is 0..1; nil scores it with ScoreImportance.
	Importance       *float64
	SourceDocumentID *uuid.UUID
	// SourceMessageID is the message the memory was formed from (a chat exchange).
	SourceMessageID *uuid.UUID
}

func (in Input) validate() error {
	if n := utf8.RuneCountInString(in.Content); n < 1 || n > MaxContent {
		return errs.Invalid("input.content", "must be 1 to %d characters", MaxContent)
	}
	if !in.Type.Valid() {
		return errs.Invalid("input.type", "unknown memory type %q", in.Type)
	}
	if in.Importance != nil && !(*in.Importance >= 0 && *in.Importance <= 1) {
		return errs.Invalid("input.importance", "must be between 0 and 1, got %g", *in.Importance)
	}
	return nil
}

// MemoryPayload is the payload of memory.changed.
type MemoryPayload struct {
	Op          string    `json:"op"`
	ID          uuid.UUID `json:"id"`
	CharacterID uuid.UUID `json:"characterId"`
	Type        Type      `json:"type"`
	Importance  float64   `json:"importance"`
}

// embedAll embeds texts, checking that the embedder returned one vector of its dimension
// for each: a wrong answer must fail before anything is stored.
// Texts repeated in one call are embedded once and share their vector: the observers of a
// scene's line all remember it in the same words, and the vector index quantizes a shared
// vector once (see index.Add).
func (s *Service) embedAll(ctx context.Context, texts []string) ([][]float32, error) {
	first := make(map[string]int, len(texts))
	unique := make([]string, 0, len(texts))
	at := make([]int, len(texts))
	for i, t := range texts {
		j, ok := first[t]
		if !ok {
			j = len(unique)
			first[t] = j
			unique = append(unique, t)
		}
		at[i] = j
	}
	vs, err := s.embed.Embed(ctx, unique)
	if err != nil {
		return nil, fmt.Errorf("embed: %w: %w", errs.ErrUnavailable, err)
	}
	if len(vs) != len(unique) {
		return nil, fmt.Errorf("embed: the embedder returned %d vectors for %d texts: %w", len(vs), len(unique), errs.ErrUnavailable)
	}
	for _, v := range vs {
		if len(v) != s.embed.Dimension() {
			return nil, fmt.Errorf("embed: the embedder returned a vector of the wrong dimension: %w", errs.ErrUnavailable)
		}
	}
	out := make([][]float32, len(texts))
	for i, j := range at {
		out[i] = vs[j]
	}
	return out, nil
}

// vector embeds one text.
func (s *Service) vector(ctx context.Context, text string) ([]float32, error) {
	vs, err := s.embedAll(ctx, []string{text})
	if err != nil {
		return nil, err
	}
	return vs[0], nil
}

// Add stores a memory with its embedding, written together or not at all: the text is
// embedded first, so an embedder that is down or wrong stores nothing.
func (s *Service) Add(ctx context.Context, viewer auth.Identity, characterID uuid.UUID, in Input) (*Memory, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	// Checked before embedding too, so another user's character is not found even when
	// the embedder is down, and costs no embedding.
	if _, err := characters.Find(ctx, s.q, viewer, characterID); err != nil {
		return nil, err
	}
	p, err := s.Prepare(ctx, in)
	if err != nil {
		return nil, err
	}
	var m *Memory
	err = events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, box *events.Outbox) error {
		c, err := characters.Find(ctx, q, viewer, characterID)
		if err != nil {
			return err
		}
		m, err = s.AddTx(ctx, q, box, c.EcosystemID, characterID, p)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.Index(ctx, m, p); err != nil {
		return nil, err
	}
	return m, nil
}

// Prepared is a memory validated, scored and embedded: storing it (AddTx) calls no
// embedder, so it can join a transaction of the caller's without holding it open.
type Prepared struct {
	in         Input
	importance float64
	vec        []float32
}

// Prepare validates, scores and embeds a new memory.
func (s *Service) Prepare(ctx context.Context, in Input) (*Prepared, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	vec, err := s.vector(ctx, in.Content)
	if err != nil {
		return nil, err
	}
	importance := ScoreImportance(in.Type, in.Content)
	if in.Importance != nil {
		importance = *in.Importance
	}
	return &Prepared{in: in, importance: importance, vec: vec}, nil
}

// AddTx stores a prepared memory of a character in the caller's transaction, and
// enqueues a reflection when one is due. The caller has checked that the character may
// be written to (and is in the ecosystem). Once the transaction has committed, pass the
// memory to Index.
func (s *Service) AddTx(ctx context.Context, q *db.Queries, box *events.Outbox, ecosystemID, characterID uuid.UUID, p *Prepared) (*Memory, error) {
	r, err := q.AddMemory(ctx, db.AddMemoryParams{
		CharacterID: characterID, EcosystemID: ecosystemID, Content: p.in.Content, Type: string(p.in.Type),
		Importance: p.importance, Embedding: embedded.Encode(p.vec), EmbeddingModel: s.embed.Model(),
		SourceDocumentID: p.in.SourceDocumentID, SourceMessageID: p.in.SourceMessageID,
	})
	if err != nil {
		return nil, fmt.Errorf("store memory: %w", err)
	}
	m := &Memory{ID: r.ID, CharacterID: r.CharacterID, EcosystemID: r.EcosystemID, Content: r.Content,
		Type: Type(r.Type), Importance: r.Importance, CreatedAt: r.CreatedAt, LastAccessedAt: r.LastAccessedAt,
		AccessCount: int(r.AccessCount), SourceDocumentID: r.SourceDocumentID}
	if m.Type != Reflection {
		if err := s.reflectIfDue(ctx, box.Tx(), characterID, r.ImportanceSinceReflection); err != nil {
			return nil, err
		}
	}
	return m, box.Append(ecosystemID, events.MemoryChanged, MemoryPayload{
		Op: events.OpUpsert, ID: m.ID, CharacterID: characterID, Type: m.Type, Importance: m.Importance,
	})
}

// Index adds a memory stored by AddTx, once committed, to the vector index.
func (s *Service) Index(ctx context.Context, m *Memory, p *Prepared) error {
	if err := s.vectors.Upsert(ctx, m.EcosystemID, vectorstore.Item{ID: m.ID, Character: m.CharacterID, Vector: p.vec,
		Type: string(m.Type), Importance: m.Importance, CreatedAt: m.CreatedAt}); err != nil {
		return fmt.Errorf("index memory %s: %w", m.ID, err)
	}
	return nil
}

// Forget deletes a memory.
func (s *Service) Forget(ctx context.Context, viewer auth.Identity, id uuid.UUID) error {
	var m *Memory
	err := events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, box *events.Outbox) error {
		r, err := q.GetMemory(ctx, db.GetMemoryParams{ID: id, OwnerID: viewer.OwnerFilter()})
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("memory %s: %w", id, errs.ErrNotFound)
		}
		if err != nil {
			return fmt.Errorf("load memory %s: %w", id, err)
		}
		if err := q.DeleteMemory(ctx, id); err != nil {
			return fmt.Errorf("delete memory %s: %w", id, err)
		}
		m = fromRow(r)
		return box.Append(m.EcosystemID, events.MemoryChanged, MemoryPayload{
			Op: events.OpDelete, ID: id, CharacterID: m.CharacterID, Type: m.Type, Importance: m.Importance,
		})
	})
	if err != nil {
		return err
	}
	return s.vectors.Delete(ctx, m.EcosystemID, id)
}

// Get returns one memory.
func (s *Service) Get(ctx context.Context, viewer auth.Identity, id uuid.UUID) (*Memory, error) {
	r, err := s.q.GetMemory(ctx, db.GetMemoryParams{ID: id, OwnerID: viewer.OwnerFilter()})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("memory %s: %w", id, errs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load memory %s: %w", id, err)
	}
	return fromRow(r), nil
}

// Scored is a recalled memory with its score and the score's three parts, each
// normalised to 0..1 over the candidates.
type Scored struct {
	Memory     *Memory
	Score      float64
	Recency    float64
	Importance float64
	Relevance  float64
	// Similarity is the raw cosine similarity to the query.
	Similarity float64
}

// MaxTopK bounds a recall or search.
const MaxTopK = 100

func checkTopK(topK int) error {
	if topK < 1 || topK > MaxTopK {
		return errs.Invalid("topK", "must be between 1 and %d", MaxTopK)
	}
	return nil
}

func (s *Service) checkRecall(topK int, w *Weights) (Weights, error) {
	if err := checkTopK(topK); err != nil {
		return Weights{}, err
	}
	weights := s.cfg.Weights
	if w != nil {
		weights = *w
	}
	for _, f := range []struct {
		v    float64
		name string
	}{{weights.Recency, "weights.recency"}, {weights.Importance, "weights.importance"}, {weights.Relevance, "weights.relevance"}} {
		if !(f.v >= 0) || math.IsInf(f.v, 0) {
			return Weights{}, errs.Invalid(f.name, "must be a non-negative number")
		}
	}
	if weights.Recency+weights.Importance+weights.Relevance == 0 {
		return Weights{}, errs.Invalid("weights", "at least one weight must be above 0")
	}
	return weights, nil
}

func checkQuery(query string) error {
	if n := utf8.RuneCountInString(query); n < 1 || n > MaxContent {
		return errs.Invalid("query", "must be 1 to %d characters", MaxContent)
	}
	return nil
}

// Recall returns the topK memories of a character that matter most for query: the
// candidates nearest in meaning, re-ranked by weighted recency, importance and relevance,
// each min-max normalised over the candidates. What it returns is marked accessed.
func (s *Service) Recall(ctx context.Context, viewer auth.Identity, characterID uuid.UUID, query string, topK int, w *Weights) ([]Scored, error) {
	weights, err := s.checkRecall(topK, w)
	if err != nil {
		return nil, err
	}
	if err := checkQuery(query); err != nil {
		return nil, err
	}
	c, err := characters.Find(ctx, s.q, viewer, characterID)
	if err != nil {
		return nil, err
	}
	scored, err := s.recall(ctx, c.EcosystemID, characterID, query, topK, weights)
	if err != nil {
		return nil, err
	}
	if err := s.Touch(ctx, s.q, scored); err != nil {
		return nil, err
	}
	return scored, nil
}

// RecallFor is Recall with the default weights for a character the caller has loaded
// and may see, in ecosystemID. It leaves the memories untouched: the caller marks those
// it used with Touch, in the transaction that stores what it made of them.
func (s *Service) RecallFor(ctx context.Context, ecosystemID, characterID uuid.UUID, query string, topK int) ([]Scored, error) {
	if err := checkTopK(topK); err != nil {
		return nil, err
	}
	if err := checkQuery(query); err != nil {
		return nil, err
	}
	return s.recall(ctx, ecosystemID, characterID, query, topK, s.cfg.Weights)
}

func (s *Service) recall(ctx context.Context, ecosystemID, characterID uuid.UUID, query string, topK int, weights Weights) ([]Scored, error) {
	vec, err := s.vector(ctx, query)
	if err != nil {
		return nil, err
	}
	hits, err := s.vectors.SearchCharacter(ctx, ecosystemID, characterID, vec, max(topK*s.cfg.Overfetch, s.cfg.MinCandidates))
	if err != nil {
		return nil, fmt.Errorf("search memories of character %s: %w", characterID, err)
	}
	scored, err := s.rank(ctx, hits, weights)
	if err != nil {
		return nil, err
	}
	if len(scored) > topK {
		scored = scored[:topK]
	}
	return scored, nil
}

// Touch marks recalled memories accessed, through q (a pool or a transaction): recency
// counts from the last access.
func (s *Service) Touch(ctx context.Context, q *db.Queries, recalled []Scored) error {
	if len(recalled) == 0 {
		return nil
	}
	if err := q.TouchMemories(ctx, s.touch(recalled)); err != nil {
		return fmt.Errorf("mark memories accessed: %w", err)
	}
	return nil
}

// QueueTouch queues Touch's statement on b, for a caller that sends more with it.
func (s *Service) QueueTouch(b *pgx.Batch, recalled []Scored) {
	if len(recalled) > 0 {
		db.QueueTouchMemories(b, s.touch(recalled))
	}
}

func (s *Service) touch(recalled []Scored) db.TouchMemoriesParams {
	ids := make([]uuid.UUID, len(recalled))
	for i, sc := range recalled {
		ids[i] = sc.Memory.ID
	}
	return db.TouchMemoriesParams{Ids: ids, At: s.now()}
}

// rank loads the candidates and orders them by the weighted, normalised score.
func (s *Service) rank(ctx context.Context, hits []vectorstore.Hit, w Weights) ([]Scored, error) {
	if len(hits) == 0 {
		return []Scored{}, nil
	}
	ids := make([]uuid.UUID, len(hits))
	sim := make(map[uuid.UUID]float64, len(hits))
	for i, h := range hits {
		ids[i], sim[h.ID] = h.ID, float64(h.Score)
	}
	rows, err := s.byIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load recalled memories: %w", err)
	}
	now := s.now()
	out := make([]Scored, 0, len(rows))
	for _, m := range rows {
		hours := math.Max(0, now.Sub(m.LastAccessedAt).Hours())
		out = append(out, Scored{Memory: m, Recency: math.Pow(s.cfg.Decay, hours), Importance: m.Importance,
			Relevance: sim[m.ID], Similarity: sim[m.ID]})
	}
	normalise(out, func(sc *Scored) *float64 { return &sc.Recency })
	normalise(out, func(sc *Scored) *float64 { return &sc.Importance })
	normalise(out, func(sc *Scored) *float64 { return &sc.Relevance })
	for i := range out {
		sc := &out[i]
		sc.Score = w.Recency*sc.Recency + w.Importance*sc.Importance + w.Relevance*sc.Relevance
	}
	slices.SortStableFunc(out, func(a, b Scored) int {
		switch {
		case a.Score > b.Score:
			return -1
		case a.Score < b.Score:
			return 1
		}
		return b.Memory.CreatedAt.Compare(a.Memory.CreatedAt)
	})
	return out, nil
}

// normalise rescales one part of the scores to 0..1 over the candidates (min-max). When
// all candidates are equal in it, the part tells them nothing apart and counts 1 for each.
func normalise(out []Scored, part func(*Scored) *float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for i := range out {
		v := *part(&out[i])
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	for i := range out {
		p := part(&out[i])
		if hi-lo < 1e-12 {
			*p = 1
			continue
		}
		*p = (*p - lo) / (hi - lo)
	}
}

// Search returns the topK memories of an ecosystem nearest in meaning to query
// (approximate), with their similarity.
func (s *Service) Search(ctx context.Context, viewer auth.Identity, ecosystemID uuid.UUID, query string, topK int) ([]Scored, error) {
	if err := checkTopK(topK); err != nil {
		return nil, err
	}
	if err := checkQuery(query); err != nil {
		return nil, err
	}
	if _, err := ecosystems.Find(ctx, s.q, viewer, ecosystemID); err != nil {
		return nil, err
	}
	vec, err := s.vector(ctx, query)
	if err != nil {
		return nil, err
	}
	hits, err := s.vectors.Search(ctx, ecosystemID, vec, topK)
	if err != nil {
		return nil, fmt.Errorf("search memories of ecosystem %s: %w", ecosystemID, err)
	}
	ids := make([]uuid.UUID, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	rows, err := s.byIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load found memories: %w", err)
	}
	byID := make(map[uuid.UUID]*Memory, len(rows))
	for _, m := range rows {
		byID[m.ID] = m
	}
	out := make([]Scored, 0, len(hits))
	for _, h := range hits {
		if m, ok := byID[h.ID]; ok {
			out = append(out, Scored{Memory: m, Score: float64(h.Score), Relevance: float64(h.Score), Similarity: float64(h.Score)})
		}
	}
	return out, nil
}

// MaxBatch bounds one AddMany call.
const MaxBatch = 10000

// embedBatch is how many texts go to the embedder at once.
const embedBatch = 256

// AddMany stores many memories of one character in one transaction (a book's quotes, an
// import), embedding them in batches and writing them with COPY. It announces one
// memory.changed event for the batch rather than one per memory.
func (s *Service) AddMany(ctx context.Context, viewer auth.Identity, characterID uuid.UUID, ins []Input) (int, error) {
	if len(ins) == 0 {
		return 0, nil
	}
	if len(ins) > MaxBatch {
		return 0, errs.Invalid("input", "at most %d memories at once", MaxBatch)
	}
	for i, in := range ins {
		if err := in.validate(); err != nil {
			var invalid *errs.InvalidError
			if errors.As(err, &invalid) {
				return 0, errs.Invalid(fmt.Sprintf("input.%d.%s", i, invalid.Field[len("input."):]), "%s", invalid.Message)
			}
			return 0, err
		}
	}
	c, err := characters.Find(ctx, s.q, viewer, characterID)
	if err != nil {
		return 0, err
	}
	rows := make([]db.InsertMemoriesParams, len(ins))
	items := make([]vectorstore.Item, len(ins))
	for start := 0; start < len(ins); start += embedBatch {
		end := min(start+embedBatch, len(ins))
		texts := make([]string, end-start)
		for i := range texts {
			texts[i] = ins[start+i].Content
		}
		vecs, err := s.embedAll(ctx, texts)
		if err != nil {
			return 0, err
		}
		for i, v := range vecs {
			in := ins[start+i]
			importance := ScoreImportance(in.Type, in.Content)
			if in.Importance != nil {
				importance = *in.Importance
			}
			id := uuid.New()
			rows[start+i] = db.InsertMemoriesParams{
				ID: id, CharacterID: characterID, EcosystemID: c.EcosystemID, Content: in.Content, Type: string(in.Type),
				Importance: importance, Embedding: embedded.Encode(v), EmbeddingModel: s.embed.Model(),
				SourceDocumentID: in.SourceDocumentID,
			}
			items[start+i] = vectorstore.Item{ID: id, Character: characterID, Vector: v,
				Type: string(in.Type), Importance: importance, CreatedAt: s.now()}
		}
	}
	err = events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, box *events.Outbox) error {
		if _, err := q.InsertMemories(ctx, rows); err != nil {
			return fmt.Errorf("store memories: %w", err)
		}
		debt := db.AddReflectionDebtParams{CharacterID: characterID}
		for _, r := range rows {
			if r.Type == string(Reflection) {
				debt.Reset = true
			}
			debt.Importance += r.Importance
		}
		sum, err := q.AddReflectionDebt(ctx, debt)
		if err != nil {
			return fmt.Errorf("importance since reflection: %w", err)
		}
		if err := s.reflectIfDue(ctx, box.Tx(), characterID, sum); err != nil {
			return err
		}
		return box.Append(c.EcosystemID, events.MemoryChanged, ImportPayload{
			Op: events.OpImport, CharacterID: characterID, Count: len(rows),
		})
	})
	if err != nil {
		return 0, err
	}
	if err := s.vectors.Upsert(ctx, c.EcosystemID, items...); err != nil {
		return 0, fmt.Errorf("index memories: %w", err)
	}
	return len(rows), nil
}

// ImportPayload is the payload of memory.changed for a batch.
type ImportPayload struct {
	Op          string    `json:"op"`
	CharacterID uuid.UUID `json:"characterId"`
	Count       int       `json:"count"`
}

// RemembersMessage reports whether a character has a memory formed from a message.
func (s *Service) RemembersMessage(ctx context.Context, characterID, messageID uuid.UUID) (bool, error) {
	ok, err := s.q.HasMemoryOfMessage(ctx, db.HasMemoryOfMessageParams{CharacterID: characterID, SourceMessageID: &messageID})
	if err != nil {
		return false, fmt.Errorf("look up memory of message %s: %w", messageID, err)
	}
	return ok, nil
}
