package casting

import (
	"math"
	"strings"

	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/literary/analysis"
	"github.com/literaryai/ensemble/internal/llm"
)

// profileOf is what a character is created with.
type profileOf struct {
	description, backstory, style string
	goals                         []string
	traits                        characters.Traits
	autonomy                      float64
	emotion                       string
}

// profile estimates a character from the book, offline. The Big Five are a documented
// heuristic over the character's own lines, not a validated instrument:
//
//   - extraversion: how much the character talks, relative to the most talkative of the
//     cast (0.25 .. 0.9);
//   - agreeableness: warm lines (joy, trust) against hostile ones (anger, disgust), as the
//     offline emotion lexicon reads them (0.5 ± 0.35);
//   - neuroticism: the share of fearful, sad or angry lines (0.25 .. 0.85);
//   - openness: the variety of the character's vocabulary (distinct words per word over
//     the first 2,000 words spoken), which rises with curiosity and wit (0.3 .. 0.85);
//   - conscientiousness: measured speech, long statements against exclamations and
//     questions (0.35 .. 0.8).
//
// A character with few lines gets values near the middle: there is little evidence.
//
// The words are the book's: the description is the character's introduction, the style
// is read from their own confidently attributed lines, the goals from what the text says
// they want, the backstory from their place and ties in the book. rank is the character's
// place in the cast (0 the most mentioned); taken holds the descriptions already given,
// which no one else gets.
func profile(b *book, c analysis.Character, quotes []analysis.Quote, maxQuotes, rank int, taken map[string]bool) profileOf {
	n := len(quotes)
	evidence := math.Min(1, float64(n)/20) // how far to trust the lines over the middle
	var words, distinct, exclaim, ask, long int
	seen := map[string]bool{}
	feel := map[string]int{}
	for _, q := range quotes {
		t := strings.TrimSpace(q.Text)
		e, _ := llm.Emotion(t)
		feel[e]++
		switch {
		case strings.HasSuffix(t, "!"):
			exclaim++
		case strings.HasSuffix(t, "?"):
			ask++
		}
		ws := strings.FieldsFunc(strings.ToLower(t), func(r rune) bool { return !isWordRune(r) })
		if len(ws) >= 25 {
			long++
		}
		for _, w := range ws {
			if words >= 2000 {
				break
			}
			words++
			if !seen[w] {
				seen[w], distinct = true, distinct+1
			}
		}
	}
	share := func(k int) float64 {
		if n == 0 {
			return 0
		}
		return float64(k) / float64(n)
	}
	mix := func(v float64) float64 { return math.Max(0.05, math.Min(0.95, 0.5+(v-0.5)*evidence)) }
	warm := feel[llm.EmotionJoy] + feel[llm.EmotionTrust]
	cold := feel[llm.EmotionAnger] + feel[llm.EmotionDisgust]
	variety := 0.0
	if words > 0 {
		variety = float64(distinct) / float64(words)
	}
	traits := characters.Traits{
		Extraversion:      mix(0.25 + 0.65*float64(n)/float64(max(1, maxQuotes))),
		Agreeableness:     mix(0.5 + 0.35*float64(warm-cold)/float64(warm+cold+1)),
		Neuroticism:       mix(0.25 + 0.6*share(feel[llm.EmotionFear]+feel[llm.EmotionSadness]+feel[llm.EmotionAnger])),
		Openness:          mix(0.3 + 0.55*math.Min(1, variety/0.6)),
		Conscientiousness: mix(0.55 + 0.25*share(long) - 0.2*share(exclaim+ask)),
	}
	emotion := llm.EmotionNeutral
	best := 0
	for e, k := range feel {
		if e != llm.EmotionNeutral && (k > best || k == best && e < emotion) {
			emotion, best = e, k
		}
	}
	desc := b.description(c.ID, taken)
	taken[desc] = true
	if desc == "" {
		desc = fallbackDescription(c, b.forms[c.ID], b.title)
	}
	return profileOf{
		description: desc,
		backstory:   b.backstory(c, rank),
		style:       b.style(c),
		goals:       b.goals(c.ID),
		traits:      traits,
		autonomy:    mix(0.3 + 0.5*float64(n)/float64(max(1, maxQuotes))),
		emotion:     emotion,
	}
}

// fallbackDescription is for a character the narration never introduces: the analysis's
// sentence when it is about them and holds no dialogue, else where they belong.
func fallbackDescription(c analysis.Character, forms []string, title string) string {
	d := strings.TrimSpace(c.Description)
	if d != "" && !strings.ContainsAny(d, "\"“”") && namedNearStart(d, forms, nil) {
		return d
	}
	return c.Name + ", of " + title + "."
}
