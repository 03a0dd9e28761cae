package neo4j

import (
	"context"
	"fmt"
	"math"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/db"
)

// ReindexBatchSize is how many characters, or relationships, one write transaction of a
// rebuild carries.
const ReindexBatchSize = 5000

// Reindex rebuilds the whole projection from PostgreSQL: it wipes the graph, writes every
// character and then every relationship as they stand in one snapshot, and moves the
// projector's offset to just before the oldest transaction that snapshot could not see.
// Events of older transactions are all reflected in the snapshot and are skipped; events
// from that transaction on are replayed, a few needlessly, which is harmless since the
// projector writes current state.
//
// It holds the projector lock throughout, waiting for a running pass to finish, so no
// pass interleaves with the rebuild (a pass could otherwise store an offset past changes
// the rebuild then overwrote with its older snapshot). Queries served meanwhile see a
// partial graph.
func Reindex(ctx context.Context, pool *pgxpool.Pool, store *Store) error {
	_, err := withProjectorLock(ctx, pool, true, func(conn *pgxpool.Conn) error {
		var xmin int64
		err := pgx.BeginTxFunc(ctx, conn, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
			q := db.New(tx)
			// The first statement fixes the transaction's snapshot, so xmin is that of
			// the snapshot every page below is read from.
			var err error
			if xmin, err = q.SnapshotXmin(ctx); err != nil {
				return fmt.Errorf("snapshot xmin: %w", err)
			}
			if err := store.wipe(ctx, ReindexBatchSize); err != nil {
				return err
			}
			if err := eachCharacterPage(ctx, q, ReindexBatchSize, store.upsertCharacters); err != nil {
				return err
			}
			return eachRelationshipPage(ctx, q, ReindexBatchSize, store.upsertRelationships)
		})
		if err != nil {
			return err
		}
		if err := db.New(conn).SetProjectorOffset(ctx, db.SetProjectorOffsetParams{
			Name: ProjectorName, LastTxid: xmin - 1, LastEventID: math.MaxInt64,
		}); err != nil {
			return fmt.Errorf("store offset: %w", err)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("neo4j reindex: %w", err)
	}
	return nil
}

// eachCharacterPage hands every character to fn, size at a time, in id order.
func eachCharacterPage(ctx context.Context, q *db.Queries, size int, fn func(context.Context, []characterNode) error) error {
	after := uuid.Nil
	for {
		rows, err := q.ListCharacterNodesPage(ctx, db.ListCharacterNodesPageParams{AfterID: after, PageSize: int32(size)})
		if err != nil {
			return fmt.Errorf("read characters after %s: %w", after, err)
		}
		if len(rows) == 0 {
			return nil
		}
		nodes := make([]characterNode, len(rows))
		for i, r := range rows {
			nodes[i] = characterNode{ID: r.ID, EcosystemID: r.EcosystemID, Name: r.Name,
				CurrentEmotion: r.CurrentEmotion, IsActive: r.IsActive}
		}
		if err := fn(ctx, nodes); err != nil {
			return err
		}
		if len(rows) < size {
			return nil
		}
		after = rows[len(rows)-1].ID
	}
}

// eachRelationshipPage hands every relationship to fn, size at a time, in id order.
func eachRelationshipPage(ctx context.Context, q *db.Queries, size int, fn func(context.Context, []relationshipEdge) error) error {
	after := uuid.Nil
	for {
		rows, err := q.ListRelationshipEdgesPage(ctx, db.ListRelationshipEdgesPageParams{AfterID: after, PageSize: int32(size)})
		if err != nil {
			return fmt.Errorf("read relationships after %s: %w", after, err)
		}
		if len(rows) == 0 {
			return nil
		}
		edges := make([]relationshipEdge, len(rows))
		for i, r := range rows {
			edges[i] = relationshipEdge{ID: r.ID, From: r.FromID, To: r.ToID, Type: r.Type, Label: r.Label,
				Strength: r.Strength, Trust: r.Trust, Familiarity: r.Familiarity}
		}
		if err := fn(ctx, edges); err != nil {
			return err
		}
		if len(rows) < size {
			return nil
		}
		after = rows[len(rows)-1].ID
	}
}
