package page

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/errs"
)

// invalidAt reports whether err is bad user input in field, as every refused cursor
// must be (never an internal error).
func invalidAt(err error, field string) bool {
	var invalid *errs.InvalidError
	return errors.As(err, &invalid) && invalid.Field == field
}

// FuzzCursor: any after argument is a cursor or BAD_USER_INPUT, never a panic; a cursor
// read back from a client encodes to one that reads the same; and every cursor the
// server hands out reads back as itself.
func FuzzCursor(f *testing.F) {
	c := Cursor{CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 678000, time.UTC), ID: uuid.MustParse("0190f2a4-0000-7000-8000-000000000001")}
	for _, s := range []string{c.String(), "", "x", "MTc6", "LTE6MDE5MGYyYTQtMDAwMC03MDAwLTgwMDAtMDAwMDAwMDAwMDAx",
		"OTIyMzM3MjAzNjg1NDc3NTgwNzow", "Kzk6MDE5MGYyYTQtMDAwMC03MDAwLTgwMDAtMDAwMDAwMDAwMDAx", c.String() + "="} {
		f.Add(s, int64(0), []byte{})
	}
	f.Add("", int64(-62135596800000000), []byte("0123456789abcdef"))
	f.Add("", int64(1<<62), []byte("fedcba9876543210"))
	f.Fuzz(func(t *testing.T, after string, micros int64, id []byte) {
		a, err := Parse(nil, &after)
		switch {
		case err != nil && !invalidAt(err, "after"):
			t.Fatalf("Parse(%q) = %v, want BAD_USER_INPUT at after", after, err)
		case err == nil && a.After != nil:
			again := a.After.String()
			b, err := Parse(nil, &again)
			if err != nil || !b.After.CreatedAt.Equal(a.After.CreatedAt) || b.After.ID != a.After.ID {
				t.Fatalf("%q read as %+v, encoded as %q, read back as %+v, %v", after, a.After, again, b.After, err)
			}
		}
		// The encoder's side: a cursor the server makes reads back as itself.
		var u uuid.UUID
		copy(u[:], id)
		made := Cursor{CreatedAt: time.UnixMicro(micros).UTC(), ID: u}
		s := made.String()
		b, err := Parse(nil, &s)
		if err != nil || !b.After.CreatedAt.Equal(made.CreatedAt) || b.After.ID != made.ID {
			t.Fatalf("cursor %+v encoded as %q read back as %+v, %v", made, s, b.After, err)
		}
	})
}

// FuzzStreamCursor: the same for numbered lists: any cursor is a position in the scope
// or BAD_USER_INPUT, and the cursors handed out read back.
func FuzzStreamCursor(f *testing.F) {
	st := Stream{Prefix: "msg", Item: "message", Scope: "conversation"}
	scope := uuid.MustParse("0190f2a4-0000-7000-8000-000000000001")
	for _, s := range []string{st.Cursor(scope, 42), st.Cursor(uuid.Nil, 1), "", "bXNnOg", "bXNnOjow", "bXNnOjAxOTBmMmE0LTAwMDAtNzAwMC04MDAwLTAwMDAwMDAwMDAwMTotMQ"} {
		f.Add(s, int64(7))
	}
	f.Fuzz(func(t *testing.T, cursor string, seq int64) {
		got, err := st.Parse("after", cursor, scope)
		switch {
		case err != nil && !invalidAt(err, "after"):
			t.Fatalf("Parse(%q) = %v, want BAD_USER_INPUT at after", cursor, err)
		case err == nil:
			if again, err := st.Parse("after", st.Cursor(scope, got), scope); err != nil || again != got {
				t.Fatalf("%q read as %d, read back as %d, %v", cursor, got, again, err)
			}
		}
		if seq < 0 {
			return // never handed out
		}
		if back, err := st.Parse("after", st.Cursor(scope, seq), scope); err != nil || back != seq {
			t.Fatalf("cursor of %d read back as %d, %v", seq, back, err)
		}
	})
}
