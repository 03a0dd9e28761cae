package limits_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/literaryai/ensemble/internal/limits"
)

// sharedRedis is the machine's Redis (testkit.SharedRedisURL, which the test command
// starts); testkit itself is not imported, to keep this package's tests to this package.
const sharedRedis = "redis://127.0.0.1:6379/0"

// clock is a settable time for the in-process store.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newLocal(t *testing.T) (*limits.Local, *clock) {
	t.Helper()
	c := &clock{now: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	s, err := limits.NewLocal(100, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func newRedis(t *testing.T, url string, fallback limits.Store) (*limits.Redis, *redis.Client) {
	t.Helper()
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opts)
	t.Cleanup(func() { _ = client.Close() })
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return limits.NewRedis(client, "test:"+t.Name()+":"+hex.EncodeToString(b)+":", fallback, nil), client
}

func TestBackoffDelay(t *testing.T) {
	b := limits.Backoff{Free: 5, First: time.Second, Max: time.Minute, Forget: time.Hour}
	tests := []struct {
		failures int
		want     time.Duration
	}{
		{1, 0}, {5, 0}, {6, time.Second}, {7, 2 * time.Second}, {8, 4 * time.Second},
		{11, 32 * time.Second}, {12, time.Minute}, {1000, time.Minute},
	}
	for _, tc := range tests {
		if got := b.Delay(tc.failures); got != tc.want {
			t.Errorf("Delay(%d) = %v, want %v", tc.failures, got, tc.want)
		}
	}
	if got := (limits.Backoff{Free: 1, First: time.Second}).Delay(10); got != 0 {
		t.Errorf("a backoff without Max delays %v", got)
	}
}

// TestStores runs the same checks on both stores: the in-process one and Redis.
func TestStores(t *testing.T) {
	local, _ := newLocal(t)
	fallback, _ := newLocal(t)
	shared, _ := newRedis(t, sharedRedis, fallback)
	for name, s := range map[string]limits.Store{"local": local, "redis": shared} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			hourly := limits.PerHour(3)
			for i := range 3 {
				if d, err := s.Take(ctx, "take", hourly, 1); err != nil || d != 0 {
					t.Fatalf("event %d refused: %v, %v", i+1, d, err)
				}
			}
			d, err := s.Take(ctx, "take", hourly, 1)
			if err != nil || d < 19*time.Minute || d > 20*time.Minute {
				t.Fatalf("4th of 3 an hour: retry after %v (%v), want about 20m", d, err)
			}
			if d, _ := s.Take(ctx, "other", hourly, 1); d != 0 {
				t.Fatalf("another key shares the budget: %v", d)
			}
			// More than the burst takes the whole budget rather than never fitting.
			if d, _ := s.Take(ctx, "big", hourly, 1000); d != 0 {
				t.Fatalf("an event over the burst refused on a full budget: %v", d)
			}
			if d, _ := s.Take(ctx, "big", hourly, 1); d == 0 {
				t.Fatal("the budget is not empty after an event over the burst")
			}
			if d, _ := s.Take(ctx, "off", limits.PerHour(0), 1000); d != 0 {
				t.Fatalf("a rate of 0 limits: %v", d)
			}

			b := limits.Backoff{Free: 2, First: time.Minute, Max: 4 * time.Minute, Forget: time.Hour}
			want := []time.Duration{0, 0, time.Minute, 2 * time.Minute, 4 * time.Minute, 4 * time.Minute}
			for i, w := range want {
				if got, err := s.Fail(ctx, "fail", b); err != nil || got != w {
					t.Fatalf("failure %d: lockout %v (%v), want %v", i+1, got, err, w)
				}
			}
			if locked, err := s.LockedFor(ctx, "fail"); err != nil || locked < 3*time.Minute || locked > 4*time.Minute {
				t.Fatalf("locked for %v (%v), want about 4m", locked, err)
			}
			if locked, _ := s.LockedFor(ctx, "never failed"); locked != 0 {
				t.Fatalf("a key without failures is locked for %v", locked)
			}
			if err := s.Forgive(ctx, "fail"); err != nil {
				t.Fatal(err)
			}
			if locked, _ := s.LockedFor(ctx, "fail"); locked != 0 {
				t.Fatalf("locked for %v after forgiving", locked)
			}
			if got, _ := s.Fail(ctx, "fail", b); got != 0 {
				t.Fatalf("the first failure after forgiving locks for %v", got)
			}
		})
	}
}

// TestLocalTime checks what only a clock shows: budgets refill, lockouts end, and
// failures are forgotten.
func TestLocalTime(t *testing.T) {
	ctx := context.Background()
	s, c := newLocal(t)
	perMinute := limits.PerMinute(2)
	s.Take(ctx, "k", perMinute, 2)
	if d, _ := s.Take(ctx, "k", perMinute, 1); d < 29*time.Second || d > 30*time.Second {
		t.Fatalf("retry after %v, want 30s", d)
	}
	c.Advance(31 * time.Second)
	if d, _ := s.Take(ctx, "k", perMinute, 1); d != 0 {
		t.Fatalf("refused after the retry time: %v", d)
	}

	b := limits.Backoff{Free: 1, First: time.Second, Max: time.Minute, Forget: 10 * time.Minute}
	s.Fail(ctx, "f", b)
	if d, _ := s.Fail(ctx, "f", b); d != time.Second {
		t.Fatalf("second failure locks for %v, want 1s", d)
	}
	c.Advance(time.Second)
	if d, _ := s.LockedFor(ctx, "f"); d != 0 {
		t.Fatalf("still locked for %v after the lockout", d)
	}
	if d, _ := s.Fail(ctx, "f", b); d != 2*time.Second {
		t.Fatalf("third failure locks for %v, want 2s", d)
	}
	c.Advance(11 * time.Minute)
	if d, _ := s.Fail(ctx, "f", b); d != 0 {
		t.Fatalf("a failure long after the others locks for %v: they were not forgotten", d)
	}
}

// TestRedisFallsBackInProcess: with Redis unreachable, limits still hold, per instance.
func TestRedisFallsBackInProcess(t *testing.T) {
	fallback, _ := newLocal(t)
	s, _ := newRedis(t, "redis://127.0.0.1:1/0", fallback)
	ctx := context.Background()
	for range 2 {
		if d, err := s.Take(ctx, "k", limits.PerHour(2), 1); err != nil || d != 0 {
			t.Fatalf("refused: %v, %v", d, err)
		}
	}
	if d, err := s.Take(ctx, "k", limits.PerHour(2), 1); err != nil || d == 0 {
		t.Fatalf("third of 2 an hour allowed without Redis: %v, %v", d, err)
	}
	b := limits.Backoff{Free: 0, First: time.Minute, Max: time.Hour, Forget: time.Hour}
	if d, err := s.Fail(ctx, "f", b); err != nil || d != time.Minute {
		t.Fatalf("failure without Redis: %v, %v", d, err)
	}
	if d, err := s.LockedFor(ctx, "f"); err != nil || d != time.Minute {
		t.Fatalf("lockout without Redis: %v, %v", d, err)
	}
}

func TestSlots(t *testing.T) {
	s := limits.NewSlots(2)
	r1, ok1 := s.Take("a")
	_, ok2 := s.Take("a")
	_, ok3 := s.Take("a")
	_, okB := s.Take("b")
	if !ok1 || !ok2 || ok3 || !okB {
		t.Fatalf("takes of a cap of 2: %v %v %v, another key %v", ok1, ok2, ok3, okB)
	}
	r1()
	r1() // a second release gives nothing back
	if _, ok := s.Take("a"); !ok {
		t.Fatal("a released slot is not free again")
	}
	if _, ok := s.Take("a"); ok {
		t.Fatal("releasing twice freed two slots")
	}
	unbounded := limits.NewSlots(0)
	for range 1000 {
		if _, ok := unbounded.Take("a"); !ok {
			t.Fatal("a cap of 0 refused")
		}
	}
}

// BenchmarkTake is what a rate check adds to a request: in process, and one round trip
// to the machine's Redis.
func BenchmarkTake(b *testing.B) {
	local, err := limits.NewLocal(limits.DefaultLocalKeys, time.Now)
	if err != nil {
		b.Fatal(err)
	}
	opts, err := redis.ParseURL(sharedRedis)
	if err != nil {
		b.Fatal(err)
	}
	client := redis.NewClient(opts)
	defer client.Close()
	shared := limits.NewRedis(client, "bench:", local, nil)
	ctx := context.Background()
	l := limits.PerMinute(1 << 30)
	for name, s := range map[string]limits.Store{"local": local, "redis": shared} {
		b.Run(name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				if _, err := s.Take(ctx, "k"+strconv.Itoa(i%1024), l, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
