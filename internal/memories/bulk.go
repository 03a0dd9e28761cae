package memories

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/vectorstore"
)

// Embeddings embeds the contents of memories that another package stores with its own
// statements (an ecosystem import, which keeps their timestamps), in the embedder's
// batches and checked as for any memory. It returns one vector per text and the model
// that made them.
func (s *Service) Embeddings(ctx context.Context, texts []string) ([][]float32, string, error) {
	out := make([][]float32, 0, len(texts))
	for start := 0; start < len(texts); start += embedBatch {
		vecs, err := s.embedAll(ctx, texts[start:min(start+embedBatch, len(texts))])
		if err != nil {
			return nil, "", err
		}
		out = append(out, vecs...)
	}
	return out, s.embed.Model(), nil
}

// IndexAll adds memories that another package's transaction stored, once committed, to
// the vector index.
func (s *Service) IndexAll(ctx context.Context, ecosystemID uuid.UUID, items []vectorstore.Item) error {
	if len(items) == 0 {
		return nil
	}
	if err := s.vectors.Upsert(ctx, ecosystemID, items...); err != nil {
		return fmt.Errorf("index %d memories: %w", len(items), err)
	}
	return nil
}
