package server

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/graphqlws"
)

// capSockets wraps a WebSocket Init so that one user holds at most SocketsPerUser
// sockets on this instance. A socket beyond the cap closes with 1013 "Try Again Later":
// graphql-ws clients retry after it with their exponential backoff (a second, then two,
// four...) and give up after a few tries, where 4429 would stop them for good and a 4403
// would read as bad credentials.
func (g *guard) capSockets(init func(context.Context, map[string]any) (context.Context, error)) func(context.Context, map[string]any) (context.Context, error) {
	return func(ctx context.Context, payload map[string]any) (context.Context, error) {
		held, err := init(ctx, payload)
		if err != nil {
			return nil, err
		}
		id, err := auth.FromContext(held)
		if err != nil {
			return held, nil
		}
		release, ok := g.sockets.Take(id.UserID.String())
		if !ok {
			return nil, graphqlws.CloseWith(websocket.StatusTryAgainLater,
				fmt.Sprintf("Try again later: this account has %d connections open, the most allowed", g.sockets.Max()))
		}
		// ctx is the socket's: it ends when the socket closes.
		context.AfterFunc(ctx, release)
		return held, nil
	}
}

// subscriptionCap bounds the subscriptions one user runs at once on this instance, over
// WebSockets and SSE alike, counted as each starts (before it is shared with identical
// ones) and released when it ends.
type subscriptionCap struct{ g *guard }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = subscriptionCap{}

func (subscriptionCap) ExtensionName() string { return "SubscriptionCap" }

func (subscriptionCap) Validate(graphql.ExecutableSchema) error { return nil }

func (c subscriptionCap) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || oc.Operation.Operation != ast.Subscription {
		return nil
	}
	id, err := auth.FromContext(ctx)
	if err != nil {
		// Subscriptions need a token; the field refuses it with the reason.
		return nil
	}
	release, ok := c.g.subscriptions.Take(id.UserID.String())
	if !ok {
		err := gqlerror.Errorf("this account runs %d subscriptions already, the most allowed; end one first",
			c.g.subscriptions.Max())
		err.Extensions = map[string]any{"code": codeRateLimited}
		return err
	}
	// The context is the operation's: it ends with the subscription.
	context.AfterFunc(ctx, release)
	return nil
}
