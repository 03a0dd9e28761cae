// Package cards reads and writes Character Card V2 and V3 files (the role-play
// community's portable characters): JSON, or a PNG picture with the card in a tEXt chunk.
// Every key of a card is kept as the raw JSON it came in, decoded only where Ensemble
// reads it, so a card written back loses nothing it did not change.
package cards

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/literaryai/ensemble/internal/errs"
)

// Spec is a card's format version.
type Spec string

// The specs read and written.
const (
	V2 Spec = "chara_card_v2"
	V3 Spec = "chara_card_v3"
)

// Limits on what a card may hold; an upload's size is bounded by the server before.
const (
	// MaxCardBytes bounds a card's decoded JSON (pictures are not part of it).
	MaxCardBytes = 4 << 20
	// MaxEntries bounds a lorebook's entries, each of which becomes a memory.
	MaxEntries = 500
)

// field is the argument errors are reported under.
const field = "file"

func invalid(format string, args ...any) error { return errs.Invalid(field, format, args...) }

// Card is a parsed card. Keys it does not model (extensions, V1 mirror fields, anything
// a future version adds) stay in top, data and book as they came.
type Card struct {
	Spec Spec
	// top holds the top-level keys but data; data its keys but character_book; book the
	// lorebook's keys but entries, nil when the card has no lorebook.
	top, data, book map[string]json.RawMessage
	Entries         []Entry
}

// Entry is one lorebook entry: the keys that bring it into a chat and its text.
type Entry struct {
	Keys    []string
	Content string
	// Enabled is false for an entry its author switched off.
	Enabled bool
	raw     map[string]json.RawMessage
}

// textFields are the data keys that must hold a string when present.
var textFields = []string{"name", "description", "personality", "scenario", "first_mes", "mes_example",
	"creator_notes", "system_prompt", "post_history_instructions", "creator", "character_version"}

// listFields are the data keys that must hold a list of strings when present.
var listFields = []string{"tags", "alternate_greetings", "group_only_greetings"}

// Parse reads a card from its JSON.
func Parse(b []byte) (*Card, error) {
	if len(b) > MaxCardBytes {
		return nil, fmt.Errorf("the card is %d bytes of JSON, more than %d: %w", len(b), MaxCardBytes, errs.ErrTooLarge)
	}
	top, err := object(b, "the card")
	if err != nil {
		return nil, err
	}
	var spec string
	if raw, ok := top["spec"]; !ok || json.Unmarshal(raw, &spec) != nil {
		return nil, invalid("the card names no spec: only chara_card_v2 and chara_card_v3 cards are read")
	}
	c := &Card{Spec: Spec(spec), top: top}
	if c.Spec != V2 && c.Spec != V3 {
		return nil, invalid("unsupported card spec %q: only chara_card_v2 and chara_card_v3 are read", spec)
	}
	if c.data, err = object(top["data"], "the card's data"); err != nil {
		return nil, err
	}
	delete(top, "data")
	for _, k := range textFields {
		if _, err := c.text(k); err != nil {
			return nil, err
		}
	}
	for _, k := range listFields {
		if _, err := c.list(k); err != nil {
			return nil, err
		}
	}
	if strings.TrimSpace(c.Text("name")) == "" {
		return nil, invalid("the card has no name")
	}
	if ext, ok := c.data["extensions"]; ok && !isNull(ext) {
		if _, err := object(ext, "the card's extensions"); err != nil {
			return nil, err
		}
	}
	if raw, ok := c.data["character_book"]; ok && !isNull(raw) {
		if err := c.readBook(raw); err != nil {
			return nil, err
		}
	}
	return c, nil
}

func (c *Card) readBook(raw json.RawMessage) error {
	book, err := object(raw, "the lorebook")
	if err != nil {
		return err
	}
	var entries []json.RawMessage
	if e, ok := book["entries"]; ok && !isNull(e) {
		if err := json.Unmarshal(e, &entries); err != nil {
			return invalid("the lorebook's entries are not a list")
		}
	}
	if len(entries) > MaxEntries {
		return invalid("the lorebook has %d entries, more than %d", len(entries), MaxEntries)
	}
	delete(book, "entries")
	delete(c.data, "character_book")
	c.book = book
	c.Entries = make([]Entry, len(entries))
	for i, e := range entries {
		if c.Entries[i], err = ParseEntry(e); err != nil {
			var bad *errs.InvalidError
			if errors.As(err, &bad) {
				return invalid("lorebook entry %d: %s", i, bad.Message)
			}
			return err
		}
	}
	return nil
}

// ParseEntry reads one lorebook entry from its JSON.
func ParseEntry(b []byte) (Entry, error) {
	raw, err := object(b, "the entry")
	if err != nil {
		return Entry{}, err
	}
	e := Entry{Enabled: true, raw: raw}
	if v, ok := raw["keys"]; ok && !isNull(v) && json.Unmarshal(v, &e.Keys) != nil {
		return Entry{}, invalid("keys must be a list of strings")
	}
	if v, ok := raw["content"]; ok && !isNull(v) && json.Unmarshal(v, &e.Content) != nil {
		return Entry{}, invalid("content must be a string")
	}
	if v, ok := raw["enabled"]; ok && !isNull(v) && json.Unmarshal(v, &e.Enabled) != nil {
		return Entry{}, invalid("enabled must be true or false")
	}
	return e, nil
}

// NewEntry is a lorebook entry for a fact that came from no card: with no keys to bring
// it in, it is constant (always in context), as a fact the character knows is.
func NewEntry(id int, content string) Entry {
	e := Entry{Keys: []string{}, Content: content, Enabled: true, raw: map[string]json.RawMessage{}}
	for k, v := range map[string]any{"id": id, "keys": e.Keys, "content": content, "extensions": struct{}{},
		"enabled": true, "insertion_order": id, "constant": true, "use_regex": false} {
		e.raw[k] = mustJSON(v)
	}
	return e
}

// JSON is the entry as the card holds it.
func (e Entry) JSON() []byte { return mustJSON(e.raw) }

// ID is the entry's numeric id, if it has one.
func (e Entry) ID() (int, bool) {
	var id int
	v, ok := e.raw["id"]
	return id, ok && json.Unmarshal(v, &id) == nil
}

// Text is a data field's string, "" when absent.
func (c *Card) Text(key string) string {
	s, _ := c.text(key)
	return s
}

func (c *Card) text(key string) (string, error) {
	var s string
	if v, ok := c.data[key]; ok && !isNull(v) && json.Unmarshal(v, &s) != nil {
		return "", invalid("the card's %s must be a string", key)
	}
	return s, nil
}

// List is a data field's list of strings (tags, alternate_greetings), nil when absent.
func (c *Card) List(key string) []string {
	l, _ := c.list(key)
	return l
}

func (c *Card) list(key string) ([]string, error) {
	var l []string
	if v, ok := c.data[key]; ok && !isNull(v) && json.Unmarshal(v, &l) != nil {
		return nil, invalid("the card's %s must be a list of strings", key)
	}
	return l, nil
}

// SetText sets a data field, and its V1 mirror at the top level when the card has one
// (cards written by SillyTavern repeat name, description, ... there for old readers).
func (c *Card) SetText(key, value string) {
	v := mustJSON(value)
	c.data[key] = v
	if _, ok := c.top[key]; ok {
		c.top[key] = v
	}
}

// HasLorebook reports whether the card carries a lorebook (possibly empty).
func (c *Card) HasLorebook() bool { return c.book != nil }

// SetEntries replaces the lorebook's entries, adding a lorebook when the card had none
// and there are entries.
func (c *Card) SetEntries(entries []Entry) {
	if c.book == nil && len(entries) > 0 {
		c.book = map[string]json.RawMessage{}
	}
	c.Entries = entries
}

// New is a card of the given spec for a character that came from no card: every field
// the spec requires, empty where Ensemble has nothing for it.
func New(spec Spec, name string) *Card {
	c := &Card{Spec: spec, top: map[string]json.RawMessage{}, data: map[string]json.RawMessage{}}
	for _, k := range textFields {
		c.data[k] = mustJSON("")
	}
	for _, k := range listFields {
		c.data[k] = mustJSON([]string{})
	}
	c.data["extensions"] = mustJSON(struct{}{})
	c.SetText("name", name)
	return c.As(spec)
}

// As is a copy of the card under another spec (the same card when it is already that
// spec). V3 is a superset of V2: the copy keeps every key, and a V3 copy gets the one
// field V3 requires that V2 lacks.
func (c *Card) As(spec Spec) *Card {
	out := &Card{Spec: spec, top: maps.Clone(c.top), data: maps.Clone(c.data), book: maps.Clone(c.book),
		Entries: c.Entries}
	version := "2.0"
	if spec == V3 {
		version = "3.0"
		if _, ok := out.data["group_only_greetings"]; !ok {
			out.data["group_only_greetings"] = mustJSON([]string{})
		}
	}
	if spec != c.Spec || out.top["spec_version"] == nil {
		out.top["spec_version"] = mustJSON(version)
	}
	out.top["spec"] = mustJSON(spec)
	return out
}

// JSON is the whole card.
func (c *Card) JSON() []byte {
	data := maps.Clone(c.data)
	if c.book != nil {
		book := maps.Clone(c.book)
		entries := make([]json.RawMessage, len(c.Entries))
		for i, e := range c.Entries {
			entries[i] = e.JSON()
		}
		book["entries"] = mustJSON(entries)
		data["character_book"] = mustJSON(book)
	}
	top := maps.Clone(c.top)
	top["data"] = mustJSON(data)
	return mustJSON(top)
}

// Indented is the whole card, indented for a person to read.
func (c *Card) Indented() []byte {
	var out bytes.Buffer
	if err := json.Indent(&out, c.JSON(), "", "  "); err != nil {
		panic(fmt.Sprintf("indent a card written by this package: %v", err))
	}
	return out.Bytes()
}

// object decodes a JSON object, keeping its values raw.
func object(b []byte, what string) (map[string]json.RawMessage, error) {
	if !json.Valid(b) {
		return nil, invalid("%s is not valid JSON", what)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, invalid("%s is not a JSON object", what)
	}
	return m, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// mustJSON encodes values this package built from decoded JSON, which always encode. It
// leaves <, > and & as they are: cards are full of "<START>", and escaping it would change
// every example dialogue written back.
func mustJSON(v any) json.RawMessage {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("encode card JSON: %v", err))
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
