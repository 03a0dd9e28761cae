// Package observatory reads an ecosystem's live state for a dashboard: how many
// characters are active, bonds, conversations and running scenes, the mean social
// energy, the mood, the pairs whose bonds moved last and what is happening between them,
// and the latest lines of its scenes. Watch pushes it again whenever the ecosystem
// changes, at most a few times a second.
package observatory

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/bus"
	"github.com/literaryai/ensemble/internal/conversations"
	"github.com/literaryai/ensemble/internal/ecosystems"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/relationships"
)

// Sizes of the lists.
const (
	MaxPairs = 10
	MaxFeed  = 20
	// recentChanges is how many of the latest relationship changes pairs are read from.
	recentChanges = 200
)

// EmotionShare is how many active characters feel an emotion.
type EmotionShare struct {
	Emotion string
	Count   int
	Share   float64
}

// Mood is how the active characters feel.
type Mood struct {
	Dominant     string
	Distribution []EmotionShare
}

// Pair is two characters whose bond moved recently.
type Pair struct {
	A, B           uuid.UUID
	Mutual         bool
	Activity       string
	Type           relationships.Type
	StrengthChange float64
	At             time.Time
}

// State is an ecosystem's live state.
type State struct {
	EcosystemID          uuid.UUID
	ActiveCharacters     int
	Relationships        int
	OngoingConversations int
	StoryThreads         int
	EnergyLevel          float64
	Mood                 Mood
	Pairs                []Pair
	Feed                 []*conversations.Message
	At                   time.Time
}

// Service reads observatories.
type Service struct {
	q   *db.Queries
	bus bus.Bus
	now func() time.Time
	// Interval is the least time between two pushes of Watch.
	Interval time.Duration
}

// NewService returns the observatory service.
func NewService(pool *pgxpool.Pool, b bus.Bus, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{q: db.New(pool), bus: b, now: now, Interval: 250 * time.Millisecond}
}

// Get reads an ecosystem of the viewer's.
func (s *Service) Get(ctx context.Context, viewer auth.Identity, ecosystemID uuid.UUID) (*State, error) {
	if _, err := ecosystems.Find(ctx, s.q, viewer, ecosystemID); err != nil {
		return nil, err
	}
	return s.read(ctx, ecosystemID)
}

func (s *Service) read(ctx context.Context, id uuid.UUID) (*State, error) {
	c, err := s.q.ObservatoryCounts(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("count ecosystem %s: %w", id, err)
	}
	st := &State{EcosystemID: id, ActiveCharacters: int(c.ActiveCharacters), Relationships: int(c.Relationships),
		OngoingConversations: int(c.OngoingConversations), StoryThreads: int(c.StoryThreads),
		EnergyLevel: math.Round(c.EnergyLevel*1000) / 1000, At: s.now()}
	emotions, err := s.q.EmotionCounts(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("read mood of ecosystem %s: %w", id, err)
	}
	st.Mood = moodOf(emotions, st.ActiveCharacters)
	changes, err := s.q.RecentRelationshipChanges(ctx, db.RecentRelationshipChangesParams{EcosystemID: id, MaxChanges: recentChanges})
	if err != nil {
		return nil, fmt.Errorf("read bonds of ecosystem %s: %w", id, err)
	}
	st.Pairs = pairsOf(changes)
	lines, err := s.q.RecentSceneLines(ctx, db.RecentSceneLinesParams{EcosystemID: id, MaxLines: MaxFeed})
	if err != nil {
		return nil, fmt.Errorf("read lines of ecosystem %s: %w", id, err)
	}
	for _, l := range lines {
		st.Feed = append(st.Feed, conversations.MessageFromRow(l))
	}
	return st, nil
}

// moodOf is the distribution of emotions (rows sorted by count) and the dominant one.
func moodOf(rows []db.EmotionCountsRow, active int) Mood {
	m := Mood{Dominant: "neutral", Distribution: []EmotionShare{}}
	for i, r := range rows {
		if i == 0 {
			m.Dominant = r.Emotion
		}
		share := 0.0
		if active > 0 {
			share = math.Round(float64(r.Total)/float64(active)*1000) / 1000
		}
		m.Distribution = append(m.Distribution, EmotionShare{Emotion: r.Emotion, Count: int(r.Total), Share: share})
	}
	return m
}

// pairsOf groups the latest changes (newest first) by unordered pair, keeping the
// MaxPairs pairs that moved last; a pair's change is the sum of its moves within the
// window, and it is mutual when both directions moved.
func pairsOf(changes []db.RelationshipEvent) []Pair {
	type key struct{ a, b uuid.UUID }
	idx := map[key]int{}
	var out []Pair
	dirs := map[key]map[uuid.UUID]bool{}
	for _, c := range changes {
		if c.OldStrength == nil {
			continue
		}
		a, b := c.FromID, c.ToID
		if b.String() < a.String() {
			a, b = b, a
		}
		k := key{a, b}
		i, ok := idx[k]
		if !ok {
			if len(out) == MaxPairs {
				continue
			}
			idx[k] = len(out)
			i = len(out)
			out = append(out, Pair{A: c.FromID, B: c.ToID, Type: relationships.Type(c.Type), At: c.At})
			dirs[k] = map[uuid.UUID]bool{}
		}
		out[i].StrengthChange += c.Strength - *c.OldStrength
		dirs[k][c.FromID] = true
		if len(dirs[k]) == 2 {
			out[i].Mutual = true
		}
		if out[i].Activity == "" {
			out[i].Activity = label(c.Type, c.Strength, c.Strength-*c.OldStrength)
		}
	}
	for i := range out {
		out[i].StrengthChange = math.Round(out[i].StrengthChange*1000) / 1000
	}
	return out
}

// label says what is happening between two characters from the relationship's type, its
// strength now and the sign of its latest change (documented on ActivePair).
func label(typ string, strength, delta float64) string {
	if delta < 0 {
		switch typ {
		case "ROMANCE":
			return "quarrelling"
		case "FRIEND", "FAMILY", "ALLY", "MENTOR":
			return "falling out"
		case "RIVAL", "ENEMY":
			return "arguing"
		}
		if strength < 0 {
			return "arguing"
		}
		return "drifting apart"
	}
	switch {
	case strength < 0 || typ == "RIVAL" || typ == "ENEMY":
		return "reconciling"
	case typ == "ROMANCE":
		return "courting"
	case typ == "ALLY":
		return "allied"
	case typ == "FRIEND", typ == "FAMILY":
		return "bonding"
	case typ == "MENTOR":
		return "mentoring"
	}
	return "getting acquainted"
}

// Watch sends the ecosystem's state now, then again after anything happens in it,
// coalescing bursts so that states go out at most once per Interval.
func (s *Service) Watch(ctx context.Context, viewer auth.Identity, ecosystemID uuid.UUID) (<-chan *State, error) {
	first, err := s.Get(ctx, viewer, ecosystemID)
	if err != nil {
		return nil, err
	}
	sub := s.bus.Subscribe(func(e events.Event) bool {
		return e.EcosystemID == ecosystemID && e.Topic != events.MessageDelta
	}, 64)
	out := make(chan *State, 1)
	out <- first
	go func() {
		defer close(out)
		defer sub.Close()
		var timer <-chan time.Time
		dirty := false
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-sub.Events():
				if !ok {
					return
				}
				if timer == nil {
					timer = time.After(s.Interval)
				}
				dirty = true
			case <-sub.Gaps():
				// Events were missed: read the state again anyway.
				if timer == nil {
					timer = time.After(s.Interval)
				}
				dirty = true
			case <-timer:
				timer = nil
				if !dirty {
					continue
				}
				dirty = false
				st, err := s.read(ctx, ecosystemID)
				if err != nil {
					return
				}
				select {
				case out <- st:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}
