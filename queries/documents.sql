-- name: CreateDocument :one
INSERT INTO documents (owner_id, ecosystem_id, title, filename, content_type, size_bytes, sha256)
VALUES (@owner_id, @ecosystem_id, @title, @filename, @content_type, @size_bytes, @sha256)
RETURNING *;

-- name: CreateDocumentContent :exec
INSERT INTO document_contents (document_id, content, text) VALUES (@document_id, @content, @text);

-- name: GetDocumentText :one
-- A character range of the extracted text (1-based substr), with the full length.
SELECT substr(text, @start::int, @length::int)::text AS part, char_length(text)::int AS total
FROM document_contents WHERE document_id = @document_id AND text IS NOT NULL;

-- name: GetDocument :one
SELECT * FROM documents
WHERE id = @id AND (sqlc.narg('owner_id')::uuid IS NULL OR owner_id = sqlc.narg('owner_id'));

-- name: DeleteDocument :execrows
DELETE FROM documents
WHERE id = @id AND (sqlc.narg('owner_id')::uuid IS NULL OR owner_id = sqlc.narg('owner_id'));

-- name: ListDocuments :many
SELECT * FROM documents
WHERE (sqlc.narg('owner_id')::uuid IS NULL OR owner_id = sqlc.narg('owner_id'))
  AND (sqlc.narg('after_created_at')::timestamptz IS NULL
       OR (created_at, id) > (sqlc.narg('after_created_at')::timestamptz, sqlc.narg('after_id')::uuid))
ORDER BY created_at, id
LIMIT @page_limit;

-- name: CountDocuments :one
SELECT count(*) FROM documents
WHERE (sqlc.narg('owner_id')::uuid IS NULL OR owner_id = sqlc.narg('owner_id'));

-- name: ListDocumentsByIDs :many
SELECT * FROM documents WHERE id = ANY(@ids::uuid[]);
