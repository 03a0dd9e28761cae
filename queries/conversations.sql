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

-- name: NumberMessage :one
-- Hands out the conversation's next message number (last_seq after the update), which
-- locks its row until commit so numbers follow commit order, and returns the
-- conversation with its cast in joining order and, for a scene, its mode ('' for others),
-- for the caller to check that it takes the message. No row: the conversation does not
-- exist or is not the owner's.
UPDATE conversations c SET last_seq = c.last_seq + 1, updated_at = now()
WHERE c.id = @id AND (sqlc.narg('owner_id')::uuid IS NULL OR c.owner_id = sqlc.narg('owner_id'))
RETURNING c.*,
    ARRAY(SELECT p.character_id FROM conversation_participants p
          WHERE p.conversation_id = c.id ORDER BY p.joined_at, p.character_id)::uuid[] AS cast_ids,
    coalesce((SELECT s.mode FROM scenes s WHERE s.conversation_id = c.id), '')::text AS scene_mode;

-- name: AppendReport :one
-- Numbers and stores the system's report that a reply could not be written, in one
-- statement. Numbering locks the conversation's row until commit. No row: the
-- conversation is gone.
WITH numbered AS (
    UPDATE conversations c SET last_seq = c.last_seq + 1, updated_at = now()
    WHERE c.id = @conversation_id
    RETURNING c.id AS conversation_id, c.ecosystem_id, c.last_seq
)
INSERT INTO messages (id, conversation_id, ecosystem_id, seq, sender_kind, reply_to_id, content, metadata)
SELECT @id::uuid, n.conversation_id, n.ecosystem_id, n.last_seq, 'SYSTEM', @reply_to_id::uuid, @content::text,
       @metadata::jsonb
FROM numbered n
RETURNING *;

-- name: AppendReply :one
-- Stores a character's reply and what speaking did to the character, in one statement:
-- numbers the reply (which locks the conversation until commit), then sets the
-- speaker's emotion and energy (which locks the character), in that order, since the
-- speaker's update joins the numbered conversation. No row: the conversation or the
-- character is gone.
WITH numbered AS (
    UPDATE conversations c SET last_seq = c.last_seq + 1, updated_at = now()
    WHERE c.id = @conversation_id
    RETURNING c.id AS conversation_id, c.ecosystem_id, c.last_seq
), speaker AS (
    UPDATE characters ch
    SET current_emotion = @emotion::text, social_energy = @social_energy, last_interaction = @at::timestamptz,
        updated_at = now()
    FROM numbered n
    WHERE ch.id = @character_id
    RETURNING ch.id, ch.ecosystem_id, ch.name, ch.current_emotion, ch.is_active
), reply AS (
    INSERT INTO messages (id, conversation_id, ecosystem_id, seq, sender_kind, sender_character_id, reply_to_id,
                          content, emotion, intensity, metadata)
    SELECT @id::uuid, n.conversation_id, n.ecosystem_id, n.last_seq, 'CHARACTER', s.id, @reply_to_id::uuid,
           @content::text, @emotion::text, @intensity::double precision, @metadata::jsonb
    FROM numbered n, speaker s
    RETURNING *
)
SELECT r.id, r.conversation_id, r.ecosystem_id, r.seq, r.sender_kind, r.sender_user_id, r.sender_character_id,
       r.sender_id, r.addressee_character_id, r.reply_to_id, r.content, r.emotion, r.intensity, r.metadata,
       r.created_at, s.ecosystem_id AS speaker_ecosystem_id, s.name AS speaker_name,
       s.current_emotion AS speaker_emotion, s.is_active AS speaker_active
FROM reply r, speaker s;

-- name: ReplyContext :one
-- What a reply job starts from, in one round trip: the message, its conversation, the
-- character that answers (while it is in the conversation's ecosystem, and so the
-- owner's), the owner's name, and whether an earlier attempt already stored the answer
-- (or the system's report that none could be written). No row: someone is gone. Every
-- row is found by its key: a plan cached while the tables were small must not be able
-- to reach the message through its conversation's other messages.
SELECT sqlc.embed(m), sqlc.embed(c), sqlc.embed(ch), u.username AS owner_name,
       EXISTS (SELECT 1 FROM messages a
               WHERE a.reply_to_id = m.id AND (a.sender_character_id = ch.id OR a.sender_kind = 'SYSTEM')) AS answered
FROM messages m, conversations c, characters ch, users u
WHERE m.id = @message_id
  AND c.id = (SELECT q.conversation_id FROM messages q WHERE q.id = @message_id)
  AND ch.id = @character_id AND ch.ecosystem_id = c.ecosystem_id
  AND u.id = c.owner_id;

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

-- name: ListLinesBefore :many
-- A conversation's lines before a number, newest first (the caller reverses them), with
-- the names of the characters who spoke them: what a reply follows on from.
SELECT m.sender_kind, m.content, ch.name AS character_name
FROM messages m
LEFT JOIN characters ch ON ch.id = m.sender_character_id
WHERE m.conversation_id = @conversation_id AND m.seq < @before_seq
ORDER BY m.seq DESC
LIMIT @max_messages;

-- name: ConversationSeq :one
SELECT last_seq FROM conversations WHERE id = @id;

-- name: LockKey :exec
-- Serialises transactions that would otherwise race to create the same row (a user's
-- direct conversation with a character), until commit.
SELECT pg_advisory_xact_lock(hashtextextended(@key::text, 0));
