-- Each character's summed importance of its memories since its last reflection (the
-- reflection is due when it crosses REFLECTION_THRESHOLD), kept by the statements that
-- store memories instead of summed again from the memories on every insert: a scene's
-- line gives every character present a memory, and summing rows scattered over the table
-- was the costliest statement of a turn. A reflection resets it; forgetting a memory
-- leaves it as it is (the next reflection merely comes a little early).

-- +goose Up
ALTER TABLE characters ADD COLUMN reflection_debt double precision NOT NULL DEFAULT 0;

UPDATE characters c SET reflection_debt = coalesce((
    SELECT sum(m.importance) FROM memories m
    WHERE m.character_id = c.id AND m.type <> 'REFLECTION'
      AND m.created_at > coalesce((SELECT max(r.created_at) FROM memories r
                                   WHERE r.character_id = c.id AND r.type = 'REFLECTION'), '-infinity')
), 0);

-- +goose Down
ALTER TABLE characters DROP COLUMN reflection_debt;
