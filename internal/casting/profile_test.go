package casting

import (
	"context"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/literaryai/ensemble/internal/literary/analysis"
	"github.com/literaryai/ensemble/internal/memories"
)

// castOf analyses a novel of the shared corpus and profiles its first n characters, as
// createCastFromDocument does.
func castOf(t *testing.T, file, title string, n int) (*book, map[string]profileOf) {
	t.Helper()
	text, err := os.ReadFile("../../../shared/data/novels/" + file)
	if err != nil {
		t.Skipf("the public-domain novels are expected in ../shared/data/novels: %v", err)
	}
	res, err := analysis.Analyze(context.Background(), string(text), analysis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cast := choose(res, Options{MaxCharacters: n, MinMentions: DefaultMinMentions})
	b := newBook(title, string(text), res, cast)
	quotes := quotesBy(res)
	taken := map[string]bool{}
	out := map[string]profileOf{}
	for rank, c := range cast {
		out[c.Name] = profile(b, c, quotes[c.ID], 200, rank, taken)
	}
	return b, out
}

// statistic is a number in prose: a count where a reader expects words.
var statistic = regexp.MustCompile(`\d|mentioned \w+ times|lines of dialogue`)

// TestProfilesReadLikeTheBook: what a reader of Pride and Prejudice notices in its cast.
func TestProfilesReadLikeTheBook(t *testing.T) {
	b, cast := castOf(t, "pride_and_prejudice.txt", "Pride and Prejudice", 12)
	liz, ok := cast["Elizabeth Bennet"]
	if !ok {
		t.Fatalf("no Elizabeth Bennet in %v", cast)
	}
	t.Logf("Elizabeth:\n  %s\n  %s\n  %s\n  %q", liz.description, liz.backstory, liz.style, liz.goals)

	// Her description is her own introduction, no one else's, and no piece of dialogue.
	if !strings.HasPrefix(liz.description, "Elizabeth") || strings.ContainsAny(liz.description, "\"“”") || !portrait.MatchString(liz.description) {
		t.Errorf("Elizabeth's description is not her introduction: %q", liz.description)
	}
	seen := map[string]string{}
	withGoals := 0
	for name, p := range cast {
		if other, dup := seen[p.description]; dup {
			t.Errorf("%s and %s share the description %q", name, other, p.description)
		}
		seen[p.description] = name
		for _, prose := range []string{p.description, p.backstory, p.style} {
			if statistic.MatchString(prose) {
				t.Errorf("%s reads as a statistic: %q", name, prose)
			}
		}
		for _, g := range p.goals {
			if n := len(strings.Fields(g)); n < 2 || n > 9 || strings.HasSuffix(g, "Mr") || strings.HasSuffix(g, "Mrs") {
				t.Errorf("%s has a fragment for a goal: %q", name, g)
			}
		}
		if len(p.goals) > 0 {
			withGoals++
		}
	}
	if withGoals == 0 {
		t.Error("no one in the cast wants anything")
	}

	// Her style is read from her lines: a habit of them and a line of hers, not a stock phrase.
	if liz.style == "Speaks briefly; often exclaims." || !strings.Contains(liz.style, "In her own words: “") ||
		!regexp.MustCompile(`question|exclam|“my dear”|Favourite words`).MatchString(liz.style) {
		t.Errorf("Elizabeth's style names no habit of hers: %q", liz.style)
	}
	for name, p := range cast {
		if p.style == liz.style && name != "Elizabeth Bennet" {
			t.Errorf("%s talks exactly like Elizabeth: %q", name, p.style)
		}
	}

	// Her memories are experiences: her own lines said to someone, others' heard.
	var c analysis.Character
	for _, x := range b.castList() {
		if x.Name == "Elizabeth Bennet" {
			c = x
		}
	}
	told, heard := 0, 0
	for _, m := range b.memories(c, liz.description) {
		switch {
		case strings.HasPrefix(m.Content, "I said: "):
			t.Errorf("a memory reads as a transcript: %q", m.Content)
		case m.Type == memories.Dialogue && strings.Contains(m.Content, "I told "):
			told++
		case m.Type == memories.Observation && regexp.MustCompile(`told me: “|I heard .+ (tell|say)`).MatchString(m.Content):
			heard++
		}
		if m.Type == memories.Dialogue && regexp.MustCompile(`: “.*\b(Elizabeth|Lizzy|Eliza)\b`).MatchString(m.Content) {
			t.Errorf("a line that names its own speaker is someone else's: %q", m.Content)
		}
	}
	if told < 20 || heard < 10 {
		t.Errorf("Elizabeth remembers %d lines she told someone and %d she heard", told, heard)
	}
}

// castList is the cast in the order of its ids.
func (b *book) castList() []analysis.Character {
	out := make([]analysis.Character, 0, len(b.cast))
	for _, c := range b.cast {
		out = append(out, c)
	}
	slices.SortFunc(out, func(x, y analysis.Character) int { return x.ID - y.ID })
	return out
}
