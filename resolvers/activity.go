package resolvers

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/graph/model"
	"github.com/literaryai/ensemble/internal/activity"
	"github.com/literaryai/ensemble/internal/conversations"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/memories"
	"github.com/literaryai/ensemble/internal/relationships"
	"github.com/literaryai/ensemble/internal/relay"
)

// followEcosystem checks the ecosystem and cursor and follows its events of topics.
func (r *subscriptionResolver) followEcosystem(ctx context.Context, ecosystemID string, after *string, topics []string) (<-chan events.Event, error) {
	id, err := relay.Parse("ecosystemId", ecosystemID, typeEcosystem)
	if err != nil {
		return nil, err
	}
	var from *int64
	if after != nil {
		seq, err := activity.Events.Parse("after", *after, id)
		if err != nil {
			return nil, err
		}
		from = &seq
	}
	return r.Activity.Follow(ctx, viewer(ctx), id, topics, from)
}

// relayEvents maps a stream of events to GraphQL values, dropping those that do not map.
func relayEvents[T any](ctx context.Context, in <-chan events.Event, conv func(events.Event) (T, bool)) <-chan T {
	out := make(chan T, 1)
	go func() {
		defer close(out)
		for e := range in {
			v, ok := conv(e)
			if !ok {
				continue
			}
			select {
			case out <- v:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out
}

// activityOf turns an event into its member of the Activity union.
func activityOf(e events.Event) (model.Activity, bool) {
	switch e.Topic {
	case events.MessageCreated:
		m, err := conversations.MessageOf(e)
		return m, err == nil
	case events.RelationshipChanged:
		return relationshipActivity(e)
	case events.CharacterChanged:
		var p events.CharacterPayload
		if json.Unmarshal(e.Payload, &p) != nil {
			return nil, false
		}
		return &model.CharacterActivity{ID: p.ID, Op: model.ChangeOp(p.Op), Name: p.Name, CurrentEmotion: p.CurrentEmotion, IsActive: p.IsActive}, true
	case events.MemoryChanged:
		var p struct {
			memories.MemoryPayload
			Count int `json:"count"`
		}
		if json.Unmarshal(e.Payload, &p) != nil {
			return nil, false
		}
		// The op is an enum shared with the other members of Activity, so that a client
		// may select it on all of them; an op it does not know would break the response.
		op := model.ChangeOp(p.Op)
		if !op.IsValid() {
			return nil, false
		}
		a := &model.MemoryActivity{Op: op, CharacterID: p.CharacterID, Count: max(p.Count, 1)}
		if p.ID != uuid.Nil {
			id := p.ID
			a.MemoryID = &id
		}
		return a, true
	case events.ConversationChanged:
		var p conversations.ChangedPayload
		if json.Unmarshal(e.Payload, &p) != nil {
			return nil, false
		}
		return &model.ConversationActivity{ID: p.ID, Op: model.ChangeOp(p.Op), Kind: p.Kind, Status: p.Status}, true
	case events.SceneChanged:
		return sceneActivity(e)
	}
	return nil, false
}

func relationshipActivity(e events.Event) (*model.RelationshipActivity, bool) {
	var p events.RelationshipPayload
	if json.Unmarshal(e.Payload, &p) != nil {
		return nil, false
	}
	return &model.RelationshipActivity{ID: p.ID, Kind: model.RelationshipChangeKind(p.Kind), FromUUID: p.FromID, ToUUID: p.ToID,
		Type: relationships.Type(p.Type), Strength: p.Strength, Trust: p.Trust, Familiarity: p.Familiarity,
		Clamped: p.Clamped, Cause: p.Cause, Actor: p.Actor}, true
}

// orNil turns NOT_FOUND into null: an object an event names may be gone by the time the
// event is delivered.
func orNil[T any](v *T, err error) (*T, error) {
	if errors.Is(err, errs.ErrNotFound) {
		return nil, nil
	}
	return v, err
}
