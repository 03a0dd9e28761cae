package auth

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/errs"
)

func TestSessionCacheKeepsEndedSessionsEnded(t *testing.T) {
	user := uuid.New()
	alive := check{user: user, role: RoleAdmin}
	tests := []struct {
		name  string
		steps func(c *sessionCache, s uuid.UUID)
		// role is the role the cached check gives, or "" when it refuses the session.
		role Role
	}{
		{"checked alive", func(c *sessionCache, s uuid.UUID) { c.put(s, alive) }, RoleAdmin},
		{"ended", func(c *sessionCache, s uuid.UUID) { c.put(s, alive); c.end(s) }, ""},
		// A check read before the session ended and stored after must not revive it.
		{"stale check stored after the end", func(c *sessionCache, s uuid.UUID) { c.end(s); c.put(s, alive) }, ""},
		{"checked ended", func(c *sessionCache, s uuid.UUID) { c.put(s, check{user: user, ended: true}) }, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newSessionCache(time.Minute)
			s := uuid.New()
			tc.steps(c, s)
			got, ok := c.get(s)
			if !ok {
				t.Fatal("nothing cached")
			}
			id, err := got.apply(Identity{UserID: user, Role: RoleUser, SessionID: s})
			switch {
			case tc.role == "" && !errors.Is(err, errs.ErrUnauthenticated):
				t.Fatalf("apply = %+v, %v; want the session refused", id, err)
			case tc.role != "" && (err != nil || id.Role != tc.role):
				t.Fatalf("apply = %+v, %v; want role %s", id, err, tc.role)
			}
		})
	}
	// Another user's token naming the session is refused.
	c := newSessionCache(time.Minute)
	s := uuid.New()
	c.put(s, alive)
	got, _ := c.get(s)
	if _, err := got.apply(Identity{UserID: uuid.New(), SessionID: s}); !errors.Is(err, errs.ErrUnauthenticated) {
		t.Fatalf("another user's token: %v", err)
	}
}
