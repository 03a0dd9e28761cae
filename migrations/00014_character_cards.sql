-- Character cards (Card V2/V3) a character was imported from, kept so that exporting it
-- writes back everything the card held: the card's JSON as it came (json, not jsonb, so
-- its text is kept as it was; the lorebook's entries apart), its picture, and the values
-- the import put on the character, which tell a field edited since from one left alone.

-- +goose Up
CREATE TABLE character_cards (
    -- A card lives and dies with its character.
    character_id uuid PRIMARY KEY REFERENCES characters (id) ON DELETE CASCADE,
    spec         text NOT NULL CHECK (spec IN ('chara_card_v2', 'chara_card_v3')),
    card         json NOT NULL,
    -- The PNG the card came in, without the card's text chunks; NULL for a JSON card.
    picture      bytea,
    -- The character's fields as the import set them (name, description, speakingStyle, backstory).
    mapped       jsonb NOT NULL CHECK (jsonb_typeof(mapped) = 'object'),
    imported_at  timestamptz NOT NULL DEFAULT now()
);

-- The lorebook's entries in order, each with the FACT memory made from it (NULL for an
-- entry that made none: disabled or empty). Forgetting the memory drops the entry.
CREATE TABLE character_card_entries (
    character_id uuid NOT NULL REFERENCES character_cards (character_id) ON DELETE CASCADE,
    position     integer NOT NULL CHECK (position >= 0),
    memory_id    uuid UNIQUE REFERENCES memories (id) ON DELETE CASCADE,
    entry        json NOT NULL,
    PRIMARY KEY (character_id, position)
);

-- +goose Down
DROP TABLE character_card_entries;
DROP TABLE character_cards;
