package neo4j

import (
	"fmt"
	"math"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"

	"github.com/literaryai/ensemble/internal/graphstore"
)

// addNeighbors appends the records of neighborsQuery, already in answer order, to the
// lists of the characters they belong to.
func addNeighbors(out map[uuid.UUID][]graphstore.Neighbor, records []*neo4j.Record) error {
	for _, rec := range records {
		id, err := recordUUID(rec, "id")
		if err != nil {
			return err
		}
		neighbor, err := recordUUID(rec, "neighbor")
		if err != nil {
			return err
		}
		distance, _, err := neo4j.GetRecordValue[int64](rec, "distance")
		if err != nil {
			return fmt.Errorf("record distance: %w", err)
		}
		out[id] = append(out[id], graphstore.Neighbor{Character: neighbor, Distance: int(distance)})
	}
	return nil
}

// decodePath reads the record of shortestPathQuery; no record is no path. The cost is
// computed here rather than trusted from the server: the hop count, or the summed
// graphstore.EdgeCost rounded to 1e-9 as package pg does, so both backends report the
// same figure for the same path.
func decodePath(records []*neo4j.Record, weighted bool) (graphstore.Path, error) {
	p := graphstore.Path{Characters: []uuid.UUID{}, Edges: []graphstore.Edge{}}
	switch len(records) {
	case 0:
		return p, nil
	case 1:
	default:
		return graphstore.Path{}, fmt.Errorf("%d path records, want at most 1", len(records))
	}
	rec := records[0]
	chars, _, err := neo4j.GetRecordValue[[]any](rec, "characters")
	if err != nil {
		return graphstore.Path{}, fmt.Errorf("record characters: %w", err)
	}
	for i, v := range chars {
		id, err := parseUUID(v)
		if err != nil {
			return graphstore.Path{}, fmt.Errorf("path character %d: %w", i, err)
		}
		p.Characters = append(p.Characters, id)
	}
	edges, _, err := neo4j.GetRecordValue[[]any](rec, "edges")
	if err != nil {
		return graphstore.Path{}, fmt.Errorf("record edges: %w", err)
	}
	for i, v := range edges {
		e, err := decodeEdge(v)
		if err != nil {
			return graphstore.Path{}, fmt.Errorf("path edge %d: %w", i, err)
		}
		p.Edges = append(p.Edges, e)
	}
	if len(p.Characters) != len(p.Edges)+1 {
		return graphstore.Path{}, fmt.Errorf("path of %d characters and %d edges", len(p.Characters), len(p.Edges))
	}
	if !weighted {
		p.Cost = float64(len(p.Edges))
		return p, nil
	}
	for _, e := range p.Edges {
		p.Cost += graphstore.EdgeCost(e.Strength)
	}
	p.Cost = math.Round(p.Cost*1e9) / 1e9
	return p, nil
}

// decodeEdge reads one relationship map of pathColumns.
func decodeEdge(v any) (graphstore.Edge, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return graphstore.Edge{}, fmt.Errorf("edge is %T, want a map", v)
	}
	var e graphstore.Edge
	var err error
	if e.ID, err = parseUUID(m["id"]); err != nil {
		return graphstore.Edge{}, fmt.Errorf("id: %w", err)
	}
	if e.From, err = parseUUID(m["from"]); err != nil {
		return graphstore.Edge{}, fmt.Errorf("from: %w", err)
	}
	if e.To, err = parseUUID(m["to"]); err != nil {
		return graphstore.Edge{}, fmt.Errorf("to: %w", err)
	}
	if e.Type, ok = m["type"].(string); !ok {
		return graphstore.Edge{}, fmt.Errorf("type is %T, want a string", m["type"])
	}
	for _, f := range []struct {
		key string
		dst *float64
	}{{"strength", &e.Strength}, {"trust", &e.Trust}, {"familiarity", &e.Familiarity}} {
		if *f.dst, err = number(m[f.key]); err != nil {
			return graphstore.Edge{}, fmt.Errorf("%s: %w", f.key, err)
		}
	}
	return e, nil
}

// number reads a Cypher number: a float, or an integer if one was ever stored.
func number(v any) (float64, error) {
	switch n := v.(type) {
	case float64:
		return n, nil
	case int64:
		return float64(n), nil
	}
	return 0, fmt.Errorf("%T, want a number", v)
}

// parseUUID reads an id stored as a string.
func parseUUID(v any) (uuid.UUID, error) {
	s, ok := v.(string)
	if !ok {
		return uuid.Nil, fmt.Errorf("id is %T, want a string", v)
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, fmt.Errorf("id %q: %w", s, err)
	}
	return id, nil
}

// recordUUID reads an id column.
func recordUUID(rec *neo4j.Record, key string) (uuid.UUID, error) {
	v, ok := rec.Get(key)
	if !ok {
		return uuid.Nil, fmt.Errorf("record has no %s", key)
	}
	id, err := parseUUID(v)
	if err != nil {
		return uuid.Nil, fmt.Errorf("record %s: %w", key, err)
	}
	return id, nil
}
