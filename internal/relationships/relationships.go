// Package relationships provides the directed, numeric bonds between characters: how
// strongly `from` feels about `to` (-1..1), how much it trusts (0..1) and knows (0..1)
// them. Every change is kept as history, written to the outbox as relationship.changed,
// and moves the ecosystem's graph version, all in the transaction of the change.
package relationships

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/graphstore"
	"github.com/literaryai/ensemble/internal/graphstore/pg"
	"github.com/literaryai/ensemble/internal/page"
	"github.com/literaryai/ensemble/internal/relay"
)

// Type is the kind of a relationship.
type Type string

// The relationship types.
const (
	Friend       Type = "FRIEND"
	Rival        Type = "RIVAL"
	Romance      Type = "ROMANCE"
	Ally         Type = "ALLY"
	Family       Type = "FAMILY"
	Mentor       Type = "MENTOR"
	Enemy        Type = "ENEMY"
	Acquaintance Type = "ACQUAINTANCE"
)

// Valid reports whether t is one of the types.
func (t Type) Valid() bool {
	switch t {
	case Friend, Rival, Romance, Ally, Family, Mentor, Enemy, Acquaintance:
		return true
	}
	return false
}

// Kinds of change in a relationship's history.
const (
	Created  = "CREATED"
	Updated  = "UPDATED"
	Adjusted = "ADJUSTED"
	Deleted  = "DELETED"
)

// actorUser marks changes made by a signed-in user (as opposed to the engine).
const actorUser = "user"

// Relationship is how one character stands towards another.
type Relationship struct {
	ID          uuid.UUID
	EcosystemID uuid.UUID
	FromID      uuid.UUID
	ToID        uuid.UUID
	Type        Type
	Label       *string
	Strength    float64
	Trust       float64
	Familiarity float64
	Notes       string
	Since       *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// NodeID is the relationship's id in the API. A method, not a resolver: gqlgen runs every
// resolver field in a goroutine of its own, and a list of relationships would start one per item.
func (r *Relationship) NodeID() string { return relay.ID(relay.TypeRelationship, r.ID) }

func fromRow(r db.Relationship) *Relationship {
	return &Relationship{ID: r.ID, EcosystemID: r.EcosystemID, FromID: r.FromID, ToID: r.ToID,
		Type: Type(r.Type), Label: r.Label, Strength: r.Strength, Trust: r.Trust, Familiarity: r.Familiarity,
		Notes: r.Notes, Since: r.Since, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// Cursor is a relationship's position in a list.
func Cursor(r *Relationship) page.Cursor { return page.Cursor{CreatedAt: r.CreatedAt, ID: r.ID} }

// Values are the three numbers of a relationship; in a change, nil means not given.
type Values struct {
	Strength    *float64
	Trust       *float64
	Familiarity *float64
}

// Change is one entry of a relationship's history.
type Change struct {
	ID             int64
	RelationshipID uuid.UUID
	FromID         uuid.UUID
	ToID           uuid.UUID
	Type           Type
	// MessageID is the scene line that caused the change, if one did.
	MessageID   *uuid.UUID
	Kind        string
	Strength    float64
	Trust       float64
	Familiarity float64
	// Previous holds the values before the change (none for CREATED).
	Previous *Values
	// Delta holds what an adjustment asked for, before clamping.
	Delta   *Values
	Clamped bool
	Cause   *string
	Actor   string
	// ActorUserID is the user who made the change, if a user did.
	ActorUserID *uuid.UUID
	At          time.Time
}

func changeFromRow(r db.RelationshipEvent) *Change {
	c := &Change{ID: r.ID, RelationshipID: r.RelationshipID, FromID: r.FromID, ToID: r.ToID, Type: Type(r.Type),
		MessageID: r.MessageID, Kind: r.Kind, Strength: r.Strength,
		Trust: r.Trust, Familiarity: r.Familiarity, Clamped: r.Clamped, Cause: r.Cause, Actor: r.Actor, ActorUserID: r.ActorUserID, At: r.At}
	if r.OldStrength != nil {
		c.Previous = &Values{Strength: r.OldStrength, Trust: r.OldTrust, Familiarity: r.OldFamiliarity}
	}
	if r.DeltaStrength != nil || r.DeltaTrust != nil || r.DeltaFamiliarity != nil {
		c.Delta = &Values{Strength: r.DeltaStrength, Trust: r.DeltaTrust, Familiarity: r.DeltaFamiliarity}
	}
	return c
}

// Service manages relationships; the viewer sees only relationships in their own
// ecosystems (an admin: all).
type Service struct {
	pool  *pgxpool.Pool
	q     *db.Queries
	pub   events.Publisher
	graph graphstore.Graph
	snaps *pg.Store
	now   func() time.Time
}

// NewService returns the relationship service. graph answers traversals (pg or neo4j);
// snaps serves maps from PostgreSQL snapshots whatever the traversal backend.
func NewService(pool *pgxpool.Pool, pub events.Publisher, graph graphstore.Graph, snaps *pg.Store, now func() time.Time) *Service {
	return &Service{pool: pool, q: db.New(pool), pub: pub, graph: graph, snaps: snaps, now: now}
}

// Input sets a relationship's fields; nil leaves a field unchanged (or default on create).
type Input struct {
	FromID      uuid.UUID
	ToID        uuid.UUID
	Type        *Type
	Label       *string
	Strength    *float64
	Trust       *float64
	Familiarity *float64
	Notes       *string
	Since       *time.Time
}

func inRange(v *float64, lo, hi float64, field string) error {
	if v != nil && !(*v >= lo && *v <= hi) {
		return errs.Invalid(field, "must be between %g and %g, got %g", lo, hi, *v)
	}
	return nil
}

// apply validates in and writes it over r.
func (in Input) apply(r *Relationship) error {
	if in.Type != nil {
		if !in.Type.Valid() {
			return errs.Invalid("input.type", "unknown relationship type %q", *in.Type)
		}
		r.Type = *in.Type
	}
	if in.Label != nil {
		if n := utf8.RuneCountInString(*in.Label); n > 100 {
			return errs.Invalid("input.label", "must be at most 100 characters")
		}
		r.Label = in.Label
		if *in.Label == "" {
			r.Label = nil
		}
	}
	for _, f := range []struct {
		v, dst *float64
		lo, hi float64
		field  string
	}{
		{in.Strength, &r.Strength, -1, 1, "input.strength"},
		{in.Trust, &r.Trust, 0, 1, "input.trust"},
		{in.Familiarity, &r.Familiarity, 0, 1, "input.familiarity"},
	} {
		if err := inRange(f.v, f.lo, f.hi, f.field); err != nil {
			return err
		}
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	if in.Notes != nil {
		if utf8.RuneCountInString(*in.Notes) > 5000 {
			return errs.Invalid("input.notes", "must be at most 5000 characters")
		}
		r.Notes = *in.Notes
	}
	if in.Since != nil {
		r.Since = in.Since
	}
	return nil
}

// record writes the history entry and the outbox event of a change, and moves the graph
// version; it returns the history entry.
func (s *Service) record(ctx context.Context, q *db.Queries, box *events.Outbox, viewer auth.Identity, kind string,
	r *Relationship, old *Relationship, delta *Values, clamped bool, cause *string) error {
	p := db.InsertRelationshipEventParams{
		RelationshipID: r.ID, EcosystemID: r.EcosystemID, FromID: r.FromID, ToID: r.ToID, Type: string(r.Type),
		Kind: kind, Strength: r.Strength, Trust: r.Trust, Familiarity: r.Familiarity, Label: r.Label,
		Clamped: clamped, Cause: cause, Actor: actorUser, ActorUserID: &viewer.UserID,
	}
	if old != nil {
		p.OldStrength, p.OldTrust, p.OldFamiliarity = &old.Strength, &old.Trust, &old.Familiarity
	}
	if delta != nil {
		p.DeltaStrength, p.DeltaTrust, p.DeltaFamiliarity = delta.Strength, delta.Trust, delta.Familiarity
	}
	h, err := q.InsertRelationshipEvent(ctx, p)
	if err != nil {
		return fmt.Errorf("record relationship history: %w", err)
	}
	box.GraphChanged(r.EcosystemID)
	return box.Append(r.EcosystemID, events.RelationshipChanged, events.RelationshipPayload{
		Kind: kind, HistoryID: h.ID, ID: r.ID, EcosystemID: r.EcosystemID, FromID: r.FromID, ToID: r.ToID,
		Type: string(r.Type), Label: r.Label, Strength: r.Strength, Trust: r.Trust, Familiarity: r.Familiarity,
		Clamped: clamped, Cause: cause, Actor: actorUser,
	})
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23505"
}

// Create makes a relationship between two characters of one of the viewer's ecosystems.
func (s *Service) Create(ctx context.Context, viewer auth.Identity, in Input) (*Relationship, error) {
	if in.Type == nil {
		return nil, errs.Invalid("input.type", "is required")
	}
	if in.FromID == in.ToID {
		return nil, errs.Invalid("input.toId", "a character cannot have a relationship with itself")
	}
	r := &Relationship{FromID: in.FromID, ToID: in.ToID, Trust: 0.5}
	if err := in.apply(r); err != nil {
		return nil, err
	}
	err := events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, box *events.Outbox) error {
		from, err := characters.Find(ctx, q, viewer, in.FromID)
		if err != nil {
			return err
		}
		to, err := characters.Find(ctx, q, viewer, in.ToID)
		if err != nil {
			return err
		}
		if from.EcosystemID != to.EcosystemID {
			return errs.Invalid("input.toId", "both characters must be in the same ecosystem")
		}
		row, err := q.CreateRelationship(ctx, db.CreateRelationshipParams{
			EcosystemID: from.EcosystemID, FromID: r.FromID, ToID: r.ToID, Type: string(r.Type), Label: r.Label,
			Strength: r.Strength, Trust: r.Trust, Familiarity: r.Familiarity, Notes: r.Notes, Since: r.Since,
		})
		if isUniqueViolation(err) {
			return fmt.Errorf("a %s relationship from this character to that one already exists: %w", r.Type, errs.ErrConflict)
		}
		if err != nil {
			return fmt.Errorf("create relationship: %w", err)
		}
		r = fromRow(row)
		return s.record(ctx, q, box, viewer, Created, r, nil, nil, false, nil)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// lockForChange loads a relationship under a row lock, so concurrent changes serialise.
func lockForChange(ctx context.Context, q *db.Queries, viewer auth.Identity, id uuid.UUID) (*Relationship, error) {
	row, err := q.GetRelationshipForUpdate(ctx, db.GetRelationshipForUpdateParams{ID: id, OwnerID: viewer.OwnerFilter()})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("relationship %s: %w", id, errs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load relationship %s: %w", id, err)
	}
	return fromRow(row), nil
}

func (s *Service) save(ctx context.Context, q *db.Queries, r *Relationship) (*Relationship, error) {
	row, err := q.UpdateRelationship(ctx, db.UpdateRelationshipParams{
		ID: r.ID, Type: string(r.Type), Label: r.Label, Strength: r.Strength, Trust: r.Trust,
		Familiarity: r.Familiarity, Notes: r.Notes, Since: r.Since,
	})
	if isUniqueViolation(err) {
		return nil, fmt.Errorf("a %s relationship between these characters already exists: %w", r.Type, errs.ErrConflict)
	}
	if err != nil {
		return nil, fmt.Errorf("update relationship %s: %w", r.ID, err)
	}
	return fromRow(row), nil
}

// modify changes a relationship under its row lock, saves it and records the change.
// change reports whether a value had to be clamped.
func (s *Service) modify(ctx context.Context, viewer auth.Identity, id uuid.UUID, kind string, delta *Values, cause *string,
	change func(r *Relationship) (clamped bool, err error)) (*Relationship, error) {
	var out *Relationship
	err := events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, box *events.Outbox) error {
		old, err := lockForChange(ctx, q, viewer, id)
		if err != nil {
			return err
		}
		r := *old
		clamped, err := change(&r)
		if err != nil {
			return err
		}
		if out, err = s.save(ctx, q, &r); err != nil {
			return err
		}
		return s.record(ctx, q, box, viewer, kind, out, old, delta, clamped, cause)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Update sets absolute values.
func (s *Service) Update(ctx context.Context, viewer auth.Identity, id uuid.UUID, in Input) (*Relationship, error) {
	return s.modify(ctx, viewer, id, Updated, nil, nil, func(r *Relationship) (bool, error) {
		return false, in.apply(r)
	})
}

// clamp adds d to v within lo..hi and reports whether the range cut it.
func clamp(v float64, d *float64, lo, hi float64) (float64, bool) {
	if d == nil {
		return v, false
	}
	n := v + *d
	switch {
	case n < lo:
		return lo, true
	case n > hi:
		return hi, true
	}
	return n, false
}

// Adjust adds deltas to the current values, clamped to their ranges, under a row lock so
// concurrent adjustments all count. A clamped adjustment is recorded as clamped.
func (s *Service) Adjust(ctx context.Context, viewer auth.Identity, id uuid.UUID, delta Values, cause *string) (*Relationship, error) {
	if delta.Strength == nil && delta.Trust == nil && delta.Familiarity == nil {
		return nil, errs.Invalid("delta", "give at least one of strength, trust, familiarity")
	}
	for _, d := range []struct {
		v     *float64
		field string
	}{{delta.Strength, "delta.strength"}, {delta.Trust, "delta.trust"}, {delta.Familiarity, "delta.familiarity"}} {
		if d.v != nil && (math.IsNaN(*d.v) || math.IsInf(*d.v, 0)) {
			return nil, errs.Invalid(d.field, "must be a finite number")
		}
	}
	if cause != nil && utf8.RuneCountInString(*cause) > 1000 {
		return nil, errs.Invalid("cause", "must be at most 1000 characters")
	}
	return s.modify(ctx, viewer, id, Adjusted, &delta, cause, func(r *Relationship) (bool, error) {
		var c1, c2, c3 bool
		r.Strength, c1 = clamp(r.Strength, delta.Strength, -1, 1)
		r.Trust, c2 = clamp(r.Trust, delta.Trust, 0, 1)
		r.Familiarity, c3 = clamp(r.Familiarity, delta.Familiarity, 0, 1)
		return c1 || c2 || c3, nil
	})
}

// Delete removes a relationship; its history stays (the map of an earlier moment needs it).
func (s *Service) Delete(ctx context.Context, viewer auth.Identity, id uuid.UUID) error {
	return events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, box *events.Outbox) error {
		r, err := lockForChange(ctx, q, viewer, id)
		if err != nil {
			return err
		}
		if err := q.DeleteRelationship(ctx, id); err != nil {
			return fmt.Errorf("delete relationship %s: %w", id, err)
		}
		return s.record(ctx, q, box, viewer, Deleted, r, r, nil, false, nil)
	})
}

// Get returns one relationship.
func (s *Service) Get(ctx context.Context, viewer auth.Identity, id uuid.UUID) (*Relationship, error) {
	row, err := s.q.GetRelationship(ctx, db.GetRelationshipParams{ID: id, OwnerID: viewer.OwnerFilter()})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("relationship %s: %w", id, errs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load relationship %s: %w", id, err)
	}
	return fromRow(row), nil
}

// Between returns the relationships from a to b and from b to a.
func (s *Service) Between(ctx context.Context, viewer auth.Identity, a, b uuid.UUID) ([]*Relationship, error) {
	for _, id := range []uuid.UUID{a, b} {
		if _, err := characters.Find(ctx, s.q, viewer, id); err != nil {
			return nil, err
		}
	}
	rows, err := s.q.ListRelationshipsBetween(ctx, db.ListRelationshipsBetweenParams{A: a, B: b})
	if err != nil {
		return nil, fmt.Errorf("relationships between %s and %s: %w", a, b, err)
	}
	out := make([]*Relationship, len(rows))
	for i, r := range rows {
		out[i] = fromRow(r)
	}
	return out, nil
}

// Neighbors returns the characters within depth relationships of a character.
func (s *Service) Neighbors(ctx context.Context, viewer auth.Identity, id uuid.UUID, depth int) ([]graphstore.Neighbor, error) {
	if depth < 1 || depth > graphstore.MaxNeighborDepth {
		return nil, errs.Invalid("depth", "must be between 1 and %d", graphstore.MaxNeighborDepth)
	}
	c, err := characters.Find(ctx, s.q, viewer, id)
	if err != nil {
		return nil, err
	}
	got, err := s.graph.NeighborsOf(ctx, []graphstore.Node{{Ecosystem: c.EcosystemID, Character: id}}, depth)
	if err != nil {
		return nil, err
	}
	return got[id], nil
}

// NeighborsOf is the batched form for dataloaders; nodes were reached through objects the
// viewer may see.
func (s *Service) NeighborsOf(ctx context.Context, nodes []graphstore.Node, depth int) (map[uuid.UUID][]graphstore.Neighbor, error) {
	if depth < 1 || depth > graphstore.MaxNeighborDepth {
		return nil, errs.Invalid("depth", "must be between 1 and %d", graphstore.MaxNeighborDepth)
	}
	return s.graph.NeighborsOf(ctx, nodes, depth)
}

// ShortestPath finds how two characters are connected; no connection is an empty path.
func (s *Service) ShortestPath(ctx context.Context, viewer auth.Identity, from, to uuid.UUID, maxDepth int, weighted bool) (graphstore.Path, error) {
	if maxDepth < 1 || maxDepth > graphstore.MaxPathDepth {
		return graphstore.Path{}, errs.Invalid("maxDepth", "must be between 1 and %d", graphstore.MaxPathDepth)
	}
	a, err := characters.Find(ctx, s.q, viewer, from)
	if err != nil {
		return graphstore.Path{}, err
	}
	b, err := characters.Find(ctx, s.q, viewer, to)
	if err != nil {
		return graphstore.Path{}, err
	}
	if a.EcosystemID != b.EcosystemID {
		return graphstore.Path{Characters: []uuid.UUID{}, Edges: []graphstore.Edge{}}, nil
	}
	return s.graph.ShortestPath(ctx, a.EcosystemID, from, to, maxDepth, weighted)
}
