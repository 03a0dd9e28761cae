-- Conversations, their participants and messages, and a per-ecosystem event sequence.

-- +goose Up
-- Every event of an ecosystem gets the next number of its ecosystem's sequence, taken
-- under the ecosystem's row lock and held until commit. Numbers are therefore handed out
-- in commit order with no holes: when a subscriber sees event n, every event up to n has
-- committed and can be read back. That is what lets a subscription resume from a cursor,
-- and fill a gap it notices, with nothing missed and nothing twice.
ALTER TABLE ecosystems ADD COLUMN event_seq bigint NOT NULL DEFAULT 0;
-- NULL only for the event announcing an ecosystem's own deletion (its row is gone).
ALTER TABLE events ADD COLUMN seq bigint;
UPDATE events e SET seq = n.seq
FROM (SELECT id, row_number() OVER (PARTITION BY ecosystem_id ORDER BY txid, id) AS seq FROM events) n
WHERE n.id = e.id;
UPDATE ecosystems c SET event_seq = coalesce((SELECT max(seq) FROM events e WHERE e.ecosystem_id = c.id), 0);
CREATE UNIQUE INDEX events_ecosystem_seq_idx ON events (ecosystem_id, seq);

CREATE TABLE conversations (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    ecosystem_id uuid NOT NULL REFERENCES ecosystems (id) ON DELETE CASCADE,
    -- The user who started it; it goes with them.
    owner_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('DIRECT', 'SCENE')),
    status       text NOT NULL DEFAULT 'ACTIVE' CHECK (status IN ('ACTIVE', 'PAUSED', 'ENDED')),
    title        text NOT NULL DEFAULT '' CHECK (char_length(title) <= 255),
    -- The character the user speaks as, if any: replies draw on its relationships.
    stand_in_id  uuid REFERENCES characters (id) ON DELETE SET NULL,
    -- The last message number handed out; bumped under the row lock, so message numbers
    -- follow commit order within a conversation.
    last_seq     bigint NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_ecosystem_page_idx ON conversations (ecosystem_id, created_at, id);
CREATE INDEX conversations_owner_page_idx ON conversations (owner_id, created_at, id);

CREATE TABLE conversation_participants (
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    character_id    uuid NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
    joined_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (conversation_id, character_id)
);
CREATE INDEX conversation_participants_character_idx ON conversation_participants (character_id);

CREATE TABLE messages (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    conversation_id        uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    ecosystem_id           uuid NOT NULL REFERENCES ecosystems (id) ON DELETE CASCADE,
    seq                    bigint NOT NULL,
    sender_kind            text NOT NULL CHECK (sender_kind IN ('USER', 'CHARACTER', 'NARRATOR', 'SYSTEM')),
    -- Senders and addressees may be deleted later; their lines stay.
    sender_user_id         uuid REFERENCES users (id) ON DELETE SET NULL,
    sender_character_id    uuid REFERENCES characters (id) ON DELETE SET NULL,
    sender_id              uuid GENERATED ALWAYS AS (coalesce(sender_character_id, sender_user_id)) STORED,
    addressee_character_id uuid REFERENCES characters (id) ON DELETE SET NULL,
    -- The message this one answers.
    reply_to_id            uuid REFERENCES messages (id) ON DELETE SET NULL,
    content                text NOT NULL CHECK (char_length(content) BETWEEN 1 AND 20000),
    emotion                text CHECK (char_length(emotion) BETWEEN 1 AND 64),
    intensity              double precision CHECK (intensity BETWEEN 0 AND 1),
    metadata               jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    created_at             timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (conversation_id, seq)
);
-- The seed's index: a sender's messages over time.
CREATE INDEX messages_sender_idx ON messages (sender_id, created_at);
-- A character answers a message at most once (and the system reports at most one failure
-- to answer it): a retried reply job cannot answer twice.
CREATE UNIQUE INDEX messages_reply_idx ON messages (reply_to_id, coalesce(sender_character_id, '00000000-0000-0000-0000-000000000000'))
    WHERE reply_to_id IS NOT NULL;

-- +goose Down
DROP TABLE messages;
DROP TABLE conversation_participants;
DROP TABLE conversations;
DROP INDEX events_ecosystem_seq_idx;
ALTER TABLE events DROP COLUMN seq;
ALTER TABLE ecosystems DROP COLUMN event_seq;
