package limits

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/literaryai/ensemble/internal/errs"
)

// Gate bounds the work running at once in this process. Past the bound, work waits its
// turn in a queue of bounded length for a bounded time, and beyond either it is
// refused: a server that starts everything it is sent shares its CPU and connections
// among more and more requests until none finishes in time, while one that runs a few
// at a time finishes each at its best speed.
//
// The queue is first come, first served. Every admitted piece of work has then waited
// at most the wait, so its latency stays bounded under any load; the newest-first order
// some servers use helps only when a queue holds work long enough for its clients to
// give up, which the short wait prevents.
type Gate struct {
	max   int
	queue int
	wait  time.Duration

	mu      sync.Mutex
	running int
	// waiters are the turns waited for, oldest first; a turn is handed over by closing
	// its channel.
	waiters list.List
}

// NewGate lets n pieces of work run at once (at least 1), and queue more wait at most
// wait each for a turn.
func NewGate(n, queue int, wait time.Duration) *Gate {
	return &Gate{max: max(n, 1), queue: max(queue, 0), wait: max(wait, 0)}
}

// Enter waits for a turn, at most the gate's wait and only while ctx lasts, and returns
// the function that ends the turn (more calls do nothing). Refused, because the queue
// is full or the wait ran out, the error wraps errs.ErrOverloaded; ctx ending first
// returns its error.
func (g *Gate) Enter(ctx context.Context) (leave func(), err error) {
	g.mu.Lock()
	if g.running < g.max && g.waiters.Len() == 0 {
		g.running++
		g.mu.Unlock()
		return g.turn(), nil
	}
	if g.waiters.Len() >= g.queue || g.wait <= 0 {
		running, waiting := g.running, g.waiters.Len()
		g.mu.Unlock()
		return nil, fmt.Errorf("%d running and %d waiting: %w", running, waiting, errs.ErrOverloaded)
	}
	ready := make(chan struct{})
	place := g.waiters.PushBack(ready)
	g.mu.Unlock()

	timer := time.NewTimer(g.wait)
	defer timer.Stop()
	select {
	case <-ready:
		return g.turn(), nil
	case <-timer.C:
		err = fmt.Errorf("no turn within %s: %w", g.wait, errs.ErrOverloaded)
	case <-ctx.Done():
		err = ctx.Err()
	}
	g.mu.Lock()
	select {
	case <-ready:
		// The turn came as the wait ended: take it, unless nobody wants it any more.
		g.mu.Unlock()
		if ctx.Err() == nil {
			return g.turn(), nil
		}
		g.release()
		return nil, err
	default:
		g.waiters.Remove(place)
		g.mu.Unlock()
		return nil, err
	}
}

// turn is the function that ends one turn.
func (g *Gate) turn() func() {
	var once sync.Once
	return func() { once.Do(g.release) }
}

// release ends a turn: the oldest waiter takes it over, or it is free.
func (g *Gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if first := g.waiters.Front(); first != nil {
		g.waiters.Remove(first)
		close(first.Value.(chan struct{}))
		return
	}
	g.running--
}

// waitingKey carries what Waiting calls.
type waitingKey struct{}

// OnWaiting returns ctx carrying fn, which Waiting calls: how the work ctx belongs to
// gives back what it holds (a turn at a Gate, its deadline) while it waits.
func OnWaiting(ctx context.Context, fn func()) context.Context {
	return context.WithValue(ctx, waitingKey{}, fn)
}

// Waiting says that the work of ctx now only waits, for a long while, on something
// that uses neither this process's CPU nor its database connections (a reply another
// job writes, say): the work gives back its turn, so that the wait holds nobody up,
// and its deadline, so that a wait bounded by its own timeout is not cut short. It
// does nothing for work that holds nothing.
func Waiting(ctx context.Context) {
	if fn, ok := ctx.Value(waitingKey{}).(func()); ok {
		fn()
	}
}
