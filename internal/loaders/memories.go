package loaders

import (
	"context"

	"github.com/google/uuid"
	"github.com/graph-gophers/dataloader/v7"

	"github.com/literaryai/ensemble/internal/memories"
)

func memorySources(svc *memories.Service) dataloader.BatchFunc[uuid.UUID, []*memories.Memory] {
	return func(ctx context.Context, keys []uuid.UUID) []*dataloader.Result[[]*memories.Memory] {
		got, err := svc.SourcesOf(ctx, keys)
		return results(keys, got, err)
	}
}
