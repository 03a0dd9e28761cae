package casting

import (
	"slices"
	"strings"
	"testing"
)

func TestNamedNearStart(t *testing.T) {
	forms := []string{"Mr. Knightley", "Knightley", "George Knightley"}
	for _, tc := range []struct {
		sentence string
		about    bool
	}{
		{"Mr. Knightley, a sensible man about seven or eight-and-thirty, was a friend of the family.", true},
		{"Poor Mr. Knightley was not to be moved.", true},
		{"But Knightley said nothing.", true},
		{"Mrs. John Knightley was a pretty, elegant little woman.", false},  // another Knightley
		{"Now the old man attacked Mr. Knightley almost violently.", false}, // the object, not the subject
		{"It gave Mr. Knightley the sensation of a fog.", false},
		{"Emma and Mr. Knightley walked on.", false},
		{"She looked at Mr. Knightley.", false},
		{"Mr. Knightley, as grave as a judge could be, she watched in silence.", false}, // fronted object
		{"Mr. Knightley, tall and grave, walked in.", true},
	} {
		if got := namedNearStart(tc.sentence, forms, []string{"Emma"}); got != tc.about {
			t.Errorf("namedNearStart(%q) = %v, want %v", tc.sentence, got, tc.about)
		}
	}
}

func TestCleanGoal(t *testing.T) {
	for _, tc := range []struct{ phrase, prep, want string }{
		{"see Jane settled at Netherfield", "to", "See Jane settled at Netherfield"},
		{"a quiet life in the country", "for", "A quiet life in the country"},
		{"show people that her daughter was marrying well", "to", ""}, // the want is in the clause
		{"feel that others were wrong", "to", ""},
		{"live now", "to", ""}, // a moment, not a goal
		{"solve now", "to", ""},
		{"attend her out of the room", "to", ""}, // "her" is someone of the moment
		{"marry well", "to", "Marry well"},
		{"know", "to", ""},
		{"save would be lost", "to", ""}, // a clause of its own
		{"fascinate seemed to give his wit keenness", "to", ""},
		{"and yet almost loathed", "to", ""},
		{"sow his turnip seed the next afternoon", "to", ""}, // a day of the text
		{"enjoy myself on the morrow", "to", ""},
		{"set out", "to", ""}, // a movement of the moment
		{"lie awake", "to", ""},
		{"see 'em", "to", ""},
		{"seeing the Lakes", "on", "Seeing the Lakes"},
	} {
		if got := cleanGoal(tc.phrase, tc.prep); got != tc.want {
			t.Errorf("cleanGoal(%q, %q) = %q, want %q", tc.phrase, tc.prep, got, tc.want)
		}
	}
}

func TestSplitSentences(t *testing.T) {
	p := "Jane Fairfax was an orphan. The marriage of Lieut. Fairfax and Miss Jane Bates had had its day. Mrs. Bates was old! Was she?"
	got := splitSentences(p)
	want := []string{"Jane Fairfax was an orphan.", "The marriage of Lieut. Fairfax and Miss Jane Bates had had its day.", "Mrs. Bates was old!", "Was she?"}
	for i := range got {
		got[i] = strings.TrimSpace(got[i])
	}
	if !slices.Equal(got, want) {
		t.Errorf("splitSentences = %q, want %q", got, want)
	}
	if strings.Join(splitSentences(p), "") != p {
		t.Error("splitSentences lost runes")
	}
}
