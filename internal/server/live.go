package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/events"
)

// RevokedPayload is the payload of auth.token_revoked.
type RevokedPayload struct {
	TokenID uuid.UUID `json:"jti"`
}

// credentials keeps live connections honest about their token: a connection's context
// ends when its access token expires or is signed out (on any instance).
type credentials struct {
	auth *auth.Service
	bus  bus.Bus
}

// init authenticates a WebSocket's connection_init. The token comes from the payload
// ({"authorization": "Bearer <token>"}, or "token" / "accessToken"), or else from the
// upgrade request's Authorization header. No valid token refuses the connection (4403).
func (c credentials) init(ctx context.Context, payload map[string]any) (context.Context, error) {
	token := tokenFrom(payload)
	if token == "" {
		id, err := auth.FromContext(ctx)
		if err != nil {
			return nil, fmt.Errorf("send an access token in connection_init as {\"authorization\": \"Bearer <token>\"}: %w", err)
		}
		return c.hold(ctx, id), nil
	}
	id, err := c.auth.Authenticate(ctx, token)
	if err != nil {
		return nil, err
	}
	return c.hold(auth.WithIdentity(ctx, id), id), nil
}

func tokenFrom(payload map[string]any) string {
	for _, k := range []string{"authorization", "Authorization", "token", "accessToken"} {
		if s, ok := payload[k].(string); ok && s != "" {
			scheme, rest, found := strings.Cut(s, " ")
			if found && strings.EqualFold(scheme, "Bearer") {
				return strings.TrimSpace(rest)
			}
			return strings.TrimSpace(s)
		}
	}
	return ""
}

// heldKey marks a context that already ends with its token.
type heldKey struct{}

// hold returns ctx ending when the token expires or is revoked. A context held already
// (a WebSocket's, held at connection_init) is returned as it is: one watch per
// connection, not one more per subscription on it.
func (c credentials) hold(ctx context.Context, id auth.Identity) context.Context {
	if ctx.Value(heldKey{}) != nil {
		return ctx
	}
	ctx = context.WithValue(ctx, heldKey{}, true)
	ctx, cancel := context.WithDeadline(ctx, id.ExpiresAt)
	sub := c.bus.Subscribe(func(e events.Event) bool {
		if e.Topic != events.TokenRevoked {
			return false
		}
		var p RevokedPayload
		return json.Unmarshal(e.Payload, &p) == nil && p.TokenID == id.TokenID
	}, 1)
	go func() {
		defer cancel()
		defer sub.Close()
		select {
		case <-sub.Events():
		case <-ctx.Done():
		}
	}()
	return ctx
}

// aroundSubscriptions ends a subscription when its token expires or is revoked, whatever
// the transport (SSE has no connection_init), and gives every event of a subscription
// fresh loaders: loaders cache, and a subscription lives far longer than one response.
func aroundSubscriptions(c credentials, fresh func(context.Context) context.Context) (graphql.OperationMiddleware, graphql.ResponseMiddleware) {
	ops := func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		oc := graphql.GetOperationContext(ctx)
		if oc.Operation == nil || oc.Operation.Operation != ast.Subscription {
			return next(fresh(ctx))
		}
		if id, err := auth.FromContext(ctx); err == nil {
			ctx = c.hold(ctx, id)
		}
		return next(fresh(ctx))
	}
	responses := func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		if oc := graphql.GetOperationContext(ctx); oc.Operation != nil && oc.Operation.Operation == ast.Subscription {
			ctx = fresh(ctx)
		}
		return next(ctx)
	}
	return ops, responses
}

// sseTransport is gqlgen's SSE transport with the JSON body limit of the other transports.
type sseTransport struct {
	transport.SSE
	maxBody int64
}

func (t sseTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	r.Body = http.MaxBytesReader(w, r.Body, t.maxBody)
	t.SSE.Do(w, r, exec)
}

// Flush lets streaming transports (SSE) push each event through the access log's writer.
func (s *statusRecorder) Flush() {
	_ = http.NewResponseController(s.ResponseWriter).Flush()
}
