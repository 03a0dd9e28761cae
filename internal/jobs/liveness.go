package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// A process that dies mid-job (kill -9, a lost machine) leaves its jobs "running" in
// River until the rescuer gives up on them: an hour by default, at least the job's own
// timeout. Some work cannot wait that long (a scene everyone is watching). So every
// runner holds an advisory lock named after its River client id, on a connection of its
// own, for as long as it lives: PostgreSQL drops the lock the moment the process's
// connection goes, and any instance can tell a running job whose runner is gone from
// one still being worked (Orphans).

// livenessClass is the first key of the runners' advisory locks: (class, hash of id).
const livenessClass = 0x454e53 // "ENS"

// lockKey is the second key of a runner's advisory lock.
func lockKey(id string) uint32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return h.Sum32()
}

// holdLiveness takes the runner's liveness lock on a connection of its own.
func (r *Runner) holdLiveness(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pgx.ConnectConfig(ctx, pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("liveness connection: %w", err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1::int4, $2::bigint::bit(32)::int4)", int32(livenessClass), int64(lockKey(r.id))); err != nil {
		_ = conn.Close(ctx)
		return fmt.Errorf("liveness lock: %w", err)
	}
	r.live = conn
	return nil
}

// releaseLiveness drops the runner's liveness lock: its jobs are orphans from now on.
func (r *Runner) releaseLiveness(ctx context.Context) {
	if r.live != nil {
		_ = r.live.Close(ctx)
		r.live = nil
	}
}

// Orphan is a job left running by a runner that is gone.
type Orphan struct {
	ID   int64
	Args json.RawMessage
	// attemptedAt tells the attempt Revive may take over from a later one.
	attemptedAt time.Time
}

// Orphans returns the jobs of kind that have been running for at least grace on a
// runner whose liveness lock is gone: its process died, and nobody will finish them
// before River's rescuer does.
func (r *Runner) Orphans(ctx context.Context, kind string, grace time.Duration) ([]Orphan, error) {
	rows, err := r.pool.Query(ctx, `SELECT id, args, attempted_at, attempted_by[array_length(attempted_by, 1)] FROM river_job
		WHERE kind = $1 AND state = 'running' AND attempted_at < now() - make_interval(secs => $2)`, kind, grace.Seconds())
	if err != nil {
		return nil, fmt.Errorf("list running %s jobs: %w", kind, err)
	}
	type running struct {
		Orphan
		by string
	}
	var jobs []running
	for rows.Next() {
		var j running
		var by *string
		if err := rows.Scan(&j.ID, &j.Args, &j.attemptedAt, &by); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read running %s jobs: %w", kind, err)
		}
		if by != nil {
			j.by = *by
		}
		jobs = append(jobs, j)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list running %s jobs: %w", kind, err)
	}
	if len(jobs) == 0 {
		return nil, nil
	}
	live := map[uint32]bool{}
	locks, err := r.pool.Query(ctx, `SELECT objid::bigint FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid = $1::bigint::oid
		  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`, int64(livenessClass))
	if err != nil {
		return nil, fmt.Errorf("list live runners: %w", err)
	}
	for locks.Next() {
		var k int64
		if err := locks.Scan(&k); err != nil {
			locks.Close()
			return nil, fmt.Errorf("read live runners: %w", err)
		}
		live[uint32(k)] = true
	}
	locks.Close()
	if err := locks.Err(); err != nil {
		return nil, fmt.Errorf("list live runners: %w", err)
	}
	var out []Orphan
	for _, j := range jobs {
		if !live[lockKey(j.by)] {
			out = append(out, j.Orphan)
		}
	}
	return out, nil
}

// Revive makes an orphan available to the live runners at once, as River's rescuer
// would much later. It reports false when the job has moved on meanwhile (another
// instance revived it first, or its runner came back and finished it).
func (r *Runner) Revive(ctx context.Context, o Orphan) (bool, error) {
	tag, err := r.pool.Exec(ctx, `UPDATE river_job SET state = 'available', scheduled_at = now()
		WHERE id = $1 AND state = 'running' AND attempted_at = $2`, o.ID, o.attemptedAt)
	if err != nil {
		return false, fmt.Errorf("revive job %d: %w", o.ID, err)
	}
	return tag.RowsAffected() == 1, nil
}
