package relay

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/errs"
)

func TestRoundTrip(t *testing.T) {
	id := uuid.New()
	got, err := Parse("id", ID("Character", id), "Character")
	if err != nil || got != id {
		t.Fatalf("Parse(ID()) = %v, %v", got, err)
	}
}

func TestParseRejects(t *testing.T) {
	id := uuid.New()
	tests := []struct {
		name, gid string
		notFound  bool
	}{
		{"empty", "", false},
		{"not base64", "!!!", false},
		{"no type", ID("", id), false},
		{"not a uuid", "Q2hhcmFjdGVyOjEyMw", false},
		{"too long", strings.Repeat("A", 200), false},
		{"wrong type", ID("Ecosystem", id), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("input.id", tc.gid, "Character")
			var invalid *errs.InvalidError
			switch {
			case tc.notFound && !errors.Is(err, errs.ErrNotFound):
				t.Fatalf("err = %v, want not found", err)
			case !tc.notFound && (!errors.As(err, &invalid) || invalid.Field != "input.id"):
				t.Fatalf("err = %v, want invalid input.id", err)
			}
		})
	}
}

// TestAppendIDIsTheEncodedTypeAndUUID: ids written without allocating are the ids
// clients already hold (base64url of "Type:uuid"), for short and overlong type names.
func TestAppendIDIsTheEncodedTypeAndUUID(t *testing.T) {
	for _, typ := range []string{TypeCharacter, TypeRelationship, "", strings.Repeat("T", 40)} {
		for range 50 {
			id := uuid.New()
			want := base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + id.String()))
			if got := string(AppendID([]byte("x"), typ, id)); got != "x"+want {
				t.Fatalf("AppendID(%q, %s) = %q, want x%q", typ, id, got, want)
			}
			if got := ID(typ, id); got != want {
				t.Fatalf("ID(%q, %s) = %q, want %q", typ, id, got, want)
			}
		}
	}
}
