package memories

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/vectorstore"
	"github.com/literaryai/ensemble/internal/vectorstore/embedded"
	"github.com/literaryai/ensemble/internal/vectorstore/index"
)

// Enqueuer puts a job in a transaction (the River runner).
type Enqueuer interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) error
}

// ReflectArgs asks one character to reflect on what it remembers.
type ReflectArgs struct {
	CharacterID uuid.UUID `json:"character_id" river:"unique"`
}

// Kind names the job.
func (ReflectArgs) Kind() string { return "memories.reflect" }

// InsertOpts keeps one reflection waiting or running per character: a burst of memories
// crossing the threshold asks once.
func (ReflectArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateScheduled, rivertype.JobStateRetryable,
	}}}
}

// Reflection parameters of the offline (extractive) method.
const (
	// reflectOver is how many recent memories a reflection reads.
	reflectOver = 100
	// maxInsights is how many reflections one run may write (the paper asks for three).
	maxInsights = 3
	// distinct: a memory this similar to a chosen insight is part of it, not another one.
	distinct = 0.5
	// supporting: a memory this similar to an insight is one of its sources (hashed
	// n-gram vectors of related sentences are typically 0.1 to 0.4 apart).
	supporting = 0.1
	// maxSources bounds the sources cited by one reflection.
	maxSources = 8
	// summaryReflections is how many recent reflections make up the memory summary.
	summaryReflections = 5
	maxSummary         = 2000
)

// reflectIfDue enqueues a reflection, in the caller's transaction, when the importance
// gathered since the last one (sum) has crossed the threshold.
func (s *Service) reflectIfDue(ctx context.Context, tx pgx.Tx, characterID uuid.UUID, sum float64) error {
	if s.jobs == nil || sum < s.cfg.ReflectionThreshold {
		return nil
	}
	return s.jobs.InsertTx(ctx, tx, ReflectArgs{CharacterID: characterID}, nil)
}

// ReflectWorker runs reflections.
type ReflectWorker struct {
	river.WorkerDefaults[ReflectArgs]
	svc *Service
}

// NewReflectWorker returns the worker for reflection jobs.
func NewReflectWorker(svc *Service) *ReflectWorker { return &ReflectWorker{svc: svc} }

// Work reflects for one character.
func (w *ReflectWorker) Work(ctx context.Context, job *river.Job[ReflectArgs]) error {
	return w.svc.Reflect(ctx, job.Args.CharacterID)
}

type candidate struct {
	m   db.Memory
	vec []float32
}

func dot(a, b []float32) float64 { return float64(index.Dot(a, b)) }

// Reflect draws up to three insights from a character's memories since its last
// reflection, stores them as REFLECTION memories citing their sources, and renews the
// character's memory summary.
//
// Offline it is extractive: each memory is scored by its importance times how central
// it is (its mean similarity to the others: what keeps coming back); the best becomes an
// insight, memories close to it are set aside as its sources, and the next best of the
// rest becomes the next insight. An insight's text is the central memory, framed as what
// the character has come back to.
func (s *Service) Reflect(ctx context.Context, characterID uuid.UUID) error {
	rows, err := s.q.MemoriesSinceReflection(ctx, db.MemoriesSinceReflectionParams{CharacterID: characterID, MaxMemories: reflectOver})
	if err != nil {
		return fmt.Errorf("memories to reflect on: %w", err)
	}
	cands := make([]candidate, 0, len(rows))
	for _, r := range rows {
		if r.EmbeddingModel == s.embed.Model() {
			cands = append(cands, candidate{m: r, vec: embedded.Decode(r.Embedding)})
		}
	}
	if len(cands) < 2 {
		return nil
	}
	chosen := pickInsights(cands)
	char, err := s.q.GetCharacter(ctx, db.GetCharacterParams{ID: characterID})
	if err != nil {
		return fmt.Errorf("load character %s: %w", characterID, err)
	}
	var added []vectorstore.Item
	var ecosystem uuid.UUID
	err = events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, box *events.Outbox) error {
		for _, ins := range chosen {
			content := insightText(char.Name, ins.center.m.Content, len(ins.sources))
			vec, err := s.vector(ctx, content)
			if err != nil {
				return err
			}
			importance := 0.0
			ids := make([]uuid.UUID, len(ins.sources))
			for i, src := range ins.sources {
				importance = math.Max(importance, src.m.Importance)
				ids[i] = src.m.ID
			}
			r, err := q.CreateMemory(ctx, db.CreateMemoryParams{
				CharacterID: characterID, EcosystemID: char.EcosystemID, Content: content, Type: string(Reflection),
				Importance: math.Max(importance, baseImportance[Reflection]), Embedding: embedded.Encode(vec),
				EmbeddingModel: s.embed.Model(),
			})
			if err != nil {
				return fmt.Errorf("store reflection: %w", err)
			}
			if err := q.AddMemorySources(ctx, db.AddMemorySourcesParams{ReflectionID: r.ID, SourceIds: ids}); err != nil {
				return fmt.Errorf("store reflection sources: %w", err)
			}
			added = append(added, vectorstore.Item{ID: r.ID, Character: characterID, Vector: vec,
				Type: r.Type, Importance: r.Importance, CreatedAt: r.CreatedAt})
			ecosystem = r.EcosystemID
		}
		if err := s.renewSummary(ctx, q, box, characterID); err != nil {
			return err
		}
		for _, it := range added {
			if err := box.Append(ecosystem, events.MemoryChanged, MemoryPayload{
				Op: events.OpUpsert, ID: it.ID, CharacterID: characterID, Type: Reflection, Importance: it.Importance,
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.vectors.Upsert(ctx, ecosystem, added...)
}

type insight struct {
	center  candidate
	sources []candidate
}

// pickInsights chooses up to maxInsights central, important, mutually distinct memories
// and the memories that support each.
func pickInsights(cands []candidate) []insight {
	n := len(cands)
	score := make([]float64, n)
	for i := range cands {
		var sum float64
		for j := range cands {
			if i != j {
				sum += dot(cands[i].vec, cands[j].vec)
			}
		}
		score[i] = cands[i].m.Importance * (1 + sum/float64(n-1))
	}
	used := make([]bool, n)
	var out []insight
	for len(out) < maxInsights {
		best := -1
		for i := range cands {
			if !used[i] && (best < 0 || score[i] > score[best]) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		ins := insight{center: cands[best], sources: []candidate{cands[best]}}
		used[best] = true
		type near struct {
			i   int
			sim float64
		}
		var close []near
		for j := range cands {
			if sim := dot(cands[best].vec, cands[j].vec); !used[j] && sim >= supporting {
				close = append(close, near{j, sim})
			}
		}
		slices.SortFunc(close, func(a, b near) int {
			if a.sim > b.sim {
				return -1
			}
			if a.sim < b.sim {
				return 1
			}
			return 0
		})
		if len(close) == 0 {
			// Every insight cites evidence beyond itself: at least its nearest memory.
			if j := nearest(cands, best); j >= 0 {
				close = append(close, near{j, dot(cands[best].vec, cands[j].vec)})
			}
		}
		for _, c := range close {
			if len(ins.sources) < maxSources {
				ins.sources = append(ins.sources, cands[c.i])
			}
			if c.sim >= distinct {
				used[c.i] = true
			}
		}
		out = append(out, ins)
	}
	return out
}

// nearest is the candidate most similar to cands[i], other than itself.
func nearest(cands []candidate, i int) int {
	best, bestSim := -1, math.Inf(-1)
	for j := range cands {
		if j == i {
			continue
		}
		if sim := dot(cands[i].vec, cands[j].vec); sim > bestSim {
			best, bestSim = j, sim
		}
	}
	return best
}

// insightText frames a central memory as a reflection.
func insightText(name, central string, sources int) string {
	central = strings.TrimSpace(central)
	if utf8.RuneCountInString(central) > 1000 {
		central = string([]rune(central)[:1000]) + "…"
	}
	return fmt.Sprintf("%s keeps coming back to this (drawn from %d memories): %s", name, sources, central)
}

// renewSummary rewrites the character's memory summary from its latest reflections.
func (s *Service) renewSummary(ctx context.Context, q *db.Queries, box *events.Outbox, characterID uuid.UUID) error {
	refl, err := q.RecentReflections(ctx, db.RecentReflectionsParams{CharacterID: characterID, MaxMemories: summaryReflections})
	if err != nil {
		return fmt.Errorf("recent reflections: %w", err)
	}
	var b strings.Builder
	for _, r := range refl {
		line := "- " + r.Content + "\n"
		if b.Len()+len(line) > maxSummary {
			break
		}
		b.WriteString(line)
	}
	c, err := q.SetMemorySummary(ctx, db.SetMemorySummaryParams{ID: characterID, MemorySummary: strings.TrimSpace(b.String())})
	if err != nil {
		return fmt.Errorf("set memory summary: %w", err)
	}
	return characters.RecordChange(box, events.OpUpsert, c)
}
