// Package model holds the GraphQL types that are not capability types: connections,
// inputs and payloads (generated into models_gen.go), and the hand-written ones here.
package model

import (
	"context"

	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/documents"
	"github.com/literaryai/ensemble/internal/ecosystems"
	"github.com/literaryai/ensemble/internal/memories"
	"github.com/literaryai/ensemble/internal/page"
	"github.com/literaryai/ensemble/internal/relationships"
)

// Node is any object with a global id: the executor type-switches on the concrete
// capability types, so no method is required of them.
type Node any

// Connection is the part every cursor connection shares.
type Connection[T any] struct {
	page page.Page[T]
}

// Nodes are the page's objects.
func (c Connection[T]) Nodes() []T { return c.page.Items }

// PageInfo says where the page starts and ends.
func (c Connection[T]) PageInfo() *PageInfo {
	info := &PageInfo{HasNextPage: c.page.HasNext}
	if n := len(c.page.Items); n > 0 {
		start, end := c.page.Cursor(c.page.Items[0]).String(), c.page.Cursor(c.page.Items[n-1]).String()
		info.StartCursor, info.EndCursor = &start, &end
	}
	return info
}

// TotalCount counts the whole list; only queried when asked for.
func (c Connection[T]) TotalCount(ctx context.Context) (int, error) { return c.page.Total(ctx) }

// edges pairs every item of c with its cursor, as edge values made by mk.
func edges[T, E any](c Connection[T], mk func(cursor string, node T) E) []E {
	out := make([]E, len(c.page.Items))
	for i, it := range c.page.Items {
		out[i] = mk(c.page.Cursor(it).String(), it)
	}
	return out
}

// EcosystemConnection is a page of ecosystems.
type EcosystemConnection struct {
	Connection[*ecosystems.Ecosystem]
}

// EcosystemEdge is an ecosystem and its cursor.
type EcosystemEdge struct {
	Cursor string
	Node   *ecosystems.Ecosystem
}

// NewEcosystemConnection wraps a page of ecosystems.
func NewEcosystemConnection(p page.Page[*ecosystems.Ecosystem]) *EcosystemConnection {
	return &EcosystemConnection{Connection[*ecosystems.Ecosystem]{p}}
}

// Edges pairs every ecosystem with its cursor.
func (c *EcosystemConnection) Edges() []*EcosystemEdge {
	return edges(c.Connection, func(cur string, n *ecosystems.Ecosystem) *EcosystemEdge { return &EcosystemEdge{Cursor: cur, Node: n} })
}

// CharacterConnection is a page of characters.
type CharacterConnection struct {
	Connection[*characters.Character]
}

// CharacterEdge is a character and its cursor.
type CharacterEdge struct {
	Cursor string
	Node   *characters.Character
}

// NewCharacterConnection wraps a page of characters.
func NewCharacterConnection(p page.Page[*characters.Character]) *CharacterConnection {
	return &CharacterConnection{Connection[*characters.Character]{p}}
}

// Edges pairs every character with its cursor.
func (c *CharacterConnection) Edges() []*CharacterEdge {
	return edges(c.Connection, func(cur string, n *characters.Character) *CharacterEdge { return &CharacterEdge{Cursor: cur, Node: n} })
}

// DocumentConnection is a page of documents.
type DocumentConnection struct {
	Connection[*documents.Document]
}

// DocumentEdge is a document and its cursor.
type DocumentEdge struct {
	Cursor string
	Node   *documents.Document
}

// NewDocumentConnection wraps a page of documents.
func NewDocumentConnection(p page.Page[*documents.Document]) *DocumentConnection {
	return &DocumentConnection{Connection[*documents.Document]{p}}
}

// Edges pairs every document with its cursor.
func (c *DocumentConnection) Edges() []*DocumentEdge {
	return edges(c.Connection, func(cur string, n *documents.Document) *DocumentEdge { return &DocumentEdge{Cursor: cur, Node: n} })
}

// UserConnection is a page of users.
type UserConnection struct{ Connection[*auth.User] }

// UserEdge is a user and its cursor.
type UserEdge struct {
	Cursor string
	Node   *auth.User
}

// NewUserConnection wraps a page of users.
func NewUserConnection(p page.Page[*auth.User]) *UserConnection {
	return &UserConnection{Connection[*auth.User]{p}}
}

// Edges pairs every user with its cursor.
func (c *UserConnection) Edges() []*UserEdge {
	return edges(c.Connection, func(cur string, n *auth.User) *UserEdge { return &UserEdge{Cursor: cur, Node: n} })
}

// RelationshipConnection is a page of relationships.
type RelationshipConnection struct {
	Connection[*relationships.Relationship]
}

// RelationshipEdge is a relationship and its cursor.
type RelationshipEdge struct {
	Cursor string
	Node   *relationships.Relationship
}

// NewRelationshipConnection wraps a page of relationships.
func NewRelationshipConnection(p page.Page[*relationships.Relationship]) *RelationshipConnection {
	return &RelationshipConnection{Connection[*relationships.Relationship]{p}}
}

// Edges pairs every relationship with its cursor.
func (c *RelationshipConnection) Edges() []*RelationshipEdge {
	return edges(c.Connection, func(cur string, n *relationships.Relationship) *RelationshipEdge {
		return &RelationshipEdge{Cursor: cur, Node: n}
	})
}

// RelationshipChangeConnection is a page of a relationship's history, newest first.
type RelationshipChangeConnection struct {
	items   []*relationships.Change
	hasNext bool
	total   func(context.Context) (int, error)
}

// RelationshipChangeEdge is a change and its cursor.
type RelationshipChangeEdge struct {
	Cursor string
	Node   *relationships.Change
}

// NewRelationshipChangeConnection wraps a page of history fetched with one extra row.
func NewRelationshipChangeConnection(rows []*relationships.Change, first int, total func(context.Context) (int, error)) *RelationshipChangeConnection {
	c := &RelationshipChangeConnection{items: rows, total: total}
	if len(rows) > first {
		c.items, c.hasNext = rows[:first], true
	}
	return c
}

// Nodes are the page's changes.
func (c *RelationshipChangeConnection) Nodes() []*relationships.Change { return c.items }

// Edges pairs every change with its cursor.
func (c *RelationshipChangeConnection) Edges() []*RelationshipChangeEdge {
	out := make([]*RelationshipChangeEdge, len(c.items))
	for i, it := range c.items {
		out[i] = &RelationshipChangeEdge{Cursor: relationships.HistoryCursor(it), Node: it}
	}
	return out
}

// PageInfo says where the page starts and ends.
func (c *RelationshipChangeConnection) PageInfo() *PageInfo {
	info := &PageInfo{HasNextPage: c.hasNext}
	if n := len(c.items); n > 0 {
		start, end := relationships.HistoryCursor(c.items[0]), relationships.HistoryCursor(c.items[n-1])
		info.StartCursor, info.EndCursor = &start, &end
	}
	return info
}

// TotalCount counts every change of the relationship.
func (c *RelationshipChangeConnection) TotalCount(ctx context.Context) (int, error) {
	return c.total(ctx)
}

// MemoryConnection is a page of memories, newest first.
type MemoryConnection struct {
	Connection[*memories.Memory]
}

// MemoryEdge is a memory and its cursor.
type MemoryEdge struct {
	Cursor string
	Node   *memories.Memory
}

// NewMemoryConnection wraps a page of memories.
func NewMemoryConnection(p page.Page[*memories.Memory]) *MemoryConnection {
	return &MemoryConnection{Connection[*memories.Memory]{p}}
}

// Edges pairs every memory with its cursor.
func (c *MemoryConnection) Edges() []*MemoryEdge {
	return edges(c.Connection, func(cur string, n *memories.Memory) *MemoryEdge {
		return &MemoryEdge{Cursor: cur, Node: n}
	})
}
