package casting

import (
	"fmt"
	"math"
	"strings"

	"github.com/literaryai/ensemble/internal/characters"
	"github.com/literaryai/ensemble/internal/literary/analysis"
	"github.com/literaryai/ensemble/internal/llm"
)

// profileOf is what a character is created with.
type profileOf struct {
	description, backstory, style string
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
func profile(c analysis.Character, quotes []analysis.Quote, maxQuotes int, title string) profileOf {
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
	return profileOf{
		description: describe(c, title),
		backstory:   backstory(c, title),
		style:       speakingStyle(n, share(exclaim), share(ask), share(long)),
		traits:      traits,
		autonomy:    mix(0.3 + 0.5*float64(n)/float64(max(1, maxQuotes))),
		emotion:     emotion,
	}
}

func describe(c analysis.Character, title string) string {
	if d := strings.TrimSpace(c.Description); d != "" {
		return d
	}
	return fmt.Sprintf("A character of %s.", title)
}

func backstory(c analysis.Character, title string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From %s, mentioned %d times", title, c.Mentions)
	if c.Quotes > 0 {
		fmt.Fprintf(&b, ", with %d lines of dialogue", c.Quotes)
	}
	b.WriteString(".")
	if len(c.Aliases) > 0 {
		fmt.Fprintf(&b, " Also called %s.", strings.Join(c.Aliases, ", "))
	}
	return b.String()
}

// speakingStyle describes how the character talks, from the shape of its lines.
func speakingStyle(lines int, exclaim, ask, long float64) string {
	if lines == 0 {
		return "Rarely speaks in the book."
	}
	var parts []string
	switch {
	case long > 0.3:
		parts = append(parts, "speaks at length, in long and measured sentences")
	case long < 0.05:
		parts = append(parts, "speaks briefly")
	default:
		parts = append(parts, "speaks plainly")
	}
	if exclaim > 0.25 {
		parts = append(parts, "often exclaims")
	}
	if ask > 0.25 {
		parts = append(parts, "asks many questions")
	}
	s := strings.Join(parts, "; ")
	return strings.ToUpper(s[:1]) + s[1:] + "."
}
