package casting

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/literaryai/ensemble/internal/literary/analysis"
	"github.com/literaryai/ensemble/internal/memories"
)

// maxWitnessed bounds the lines of others a character remembers hearing in the book.
const maxWitnessed = 60

// memories are what a character remembers of the book: who they are (their description),
// their own lines as things they said to someone somewhere, and what others said in
// their presence. Only confidently attributed lines are remembered: a line given to the
// wrong speaker would be a false memory.
func (b *book) memories(c analysis.Character, description string) []memories.Input {
	var ins []memories.Input
	if d := strings.TrimSpace(description); d != "" {
		ins = append(ins, memories.Input{Content: clip(d, memories.MaxContent), Type: memories.Fact})
	}
	var own, heard []utterance
	for _, u := range b.said {
		switch {
		case utf8.RuneCountInString(u.text) < 2:
		case u.speaker == c.ID:
			own = append(own, u)
		case u.to == c.ID || (len(wordsOf(u.text)) >= 8 && slices.Contains(b.present(u.span.Start), c.ID)):
			heard = append(heard, u)
		}
	}
	for _, u := range pick(own, maxQuoteMemories, func(u utterance) int { return len(u.text) }) {
		ins = append(ins, memories.Input{Content: clip(b.toldBy(u), memories.MaxContent), Type: memories.Dialogue})
	}
	addressed := func(u utterance) int {
		if u.to == c.ID {
			return 1 << 20
		}
		return len(u.text)
	}
	for _, u := range pick(heard, maxWitnessed, addressed) {
		ins = append(ins, memories.Input{Content: clip(b.heardBy(u, c.ID), memories.MaxContent), Type: memories.Observation})
	}
	return ins
}

// toldBy is the speaker's memory of its own line: where, to whom and before whom it was
// said, in the speaker's words ("At Netherfield, I told Mr. Darcy, in front of Jane
// Bennet: “...”"). Scenes read the line back out of it (see llm's parseMemory).
func (b *book) toldBy(u utterance) string {
	var s strings.Builder
	if p := b.placeAt(u.span.Start); p != "" {
		s.WriteString(p + ", ")
	}
	var others []string
	for _, id := range b.present(u.span.Start) {
		if id != u.speaker && id != u.to && len(others) < 3 {
			others = append(others, b.name(id))
		}
	}
	switch to := b.name(u.to); {
	case to != "" && u.to != u.speaker:
		s.WriteString("I told " + to)
		if len(others) > 0 {
			s.WriteString(", in front of " + joinWords(others, "and"))
		}
	case len(others) > 0:
		s.WriteString("I said, in front of " + joinWords(others, "and"))
	default:
		s.WriteString("I remember saying")
	}
	return s.String() + ": “" + u.text + "”"
}

// heardBy is a witness's memory of another's line ("At Longbourn, I heard Mr. Bennet tell
// Mrs. Bennet: “...”", "Mr. Darcy told me: “...”").
func (b *book) heardBy(u utterance, witness int) string {
	var s strings.Builder
	if p := b.placeAt(u.span.Start); p != "" {
		s.WriteString(p + ", ")
	}
	by := b.name(u.speaker)
	switch to := b.name(u.to); {
	case u.to == witness:
		s.WriteString(by + " told me")
	case to != "" && u.to != u.speaker:
		s.WriteString("I heard " + by + " tell " + to)
	default:
		s.WriteString("I heard " + by + " say")
	}
	return s.String() + ": “" + u.text + "”"
}

// pick keeps at most n utterances, those that weigh most first, in the order they were
// spoken.
func pick(us []utterance, n int, weight func(utterance) int) []utterance {
	if len(us) <= n {
		return us
	}
	idx := make([]int, len(us))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return weight(us[b]) - weight(us[a]) })
	idx = idx[:n]
	slices.Sort(idx)
	out := make([]utterance, n)
	for i, j := range idx {
		out[i] = us[j]
	}
	return out
}
