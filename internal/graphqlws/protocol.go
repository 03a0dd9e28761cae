package graphqlws

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
)

// The subprotocols a client may offer.
const (
	SubprotocolTransportWS = "graphql-transport-ws"
	SubprotocolGraphQLWS   = "graphql-ws"
)

// kind is what a client message asks for, whatever the protocol calls it.
type kind int

const (
	kindInit kind = iota + 1
	kindPing
	kindPong
	kindSubscribe
	kindStop
	kindTerminate
)

// protocol is one subprotocol's vocabulary. Both protocols share the connection logic; they
// differ only in message names and in the few behaviours flagged here.
type protocol struct {
	name    string
	inbound map[string]kind

	ack, keepAlive, next, errorType, complete string

	// connectionError names the message the legacy protocol sends before the server closes;
	// empty when the close frame alone carries the reason.
	connectionError string
	// keepAliveOnAck sends a keep-alive right after the acknowledgement, as legacy servers do.
	keepAliveOnAck bool
	// completeAfterStop answers a client's stop with complete (legacy); graphql-transport-ws
	// sends nothing more for an id the client completed.
	completeAfterStop bool
}

func transportWS() *protocol {
	return &protocol{
		name: SubprotocolTransportWS,
		inbound: map[string]kind{
			"connection_init": kindInit,
			"ping":            kindPing,
			"pong":            kindPong,
			"subscribe":       kindSubscribe,
			"complete":        kindStop,
		},
		ack:       "connection_ack",
		keepAlive: "ping",
		next:      "next",
		errorType: "error",
		complete:  "complete",
	}
}

func legacyWS() *protocol {
	return &protocol{
		name: SubprotocolGraphQLWS,
		inbound: map[string]kind{
			"connection_init":      kindInit,
			"start":                kindSubscribe,
			"stop":                 kindStop,
			"connection_terminate": kindTerminate,
		},
		ack:               "connection_ack",
		keepAlive:         "ka",
		next:              "data",
		errorType:         "error",
		complete:          "complete",
		connectionError:   "connection_error",
		keepAliveOnAck:    true,
		completeAfterStop: true,
	}
}

// inbound is a validated client message.
type inbound struct {
	kind    kind
	id      string
	payload json.RawMessage // a JSON object, or nil when absent or null
	init    map[string]any
	params  *graphql.RawParams
}

// decode validates a client message. Its errors are *closeError values for 4400.
func (p *protocol) decode(data []byte) (inbound, error) {
	var env struct {
		Type    json.RawMessage `json:"type"`
		ID      json.RawMessage `json:"id"`
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(data, &env); err != nil {
		if !json.Valid(data) {
			return inbound{}, badRequest("invalid JSON")
		}
		return inbound{}, badRequest("message is not a JSON object")
	}
	var typ string
	if json.Unmarshal(env.Type, &typ) != nil || typ == "" {
		return inbound{}, badRequest("missing or invalid type")
	}
	k, ok := p.inbound[typ]
	if !ok {
		return inbound{}, badRequest(fmt.Sprintf("unknown type %q", typ))
	}
	msg := inbound{kind: k}
	var err error
	switch k {
	case kindInit:
		if msg.payload, err = optionalObject(typ, env.Payload); err == nil && msg.payload != nil {
			err = decodeInitPayload(typ, msg.payload, &msg.init)
		}
	case kindPing, kindPong:
		msg.payload, err = optionalObject(typ, env.Payload)
	case kindSubscribe:
		if msg.id, err = requiredID(typ, env.ID); err == nil {
			msg.params, err = decodeParams(typ, env.Payload)
		}
	case kindStop:
		msg.id, err = requiredID(typ, env.ID)
	}
	return msg, err
}

func requiredID(typ string, raw json.RawMessage) (string, error) {
	var id string
	if json.Unmarshal(raw, &id) != nil || id == "" {
		return "", badRequest(typ + " requires a non-empty string id")
	}
	return id, nil
}

func optionalObject(typ string, raw json.RawMessage) (json.RawMessage, error) {
	if isNull(raw) {
		return nil, nil
	}
	if !isObject(raw) {
		return nil, badRequest(typ + " payload must be an object")
	}
	return raw, nil
}

func decodeInitPayload(typ string, raw json.RawMessage, into *map[string]any) error {
	if err := decodeNumbers(raw, into); err != nil {
		return badRequest(typ + " payload is malformed")
	}
	return nil
}

func decodeParams(typ string, raw json.RawMessage) (*graphql.RawParams, error) {
	if isNull(raw) {
		return nil, badRequest(typ + " requires a payload")
	}
	if !isObject(raw) {
		return nil, badRequest(typ + " payload must be an object")
	}
	var p struct {
		Query         *string        `json:"query"`
		OperationName *string        `json:"operationName"`
		Variables     map[string]any `json:"variables"`
		Extensions    map[string]any `json:"extensions"`
	}
	if err := decodeNumbers(raw, &p); err != nil {
		return nil, badRequest(typ + " payload has a field of the wrong type")
	}
	if p.Query == nil {
		return nil, badRequest(typ + " payload requires a string query")
	}
	params := &graphql.RawParams{Query: *p.Query, Variables: p.Variables, Extensions: p.Extensions}
	if p.OperationName != nil {
		params.OperationName = *p.OperationName
	}
	return params, nil
}

// decodeNumbers keeps numbers as json.Number, as gqlgen's HTTP transports do, so that
// variable coercion sees the client's digits rather than a float64.
func decodeNumbers(raw json.RawMessage, into any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(into); err != nil {
		return fmt.Errorf("decode payload: %w", err)
	}
	return nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

func isObject(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && t[0] == '{'
}

// frame encodes a server message. payload must be valid JSON (it always comes from
// json.Marshal or from a client message decode has validated), so it is copied verbatim
// instead of being re-validated on every event of a busy subscription.
func frame(typ, id string, payload []byte) []byte {
	b := make([]byte, 0, len(payload)+len(id)+len(typ)+32)
	b = append(b, '{')
	if id != "" {
		b = append(b, `"id":`...)
		b = appendString(b, id)
		b = append(b, ',')
	}
	b = append(b, `"type":`...)
	b = appendString(b, typ)
	if len(payload) > 0 {
		b = append(b, `,"payload":`...)
		b = append(b, payload...)
	}
	return append(b, '}')
}

func appendString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // a string always marshals
	return append(b, q...)
}

func (p *protocol) ackMessage() []byte       { return frame(p.ack, "", nil) }
func (p *protocol) keepAliveMessage() []byte { return frame(p.keepAlive, "", nil) }
func (p *protocol) completeMessage(id string) []byte {
	return frame(p.complete, id, nil)
}

// pongMessage echoes the ping's payload, as graphql-transport-ws asks.
func (p *protocol) pongMessage(payload json.RawMessage) []byte {
	return frame("pong", "", payload)
}

func (p *protocol) nextMessage(id string, response []byte) []byte {
	return frame(p.next, id, response)
}

func (p *protocol) errorMessage(id string, errs []byte) []byte {
	return frame(p.errorType, id, errs)
}

// connectionErrorMessage is the legacy notice sent before closing; nil for protocols
// whose close frame carries the reason.
func (p *protocol) connectionErrorMessage(reason string) []byte {
	if p.connectionError == "" {
		return nil
	}
	payload, _ := json.Marshal(map[string]string{"message": reason}) // strings always marshal
	return frame(p.connectionError, "", payload)
}
