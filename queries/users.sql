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

-- name: CreateRefreshToken :one
INSERT INTO refresh_tokens (user_id, family_id, token_hash, expires_at)
VALUES (@user_id, @family_id, @token_hash, @expires_at)
RETURNING *;

-- name: GetRefreshTokenForUpdate :one
SELECT * FROM refresh_tokens WHERE token_hash = @token_hash FOR UPDATE;

-- name: MarkRefreshTokenRotated :exec
UPDATE refresh_tokens SET rotated_at = now() WHERE id = @id;

-- name: RevokeRefreshFamily :exec
UPDATE refresh_tokens SET revoked_at = now()
WHERE family_id = @family_id AND revoked_at IS NULL;

-- name: RevokeAccessToken :exec
INSERT INTO revoked_access_tokens (jti, expires_at) VALUES (@jti, @expires_at)
ON CONFLICT (jti) DO NOTHING;

-- name: IsAccessTokenRevoked :one
SELECT EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = @jti);

-- name: DeleteExpiredRevocations :execrows
DELETE FROM revoked_access_tokens WHERE expires_at < now();

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

-- name: DeleteExpiredRefreshTokens :exec
DELETE FROM refresh_tokens WHERE user_id = @user_id AND expires_at < now();
