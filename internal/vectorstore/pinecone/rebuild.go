package pinecone

import (
	"bytes"
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/vectorstore"
	"github.com/literaryai/ensemble/internal/vectorstore/embedded"
)

// Target is what Rebuild writes to: a *Store, or in tests a recorder, so that the paging
// over PostgreSQL is tested without Pinecone.
type Target interface {
	DeleteEcosystem(ctx context.Context, ecosystem uuid.UUID) error
	Upsert(ctx context.Context, ecosystem uuid.UUID, items ...vectorstore.Item) error
}

// rebuildSizes bounds a rebuild's work: rows read per query, vectors written per
// ecosystem at once, and vectors held in memory over all ecosystems.
type rebuildSizes struct {
	page, flush, buffer int
}

// defaultRebuildSizes fills Pinecone's 1000-vector requests and holds at most about 60 MB
// of 1536-dimension vectors.
var defaultRebuildSizes = rebuildSizes{page: 1000, flush: maxUpsertVectors, buffer: 10 * maxUpsertVectors}

// Rebuild makes the index hold exactly the memory vectors of the given embedding model
// that PostgreSQL holds: it clears the namespace of every ecosystem (so vectors of
// deleted memories go too), then streams the memories in primary-key order and writes
// them. progress, if not nil, is called with the number of vectors written so far after
// each write.
//
// Memories stream in key order, not ecosystem by ecosystem, because that order is an
// index range scan however large the table is; vectors are gathered per ecosystem so
// that each write is a full request. Searches of an ecosystem return fewer results until
// its vectors are written. A memory deleted while the rebuild runs may be written after
// its deletion and linger until the next rebuild. Namespaces of ecosystems no longer in
// PostgreSQL are left alone: the index may be shared, and only ecosystems known here are
// this database's.
func Rebuild(ctx context.Context, pool *pgxpool.Pool, target Target, model string, progress func(n int)) error {
	return rebuild(ctx, db.New(pool), target, model, progress, defaultRebuildSizes)
}

func rebuild(ctx context.Context, q *db.Queries, target Target, model string, progress func(n int), sizes rebuildSizes) error {
	if err := clearEcosystems(ctx, q, target, sizes.page); err != nil {
		return err
	}
	w := &rebuildWriter{target: target, progress: progress, pending: map[uuid.UUID][]vectorstore.Item{}}
	after := uuid.Nil
	for {
		rows, err := q.ListMemoryVectorsPage(ctx, db.ListMemoryVectorsPageParams{
			EmbeddingModel: model, AfterID: after, PageSize: int32(sizes.page)})
		if err != nil {
			return fmt.Errorf("pinecone rebuild: list memory vectors after %s: %w", after, err)
		}
		for _, r := range rows {
			eco := r.EcosystemID
			w.pending[eco] = append(w.pending[eco], vectorstore.Item{ID: r.ID, Character: r.CharacterID,
				Vector: embedded.Decode(r.Embedding), Type: r.Type, Importance: r.Importance, CreatedAt: r.CreatedAt})
			w.held++
			if len(w.pending[eco]) >= sizes.flush {
				if err := w.write(ctx, eco); err != nil {
					return err
				}
			}
		}
		if w.held >= sizes.buffer || len(rows) < sizes.page {
			if err := w.writeAll(ctx); err != nil {
				return err
			}
		}
		if len(rows) < sizes.page {
			return nil
		}
		after = rows[len(rows)-1].ID
	}
}

// clearEcosystems deletes the vectors of every ecosystem in PostgreSQL.
func clearEcosystems(ctx context.Context, q *db.Queries, target Target, page int) error {
	after := uuid.Nil
	for {
		ids, err := q.ListEcosystemIDsPage(ctx, db.ListEcosystemIDsPageParams{AfterID: after, PageSize: int32(page)})
		if err != nil {
			return fmt.Errorf("pinecone rebuild: list ecosystems after %s: %w", after, err)
		}
		for _, id := range ids {
			if err := target.DeleteEcosystem(ctx, id); err != nil {
				return fmt.Errorf("pinecone rebuild: clear ecosystem %s: %w", id, err)
			}
		}
		if len(ids) < page {
			return nil
		}
		after = ids[len(ids)-1]
	}
}

// rebuildWriter holds the vectors read but not yet written, per ecosystem.
type rebuildWriter struct {
	target   Target
	progress func(n int)
	pending  map[uuid.UUID][]vectorstore.Item
	held     int // vectors in pending
	written  int
}

// write writes the pending vectors of one ecosystem.
func (w *rebuildWriter) write(ctx context.Context, eco uuid.UUID) error {
	items := w.pending[eco]
	if err := w.target.Upsert(ctx, eco, items...); err != nil {
		return fmt.Errorf("pinecone rebuild: write %d vectors of ecosystem %s: %w", len(items), eco, err)
	}
	delete(w.pending, eco)
	w.held -= len(items)
	w.written += len(items)
	if w.progress != nil {
		w.progress(w.written)
	}
	return nil
}

// writeAll writes every pending vector, ecosystem by ecosystem in id order, so that a
// rebuild's requests are the same from run to run.
func (w *rebuildWriter) writeAll(ctx context.Context) error {
	ecos := make([]uuid.UUID, 0, len(w.pending))
	for eco := range w.pending {
		ecos = append(ecos, eco)
	}
	slices.SortFunc(ecos, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	for _, eco := range ecos {
		if err := w.write(ctx, eco); err != nil {
			return err
		}
	}
	return nil
}
