package persisted

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/hashicorp/golang-lru/v2/simplelru"
	"github.com/redis/go-redis/v9"
)

// LocalCache keeps documents in process, bounded by count and by their total size: the
// least recently used go first.
type LocalCache struct {
	// maxDocument is the largest document kept: larger ones could never run.
	maxDocument, maxBytes int
	mu                    sync.Mutex
	lru                   *simplelru.LRU[string, string]
	bytes                 int
}

var _ graphql.Cache[string] = (*LocalCache)(nil)

// NewLocalCache keeps up to entries documents of up to maxBytes in all, none over
// maxDocument bytes.
func NewLocalCache(entries, maxBytes, maxDocument int) (*LocalCache, error) {
	c := &LocalCache{maxDocument: maxDocument, maxBytes: maxBytes}
	l, err := simplelru.NewLRU(entries, func(k, v string) { c.bytes -= len(k) + len(v) })
	if err != nil {
		return nil, err
	}
	c.lru = l
	return c, nil
}

// Get returns the document named key.
func (c *LocalCache) Get(_ context.Context, key string) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Get(key)
}

// Add keeps document under key, unless it is over the size cap.
func (c *LocalCache) Add(_ context.Context, key, document string) {
	size := len(key) + len(document)
	if len(document) > c.maxDocument || size > c.maxBytes {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lru.Contains(key) {
		// Named by its hash: the document there is this one.
		return
	}
	c.lru.Add(key, document)
	c.bytes += size
	for c.bytes > c.maxBytes {
		c.lru.RemoveOldest()
	}
}

// RedisCache keeps documents in Redis for ttl, so that every instance knows a document
// any of them was sent.
type RedisCache struct {
	client      redis.Cmdable
	prefix      string
	ttl         time.Duration
	maxDocument int
	logger      *slog.Logger
}

var _ graphql.Cache[string] = (*RedisCache)(nil)

// NewRedisCache keeps documents of up to maxDocument bytes under prefix+hash for ttl.
// Failures are logged to logger (nil drops them).
func NewRedisCache(client redis.Cmdable, prefix string, ttl time.Duration, maxDocument int, logger *slog.Logger) *RedisCache {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &RedisCache{client: client, prefix: prefix, ttl: ttl, maxDocument: maxDocument, logger: logger}
}

// Get returns the document named key. Redis failing counts as a miss: the client then
// sends the whole document, which works without the cache.
func (c *RedisCache) Get(ctx context.Context, key string) (string, bool) {
	doc, err := c.client.Get(ctx, c.prefix+key).Result()
	if err != nil {
		if !errors.Is(err, redis.Nil) {
			c.logger.WarnContext(ctx, "persisted query cache: get", "error", err)
		}
		return "", false
	}
	return doc, true
}

// Add keeps document under key for the TTL, unless it is over the size cap.
func (c *RedisCache) Add(ctx context.Context, key, document string) {
	if len(document) > c.maxDocument {
		return
	}
	if err := c.client.Set(ctx, c.prefix+key, document, c.ttl).Err(); err != nil {
		c.logger.WarnContext(ctx, "persisted query cache: add", "error", err)
	}
}
