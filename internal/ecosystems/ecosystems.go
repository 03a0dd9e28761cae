// Package ecosystems provides ecosystems: the worlds that hold a user's characters.
package ecosystems

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/events"
	"github.com/literaryai/ensemble/internal/page"
	"github.com/literaryai/ensemble/internal/relay"
)

// Ecosystem is a world with a cast.
type Ecosystem struct {
	ID          uuid.UUID
	OwnerID     uuid.UUID
	Name        string
	Description string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// NodeID is the ecosystem's id in the API. A method, not a resolver: gqlgen runs every
// resolver field in a goroutine of its own, and a list of ecosystems would start one per item.
func (e *Ecosystem) NodeID() string { return relay.ID(relay.TypeEcosystem, e.ID) }

func fromRow(r db.Ecosystem) *Ecosystem {
	return &Ecosystem{ID: r.ID, OwnerID: r.OwnerID, Name: r.Name, Description: r.Description,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func cursor(e *Ecosystem) page.Cursor { return page.Cursor{CreatedAt: e.CreatedAt, ID: e.ID} }

// Service manages ecosystems. Every method sees only the viewer's own ecosystems (an
// admin's: all); another user's ecosystem is not found.
type Service struct {
	pool *pgxpool.Pool
	q    *db.Queries
	pub  events.Publisher
}

// NewService returns the ecosystem service; committed deletions are published on pub.
func NewService(pool *pgxpool.Pool, pub events.Publisher) *Service {
	return &Service{pool: pool, q: db.New(pool), pub: pub}
}

// Patch holds the fields to set; nil leaves a field unchanged.
type Patch struct {
	Name        *string
	Description *string
}

func (p Patch) validate(creating bool) error {
	if creating && p.Name == nil {
		return errs.Invalid("input.name", "is required")
	}
	if p.Name != nil {
		if n := utf8.RuneCountInString(*p.Name); n < 1 || n > 255 {
			return errs.Invalid("input.name", "must be 1 to 255 characters")
		}
	}
	if p.Description != nil && utf8.RuneCountInString(*p.Description) > 10000 {
		return errs.Invalid("input.description", "must be at most 10000 characters")
	}
	return nil
}

// Create makes an ecosystem owned by the viewer.
func (s *Service) Create(ctx context.Context, viewer auth.Identity, p Patch) (*Ecosystem, error) {
	if err := p.validate(true); err != nil {
		return nil, err
	}
	desc := ""
	if p.Description != nil {
		desc = *p.Description
	}
	r, err := s.q.CreateEcosystem(ctx, db.CreateEcosystemParams{OwnerID: viewer.UserID, Name: *p.Name, Description: desc})
	if err != nil {
		return nil, fmt.Errorf("create ecosystem: %w", err)
	}
	return fromRow(r), nil
}

// Find loads an ecosystem the viewer may see, through q (a pool or a transaction). Every
// service that acts inside an ecosystem checks it here, so another user's ecosystem is
// not found everywhere alike.
func Find(ctx context.Context, q *db.Queries, viewer auth.Identity, id uuid.UUID) (db.Ecosystem, error) {
	r, err := q.GetEcosystem(ctx, db.GetEcosystemParams{ID: id, OwnerID: viewer.OwnerFilter()})
	if errors.Is(err, pgx.ErrNoRows) {
		return db.Ecosystem{}, fmt.Errorf("ecosystem %s: %w", id, errs.ErrNotFound)
	}
	if err != nil {
		return db.Ecosystem{}, fmt.Errorf("load ecosystem %s: %w", id, err)
	}
	return r, nil
}

// Get returns one ecosystem.
func (s *Service) Get(ctx context.Context, viewer auth.Identity, id uuid.UUID) (*Ecosystem, error) {
	r, err := Find(ctx, s.q, viewer, id)
	if err != nil {
		return nil, err
	}
	return fromRow(r), nil
}

// Update changes the fields set in p.
func (s *Service) Update(ctx context.Context, viewer auth.Identity, id uuid.UUID, p Patch) (*Ecosystem, error) {
	if err := p.validate(false); err != nil {
		return nil, err
	}
	r, err := s.q.UpdateEcosystem(ctx, db.UpdateEcosystemParams{
		ID: id, OwnerID: viewer.OwnerFilter(), Name: p.Name, Description: p.Description,
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("ecosystem %s: %w", id, errs.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("update ecosystem %s: %w", id, err)
	}
	return fromRow(r), nil
}

// Delete removes an ecosystem and, by cascade, its characters and relationships.
func (s *Service) Delete(ctx context.Context, viewer auth.Identity, id uuid.UUID) error {
	return events.Transact(ctx, s.pool, s.pub, func(q *db.Queries, box *events.Outbox) error {
		n, err := q.DeleteEcosystem(ctx, db.DeleteEcosystemParams{ID: id, OwnerID: viewer.OwnerFilter()})
		if err != nil {
			return fmt.Errorf("delete ecosystem %s: %w", id, err)
		}
		if n == 0 {
			return fmt.Errorf("ecosystem %s: %w", id, errs.ErrNotFound)
		}
		return box.Append(id, events.EcosystemChanged, events.EcosystemPayload{Op: events.OpDelete, ID: id})
	})
}

// List pages through the viewer's ecosystems, oldest first.
func (s *Service) List(ctx context.Context, viewer auth.Identity, a page.Args) (page.Page[*Ecosystem], error) {
	owner := viewer.OwnerFilter()
	rows, err := s.q.ListEcosystems(ctx, db.ListEcosystemsParams{
		OwnerID: owner, AfterCreatedAt: a.AfterTime(), AfterID: a.AfterID(), PageLimit: a.Limit(),
	})
	if err != nil {
		return page.Page[*Ecosystem]{}, fmt.Errorf("list ecosystems: %w", err)
	}
	items := make([]*Ecosystem, len(rows))
	for i, r := range rows {
		items[i] = fromRow(r)
	}
	return page.New(items, a, cursor, func(ctx context.Context) (int, error) {
		n, err := s.q.CountEcosystems(ctx, owner)
		if err != nil {
			return 0, fmt.Errorf("count ecosystems: %w", err)
		}
		return int(n), nil
	}), nil
}

// ByIDs loads ecosystems by id for dataloaders. Callers reach an ecosystem only through
// an object the viewer was already allowed to see, so no owner filter applies here.
func (s *Service) ByIDs(ctx context.Context, ids []uuid.UUID) (map[uuid.UUID]*Ecosystem, error) {
	rows, err := s.q.ListEcosystemsByIDs(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("load ecosystems: %w", err)
	}
	out := make(map[uuid.UUID]*Ecosystem, len(rows))
	for _, r := range rows {
		out[r.ID] = fromRow(r)
	}
	return out, nil
}
