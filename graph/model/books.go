package model

import (
	"time"

	"github.com/literaryai/ensemble/internal/documents"
	"github.com/literaryai/ensemble/internal/literary/analysis"
)

// DocumentAnalysis is a stored analysis, with its characters indexed for the fields that
// name them by number.
type DocumentAnalysis struct {
	Result     *analysis.Result
	DurationMs int
	AnalyzedAt time.Time
	byID       map[int]*analysis.Character
}

// NewDocumentAnalysis wraps a stored analysis.
func NewDocumentAnalysis(a *documents.Analysis) *DocumentAnalysis {
	m := make(map[int]*analysis.Character, len(a.Result.Characters))
	for i := range a.Result.Characters {
		m[a.Result.Characters[i].ID] = &a.Result.Characters[i]
	}
	return &DocumentAnalysis{Result: a.Result, DurationMs: a.DurationMS, AnalyzedAt: a.AnalyzedAt, byID: m}
}

// Stats are the whole-text figures.
func (d *DocumentAnalysis) Stats() *analysis.Stats { return &d.Result.Stats }

// Characters are the characters found, most mentioned first.
func (d *DocumentAnalysis) Characters() []*analysis.Character {
	out := make([]*analysis.Character, len(d.Result.Characters))
	for i := range d.Result.Characters {
		out[i] = &d.Result.Characters[i]
	}
	return out
}

// Character is a character by its number, or nil.
func (d *DocumentAnalysis) Character(id int) *analysis.Character { return d.byID[id] }

// Relationships are the pairs found, strongest first.
func (d *DocumentAnalysis) Relationships() []*BookRelationship {
	out := make([]*BookRelationship, 0, len(d.Result.Relationships))
	for i := range d.Result.Relationships {
		r := &d.Result.Relationships[i]
		a, b := d.byID[r.A], d.byID[r.B]
		if a == nil || b == nil {
			continue
		}
		out = append(out, &BookRelationship{A: a, B: b, Weight: r.Weight, CoOccurrences: r.CoOccurrences,
			Conversations: r.Conversations, Type: r.Type, Kind: optional(r.Kind), Confidence: r.Confidence,
			Reason: optional(r.Reason), Evidence: spans(r.Evidence)})
	}
	return out
}

// Quote is a quotation with its speaker and addressee resolved.
func (d *DocumentAnalysis) Quote(q *analysis.Quote) *BookQuote {
	return &BookQuote{Span: &q.Span, Text: q.Text, Speaker: d.byID[q.SpeakerID], Addressee: d.byID[q.AddresseeID],
		Confidence: q.Confidence, Method: q.Method}
}

func spans(in []analysis.Span) []*analysis.Span {
	out := make([]*analysis.Span, len(in))
	for i := range in {
		out[i] = &in[i]
	}
	return out
}

// optional is s, or nil when it is empty.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
