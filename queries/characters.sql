-- name: CreateCharacter :one
INSERT INTO characters (
    ecosystem_id, name, description, backstory, speaking_style, goals,
    openness, conscientiousness, extraversion, agreeableness, neuroticism,
    autonomy_level, social_energy, current_emotion, is_active, current_context
) VALUES (
    @ecosystem_id, @name, @description, @backstory, @speaking_style, @goals,
    @openness, @conscientiousness, @extraversion, @agreeableness, @neuroticism,
    @autonomy_level, @social_energy, @current_emotion, @is_active, @current_context
)
RETURNING *;

-- name: GetCharacter :one
-- The owner filter joins through the ecosystem: a character belongs to its ecosystem's owner.
SELECT c.* FROM characters c
JOIN ecosystems e ON e.id = c.ecosystem_id
WHERE c.id = @id AND (sqlc.narg('owner_id')::uuid IS NULL OR e.owner_id = sqlc.narg('owner_id'));

-- name: GetCharacterForUpdate :one
SELECT c.* FROM characters c
JOIN ecosystems e ON e.id = c.ecosystem_id
WHERE c.id = @id AND (sqlc.narg('owner_id')::uuid IS NULL OR e.owner_id = sqlc.narg('owner_id'))
FOR UPDATE OF c;

-- name: UpdateCharacter :one
UPDATE characters SET
    name              = @name,
    description       = @description,
    backstory         = @backstory,
    speaking_style    = @speaking_style,
    goals             = @goals,
    openness          = @openness,
    conscientiousness = @conscientiousness,
    extraversion      = @extraversion,
    agreeableness     = @agreeableness,
    neuroticism       = @neuroticism,
    autonomy_level    = @autonomy_level,
    social_energy     = @social_energy,
    current_emotion   = @current_emotion,
    is_active         = @is_active,
    current_context   = @current_context,
    updated_at        = now()
WHERE id = @id
RETURNING *;

-- name: DeleteCharacter :exec
DELETE FROM characters WHERE id = @id;

-- name: ListCharacters :many
SELECT c.* FROM characters c
JOIN ecosystems e ON e.id = c.ecosystem_id
WHERE (sqlc.narg('owner_id')::uuid IS NULL OR e.owner_id = sqlc.narg('owner_id'))
  AND (sqlc.narg('ecosystem_id')::uuid IS NULL OR c.ecosystem_id = sqlc.narg('ecosystem_id'))
  AND (sqlc.narg('is_active')::boolean IS NULL OR c.is_active = sqlc.narg('is_active'))
  AND (sqlc.narg('search')::text IS NULL OR c.name ILIKE '%' || sqlc.narg('search') || '%' ESCAPE '\')
  AND (sqlc.narg('after_created_at')::timestamptz IS NULL
       OR (c.created_at, c.id) > (sqlc.narg('after_created_at')::timestamptz, sqlc.narg('after_id')::uuid))
ORDER BY c.created_at, c.id
LIMIT @page_limit;

-- name: CountCharacters :one
SELECT count(*) FROM characters c
JOIN ecosystems e ON e.id = c.ecosystem_id
WHERE (sqlc.narg('owner_id')::uuid IS NULL OR e.owner_id = sqlc.narg('owner_id'))
  AND (sqlc.narg('ecosystem_id')::uuid IS NULL OR c.ecosystem_id = sqlc.narg('ecosystem_id'))
  AND (sqlc.narg('is_active')::boolean IS NULL OR c.is_active = sqlc.narg('is_active'))
  AND (sqlc.narg('search')::text IS NULL OR c.name ILIKE '%' || sqlc.narg('search') || '%' ESCAPE '\');

-- name: ListCharactersByIDs :many
SELECT * FROM characters WHERE id = ANY(@ids::uuid[]);

-- name: ListCharactersOfEcosystems :many
-- One page of characters for each of several ecosystems in one round trip (the
-- ecosystem.characters loader); each page is an index range scan.
SELECT c.* FROM unnest(@ecosystem_ids::uuid[]) AS e (id)
CROSS JOIN LATERAL (
    SELECT * FROM characters
    WHERE characters.ecosystem_id = e.id
      AND (sqlc.narg('after_created_at')::timestamptz IS NULL
           OR (characters.created_at, characters.id) > (sqlc.narg('after_created_at')::timestamptz, sqlc.narg('after_id')::uuid))
    ORDER BY characters.created_at, characters.id
    LIMIT @page_limit
) c;

-- name: CountCharactersOfEcosystems :many
SELECT ecosystem_id, count(*) AS total FROM characters
WHERE ecosystem_id = ANY(@ecosystem_ids::uuid[])
GROUP BY ecosystem_id;

-- name: ListCharactersFromDocument :many
-- The characters an ecosystem already has from a book, by the key they were created under.
SELECT * FROM characters WHERE ecosystem_id = @ecosystem_id AND source_document_id = @source_document_id;

-- name: CreateCharacterFromBook :one
INSERT INTO characters (ecosystem_id, name, description, backstory, speaking_style, goals, openness, conscientiousness,
                        extraversion, agreeableness, neuroticism, autonomy_level, current_emotion,
                        source_document_id, source_key)
VALUES (@ecosystem_id, @name, @description, @backstory, @speaking_style, @goals, @openness, @conscientiousness,
        @extraversion, @agreeableness, @neuroticism, @autonomy_level, @current_emotion,
        @source_document_id, @source_key)
ON CONFLICT (ecosystem_id, source_document_id, source_key) WHERE source_document_id IS NOT NULL DO NOTHING
RETURNING *;
