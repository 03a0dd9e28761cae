-- Scenarios belong to their ecosystem's owner; owner filters take NULL for admins.

-- name: CreateScenario :one
INSERT INTO scenarios (ecosystem_id, title, setting, mood, premise, opening, max_turns, pace_ms)
VALUES (@ecosystem_id, @title, @setting, @mood, @premise, @opening, @max_turns, @pace_ms)
RETURNING *;

-- name: GetScenario :one
SELECT s.* FROM scenarios s
JOIN ecosystems e ON e.id = s.ecosystem_id
WHERE s.id = @id AND (sqlc.narg('owner_id')::uuid IS NULL OR e.owner_id = sqlc.narg('owner_id'));

-- name: GetScenarioForUpdate :one
SELECT s.* FROM scenarios s
JOIN ecosystems e ON e.id = s.ecosystem_id
WHERE s.id = @id AND (sqlc.narg('owner_id')::uuid IS NULL OR e.owner_id = sqlc.narg('owner_id'))
FOR UPDATE OF s;

-- name: GetScenarioByShareCode :one
SELECT * FROM scenarios WHERE share_code = @share_code;

-- name: UpdateScenario :one
UPDATE scenarios SET title = @title, setting = @setting, mood = @mood, premise = @premise, opening = @opening,
    max_turns = @max_turns, pace_ms = @pace_ms, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: SetScenarioShareCode :one
UPDATE scenarios SET share_code = sqlc.narg('share_code'), updated_at = now() WHERE id = @id RETURNING *;

-- name: DeleteScenario :execrows
DELETE FROM scenarios s
USING ecosystems e
WHERE s.id = @id AND e.id = s.ecosystem_id
  AND (sqlc.narg('owner_id')::uuid IS NULL OR e.owner_id = sqlc.narg('owner_id'));

-- name: ScenariosByIDs :many
SELECT * FROM scenarios WHERE id = ANY(@ids::uuid[]);

-- name: ListScenarios :many
SELECT s.* FROM scenarios s
WHERE s.ecosystem_id = @ecosystem_id
  AND (sqlc.narg('after_created_at')::timestamptz IS NULL
       OR (s.created_at, s.id) > (sqlc.narg('after_created_at')::timestamptz, sqlc.narg('after_id')::uuid))
ORDER BY s.created_at, s.id
LIMIT @page_limit;

-- name: CountScenarios :one
SELECT count(*) FROM scenarios WHERE ecosystem_id = @ecosystem_id;

-- name: ClearScenarioCast :exec
DELETE FROM scenario_cast WHERE scenario_id = @scenario_id;

-- name: AddScenarioCast :exec
INSERT INTO scenario_cast (scenario_id, character_id, position, role, goal, secret, may_speak)
SELECT @scenario_id, c.id, c.ord, c.role, c.goal, c.secret, c.may_speak
FROM (SELECT unnest(@character_ids::uuid[]) AS id, generate_subscripts(@character_ids::uuid[], 1) AS ord,
             unnest(@roles::text[]) AS role, unnest(@goals::text[]) AS goal, unnest(@secrets::text[]) AS secret,
             unnest(@may_speak::boolean[]) AS may_speak) c;

-- name: CastOfScenarios :many
SELECT * FROM scenario_cast WHERE scenario_id = ANY(@scenario_ids::uuid[])
ORDER BY scenario_id, position;

-- name: CreateScene :one
INSERT INTO scenes (conversation_id, scenario_id, setting, mood, premise, roles, max_turns, pace_ms, seed, mode,
                    last_turn_at, start_seq)
VALUES (@conversation_id, @scenario_id, @setting, @mood, @premise, @roles, @max_turns, @pace_ms, @seed, @mode,
        now(), (SELECT e.event_seq FROM ecosystems e WHERE e.id = @ecosystem_id))
RETURNING *;

-- name: ScenesByConversationIDs :many
SELECT * FROM scenes WHERE conversation_id = ANY(@conversation_ids::uuid[]);

-- name: LockScene :one
-- Locks a scene's conversation (the lock every writer of the conversation takes first)
-- and returns it with the scene. No row: no such scene, or not the owner's.
SELECT sqlc.embed(c), sqlc.embed(s) FROM conversations c
JOIN scenes s ON s.conversation_id = c.id
WHERE c.id = @id AND (sqlc.narg('owner_id')::uuid IS NULL OR c.owner_id = sqlc.narg('owner_id'))
FOR UPDATE OF c;

-- name: GetScene :one
SELECT sqlc.embed(c), sqlc.embed(s) FROM conversations c
JOIN scenes s ON s.conversation_id = c.id
WHERE c.id = @id AND (sqlc.narg('owner_id')::uuid IS NULL OR c.owner_id = sqlc.narg('owner_id'));

-- name: UpdateSceneControls :one
UPDATE scenes SET pace_ms = @pace_ms, mode = @mode, max_turns = @max_turns
WHERE conversation_id = @conversation_id
RETURNING *;

-- name: SceneCast :many
-- The characters present in a scene, in joining order.
SELECT ch.* FROM conversation_participants p
JOIN characters ch ON ch.id = p.character_id
WHERE p.conversation_id = @conversation_id
ORDER BY p.joined_at, p.character_id;

-- name: SceneRelationships :many
-- Every relationship between two characters present in a scene.
SELECT r.* FROM relationships r
WHERE r.from_id IN (SELECT p.character_id FROM conversation_participants p WHERE p.conversation_id = @conversation_id)
  AND r.to_id IN (SELECT p.character_id FROM conversation_participants p WHERE p.conversation_id = @conversation_id)
ORDER BY r.created_at, r.id;

-- name: PendingDirections :many
SELECT * FROM scene_directions
WHERE conversation_id = @conversation_id AND used_turn IS NULL
ORDER BY id
LIMIT 50;

-- name: AddDirection :one
INSERT INTO scene_directions (conversation_id, character_id, instruction)
VALUES (@conversation_id, @character_id, @instruction)
RETURNING *;

-- name: UseDirections :exec
UPDATE scene_directions SET used_turn = @turn
WHERE conversation_id = @conversation_id AND character_id = @character_id AND used_turn IS NULL;

-- name: BookVoice :many
-- A character's own lines from its book (the memories casting made of them), most
-- important first, then by text: the offline storyteller speaks from them, and the same
-- book gives the same voice in the same order (ids are random), so a seeded scene replays.
SELECT content FROM memories
WHERE character_id = @character_id AND type = 'DIALOGUE' AND source_document_id IS NOT NULL
ORDER BY importance DESC, content
LIMIT 200;

-- name: SceneLines :many
-- A scene's last lines before a message number, newest first, with their speakers' names.
SELECT m.id, m.seq, m.turn, m.sender_kind, m.sender_character_id, m.addressee_character_id, m.content,
       ch.name AS speaker_name
FROM messages m
LEFT JOIN characters ch ON ch.id = m.sender_character_id
WHERE m.conversation_id = @conversation_id AND m.seq < @before_seq AND m.sender_kind <> 'SYSTEM'
ORDER BY m.seq DESC
LIMIT @max_lines;

-- name: SceneLineExists :one
-- Whether the line has been said in the scene already (one index probe).
SELECT EXISTS (SELECT 1 FROM messages WHERE conversation_id = @conversation_id AND turn IS NOT NULL
               AND md5(content) = md5(@content::text));

-- name: SceneLineHashes :many
-- The MD5s of a scene's lines of turns after_turn+1 .. before_turn-1 (the unique index's
-- key), for the worker's memory of what the scene has said.
SELECT decode(md5(content), 'hex')::bytea AS hash FROM messages
WHERE conversation_id = @conversation_id AND turn > @after_turn::int AND turn < @before_turn::int;

-- name: SceneLinesSaid :many
-- Which of the candidate lines have been said in the scene already (index probes).
SELECT content FROM messages WHERE conversation_id = @conversation_id AND turn IS NOT NULL
  AND md5(content) IN (SELECT md5(c) FROM unnest(@contents::text[]) AS c);

-- name: LockCharacters :many
-- Locks characters in id order, so that two turns sharing characters cannot deadlock.
-- NO KEY UPDATE: rows that only reference a character (a scene's participants, a
-- message, a memory) take KEY SHARE on it, which FOR UPDATE would wait on, and two
-- scenes starting with one cast deadlocked so.
SELECT id FROM characters WHERE id = ANY(@ids::uuid[]) ORDER BY id FOR NO KEY UPDATE;

-- name: AppendSceneLine :one
-- Numbers and stores a scene's line (the caller holds the conversation's lock) and moves
-- the scene to its turn, in one statement.
WITH numbered AS (
    UPDATE conversations c SET last_seq = c.last_seq + 1, updated_at = now()
    WHERE c.id = @conversation_id
    RETURNING c.id AS conversation_id, c.ecosystem_id, c.last_seq
), scene AS (
    UPDATE scenes s SET turn = @turn, last_speaker_id = @speaker_id, last_turn_at = @at::timestamptz,
        spoke = s.spoke || jsonb_build_object(CAST(@speaker_id::uuid AS text), @turn::integer)
    WHERE s.conversation_id = @conversation_id
    RETURNING s.conversation_id
)
INSERT INTO messages (id, conversation_id, ecosystem_id, seq, turn, sender_kind, sender_character_id,
                      addressee_character_id, reply_to_id, content, emotion, intensity, metadata)
SELECT @id::uuid, n.conversation_id, n.ecosystem_id, n.last_seq, @turn::integer, 'CHARACTER', @speaker_id::uuid,
       sqlc.narg('addressee_id')::uuid, sqlc.narg('reply_to_id')::uuid, @content::text, @emotion::text,
       @intensity::double precision, @metadata::jsonb
FROM numbered n, scene
RETURNING *;

-- name: SetCharacterStates :many
-- Sets emotion, energy and last interaction of several characters at once (already
-- locked by LockCharacters).
UPDATE characters ch
SET current_emotion = v.emotion, social_energy = v.energy, last_interaction = @at::timestamptz, updated_at = now()
FROM (SELECT unnest(@ids::uuid[]) AS id, unnest(@emotions::text[]) AS emotion,
             unnest(@energies::double precision[]) AS energy) v
WHERE ch.id = v.id
RETURNING ch.id, ch.ecosystem_id, ch.name, ch.current_emotion, ch.is_active;

-- name: AdjustRelationships :many
-- Adds deltas to several relationships, clamped to their ranges, and records each change
-- in history with its cause and the line that caused it, in one statement.
WITH d AS (
    SELECT unnest(@ids::uuid[]) AS id, unnest(@d_strength::double precision[]) AS ds,
           unnest(@d_trust::double precision[]) AS dt, unnest(@d_familiarity::double precision[]) AS df
), old AS (
    SELECT r.* FROM relationships r JOIN d ON d.id = r.id ORDER BY r.id FOR UPDATE OF r
), upd AS (
    UPDATE relationships r
    SET strength = greatest(-1, least(1, o.strength + d.ds)),
        trust = greatest(0, least(1, o.trust + d.dt)),
        familiarity = greatest(0, least(1, o.familiarity + d.df)),
        updated_at = now()
    FROM old o JOIN d ON d.id = o.id
    WHERE r.id = o.id
    RETURNING r.*, o.strength AS old_strength, o.trust AS old_trust, o.familiarity AS old_familiarity,
              d.ds, d.dt, d.df
)
INSERT INTO relationship_events (
    relationship_id, ecosystem_id, from_id, to_id, type, kind,
    old_strength, old_trust, old_familiarity, strength, trust, familiarity, label,
    delta_strength, delta_trust, delta_familiarity, clamped, cause, actor, message_id
)
SELECT u.id, u.ecosystem_id, u.from_id, u.to_id, u.type, 'ADJUSTED',
       u.old_strength, u.old_trust, u.old_familiarity, u.strength, u.trust, u.familiarity, u.label,
       u.ds, u.dt, u.df,
       (u.strength <> u.old_strength + u.ds OR u.trust <> u.old_trust + u.dt OR u.familiarity <> u.old_familiarity + u.df),
       @cause::text, 'scene', @message_id::uuid
FROM upd u
RETURNING *;

-- name: CreateSceneRelationships :many
-- Creates the acquaintances a scene's line starts between characters who had no
-- relationship, and records their creation. Pairs that meanwhile have one are skipped.
WITH ins AS (
    INSERT INTO relationships (ecosystem_id, from_id, to_id, type, strength, trust, familiarity)
    SELECT @ecosystem_id, p.from_id, p.to_id, 'ACQUAINTANCE', 0, 0.5, 0
    FROM (SELECT unnest(@from_ids::uuid[]) AS from_id, unnest(@to_ids::uuid[]) AS to_id) p
    ON CONFLICT DO NOTHING
    RETURNING *
), hist AS (
    INSERT INTO relationship_events (relationship_id, ecosystem_id, from_id, to_id, type, kind, strength, trust,
                                     familiarity, cause, actor, message_id)
    SELECT i.id, i.ecosystem_id, i.from_id, i.to_id, i.type, 'CREATED', i.strength, i.trust, i.familiarity,
           @cause::text, 'scene', @message_id::uuid
    FROM ins i
    RETURNING id, relationship_id
)
SELECT i.*, h.id AS history_id FROM ins i JOIN hist h ON h.relationship_id = i.id;

-- name: ChangesOfMessages :many
SELECT * FROM relationship_events WHERE message_id = ANY(@message_ids::uuid[]) ORDER BY id;

-- name: StoreNarration :one
-- Numbers and stores a narrator's line in a scene (the caller holds the lock).
WITH numbered AS (
    UPDATE conversations c SET last_seq = c.last_seq + 1, updated_at = now()
    WHERE c.id = @conversation_id
    RETURNING c.id AS conversation_id, c.ecosystem_id, c.last_seq
)
INSERT INTO messages (id, conversation_id, ecosystem_id, seq, sender_kind, content, metadata)
SELECT @id::uuid, n.conversation_id, n.ecosystem_id, n.last_seq, 'NARRATOR', @content::text, @metadata::jsonb
FROM numbered n
RETURNING *;

-- name: ObservatoryCounts :one
-- An ecosystem's live figures, in one round trip.
SELECT
    (SELECT count(*) FROM characters ch WHERE ch.ecosystem_id = @ecosystem_id AND ch.is_active)::bigint AS active_characters,
    (SELECT coalesce(avg(ch.social_energy), 0) FROM characters ch
     WHERE ch.ecosystem_id = @ecosystem_id AND ch.is_active)::double precision AS energy_level,
    (SELECT count(*) FROM relationships r WHERE r.ecosystem_id = @ecosystem_id)::bigint AS relationships,
    (SELECT count(*) FROM conversations c WHERE c.ecosystem_id = @ecosystem_id AND c.status = 'ACTIVE')::bigint AS ongoing_conversations,
    (SELECT count(*) FROM conversations c JOIN scenes s ON s.conversation_id = c.id
     WHERE c.ecosystem_id = @ecosystem_id AND c.status = 'ACTIVE')::bigint AS story_threads;

-- name: EmotionCounts :many
SELECT current_emotion AS emotion, count(*)::bigint AS total FROM characters
WHERE ecosystem_id = @ecosystem_id AND is_active
GROUP BY current_emotion
ORDER BY total DESC, current_emotion;

-- name: RecentRelationshipChanges :many
-- The latest relationship changes of an ecosystem that moved strength, newest first.
SELECT * FROM relationship_events
WHERE ecosystem_id = @ecosystem_id AND kind IN ('ADJUSTED', 'UPDATED') AND old_strength IS NOT NULL
ORDER BY at DESC, id DESC
LIMIT @max_changes;

-- name: RecentSceneLines :many
-- The latest lines of an ecosystem's scenes, newest first.
SELECT m.* FROM messages m
WHERE m.ecosystem_id = @ecosystem_id AND m.turn IS NOT NULL
ORDER BY m.created_at DESC, m.id DESC
LIMIT @max_lines;

-- name: CharactersByNames :many
-- An ecosystem's characters with any of the names (lower-cased), oldest first.
SELECT * FROM characters
WHERE ecosystem_id = @ecosystem_id AND lower(name) = ANY(@names::text[])
ORDER BY created_at, id;

-- name: SetStandIn :exec
UPDATE conversations SET stand_in_id = @stand_in_id, updated_at = now() WHERE id = @id;

-- name: CountRunningScenes :one
-- The scenes of a user's that are running now.
SELECT count(*) FROM conversations c JOIN scenes s ON s.conversation_id = c.id
WHERE c.owner_id = @owner_id AND c.status = 'ACTIVE';
