package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/google/uuid"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/graphqlws"
)

// credentials keeps live connections honest about their token: a connection's context
// ends when its access token expires or its session ends (on any instance).
type credentials struct {
	auth    *auth.Service
	revoked *revocations
}

func newCredentials(a *auth.Service, b bus.Bus) credentials {
	return credentials{auth: a, revoked: &revocations{bus: b, held: map[uuid.UUID]map[*context.CancelFunc]struct{}{}}}
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

// hold returns ctx ending when the token expires or its session ends. A context held already
// (a WebSocket's, held at connection_init) is returned as it is: one watch per
// connection, not one more per subscription on it.
func (c credentials) hold(ctx context.Context, id auth.Identity) context.Context {
	if ctx.Value(heldKey{}) != nil {
		return ctx
	}
	ctx = context.WithValue(ctx, heldKey{}, true)
	ctx, cancel := context.WithDeadline(ctx, id.ExpiresAt)
	c.revoked.watch(ctx, id.SessionID, cancel)
	return ctx
}

// revocations cancels the contexts held for a session when it ends. One bus
// subscription serves every live connection of the instance: one each would have the bus
// run ten thousand filters for every event when ten thousand sockets are open.
type revocations struct {
	bus bus.Bus

	mu   sync.Mutex
	sub  *bus.Subscription // nil while nothing is held
	held map[uuid.UUID]map[*context.CancelFunc]struct{}
}

// watch calls cancel when session ends, until ctx ends.
func (r *revocations) watch(ctx context.Context, session uuid.UUID, cancel context.CancelFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sub == nil {
		r.sub = r.bus.Subscribe(func(e events.Event) bool { return e.Topic == events.SessionRevoked }, 64)
		go r.listen(r.sub)
	}
	if r.held[session] == nil {
		r.held[session] = map[*context.CancelFunc]struct{}{}
	}
	r.held[session][&cancel] = struct{}{}
	context.AfterFunc(ctx, func() { r.release(session, &cancel) })
}

func (r *revocations) release(session uuid.UUID, cancel *context.CancelFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.held[session], cancel)
	if len(r.held[session]) == 0 {
		delete(r.held, session)
	}
	if len(r.held) == 0 && r.sub != nil {
		r.sub.Close()
		r.sub = nil
	}
}

// listen cancels what is held for each ended session until sub is closed.
func (r *revocations) listen(sub *bus.Subscription) {
	for e := range sub.Events() {
		var p auth.RevokedPayload
		if json.Unmarshal(e.Payload, &p) != nil {
			continue
		}
		r.mu.Lock()
		for _, session := range p.Sessions {
			for cancel := range r.held[session] {
				(*cancel)()
			}
		}
		r.mu.Unlock()
	}
}

// aroundSubscriptions ends a subscription when its token expires or its session ends, whatever
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

// liveOnly lists the subscription fields that, without a cursor, stream only what happens
// from the moment they start, with no replay or snapshot first.
var liveOnly = map[string]bool{
	"messageAdded": true, "messageStream": true, "ecosystemActivity": true, "relationshipChanged": true,
}

// shareSubscriptions lets a user's identical subscriptions on one instance run once (see
// graphqlws.Config.Share). Results depend on who asks, through ownership checks and the
// admin role, so the scope is the user and role. A subscription may be joined late only
// if every field it selects is live-only and has no cursor.
func shareSubscriptions(ctx context.Context, oc *graphql.OperationContext) graphqlws.Sharing {
	id, err := auth.FromContext(ctx)
	if err != nil {
		return graphqlws.Sharing{}
	}
	late := true
	for _, f := range graphql.CollectFields(oc, oc.Operation.SelectionSet, []string{"Subscription"}) {
		if !liveOnly[f.Name] || f.ArgumentMap(oc.Variables)["after"] != nil {
			late = false
		}
	}
	return graphqlws.Sharing{Scope: id.UserID.String() + "/" + string(id.Role), Late: late}
}

// sseTransport is gqlgen's SSE transport with the JSON body limit of the other transports,
// whose subscriptions Streams can end without a complete event.
type sseTransport struct {
	transport.SSE
	maxBody int64
}

func (t sseTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	r.Body = http.MaxBytesReader(w, r.Body, t.maxBody)
	sw := &sseWriter{ResponseWriter: w}
	t.SSE.Do(sw, r.WithContext(context.WithValue(r.Context(), sseWriterKey{}, sw)), exec)
}

// Flush lets streaming transports (SSE) push each event through the access log's writer.
func (s *statusRecorder) Flush() {
	_ = http.NewResponseController(s.ResponseWriter).Flush()
}
