// Package errs defines the errors that callers branch on. Capability services wrap them
// with context; the GraphQL layer maps them to error codes in one place
// (internal/server's error presenter).
package errs

import (
	"errors"
	"fmt"
	"time"
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
	// ErrRateLimited: the caller has asked too much too fast; the error is a
	// *RateLimitedError saying when to try again.
	ErrRateLimited = errors.New("rate limited")
	// ErrUntrustedDocument: the server runs only registered documents (TRUSTED_DOCUMENTS
	// is enforce) and the request named or sent another.
	ErrUntrustedDocument = errors.New("document not registered")
	// ErrPersistedQuery: a persisted query request is malformed (its extension, or a hash
	// that does not match the document sent with it).
	ErrPersistedQuery = errors.New("invalid persisted query")
	// ErrOverloaded: the instance is running all the operations it can, and this one
	// could not start soon enough; nothing of it ran, and the same request may succeed a
	// moment later.
	ErrOverloaded = errors.New("overloaded")
	// ErrTimeout: the operation ran past its deadline and was stopped.
	ErrTimeout = errors.New("operation timed out")
)

// RateLimitedError refuses a request until RetryAfter has passed.
type RateLimitedError struct {
	// What was refused, for the client ("too many sign-in attempts").
	What       string
	RetryAfter time.Duration
}

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("%s; try again in %d s", e.What, e.Seconds())
}

// Is makes errors.Is(err, ErrRateLimited) hold.
func (e *RateLimitedError) Is(target error) bool { return target == ErrRateLimited }

// Seconds is RetryAfter in whole seconds, rounded up and at least 1, as HTTP's
// Retry-After header gives it.
func (e *RateLimitedError) Seconds() int {
	return max(int((e.RetryAfter+time.Second-1)/time.Second), 1)
}

// RateLimited refuses what until retryAfter has passed.
func RateLimited(what string, retryAfter time.Duration) error {
	return &RateLimitedError{What: what, RetryAfter: retryAfter}
}

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
