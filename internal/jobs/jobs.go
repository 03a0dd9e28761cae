// Package jobs runs background work as River jobs on the same PostgreSQL: a job is
// inserted in the transaction that makes it necessary, so it exists exactly when that
// change does, survives restarts, and runs once across all instances.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
)

// Runner owns the River client. Workers are registered before Open.
type Runner struct {
	workers *river.Workers
	client  *river.Client[pgx.Tx]
	pool    *pgxpool.Pool
	// id is the River client's id, which River records on the jobs it works.
	id string
	// live holds the runner's liveness lock while it runs (see Orphans).
	live *pgx.Conn
}

// NewRunner returns a runner to register workers on.
func NewRunner() *Runner {
	return &Runner{workers: river.NewWorkers(), id: "ensemble-" + uuid.NewString()}
}

// Register adds a worker; call before Open.
func Register[T river.JobArgs](r *Runner, w river.Worker[T]) {
	river.AddWorker(r.workers, w)
}

// Options tune the client.
type Options struct {
	// MaxWorkers is how many jobs run at once in this process.
	MaxWorkers int
	// PollInterval is how often River looks for jobs when no notification wakes it.
	PollInterval time.Duration
	// Queues are further queues and how many of their jobs run at once, so that
	// latency-sensitive work (replies) does not wait behind slow work (reflection).
	Queues map[string]int
	// RescueAfter is how long a job may run before it is taken as abandoned by a dead
	// process and run again (River's default is an hour). Workers whose jobs may run
	// longer set their own Timeout below it.
	RescueAfter time.Duration
	// Middleware wrap every job's work (metrics, traces).
	Middleware []rivertype.Middleware
	// Periodic are jobs the leader instance inserts on a schedule.
	Periodic []*river.PeriodicJob
}

// Open creates the River client over pool.
func (r *Runner) Open(pool *pgxpool.Pool, logger *slog.Logger, o Options) error {
	if o.MaxWorkers <= 0 {
		o.MaxWorkers = 4
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	queues := map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: o.MaxWorkers}}
	for name, n := range o.Queues {
		queues[name] = river.QueueConfig{MaxWorkers: n}
	}
	jobTimeout := time.Duration(0)
	if o.RescueAfter > 0 && o.RescueAfter < time.Minute {
		// River wants the default job timeout below the rescue time.
		jobTimeout = o.RescueAfter
	}
	client, err := river.NewClient(riverpgxv5.New(pool), &river.Config{
		ID:                   r.id,
		Queues:               queues,
		RescueStuckJobsAfter: o.RescueAfter,
		JobTimeout:           jobTimeout,
		Workers:              r.workers,
		Logger:               logger,
		FetchPollInterval:    o.PollInterval,
		// A reply job should start as soon as its insert is announced, not after River's
		// default 100 ms cool-down between fetches.
		FetchCooldown: 5 * time.Millisecond,
		Middleware:    o.Middleware,
		PeriodicJobs:  o.Periodic,
	})
	if err != nil {
		return fmt.Errorf("river client: %w", err)
	}
	r.client, r.pool = client, pool
	return nil
}

// Start begins working jobs until Stop.
func (r *Runner) Start(ctx context.Context) error {
	if err := r.holdLiveness(ctx, r.pool); err != nil {
		return err
	}
	if err := r.client.Start(ctx); err != nil {
		r.releaseLiveness(ctx)
		return fmt.Errorf("start river: %w", err)
	}
	return nil
}

// Stop lets running jobs finish (until ctx ends) and stops.
func (r *Runner) Stop(ctx context.Context) error {
	defer r.releaseLiveness(context.WithoutCancel(ctx))
	if err := r.client.Stop(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("stop river: %w", err)
	}
	return nil
}

// InsertTx enqueues a job in tx: it exists if and only if tx commits.
func (r *Runner) InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	if _, err := r.client.InsertTx(ctx, tx, args, opts); err != nil {
		return fmt.Errorf("enqueue %s: %w", args.Kind(), err)
	}
	return nil
}

// Migrate applies River's own migrations (its job tables).
func Migrate(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger) error {
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: logger})
	if err != nil {
		return fmt.Errorf("river migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	return nil
}
