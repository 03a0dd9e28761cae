package neo4j

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/events"
)

func event(t *testing.T, id int64, topic string, payload any) db.Event {
	t.Helper()
	b, ok := payload.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(payload); err != nil {
			t.Fatal(err)
		}
	}
	return db.Event{ID: id, Txid: 100 + id, Topic: topic, Payload: b}
}

// ids returns the uuids in ascending order, as plans hold them.
func ids(us ...uuid.UUID) []uuid.UUID {
	out := slices.Clone(us)
	slices.SortFunc(out, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	return out
}

func TestPlanBatch(t *testing.T) {
	eco := uuid.New()
	c1, c2 := uuid.New(), uuid.New()
	r1, r2 := uuid.New(), uuid.New()
	e1, e2 := uuid.New(), uuid.New()

	type want struct {
		chars, rels, ecos []uuid.UUID
		skipped           []int64
	}
	tests := []struct {
		name string
		evs  func(t *testing.T) []db.Event
		want want
	}{
		{
			name: "empty batch",
			evs:  func(*testing.T) []db.Event { return nil },
			want: want{},
		},
		{
			name: "upserted and deleted characters are both refreshed",
			evs: func(t *testing.T) []db.Event {
				return []db.Event{
					event(t, 1, events.CharacterChanged, events.CharacterPayload{Op: events.OpUpsert, ID: c1, EcosystemID: eco, Name: "A"}),
					event(t, 2, events.CharacterChanged, events.CharacterPayload{Op: events.OpDelete, ID: c2, EcosystemID: eco}),
				}
			},
			want: want{chars: ids(c1, c2)},
		},
		{
			name: "repeated changes collapse to one refresh",
			evs: func(t *testing.T) []db.Event {
				return []db.Event{
					event(t, 1, events.RelationshipChanged, events.RelationshipPayload{Kind: "CREATED", ID: r1, EcosystemID: eco}),
					event(t, 2, events.RelationshipChanged, events.RelationshipPayload{Kind: "ADJUSTED", ID: r1, EcosystemID: eco}),
					event(t, 3, events.RelationshipChanged, events.RelationshipPayload{Kind: "DELETED", ID: r2, EcosystemID: eco}),
					event(t, 4, events.RelationshipChanged, events.RelationshipPayload{Kind: "UPDATED", ID: r1, EcosystemID: eco}),
					event(t, 5, events.CharacterChanged, events.CharacterPayload{Op: events.OpUpsert, ID: c1}),
					event(t, 6, events.CharacterChanged, events.CharacterPayload{Op: events.OpUpsert, ID: c1}),
				}
			},
			want: want{chars: ids(c1), rels: ids(r1, r2)},
		},
		{
			name: "only a deleted ecosystem drops its graph",
			evs: func(t *testing.T) []db.Event {
				return []db.Event{
					event(t, 1, events.EcosystemChanged, events.EcosystemPayload{Op: events.OpUpsert, ID: e1}),
					event(t, 2, events.EcosystemChanged, events.EcosystemPayload{Op: events.OpDelete, ID: e2}),
					event(t, 3, events.EcosystemChanged, events.EcosystemPayload{Op: events.OpDelete, ID: e2}),
				}
			},
			want: want{ecos: ids(e2)},
		},
		{
			name: "unreadable events are skipped, the rest planned",
			evs: func(t *testing.T) []db.Event {
				return []db.Event{
					event(t, 1, events.CharacterChanged, []byte(`{"id": "not-a-uuid"}`)),
					event(t, 2, events.RelationshipChanged, []byte(`{"kind": "CREATED"}`)),
					event(t, 3, events.EcosystemChanged, []byte(`[1, 2]`)),
					event(t, 4, events.RelationshipChanged, events.RelationshipPayload{Kind: "CREATED", ID: r1}),
				}
			},
			want: want{rels: ids(r1), skipped: []int64{1, 2, 3}},
		},
		{
			name: "mixed topics",
			evs: func(t *testing.T) []db.Event {
				return []db.Event{
					event(t, 1, events.CharacterChanged, events.CharacterPayload{Op: events.OpUpsert, ID: c2}),
					event(t, 2, events.RelationshipChanged, events.RelationshipPayload{Kind: "CREATED", ID: r2}),
					event(t, 3, events.EcosystemChanged, events.EcosystemPayload{Op: events.OpDelete, ID: e1}),
					event(t, 4, events.CharacterChanged, events.CharacterPayload{Op: events.OpDelete, ID: c1}),
				}
			},
			want: want{chars: ids(c1, c2), rels: ids(r2), ecos: ids(e1)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := planBatch(tt.evs(t))
			if !slices.Equal(p.Characters, tt.want.chars) {
				t.Errorf("characters = %v, want %v", p.Characters, tt.want.chars)
			}
			if !slices.Equal(p.Relationships, tt.want.rels) {
				t.Errorf("relationships = %v, want %v", p.Relationships, tt.want.rels)
			}
			if !slices.Equal(p.DeletedEcosystems, tt.want.ecos) {
				t.Errorf("deleted ecosystems = %v, want %v", p.DeletedEcosystems, tt.want.ecos)
			}
			var skipped []int64
			for _, s := range p.Skipped {
				if s.Err == nil || s.Topic == "" {
					t.Errorf("skipped event %+v has no reason or topic", s)
				}
				skipped = append(skipped, s.EventID)
			}
			if !slices.Equal(skipped, tt.want.skipped) {
				t.Errorf("skipped = %v, want %v", skipped, tt.want.skipped)
			}
		})
	}
}

func TestCharactersToReadAddsRelationshipEnds(t *testing.T) {
	a, b, c := uuid.New(), uuid.New(), uuid.New()
	plan := batchPlan{Characters: ids(a)}
	rels := []db.Relationship{{ID: uuid.New(), FromID: b, ToID: a}, {ID: uuid.New(), FromID: c, ToID: b}}
	if got, want := charactersToRead(plan, rels), ids(a, b, c); !slices.Equal(got, want) {
		t.Errorf("characters to read = %v, want %v", got, want)
	}
}

func TestDiffState(t *testing.T) {
	eco := uuid.New()
	a, b, gone := uuid.New(), uuid.New(), uuid.New()
	r1, rGone := uuid.New(), uuid.New()
	deadEco := uuid.New()
	label := "sworn"
	plan := batchPlan{Characters: ids(a, gone), Relationships: ids(r1, rGone), DeletedEcosystems: []uuid.UUID{deadEco}}
	chars := []db.Character{
		{ID: a, EcosystemID: eco, Name: "Anna", CurrentEmotion: "joy", IsActive: true, Backstory: "long"},
		{ID: b, EcosystemID: eco, Name: "Boris", CurrentEmotion: "neutral"},
	}
	rels := []db.Relationship{{ID: r1, EcosystemID: eco, FromID: b, ToID: a, Type: "ENEMY", Label: &label,
		Strength: -0.7, Trust: 0.2, Familiarity: 0.4, Notes: "ignored"}}

	c := diffState(plan, chars, rels)
	wantChars := []characterNode{
		{ID: a, EcosystemID: eco, Name: "Anna", CurrentEmotion: "joy", IsActive: true},
		{ID: b, EcosystemID: eco, Name: "Boris", CurrentEmotion: "neutral"},
	}
	if !slices.Equal(c.UpsertCharacters, wantChars) {
		t.Errorf("upsert characters = %+v", c.UpsertCharacters)
	}
	if len(c.UpsertRelationships) != 1 || c.UpsertRelationships[0] != (relationshipEdge{ID: r1, From: b, To: a, Type: "ENEMY",
		Label: &label, Strength: -0.7, Trust: 0.2, Familiarity: 0.4}) {
		t.Errorf("upsert relationships = %+v", c.UpsertRelationships)
	}
	if !slices.Equal(c.DeleteCharacters, []uuid.UUID{gone}) {
		t.Errorf("delete characters = %v", c.DeleteCharacters)
	}
	if !slices.Equal(c.DeleteRelationships, []uuid.UUID{rGone}) {
		t.Errorf("delete relationships = %v", c.DeleteRelationships)
	}
	if !slices.Equal(c.DeleteEcosystems, []uuid.UUID{deadEco}) {
		t.Errorf("delete ecosystems = %v", c.DeleteEcosystems)
	}
}

func TestNextRetry(t *testing.T) {
	var got []time.Duration
	d := time.Duration(0)
	for range 10 {
		d = nextRetry(d)
		got = append(got, d)
	}
	want := []time.Duration{
		100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond,
		1600 * time.Millisecond, 3200 * time.Millisecond, 6400 * time.Millisecond, 10 * time.Second,
		10 * time.Second, 10 * time.Second,
	}
	if !slices.Equal(got, want) {
		t.Errorf("retries = %v, want %v", got, want)
	}
}

func TestNotifyWakesSleep(t *testing.T) {
	p := NewProjector(nil, nil, nil)
	p.Notify()
	p.Notify() // a pending wake-up absorbs more; Notify never blocks
	done := make(chan bool)
	go func() { done <- p.sleep(context.Background(), time.Hour, true) }()
	select {
	case ok := <-done:
		if !ok {
			t.Fatal("sleep reported an ended context")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Notify did not wake sleep")
	}
}

func TestSleepIgnoresNotifyWhileBackingOff(t *testing.T) {
	p := NewProjector(nil, nil, nil)
	p.Notify()
	if !p.sleep(context.Background(), time.Millisecond, false) {
		t.Fatal("sleep reported an ended context")
	}
	select {
	case <-p.wake:
	default:
		t.Error("a backing-off sleep consumed the wake-up")
	}
}

func TestSleepEndsWithContext(t *testing.T) {
	p := NewProjector(nil, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if p.sleep(ctx, time.Hour, true) {
		t.Fatal("sleep on an ended context reported true")
	}
}
