package db

import "github.com/jackc/pgx/v5"

// QueueAppendEvents queues AppendEvents on b instead of running it, so that a
// transaction's events can travel in one round trip with its COMMIT: the ecosystem rows
// they lock are then held for the commit alone, not also for a round trip to the client
// and back. done receives the written events' rows when the batch runs.
func QueueAppendEvents(b *pgx.Batch, arg AppendEventsParams, done func([]AppendEventsRow) error) {
	b.Queue(appendEvents, arg.EcosystemID, arg.Topics, arg.Payloads, arg.GraphChanged).Query(func(rows pgx.Rows) error {
		evs, err := pgx.CollectRows(rows, pgx.RowToStructByPos[AppendEventsRow])
		if err != nil {
			return err
		}
		return done(evs)
	})
}

// The Queue functions below pass arguments in the order of the placeholders sqlc numbered
// in the queries, as the generated methods do; TestPlannedAnswersEqualExecuted fails if
// a query's placeholders are renumbered and these are not.

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

// QueueListEndsOfRelationshipPages queues ListEndsOfRelationshipPages on b.
func QueueListEndsOfRelationshipPages(b *pgx.Batch, arg ListEndsOfRelationshipPagesParams, each func(*Character) error) {
	queueMany(b, each, func(rows pgx.Rows, i *Character) error {
		return rows.Scan(&i.ID, &i.EcosystemID, &i.Name, &i.Description, &i.Backstory, &i.SpeakingStyle,
			&i.Goals, &i.Openness, &i.Conscientiousness, &i.Extraversion, &i.Agreeableness, &i.Neuroticism,
			&i.AutonomyLevel, &i.SocialEnergy, &i.CurrentEmotion, &i.IsActive, &i.MemorySummary,
			&i.CurrentContext, &i.LastInteraction, &i.CreatedAt, &i.UpdatedAt, &i.SourceDocumentID, &i.SourceKey)
	}, listEndsOfRelationshipPages, arg.CharacterIds, arg.PageLimit, arg.Direction, arg.Types,
		arg.MinStrength, arg.MaxStrength, arg.AfterCreatedAt, arg.AfterID)
}

// QueueCountRelationshipsOfCharacters queues CountRelationshipsOfCharacters on b.
func QueueCountRelationshipsOfCharacters(b *pgx.Batch, arg CountRelationshipsOfCharactersParams, each func(*CountRelationshipsOfCharactersRow) error) {
	queueMany(b, each, func(rows pgx.Rows, i *CountRelationshipsOfCharactersRow) error {
		return rows.Scan(&i.CharacterID, &i.Total)
	}, countRelationshipsOfCharacters, arg.Direction, arg.Types, arg.MinStrength, arg.MaxStrength, arg.CharacterIds)
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
