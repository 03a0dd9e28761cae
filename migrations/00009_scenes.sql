-- Scenarios (scenes as data) and the scenes that run them: a SCENE conversation whose
-- cast speaks on its own, turn after turn, each turn one background job.

-- +goose Up
CREATE TABLE scenarios (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    ecosystem_id uuid NOT NULL REFERENCES ecosystems (id) ON DELETE CASCADE,
    title        text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    setting      text NOT NULL DEFAULT '' CHECK (char_length(setting) <= 500),
    mood         text NOT NULL DEFAULT '' CHECK (char_length(mood) <= 100),
    premise      text NOT NULL DEFAULT '' CHECK (char_length(premise) <= 5000),
    -- Said by the narrator when a scene of the scenario starts.
    opening      text NOT NULL DEFAULT '' CHECK (char_length(opening) <= 5000),
    max_turns    integer NOT NULL DEFAULT 30 CHECK (max_turns BETWEEN 1 AND 10000),
    -- The pause between two turns, so a person can follow the scene.
    pace_ms      integer NOT NULL DEFAULT 1500 CHECK (pace_ms BETWEEN 0 AND 600000),
    -- A read-only share code: anyone signed in who has it may read and import the
    -- scenario (never its secrets' holders' other data).
    share_code   text UNIQUE CHECK (char_length(share_code) BETWEEN 8 AND 32),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX scenarios_ecosystem_page_idx ON scenarios (ecosystem_id, created_at, id);

-- The cast of a scenario, in order, each with an optional role, goal and secret.
CREATE TABLE scenario_cast (
    scenario_id  uuid NOT NULL REFERENCES scenarios (id) ON DELETE CASCADE,
    character_id uuid NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
    position     integer NOT NULL,
    role         text NOT NULL DEFAULT '' CHECK (char_length(role) <= 200),
    goal         text NOT NULL DEFAULT '' CHECK (char_length(goal) <= 1000),
    secret       text NOT NULL DEFAULT '' CHECK (char_length(secret) <= 2000),
    -- Who may speak: a character that may not is present (it witnesses and remembers)
    -- but never takes a turn.
    may_speak    boolean NOT NULL DEFAULT true,
    PRIMARY KEY (scenario_id, character_id)
);
CREATE INDEX scenario_cast_character_idx ON scenario_cast (character_id);

-- A running (or paused, or ended) scene: one per SCENE conversation started from a
-- scenario. The scenario's words and roles are copied in when the scene starts, so
-- editing or deleting the scenario never changes a scene under way.
CREATE TABLE scenes (
    conversation_id uuid PRIMARY KEY REFERENCES conversations (id) ON DELETE CASCADE,
    scenario_id     uuid REFERENCES scenarios (id) ON DELETE SET NULL,
    setting         text NOT NULL DEFAULT '',
    mood            text NOT NULL DEFAULT '',
    premise         text NOT NULL DEFAULT '',
    -- [{characterId, role, goal, secret, maySpeak}] in cast order.
    roles           jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(roles) = 'array'),
    -- The last turn written: turns are numbered 1, 2, 3 ... with no holes.
    turn            integer NOT NULL DEFAULT 0 CHECK (turn >= 0),
    max_turns       integer NOT NULL CHECK (max_turns BETWEEN 1 AND 10000),
    pace_ms         integer NOT NULL CHECK (pace_ms BETWEEN 0 AND 600000),
    seed            bigint NOT NULL,
    -- OBSERVE: the user watches; PARTICIPATE: the user's lines join the scene.
    mode            text NOT NULL DEFAULT 'OBSERVE' CHECK (mode IN ('OBSERVE', 'PARTICIPATE')),
    last_speaker_id uuid,
    last_turn_at    timestamptz,
    -- {characterId: the last turn it spoke}: for talkativeness and energy recovery.
    spoke           jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(spoke) = 'object'),
    -- The ecosystem's event number before the scene started: its stream replays from here.
    start_seq       bigint NOT NULL DEFAULT 0
);
CREATE INDEX scenes_scenario_idx ON scenes (scenario_id);

-- A director's instruction to one character, followed by its next line.
CREATE TABLE scene_directions (
    id              bigserial PRIMARY KEY,
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    character_id    uuid NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
    instruction     text NOT NULL CHECK (char_length(instruction) BETWEEN 1 AND 1000),
    created_at      timestamptz NOT NULL DEFAULT now(),
    -- The turn whose line followed it; NULL while pending.
    used_turn       integer
);
CREATE INDEX scene_directions_pending_idx ON scene_directions (conversation_id, id) WHERE used_turn IS NULL;

-- A scene's lines carry their turn number: one line per turn, and no line said twice in
-- a scene (the offline storyteller and models alike are held to it).
ALTER TABLE messages ADD COLUMN turn integer CHECK (turn > 0);
CREATE UNIQUE INDEX messages_turn_idx ON messages (conversation_id, turn) WHERE turn IS NOT NULL;
CREATE UNIQUE INDEX messages_scene_line_idx ON messages (conversation_id, md5(content)) WHERE turn IS NOT NULL;
-- The observatory's feed: an ecosystem's latest scene lines.
CREATE INDEX messages_scene_feed_idx ON messages (ecosystem_id, created_at) WHERE turn IS NOT NULL;

-- A character's own lines from its book, best first, without reading the memories its
-- scenes give it (those grow with every line it witnesses).
CREATE INDEX memories_book_voice_idx ON memories (character_id, importance DESC, id)
    WHERE type = 'DIALOGUE' AND source_document_id IS NOT NULL;

-- A relationship change caused by a line of a scene points at the line.
ALTER TABLE relationship_events ADD COLUMN message_id uuid REFERENCES messages (id) ON DELETE SET NULL;
CREATE INDEX relationship_events_message_idx ON relationship_events (message_id) WHERE message_id IS NOT NULL;

-- +goose Down
DROP INDEX memories_book_voice_idx;
DROP INDEX relationship_events_message_idx;
ALTER TABLE relationship_events DROP COLUMN message_id;
DROP INDEX messages_scene_feed_idx;
DROP INDEX messages_scene_line_idx;
DROP INDEX messages_turn_idx;
ALTER TABLE messages DROP COLUMN turn;
DROP TABLE scene_directions;
DROP TABLE scenes;
DROP TABLE scenario_cast;
DROP TABLE scenarios;
