package ecosystemexport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/scenarios"
)

// Limits of the document's values, as the database's CHECKs and the services hold them
// (a character's are characters.Max*).
const (
	maxEcosystemName        = 255
	maxEcosystemDescription = 10000
	maxMessageEmotion       = 64
	maxLabel                = 100
	maxNotes                = 5000
	maxCause                = 1000
	maxActor                = 100
	maxMemory               = 10000
	maxTitle                = 200
	maxSetting              = 500
	maxMood                 = 100
	maxPremise              = 5000
	maxRole                 = 200
	maxScenarioGl           = 1000
	maxSecret               = 2000
	maxCast                 = 50
	maxTurns                = 10000
	maxPaceMS               = 600000
	maxConvTitle            = 255
	maxMessage              = 20000
	maxMetadata             = 64 << 10
)

// checkOptional checks text that may be null.
func checkOptional(field string, s *string, lo, hi int) error {
	if s == nil {
		return nil
	}
	return scenarios.CheckText(field, *s, lo, hi)
}

// checkRange refuses a number outside [lo, hi].
func checkRange(field string, v, lo, hi float64) error {
	if !(v >= lo && v <= hi) {
		return errs.Invalid(field, "must be between %g and %g, got %g", lo, hi, v)
	}
	return nil
}

// checkObject refuses anything but a JSON object of at most limit bytes; missing is {}.
func checkObject(field string, v json.RawMessage, limit int) (json.RawMessage, error) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || bytes.Equal(v, []byte("null")) {
		return json.RawMessage(`{}`), nil
	}
	if v[0] != '{' {
		return nil, errs.Invalid(field, "must be an object")
	}
	if len(v) > limit {
		return nil, errs.Invalid(field, "must be at most %d bytes of JSON", limit)
	}
	if bytes.Contains(v, []byte(`\u0000`)) {
		return nil, errs.Invalid(field, "must not hold NUL characters")
	}
	return v, nil
}

// oneOf refuses a value outside a set.
func oneOf(field, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return errs.Invalid(field, "must be one of %s, got %q", strings.Join(allowed, ", "), v)
}

// idMap gives the document's local ids of one kind their new ids.
type idMap struct {
	kind string
	ids  map[string]uuid.UUID
}

func newIDMap(kind string, n int) *idMap {
	return &idMap{kind: kind, ids: make(map[string]uuid.UUID, n)}
}

// add gives a local id a new id; ids must be unique within their kind. New ids are
// time-ordered (UUIDv7), so rows that share a creation time still list in document order.
func (m *idMap) add(field, local string) (uuid.UUID, error) {
	if err := scenarios.CheckText(field, local, 1, 100); err != nil {
		return uuid.Nil, err
	}
	if _, ok := m.ids[local]; ok {
		return uuid.Nil, errs.Invalid(field, "repeats the %s id %q", m.kind, local)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.Nil, fmt.Errorf("new id: %w", err)
	}
	m.ids[local] = id
	return id, nil
}

// ref resolves a reference to a local id.
func (m *idMap) ref(field, local string) (uuid.UUID, error) {
	id, ok := m.ids[local]
	if !ok {
		return uuid.Nil, errs.Invalid(field, "refers to %s %q, which the document does not hold", m.kind, local)
	}
	return id, nil
}

// optional resolves a reference that may be null.
func (m *idMap) optional(field string, local *string) (*uuid.UUID, error) {
	if local == nil {
		return nil, nil
	}
	id, err := m.ref(field, *local)
	if err != nil {
		return nil, err
	}
	return &id, nil
}
