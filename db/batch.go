package db

import (
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// QueueAppendEvents queues AppendEvents on b instead of running it, so that a
// transaction's events can travel in one round trip with its COMMIT: the ecosystem rows
// they lock are then held for the commit alone, not also for a round trip to the client
// and back. done receives the written events' rows when the batch runs.
func QueueAppendEvents(b *pgx.Batch, arg AppendEventsParams, done func([]AppendEventsRow) error) {
	queueRows(b, done, appendEvents, arg.EcosystemID, arg.Topics, arg.Payloads, arg.GraphChanged)
}

// The Queue functions below pass arguments in the order of the placeholders sqlc numbered
// in the queries, as the generated methods do; TestQueuedAsGenerated fails if a query's
// placeholders are renumbered and these are not.

// QueueListRelationshipsOfCharacters queues ListRelationshipsOfCharacters on b; each
// receives its rows one by one when the batch runs (a slice of thousands of rows would
// only be copied again).
func QueueListRelationshipsOfCharacters(b *pgx.Batch, arg ListRelationshipsOfCharactersParams, each func(*ListRelationshipsOfCharactersRow) error) {
	queueMany(b, each, func(rows pgx.Rows, i *ListRelationshipsOfCharactersRow) error {
		return rows.Scan(&i.CharacterID, &i.ID, &i.EcosystemID, &i.FromID, &i.ToID, &i.Type, &i.Label,
			&i.Strength, &i.Trust, &i.Familiarity, &i.Notes, &i.Since, &i.CreatedAt, &i.UpdatedAt)
	}, listRelationshipsOfCharacters, arg.CharacterIds, arg.PageLimit, arg.Direction, arg.Types,
		arg.MinStrength, arg.MaxStrength, arg.AfterCreatedAt, arg.AfterID)
}

// QueueCountRelationshipsOfCharacters queues CountRelationshipsOfCharacters on b.
func QueueCountRelationshipsOfCharacters(b *pgx.Batch, arg CountRelationshipsOfCharactersParams, each func(*CountRelationshipsOfCharactersRow) error) {
	queueMany(b, each, func(rows pgx.Rows, i *CountRelationshipsOfCharactersRow) error {
		return rows.Scan(&i.CharacterID, &i.Total)
	}, countRelationshipsOfCharacters, arg.Direction, arg.Types, arg.MinStrength, arg.MaxStrength, arg.CharacterIds)
}

// QueueListCharacters queues ListCharacters on b.
func QueueListCharacters(b *pgx.Batch, arg ListCharactersParams, each func(*Character) error) {
	queueMany(b, each, func(rows pgx.Rows, i *Character) error {
		return rows.Scan(&i.ID, &i.EcosystemID, &i.Name, &i.Description, &i.Backstory, &i.SpeakingStyle,
			&i.Goals, &i.Openness, &i.Conscientiousness, &i.Extraversion, &i.Agreeableness, &i.Neuroticism,
			&i.AutonomyLevel, &i.SocialEnergy, &i.CurrentEmotion, &i.IsActive, &i.MemorySummary,
			&i.CurrentContext, &i.LastInteraction, &i.CreatedAt, &i.UpdatedAt, &i.SourceDocumentID, &i.SourceKey,
			&i.ReflectionDebt)
	}, listCharacters, arg.OwnerID, arg.EcosystemID, arg.IsActive, arg.Search, arg.AfterCreatedAt, arg.AfterID,
		arg.PageLimit)
}

// QueueCountCharacters queues CountCharacters on b; the count lands in n.
func QueueCountCharacters(b *pgx.Batch, arg CountCharactersParams, n *int64) {
	b.Queue(countCharacters, arg.OwnerID, arg.EcosystemID, arg.IsActive, arg.Search).QueryRow(func(row pgx.Row) error {
		return row.Scan(n)
	})
}

// queueMany queues a :many query whose rows scan into T, the row type sqlc generated for
// it, column by column as sqlc's own code does (pgx's reflective RowToStructByPos costs
// several times more per row).
func queueMany[T any](b *pgx.Batch, each func(*T) error, scan func(pgx.Rows, *T) error, sql string, args ...any) {
	b.Queue(sql, args...).Query(func(rows pgx.Rows) error {
		defer rows.Close()
		var i T
		for rows.Next() {
			if err := scan(rows, &i); err != nil {
				return err
			}
			if err := each(&i); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// A scene's turn reads what it is made from in one round trip, and writes its line and
// everything the line changes in another: the Queue functions below queue those
// statements, a few rows each.

// QueueSceneCast queues SceneCast on b.
func QueueSceneCast(b *pgx.Batch, conversationID uuid.UUID, done func([]Character) error) {
	queueRows(b, done, sceneCast, conversationID)
}

// QueueSceneRelationships queues SceneRelationships on b.
func QueueSceneRelationships(b *pgx.Batch, conversationID uuid.UUID, done func([]Relationship) error) {
	queueRows(b, done, sceneRelationships, conversationID)
}

// QueueSceneLines queues SceneLines on b.
func QueueSceneLines(b *pgx.Batch, arg SceneLinesParams, done func([]SceneLinesRow) error) {
	queueRows(b, done, sceneLines, arg.ConversationID, arg.BeforeSeq, arg.MaxLines)
}

// QueuePendingDirections queues PendingDirections on b.
func QueuePendingDirections(b *pgx.Batch, conversationID uuid.UUID, done func([]SceneDirection) error) {
	queueRows(b, done, pendingDirections, conversationID)
}

// QueueSceneLineHashes queues SceneLineHashes on b.
func QueueSceneLineHashes(b *pgx.Batch, arg SceneLineHashesParams, done func([][]byte) error) {
	b.Queue(sceneLineHashes, arg.ConversationID, arg.AfterTurn, arg.BeforeTurn).Query(func(rows pgx.Rows) error {
		out, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
		if err != nil {
			return err
		}
		return done(out)
	})
}

// QueueLockCharacters queues LockCharacters on b; its rows are not needed.
func QueueLockCharacters(b *pgx.Batch, ids []uuid.UUID) {
	b.Queue(lockCharacters, ids)
}

// QueueAppendSceneLine queues AppendSceneLine on b.
func QueueAppendSceneLine(b *pgx.Batch, arg AppendSceneLineParams, done func([]Message) error) {
	queueRows(b, done, appendSceneLine, arg.ID, arg.Turn, arg.SpeakerID, arg.AddresseeID, arg.ReplyToID, arg.Content,
		arg.Emotion, arg.Intensity, arg.Metadata, arg.ConversationID, arg.At)
}

// QueueSetCharacterStates queues SetCharacterStates on b.
func QueueSetCharacterStates(b *pgx.Batch, arg SetCharacterStatesParams, done func([]SetCharacterStatesRow) error) {
	queueRows(b, done, setCharacterStates, arg.At, arg.Ids, arg.Emotions, arg.Energies)
}

// QueueCreateSceneRelationships queues CreateSceneRelationships on b.
func QueueCreateSceneRelationships(b *pgx.Batch, arg CreateSceneRelationshipsParams, done func([]CreateSceneRelationshipsRow) error) {
	queueRows(b, done, createSceneRelationships, arg.EcosystemID, arg.FromIds, arg.ToIds, arg.Cause, arg.MessageID)
}

// QueueAdjustRelationships queues AdjustRelationships on b.
func QueueAdjustRelationships(b *pgx.Batch, arg AdjustRelationshipsParams, done func([]RelationshipEvent) error) {
	queueRows(b, done, adjustRelationships, arg.Cause, arg.MessageID, arg.Ids, arg.DStrength, arg.DTrust, arg.DFamiliarity)
}

// QueueTouchMemories queues TouchMemories on b.
func QueueTouchMemories(b *pgx.Batch, arg TouchMemoriesParams) {
	b.Queue(touchMemories, arg.At, arg.Ids)
}

// QueueAddSceneMemories queues AddSceneMemories on b.
func QueueAddSceneMemories(b *pgx.Batch, arg AddSceneMemoriesParams, done func([]AddSceneMemoriesRow) error) {
	queueRows(b, done, addSceneMemories, arg.CharacterIds, arg.Contents, arg.Types, arg.Importances, arg.Embeddings,
		arg.EcosystemID, arg.EmbeddingModel, arg.SourceMessageID)
}

// QueueUseDirections queues UseDirections on b.
func QueueUseDirections(b *pgx.Batch, arg UseDirectionsParams) {
	b.Queue(useDirections, arg.Turn, arg.ConversationID, arg.CharacterID)
}

// queueRows queues a query of a few rows, scanned into T (a struct sqlc generated, its
// fields in column order) by position.
func queueRows[T any](b *pgx.Batch, done func([]T) error, sql string, args ...any) {
	b.Queue(sql, args...).Query(func(rows pgx.Rows) error {
		out, err := pgx.CollectRows(rows, pgx.RowToStructByPos[T])
		if err != nil {
			return err
		}
		return done(out)
	})
}
