package page

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/errs"
)

// Stream names a kind of numbered list: items numbered 1, 2, 3 ... within a scope (the
// messages of a conversation, the events of an ecosystem). Its cursors are opaque to
// clients and say which scope they belong to, so one cannot be used in another.
type Stream struct {
	// Prefix tags the cursor's kind inside the encoding.
	Prefix string
	// Item and Scope name the items and their scope in error messages.
	Item, Scope string
}

// Cursor is the cursor after item seq of scope.
func (st Stream) Cursor(scope uuid.UUID, seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(st.Prefix + ":" + scope.String() + ":" + strconv.FormatInt(seq, 10)))
}

// Parse decodes a cursor that must point into scope; field names the argument in errors.
func (st Stream) Parse(field, s string, scope uuid.UUID) (int64, error) {
	invalid := errs.Invalid(field, "not a valid %s cursor", st.Item)
	if len(s) > 200 {
		return 0, invalid
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, invalid
	}
	rest, ok := strings.CutPrefix(string(raw), st.Prefix+":")
	if !ok {
		return 0, invalid
	}
	id, num, ok := strings.Cut(rest, ":")
	got, err := uuid.Parse(id)
	if !ok || err != nil {
		return 0, invalid
	}
	seq, err := strconv.ParseInt(num, 10, 64)
	if err != nil || seq < 0 {
		return 0, invalid
	}
	if got != scope {
		return 0, errs.Invalid(field, "the cursor belongs to another %s", st.Scope)
	}
	return seq, nil
}
