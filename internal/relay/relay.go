// Package relay encodes and decodes the API's global object ids: base64url("Type:uuid").
// Ids are opaque to clients, and tell the server which type an id names, so `node(id:)`
// needs one lookup and an id of the wrong type is refused before any query.
package relay

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/errs"
)

// The type names inside global ids: the GraphQL type names.
const (
	TypeUser         = "User"
	TypeEcosystem    = "Ecosystem"
	TypeCharacter    = "Character"
	TypeDocument     = "Document"
	TypeRelationship = "Relationship"
	TypeMemory       = "Memory"
	TypeConversation = "Conversation"
	TypeMessage      = "Message"
	TypeScenario     = "Scenario"
)

// ID returns the global id of an object of type typ.
func ID(typ string, id uuid.UUID) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + id.String()))
}

// Decode splits a global id into its type and uuid. field names the argument for the error.
func Decode(field, gid string) (string, uuid.UUID, error) {
	if len(gid) > 128 {
		return "", uuid.Nil, errs.Invalid(field, "not a valid id")
	}
	raw, err := base64.RawURLEncoding.DecodeString(gid)
	if err != nil {
		return "", uuid.Nil, errs.Invalid(field, "not a valid id")
	}
	typ, rest, ok := strings.Cut(string(raw), ":")
	if !ok || typ == "" {
		return "", uuid.Nil, errs.Invalid(field, "not a valid id")
	}
	id, err := uuid.Parse(rest)
	if err != nil {
		return "", uuid.Nil, errs.Invalid(field, "not a valid id")
	}
	return typ, id, nil
}

// Parse decodes a global id that must name an object of type typ. An id of another type
// is not found: to the client it names no such object.
func Parse(field, gid, typ string) (uuid.UUID, error) {
	got, id, err := Decode(field, gid)
	if err != nil {
		return uuid.Nil, err
	}
	if got != typ {
		return uuid.Nil, fmt.Errorf("%s is a %s id, not a %s id: %w", field, got, typ, errs.ErrNotFound)
	}
	return id, nil
}

// ParseOptional is Parse for an optional argument.
func ParseOptional(field string, gid *string, typ string) (*uuid.UUID, error) {
	if gid == nil {
		return nil, nil
	}
	id, err := Parse(field, *gid, typ)
	if err != nil {
		return nil, err
	}
	return &id, nil
}
