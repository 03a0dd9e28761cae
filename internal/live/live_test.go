package live

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/events"
)

// log is a numbered list standing in for the outbox: Append commits an event, Publish
// announces it (or not, to simulate a lost announcement).
type log struct {
	mu  sync.Mutex
	evs []events.Event
}

func (l *log) append(topic string) events.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := events.Event{Seq: int64(len(l.evs) + 1), Topic: topic}
	l.evs = append(l.evs, e)
	return e
}

func (l *log) feed(b bus.Bus, want string) Feed[events.Event] {
	return Feed[events.Event]{
		Bus:   b,
		Match: func(events.Event) bool { return true },
		Decode: func(e events.Event) (events.Event, int64, bool, error) {
			return e, e.Seq, e.Topic == want, nil
		},
		Load: func(_ context.Context, after int64, limit int) ([]events.Event, error) {
			l.mu.Lock()
			defer l.mu.Unlock()
			var out []events.Event
			for _, e := range l.evs {
				if e.Seq > after && e.Topic == want && len(out) < limit {
					out = append(out, e)
				}
			}
			return out, nil
		},
		Seq: func(e events.Event) int64 { return e.Seq },
		Head: func(context.Context) (int64, error) {
			l.mu.Lock()
			defer l.mu.Unlock()
			return int64(len(l.evs)), nil
		},
	}
}

func TestFollowDeliversEachWantedEventOnceInOrder(t *testing.T) {
	b := bus.NewLocal()
	l := &log{}
	for range 3 {
		l.append("a")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	after := int64(1)
	out, err := Follow(ctx, l.feed(b, "a"), &after)
	if err != nil {
		t.Fatal(err)
	}
	// Announced twice (a duplicate), not announced at all (a gap), and of another topic.
	e4 := l.append("a")
	b.Publish(ctx, e4, e4)
	l.append("a") // 5: never announced
	e6 := l.append("b")
	e7 := l.append("a")
	b.Publish(ctx, e6, e7, e4)
	var got []int64
	for len(got) < 5 {
		select {
		case e := <-out:
			got = append(got, e.Seq)
		case <-time.After(5 * time.Second):
			t.Fatalf("got %v, then nothing", got)
		}
	}
	want := []int64{2, 3, 4, 5, 7}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	select {
	case e := <-out:
		t.Fatalf("extra event %d", e.Seq)
	case <-time.After(100 * time.Millisecond):
	}
}

func TestFollowReadsBackAfterABusGap(t *testing.T) {
	b := bus.NewLocal()
	l := &log{}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, err := Follow(ctx, l.feed(b, "a"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// More events than the subscription's buffer, announced while nobody reads.
	var evs []events.Event
	for range BusBuffer + 50 {
		evs = append(evs, l.append("a"))
	}
	b.Publish(ctx, evs...)
	for want := int64(1); want <= int64(len(evs)); want++ {
		select {
		case e := <-out:
			if e.Seq != want {
				t.Fatalf("got %d, want %d", e.Seq, want)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("stuck before %d", want)
		}
	}
}

// TestFollowReordersWithoutReadingBack: neighbours that cross on the bus are put back in
// order from memory; Postgres is not asked (a read-back per crossing, times every
// subscriber, is what would sink a busy instance).
func TestFollowReordersWithoutReadingBack(t *testing.T) {
	b := bus.NewLocal()
	l := &log{}
	f := l.feed(b, "a")
	var loads atomic.Int32
	load := f.Load
	f.Load = func(ctx context.Context, after int64, limit int) ([]events.Event, error) {
		loads.Add(1)
		return load(ctx, after, limit)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, err := Follow(ctx, f, nil)
	if err != nil {
		t.Fatal(err)
	}
	e1, e2, e3 := l.append("a"), l.append("a"), l.append("a")
	b.Publish(ctx, e3)
	b.Publish(ctx, e1)
	b.Publish(ctx, e2)
	for want := int64(1); want <= 3; want++ {
		if e := <-out; e.Seq != want {
			t.Fatalf("got %d, want %d", e.Seq, want)
		}
	}
	if n := loads.Load(); n != 1 {
		t.Fatalf("%d reads of the outbox, want only the first", n)
	}
}
