-- name: AppendEvents :many
-- Writes a transaction's events of one ecosystem, numbered in order from the ecosystem's
-- next event number, taken under its row lock (held to commit) so numbers follow commit
-- order; graph_changed also tells graph caches the ecosystem's graph is stale. An
-- ecosystem deleted in this transaction leaves seq NULL. Ids follow the order of the
-- topics too; the caller has the rest of each event.
WITH next AS (
    UPDATE ecosystems
    SET event_seq = event_seq + cardinality(@topics::text[]),
        graph_version = graph_version + CASE WHEN @graph_changed::boolean THEN 1 ELSE 0 END
    WHERE id = @ecosystem_id
    RETURNING event_seq
)
INSERT INTO events (ecosystem_id, topic, payload, seq)
SELECT @ecosystem_id::uuid, t.topic, p.payload, (SELECT event_seq FROM next) - cardinality(@topics::text[]) + t.n
FROM unnest(@topics::text[]) WITH ORDINALITY AS t (topic, n)
JOIN unnest(@payloads::jsonb[]) WITH ORDINALITY AS p (payload, n) ON p.n = t.n
ORDER BY t.n
RETURNING id, at, seq;

-- name: ListEcosystemEvents :many
-- An ecosystem's events after a number, in order, for subscriptions resuming from a cursor.
SELECT * FROM events
WHERE ecosystem_id = @ecosystem_id AND seq > @after_seq AND topic = ANY(@topics::text[])
ORDER BY seq
LIMIT @max_events;

-- name: EcosystemEventSeq :one
-- The last event number handed out in an ecosystem: where a live-only subscription starts.
SELECT event_seq FROM ecosystems WHERE id = @id;

-- name: ListSettledEvents :many
-- The outbox in (txid, id) order after a position, for projections: only events of
-- transactions older than every running one, which no later commit can precede.
SELECT * FROM events
WHERE (txid, id) > (@after_txid::bigint, @after_id::bigint)
  AND txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint
  AND topic = ANY(@topics::text[])
ORDER BY txid, id
LIMIT @max_events;

-- name: SnapshotXmin :one
-- The oldest transaction still running: a projection rebuilt from the tables in this
-- snapshot has seen every event of older transactions.
SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint;

-- name: GetProjectorOffset :one
SELECT last_txid, last_event_id FROM projector_offsets WHERE name = @name;

-- name: SetProjectorOffset :exec
INSERT INTO projector_offsets (name, last_txid, last_event_id, updated_at)
VALUES (@name, @last_txid, @last_event_id, now())
ON CONFLICT (name) DO UPDATE
SET last_txid = excluded.last_txid, last_event_id = excluded.last_event_id, updated_at = now();

-- name: GetGraphVersion :one
SELECT graph_version FROM ecosystems WHERE id = @id;

-- name: OldestEventAt :one
-- When the oldest event was written (no row: none), so a prune that has nothing to do
-- stops after one index probe.
SELECT at FROM events ORDER BY id LIMIT 1;

-- name: PruneEvents :one
-- Deletes up to max_events events older than before, oldest first, except those a
-- projection has not read yet, and records in each ecosystem the last number pruned.
-- Returns how many were deleted.
WITH old AS (
    SELECT e.id FROM events e
    WHERE e.at < @before
      AND NOT EXISTS (SELECT 1 FROM projector_offsets p WHERE (e.txid, e.id) > (p.last_txid, p.last_event_id))
    ORDER BY e.id
    LIMIT @max_events
), gone AS (
    DELETE FROM events e USING old WHERE e.id = old.id
    RETURNING e.ecosystem_id, e.seq
), marked AS (
    UPDATE ecosystems x SET events_pruned_seq = greatest(x.events_pruned_seq, g.last_seq)
    FROM (SELECT ecosystem_id, max(seq) AS last_seq FROM gone WHERE seq IS NOT NULL GROUP BY ecosystem_id) g
    WHERE x.id = g.ecosystem_id
    RETURNING x.id
)
SELECT count(*) FROM gone;
