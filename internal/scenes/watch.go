package scenes

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/literaryai/ensemble/internal/jobs"
)

// Jobs is the job queue as scenes use it.
type Jobs interface {
	InsertTx(ctx context.Context, tx pgx.Tx, args river.JobArgs, opts *river.InsertOpts) error
	Orphans(ctx context.Context, kind string, grace time.Duration) ([]jobs.Orphan, error)
	Revive(ctx context.Context, o jobs.Orphan) (bool, error)
}

// Watch intervals: how often orphaned turns are looked for, and how long a turn must
// have been running before it can be one.
const (
	watchEvery  = time.Second
	orphanGrace = 2 * time.Second
)

// Watch takes over, until ctx ends, the turns of instances that died while writing
// them: each is made available again and runs on a live instance within seconds instead
// of waiting for River's rescuer. Every instance watches; of two that find the same
// orphan, one revives it.
func (s *Service) Watch(ctx context.Context) {
	tick := time.NewTicker(watchEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		orphans, err := s.jobs.Orphans(ctx, TurnArgs{}.Kind(), orphanGrace)
		if err != nil {
			if ctx.Err() == nil {
				s.logger.Warn("look for orphaned scene turns", "error", err)
			}
			continue
		}
		for _, o := range orphans {
			revived, err := s.jobs.Revive(ctx, o)
			switch {
			case err != nil && ctx.Err() == nil:
				s.logger.Warn("revive orphaned scene turn", "job", o.ID, "error", err)
			case revived:
				var args TurnArgs
				_ = json.Unmarshal(o.Args, &args)
				s.logger.Info("took over a turn whose instance died", "scene", args.ConversationID, "turn", args.Turn, "job", o.ID)
			}
		}
	}
}
