package model

import (
	"time"

	"github.com/99designs/gqlgen/graphql"

	"github.com/literaryai/ensemble/internal/errs"
)

// MarshalTime writes a Time as RFC 3339 with nanoseconds.
func MarshalTime(t time.Time) graphql.Marshaler {
	return graphql.MarshalTime(t)
}

// UnmarshalTime reads an RFC 3339 time. A malformed one is bad user input; the error
// presenter names the argument from the error's path.
func UnmarshalTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, errs.Invalid("", "must be an RFC 3339 time such as 2026-11-27T09:30:00Z")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, errs.Invalid("", "must be an RFC 3339 time such as 2026-11-27T09:30:00Z")
	}
	return t, nil
}
