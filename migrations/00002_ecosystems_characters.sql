-- Ecosystems and their characters.

-- +goose Up
CREATE TABLE ecosystems (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Deleting a user deletes everything they own.
    owner_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
    description text NOT NULL DEFAULT '' CHECK (char_length(description) <= 10000),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
-- Keyset pagination of a user's ecosystems.
CREATE INDEX ecosystems_owner_page_idx ON ecosystems (owner_id, created_at, id);

CREATE TABLE characters (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- A character lives and dies with its ecosystem.
    ecosystem_id      uuid NOT NULL REFERENCES ecosystems (id) ON DELETE CASCADE,
    name              text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 255),
    description       text NOT NULL DEFAULT '' CHECK (char_length(description) <= 10000),
    backstory         text NOT NULL DEFAULT '' CHECK (char_length(backstory) <= 20000),
    speaking_style    text NOT NULL DEFAULT '' CHECK (char_length(speaking_style) <= 2000),
    goals             text[] NOT NULL DEFAULT '{}' CHECK (cardinality(goals) <= 20),
    openness          double precision NOT NULL DEFAULT 0.5 CHECK (openness BETWEEN 0 AND 1),
    conscientiousness double precision NOT NULL DEFAULT 0.5 CHECK (conscientiousness BETWEEN 0 AND 1),
    extraversion      double precision NOT NULL DEFAULT 0.5 CHECK (extraversion BETWEEN 0 AND 1),
    agreeableness     double precision NOT NULL DEFAULT 0.5 CHECK (agreeableness BETWEEN 0 AND 1),
    neuroticism       double precision NOT NULL DEFAULT 0.5 CHECK (neuroticism BETWEEN 0 AND 1),
    autonomy_level    double precision NOT NULL DEFAULT 0.5 CHECK (autonomy_level BETWEEN 0 AND 1),
    social_energy     double precision NOT NULL DEFAULT 1.0 CHECK (social_energy BETWEEN 0 AND 1),
    current_emotion   text NOT NULL DEFAULT 'neutral' CHECK (char_length(current_emotion) BETWEEN 1 AND 64),
    is_active         boolean NOT NULL DEFAULT true,
    memory_summary    text NOT NULL DEFAULT '',
    current_context   jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(current_context) = 'object'),
    last_interaction  timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
-- The seed's index: active characters of an ecosystem.
CREATE INDEX characters_ecosystem_active_idx ON characters (ecosystem_id, is_active);
-- Keyset pagination within an ecosystem.
CREATE INDEX characters_ecosystem_page_idx ON characters (ecosystem_id, created_at, id);

-- +goose Down
DROP TABLE characters;
DROP TABLE ecosystems;
