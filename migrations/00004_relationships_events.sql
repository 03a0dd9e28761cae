-- Relationships between characters, their history, and the event outbox.

-- +goose Up
-- graph_version changes with every change to an ecosystem's characters or relationships,
-- in the same transaction, so in-process graph caches know when they are stale.
ALTER TABLE ecosystems ADD COLUMN graph_version bigint NOT NULL DEFAULT 0;

CREATE TABLE relationships (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    ecosystem_id uuid NOT NULL REFERENCES ecosystems (id) ON DELETE CASCADE,
    -- Directed: from_id feels something about to_id. A relationship dies with either end.
    from_id      uuid NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
    to_id        uuid NOT NULL REFERENCES characters (id) ON DELETE CASCADE,
    type         text NOT NULL CHECK (type IN ('FRIEND', 'RIVAL', 'ROMANCE', 'ALLY', 'FAMILY', 'MENTOR', 'ENEMY', 'ACQUAINTANCE')),
    label        text CHECK (char_length(label) BETWEEN 1 AND 100),
    strength     double precision NOT NULL DEFAULT 0 CHECK (strength BETWEEN -1 AND 1),
    trust        double precision NOT NULL DEFAULT 0.5 CHECK (trust BETWEEN 0 AND 1),
    familiarity  double precision NOT NULL DEFAULT 0 CHECK (familiarity BETWEEN 0 AND 1),
    notes        text NOT NULL DEFAULT '' CHECK (char_length(notes) <= 5000),
    since        timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (from_id <> to_id),
    UNIQUE (from_id, to_id, type)
);
CREATE INDEX relationships_from_idx ON relationships (from_id, created_at, id);
CREATE INDEX relationships_to_idx ON relationships (to_id, created_at, id);
CREATE INDEX relationships_ecosystem_idx ON relationships (ecosystem_id);

-- Every change of a relationship, with the state after it (and before it), so history
-- can be listed and any past graph rebuilt. Kept after the relationship is deleted.
CREATE TABLE relationship_events (
    id              bigserial PRIMARY KEY,
    relationship_id uuid NOT NULL,
    ecosystem_id    uuid NOT NULL REFERENCES ecosystems (id) ON DELETE CASCADE,
    from_id         uuid NOT NULL,
    to_id           uuid NOT NULL,
    type            text NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('CREATED', 'UPDATED', 'ADJUSTED', 'DELETED')),
    old_strength    double precision,
    old_trust       double precision,
    old_familiarity double precision,
    -- The state after the change; for DELETED, the state that was deleted.
    strength        double precision NOT NULL,
    trust           double precision NOT NULL,
    familiarity     double precision NOT NULL,
    label           text,
    -- What the change asked for, before clamping, for ADJUSTED.
    delta_strength    double precision,
    delta_trust       double precision,
    delta_familiarity double precision,
    clamped         boolean NOT NULL DEFAULT false,
    cause           text CHECK (char_length(cause) <= 1000),
    -- Who made the change: a user, or the engine (NULL user).
    actor_user_id   uuid REFERENCES users (id) ON DELETE SET NULL,
    actor           text NOT NULL,
    at              timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX relationship_events_relationship_idx ON relationship_events (relationship_id, id);
CREATE INDEX relationship_events_ecosystem_idx ON relationship_events (ecosystem_id, at);

-- The outbox: every change worth watching, written in the transaction of the change and
-- then published on the bus. Subscriptions replay it from a cursor; projections such as
-- the Neo4j graph read it in order.
--
-- Ids are handed out before commit, so a reader that follows ids alone could pass an id
-- whose transaction commits later and miss it for good. Readers therefore follow
-- (txid, id) and only read events of transactions older than every transaction still
-- running (txid < pg_snapshot_xmin): those can no longer change.
CREATE TABLE events (
    id           bigserial PRIMARY KEY,
    txid         bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
    ecosystem_id uuid NOT NULL,
    topic        text NOT NULL,
    at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    payload      jsonb NOT NULL
);
CREATE INDEX events_order_idx ON events (txid, id);
CREATE INDEX events_ecosystem_idx ON events (ecosystem_id, id);

-- How far each projection has read the outbox.
CREATE TABLE projector_offsets (
    name          text PRIMARY KEY,
    last_txid     bigint NOT NULL DEFAULT 0,
    last_event_id bigint NOT NULL DEFAULT 0,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE projector_offsets;
DROP TABLE events;
DROP TABLE relationship_events;
DROP TABLE relationships;
ALTER TABLE ecosystems DROP COLUMN graph_version;
