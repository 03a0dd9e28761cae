package ecosystemexport

import (
	"errors"
	"strings"
	"testing"

	"github.com/literaryai/ensemble/internal/errs"
)

// TestDecodeNamesTheOffendingElement checks that every kind of bad document is refused as
// bad input at the path of the element at fault.
func TestDecodeNamesTheOffendingElement(t *testing.T) {
	const head = `{"format": "ensemble.ecosystem", "version": 1, `
	for _, tc := range []struct {
		name, doc, field, message string
	}{
		{"not JSON", `{"format": "ensemble.ecosystem",` + "\n" + ` "version": 1,,}`, "file", "line 2"},
		{"another format", `{"format": "ensemble.scenario/v1", "version": 1}`, "file.format", "not an Ensemble ecosystem export"},
		{"no format", `{"version": 1}`, "file.format", "must be"},
		{"a later version", `{"format": "ensemble.ecosystem", "version": 2}`, "file.version", "version 2 is not supported"},
		{"a version as text", `{"format": "ensemble.ecosystem", "version": "1"}`, "file.version", "not supported"},
		{"a number as text", head + `"characters": [{"id": "c1"}, {"id": "c2", "personalityTraits": {"openness": "high"}}]}`,
			"file.characters.1.personalityTraits.openness", "must be a number, not string"},
		{"an object for a list", head + `"characters": {"id": "c1"}}`, "file.characters", "must be an array, not object"},
		{"text for a flag", head + `"conversations": [{"id": "v1", "messages": [{"id": "m1", "seq": "one"}]}]}`,
			"file.conversations.0.messages.0.seq", "must be a number"},
		{"an unknown field", head + `"characters": [{"id": "c1", "nickname": "Al"}]}`, "file.characters.0.nickname", "not a field"},
		{"a bad time", head + `"memories": [{"id": "mem1", "createdAt": "yesterday"}]}`, "file.memories.0.createdAt", "RFC 3339"},
		{"two documents", head + `"characters": []} {}`, "file", "after top-level value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(tc.doc))
			var invalid *errs.InvalidError
			if !errors.As(err, &invalid) {
				t.Fatalf("got %v, want bad input", err)
			}
			if invalid.Field != tc.field || !strings.Contains(invalid.Message, tc.message) {
				t.Fatalf("got %s: %s; want %s: ...%s...", invalid.Field, invalid.Message, tc.field, tc.message)
			}
		})
	}
}

// TestDecodeReadsAMinimalDocument checks that a document with nothing but its header is an
// empty ecosystem.
func TestDecodeReadsAMinimalDocument(t *testing.T) {
	d, err := Decode([]byte("\xef\xbb\xbf" + `{"format": "ensemble.ecosystem", "version": 1, "ecosystem": {"name": "Empty"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if d.Ecosystem.Name != "Empty" || len(d.Characters) != 0 {
		t.Fatalf("got %+v", d)
	}
}
