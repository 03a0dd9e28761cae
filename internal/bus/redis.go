package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/literaryai/ensemble/internal/events"
)

// DefaultChannel is the Redis pub/sub channel every instance publishes events on.
const DefaultChannel = "ensemble:events"

// publishTimeout bounds one publish: the change has committed, and a Redis that does not
// answer must not hold up the request that made it.
const publishTimeout = 2 * time.Second

// Redis is the bus across instances: events go out through one Redis pub/sub channel and
// come back to every instance (this one included), which delivers them to its own
// subscribers. When the connection drops, every subscriber is told of a gap once the
// bus is subscribed again, and reads what it missed from the outbox.
type Redis struct {
	hub     *hub
	client  *redis.Client
	ps      *redis.PubSub
	channel string
	logger  *slog.Logger
	cancel  context.CancelFunc
	done    chan struct{}
	once    sync.Once
	lag     Observer
}

// Observer takes measurements (a prometheus.Observer).
type Observer interface{ Observe(float64) }

// RedisOptions configure NewRedis.
type RedisOptions struct {
	// URL is redis://[user:password@]host:port[/db] or rediss:// for TLS.
	URL string
	// Channel defaults to DefaultChannel.
	Channel string
	Logger  *slog.Logger
	// DeliveryLag, when set, observes the seconds from an event's creation to its
	// arrival here.
	DeliveryLag Observer
}

// ParseURL reads a Redis URL, password, database number and TLS included.
func ParseURL(raw string) (*redis.Options, error) {
	opts, err := redis.ParseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	return opts, nil
}

// NewRedis connects, checks that Redis answers, and starts receiving events.
func NewRedis(ctx context.Context, o RedisOptions) (*Redis, error) {
	opts, err := ParseURL(o.URL)
	if err != nil {
		return nil, err
	}
	client := redis.NewClient(opts)
	pingCtx, cancelPing := context.WithTimeout(ctx, 5*time.Second)
	defer cancelPing()
	if err := client.Ping(pingCtx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("redis at %s: %w", opts.Addr, err)
	}
	if o.Channel == "" {
		o.Channel = DefaultChannel
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	b := &Redis{hub: newHub(), client: client, ps: client.Subscribe(runCtx, o.Channel), channel: o.Channel,
		logger: logger, cancel: cancel, done: make(chan struct{}), lag: o.DeliveryLag}
	ready := make(chan error, 1)
	go b.receive(runCtx, ready)
	if err := <-ready; err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// Client is the bus's Redis connection, for others that keep state in the same Redis
// (rate limits).
func (b *Redis) Client() *redis.Client { return b.client }

// wireEvent is an event as it travels through Redis.
type wireEvent struct {
	ID          int64           `json:"id,omitempty"`
	Seq         int64           `json:"seq,omitempty"`
	EcosystemID uuid.UUID       `json:"eco"`
	Topic       string          `json:"topic"`
	At          time.Time       `json:"at"`
	Payload     json.RawMessage `json:"payload"`
}

// Publish sends the events through Redis. If Redis cannot take them, this instance's
// subscribers are told of a gap at once (they read persisted events back from the
// outbox); other instances find the gap from the next event's number, or when their own
// connection comes back.
func (b *Redis) Publish(ctx context.Context, evs ...events.Event) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), publishTimeout)
	defer cancel()
	_, err := b.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, e := range evs {
			msg, err := json.Marshal(wireEvent{ID: e.ID, Seq: e.Seq, EcosystemID: e.EcosystemID, Topic: e.Topic, At: e.At, Payload: e.Payload})
			if err != nil {
				return fmt.Errorf("encode %s event: %w", e.Topic, err)
			}
			p.Publish(ctx, b.channel, msg)
		}
		return nil
	})
	if err != nil {
		b.logger.Warn("redis publish failed; local subscribers will catch up from the outbox", "error", err, "events", len(evs))
		b.hub.gap()
	}
}

// receive delivers what arrives on the channel until ctx ends. go-redis reconnects and
// resubscribes on the next Receive after an error; each confirmation after the first
// means messages may have been lost in between, so subscribers are told of a gap.
func (b *Redis) receive(ctx context.Context, ready chan<- error) {
	defer close(b.done)
	subscribed := false
	backoff := 50 * time.Millisecond
	for {
		msg, err := b.ps.Receive(ctx)
		if err != nil {
			if ctx.Err() != nil {
				if !subscribed {
					ready <- ctx.Err()
				}
				return
			}
			if !subscribed {
				ready <- fmt.Errorf("subscribe to redis channel %s: %w", b.channel, err)
				return
			}
			b.logger.Warn("redis subscription lost; reconnecting", "error", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 2*time.Second)
			continue
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind != "subscribe" {
				continue
			}
			backoff = 50 * time.Millisecond
			if !subscribed {
				subscribed = true
				ready <- nil
				continue
			}
			b.logger.Info("redis subscription restored; subscribers catch up from the outbox")
			b.hub.gap()
		case *redis.Message:
			var w wireEvent
			if err := json.Unmarshal([]byte(m.Payload), &w); err != nil {
				b.logger.Warn("dropping a malformed event from redis", "error", err)
				continue
			}
			if b.lag != nil && !w.At.IsZero() {
				b.lag.Observe(time.Since(w.At).Seconds())
			}
			b.hub.deliver([]events.Event{{ID: w.ID, Seq: w.Seq, EcosystemID: w.EcosystemID, Topic: w.Topic, At: w.At, Payload: w.Payload}})
		}
	}
}

// Subscribe receives events for which filter returns true, buffering up to size of them.
func (b *Redis) Subscribe(filter func(events.Event) bool, size int) *Subscription {
	return b.hub.subscribe(filter, size)
}

// Close stops receiving, ends every subscription and closes the Redis connection.
func (b *Redis) Close() {
	b.once.Do(func() {
		b.cancel()
		// A blocked Receive does not watch its context; closing the connection ends it.
		_ = b.ps.Close()
		<-b.done
		b.hub.close()
		if err := b.client.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
			b.logger.Warn("close redis", "error", err)
		}
	})
}

// Ping reports whether Redis answers, for health checks.
func (b *Redis) Ping(ctx context.Context) error { return b.client.Ping(ctx).Err() }
