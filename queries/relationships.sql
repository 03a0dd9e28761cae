-- Relationships belong to their ecosystem's owner; owner filters take NULL for admins.

-- name: CreateRelationship :one
INSERT INTO relationships (ecosystem_id, from_id, to_id, type, label, strength, trust, familiarity, notes, since)
VALUES (@ecosystem_id, @from_id, @to_id, @type, @label, @strength, @trust, @familiarity, @notes, @since)
RETURNING *;

-- name: GetRelationship :one
SELECT r.* FROM relationships r
JOIN ecosystems e ON e.id = r.ecosystem_id
WHERE r.id = @id AND (sqlc.narg('owner_id')::uuid IS NULL OR e.owner_id = sqlc.narg('owner_id'));

-- name: GetRelationshipForUpdate :one
SELECT r.* FROM relationships r
JOIN ecosystems e ON e.id = r.ecosystem_id
WHERE r.id = @id AND (sqlc.narg('owner_id')::uuid IS NULL OR e.owner_id = sqlc.narg('owner_id'))
FOR UPDATE OF r;

-- name: UpdateRelationship :one
UPDATE relationships SET
    type = @type, label = @label, strength = @strength, trust = @trust,
    familiarity = @familiarity, notes = @notes, since = @since, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: DeleteRelationship :exec
DELETE FROM relationships WHERE id = @id;

-- name: ListRelationshipsByIDs :many
SELECT * FROM relationships WHERE id = ANY(@ids::uuid[]);

-- name: ListRelationshipsBetween :many
SELECT * FROM relationships
WHERE (from_id = @a AND to_id = @b) OR (from_id = @b AND to_id = @a)
ORDER BY created_at, id;

-- name: ListEcosystemRelationships :many
-- Oldest first, as RelationshipsAsOf, so a map lists its edges the same way every time.
SELECT * FROM relationships WHERE ecosystem_id = @ecosystem_id ORDER BY created_at, id;

-- name: ListEcosystemCharacterNodes :many
-- The characters of an ecosystem as graph nodes, oldest first: a map's nodes keep their
-- places (and a drawing its layout) as characters change.
SELECT id, name, current_emotion, is_active, created_at FROM characters WHERE ecosystem_id = @ecosystem_id
ORDER BY created_at, id;

-- name: ListRelationshipsOfCharacters :many
-- One page of relationships for each of several characters in one round trip (the
-- character.relationships loader and the planner). direction is OUTGOING, INCOMING or
-- BOTH. Each direction is read in index order up to the page's end and the two are
-- merged: an OR of the two would read and sort every relationship of a character.
SELECT c.id::uuid AS character_id, r.* FROM unnest(@character_ids::uuid[]) AS c (id)
CROSS JOIN LATERAL (
    (SELECT * FROM relationships rel
     WHERE @direction::text IN ('OUTGOING', 'BOTH') AND rel.from_id = c.id
       AND (cardinality(@types::text[]) = 0 OR rel.type = ANY(@types::text[]))
       AND (sqlc.narg('min_strength')::double precision IS NULL OR rel.strength >= sqlc.narg('min_strength'))
       AND (sqlc.narg('max_strength')::double precision IS NULL OR rel.strength <= sqlc.narg('max_strength'))
       AND (sqlc.narg('after_created_at')::timestamptz IS NULL
            OR (rel.created_at, rel.id) > (sqlc.narg('after_created_at')::timestamptz, sqlc.narg('after_id')::uuid))
     ORDER BY rel.created_at, rel.id
     LIMIT @page_limit)
    UNION ALL
    (SELECT * FROM relationships rel
     WHERE @direction::text IN ('INCOMING', 'BOTH') AND rel.to_id = c.id
       AND (cardinality(@types::text[]) = 0 OR rel.type = ANY(@types::text[]))
       AND (sqlc.narg('min_strength')::double precision IS NULL OR rel.strength >= sqlc.narg('min_strength'))
       AND (sqlc.narg('max_strength')::double precision IS NULL OR rel.strength <= sqlc.narg('max_strength'))
       AND (sqlc.narg('after_created_at')::timestamptz IS NULL
            OR (rel.created_at, rel.id) > (sqlc.narg('after_created_at')::timestamptz, sqlc.narg('after_id')::uuid))
     ORDER BY rel.created_at, rel.id
     LIMIT @page_limit)
    ORDER BY created_at, id
    LIMIT @page_limit
) r;

-- name: CountRelationshipsOfCharacters :many
SELECT c.id::uuid AS character_id, (
    SELECT count(*) FROM relationships rel
    WHERE ((@direction::text IN ('OUTGOING', 'BOTH') AND rel.from_id = c.id)
        OR (@direction::text IN ('INCOMING', 'BOTH') AND rel.to_id = c.id))
      AND (cardinality(@types::text[]) = 0 OR rel.type = ANY(@types::text[]))
      AND (sqlc.narg('min_strength')::double precision IS NULL OR rel.strength >= sqlc.narg('min_strength'))
      AND (sqlc.narg('max_strength')::double precision IS NULL OR rel.strength <= sqlc.narg('max_strength'))
)::bigint AS total
FROM unnest(@character_ids::uuid[]) AS c (id);

-- name: InsertRelationshipEvent :one
INSERT INTO relationship_events (
    relationship_id, ecosystem_id, from_id, to_id, type, kind,
    old_strength, old_trust, old_familiarity, strength, trust, familiarity, label,
    delta_strength, delta_trust, delta_familiarity, clamped, cause, actor_user_id, actor
) VALUES (
    @relationship_id, @ecosystem_id, @from_id, @to_id, @type, @kind,
    @old_strength, @old_trust, @old_familiarity, @strength, @trust, @familiarity, @label,
    @delta_strength, @delta_trust, @delta_familiarity, @clamped, @cause, @actor_user_id, @actor
)
RETURNING *;

-- name: ListHistoryOfRelationships :many
-- One page of history, newest first, for each of several relationships (the
-- relationship.history loader).
SELECT h.* FROM unnest(@relationship_ids::uuid[]) AS r (id)
CROSS JOIN LATERAL (
    SELECT * FROM relationship_events ev
    WHERE ev.relationship_id = r.id
      AND (sqlc.narg('before_id')::bigint IS NULL OR ev.id < sqlc.narg('before_id'))
    ORDER BY ev.id DESC
    LIMIT @page_limit
) h;

-- name: CountHistoryOfRelationships :many
SELECT relationship_id, count(*)::bigint AS total FROM relationship_events
WHERE relationship_id = ANY(@relationship_ids::uuid[])
GROUP BY relationship_id;

-- name: RelationshipsAsOf :many
-- The relationships of an ecosystem as they stood at a moment, rebuilt from history:
-- the last event of each relationship up to then, unless that event deleted it.
-- Oldest relationship first (by its first event), as ListEcosystemRelationships.
SELECT last.* FROM (
    SELECT DISTINCT ON (relationship_id) *, min(id) OVER (PARTITION BY relationship_id) AS first_event_id
    FROM relationship_events
    WHERE ecosystem_id = @ecosystem_id AND at <= @as_of
    ORDER BY relationship_id, id DESC
) last
WHERE last.kind <> 'DELETED'
ORDER BY last.first_event_id;
