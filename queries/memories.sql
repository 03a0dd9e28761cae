-- name: CreateMemory :one
-- Stores a memory; a reflection starts the character's importance since reflection anew.
WITH reset AS (
    UPDATE characters SET reflection_debt = 0 WHERE id = @character_id AND @type::text = 'REFLECTION'
)
INSERT INTO memories (character_id, ecosystem_id, content, type, importance, embedding, embedding_model,
                      source_document_id, source_message_id)
VALUES (@character_id, @ecosystem_id, @content, @type, @importance, @embedding, @embedding_model,
        @source_document_id, @source_message_id)
RETURNING *;

-- name: AddMemory :one
-- Stores a memory, and returns the summed importance of the character's memories since its
-- last reflection, the new one included (kept on the character): a reflection is due when
-- the sum crosses a threshold.
WITH added AS (
    INSERT INTO memories (character_id, ecosystem_id, content, type, importance, embedding, embedding_model,
                          source_document_id, source_message_id)
    VALUES (@character_id, @ecosystem_id, @content, @type, @importance, @embedding, @embedding_model,
            @source_document_id, @source_message_id)
    RETURNING *
), debt AS (
    UPDATE characters c
    SET reflection_debt = CASE WHEN @type::text = 'REFLECTION' THEN 0 ELSE c.reflection_debt + @importance END
    WHERE c.id = @character_id
    RETURNING c.reflection_debt
)
SELECT a.id, a.character_id, a.ecosystem_id, a.content, a.type, a.importance, a.created_at, a.last_accessed_at,
       a.access_count, a.source_document_id,
       coalesce((SELECT reflection_debt FROM debt), 0)::double precision AS importance_since_reflection
FROM added a;

-- name: GetMemory :one
SELECT m.* FROM memories m
JOIN ecosystems e ON e.id = m.ecosystem_id
WHERE m.id = @id AND (sqlc.narg('owner_id')::uuid IS NULL OR e.owner_id = sqlc.narg('owner_id'));

-- name: DeleteMemory :exec
DELETE FROM memories WHERE id = @id;

-- name: ListMemoriesOfCharacters :many
-- One page of memories, newest first, for each of several characters (the
-- character.memories loader).
SELECT m.* FROM unnest(@character_ids::uuid[]) AS c (id)
CROSS JOIN LATERAL (
    SELECT * FROM memories mem
    WHERE mem.character_id = c.id
      AND (cardinality(@types::text[]) = 0 OR mem.type = ANY(@types::text[]))
      AND (sqlc.narg('since')::timestamptz IS NULL OR mem.created_at >= sqlc.narg('since'))
      AND (sqlc.narg('before_created_at')::timestamptz IS NULL
           OR (mem.created_at, mem.id) < (sqlc.narg('before_created_at')::timestamptz, sqlc.narg('before_id')::uuid))
    ORDER BY mem.created_at DESC, mem.id DESC
    LIMIT @page_limit
) m;

-- name: CountMemoriesOfCharacters :many
SELECT c.id::uuid AS character_id, (
    SELECT count(*) FROM memories mem
    WHERE mem.character_id = c.id
      AND (cardinality(@types::text[]) = 0 OR mem.type = ANY(@types::text[]))
      AND (sqlc.narg('since')::timestamptz IS NULL OR mem.created_at >= sqlc.narg('since'))
)::bigint AS total
FROM unnest(@character_ids::uuid[]) AS c (id);

-- name: ListEcosystemVectors :many
SELECT id, character_id, embedding, embedding_model FROM memories WHERE ecosystem_id = @ecosystem_id;

-- name: TouchMemories :exec
-- Recall marks what it returns as accessed: recency counts from the last access. Rows
-- another recall is touching right now are skipped rather than waited for (two recalls
-- locking the same memories in different orders would deadlock); their access is
-- recorded by that recall a moment later anyway.
UPDATE memories SET last_accessed_at = @at, access_count = access_count + 1
WHERE id IN (SELECT m.id FROM memories m WHERE m.id = ANY(@ids::uuid[]) ORDER BY m.id FOR UPDATE SKIP LOCKED);

-- name: AddMemorySources :exec
INSERT INTO memory_sources (reflection_id, source_id)
SELECT @reflection_id, unnest(@source_ids::uuid[]);

-- name: ListSourcesOfReflections :many
SELECT s.reflection_id, m.* FROM memory_sources s JOIN memories m ON m.id = s.source_id
WHERE s.reflection_id = ANY(@reflection_ids::uuid[])
ORDER BY m.created_at, m.id;

-- name: AddReflectionDebt :one
-- Adds imported memories' importance to the character's since its last reflection, or
-- starts it anew when the import holds a reflection (the memories of one transaction share
-- its time, and count from a reflection only when later), and returns it.
UPDATE characters
SET reflection_debt = CASE WHEN @reset::boolean THEN 0 ELSE reflection_debt + @importance::double precision END
WHERE id = @character_id
RETURNING reflection_debt;

-- name: MemoriesSinceReflection :many
-- What a reflection draws on: the newest memories since the last reflection.
SELECT m.* FROM memories m
WHERE m.character_id = @character_id AND m.type <> 'REFLECTION'
  AND m.created_at > coalesce((SELECT max(r.created_at) FROM memories r
                               WHERE r.character_id = @character_id AND r.type = 'REFLECTION'), '-infinity')
ORDER BY m.created_at DESC, m.id DESC
LIMIT @max_memories;

-- name: RecentReflections :many
SELECT * FROM memories WHERE character_id = @character_id AND type = 'REFLECTION'
ORDER BY created_at DESC, id DESC LIMIT @max_memories;

-- name: SetMemorySummary :one
UPDATE characters SET memory_summary = @memory_summary, updated_at = now() WHERE id = @id
RETURNING *;

-- name: InsertMemories :copyfrom
INSERT INTO memories (id, character_id, ecosystem_id, content, type, importance, embedding, embedding_model, source_document_id)
VALUES (@id, @character_id, @ecosystem_id, @content, @type, @importance, @embedding, @embedding_model, @source_document_id);

-- name: ListStaleMemories :many
-- Memories embedded by another model than the current one, a batch at a time.
SELECT id, content FROM memories WHERE embedding_model <> @model ORDER BY id LIMIT @max_memories;

-- name: SetMemoryEmbedding :exec
UPDATE memories SET embedding = @embedding, embedding_model = @embedding_model WHERE id = @id;

-- name: ListMemoryRowsByIDs :many
-- Memories without their embeddings, for ranking and showing.
SELECT id, character_id, ecosystem_id, content, type, importance, created_at, last_accessed_at,
       access_count, source_document_id, source_message_id
FROM memories WHERE id = ANY(@ids::uuid[]);

-- name: HasMemoryOfMessage :one
-- Whether a character already remembers a message (a retried reply job must not form
-- the memory twice).
SELECT EXISTS (SELECT 1 FROM memories WHERE character_id = @character_id AND source_message_id = @source_message_id);

-- name: CountMemoriesFromDocument :one
SELECT count(*) FROM memories WHERE character_id = @character_id AND source_document_id = @source_document_id;

-- name: AddSceneMemories :many
-- Stores several characters' memories of one message in one statement (a scene's line:
-- every character present remembers it, one memory each), and returns with each the
-- summed importance of its character's memories since its last reflection, this one
-- included (kept on the character, whose row the caller has locked).
WITH m AS (
    SELECT unnest(@character_ids::uuid[]) AS character_id, unnest(@contents::text[]) AS content,
           unnest(@types::text[]) AS type, unnest(@importances::double precision[]) AS importance,
           unnest(@embeddings::bytea[]) AS embedding
), ins AS (
    INSERT INTO memories (character_id, ecosystem_id, content, type, importance, embedding, embedding_model,
                          source_message_id)
    SELECT m.character_id, @ecosystem_id, m.content, m.type, m.importance, m.embedding, @embedding_model,
           @source_message_id
    FROM m
    RETURNING id, character_id, ecosystem_id, content, type, importance, created_at
), debt AS (
    UPDATE characters c
    SET reflection_debt = CASE WHEN m.type = 'REFLECTION' THEN 0 ELSE c.reflection_debt + m.importance END
    FROM m WHERE c.id = m.character_id
    RETURNING c.id, c.reflection_debt
)
SELECT ins.id, ins.character_id, ins.ecosystem_id, ins.content, ins.type, ins.importance, ins.created_at,
       d.reflection_debt::double precision AS since_reflection
FROM ins JOIN debt d ON d.id = ins.character_id;
