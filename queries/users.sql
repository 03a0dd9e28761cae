-- name: CreateUser :one
INSERT INTO users (username, email, password_hash, role)
VALUES (@username, @email, @password_hash, @role)
RETURNING *;

-- name: GetUserByID :one
SELECT * FROM users WHERE id = @id;

-- name: GetUserByLogin :one
-- A login is a username or an email; both are unique case-insensitively.
SELECT * FROM users
WHERE lower(username) = lower(@login::text) OR lower(email) = lower(@login::text)
LIMIT 1;

-- name: ListUsersByIDs :many
SELECT * FROM users WHERE id = ANY(@ids::uuid[]);

-- name: IssueRefreshToken :one
-- Starts the session (a sign-in), or moves its expiry on (a refresh), and stores its new
-- refresh token.
WITH s AS (
    INSERT INTO sessions (id, user_id, expires_at) VALUES (@session_id, @user_id, @expires_at)
    ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at
    RETURNING id, user_id, expires_at
)
INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at)
SELECT user_id, id, @token_hash, expires_at FROM s
RETURNING *;

-- name: LockSessionOfRefreshToken :one
-- Locks the session a refresh token belongs to and returns its user. Whatever changes a
-- session's tokens (refresh, sign-out, deletion) locks the session row first, so they
-- queue instead of deadlocking.
SELECT sqlc.embed(u) FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.id = (SELECT family_id FROM refresh_tokens WHERE token_hash = @token_hash)
FOR UPDATE OF s;

-- name: GetRefreshToken :one
SELECT * FROM refresh_tokens WHERE token_hash = @token_hash;

-- name: MarkRefreshTokenRotated :exec
UPDATE refresh_tokens SET rotated_at = now() WHERE id = @id;

-- name: DeleteSession :exec
-- Ends a session: its refresh tokens go with it, and its access tokens fail the check.
DELETE FROM sessions WHERE id = @id;

-- name: EndSessionsOfRefreshToken :many
-- Signing out: ends the session of a refresh token of the user and the session the user
-- signs out with (normally the same). Nothing when the refresh token is not the user's.
WITH named AS (
    SELECT t.family_id FROM refresh_tokens t WHERE t.token_hash = @token_hash AND t.user_id = @user_id
)
DELETE FROM sessions s
WHERE s.user_id = @user_id
  AND EXISTS (SELECT 1 FROM named)
  AND (s.id = @session_id OR s.id IN (SELECT family_id FROM named))
RETURNING s.id;

-- name: CheckSession :one
-- The check of every authenticated request: the access token's session still exists (not
-- signed out, the user not deleted), and the user's role as it is now.
SELECT u.role FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.id = @session_id AND s.user_id = @user_id;

-- name: PruneSessions :exec
-- Sessions and refresh tokens that ran out are never presented again.
WITH tokens AS (
    DELETE FROM refresh_tokens t WHERE t.user_id = @user_id AND t.expires_at < now()
)
DELETE FROM sessions s WHERE s.user_id = @user_id AND s.expires_at < now();

-- name: DeleteUserSessions :many
-- Ends every session of a user, first of what deleting the account locks.
DELETE FROM sessions WHERE user_id = @user_id RETURNING id;

-- name: LockAccountConversations :exec
-- Deleting an account first takes the locks that writers in its ecosystems take, in their
-- order (conversation, character, relationship; the ecosystem last), so that it queues
-- behind a running turn or reply instead of deadlocking with it.
SELECT id FROM conversations WHERE owner_id = @owner_id ORDER BY id FOR UPDATE;

-- name: LockAccountCharacters :exec
SELECT c.id FROM characters c JOIN ecosystems e ON e.id = c.ecosystem_id
WHERE e.owner_id = @owner_id ORDER BY c.id FOR UPDATE OF c;

-- name: LockAccountRelationships :exec
SELECT r.id FROM relationships r JOIN ecosystems e ON e.id = r.ecosystem_id
WHERE e.owner_id = @owner_id ORDER BY r.id FOR UPDATE OF r;

-- name: DeleteUserEcosystems :many
-- An account's ecosystems, deleted before the account itself so that their deletion is
-- announced in the outbox like deleteEcosystem's.
DELETE FROM ecosystems WHERE owner_id = @owner_id RETURNING id;

-- name: DeleteEcosystemEvents :exec
-- The outbox rows of deleted ecosystems: they carry what their owner wrote.
DELETE FROM events WHERE ecosystem_id = ANY(@ecosystem_ids::uuid[]);

-- name: DeleteUser :execrows
-- Everything else the user owns goes with the row (ON DELETE CASCADE).
DELETE FROM users WHERE id = @id;

-- name: SetUserRole :execrows
UPDATE users SET role = @role, updated_at = now()
WHERE lower(username) = lower(@login::text) OR lower(email) = lower(@login::text);

-- name: ListUsers :many
SELECT * FROM users
WHERE (sqlc.narg('after_created_at')::timestamptz IS NULL
       OR (created_at, id) > (sqlc.narg('after_created_at')::timestamptz, sqlc.narg('after_id')::uuid))
ORDER BY created_at, id
LIMIT @page_limit;

-- name: CountUsers :one
SELECT count(*) FROM users;
