package resolvers

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/graph/model"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/conversations"
	"github.com/literaryai/ensemble/internal/graphstore"
	"github.com/literaryai/ensemble/internal/loaders"
	"github.com/literaryai/ensemble/internal/memories"
	"github.com/literaryai/ensemble/internal/relationships"
	"github.com/literaryai/ensemble/internal/relay"
)

// The type names inside global ids.
const (
	typeUser         = relay.TypeUser
	typeEcosystem    = relay.TypeEcosystem
	typeCharacter    = relay.TypeCharacter
	typeDocument     = relay.TypeDocument
	typeRelationship = relay.TypeRelationship
	typeMemory       = relay.TypeMemory
	typeConversation = relay.TypeConversation
	typeMessage      = relay.TypeMessage
	typeScenario     = relay.TypeScenario
)

func payload(s *auth.Session) *model.AuthPayload {
	if s == nil {
		return nil
	}
	return &model.AuthPayload{AccessToken: s.AccessToken, RefreshToken: s.RefreshToken, ExpiresAt: s.ExpiresAt, User: s.User}
}

func traitsPatch(in *model.PersonalityTraitsInput) *characters.TraitsPatch {
	if in == nil {
		return nil
	}
	return &characters.TraitsPatch{
		Openness: in.Openness, Conscientiousness: in.Conscientiousness, Extraversion: in.Extraversion,
		Agreeableness: in.Agreeableness, Neuroticism: in.Neuroticism,
	}
}

func contextPatch(v any) *any {
	if v == nil {
		return nil
	}
	return &v
}

func relationshipFilter(in *model.RelationshipFilter) relationships.Filter {
	f := relationships.Filter{Direction: relationships.Both}
	if in == nil {
		return f
	}
	f.Types, f.MinStrength, f.MaxStrength = in.Types, in.MinStrength, in.MaxStrength
	if in.Direction != nil {
		f.Direction = *in.Direction
	}
	return f
}

// mapFilter reads a relationship map's filter.
func mapFilter(in *model.RelationshipMapFilter) (relationships.MapFilter, error) {
	var f relationships.MapFilter
	if in == nil {
		return f, nil
	}
	f.Types, f.MinStrength = in.Types, in.MinStrength
	for _, id := range in.CharacterIds {
		cid, err := relay.Parse("filter.characterIds", id, typeCharacter)
		if err != nil {
			return f, err
		}
		f.CharacterIDs = append(f.CharacterIDs, cid)
	}
	return f, nil
}

func neighborList(in []graphstore.Neighbor) []*graphstore.Neighbor {
	out := make([]*graphstore.Neighbor, len(in))
	for i := range in {
		out[i] = &in[i]
	}
	return out
}

// firstError is the first of a LoadMany's errors, if any.
func firstError(list []error) error {
	for _, err := range list {
		if err != nil {
			return err
		}
	}
	return nil
}

func orOne(v *float64) float64 {
	if v == nil {
		return 1
	}
	return *v
}

func intOr(v *int, def int) int {
	if v == nil {
		return def
	}
	return *v
}

func scoredList(in []memories.Scored) []*memories.Scored {
	out := make([]*memories.Scored, len(in))
	for i := range in {
		out[i] = &in[i]
	}
	return out
}

// parseIDs decodes a list of global ids of one type.
func parseIDs(field string, ids []string, typ string) ([]uuid.UUID, error) {
	out := make([]uuid.UUID, len(ids))
	for i, id := range ids {
		u, err := relay.Parse(fmt.Sprintf("%s.%d", field, i), id, typ)
		if err != nil {
			return nil, err
		}
		out[i] = u
	}
	return out, nil
}

// sendInput decodes where a message goes and what it says.
func sendInput(conversationID, characterID *string, content string) (conversations.SendInput, error) {
	in := conversations.SendInput{Content: content}
	if conversationID != nil {
		id, err := relay.Parse("conversationId", *conversationID, typeConversation)
		if err != nil {
			return in, err
		}
		in.ConversationID = &id
	}
	if characterID != nil {
		id, err := relay.Parse("characterId", *characterID, typeCharacter)
		if err != nil {
			return in, err
		}
		in.CharacterID = &id
	}
	return in, nil
}

// optionalCharacter loads a character when there is one.
func optionalCharacter(ctx context.Context, id *uuid.UUID) (*characters.Character, error) {
	if id == nil {
		return nil, nil
	}
	return loaders.From(ctx).Character.Load(ctx, *id)()
}
