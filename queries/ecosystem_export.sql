-- Reading a whole ecosystem for its export document, and writing one back as a new
-- ecosystem (internal/ecosystemexport). Rows come in (created_at, id) order, which the
-- document keeps; an import hands out time-ordered ids in that order, so exporting the
-- imported ecosystem lists its rows in the same order.

-- name: ExportSize :one
-- What an export would hold, read before anything is loaded: rows and the bytes of their
-- texts, to refuse an ecosystem whose document would be over the limit. Each part is read
-- through an index on its ecosystem (messages through their conversations).
SELECT
    ((SELECT count(*) FROM characters c WHERE c.ecosystem_id = @ecosystem_id)
  + (SELECT count(*) FROM relationships r WHERE r.ecosystem_id = @ecosystem_id)
  + (SELECT count(*) FROM relationship_events h WHERE h.ecosystem_id = @ecosystem_id)
  + (SELECT count(*) FROM memories m WHERE m.ecosystem_id = @ecosystem_id)
  + (SELECT count(*) FROM scenarios s WHERE s.ecosystem_id = @ecosystem_id)
  + (SELECT count(*) FROM conversations v WHERE v.ecosystem_id = @ecosystem_id)
  + (SELECT count(*) FROM messages g JOIN conversations v ON v.id = g.conversation_id
     WHERE v.ecosystem_id = @ecosystem_id))::bigint AS rows,
    (coalesce((SELECT sum(octet_length(c.description) + octet_length(c.backstory) + octet_length(c.speaking_style)
                       + octet_length(c.memory_summary) + octet_length(c.current_context::text))
              FROM characters c WHERE c.ecosystem_id = @ecosystem_id), 0)
  + coalesce((SELECT sum(octet_length(m.content)) FROM memories m WHERE m.ecosystem_id = @ecosystem_id), 0)
  + coalesce((SELECT sum(octet_length(g.content) + octet_length(g.metadata::text))
              FROM messages g JOIN conversations v ON v.id = g.conversation_id
              WHERE v.ecosystem_id = @ecosystem_id), 0)
  + coalesce((SELECT sum(octet_length(s.premise) + octet_length(s.opening)) FROM scenarios s
              WHERE s.ecosystem_id = @ecosystem_id), 0)
  + coalesce((SELECT sum(octet_length(coalesce(h.cause, ''))) FROM relationship_events h
              WHERE h.ecosystem_id = @ecosystem_id), 0))::bigint AS text_bytes;

-- name: ExportCharacters :many
SELECT * FROM characters WHERE ecosystem_id = @ecosystem_id ORDER BY created_at, id;

-- name: ExportRelationships :many
SELECT * FROM relationships WHERE ecosystem_id = @ecosystem_id ORDER BY created_at, id;

-- name: ExportRelationshipHistory :many
-- The history of the relationships that still exist (a deleted one's history has no
-- relationship to hang from), oldest change first.
SELECT h.* FROM relationship_events h
JOIN relationships r ON r.id = h.relationship_id
WHERE h.ecosystem_id = @ecosystem_id
ORDER BY h.id;

-- name: ExportMemories :many
-- Without embeddings: an import computes them again with its own embedder.
SELECT id, character_id, content, type, importance, created_at, last_accessed_at, access_count, source_message_id
FROM memories WHERE ecosystem_id = @ecosystem_id ORDER BY created_at, id;

-- name: ExportMemorySources :many
-- In the sources' document order, which an import keeps.
SELECT s.reflection_id, s.source_id FROM memory_sources s
JOIN memories m ON m.id = s.reflection_id
JOIN memories src ON src.id = s.source_id
WHERE m.ecosystem_id = @ecosystem_id
ORDER BY s.reflection_id, src.created_at, src.id;

-- name: ExportScenarios :many
SELECT * FROM scenarios WHERE ecosystem_id = @ecosystem_id ORDER BY created_at, id;

-- name: ExportScenarioCast :many
SELECT c.* FROM scenario_cast c
JOIN scenarios s ON s.id = c.scenario_id
WHERE s.ecosystem_id = @ecosystem_id
ORDER BY c.scenario_id, c.position;

-- name: ExportConversations :many
SELECT * FROM conversations WHERE ecosystem_id = @ecosystem_id ORDER BY created_at, id;

-- name: ExportParticipants :many
-- Those who joined together in the characters' document order, which an import keeps.
SELECT p.* FROM conversation_participants p
JOIN conversations v ON v.id = p.conversation_id
JOIN characters c ON c.id = p.character_id
WHERE v.ecosystem_id = @ecosystem_id
ORDER BY p.conversation_id, p.joined_at, c.created_at, c.id;

-- name: ExportScenes :many
SELECT s.* FROM scenes s
JOIN conversations v ON v.id = s.conversation_id
WHERE v.ecosystem_id = @ecosystem_id;

-- name: ExportMessages :many
-- Through the conversations: messages have no index on their ecosystem.
SELECT g.* FROM messages g
JOIN conversations v ON v.id = g.conversation_id
WHERE v.ecosystem_id = @ecosystem_id
ORDER BY g.conversation_id, g.seq;

-- name: ImportEcosystem :one
INSERT INTO ecosystems (owner_id, name, description)
VALUES (@owner_id, @name, @description)
RETURNING *;

-- name: ImportCharacters :copyfrom
INSERT INTO characters (id, ecosystem_id, name, description, backstory, speaking_style, goals, openness,
                        conscientiousness, extraversion, agreeableness, neuroticism, autonomy_level, social_energy,
                        current_emotion, is_active, memory_summary, current_context, last_interaction, reflection_debt,
                        created_at, updated_at)
VALUES (@id, @ecosystem_id, @name, @description, @backstory, @speaking_style, @goals, @openness,
        @conscientiousness, @extraversion, @agreeableness, @neuroticism, @autonomy_level, @social_energy,
        @current_emotion, @is_active, @memory_summary, @current_context, @last_interaction, @reflection_debt,
        @created_at, @updated_at);

-- name: ImportRelationships :copyfrom
INSERT INTO relationships (id, ecosystem_id, from_id, to_id, type, label, strength, trust, familiarity, notes, since,
                           created_at, updated_at)
VALUES (@id, @ecosystem_id, @from_id, @to_id, @type, @label, @strength, @trust, @familiarity, @notes, @since,
        @created_at, @updated_at);

-- name: ImportRelationshipHistory :copyfrom
INSERT INTO relationship_events (relationship_id, ecosystem_id, from_id, to_id, type, kind, old_strength, old_trust,
                                 old_familiarity, strength, trust, familiarity, label, delta_strength, delta_trust,
                                 delta_familiarity, clamped, cause, actor_user_id, actor, at, message_id)
VALUES (@relationship_id, @ecosystem_id, @from_id, @to_id, @type, @kind, @old_strength, @old_trust,
        @old_familiarity, @strength, @trust, @familiarity, @label, @delta_strength, @delta_trust,
        @delta_familiarity, @clamped, @cause, @actor_user_id, @actor, @at, @message_id);

-- name: LastHistoryOfRelationships :many
-- The newest history row of each relationship of an ecosystem, for the events announcing them.
SELECT relationship_id, max(id)::bigint AS history_id FROM relationship_events
WHERE ecosystem_id = @ecosystem_id GROUP BY relationship_id;

-- name: ImportMemories :copyfrom
INSERT INTO memories (id, character_id, ecosystem_id, content, type, importance, embedding, embedding_model,
                      created_at, last_accessed_at, access_count, source_message_id)
VALUES (@id, @character_id, @ecosystem_id, @content, @type, @importance, @embedding, @embedding_model,
        @created_at, @last_accessed_at, @access_count, @source_message_id);

-- name: ImportMemorySources :copyfrom
INSERT INTO memory_sources (reflection_id, source_id) VALUES (@reflection_id, @source_id);

-- name: ImportScenarios :copyfrom
INSERT INTO scenarios (id, ecosystem_id, title, setting, mood, premise, opening, max_turns, pace_ms,
                       created_at, updated_at)
VALUES (@id, @ecosystem_id, @title, @setting, @mood, @premise, @opening, @max_turns, @pace_ms,
        @created_at, @updated_at);

-- name: ImportScenarioCast :copyfrom
INSERT INTO scenario_cast (scenario_id, character_id, position, role, goal, secret, may_speak)
VALUES (@scenario_id, @character_id, @position, @role, @goal, @secret, @may_speak);

-- name: ImportConversations :copyfrom
INSERT INTO conversations (id, ecosystem_id, owner_id, kind, status, title, stand_in_id, last_seq,
                           created_at, updated_at)
VALUES (@id, @ecosystem_id, @owner_id, @kind, @status, @title, @stand_in_id, @last_seq,
        @created_at, @updated_at);

-- name: ImportParticipants :copyfrom
INSERT INTO conversation_participants (conversation_id, character_id, joined_at)
VALUES (@conversation_id, @character_id, @joined_at);

-- name: ImportScenes :copyfrom
INSERT INTO scenes (conversation_id, scenario_id, setting, mood, premise, roles, turn, max_turns, pace_ms, seed,
                    mode, last_speaker_id, last_turn_at, spoke)
VALUES (@conversation_id, @scenario_id, @setting, @mood, @premise, @roles, @turn, @max_turns, @pace_ms, @seed,
        @mode, @last_speaker_id, @last_turn_at, @spoke);

-- name: ImportMessages :copyfrom
INSERT INTO messages (id, conversation_id, ecosystem_id, seq, sender_kind, sender_user_id, sender_character_id,
                      addressee_character_id, reply_to_id, content, emotion, intensity, metadata, created_at, turn)
VALUES (@id, @conversation_id, @ecosystem_id, @seq, @sender_kind, @sender_user_id, @sender_character_id,
        @addressee_character_id, @reply_to_id, @content, @emotion, @intensity, @metadata, @created_at, @turn);
