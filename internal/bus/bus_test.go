package bus

import (
	"context"
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
	if !rel.Lagged() {
		t.Fatal("the full subscriber was not told it lagged")
	}
	if len(all.Events()) != 4 || all.Lagged() {
		t.Fatalf("the other subscriber got %d events, lagged %v", len(all.Events()), all.Lagged())
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
