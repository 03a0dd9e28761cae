// Package resolvers implements the GraphQL schema. Resolvers are thin: they decode ids
// and arguments, take the caller from the context, call one capability service and map
// the result. Errors are mapped to GraphQL codes by the server's error presenter.
package resolvers

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/literaryai/ensemble/graph"
	"github.com/literaryai/ensemble/graph/model"
	"github.com/literaryai/ensemble/internal/activity"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/casting"
	"github.com/literaryai/ensemble/internal/charactercards"
	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/chat"
	"github.com/literaryai/ensemble/internal/conversations"
	"github.com/literaryai/ensemble/internal/documents"
	"github.com/literaryai/ensemble/internal/ecosystemexport"
	"github.com/literaryai/ensemble/internal/ecosystems"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/memories"
	"github.com/literaryai/ensemble/internal/observatory"
	"github.com/literaryai/ensemble/internal/page"
	"github.com/literaryai/ensemble/internal/relationships"
	"github.com/literaryai/ensemble/internal/scenarios"
	"github.com/literaryai/ensemble/internal/scenes"
)

// Resolver holds the services every resolver may call.
type Resolver struct {
	AuthService         *auth.Service
	EcosystemService    *ecosystems.Service
	CharacterService    *characters.Service
	DocumentService     *documents.Service
	RelationshipService *relationships.Service
	MemoryService       *memories.Service
	ConversationService *conversations.Service
	ChatService         *chat.Chat
	Activity            *activity.Service
	Casting             *casting.Service
	ScenarioService     *scenarios.Service
	SceneService        *scenes.Service
	ObservatoryService  *observatory.Service
	CardService         *charactercards.Service
	ExportService       *ecosystemexport.Service
	// Bus carries the ephemeral events some subscriptions stream (reply pieces).
	Bus bus.Bus
}

// Config returns the executor configuration: resolvers, directives, and the cost of
// list fields for the complexity limit.
func (r *Resolver) Config() graph.Config {
	cfg := graph.Config{
		Resolvers: r,
		Directives: graph.DirectiveRoot{
			Auth:    requireAuth,
			HasRole: requireRole,
		},
	}
	c := &cfg.Complexity
	c.Query.Ecosystems = pageCost
	c.Query.Documents = pageCost
	c.Query.Users = pageCost
	c.Ecosystem.Characters = pageCost
	c.Relationship.History = pageCost
	c.Character.Memories = func(child int, _ *model.MemoryFilter, first *int, after *string) int {
		return pageCost(child, first, after)
	}
	c.Character.Relationships = func(child int, _ *model.RelationshipFilter, first *int, after *string) int {
		return pageCost(child, first, after)
	}
	c.Query.Conversations = func(child int, _ *model.ConversationFilter, first *int, after *string) int {
		return pageCost(child, first, after)
	}
	c.Conversation.Messages = func(child int, first *int, _ *string, last *int, _ *string) int {
		n := page.DefaultFirst
		for _, v := range []*int{first, last} {
			if v != nil && *v > 0 && *v <= page.MaxFirst {
				n = *v
			}
		}
		return 1 + n*child
	}
	c.Query.Characters = func(child int, _ *model.CharacterFilter, first *int, after *string) int {
		return pageCost(child, first, after)
	}
	return cfg
}

// pageCost charges a connection for every object it may return: a page of first items
// costs first times what one item's selection costs.
func pageCost(child int, first *int, _ *string) int {
	n := page.DefaultFirst
	if first != nil && *first > 0 && *first <= page.MaxFirst {
		n = *first
	}
	return 1 + n*child
}

// requireAuth implements @auth: the field needs a valid access token.
func requireAuth(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	if _, err := auth.FromContext(ctx); err != nil {
		return nil, err
	}
	return next(ctx)
}

// requireRole implements @hasRole: the field needs a token with the role.
func requireRole(ctx context.Context, _ any, next graphql.Resolver, role auth.Role) (any, error) {
	id, err := auth.FromContext(ctx)
	if err != nil {
		return nil, err
	}
	if id.Role != role && !id.IsAdmin() {
		return nil, errs.ErrForbidden
	}
	return next(ctx)
}

// viewer is the caller; fields marked @auth are only reached with one.
func viewer(ctx context.Context) auth.Identity {
	id, _ := auth.FromContext(ctx)
	return id
}
