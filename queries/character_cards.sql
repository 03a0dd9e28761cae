-- name: CreateCharacterCard :exec
INSERT INTO character_cards (character_id, spec, card, picture, mapped)
VALUES (@character_id, @spec, @card, @picture, @mapped);

-- name: CreateCharacterCardEntries :copyfrom
INSERT INTO character_card_entries (character_id, position, memory_id, entry)
VALUES (@character_id, @position, @memory_id, @entry);

-- name: GetCharacterCard :one
SELECT * FROM character_cards WHERE character_id = @character_id;

-- name: ListCharacterCardEntries :many
SELECT * FROM character_card_entries WHERE character_id = @character_id ORDER BY position;

-- name: ListUnlinkedFacts :many
-- A character's FACT memories made from no lorebook entry, oldest first: added in
-- Ensemble, they join the lorebook on export.
SELECT m.id, m.content FROM memories m
WHERE m.character_id = @character_id AND m.type = 'FACT'
  AND NOT EXISTS (SELECT 1 FROM character_card_entries e WHERE e.memory_id = m.id)
ORDER BY m.created_at, m.id
LIMIT @max_facts;
