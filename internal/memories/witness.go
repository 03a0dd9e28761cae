package memories

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/vectorstore"
	"github.com/literaryai/ensemble/internal/vectorstore/embedded"
)

// Witness is the memory one character forms of a message it witnessed: a scene's line,
// or the narrator's, told from that character's point of view.
type Witness struct {
	CharacterID uuid.UUID
	Input       Input
}

// Witnessed are witnesses' memories validated, scored and embedded (in one call to the
// embedder), ready to be stored in a transaction of the caller's.
type Witnessed struct {
	of []Witness
	p  []*Prepared
}

// PrepareWitnessed validates, scores and embeds the memories of several characters.
func (s *Service) PrepareWitnessed(ctx context.Context, ws []Witness) (*Witnessed, error) {
	texts := make([]string, len(ws))
	for i, w := range ws {
		if err := w.Input.validate(); err != nil {
			return nil, err
		}
		texts[i] = w.Input.Content
	}
	out := &Witnessed{of: ws, p: make([]*Prepared, len(ws))}
	if len(ws) == 0 {
		return out, nil
	}
	vecs, err := s.embedAll(ctx, texts)
	if err != nil {
		return nil, err
	}
	for i, w := range ws {
		importance := ScoreImportance(w.Input.Type, w.Input.Content)
		if w.Input.Importance != nil {
			importance = *w.Input.Importance
		}
		out.p[i] = &Prepared{in: w.Input, importance: importance, vec: vecs[i]}
	}
	return out, nil
}

// Stored are witnesses' memories once stored, for IndexWitnessed.
type Stored struct {
	items       []vectorstore.Item
	ecosystemID uuid.UUID
}

// AddWitnessedTx stores prepared memories of one message (nil: of none) in the caller's transaction,
// in one statement, enqueues the reflections that are due, and records the changes. The
// caller holds the characters' locks and has checked they may be written to. Only the
// characters in keep (nil: all) are written: a character that left meanwhile is skipped.
func (s *Service) AddWitnessedTx(ctx context.Context, box *events.Outbox, ecosystemID uuid.UUID, messageID *uuid.UUID, w *Witnessed, keep func(uuid.UUID) bool) (*Stored, error) {
	b := &pgx.Batch{}
	p := s.QueueWitnessed(b, ecosystemID, messageID, w, keep)
	if b.Len() > 0 {
		if err := box.Tx().SendBatch(ctx, b).Close(); err != nil {
			return nil, fmt.Errorf("store witnessed memories: %w", err)
		}
	}
	return p.Finish(ctx, box)
}

// QueueWitnessed queues AddWitnessedTx's statement on b, for a caller that sends more
// with it in one round trip; Finish does the rest once b has run.
func (s *Service) QueueWitnessed(b *pgx.Batch, ecosystemID uuid.UUID, messageID *uuid.UUID, w *Witnessed, keep func(uuid.UUID) bool) *PendingWitnessed {
	pw := &PendingWitnessed{s: s, ecosystemID: ecosystemID, vecs: map[uuid.UUID][]float32{}}
	p := db.AddSceneMemoriesParams{EcosystemID: ecosystemID, EmbeddingModel: s.embed.Model(), SourceMessageID: messageID}
	for i, wt := range w.of {
		if keep != nil && !keep(wt.CharacterID) {
			continue
		}
		pr := w.p[i]
		p.CharacterIds = append(p.CharacterIds, wt.CharacterID)
		p.Contents = append(p.Contents, pr.in.Content)
		p.Types = append(p.Types, string(pr.in.Type))
		p.Importances = append(p.Importances, pr.importance)
		p.Embeddings = append(p.Embeddings, embedded.Encode(pr.vec))
		pw.vecs[wt.CharacterID] = pr.vec
	}
	if len(p.CharacterIds) > 0 {
		db.QueueAddSceneMemories(b, p, func(rows []db.AddSceneMemoriesRow) error {
			pw.rows = rows
			return nil
		})
	}
	return pw
}

// PendingWitnessed are witnessed memories queued by QueueWitnessed.
type PendingWitnessed struct {
	s           *Service
	ecosystemID uuid.UUID
	vecs        map[uuid.UUID][]float32
	rows        []db.AddSceneMemoriesRow
}

// Finish enqueues the reflections that are due and records the changes, in box's
// transaction, after the batch of QueueWitnessed has run.
func (pw *PendingWitnessed) Finish(ctx context.Context, box *events.Outbox) (*Stored, error) {
	st := &Stored{ecosystemID: pw.ecosystemID}
	for _, r := range pw.rows {
		if err := pw.s.reflectIfDue(ctx, box.Tx(), r.CharacterID, r.SinceReflection); err != nil {
			return nil, err
		}
		st.items = append(st.items, vectorstore.Item{ID: r.ID, Character: r.CharacterID, Vector: pw.vecs[r.CharacterID],
			Type: r.Type, Importance: r.Importance, CreatedAt: r.CreatedAt})
		if err := box.Append(pw.ecosystemID, events.MemoryChanged, MemoryPayload{
			Op: events.OpUpsert, ID: r.ID, CharacterID: r.CharacterID, Type: Type(r.Type), Importance: r.Importance,
		}); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// IndexWitnessed adds memories stored by AddWitnessedTx, once committed, to the vector
// index.
func (s *Service) IndexWitnessed(ctx context.Context, st *Stored) error {
	if st == nil || len(st.items) == 0 {
		return nil
	}
	if err := s.vectors.Upsert(ctx, st.ecosystemID, st.items...); err != nil {
		return fmt.Errorf("index witnessed memories: %w", err)
	}
	return nil
}
