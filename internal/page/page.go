// Package page implements keyset pagination behind the API's cursor connections.
// Every list is ordered by (created_at, id); a cursor is that pair, opaque to clients.
package page

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/errs"
)

const (
	// MaxFirst bounds a page, so no query can ask for a whole table.
	MaxFirst = 100
	// DefaultFirst is the page size when the client names none.
	DefaultFirst = 20
)

// Cursor is a position in a (created_at, id) ordered list.
type Cursor struct {
	CreatedAt time.Time
	ID        uuid.UUID
}

// String encodes the cursor for clients.
func (c Cursor) String() string {
	return base64.RawURLEncoding.EncodeToString(
		[]byte(strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + ":" + c.ID.String()))
}

func parseCursor(s string) (Cursor, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, false
	}
	micros, id, ok := strings.Cut(string(raw), ":")
	if !ok {
		return Cursor{}, false
	}
	us, err := strconv.ParseInt(micros, 10, 64)
	if err != nil {
		return Cursor{}, false
	}
	u, err := uuid.Parse(id)
	if err != nil {
		return Cursor{}, false
	}
	return Cursor{CreatedAt: time.UnixMicro(us).UTC(), ID: u}, true
}

// Args is a validated page request.
type Args struct {
	First int
	After *Cursor
}

// Limit is the number of rows to fetch: one more than the page, to learn whether there is
// a next page.
func (a Args) Limit() int32 {
	return int32(a.First + 1)
}

// AfterTime and AfterID are the cursor's parts as nullable query parameters.
func (a Args) AfterTime() *time.Time {
	if a.After == nil {
		return nil
	}
	return &a.After.CreatedAt
}

// AfterID is the cursor's id, or nil without a cursor.
func (a Args) AfterID() *uuid.UUID {
	if a.After == nil {
		return nil
	}
	return &a.After.ID
}

// Parse validates the connection arguments first and after.
func Parse(first *int, after *string) (Args, error) {
	a := Args{First: DefaultFirst}
	if first != nil {
		if *first < 1 || *first > MaxFirst {
			return Args{}, errs.Invalid("first", "must be between 1 and %d", MaxFirst)
		}
		a.First = *first
	}
	if after != nil && *after != "" {
		c, ok := parseCursor(*after)
		if !ok {
			return Args{}, errs.Invalid("after", "not a valid cursor")
		}
		a.After = &c
	}
	return a, nil
}

// Page is one page of a list.
type Page[T any] struct {
	Items   []T
	HasNext bool
	// Cursor gives an item's cursor.
	Cursor func(T) Cursor
	// Total counts the whole list; called only when a client asks for it.
	Total func(ctx context.Context) (int, error)
}

// New trims rows fetched with Args.Limit to a page.
func New[T any](rows []T, a Args, cursor func(T) Cursor, total func(context.Context) (int, error)) Page[T] {
	p := Page[T]{Items: rows, Cursor: cursor, Total: total}
	if len(rows) > a.First {
		p.Items = rows[:a.First]
		p.HasNext = true
	}
	return p
}
