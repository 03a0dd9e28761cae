package memories

import (
	"context"
	"fmt"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/vectorstore/embedded"
)

// Reembed recomputes the embeddings made by another model than the current embedder's
// (after EMBEDDINGS_MODEL changes, say), a batch per transaction, and returns how many it
// rewrote. Indexes pick the new vectors up when they next load.
func (s *Service) Reembed(ctx context.Context, progress func(done int)) (int, error) {
	done := 0
	for {
		rows, err := s.q.ListStaleMemories(ctx, db.ListStaleMemoriesParams{Model: s.embed.Model(), MaxMemories: embedBatch})
		if err != nil {
			return done, fmt.Errorf("list stale memories: %w", err)
		}
		if len(rows) == 0 {
			return done, nil
		}
		texts := make([]string, len(rows))
		for i, r := range rows {
			texts[i] = r.Content
		}
		vecs, err := s.embedAll(ctx, texts)
		if err != nil {
			return done, err
		}
		tx, err := s.pool.Begin(ctx)
		if err != nil {
			return done, fmt.Errorf("begin: %w", err)
		}
		q := s.q.WithTx(tx)
		for i, r := range rows {
			if err := q.SetMemoryEmbedding(ctx, db.SetMemoryEmbeddingParams{ID: r.ID, Embedding: embedded.Encode(vecs[i]), EmbeddingModel: s.embed.Model()}); err != nil {
				_ = tx.Rollback(ctx)
				return done, fmt.Errorf("store embedding of memory %s: %w", r.ID, err)
			}
		}
		if err := tx.Commit(ctx); err != nil {
			return done, fmt.Errorf("commit: %w", err)
		}
		done += len(rows)
		if progress != nil {
			progress(done)
		}
	}
}
