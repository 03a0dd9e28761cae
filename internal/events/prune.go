package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/literaryai/ensemble/db"
)

// PruneArgs is the periodic job that deletes events older than the retention.
type PruneArgs struct{}

// Kind implements river.JobArgs.
func (PruneArgs) Kind() string { return "events.prune" }

// InsertOpts keeps one prune waiting or running across all instances.
func (PruneArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
		rivertype.JobStateScheduled, rivertype.JobStateRetryable,
	}}}
}

// PruneEvery is how often the prune runs.
const PruneEvery = time.Hour

// pruneBatch is how many events one statement deletes: small enough that a batch holds
// its locks briefly while writers append, large enough that a day of events goes quickly.
const pruneBatch = 5000

// PruneWorker deletes events older than its retention, oldest first, in batches. Events
// a projection has not read yet are kept, so a projection that stopped holds them back.
// Each ecosystem records the last number pruned, which makes an older cursor expire
// (see activity.Service.Follow).
type PruneWorker struct {
	river.WorkerDefaults[PruneArgs]
	q         *db.Queries
	retention time.Duration
	now       func() time.Time
}

// NewPruneWorker returns the worker for a retention (positive).
func NewPruneWorker(pool *pgxpool.Pool, retention time.Duration) *PruneWorker {
	return &PruneWorker{q: db.New(pool), retention: retention, now: time.Now}
}

// PeriodicJob schedules the prune every PruneEvery, and once at start.
func PeriodicJob() *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(PruneEvery),
		func() (river.JobArgs, *river.InsertOpts) { return PruneArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}

// Work implements river.Worker.
func (w *PruneWorker) Work(ctx context.Context, _ *river.Job[PruneArgs]) error {
	_, err := w.Prune(ctx)
	return err
}

// Prune deletes the events older than the retention and reports how many.
func (w *PruneWorker) Prune(ctx context.Context) (int64, error) {
	before := w.now().Add(-w.retention)
	oldest, err := w.q.OldestEventAt(ctx)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("oldest event: %w", err)
	case !oldest.Before(before):
		return 0, nil
	}
	var total int64
	for {
		n, err := w.q.PruneEvents(ctx, db.PruneEventsParams{Before: before, MaxEvents: pruneBatch})
		if err != nil {
			return total, fmt.Errorf("prune events before %s: %w", before.Format(time.RFC3339), err)
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}
