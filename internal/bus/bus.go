// Package bus delivers committed events to the subscribers of this process. Publishing
// never blocks: each subscriber has a bounded buffer, and one that falls behind loses
// events and is told so (it can resume from the outbox by cursor).
package bus

import (
	"context"
	"sync"

	"github.com/literaryai/ensemble/internal/events"
)

// Local is the in-process bus, the default when no Redis is configured.
type Local struct {
	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	closed bool
}

// NewLocal returns an empty in-process bus.
func NewLocal() *Local {
	return &Local{subs: map[*Subscription]struct{}{}}
}

// Subscription receives the events its filter accepts.
type Subscription struct {
	bus    *Local
	filter func(events.Event) bool
	ch     chan events.Event
	mu     sync.Mutex
	lagged bool
}

// Events delivers the subscription's events; it is closed by Close.
func (s *Subscription) Events() <-chan events.Event { return s.ch }

// Lagged reports whether events were dropped because the subscriber fell behind.
func (s *Subscription) Lagged() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lagged
}

// Close ends the subscription.
func (s *Subscription) Close() {
	s.bus.mu.Lock()
	defer s.bus.mu.Unlock()
	if _, ok := s.bus.subs[s]; ok {
		delete(s.bus.subs, s)
		close(s.ch)
	}
}

// Subscribe receives events for which filter returns true, buffering up to size of them.
func (b *Local) Subscribe(filter func(events.Event) bool, size int) *Subscription {
	s := &Subscription{bus: b, filter: filter, ch: make(chan events.Event, size)}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		close(s.ch)
		return s
	}
	b.subs[s] = struct{}{}
	return s
}

// Publish hands the events to every interested subscriber without waiting for any.
func (b *Local) Publish(_ context.Context, evs ...events.Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		for _, e := range evs {
			if !s.filter(e) {
				continue
			}
			select {
			case s.ch <- e:
			default:
				s.mu.Lock()
				s.lagged = true
				s.mu.Unlock()
			}
		}
	}
}

// Close ends every subscription.
func (b *Local) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for s := range b.subs {
		delete(b.subs, s)
		close(s.ch)
	}
}

var _ events.Publisher = (*Local)(nil)
