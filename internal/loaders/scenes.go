package loaders

import (
	"context"

	"github.com/google/uuid"
	"github.com/graph-gophers/dataloader/v7"
)

// batchOf adapts a map-returning lookup whose missing keys are no error (a conversation
// without a scene, a line that changed nothing) to a batch function: the zero value for
// a key the lookup did not return.
func batchOf[V any](load func(context.Context, []uuid.UUID) (map[uuid.UUID]V, error)) dataloader.BatchFunc[uuid.UUID, V] {
	return func(ctx context.Context, keys []uuid.UUID) []*dataloader.Result[V] {
		got, err := load(ctx, keys)
		return results(keys, got, err)
	}
}
