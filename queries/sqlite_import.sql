-- name: ListSqliteImports :many
-- Everything imported before from one source, to skip it.
SELECT table_name, old_id, new_id FROM sqlite_imports WHERE source = @source;

-- name: RecordSqliteImport :exec
INSERT INTO sqlite_imports (source, table_name, old_id, new_id)
VALUES (@source, @table_name, @old_id, @new_id);

-- name: UserExists :one
SELECT EXISTS (SELECT 1 FROM users WHERE id = @id);

-- name: LoginTaken :one
-- Whether an account already has this username or this email (both unique case-insensitively).
SELECT EXISTS (SELECT 1 FROM users
               WHERE lower(username) = lower(@username::text) OR lower(email) = lower(@email::text));

-- name: ImportUser :one
INSERT INTO users (username, email, password_hash, role, created_at, updated_at)
VALUES (@username, @email, @password_hash, 'USER', @created_at, @created_at)
RETURNING id;

-- name: ImportCharacterState :exec
-- What the old application kept of a character beyond what createCharacter takes.
UPDATE characters
SET memory_summary = @memory_summary, last_interaction = sqlc.narg('last_interaction'),
    created_at = @created_at, updated_at = @created_at
WHERE id = @id;

-- name: ImportDocumentTime :exec
UPDATE documents SET created_at = @created_at, updated_at = @created_at WHERE id = @id;

-- name: ImportConversation :one
INSERT INTO conversations (ecosystem_id, owner_id, kind, title, created_at, updated_at)
VALUES (@ecosystem_id, @owner_id, 'DIRECT', @title, @created_at, @created_at)
RETURNING id;

-- name: ImportMessage :one
-- Appends a message to a conversation with the next number, as sending one does.
WITH n AS (
    UPDATE conversations SET last_seq = last_seq + 1
    WHERE id = @conversation_id
    RETURNING ecosystem_id, last_seq
)
INSERT INTO messages (conversation_id, ecosystem_id, seq, sender_kind, sender_user_id, sender_character_id,
                      content, emotion, created_at)
SELECT @conversation_id, n.ecosystem_id, n.last_seq, @sender_kind, sqlc.narg('sender_user_id'),
       sqlc.narg('sender_character_id'), @content, sqlc.narg('emotion'), @created_at
FROM n
RETURNING id;

-- name: UpgradePasswordHash :execrows
-- Replaces a verified legacy hash, unless the hash changed since it was read.
UPDATE users SET password_hash = @new_hash, updated_at = now()
WHERE id = @id AND password_hash = @old_hash;
