-- events_ecosystem_idx (ecosystem_id, id) is served by events_ecosystem_seq_idx
-- (ecosystem_id, seq): subscriptions read by seq, and deleting an ecosystem's events needs
-- only the leading column. A scene's turn writes about a dozen events, and each index is
-- one more insertion for every one of them.

-- +goose Up
DROP INDEX events_ecosystem_idx;

-- +goose Down
CREATE INDEX events_ecosystem_idx ON events (ecosystem_id, id);
