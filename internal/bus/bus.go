// Package bus delivers committed events to the subscribers of this process: in-process
// by default, or through Redis pub/sub when several instances share one database.
//
// Publishing never blocks: each subscriber has a bounded buffer, and one that falls
// behind loses events and is told so through Gaps. The bus is transport, not storage:
// every persisted event is in the outbox, numbered per ecosystem in commit order, so a
// subscriber that is told of a gap reads what it missed back from Postgres.
package bus

import (
	"context"
	"sync"

	"github.com/literaryai/ensemble/internal/events"
)

// Bus fans events out to subscribers.
type Bus interface {
	events.Publisher
	// Subscribe receives events for which filter returns true, buffering up to size.
	Subscribe(filter func(events.Event) bool, size int) *Subscription
	// Close ends every subscription.
	Close()
}

// Subscription receives the events its filter accepts.
type Subscription struct {
	hub    *hub
	filter func(events.Event) bool
	ch     chan events.Event
	gaps   chan struct{}
}

// Events delivers the subscription's events; it is closed when the subscription ends.
func (s *Subscription) Events() <-chan events.Event { return s.ch }

// Gaps receives a signal whenever this subscription may have missed events: it fell
// behind and its buffer overflowed, or the bus lost its connection to Redis for a while.
// Persisted events missed can be read back from the outbox; ephemeral ones are gone.
func (s *Subscription) Gaps() <-chan struct{} { return s.gaps }

// Close ends the subscription. Closing twice is harmless.
func (s *Subscription) Close() { s.hub.remove(s) }

func (s *Subscription) signalGap() {
	select {
	case s.gaps <- struct{}{}:
	default:
	}
}

// hub is the in-process fan-out both buses deliver through.
type hub struct {
	mu     sync.RWMutex
	subs   map[*Subscription]struct{}
	closed bool
}

func newHub() *hub { return &hub{subs: map[*Subscription]struct{}{}} }

func (h *hub) subscribe(filter func(events.Event) bool, size int) *Subscription {
	s := &Subscription{hub: h, filter: filter, ch: make(chan events.Event, size), gaps: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(s.ch)
		return s
	}
	h.subs[s] = struct{}{}
	return s
}

func (h *hub) remove(s *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.subs[s]; ok {
		delete(h.subs, s)
		close(s.ch)
	}
}

// deliver hands the events to every interested subscriber without waiting for any. The
// read lock lets several publishers deliver at once; a subscription's channel is only
// closed under the write lock, so no send races a close.
func (h *hub) deliver(evs []events.Event) {
	shared := make([]events.Event, len(evs))
	for i, e := range evs {
		shared[i] = e.Shared()
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	for s := range h.subs {
		for _, e := range shared {
			if !s.filter(e) {
				continue
			}
			select {
			case s.ch <- e:
			default:
				s.signalGap()
			}
		}
	}
}

// gap tells every subscriber it may have missed events.
func (h *hub) gap() {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for s := range h.subs {
		s.signalGap()
	}
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		delete(h.subs, s)
		close(s.ch)
	}
}

// Local is the in-process bus, the default when no Redis is configured.
type Local struct {
	hub *hub
}

// NewLocal returns an empty in-process bus.
func NewLocal() *Local { return &Local{hub: newHub()} }

// Subscribe receives events for which filter returns true, buffering up to size of them.
func (b *Local) Subscribe(filter func(events.Event) bool, size int) *Subscription {
	return b.hub.subscribe(filter, size)
}

// Publish hands the events to every interested subscriber without waiting for any.
func (b *Local) Publish(_ context.Context, evs ...events.Event) { b.hub.deliver(evs) }

// Close ends every subscription.
func (b *Local) Close() { b.hub.close() }

var (
	_ Bus = (*Local)(nil)
	_ Bus = (*Redis)(nil)
)
