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
	return string(AppendID(nil, typ, id))
}

// AppendID appends the global id of (typ, id) to dst, for writers of many ids: it makes
// no allocation of its own. The id is base64url, which JSON takes unescaped.
func AppendID(dst []byte, typ string, id uuid.UUID) []byte {
	var raw [64]byte
	if len(typ) > len(raw)-37 {
		return base64.RawURLEncoding.AppendEncode(dst, []byte(typ+":"+id.String()))
	}
	n := copy(raw[:], typ)
	raw[n] = ':'
	n++
	n += hexUUID(raw[n:], id)
	return base64.RawURLEncoding.AppendEncode(dst, raw[:n])
}

// hexUUID writes id in its canonical form (as uuid.UUID.String) into dst, which has
// room for 36 bytes, and returns 36.
func hexUUID(dst []byte, id uuid.UUID) int {
	const digits = "0123456789abcdef"
	j := 0
	for i, b := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst[j] = '-'
			j++
		}
		dst[j], dst[j+1] = digits[b>>4], digits[b&0x0f]
		j += 2
	}
	return j
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
