package analysis

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestQualityPrideAndPrejudice scores the analysis of Pride and Prejudice
// against the Project Dialogism Novel Corpus annotations. Run with -v to see
// the figures and the individual failures.
func TestQualityPrideAndPrejudice(t *testing.T) {
	text := loadNovel(t, "pride_and_prejudice")
	chars, quotes := loadPDNC(t, "pride_and_prejudice")
	start := time.Now()
	res, err := Analyze(context.Background(), text, Options{})
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	elapsed := time.Since(start)
	r := evaluate(text, res, chars, quotes)
	t.Logf("analysis took %v; %d characters, %d quotes", elapsed, len(res.Characters), len(res.Quotes))
	t.Logf("character recall (major+intermediate): %.1f%% (%d/%d)", 100*r.recall, r.found, r.majorInter)
	t.Logf("character precision (top %d found): %.1f%% (%d/%d)", r.topN, 100*r.precision, r.topMatch, r.topN)
	t.Logf("alias-merge accuracy (major+intermediate): %.1f%%", 100*r.aliasMerge)
	t.Logf("annotated quotes: %d, aligned to our text: %d, covered by our quotes: %d (coverage %.1f%%)",
		len(quotes), r.aligned, r.covered, 100*r.coverage)
	t.Logf("quote attribution accuracy on covered quotes: %.1f%% (%d/%d); over all annotated quotes: %.1f%%",
		100*r.attribution, r.correct, r.covered, 100*r.attrAll)
	var methods []string
	for k := range r.byMethod {
		methods = append(methods, k)
	}
	sort.Strings(methods)
	for _, k := range methods {
		v := r.byMethod[k]
		t.Logf("  method %-12q %4d quotes, %5.1f%% correct", k, v[1], 100*float64(v[0])/float64(max(1, v[1])))
	}
	for _, f := range r.failures {
		t.Logf("  %s", f)
	}

	// Floors sit a little below the measured figures so that regressions
	// fail while small heuristic changes do not.
	floors := []struct {
		name      string
		got, want float64
	}{
		{"character recall", r.recall, 0.92},
		{"character precision", r.precision, 0.88},
		{"alias-merge accuracy", r.aliasMerge, 0.85},
		{"quote coverage", r.coverage, 0.97},
		{"quote attribution", r.attribution, 0.78},
	}
	for _, f := range floors {
		if f.got < f.want {
			t.Errorf("%s = %.3f, want >= %.2f", f.name, f.got, f.want)
		}
	}
}

// TestGeneralityOtherNovels checks that the same rules give sensible casts
// on novels with other conventions: single-quoted British dialogue, animal
// and title names, a first-person narrator, translated French names.
func TestGeneralityOtherNovels(t *testing.T) {
	type want struct {
		name string
		top  int // the name must be among this many characters
	}
	cases := []struct {
		novel string
		want  []want // each must match a top character's name or alias
	}{
		{"alice_in_wonderland", []want{{"Alice", 3}, {"Queen", 10}, {"Hatter", 10}, {"Rabbit", 10}}},
		{"christmas_carol", []want{{"Scrooge", 5}, {"Bob Cratchit", 15}, {"Marley", 15}}},
		{"sherlock_holmes", []want{{"Holmes", 5}, {"Watson", 5}}},
		{"les_miserables", []want{{"Valjean", 10}, {"Marius", 10}, {"Cosette", 10}, {"Javert", 10}}},
	}
	for _, tc := range cases {
		t.Run(tc.novel, func(t *testing.T) {
			if tc.novel == "les_miserables" && (testing.Short() || raceEnabled) {
				t.Skip("Les Misérables is 3.3 MB; skipped under -short and -race")
			}
			text := loadNovel(t, tc.novel)
			start := time.Now()
			res, err := Analyze(context.Background(), text, Options{})
			if err != nil {
				t.Fatalf("Analyze: %v", err)
			}
			attributed := 0
			for _, q := range res.Quotes {
				if q.SpeakerID >= 0 {
					attributed++
				}
			}
			t.Logf("%s: %v, %d characters, %d quotes, %.1f%% attributed, %d relationships",
				tc.novel, time.Since(start), len(res.Characters), len(res.Quotes),
				100*float64(attributed)/float64(max(1, len(res.Quotes))), len(res.Relationships))
			for i, c := range res.Characters {
				if i >= 15 {
					break
				}
				t.Logf("  %2d %-26s %4d mentions %4d quotes %-6s %v", c.ID, c.Name, c.Mentions, c.Quotes, c.Gender, c.Aliases)
			}
			for _, w := range tc.want {
				if !hasTopName(res.Characters, w.top, w.name) {
					t.Errorf("%q not among the top %d characters", w.name, w.top)
				}
			}
			if len(res.Quotes) > 50 && float64(attributed) < 0.5*float64(len(res.Quotes)) {
				t.Errorf("only %d of %d quotes attributed", attributed, len(res.Quotes))
			}
		})
	}
}

// hasTopName reports whether one of the first n characters is called name
// (or has it as a word of its name or aliases).
func hasTopName(cs []Character, n int, name string) bool {
	for i := 0; i < n && i < len(cs); i++ {
		for _, a := range append([]string{cs[i].Name}, cs[i].Aliases...) {
			if strings.EqualFold(a, name) {
				return true
			}
			for _, w := range strings.Fields(a) {
				if strings.EqualFold(w, name) {
					return true
				}
			}
		}
	}
	return false
}
