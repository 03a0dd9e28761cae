// Package errs defines the errors that callers branch on. Capability services wrap them
// with context; the GraphQL layer maps them to error codes in one place
// (internal/server's error presenter).
package errs

import (
	"errors"
	"fmt"
)

var (
	// ErrNotFound: no such object, or one the viewer may not see (the two are
	// indistinguishable on purpose, so ids cannot be probed).
	ErrNotFound = errors.New("not found")
	// ErrUnauthenticated: the request needs a valid access token.
	ErrUnauthenticated = errors.New("authentication required")
	// ErrForbidden: the viewer is known but lacks the role.
	ErrForbidden = errors.New("forbidden")
	// ErrConflict: the change clashes with existing state (a duplicate, usually).
	ErrConflict = errors.New("conflict")
	// ErrTooLarge: the request or upload is over its size limit.
	ErrTooLarge = errors.New("too large")
	// ErrUnavailable: a service Ensemble depends on (an embeddings or language model
	// endpoint) failed; trying again later may work.
	ErrUnavailable = errors.New("service unavailable")
)

// InvalidError is bad user input in one field.
type InvalidError struct {
	// Field is the argument path as the client wrote it, e.g. "input.personalityTraits.openness".
	Field   string
	Message string
}

func (e *InvalidError) Error() string {
	return e.Field + ": " + e.Message
}

// Invalid reports bad input in field.
func Invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Message: fmt.Sprintf(format, args...)}
}
