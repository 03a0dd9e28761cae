package scenes

import (
	"math"
	"math/rand/v2"
	"strings"
	"unicode"

	"github.com/google/uuid"
)

// Candidate is a character that may speak this turn, as the speaker policy sees it.
type Candidate struct {
	ID           uuid.UUID
	Extraversion float64
	Energy       float64 // effective social energy now, 0..1
	Autonomy     float64
	Addressed    bool    // the last line was said to it
	Directed     bool    // the director has an instruction for it
	Stake        float64 // 0..1: how much the last line touches its goal or secret
	Bond         float64 // |strength| of its bond with the last speaker, 0..1
	SilentTurns  int     // turns since it last spoke
	Recent       int     // lines it said in the last recentWindow turns
	LastSpeaker  bool
}

// recentWindow is how many of the last turns count against a character that dominates.
const recentWindow = 6

// Reasons a speaker was chosen, by the part of its score that weighed most.
const (
	ReasonAddressed  = "addressed"
	ReasonDirected   = "directed"
	ReasonStake      = "stake"
	ReasonBond       = "bond"
	ReasonTalkative  = "talkative"
	ReasonAutonomy   = "autonomy"
	ReasonTurnTaking = "turn-taking"
	ReasonAlone      = "alone"
)

// drained is the social energy under which a character speaks a third as often.
const drained = 0.15

// score is the policy's score of a candidate, and the reason that weighs most in it.
// The weights are the documented ones (see Scene in schema/scenes.graphqls).
func score(c Candidate) (float64, string) {
	parts := []struct {
		v      float64
		reason string
	}{
		{ifThen(c.Addressed, 3), ReasonAddressed},
		{ifThen(c.Directed, 2.5), ReasonDirected},
		{1.5 * clamp01(c.Stake), ReasonStake},
		{clamp01(c.Bond), ReasonBond},
		{0.5*clamp01(c.Extraversion) + 0.7*clamp01(c.Energy), ReasonTalkative},
		{0.5 * clamp01(c.Autonomy), ReasonAutonomy},
		{0.2 * float64(min(c.SilentTurns, 6)), ReasonTurnTaking},
	}
	total, best, reason := 0.0, -1.0, ""
	for _, p := range parts {
		total += p.v
		if p.v > best {
			best, reason = p.v, p.reason
		}
	}
	// A character that has had the floor lately yields it: two cannot hold a scene of
	// many between them for long.
	return total - 0.5*float64(c.Recent), reason
}

// Choose picks the next speaker among cands with rng: nobody twice in a row while anyone
// else may speak; weights exp(1.5·score), a drained character's divided by three. It
// returns the index of the chosen candidate and why, or -1 when there is nobody.
func Choose(cands []Candidate, rng *rand.Rand) (int, string) {
	eligible := 0
	for _, c := range cands {
		if !c.LastSpeaker {
			eligible++
		}
	}
	if eligible == 0 {
		if len(cands) == 1 {
			return 0, ReasonAlone
		}
		return -1, ""
	}
	weights := make([]float64, len(cands))
	reasons := make([]string, len(cands))
	sum := 0.0
	for i, c := range cands {
		if c.LastSpeaker {
			continue
		}
		s, why := score(c)
		w := math.Exp(1.5 * s)
		if c.Energy < drained {
			w /= 3
		}
		weights[i], reasons[i] = w, why
		sum += w
	}
	x := rng.Float64() * sum
	for i, w := range weights {
		if w == 0 {
			continue
		}
		if x < w {
			return i, reasons[i]
		}
		x -= w
	}
	for i := len(weights) - 1; i >= 0; i-- {
		if weights[i] > 0 {
			return i, reasons[i]
		}
	}
	return -1, ""
}

// Stake is how much line touches what a character wants or hides: the share of the
// goal's and secret's content words that the line uses, 0..1.
func Stake(line string, goal, secret string) float64 {
	words := contentWords(line)
	if len(words) == 0 {
		return 0
	}
	best := 0.0
	for _, text := range []string{goal, secret} {
		want := contentWords(text)
		if len(want) == 0 {
			continue
		}
		hit := 0
		for w := range want {
			if words[w] {
				hit++
			}
		}
		best = max(best, float64(hit)/float64(min(len(want), 4)))
	}
	return clamp01(best)
}

// contentWords are the lower-cased words of s of four letters or more, without a
// possessive 's: enough to tell what a line is about without a stop list.
func contentWords(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' && r != '’' }) {
		w = strings.TrimSuffix(strings.TrimSuffix(strings.Trim(w, "'’"), "'s"), "’s")
		if len([]rune(w)) >= 4 {
			out[w] = true
		}
	}
	return out
}

// Leaks reports whether line gives away secret: the secret's words said in order, or
// nearly all of its content words present.
func Leaks(line, secret string) bool {
	secret = strings.TrimSpace(secret)
	if secret == "" {
		return false
	}
	norm := func(s string) string {
		return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }), " ")
	}
	l, sec := norm(line), norm(secret)
	if sec != "" && strings.Contains(l, sec) {
		return true
	}
	want := contentWords(secret)
	if len(want) < 3 {
		return false
	}
	have := contentWords(line)
	hit := 0
	for w := range want {
		if have[w] {
			hit++
		}
	}
	return float64(hit) >= 0.8*float64(len(want))
}

func ifThen(cond bool, v float64) float64 {
	if cond {
		return v
	}
	return 0
}

func clamp01(x float64) float64 {
	if !(x > 0) {
		return 0
	}
	return min(x, 1)
}
