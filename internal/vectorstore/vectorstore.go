// Package vectorstore finds memories by meaning: nearest embeddings within one character
// (exact) or across an ecosystem (approximate). PostgreSQL keeps every embedding, so a
// store is an index that can always be rebuilt (`ensemble reindex vectors`).
package vectorstore

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/vectorstore/index"
)

// Item is one memory's vector, with the metadata a remote index filters and shows.
type Item struct {
	ID         uuid.UUID
	Character  uuid.UUID
	Vector     []float32
	Type       string
	Importance float64
	CreatedAt  time.Time
}

// Hit is one search result, best first; Score is cosine similarity.
type Hit = index.Hit

// Status is a backend's health.
type Status struct {
	Backend string
	Up      bool
	Detail  string
}

// Vectors is a vector backend.
type Vectors interface {
	// Upsert adds or replaces items of an ecosystem.
	Upsert(ctx context.Context, ecosystem uuid.UUID, items ...Item) error
	// Delete removes items of an ecosystem.
	Delete(ctx context.Context, ecosystem uuid.UUID, ids ...uuid.UUID) error
	// SearchCharacter returns the k memories of one character nearest to q, exactly.
	SearchCharacter(ctx context.Context, ecosystem, character uuid.UUID, q []float32, k int) ([]Hit, error)
	// Search returns the k memories of the whole ecosystem nearest to q.
	Search(ctx context.Context, ecosystem uuid.UUID, q []float32, k int) ([]Hit, error)
	// Status reports the backend and whether it answers.
	Status(ctx context.Context) Status
}
