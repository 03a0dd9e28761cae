package page

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/errs"
)

func TestStreamCursors(t *testing.T) {
	st := Stream{Prefix: "msg", Item: "message", Scope: "conversation"}
	scope, other := uuid.New(), uuid.New()
	if seq, err := st.Parse("after", st.Cursor(scope, 42), scope); err != nil || seq != 42 {
		t.Fatalf("round trip: %d, %v", seq, err)
	}
	enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	for name, tc := range map[string]struct {
		cursor string
		msg    string
	}{
		"another scope":  {st.Cursor(other, 1), "belongs to another conversation"},
		"another stream": {Stream{Prefix: "eco"}.Cursor(scope, 1), "not a valid message cursor"},
		"not base64":     {"%%%", "not a valid message cursor"},
		"negative":       {enc("msg:" + scope.String() + ":-1"), "not a valid message cursor"},
		"not a number":   {enc("msg:" + scope.String() + ":x"), "not a valid message cursor"},
		"no scope":       {enc("msg:42"), "not a valid message cursor"},
		"a page cursor":  {Cursor{ID: scope}.String(), "not a valid message cursor"},
		"absurdly long":  {strings.Repeat("A", 500), "not a valid message cursor"},
	} {
		_, err := st.Parse("after", tc.cursor, scope)
		var invalid *errs.InvalidError
		if !errors.As(err, &invalid) || invalid.Field != "after" || !strings.Contains(invalid.Message, tc.msg) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
