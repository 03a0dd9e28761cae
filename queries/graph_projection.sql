-- name: ListCharacterNodesPage :many
-- For the Neo4j projection (internal/graphstore/neo4j): the graph-relevant columns of
-- every character, one page at a time in id order, so a full rebuild streams the table
-- within one snapshot instead of loading it whole.
SELECT id, ecosystem_id, name, current_emotion, is_active FROM characters
WHERE id > @after_id
ORDER BY id
LIMIT @page_size;

-- name: ListRelationshipEdgesPage :many
-- The graph-relevant columns of every relationship, one page at a time in id order.
SELECT id, from_id, to_id, type, label, strength, trust, familiarity FROM relationships
WHERE id > @after_id
ORDER BY id
LIMIT @page_size;

-- name: TryProjectorLock :one
-- A session advisory lock that only one projector (or rebuild) holds at a time; true when
-- taken. It is released by ReleaseProjectorLock or when the session ends.
SELECT pg_try_advisory_lock(@key::bigint);

-- name: WaitProjectorLock :exec
-- The same lock, waiting until it is free (a rebuild waits for a running pass).
SELECT pg_advisory_lock(@key::bigint);

-- name: ReleaseProjectorLock :one
SELECT pg_advisory_unlock(@key::bigint);
