package auth

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Role is what a user may do beyond owning their own objects.
type Role string

// The roles.
const (
	RoleUser  Role = "USER"
	RoleAdmin Role = "ADMIN"
)

// Identity is the authenticated caller of a request: the user and session named by a
// verified access token, with the role the user has now (not the one in the token).
type Identity struct {
	UserID uuid.UUID
	Role   Role
	// SessionID is the sign-in the access token belongs to (its sid claim); ending the
	// session ends every access token of it.
	SessionID uuid.UUID
	// ExpiresAt is when the access token expires.
	ExpiresAt time.Time
}

// IsAdmin reports whether the caller sees everyone's objects.
func (i Identity) IsAdmin() bool {
	return i.Role == RoleAdmin
}

// OwnerFilter is the owner a query must match: the caller, or nil (anyone) for an admin.
func (i Identity) OwnerFilter() *uuid.UUID {
	if i.IsAdmin() {
		return nil
	}
	id := i.UserID
	return &id
}

type identityKey struct{}

// credential is what the request presented: an identity, or why its token was refused.
type credential struct {
	identity Identity
	err      error
}

// WithIdentity returns ctx carrying an authenticated caller.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, credential{identity: id})
}

// WithRejection records that the request presented a token that was refused, so that a
// protected field can say why (expired, revoked, malformed) instead of just "sign in".
func WithRejection(ctx context.Context, err error) context.Context {
	return context.WithValue(ctx, identityKey{}, credential{err: err})
}

// FromContext returns the caller, or an error wrapping errs.ErrUnauthenticated.
func FromContext(ctx context.Context) (Identity, error) {
	c, ok := ctx.Value(identityKey{}).(credential)
	if !ok {
		return Identity{}, errMissingToken
	}
	if c.err != nil {
		return Identity{}, c.err
	}
	return c.identity, nil
}
