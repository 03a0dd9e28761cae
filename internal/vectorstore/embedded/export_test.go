package embedded

import (
	"context"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/vectorstore"
)

// Exact is a brute-force search over a loaded ecosystem, for measuring the approximate
// search's recall.
func (s *Store) Exact(ctx context.Context, ecosystem uuid.UUID, q []float32, k int) ([]vectorstore.Hit, error) {
	idx, err := s.index(ctx, ecosystem)
	if err != nil {
		return nil, err
	}
	return idx.Exact(q, k), nil
}
