package admission

import (
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
)

// checkDocument refuses a document over the caps that keep validating it cheap. A
// document that does not parse is let through: the executor parses it again (stopping at
// the same token limit) and reports the error.
func checkDocument(query string, l Limits) *Refusal {
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, l.Tokens)
	if err != nil {
		return nil
	}
	if n := len(doc.Fragments); n > l.Fragments {
		return &Refusal{Limit: LimitFragments, Got: n, Max: l.Fragments}
	}
	var c counts
	c.document(doc)
	if c.directives > l.Directives {
		return &Refusal{Limit: LimitDirectives, Got: c.directives, Max: l.Directives}
	}
	if c.aliases > l.Aliases {
		return &Refusal{Limit: LimitAliases, Got: c.aliases, Max: l.Aliases}
	}
	return newShape(doc).walk(doc)
}

// counts are the directives and aliases written in a document, fragments counted once.
type counts struct {
	directives, aliases int
}

func (c *counts) document(doc *ast.QueryDocument) {
	for _, op := range doc.Operations {
		c.directives += len(op.Directives)
		for _, v := range op.VariableDefinitions {
			c.directives += len(v.Directives)
		}
		c.set(op.SelectionSet)
	}
	for _, f := range doc.Fragments {
		c.directives += len(f.Directives)
		c.set(f.SelectionSet)
	}
}

func (c *counts) set(set ast.SelectionSet) {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			c.directives += len(sel.Directives)
			if sel.Alias != sel.Name {
				c.aliases++
			}
			c.set(sel.SelectionSet)
		case *ast.InlineFragment:
			c.directives += len(sel.Directives)
			c.set(sel.SelectionSet)
		case *ast.FragmentSpread:
			c.directives += len(sel.Directives)
		}
	}
}

// shape walks a document as gqlparser's validator does, every operation and fragment
// definition with its fragments expanded, and counts what that validation costs: the
// selections it visits, and the pairs of fields at one place that share a response name,
// which OverlappingFieldsCanBeMerged compares pairwise. Fields are placed in a tree of
// response-name paths, so that fields merged from aliases, fragments and inline fragments
// meet at one node; k fields at a node make k(k-1)/2 pairs. The walk stops as soon as
// either count is over its bound, so it costs at most MaxSelections visits.
type shape struct {
	fragments map[string]*ast.FragmentDefinition
	// active holds the fragments being expanded: a cycle (which validation reports) is cut.
	active map[*ast.FragmentDefinition]bool
	// nodes numbers the tree's nodes by parent and response name; counts holds how many
	// fields each node has.
	nodes  map[pathKey]int32
	counts []int32
	// selections and pairs are the running counts.
	selections, pairs int
}

type pathKey struct {
	parent int32
	name   string
}

func newShape(doc *ast.QueryDocument) *shape {
	s := &shape{
		fragments: make(map[string]*ast.FragmentDefinition, len(doc.Fragments)),
		active:    map[*ast.FragmentDefinition]bool{},
		nodes:     map[pathKey]int32{},
	}
	for _, f := range doc.Fragments {
		// The first of duplicate names, as the validator resolves spreads.
		if _, ok := s.fragments[f.Name]; !ok {
			s.fragments[f.Name] = f
		}
	}
	return s
}

func (s *shape) walk(doc *ast.QueryDocument) *Refusal {
	for _, op := range doc.Operations {
		if !s.set(op.SelectionSet, s.root()) {
			return s.refusal()
		}
	}
	for _, f := range doc.Fragments {
		if !s.set(f.SelectionSet, s.root()) {
			return s.refusal()
		}
	}
	return nil
}

func (s *shape) refusal() *Refusal {
	if s.selections > MaxSelections {
		return &Refusal{Limit: LimitSelections, Got: s.selections, Max: MaxSelections}
	}
	return &Refusal{Limit: LimitRepeats, Got: s.pairs, Max: MaxRepeats}
}

// root adds a tree for one operation or fragment definition.
func (s *shape) root() int32 {
	s.counts = append(s.counts, 0)
	return int32(len(s.counts) - 1)
}

// set walks set under the tree node parent; false means a count went over its bound.
func (s *shape) set(set ast.SelectionSet, parent int32) bool {
	for _, sel := range set {
		s.selections++
		if s.selections > MaxSelections {
			return false
		}
		switch sel := sel.(type) {
		case *ast.Field:
			key := pathKey{parent, sel.Alias}
			id, ok := s.nodes[key]
			if !ok {
				id = int32(len(s.counts))
				s.nodes[key] = id
				s.counts = append(s.counts, 0)
			}
			s.pairs += int(s.counts[id])
			s.counts[id]++
			if s.pairs > MaxRepeats || !s.set(sel.SelectionSet, id) {
				return false
			}
		case *ast.InlineFragment:
			if !s.set(sel.SelectionSet, parent) {
				return false
			}
		case *ast.FragmentSpread:
			def := s.fragments[sel.Name]
			if def == nil || s.active[def] {
				continue
			}
			s.active[def] = true
			ok := s.set(def.SelectionSet, parent)
			delete(s.active, def)
			if !ok {
				return false
			}
		}
	}
	return true
}
