-- name: ListEcosystemIDsPage :many
-- One page of ecosystem ids in key order: a Pinecone rebuild clears each one's
-- namespace, so ecosystems left with no memories end up empty too.
SELECT id FROM ecosystems WHERE id > @after_id ORDER BY id LIMIT @page_size;

-- name: ListMemoryVectorsPage :many
-- One page of memory vectors of one embedding model in primary-key order, for a
-- Pinecone rebuild: each page is a range scan of the key however large the table grows.
-- Memories embedded by another model are stale (awaiting re-embedding) and left out.
SELECT id, character_id, ecosystem_id, type, importance, created_at, embedding
FROM memories
WHERE embedding_model = @embedding_model AND id > @after_id
ORDER BY id
LIMIT @page_size;
