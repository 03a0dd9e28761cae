-- The owner filters below take NULL for "any owner" (an admin's view).

-- name: CreateEcosystem :one
INSERT INTO ecosystems (owner_id, name, description)
VALUES (@owner_id, @name, @description)
RETURNING *;

-- name: GetEcosystem :one
SELECT * FROM ecosystems
WHERE id = @id AND (sqlc.narg('owner_id')::uuid IS NULL OR owner_id = sqlc.narg('owner_id'));

-- name: UpdateEcosystem :one
UPDATE ecosystems SET
    name        = coalesce(sqlc.narg('name'), name),
    description = coalesce(sqlc.narg('description'), description),
    updated_at  = now()
WHERE id = @id AND (sqlc.narg('owner_id')::uuid IS NULL OR owner_id = sqlc.narg('owner_id'))
RETURNING *;

-- name: DeleteEcosystem :execrows
DELETE FROM ecosystems
WHERE id = @id AND (sqlc.narg('owner_id')::uuid IS NULL OR owner_id = sqlc.narg('owner_id'));

-- name: ListEcosystems :many
SELECT * FROM ecosystems
WHERE (sqlc.narg('owner_id')::uuid IS NULL OR owner_id = sqlc.narg('owner_id'))
  AND (sqlc.narg('after_created_at')::timestamptz IS NULL
       OR (created_at, id) > (sqlc.narg('after_created_at')::timestamptz, sqlc.narg('after_id')::uuid))
ORDER BY created_at, id
LIMIT @page_limit;

-- name: CountEcosystems :one
SELECT count(*) FROM ecosystems
WHERE (sqlc.narg('owner_id')::uuid IS NULL OR owner_id = sqlc.narg('owner_id'));

-- name: ListEcosystemsByIDs :many
SELECT * FROM ecosystems WHERE id = ANY(@ids::uuid[]);
