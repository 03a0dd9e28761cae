-- name: CreateConversation :one
INSERT INTO conversations (ecosystem_id, owner_id, kind, title, stand_in_id)
VALUES (@ecosystem_id, @owner_id, @kind, @title, @stand_in_id)
RETURNING *;

-- name: AddParticipants :exec
INSERT INTO conversation_participants (conversation_id, character_id)
SELECT @conversation_id, unnest(@character_ids::uuid[])
ON CONFLICT DO NOTHING;

-- name: GetConversation :one
SELECT c.* FROM conversations c
WHERE c.id = @id AND (sqlc.narg('owner_id')::uuid IS NULL OR c.owner_id = sqlc.narg('owner_id'));

-- name: LockConversation :one
-- Locks the conversation (to number a message, or change its status) until commit.
SELECT c.* FROM conversations c
WHERE c.id = @id AND (sqlc.narg('owner_id')::uuid IS NULL OR c.owner_id = sqlc.narg('owner_id'))
FOR UPDATE;

-- name: LatestDirectConversation :one
-- The viewer's most recent open direct conversation with a character.
SELECT c.* FROM conversations c
JOIN conversation_participants p ON p.conversation_id = c.id
WHERE c.owner_id = @owner_id AND c.kind = 'DIRECT' AND c.status <> 'ENDED' AND p.character_id = @character_id
ORDER BY c.created_at DESC, c.id DESC
LIMIT 1;

-- name: ConversationsByIDs :many
SELECT * FROM conversations WHERE id = ANY(@ids::uuid[]);

-- name: ListConversations :many
SELECT c.* FROM conversations c
WHERE (sqlc.narg('owner_id')::uuid IS NULL OR c.owner_id = sqlc.narg('owner_id'))
  AND (sqlc.narg('ecosystem_id')::uuid IS NULL OR c.ecosystem_id = sqlc.narg('ecosystem_id'))
  AND (sqlc.narg('status')::text IS NULL OR c.status = sqlc.narg('status'))
  AND (sqlc.narg('character_id')::uuid IS NULL OR EXISTS (
        SELECT 1 FROM conversation_participants p
        WHERE p.conversation_id = c.id AND p.character_id = sqlc.narg('character_id')))
  AND (sqlc.narg('after_created_at')::timestamptz IS NULL
       OR (c.created_at, c.id) > (sqlc.narg('after_created_at')::timestamptz, sqlc.narg('after_id')::uuid))
ORDER BY c.created_at, c.id
LIMIT @page_limit;

-- name: CountConversations :one
SELECT count(*) FROM conversations c
WHERE (sqlc.narg('owner_id')::uuid IS NULL OR c.owner_id = sqlc.narg('owner_id'))
  AND (sqlc.narg('ecosystem_id')::uuid IS NULL OR c.ecosystem_id = sqlc.narg('ecosystem_id'))
  AND (sqlc.narg('status')::text IS NULL OR c.status = sqlc.narg('status'))
  AND (sqlc.narg('character_id')::uuid IS NULL OR EXISTS (
        SELECT 1 FROM conversation_participants p
        WHERE p.conversation_id = c.id AND p.character_id = sqlc.narg('character_id')));

-- name: ParticipantsOfConversations :many
SELECT * FROM conversation_participants
WHERE conversation_id = ANY(@conversation_ids::uuid[])
ORDER BY conversation_id, joined_at, character_id;

-- name: SetConversationStatus :one
UPDATE conversations SET status = @status, updated_at = now() WHERE id = @id RETURNING *;

-- name: DeleteConversation :execrows
DELETE FROM conversations c
WHERE c.id = @id AND (sqlc.narg('owner_id')::uuid IS NULL OR c.owner_id = sqlc.narg('owner_id'));

-- name: NextMessageSeq :one
-- Numbers the next message; the conversation row stays locked until commit.
UPDATE conversations SET last_seq = last_seq + 1, updated_at = now() WHERE id = @id RETURNING last_seq;

-- name: CreateMessage :one
INSERT INTO messages (id, conversation_id, ecosystem_id, seq, sender_kind, sender_user_id, sender_character_id,
                      addressee_character_id, reply_to_id, content, emotion, intensity, metadata)
VALUES (@id, @conversation_id, @ecosystem_id, @seq, @sender_kind, @sender_user_id, @sender_character_id,
        @addressee_character_id, @reply_to_id, @content, @emotion, @intensity, @metadata)
RETURNING *;

-- name: GetMessage :one
SELECT m.* FROM messages m
JOIN conversations c ON c.id = m.conversation_id
WHERE m.id = @id AND (sqlc.narg('owner_id')::uuid IS NULL OR c.owner_id = sqlc.narg('owner_id'));

-- name: MessagesByIDs :many
SELECT * FROM messages WHERE id = ANY(@ids::uuid[]);

-- name: AnswerOf :one
-- What a message got from a character: its reply, or the system's report that none
-- could be written.
SELECT * FROM messages
WHERE reply_to_id = @reply_to_id AND (sender_character_id = @character_id OR sender_kind = 'SYSTEM')
LIMIT 1;

-- name: ReplyTo :one
-- The answer a character (or, for NULL, the system) gave to a message, if any.
SELECT * FROM messages
WHERE reply_to_id = @reply_to_id
  AND coalesce(sender_character_id, '00000000-0000-0000-0000-000000000000') =
      coalesce(sqlc.narg('sender_character_id')::uuid, '00000000-0000-0000-0000-000000000000');

-- name: ListMessagesAfter :many
-- A conversation's messages after a number, oldest first: pages and subscription replay.
SELECT * FROM messages
WHERE conversation_id = @conversation_id AND seq > @after_seq
ORDER BY seq
LIMIT @max_messages;

-- name: ListMessagesBefore :many
-- A conversation's messages before a number, newest first (the caller reverses them).
SELECT * FROM messages
WHERE conversation_id = @conversation_id AND seq < @before_seq
ORDER BY seq DESC
LIMIT @max_messages;

-- name: CountMessagesOfConversations :many
SELECT conversation_id, count(*) AS n FROM messages
WHERE conversation_id = ANY(@conversation_ids::uuid[])
GROUP BY conversation_id;

-- name: ConversationSeq :one
SELECT last_seq FROM conversations WHERE id = @id;

-- name: UpdateCharacterAfterReply :one
-- The character has spoken: its emotion follows the reply, its social energy is what the
-- caller computed (recovery since its last interaction, minus the cost of talking).
UPDATE characters
SET current_emotion = @current_emotion, social_energy = @social_energy, last_interaction = @at, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: LockKey :exec
-- Serialises transactions that would otherwise race to create the same row (a user's
-- direct conversation with a character), until commit.
SELECT pg_advisory_xact_lock(hashtextextended(@key::text, 0));
