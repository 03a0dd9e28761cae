package resolvers

import (
	"github.com/literaryai/ensemble/graph/model"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/characters"
)

// The type names inside global ids.
const (
	typeUser      = "User"
	typeEcosystem = "Ecosystem"
	typeCharacter = "Character"
	typeDocument  = "Document"
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
