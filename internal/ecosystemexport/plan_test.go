package ecosystemexport

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/errs"
)

// small is a document with one of everything that refers to something else.
func small() *Document {
	m1, m2, c1, s1, mem1 := "m1", "m2", "c1", "s1", "mem1"
	turn := int32(1)
	return &Document{Format: Format, Version: Version, Ecosystem: Ecosystem{Name: "Bath"},
		Characters: []Character{{ID: "c1", Name: "Anne", CurrentEmotion: "calm"}, {ID: "c2", Name: "Frederick", CurrentEmotion: "calm"}},
		Relationships: []Relationship{{ID: "r1", From: "c1", To: "c2", Type: "FRIEND", Trust: 0.5,
			History: []Change{{Kind: "ADJUSTED", Type: "FRIEND", Trust: 0.5, Actor: "scene", Message: &m2}}}},
		Memories: []Memory{
			{ID: "mem1", Character: "c1", Content: "The letter.", Type: "OBSERVATION", Importance: 0.5, SourceMessage: &m2},
			{ID: "mem2", Character: "c1", Content: "He still cares.", Type: "REFLECTION", Importance: 0.8, Sources: []string{mem1}},
		},
		Scenarios: []Scenario{{ID: "s1", Title: "Bath", MaxTurns: 5, PaceMs: 0, Cast: []CastMember{{Character: "c1"}, {Character: "c2"}}}},
		Conversations: []Conversation{{ID: "v1", Kind: "SCENE", Status: "ACTIVE",
			Participants: []Participant{{Character: "c1"}, {Character: "c2"}},
			Scene: &Scene{Scenario: &s1, Cast: []CastMember{{Character: "c1", MaySpeak: true}}, MaxTurns: 5, Mode: "OBSERVE",
				LastSpeaker: &c1, Spoke: map[string]int{"c1": 1}},
			Messages: []Message{{ID: "m1", Seq: 1, SenderKind: "NARRATOR", Content: "Rain."},
				{ID: "m2", Seq: 2, Turn: &turn, SenderKind: "CHARACTER", SenderCharacter: &c1, ReplyTo: &m1, Content: "I must write.",
					Metadata: json.RawMessage(`{"scene": true}`)}}}},
	}
}

// TestPlanRemapsEveryReference checks that every reference lands on the new id of what
// it named, and that a running scene is planned paused.
func TestPlanRemapsEveryReference(t *testing.T) {
	viewer := auth.Identity{UserID: uuid.New()}
	p, err := (&Service{now: time.Now}).plan(viewer, small())
	if err != nil {
		t.Fatal(err)
	}
	anne, fred := p.characters[0].ID, p.characters[1].ID
	line := p.messages[1]
	switch {
	case p.relationships[0].FromID != anne || p.relationships[0].ToID != fred:
		t.Fatal("relationship ends not remapped")
	case *p.history[0].MessageID != line.ID || p.history[0].ActorUserID != nil:
		t.Fatal("history cause not remapped")
	case *line.SenderCharacterID != anne || *line.ReplyToID != p.messages[0].ID:
		t.Fatal("message speaker or reply not remapped")
	case *p.memories[0].SourceMessageID != line.ID || p.sources[0].SourceID != p.memories[0].ID || p.sources[0].ReflectionID != p.memories[1].ID:
		t.Fatal("memory sources not remapped")
	case p.cast[1].CharacterID != fred || p.cast[1].ScenarioID != p.scenarios[0].ID || *p.scenes[0].ScenarioID != p.scenarios[0].ID:
		t.Fatal("scenario cast not remapped")
	case *p.scenes[0].LastSpeakerID != anne || string(p.scenes[0].Spoke) != `{"`+anne.String()+`":1}`:
		t.Fatal("scene state not remapped")
	case p.conversations[0].Status != "PAUSED" || len(p.warnings) != 1 || p.conversations[0].LastSeq != 2:
		t.Fatalf("a running scene: %+v %v", p.conversations[0], p.warnings)
	}
}

// TestPlanRefusesDanglingAndBadValues checks each refusal's path.
func TestPlanRefusesDanglingAndBadValues(t *testing.T) {
	nobody := "nobody"
	for _, tc := range []struct {
		name  string
		edit  func(d *Document)
		field string
	}{
		{"a reply to no message", func(d *Document) { d.Conversations[0].Messages[1].ReplyTo = &nobody }, "file.conversations.0.messages.1.replyTo"},
		{"a cause that is no message", func(d *Document) { d.Relationships[0].History[0].Message = &nobody }, "file.relationships.0.history.0.message"},
		{"a source that is no memory", func(d *Document) { d.Memories[1].Sources = []string{"mem9"} }, "file.memories.1.sources.0"},
		{"a speaker that is no character", func(d *Document) { d.Conversations[0].Messages[1].SenderCharacter = &nobody }, "file.conversations.0.messages.1.senderCharacter"},
		{"a spoke of no character", func(d *Document) { d.Conversations[0].Scene.Spoke = map[string]int{"c9": 1} }, "file.conversations.0.scene.spoke.c9"},
		{"a seq twice", func(d *Document) { d.Conversations[0].Messages[1].Seq = 1 }, "file.conversations.0.messages.1.seq"},
		{"a relationship to itself", func(d *Document) { d.Relationships[0].To = "c1" }, "file.relationships.0.to"},
		{"a scene line said twice", func(d *Document) {
			turn := int32(2)
			m := d.Conversations[0].Messages[1]
			m.ID, m.Seq, m.Turn, m.ReplyTo = "m3", 3, &turn, nil
			d.Conversations[0].Messages = append(d.Conversations[0].Messages, m)
		}, "file.conversations.0.messages.2.content"},
		{"a NUL in text", func(d *Document) { d.Memories[0].Content = "a\x00b" }, "file.memories.0.content"},
		{"an unknown memory type", func(d *Document) { d.Memories[0].Type = "DREAM" }, "file.memories.0.type"},
		{"metadata that is no object", func(d *Document) { d.Conversations[0].Messages[0].Metadata = json.RawMessage(`"x"`) }, "file.conversations.0.messages.0.metadata"},
		{"a scene in a direct conversation", func(d *Document) { d.Conversations[0].Kind = "DIRECT" }, "file.conversations.0.scene"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := small()
			tc.edit(d)
			_, err := (&Service{now: time.Now}).plan(auth.Identity{UserID: uuid.New()}, d)
			var invalid *errs.InvalidError
			if !errors.As(err, &invalid) || invalid.Field != tc.field {
				t.Fatalf("got %v, want bad input at %s", err, tc.field)
			}
		})
	}
}
