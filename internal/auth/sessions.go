package auth

import (
	"context"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/hashicorp/golang-lru/v2/expirable"

	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/events"
)

// check is what the database said of a session: ended (signed out, or its user deleted),
// or alive with its user's current role.
type check struct {
	user  uuid.UUID
	role  Role
	ended bool
}

// apply gives id the checked role, or refuses it.
func (c check) apply(id Identity) (Identity, error) {
	if c.ended || c.user != id.UserID {
		return Identity{}, errSessionEnded
	}
	id.Role = c.role
	return id, nil
}

// maxCachedSessions bounds the cache: a few megabytes at most.
const maxCachedSessions = 100_000

// sessionCache holds session checks for a while. An ended session stays ended: a check
// read from the database before the session ended and stored after must not revive it,
// so put never replaces an ended entry.
type sessionCache struct {
	mu     sync.Mutex
	checks *expirable.LRU[uuid.UUID, check]
}

func newSessionCache(ttl time.Duration) *sessionCache {
	return &sessionCache{checks: expirable.NewLRU[uuid.UUID, check](maxCachedSessions, nil, ttl)}
}

func (c *sessionCache) get(session uuid.UUID) (check, bool) {
	return c.checks.Get(session)
}

func (c *sessionCache) put(session uuid.UUID, v check) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.checks.Peek(session); ok && old.ended {
		return
	}
	c.checks.Add(session, v)
}

func (c *sessionCache) end(sessions ...uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range sessions {
		c.checks.Add(s, check{ended: true})
	}
}

// FollowRevocations keeps cached session checks honest about sessions that other
// instances end: it forgets them as the bus announces them, and forgets everything when
// the bus may have lost announcements. It returns once subscribed and follows until ctx
// ends. Without a cache it does nothing.
func (s *Service) FollowRevocations(ctx context.Context, b bus.Bus) {
	if s.checks == nil {
		return
	}
	sub := b.Subscribe(func(e events.Event) bool { return e.Topic == events.SessionRevoked }, 256)
	go func() {
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case <-sub.Gaps():
				s.checks.checks.Purge()
			case e, ok := <-sub.Events():
				if !ok {
					return
				}
				p, err := events.DecodeAs[RevokedPayload](e)
				if err != nil {
					continue
				}
				s.checks.end(p.Sessions...)
			}
		}
	}()
}
