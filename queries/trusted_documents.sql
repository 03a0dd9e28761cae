-- name: GetTrustedDocument :one
SELECT document FROM trusted_documents WHERE sha256 = @sha256;

-- name: AddTrustedDocument :execrows
-- Registering a document again changes nothing.
INSERT INTO trusted_documents (sha256, document, client)
VALUES (@sha256, @document, @client)
ON CONFLICT (sha256) DO NOTHING;

-- name: ListTrustedDocuments :many
SELECT sha256, client, created_at, length(document)::int AS bytes
FROM trusted_documents
ORDER BY client, created_at, sha256;
