package memories

import (
	"math"
	"strings"
	"unicode"
)

// baseImportance is where a memory of each type starts: what a character concluded or
// intends matters more than what it merely saw.
var baseImportance = map[Type]float64{
	Reflection:  0.6,
	Plan:        0.5,
	Fact:        0.4,
	Dialogue:    0.3,
	Observation: 0.2,
}

// poignant words mark the events a life turns on (after the "poignancy" rating of the
// Generative Agents paper: brushing teeth is 1, a break-up is 10).
var poignant = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`love loved loves hate hated hates marry married marriage wedding
		engaged proposal propose refused refuse die died death dead dying kill killed murder war
		betray betrayed secret secrets promise promised fear afraid terror ruin ruined scandal
		elope eloped disgrace heart grief mourning funeral born birth child inheritance fortune
		forgive forgiven apology quarrel duel letter confess confessed jealous rage shame pride
		escape arrested prison danger lost found never forever`) {
		poignant[w] = true
	}
}

// ScoreImportance rates a memory 0..1 offline, by a documented heuristic: the type's base
// (REFLECTION 0.6, PLAN 0.5, FACT 0.4, DIALOGUE 0.3, OBSERVATION 0.2), plus 0.1 for each
// distinct poignant word (love, death, marriage, betrayal, secrets ...) up to 0.3, plus up
// to 0.1 for exclamation and up to 0.1 for length (a long account usually records more),
// capped at 1.
func ScoreImportance(t Type, content string) float64 {
	score := baseImportance[t]
	seen := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(content), func(r rune) bool { return !unicode.IsLetter(r) }) {
		if poignant[w] && !seen[w] {
			seen[w] = true
		}
	}
	score += math.Min(0.3, 0.1*float64(len(seen)))
	score += math.Min(0.1, 0.05*float64(strings.Count(content, "!")))
	score += math.Min(0.1, float64(len([]rune(content)))/4000)
	return math.Min(1, score)
}
