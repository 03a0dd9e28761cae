package relationships

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/literaryai/ensemble/db"
	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/ecosystems"
	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/graphstore"
	"github.com/literaryai/ensemble/internal/graphstore/pg"
	"github.com/literaryai/ensemble/internal/relay"
)

// MapFilter narrows a relationship map.
type MapFilter struct {
	Types       []Type
	MinStrength *float64
	// CharacterIDs keeps only these characters and the relationships among them.
	CharacterIDs []uuid.UUID
}

// MapNode is a character on the map.
type MapNode struct {
	ID             uuid.UUID
	Name           string
	CurrentEmotion string
	// Degree counts the map's relationships that touch the character, either way.
	Degree int
}

// NodeID is the character's global id.
func (n MapNode) NodeID() string { return relay.ID(relay.TypeCharacter, n.ID) }

// MapEdge is a relationship on the map.
type MapEdge struct {
	ID          uuid.UUID
	From        uuid.UUID
	To          uuid.UUID
	Type        Type
	Label       *string
	Strength    float64
	Trust       float64
	Familiarity float64
}

// NodeID is the relationship's global id.
func (e MapEdge) NodeID() string { return relay.ID(relay.TypeRelationship, e.ID) }

// FromNodeID is the global id of the character the relationship goes from.
func (e MapEdge) FromNodeID() string { return relay.ID(relay.TypeCharacter, e.From) }

// ToNodeID is the global id of the character the relationship goes to.
func (e MapEdge) ToNodeID() string { return relay.ID(relay.TypeCharacter, e.To) }

// Map is an ecosystem's graph, ready to draw.
type Map struct {
	Nodes []MapNode
	Edges []MapEdge
	AsOf  *time.Time
	// index gives each node's position in Nodes; ends each edge's ends' positions.
	index map[uuid.UUID]int
	ends  [][2]int
}

// EdgeEnds gives the positions in Nodes of edge i's ends.
func (m *Map) EdgeEnds(i int) (from, to int) { return m.ends[i][0], m.ends[i][1] }

// EdgeColumns is the map's edges as parallel lists, ends as indexes into Nodes.
type EdgeColumns struct {
	IDs         []string
	From        []int
	To          []int
	Types       []Type
	Strength    []float64
	Trust       []float64
	Familiarity []float64
}

// EdgeColumns lays the edges out column by column.
func (m *Map) EdgeColumns() *EdgeColumns {
	n := len(m.Edges)
	c := &EdgeColumns{IDs: make([]string, n), From: make([]int, n), To: make([]int, n), Types: make([]Type, n),
		Strength: make([]float64, n), Trust: make([]float64, n), Familiarity: make([]float64, n)}
	for i, e := range m.Edges {
		c.IDs[i], c.From[i], c.To[i], c.Types[i] = e.NodeID(), m.ends[i][0], m.ends[i][1], e.Type
		c.Strength[i], c.Trust[i], c.Familiarity[i] = e.Strength, e.Trust, e.Familiarity
	}
	return c
}

// Map draws an ecosystem's relationships now, or with asOf as they stood at that moment
// (rebuilt from history; characters created since are left out, names are today's).
func (s *Service) Map(ctx context.Context, viewer auth.Identity, ecosystemID uuid.UUID, f MapFilter, asOf *time.Time) (*Map, error) {
	eco, err := ecosystems.Find(ctx, s.q, viewer, ecosystemID)
	if err != nil {
		return nil, err
	}
	if err := checkTypes(f.Types); err != nil {
		return nil, err
	}
	if err := inRange(f.MinStrength, -1, 1, "filter.minStrength"); err != nil {
		return nil, err
	}
	if len(f.CharacterIDs) > 1000 {
		return nil, errs.Invalid("filter.characterIds", "at most 1000 characters")
	}
	if asOf == nil {
		snap, err := s.snaps.Snapshot(ctx, ecosystemID)
		if err != nil {
			return nil, err
		}
		return drawSnapshot(snap, f), nil
	}
	switch {
	case asOf.After(s.now()):
		return nil, errs.Invalid("asOf", "is in the future")
	case asOf.Before(eco.CreatedAt):
		return nil, errs.Invalid("asOf", "is before the ecosystem existed (%s)", eco.CreatedAt.UTC().Format(time.RFC3339))
	}
	return s.drawPast(ctx, ecosystemID, f, *asOf)
}

// keep reports whether an edge passes the filter's own conditions (not the characters).
func (f MapFilter) keep(t Type, strength float64) bool {
	if len(f.Types) > 0 && !slices.Contains(f.Types, t) {
		return false
	}
	return f.MinStrength == nil || strength >= *f.MinStrength
}

// drawer assembles a map from nodes and candidate edges.
type drawer struct {
	f      MapFilter
	only   map[uuid.UUID]bool
	index  map[uuid.UUID]int
	result *Map
}

// newDrawer draws a map of at most nodes characters and edges relationships.
func newDrawer(f MapFilter, nodes, edges int) *drawer {
	index := make(map[uuid.UUID]int, nodes)
	d := &drawer{f: f, index: index, result: &Map{Nodes: make([]MapNode, 0, nodes),
		Edges: make([]MapEdge, 0, edges), ends: make([][2]int, 0, edges), index: index}}
	if len(f.CharacterIDs) > 0 {
		d.only = make(map[uuid.UUID]bool, len(f.CharacterIDs))
		for _, id := range f.CharacterIDs {
			d.only[id] = true
		}
	}
	return d
}

func (d *drawer) node(id uuid.UUID, name, emotion string) {
	if d.only != nil && !d.only[id] {
		return
	}
	d.index[id] = len(d.result.Nodes)
	d.result.Nodes = append(d.result.Nodes, MapNode{ID: id, Name: name, CurrentEmotion: emotion})
}

func (d *drawer) edge(e MapEdge) {
	if !d.f.keep(e.Type, e.Strength) {
		return
	}
	from, fok := d.index[e.From]
	to, tok := d.index[e.To]
	if !fok || !tok {
		return
	}
	d.result.Nodes[from].Degree++
	d.result.Nodes[to].Degree++
	d.result.Edges = append(d.result.Edges, e)
	d.result.ends = append(d.result.ends, [2]int{from, to})
}

func drawSnapshot(snap *pg.Snapshot, f MapFilter) *Map {
	d := newDrawer(f, len(snap.Nodes), len(snap.Edges))
	for _, n := range snap.Nodes {
		d.node(n.ID, n.Name, n.CurrentEmotion)
	}
	for i, e := range snap.Edges {
		d.edge(edgeOf(e, snap.Labels[i]))
	}
	return d.result
}

func edgeOf(e graphstore.Edge, label *string) MapEdge {
	return MapEdge{ID: e.ID, From: e.From, To: e.To, Type: Type(e.Type), Label: label,
		Strength: e.Strength, Trust: e.Trust, Familiarity: e.Familiarity}
}

func (s *Service) drawPast(ctx context.Context, ecosystemID uuid.UUID, f MapFilter, asOf time.Time) (*Map, error) {
	var out *Map
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		q := db.New(tx)
		chars, err := q.ListEcosystemCharacterNodes(ctx, ecosystemID)
		if err != nil {
			return fmt.Errorf("characters of ecosystem %s: %w", ecosystemID, err)
		}
		rels, err := q.RelationshipsAsOf(ctx, db.RelationshipsAsOfParams{EcosystemID: ecosystemID, AsOf: asOf})
		if err != nil {
			return fmt.Errorf("relationships of ecosystem %s as of %s: %w", ecosystemID, asOf, err)
		}
		d := newDrawer(f, len(chars), len(rels))
		for _, c := range chars {
			if !c.CreatedAt.After(asOf) {
				d.node(c.ID, c.Name, c.CurrentEmotion)
			}
		}
		for _, r := range rels {
			d.edge(MapEdge{ID: r.RelationshipID, From: r.FromID, To: r.ToID, Type: Type(r.Type), Label: r.Label,
				Strength: r.Strength, Trust: r.Trust, Familiarity: r.Familiarity})
		}
		out = d.result
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.AsOf = &asOf
	return out, nil
}
