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
