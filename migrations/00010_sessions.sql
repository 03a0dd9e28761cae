-- Sessions: one row per sign-in, named in every access token of that sign-in (the `sid`
-- claim) and checked on every request. Ending a session deletes its row, which ends its
-- refresh tokens (by cascade) and its access tokens (the check finds no row) at once; so
-- does deleting the user. The jti denylist is no longer needed.
--
-- Families of refresh tokens that were still live become sessions with the family's id,
-- so signed-in clients keep their refresh tokens; access tokens issued before this
-- migration carry no session and are refused (clients refresh them).

-- +goose Up
CREATE TABLE sessions (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- When its newest refresh token expires: moved on by every refresh. Its access tokens
    -- always expire sooner, so a row that ran out can be pruned.
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

INSERT INTO sessions (id, user_id, created_at, expires_at)
SELECT family_id, user_id, min(created_at), max(expires_at)
FROM refresh_tokens
GROUP BY family_id, user_id
HAVING bool_and(revoked_at IS NULL) AND max(expires_at) > now();

DELETE FROM refresh_tokens WHERE family_id NOT IN (SELECT id FROM sessions);
ALTER TABLE refresh_tokens
    ADD CONSTRAINT refresh_tokens_family_fkey FOREIGN KEY (family_id) REFERENCES sessions (id) ON DELETE CASCADE,
    DROP COLUMN revoked_at;

DROP TABLE revoked_access_tokens;

-- +goose Down
CREATE TABLE revoked_access_tokens (
    jti        uuid PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX revoked_access_tokens_expires_idx ON revoked_access_tokens (expires_at);
ALTER TABLE refresh_tokens
    DROP CONSTRAINT refresh_tokens_family_fkey,
    ADD COLUMN revoked_at timestamptz;
DROP TABLE sessions;
