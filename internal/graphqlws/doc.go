// Package graphqlws serves GraphQL operations (subscriptions, queries and mutations) over
// WebSocket as a gqlgen transport. It replaces gqlgen's transport.Websocket, which does not
// send the close codes the graphql-transport-ws protocol requires, lets two operations share
// an id, and writes to the socket from the resolver goroutine, so one slow client holds up
// its publisher.
//
// # Wiring
//
// Add the transport before the HTTP transports, so that an upgrade request reaches it first:
//
//	srv := handler.New(graph.NewExecutableSchema(cfg))
//	srv.AddTransport(graphqlws.New(graphqlws.Config{Init: authenticate, Logger: logger}))
//	srv.AddTransport(transport.POST{})
//
// # Subprotocols
//
// The client must offer a subprotocol. "graphql-transport-ws"
// (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md) is preferred when offered;
// the legacy "graphql-ws" of subscriptions-transport-ws is served when only it is offered. An
// upgrade offering neither is refused with HTTP 400 rather than guessed at, and a request whose
// Origin matches neither the request host nor Config.OriginPatterns is refused with HTTP 403
// (a request without Origin, from a non-browser client, is not checked).
//
// # Close codes
//
// The server closes the socket with these codes, as graphql-transport-ws defines them. The
// legacy protocol, which defines none, uses the same codes (a start before connection_init
// closes with 4401, a start reusing a running id with 4409) and first sends a
// connection_error message carrying the reason, since its clients expect one.
//
//	4400 Bad request: a malformed message (invalid JSON, missing or unknown type, subscribe
//	     without id or payload, a payload that is not an object); the reason says which.
//	4401 "Unauthorized": subscribe before the connection was acknowledged.
//	4403 "Forbidden: <error>": Config.Init rejected the connection_init.
//	<code> <reason>: Config.Init rejected it with an error from CloseWith.
//	4403 "Forbidden: credentials expired or revoked": the context Init returned ended.
//	4408 "Connection initialisation timeout": no connection_init within Config.InitTimeout.
//	4409 "Subscriber for <id> already exists": subscribe reused the id of a running operation.
//	4429 "Too many initialisation requests": a second connection_init.
//	4499 "Slow consumer: reconnect and resume from your last cursor": the client did not read
//	     fast enough (see below). This code is ours, not the protocol's.
//	4500 "Internal server error": the transport itself failed (Init panicked, a response
//	     could not be encoded).
//	1009 Message too big: an inbound message exceeded Config.ReadLimit.
//	1001 "Going away: server restarting": Transport.Shutdown was called. No complete is sent
//	     for the running operations, so clients reconnect and subscribe again (graphql-ws
//	     retries 1001), resuming from the cursor they hold.
//	1001 "Going away": the request context ended, typically because the server cancelled
//	     its BaseContext.
//	1000 after a legacy connection_terminate.
//
// # Authentication
//
// Config.Init receives the connection_init payload and returns the context every operation of
// the connection runs with, typically carrying the authenticated user. If that context is
// cancelled after the acknowledgement — for instance when the token it was built from
// expires or is revoked — the connection is closed with 4403 "Forbidden: credentials expired
// or revoked" and every running operation is cancelled; the client reconnects with fresh
// credentials. gqlgen's transport.GetInitPayload and transport.AddSubscriptionError belong to
// gqlgen's own WebSocket transport and do not work here (the latter panics): carry what
// resolvers need on the context Init returns.
//
// # Back-pressure
//
// Each connection has one writer goroutine fed by a queue of Config.SendQueue messages.
// Resolver goroutines only ever enqueue, without blocking, so a slow client cannot hold up
// the resolvers or publishers of any connection, its own included. When the queue is full,
// or one write takes longer than Config.WriteTimeout, the connection is closed with 4499 and
// all its operations are cancelled: the client is expected to reconnect and resume from the
// last cursor it processed. When the close is caused by a write timeout the socket is already
// stalled, so the client usually observes an abnormal closure (1006) instead of 4499.
//
// # Operations
//
// Every operation runs in its own goroutine, with a context cancelled when the client
// completes (or, in the legacy protocol, stops) it, when the connection closes, or when the
// credentials end; the connection's handler returns only once all of them have. A
// single-result operation answers one next (data) and complete. An operation that fails to
// parse or validate, or panics, answers error for its id only; no complete follows an
// error. After a client's complete nothing more is sent for the id; the legacy protocol
// answers a stop with complete, as subscriptions-transport-ws servers do. A subscribe beyond
// Config.MaxSubscriptions running operations answers an error with extensions.code
// "RATE_LIMITED" and the connection stays open.
//
// connection_init is handled in order with the messages that follow it: a subscribe sent
// right after it is served once the connection is acknowledged, and Init should return
// promptly, since the connection reads nothing else while it runs. InitTimeout bounds the
// wait for connection_init, not Init itself, as in the reference implementation.
package graphqlws
