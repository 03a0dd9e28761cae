// Package limits counts what clients use, so that the server can refuse those who use too
// much: rates (GCRA, through golang.org/x/time/rate in process or go-redis's redis_rate
// across instances), delays that grow with repeated failures, caps on what one key
// holds at once, and a gate on the work running at once in the process.
package limits

import (
	"context"
	"time"
)

// Limit is a rate: Rate events per Period, in bursts of up to Burst.
type Limit struct {
	Rate   int
	Period time.Duration
	Burst  int
}

// PerMinute allows n events a minute, all at once if they come so.
func PerMinute(n int) Limit { return Limit{Rate: n, Period: time.Minute, Burst: n} }

// PerHour allows n events an hour, all at once if they come so.
func PerHour(n int) Limit { return Limit{Rate: n, Period: time.Hour, Burst: n} }

// Off reports whether l limits nothing (a rate of 0 turns a limit off).
func (l Limit) Off() bool { return l.Rate <= 0 || l.Period <= 0 || l.Burst <= 0 }

// Backoff locks a key out for a while after repeated failures: Free failures cost
// nothing, the next locks it for First, and every further one doubles the lockout up to
// Max. Failures are forgotten Forget after the last one.
type Backoff struct {
	Free   int
	First  time.Duration
	Max    time.Duration
	Forget time.Duration
}

// Off reports whether b never locks (a Max of 0 turns it off).
func (b Backoff) Off() bool { return b.Max <= 0 || b.First <= 0 }

// Delay is the lockout earned by the nth failure in a row.
func (b Backoff) Delay(n int) time.Duration {
	if b.Off() || n <= b.Free {
		return 0
	}
	d := b.First
	for i := b.Free + 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	return min(d, b.Max)
}

// Store keeps the counts, in process (Local) or in Redis, shared by every instance
// (Redis). Keys name what is counted and for whom ("signin:addr:192.0.2.1"); a key is
// used with one Limit or one Backoff only.
type Store interface {
	// Take takes n events from key's budget under l. When they do not fit it takes none
	// and returns how long until they would. n over the burst is taken as the burst:
	// an event larger than the whole budget empties it rather than never fitting.
	Take(ctx context.Context, key string, l Limit, n int) (retryAfter time.Duration, err error)
	// LockedFor is how long key stays locked out by its failures.
	LockedFor(ctx context.Context, key string) (time.Duration, error)
	// Fail records a failure of key and returns the lockout it earns under b.
	Fail(ctx context.Context, key string, b Backoff) (time.Duration, error)
	// Forgive forgets key's failures and lockout.
	Forgive(ctx context.Context, key string) error
}
