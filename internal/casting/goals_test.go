package casting

import (
	"context"
	"slices"
	"testing"

	"github.com/literaryai/ensemble/internal/literary/analysis"
)

// TestGoals: wants held (an ambition, a heart set on something) are found and come
// first, "I should like to" is found; what something was meant for, and plans of the moment, are no goals.
func TestGoals(t *testing.T) {
	const text = "Mr. Hale lived at the mill. Miss Grey lived at the rectory. Mr. Hale and Miss Grey met on Sundays.\n\n" +
		"His one ambition was to build a school for the village. Mr. Hale meant to set out. " +
		"Mr. Hale meant for a reassuring tone.\n\n" +
		"Miss Grey had set her heart on seeing the sea. Miss Grey wanted to see the old abbey.\n\n" +
		"“I should like to see the world,” said Miss Grey to Mr. Hale.\n\n" +
		"“Mr. Hale!” said Miss Grey.\n\n“Miss Grey,” said Mr. Hale.\n\n"
	res, err := analysis.Analyze(context.Background(), text, analysis.Options{MinMentions: 2})
	if err != nil {
		t.Fatal(err)
	}
	cast := choose(res, Options{MaxCharacters: 5, MinMentions: 2})
	b := newBook("Test", text, res, cast)
	for _, tc := range []struct {
		name      string
		want, not []string
	}{
		{"Mr. Hale", []string{"Build a school for the village"}, []string{"Set out", "A reassuring tone"}},
		{"Miss Grey", []string{"Seeing the sea", "See the world", "See the old abbey"}, nil},
	} {
		id := -1
		for _, c := range cast {
			if c.Name == tc.name {
				id = c.ID
			}
		}
		if id < 0 {
			t.Fatalf("no %s in %v", tc.name, cast)
		}
		got := b.goals(id)
		for _, g := range tc.want {
			if !slices.Contains(got, g) {
				t.Errorf("%s's goals %q lack %q", tc.name, got, g)
			}
		}
		for _, g := range tc.not {
			if slices.Contains(got, g) {
				t.Errorf("%s's goals %q hold %q", tc.name, got, g)
			}
		}
		// The heart set on something before the passing wants.
		if tc.name == "Miss Grey" && (len(got) == 0 || got[0] != "Seeing the sea") {
			t.Errorf("Miss Grey's goals %q: the want she holds is not first", got)
		}
	}
}
