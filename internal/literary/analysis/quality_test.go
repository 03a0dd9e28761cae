package analysis

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// pdncBooks are the novels annotated by the Project Dialogism Novel Corpus.
// floor holds regression floors {cast recall, top-20 precision, alias
// merging, quote precision, quote recall, attribution}, about three points
// under the figures measured when they were set: a change that drops a book
// below one fails, whatever it gains elsewhere. They are not goals (see
// qualityGoals); raise them as the figures improve.
var pdncBooks = []struct {
	novel string
	floor qualityFigures
}{
	// PDNC lists a bare "Catherine" among Lady Catherine's aliases, but in the text it is
	// always Kitty, whom the analysis keeps apart (issue 15): alias merging scores 85.7.
	{"pride_and_prejudice", qualityFigures{0.97, 0.97, 0.83, 0.92, 0.97, 0.84}},
	{"emma", qualityFigures{0.97, 0.97, 0.923, 0.92, 0.97, 0.836}},
	{"oliver_twist", qualityFigures{0.93, 0.97, 1.0, 0.96, 0.97, 0.857}},
	{"hard_times", qualityFigures{0.97, 0.97, 0.714, 0.95, 0.97, 0.881}},
	{"anne_of_green_gables", qualityFigures{0.97, 1.00, 0.97, 0.92, 0.97, 0.91}},
	{"picture_of_dorian_gray", qualityFigures{0.97, 0.97, 0.83, 0.94, 0.97, 0.923}},
	{"sign_of_the_four", qualityFigures{0.97, 0.97, 0.97, 0.94, 0.97, 0.85}},
	// PDNC lists Beethoven, whom the analysis leaves out as a maker named for his
	// sonatas; "Mr. Harris", the name Lucy invents for Mr. Emerson, takes his place.
	{"room_with_a_view", qualityFigures{0.97, 0.95, 0.800, 0.92, 0.97, 0.778}},
	{"invisible_man", qualityFigures{0.97, 0.97, 0.97, 0.91, 0.97, 0.834}},
}

// qualityGoals are issue 15's goals for the mean over the nine books (quote
// recall has none), and minBookAttribution its floor for every book.
var qualityGoals = qualityFigures{
	qCastRecall: 0.95, qTopPrecision: 0.95, qAliasMerge: 0.90, qQuotePrecision: 0.95, qQuoteRecall: 0, qAttribution: 0.85,
}

const minBookAttribution = 0.75

var qualityNames = [qMetrics]string{"cast", "top-20", "aliases", "q-prec", "q-recall", "attrib"}

// TestQualityPDNC scores the analysis of each PDNC novel against its
// annotations (see evaluate for the measures) and fails when a book drops
// below its floor. With -v it prints a row per book, the mean and the goals;
// a book's misses are logged when it fails or with -pdnc.details.
func TestQualityPDNC(t *testing.T) {
	reports := make([]*qualityReport, len(pdncBooks))
	elapsed := make([]time.Duration, len(pdncBooks))
	// Parallel subtests finish before cleanups run.
	t.Cleanup(func() { logQualityTable(t, reports, elapsed) })
	for i, b := range pdncBooks {
		t.Run(b.novel, func(t *testing.T) {
			t.Parallel()
			text := loadNovel(t, b.novel)
			chars, quotes := loadPDNC(t, b.novel)
			people := loadPeople(t, b.novel, text)
			start := time.Now()
			res, err := Analyze(context.Background(), text, Options{})
			if err != nil {
				t.Fatalf("Analyze: %v", err)
			}
			elapsed[i] = time.Since(start)
			r := evaluate(text, res, chars, quotes, people)
			reports[i] = r
			got := r.figures()
			for k, floor := range b.floor {
				if got[k] < floor {
					t.Errorf("%s = %.1f%%, floor %.1f%%", qualityNames[k], 100*got[k], 100*floor)
				}
			}
			if r.aligned < r.annotated*97/100 {
				t.Errorf("only %d of %d annotated quotes located in the text", r.aligned, r.annotated)
			}
			if t.Failed() || *pdncDetails {
				logQualityDetails(t, b.novel, r)
			}
			if *pdncMisses != "" {
				writeMisses(t, filepath.Join(*pdncMisses, b.novel+".txt"), r)
			}
		})
	}
}

// storyPerson is one entry of testdata/people.json: someone of a PDNC novel
// whom its character list leaves out (PDNC lists who speaks), with a passage
// of the novel that shows them in the story. Top-20 precision counts them as
// characters; without them it would count Emma's Mr. Perry as junk.
type storyPerson struct {
	Book  string `json:"book"`
	Name  string `json:"name"`
	Quote string `json:"quote"`
}

// loadPeople returns the names testdata/people.json gives novel, checking
// that each passage is in the text and names its person.
func loadPeople(t *testing.T, novel, text string) []string {
	t.Helper()
	var all []storyPerson
	readTestdata(t, "people.json", &all)
	flat := strings.Join(strings.Fields(text), " ")
	var names []string
	for _, p := range all {
		if p.Book != novel {
			continue
		}
		if quote := strings.Join(strings.Fields(p.Quote), " "); !strings.Contains(flat, quote) || !strings.Contains(quote, p.Name) {
			t.Errorf("people.json: %s: passage not in the text or without the name: %q", p.Name, p.Quote)
		}
		names = append(names, p.Name)
	}
	return names
}

var pdncDetails = flag.Bool("pdnc.details", false, "TestQualityPDNC: log each book's misses and attribution by method")

var pdncMisses = flag.String("pdnc.misses", "", "TestQualityPDNC: write each book's misattributed quotes to `dir`/<novel>.txt and every attributable one to <novel>.tsv")

func writeMisses(t *testing.T, path string, r *qualityReport) {
	if err := os.WriteFile(path, []byte(strings.Join(r.misses, "\n")+"\n"), 0o644); err != nil {
		t.Errorf("writing misses: %v", err)
	}
	if err := os.WriteFile(strings.TrimSuffix(path, ".txt")+".tsv", []byte(strings.Join(r.rows, "\n")+"\n"), 0o644); err != nil {
		t.Errorf("writing quotes: %v", err)
	}
}

func logQualityDetails(t *testing.T, novel string, r *qualityReport) {
	var keys []string
	for k := range r.byMethod {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := r.byMethod[k]
		t.Logf("%s: attribution %-16q %4d quotes, %5.1f%% right", novel, k, v[1], 100*ratio(v[0], v[1]))
	}
	for _, f := range r.failures {
		t.Log(f)
	}
}

// logQualityTable prints one row per book, the mean over the books that ran
// and the goals with whether the mean meets them. pdnc-20 is top-20
// precision against PDNC's characters alone, for comparison.
func logQualityTable(t *testing.T, reports []*qualityReport, elapsed []time.Duration) {
	var b strings.Builder
	row := func(name string, cells []string) {
		fmt.Fprintf(&b, "\n%-24s", name)
		for _, c := range cells {
			fmt.Fprintf(&b, " %8s", c)
		}
	}
	row("book", append(qualityNames[:], "pdnc-20", "addr", "ann. q", "our q", "analysis"))
	var sum qualityFigures
	pdncTop, addr := 0.0, 0.0 // top-20 precision counting only PDNC's characters; addressees
	n := 0
	minAttr, minBook := 1.0, ""
	for i, r := range reports {
		if r == nil {
			continue
		}
		f := r.figures()
		var cells []string
		for k, v := range f {
			sum[k] += v
			cells = append(cells, fmt.Sprintf("%.1f%%", 100*v))
		}
		n++
		if f[qAttribution] < minAttr {
			minAttr, minBook = f[qAttribution], pdncBooks[i].novel
		}
		pdncTop += ratio(r.topMatch, r.top)
		addr += ratio(r.addressedRight, r.addressed)
		row(pdncBooks[i].novel, append(cells, fmt.Sprintf("%.1f%%", 100*ratio(r.topMatch, r.top)), fmt.Sprintf("%.1f%%", 100*ratio(r.addressedRight, r.addressed)), fmt.Sprint(r.annotated), fmt.Sprint(r.ours), elapsed[i].Round(time.Millisecond).String()))
	}
	if n == 0 {
		return
	}
	mean, goal, status := make([]string, qMetrics), make([]string, qMetrics), make([]string, qMetrics)
	for k := range sum {
		m := sum[k] / float64(n)
		mean[k] = fmt.Sprintf("%.1f%%", 100*m)
		goal[k], status[k] = "-", "-"
		if qualityGoals[k] > 0 {
			goal[k] = fmt.Sprintf(">=%.0f%%", 100*qualityGoals[k])
			status[k] = metOrNot(m >= qualityGoals[k])
		}
	}
	row(fmt.Sprintf("mean of %d", n), append(mean, fmt.Sprintf("%.1f%%", 100*pdncTop/float64(n)), fmt.Sprintf("%.1f%%", 100*addr/float64(n))))
	row("goal (mean)", goal)
	row("", status)
	fmt.Fprintf(&b, "\nno book below %.0f%% attribution: %s (lowest %s %.1f%%)",
		100*minBookAttribution, metOrNot(minAttr >= minBookAttribution), minBook, 100*minAttr)
	t.Log(b.String())
}

func metOrNot(ok bool) string {
	if ok {
		return "met"
	}
	return "NOT met"
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
