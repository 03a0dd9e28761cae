package limits

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// redisTimeout bounds one call to Redis: a request waits on its limits before anything
// else, so a Redis that does not answer must not hold it up for long.
const redisTimeout = 250 * time.Millisecond

// Redis is a Store in Redis, so that every instance on the same Redis counts against
// the same budgets. When Redis fails, it counts in fallback instead (each instance then
// limits on its own) and says so in the log at most once a minute.
type Redis struct {
	client   redis.UniversalClient
	rates    *redis_rate.Limiter
	prefix   string
	fallback Store
	logger   *slog.Logger
	warned   atomic.Int64 // unix nanoseconds of the last warning
}

var _ Store = (*Redis)(nil)

// NewRedis returns a store whose keys begin with prefix in client's database.
func NewRedis(client redis.UniversalClient, prefix string, fallback Store, logger *slog.Logger) *Redis {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Redis{client: client, rates: redis_rate.NewLimiter(client), prefix: prefix, fallback: fallback, logger: logger}
}

// failed logs err (rarely) for the fallback to take over.
func (s *Redis) failed(op string, err error) {
	now := time.Now().UnixNano()
	last := s.warned.Load()
	if now-last > int64(time.Minute) && s.warned.CompareAndSwap(last, now) {
		s.logger.Warn("redis rate limits unavailable; limiting in process meanwhile", "op", op, "error", err)
	}
}

// Take implements Store.
func (s *Redis) Take(ctx context.Context, key string, l Limit, n int) (time.Duration, error) {
	if l.Off() {
		return 0, nil
	}
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	res, err := s.rates.AllowN(ctx, s.prefix+key, redis_rate.Limit{Rate: l.Rate, Period: l.Period, Burst: l.Burst},
		min(max(n, 1), l.Burst))
	if err != nil {
		s.failed("take", err)
		return s.fallback.Take(ctx, key, l, n)
	}
	if res.Allowed > 0 {
		return 0, nil
	}
	return max(res.RetryAfter, time.Millisecond), nil
}

func (s *Redis) lockKey(key string) string  { return s.prefix + "lock:" + key }
func (s *Redis) countKey(key string) string { return s.prefix + "fail:" + key }

// LockedFor implements Store. The lockout is a key that expires when it ends, so it
// runs on Redis's clock, not on the instances'.
func (s *Redis) LockedFor(ctx context.Context, key string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	ttl, err := s.client.PTTL(ctx, s.lockKey(key)).Result()
	if err != nil {
		s.failed("locked", err)
		return s.fallback.LockedFor(ctx, key)
	}
	return max(ttl, 0), nil
}

// Fail implements Store.
func (s *Redis) Fail(ctx context.Context, key string, b Backoff) (time.Duration, error) {
	if b.Off() {
		return 0, nil
	}
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	var count *redis.IntCmd
	_, err := s.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		count = p.Incr(ctx, s.countKey(key))
		p.PExpire(ctx, s.countKey(key), b.Forget)
		return nil
	})
	if err != nil {
		s.failed("fail", err)
		return s.fallback.Fail(ctx, key, b)
	}
	d := b.Delay(int(count.Val()))
	if d > 0 {
		if err := s.client.Set(ctx, s.lockKey(key), 1, d).Err(); err != nil {
			s.failed("fail", err)
			return s.fallback.Fail(ctx, key, b)
		}
	}
	return d, nil
}

// Forgive implements Store.
func (s *Redis) Forgive(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(ctx, redisTimeout)
	defer cancel()
	if err := s.client.Del(ctx, s.countKey(key), s.lockKey(key)).Err(); err != nil {
		s.failed("forgive", err)
		return s.fallback.Forgive(ctx, key)
	}
	return nil
}
