-- Events older than EVENTS_RETENTION are pruned (events.PruneWorker). Each ecosystem
-- records the last event number pruned, so that a subscription resuming from an older
-- cursor is told its cursor has expired instead of silently missing events.

-- +goose Up
ALTER TABLE ecosystems ADD COLUMN events_pruned_seq bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE ecosystems DROP COLUMN events_pruned_seq;
