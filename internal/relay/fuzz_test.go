package relay

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/errs"
)

// FuzzGlobalID: any id is a (type, uuid) pair or BAD_USER_INPUT naming the argument,
// never a panic; an id read back encodes to one that reads the same; and every id the
// server hands out reads back as itself.
func FuzzGlobalID(f *testing.F) {
	id := uuid.MustParse("0190f2a4-0000-7000-8000-000000000001")
	for _, s := range []string{ID(TypeCharacter, id), ID(TypeUser, uuid.Nil), "", "Q2hhcmFjdGVyOg", "OjAxOTBmMmE0LTAwMDAtNzAwMC04MDAwLTAwMDAwMDAwMDAwMQ",
		ID(TypeCharacter, id) + "=", strings.Repeat("A", 129), "Q2hhcmFjdGVyOnt9"} {
		f.Add(s, TypeCharacter, []byte{1, 2, 3})
	}
	f.Fuzz(func(t *testing.T, gid, typ string, raw []byte) {
		gotType, got, err := Decode("id", gid)
		var invalid *errs.InvalidError
		switch {
		case err != nil && !(errors.As(err, &invalid) && invalid.Field == "id"):
			t.Fatalf("Decode(%q) = %v, want BAD_USER_INPUT at id", gid, err)
		case err == nil:
			again := ID(gotType, got)
			if t2, id2, err := Decode("id", again); err != nil || t2 != gotType || id2 != got {
				t.Fatalf("%q read as %s %s, encoded as %q, read back as %s %s, %v", gid, gotType, got, again, t2, id2, err)
			}
		}
		// The encoder's side, for the type names ids can carry (no colon, and short).
		if typ == "" || strings.Contains(typ, ":") || len(typ) > 40 {
			return
		}
		var u uuid.UUID
		copy(u[:], raw)
		if back, err := Parse("id", ID(typ, u), typ); err != nil || back != u {
			t.Fatalf("id of %s %s read back as %s, %v", typ, u, back, err)
		}
	})
}
