-- name: CreateDocument :one
INSERT INTO documents (owner_id, ecosystem_id, title, filename, content_type, size_bytes, sha256,
                       author, text_encoding, chapters)
VALUES (@owner_id, @ecosystem_id, @title, @filename, @content_type, @size_bytes, @sha256,
        @author, @text_encoding, @chapters)
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

-- name: GetDocumentFullText :one
SELECT text FROM document_contents WHERE document_id = @document_id AND text IS NOT NULL;

-- name: RequestAnalysis :one
-- Queues an analysis unless one is queued or running already (then the caller gets the
-- document as it is, and no second job).
UPDATE documents
SET analysis_status = 'PENDING', analysis_error = NULL, analysis_started_at = NULL, analysis_finished_at = NULL,
    updated_at = now()
WHERE id = @id AND analysis_status NOT IN ('PENDING', 'RUNNING')
RETURNING *;

-- name: LockDocument :one
SELECT * FROM documents
WHERE id = @id AND (sqlc.narg('owner_id')::uuid IS NULL OR owner_id = sqlc.narg('owner_id'))
FOR UPDATE;

-- name: StartAnalysis :one
UPDATE documents SET analysis_status = 'RUNNING', analysis_started_at = now(), updated_at = now()
WHERE id = @id AND analysis_status IN ('PENDING', 'RUNNING')
RETURNING *;

-- name: SaveAnalysis :exec
INSERT INTO document_analyses (document_id, result, duration_ms) VALUES (@document_id, @result, @duration_ms)
ON CONFLICT (document_id) DO UPDATE SET result = excluded.result, duration_ms = excluded.duration_ms, created_at = now();

-- name: FinishAnalysis :one
UPDATE documents SET analysis_status = @status, analysis_error = sqlc.narg('analysis_error'),
    analysis_finished_at = now(), updated_at = now()
WHERE id = @id
RETURNING *;

-- name: GetAnalysis :one
SELECT result, duration_ms, created_at FROM document_analyses WHERE document_id = @document_id;
