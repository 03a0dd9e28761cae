package resolvers

import (
	"context"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/graph/model"
	"github.com/literaryai/ensemble/internal/activity"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/conversations"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/relay"
	"github.com/literaryai/ensemble/internal/scenarios"
	"github.com/literaryai/ensemble/internal/scenes"
)

// castOf decodes a scenario's cast from its input.
func castOf(in []*model.ScenarioRoleInput) ([]scenarios.Role, error) {
	out := make([]scenarios.Role, len(in))
	for i, r := range in {
		id, err := relay.Parse("input.cast.characterId", r.CharacterID, typeCharacter)
		if err != nil {
			return nil, err
		}
		out[i] = scenarios.Role{CharacterID: id, Role: deref(r.Role), Goal: deref(r.Goal), Secret: deref(r.Secret),
			MaySpeak: r.MaySpeak == nil || *r.MaySpeak}
	}
	return out, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// sceneControl decodes a scene's id and applies a director's control to it.
func (r *mutationResolver) sceneControl(ctx context.Context, conversationID string,
	control func(context.Context, auth.Identity, uuid.UUID) (*scenes.Scene, error)) (*scenes.Scene, error) {
	id, err := relay.Parse("conversationId", conversationID, typeConversation)
	if err != nil {
		return nil, err
	}
	return control(ctx, viewer(ctx), id)
}

// sceneActivity maps a scene.changed event.
func sceneActivity(e events.Event) (*model.SceneActivity, bool) {
	p, err := scenes.ChangeOf(e)
	if err != nil {
		return nil, false
	}
	a := &model.SceneActivity{Kind: model.SceneChangeKind(p.Kind), ConversationUUID: p.ConversationID, Status: p.Status,
		Turn: p.Turn, PaceMs: p.PaceMs, Mode: p.Mode, SpeakerID: p.SpeakerID, AddresseeID: p.AddresseeID, CharacterID: p.CharacterID}
	if p.Reason != "" {
		a.Reason = &p.Reason
	}
	if p.Instruction != "" {
		a.Instruction = &p.Instruction
	}
	return a, true
}

// sceneEventOf maps an ecosystem event to an event of the scene of conversation id, or
// reports that it belongs to something else.
func sceneEventOf(e events.Event, id uuid.UUID) (*model.SceneEvent, bool) {
	out := &model.SceneEvent{Cursor: activity.Cursor(e), At: e.At}
	switch e.Topic {
	case events.MessageCreated:
		m, err := conversations.MessageOf(e)
		if err != nil || m.ConversationID != id {
			return nil, false
		}
		out.Message = m
	case events.SceneChanged:
		a, ok := sceneActivity(e)
		if !ok || a.ConversationUUID != id {
			return nil, false
		}
		out.Change = a
	default:
		return nil, false
	}
	return out, true
}
