package bus

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/literaryai/ensemble/internal/events"
)

func TestPublishFiltersAndNeverBlocks(t *testing.T) {
	b := NewLocal()
	rel := b.Subscribe(func(e events.Event) bool { return e.Topic == events.RelationshipChanged }, 2)
	all := b.Subscribe(func(events.Event) bool { return true }, 10)
	ctx := context.Background()
	b.Publish(ctx,
		events.Event{ID: 1, Topic: events.RelationshipChanged},
		events.Event{ID: 2, Topic: events.CharacterChanged},
		events.Event{ID: 3, Topic: events.RelationshipChanged},
		events.Event{ID: 4, Topic: events.RelationshipChanged},
	)
	if got := (<-rel.Events()).ID; got != 1 {
		t.Fatalf("first = %d", got)
	}
	if got := (<-rel.Events()).ID; got != 3 {
		t.Fatalf("second = %d", got)
	}
	select {
	case <-rel.Gaps():
	default:
		t.Fatal("the full subscriber was not told it missed events")
	}
	if len(all.Events()) != 4 || len(all.Gaps()) != 0 {
		t.Fatalf("the other subscriber got %d events, %d gaps", len(all.Events()), len(all.Gaps()))
	}
	rel.Close()
	rel.Close()
	if _, ok := <-rel.Events(); ok {
		t.Fatal("closed subscription still open")
	}
	b.Close()
	if _, ok := <-b.Subscribe(func(events.Event) bool { return true }, 1).Events(); ok {
		t.Fatal("subscription to a closed bus is open")
	}
}

func TestSubscribersShareOneDecoding(t *testing.T) {
	b := NewLocal()
	s1 := b.Subscribe(func(events.Event) bool { return true }, 1)
	s2 := b.Subscribe(func(events.Event) bool { return true }, 1)
	b.Publish(context.Background(), events.Event{ID: 1, Payload: []byte(`{}`)})
	calls := 0
	decode := func(json.RawMessage) (any, error) { calls++; return calls, nil }
	e1, e2 := <-s1.Events(), <-s2.Events()
	v1, _ := e1.Decode(decode)
	v2, _ := e2.Decode(decode)
	if calls != 1 || v1 != v2 {
		t.Fatalf("decoded %d times (%v, %v)", calls, v1, v2)
	}
}
