package model

import (
	"time"

	"github.com/google/uuid"

	"github.com/literaryai/ensemble/internal/conversations"
	"github.com/literaryai/ensemble/internal/page"
	"github.com/literaryai/ensemble/internal/relationships"
	"github.com/literaryai/ensemble/internal/scenarios"
	"github.com/literaryai/ensemble/internal/scenes"
)

// ConversationConnection is a page of conversations.
type ConversationConnection struct {
	Connection[*conversations.Conversation]
}

// ConversationEdge is a conversation and its cursor.
type ConversationEdge struct {
	Cursor string
	Node   *conversations.Conversation
}

// NewConversationConnection wraps a page of conversations.
func NewConversationConnection(p page.Page[*conversations.Conversation]) *ConversationConnection {
	return &ConversationConnection{Connection[*conversations.Conversation]{p}}
}

// Edges pairs every conversation with its cursor.
func (c *ConversationConnection) Edges() []*ConversationEdge {
	return edges(c.Connection, func(cur string, n *conversations.Conversation) *ConversationEdge {
		return &ConversationEdge{Cursor: cur, Node: n}
	})
}

// MessageConnection is a run of consecutive messages. Messages page by their number in
// the conversation, not by (created_at, id), so it has its own connection type.
type MessageConnection struct {
	Nodes      []*conversations.Message
	PageInfo   *PageInfo
	TotalCount int
}

// MessageEdge is a message and its cursor.
type MessageEdge struct {
	Cursor string
	Node   *conversations.Message
}

// NewMessageConnection wraps consecutive messages; total is the conversation's count.
func NewMessageConnection(items []*conversations.Message, hasNext, hasPrev bool, total int) *MessageConnection {
	info := &PageInfo{HasNextPage: hasNext, HasPreviousPage: hasPrev}
	if n := len(items); n > 0 {
		start, end := items[0].Cursor(), items[n-1].Cursor()
		info.StartCursor, info.EndCursor = &start, &end
	}
	return &MessageConnection{Nodes: items, PageInfo: info, TotalCount: total}
}

// Edges pairs every message with its cursor.
func (c *MessageConnection) Edges() []*MessageEdge {
	out := make([]*MessageEdge, len(c.Nodes))
	for i, m := range c.Nodes {
		out[i] = &MessageEdge{Cursor: m.Cursor(), Node: m}
	}
	return out
}

// Activity is a member of the Activity union: the executor type-switches on the
// concrete types, so no method is required of them.
type Activity any

// EcosystemEvent is one event of an ecosystem's stream.
type EcosystemEvent struct {
	Cursor   string
	Topic    string
	At       time.Time
	Activity Activity
}

// RelationshipChangedEvent is a relationship change with its place in the stream.
type RelationshipChangedEvent struct {
	Cursor string
	At     time.Time
	Change *RelationshipActivity
}

// RelationshipActivity is a relationship.changed event.
type RelationshipActivity struct {
	ID          uuid.UUID
	Kind        RelationshipChangeKind
	FromUUID    uuid.UUID
	ToUUID      uuid.UUID
	Type        relationships.Type
	Strength    float64
	Trust       float64
	Familiarity float64
	Clamped     bool
	Cause       *string
	Actor       string
}

// CharacterActivity is a character.changed event.
type CharacterActivity struct {
	ID             uuid.UUID
	Op             ChangeOp
	Name           string
	CurrentEmotion string
	IsActive       bool
}

// MemoryActivity is a memory.changed event.
type MemoryActivity struct {
	Op          ChangeOp
	MemoryID    *uuid.UUID
	CharacterID uuid.UUID
	Count       int
}

// ConversationActivity is a conversation.changed event.
type ConversationActivity struct {
	ID     uuid.UUID
	Op     ChangeOp
	Kind   conversations.Kind
	Status conversations.Status
}

// SceneActivity is a scene.changed event.
type SceneActivity struct {
	Kind             SceneChangeKind
	ConversationUUID uuid.UUID
	Status           conversations.Status
	Turn             int
	PaceMs           int
	Mode             scenes.Mode
	SpeakerID        *uuid.UUID
	AddresseeID      *uuid.UUID
	Reason           *string
	CharacterID      *uuid.UUID
	Instruction      *string
}

// SceneEvent is one event of a scene's stream: a line, or a change of its state.
type SceneEvent struct {
	Cursor  string
	At      time.Time
	Message *conversations.Message
	Change  *SceneActivity
}

// ScenarioConnection is a page of scenarios.
type ScenarioConnection struct {
	Connection[*scenarios.Scenario]
}

// ScenarioEdge is a scenario and its cursor.
type ScenarioEdge struct {
	Cursor string
	Node   *scenarios.Scenario
}

// NewScenarioConnection wraps a page of scenarios.
func NewScenarioConnection(p page.Page[*scenarios.Scenario]) *ScenarioConnection {
	return &ScenarioConnection{Connection[*scenarios.Scenario]{p}}
}

// Edges pairs every scenario with its cursor.
func (c *ScenarioConnection) Edges() []*ScenarioEdge {
	return edges(c.Connection, func(cur string, n *scenarios.Scenario) *ScenarioEdge { return &ScenarioEdge{Cursor: cur, Node: n} })
}
