package page

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/errs"
)

func ptr[T any](v T) *T { return &v }

func TestParse(t *testing.T) {
	c := Cursor{CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 678000, time.UTC), ID: uuid.New()}
	tests := []struct {
		name      string
		first     *int
		after     *string
		wantFirst int
		field     string
	}{
		{"defaults", nil, nil, DefaultFirst, ""},
		{"max", ptr(MaxFirst), nil, MaxFirst, ""},
		{"cursor", ptr(5), ptr(c.String()), 5, ""},
		{"empty cursor is none", nil, ptr(""), DefaultFirst, ""},
		{"zero", ptr(0), nil, 0, "first"},
		{"over max", ptr(100000), nil, 0, "first"},
		{"negative", ptr(-1), nil, 0, "first"},
		{"garbage cursor", nil, ptr("garbage!"), 0, "after"},
		{"cursor without id", nil, ptr("MTIz"), 0, "after"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := Parse(tc.first, tc.after)
			if tc.field != "" {
				var invalid *errs.InvalidError
				if !errors.As(err, &invalid) || invalid.Field != tc.field {
					t.Fatalf("err = %v, want invalid %s", err, tc.field)
				}
				return
			}
			if err != nil || a.First != tc.wantFirst || a.Limit() != int32(tc.wantFirst+1) {
				t.Fatalf("Parse = %+v, %v", a, err)
			}
			if tc.after != nil && *tc.after != "" && (a.After == nil || !a.After.CreatedAt.Equal(c.CreatedAt) || a.After.ID != c.ID) {
				t.Fatalf("cursor round trip: %+v", a.After)
			}
		})
	}
}

func TestNewTrimsToAPage(t *testing.T) {
	a := Args{First: 2}
	p := New([]int{1, 2, 3}, a, nil, nil)
	if len(p.Items) != 2 || !p.HasNext {
		t.Fatalf("page = %+v", p)
	}
	p = New([]int{1, 2}, a, nil, nil)
	if len(p.Items) != 2 || p.HasNext {
		t.Fatalf("page = %+v", p)
	}
}
