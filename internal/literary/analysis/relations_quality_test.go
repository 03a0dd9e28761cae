package analysis

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// labelledPair is one hand-labelled relationship of testdata/relations.json:
// the two characters (each by the names the analysis may give them, the
// first match among the characters wins), the type a reader gives the pair,
// other types that are also right ("a governess who became a friend"), and
// a passage of the novel that shows it.
type labelledPair struct {
	Book  string   `json:"book"`
	A     []string `json:"a"`
	B     []string `json:"b"`
	Type  string   `json:"type"`
	Also  []string `json:"also"`
	Quote string   `json:"quote"`
}

// relationBooks are the books with labelled pairs and each one's regression
// floor for the share of its pairs typed right, a little under the figure
// measured when it was set.
var relationBooks = []struct {
	novel string
	floor float64
}{
	{"pride_and_prejudice", 0.92},
	{"emma", 0.91},
	{"oliver_twist", 0.62},
	{"hard_times", 0.51},
	{"anne_of_green_gables", 0.69},
	{"picture_of_dorian_gray", 0.89},
	{"sign_of_the_four", 0.83},
	// Lucy and George's courtship cues sat on "Mr. Emerson" while father and son were
	// one character; apart, they type one pair fewer.
	{"room_with_a_view", 0.90},
	{"invisible_man", 0.75},
	{"sherlock_holmes", 0.83},
	{"christmas_carol", 0.76},
}

// relationGoal is the goal for the mean share of main pairs typed
// right.
const relationGoal = 0.80

// TestRelationTypes types the hand-labelled main pairs of each book and
// fails when a book drops below its floor. With -v it prints each book's
// accuracy, the mean and the goal, and the misses as subtest logs.
func TestRelationTypes(t *testing.T) {
	var labels []labelledPair
	readTestdata(t, "relations.json", &labels)
	acc := make([]float64, len(relationBooks))
	ran := make([]bool, len(relationBooks))
	t.Cleanup(func() { logRelationTable(t, acc, ran) })
	for i, b := range relationBooks {
		t.Run(b.novel, func(t *testing.T) {
			t.Parallel()
			var pairs []labelledPair
			for _, l := range labels {
				if l.Book == b.novel {
					pairs = append(pairs, l)
				}
			}
			if len(pairs) == 0 {
				t.Fatalf("no labelled pairs for %s", b.novel)
			}
			text := loadNovel(t, b.novel)
			flat := strings.Join(strings.Fields(text), " ")
			res, err := Analyze(context.Background(), text, Options{})
			if err != nil {
				t.Fatalf("Analyze: %v", err)
			}
			right := 0
			for _, p := range pairs {
				if !strings.Contains(flat, strings.Join(strings.Fields(p.Quote), " ")) {
					t.Errorf("%s–%s: quote not in the text: %q", p.A[0], p.B[0], p.Quote)
				}
				got, ev := pairType(res, p.A, p.B)
				if got == p.Type || slices.Contains(p.Also, got) {
					right++
					continue
				}
				t.Logf("miss %s–%s: want %s, got %q %s", p.A[0], p.B[0], p.Type, got, ev)
			}
			acc[i], ran[i] = float64(right)/float64(len(pairs)), true
			if acc[i] < b.floor {
				t.Errorf("%d of %d pairs typed right (%.1f%%), floor %.1f%%", right, len(pairs), 100*acc[i], 100*b.floor)
			}
		})
	}
}

// pairType returns the type the analysis gives the labelled pair, "" when
// either character or the pair is missing, and why.
func pairType(res *Result, a, b []string) (string, string) {
	ca, cb := findCharacter(res, a), findCharacter(res, b)
	if ca < 0 || cb < 0 || ca == cb {
		return "", fmt.Sprintf("(characters %d, %d)", ca, cb)
	}
	for _, r := range res.Relationships {
		if r.A == ca && r.B == cb || r.A == cb && r.B == ca {
			return r.Type, fmt.Sprintf("(%s %.2f: %q)", r.Kind, r.Confidence, r.Reason)
		}
	}
	return "", "(no relationship)"
}

// findCharacter returns the ID of the first character (most mentioned
// first) called by one of the names, -1 if none.
func findCharacter(res *Result, names []string) int {
	for _, c := range res.Characters {
		for _, n := range names {
			if strings.EqualFold(c.Name, n) || slices.ContainsFunc(c.Aliases, func(a string) bool { return strings.EqualFold(a, n) }) {
				return c.ID
			}
		}
	}
	return -1
}

func logRelationTable(t *testing.T, acc []float64, ran []bool) {
	var b strings.Builder
	sum, n := 0.0, 0
	for i, ok := range ran {
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "\n%-24s %6.1f%%", relationBooks[i].novel, 100*acc[i])
		sum += acc[i]
		n++
	}
	if n == 0 {
		return
	}
	mean := sum / float64(n)
	fmt.Fprintf(&b, "\n%-24s %6.1f%%\ngoal (mean) >=%.0f%%: %s", fmt.Sprintf("mean of %d", n), 100*mean, 100*relationGoal, metOrNot(mean >= relationGoal))
	t.Log(b.String())
}
