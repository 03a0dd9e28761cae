package limits

import (
	"context"
	"fmt"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"
)

// DefaultLocalKeys is how many keys a Local store remembers of each kind.
const DefaultLocalKeys = 1 << 16

// Local is a Store in this process's memory. It remembers the most recently used keys
// only, so that a flood of distinct keys costs bounded memory; a key pushed out starts
// afresh when it comes back.
type Local struct {
	now      func() time.Time
	buckets  *lru.Cache[string, *rate.Limiter]
	failures *lru.Cache[string, *failures]
}

var _ Store = (*Local)(nil)

// failures is one key's run of failures.
type failures struct {
	mu    sync.Mutex
	n     int
	last  time.Time
	until time.Time
}

// NewLocal returns a store remembering up to keys keys of each kind (rates, failures).
// now is the clock (time.Now in production).
func NewLocal(keys int, now func() time.Time) (*Local, error) {
	buckets, err := lru.New[string, *rate.Limiter](keys)
	if err != nil {
		return nil, fmt.Errorf("rate limit cache: %w", err)
	}
	fails, err := lru.New[string, *failures](keys)
	if err != nil {
		return nil, fmt.Errorf("failure cache: %w", err)
	}
	return &Local{now: now, buckets: buckets, failures: fails}, nil
}

// Take implements Store.
func (s *Local) Take(_ context.Context, key string, l Limit, n int) (time.Duration, error) {
	if l.Off() {
		return 0, nil
	}
	lim, ok := s.buckets.Get(key)
	if !ok {
		fresh := rate.NewLimiter(rate.Limit(float64(l.Rate)/l.Period.Seconds()), l.Burst)
		if lim, ok, _ = s.buckets.PeekOrAdd(key, fresh); !ok {
			lim = fresh
		}
	}
	now := s.now()
	r := lim.ReserveN(now, min(max(n, 1), l.Burst))
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d, nil
	}
	return 0, nil
}

// entry returns key's failures, adding an empty record when add is set.
func (s *Local) entry(key string, add bool) *failures {
	if f, ok := s.failures.Get(key); ok || !add {
		return f
	}
	fresh := &failures{}
	if f, ok, _ := s.failures.PeekOrAdd(key, fresh); ok {
		return f
	}
	return fresh
}

// LockedFor implements Store.
func (s *Local) LockedFor(_ context.Context, key string) (time.Duration, error) {
	f := s.entry(key, false)
	if f == nil {
		return 0, nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return max(f.until.Sub(s.now()), 0), nil
}

// Fail implements Store.
func (s *Local) Fail(_ context.Context, key string, b Backoff) (time.Duration, error) {
	if b.Off() {
		return 0, nil
	}
	f := s.entry(key, true)
	now := s.now()
	f.mu.Lock()
	defer f.mu.Unlock()
	if now.Sub(f.last) > b.Forget {
		f.n = 0
	}
	f.n++
	f.last = now
	d := b.Delay(f.n)
	f.until = now.Add(d)
	return d, nil
}

// Forgive implements Store.
func (s *Local) Forgive(_ context.Context, key string) error {
	s.failures.Remove(key)
	return nil
}
