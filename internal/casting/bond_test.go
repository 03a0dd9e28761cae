package casting

import (
	"strings"
	"testing"

	"github.com/literaryai/ensemble/internal/literary/analysis"
	"github.com/literaryai/ensemble/internal/relationships"
)

func TestBond(t *testing.T) {
	cases := []struct {
		rel      analysis.Relationship
		typ      relationships.Type
		label    string
		notes    string // a part of the notes
		negative bool   // strength below zero
	}{
		{analysis.Relationship{Type: "family", Kind: "sister", Confidence: 0.8, Reason: "“Lizzy,” said her sister."},
			relationships.Family, "sister", "(sister, confidence 0.80): ““Lizzy,” said her sister.”", false},
		{analysis.Relationship{Type: "romance", Kind: "married", Confidence: 0.67},
			relationships.Romance, "married", "shown by their names", false},
		{analysis.Relationship{Type: "friendship", Kind: "friend", Confidence: 0.6, Reason: "his friend Mr. Grimwig"},
			relationships.Friend, "friend", "his friend Mr. Grimwig", false},
		{analysis.Relationship{Type: "mentorship", Kind: "guardian", Confidence: 0.5, Reason: "Mr. Brownlow adopted Oliver as his son."},
			relationships.Mentor, "guardian", "adopted", false},
		{analysis.Relationship{Type: "service", Kind: "clerk", Confidence: 0.5, Reason: "his clerk"},
			relationships.Ally, "clerk", "his clerk", false},
		{analysis.Relationship{Type: "rivalry", Kind: "rival", Confidence: 0.5, Reason: "before his rival vanished"},
			relationships.Rival, "rival", "rival", true},
		{analysis.Relationship{Type: "enmity", Kind: "enemy", Confidence: 0.5, Reason: "he hated him"},
			relationships.Enemy, "enemy", "hated", true},
		{analysis.Relationship{Type: "acquaintance", CoOccurrences: 4},
			relationships.Acquaintance, "acquaintance", "nothing more", false},
	}
	for _, tc := range cases {
		t.Run(tc.rel.Type, func(t *testing.T) {
			tc.rel.Weight = 0.5
			in := bond(tc.rel, "Pride and Prejudice")
			if *in.Type != tc.typ || *in.Label != tc.label {
				t.Errorf("type %s, label %q; want %s, %q", *in.Type, *in.Label, tc.typ, tc.label)
			}
			if !strings.HasPrefix(*in.Notes, "From Pride and Prejudice") || !strings.Contains(*in.Notes, tc.notes) {
				t.Errorf("notes %q, want %q in them", *in.Notes, tc.notes)
			}
			if (*in.Strength < 0) != tc.negative {
				t.Errorf("strength %v", *in.Strength)
			}
		})
	}
}
