-- Character memories with their embeddings, and the sources reflections are drawn from.

-- +goose Up
CREATE TABLE memories (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- A memory dies with its character (and so with its ecosystem).
    character_id     uuid NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
    -- Denormalised from the character so ecosystem-wide search needs no join.
    ecosystem_id     uuid NOT NULL REFERENCES ecosystems (id) ON DELETE CASCADE,
    content          text NOT NULL CHECK (char_length(content) BETWEEN 1 AND 10000),
    type             text NOT NULL CHECK (type IN ('OBSERVATION', 'DIALOGUE', 'REFLECTION', 'FACT', 'PLAN')),
    importance       double precision NOT NULL CHECK (importance BETWEEN 0 AND 1),
    -- The embedding as little-endian float32s, kept here so any vector index can be
    -- rebuilt from PostgreSQL; embedding_model says which model made it.
    embedding        bytea NOT NULL CHECK (octet_length(embedding) > 0 AND octet_length(embedding) % 4 = 0),
    embedding_model  text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_accessed_at timestamptz NOT NULL DEFAULT now(),
    access_count     integer NOT NULL DEFAULT 0 CHECK (access_count >= 0),
    -- Where the memory came from, when known.
    source_document_id uuid REFERENCES documents (id) ON DELETE SET NULL,
    source_message_id  uuid
);
-- The seed's index.
CREATE INDEX memories_character_type_idx ON memories (character_id, type);
CREATE INDEX memories_character_page_idx ON memories (character_id, created_at, id);
CREATE INDEX memories_ecosystem_idx ON memories (ecosystem_id);

-- The memories a reflection was drawn from.
CREATE TABLE memory_sources (
    reflection_id uuid NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
    source_id     uuid NOT NULL REFERENCES memories (id) ON DELETE CASCADE,
    PRIMARY KEY (reflection_id, source_id)
);
CREATE INDEX memory_sources_source_idx ON memory_sources (source_id);

-- +goose Down
DROP TABLE memory_sources;
DROP TABLE memories;
