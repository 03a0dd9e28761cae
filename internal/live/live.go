// Package live turns the event bus and the outbox into subscription streams.
//
// Follow streams numbered items (messages of a conversation, events of an ecosystem):
// it subscribes to the bus first, then replays from Postgres what came after the
// client's cursor, then goes live. Numbers are handed out in commit order with no holes
// (see migrations/00006), so the stream needs no clocks or timeouts to be exact: an item
// at or below the last one sent is a duplicate and is dropped; an item beyond the next
// one means some were missed, and they are read back from Postgres before it. The same
// read-back answers the bus saying this subscriber may have missed events (it fell
// behind, or Redis went away for a while). Nothing is lost and nothing is sent twice.
package live

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/events"
)

// Batch is how many items one read-back fetches.
const Batch = 200

// BusBuffer is each subscription's buffer on the bus. A subscriber that lets it fill
// loses live events, and reads them back from Postgres.
const BusBuffer = 64

// Feed describes a numbered stream.
type Feed[T any] struct {
	Bus bus.Bus
	// Match selects the stream's events on the bus.
	Match func(events.Event) bool
	// Decode turns a matching event into its number and item. An event that is numbered
	// in the stream but not wanted by this subscriber (keep false) only moves it forward.
	Decode func(events.Event) (item T, seq int64, keep bool, err error)
	// Load reads up to limit items numbered above after, in order.
	Load func(ctx context.Context, after int64, limit int) ([]T, error)
	// Seq is an item's number.
	Seq func(T) int64
	// Head is the last number handed out: where a stream without a cursor starts.
	Head   func(ctx context.Context) (int64, error)
	Logger *slog.Logger
}

// Follow streams the items after the cursor (nil: from now on) until ctx ends or the bus
// closes. Errors in reaching the first items are returned; later read-back failures
// (Postgres briefly unreachable) are retried until they succeed or ctx ends.
func Follow[T any](ctx context.Context, f Feed[T], after *int64) (<-chan T, error) {
	sub := f.Bus.Subscribe(f.Match, BusBuffer)
	var last int64
	if after != nil {
		last = *after
	} else {
		head, err := f.Head(ctx)
		if err != nil {
			sub.Close()
			return nil, err
		}
		last = head
	}
	first, err := f.Load(ctx, last, Batch)
	if err != nil {
		sub.Close()
		return nil, err
	}
	out := make(chan T, 1)
	s := &stream[T]{feed: f, out: out, last: last, logger: f.Logger, pending: map[int64]pendingItem[T]{}}
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	go s.run(ctx, sub, first)
	return out, nil
}

type stream[T any] struct {
	feed   Feed[T]
	out    chan T
	last   int64
	logger *slog.Logger
	// pending holds events that arrived ahead of the next number: publishers race after
	// commit, so neighbours can cross on the bus. A gap that persists past GapWait is
	// read back from Postgres; one that closes by itself costs nothing.
	pending map[int64]pendingItem[T]
}

type pendingItem[T any] struct {
	item T
	keep bool
}

// GapWait is how long a stream waits for a missing number to arrive on the bus before
// reading it back: long enough for a publisher that lost the race after commit, short
// enough not to be noticed.
const GapWait = 50 * time.Millisecond

// maxPending bounds the events held while waiting for a gap to close.
const maxPending = 64

func (s *stream[T]) run(ctx context.Context, sub *bus.Subscription, first []T) {
	defer close(s.out)
	defer sub.Close()
	if !s.emit(ctx, first) {
		return
	}
	if len(first) == Batch && !s.catchUp(ctx, 0) {
		return
	}
	gap := time.NewTimer(time.Hour)
	gap.Stop()
	defer gap.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.Gaps():
			// Every subscriber hears of a bus gap at once; spread their read-backs.
			if !sleep(ctx, time.Duration(rand.Int64N(int64(GapWait)))) || !s.catchUp(ctx, 0) {
				return
			}
		case <-gap.C:
			if len(s.pending) > 0 && !s.catchUp(ctx, s.highestPending()) {
				return
			}
		case e, ok := <-sub.Events():
			if !ok {
				return
			}
			item, seq, keep, err := s.feed.Decode(e)
			if err != nil {
				s.logger.Warn("undecodable event; reading back from the outbox", "topic", e.Topic, "error", err)
				if !s.catchUp(ctx, 0) {
					return
				}
				continue
			}
			switch {
			case seq <= s.last:
			case seq == s.last+1:
				if !s.take(ctx, item, seq, keep) || !s.drainPending(ctx) {
					return
				}
				if len(s.pending) == 0 {
					gap.Stop()
				}
			default:
				s.pending[seq] = pendingItem[T]{item, keep}
				if len(s.pending) > maxPending {
					if !s.catchUp(ctx, s.highestPending()) {
						return
					}
				} else if len(s.pending) == 1 {
					gap.Reset(GapWait)
				}
			}
		}
	}
}

// take sends an item the subscriber wants, or only moves past one it does not.
func (s *stream[T]) take(ctx context.Context, item T, seq int64, keep bool) bool {
	if !keep {
		s.last = seq
		return true
	}
	return s.emit(ctx, []T{item})
}

// drainPending sends the held events that have become next in line.
func (s *stream[T]) drainPending(ctx context.Context) bool {
	for {
		p, ok := s.pending[s.last+1]
		if !ok {
			return true
		}
		delete(s.pending, s.last+1)
		if !s.take(ctx, p.item, s.last+1, p.keep) {
			return false
		}
	}
}

func (s *stream[T]) highestPending() int64 {
	var h int64
	for seq := range s.pending {
		h = max(h, seq)
	}
	return h
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// emit sends items in order, skipping any already sent; false means ctx ended.
func (s *stream[T]) emit(ctx context.Context, items []T) bool {
	for _, it := range items {
		seq := s.feed.Seq(it)
		if seq <= s.last {
			continue
		}
		select {
		case s.out <- it:
			s.last = seq
		case <-ctx.Done():
			return false
		}
	}
	return true
}

// catchUp reads back everything after the last item sent; false means ctx ended. seen
// is the number of a committed event that prompted it (0 if none): once the read-back is
// complete, everything up to it has been considered, even if it was not this stream's.
func (s *stream[T]) catchUp(ctx context.Context, seen int64) bool {
	backoff := 50 * time.Millisecond
	for {
		items, err := s.feed.Load(ctx, s.last, Batch)
		if err != nil {
			if ctx.Err() != nil {
				return false
			}
			s.logger.Warn("read-back failed; retrying", "error", err, "retry_in", backoff)
			select {
			case <-ctx.Done():
				return false
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 5*time.Second)
			continue
		}
		if !s.emit(ctx, items) {
			return false
		}
		if len(items) < Batch {
			s.last = max(s.last, seen)
			for seq := range s.pending {
				if seq <= s.last {
					delete(s.pending, seq)
				}
			}
			return s.drainPending(ctx)
		}
	}
}

// Stream delivers ephemeral events (streamed tokens) as they come, with no replay: a
// subscriber that falls behind misses some, and gets the whole message anyway.
func Stream[T any](ctx context.Context, b bus.Bus, match func(events.Event) bool, decode func(events.Event) (T, error)) <-chan T {
	sub := b.Subscribe(match, BusBuffer)
	out := make(chan T, 1)
	go func() {
		defer close(out)
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case <-sub.Gaps():
			case e, ok := <-sub.Events():
				if !ok {
					return
				}
				item, err := decode(e)
				if err != nil {
					continue
				}
				select {
				case out <- item:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}
