package casting

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/literaryai/ensemble/internal/literary/analysis"
)

// maxDescription bounds a description drawn from the text, in characters.
const maxDescription = 600

// portrait are the words of a sentence that says what someone is like.
var portrait = regexp.MustCompile(`(?i)\b(countenance|figure|person|features|mien|air|manners|temper|disposition|character|understanding|` +
	`face|eyes|complexion|handsome|beautiful|pretty|plain|tall|stout|clever|intelligent|sensible|lively|proud|pride|` +
	`agreeable|disagreeable|amiable|pleasant|gentlemanlike|fashion|fortune|girl|woman|man|gentleman|lady|years|age|` +
	`humour|mind|wit|quickness|reserve|conceited|vain|silly|good-humoured|well-bred|elegant|beauty|favourite)\b`)

// introWindow is how many of a character's first mentions may hold their introduction.
const introWindow = 80

// description is the character's introduction: among the sentences of narration about
// them (their name near its start) by their first mentions, the first that says much of
// what they are like, else the one that says most. Sentences already used for another
// character are not theirs to share, and speech is no introduction.
func (b *book) description(id int, taken map[string]bool) string {
	forms := b.forms[id]
	var others []string
	for o, fs := range b.forms {
		if o != id {
			others = append(others, fs...)
		}
	}
	best, bestScore, seen := "", 0, 0
	for _, m := range b.mentions {
		if m.who != id || b.inQuote(m.at) {
			continue
		}
		if seen++; seen > introWindow {
			break
		}
		s, _ := b.sentenceAt(m.at)
		if s == "" || taken[s] || strings.ContainsAny(s, "\"“”") || !namedNearStart(s, forms, others) {
			continue
		}
		score := len(distinct(portrait.FindAllString(strings.ToLower(s), -1)))
		if utf8.RuneCountInString(s) > maxDescription {
			score /= 2
		}
		if score >= 3 {
			return clipSentence(s)
		}
		if score > bestScore {
			best, bestScore = s, score
		}
	}
	return clipSentence(best)
}

func distinct(ws []string) map[string]bool {
	out := map[string]bool{}
	for _, w := range ws {
		out[w] = true
	}
	return out
}

// clipSentence shortens a long sentence at the last clause that fits.
func clipSentence(s string) string {
	if utf8.RuneCountInString(s) <= maxDescription {
		return s
	}
	s = clip(s, maxDescription)
	if i := strings.LastIndex(s, "; "); i > 0 {
		return s[:i] + "."
	}
	if i := strings.LastIndex(s, ", "); i > 0 {
		return s[:i] + "."
	}
	return s
}

// namedNearStart tells whether the sentence is about the character: it opens with one
// of their names, as its subject, after nothing but a few opening words ("But", "Poor",
// "The"), and that name is not part of someone else's ("Mrs. John Knightley" is not Mr.
// Knightley's).
func namedNearStart(s string, forms []string, others []string) bool {
	at, form := -1, ""
	for _, f := range forms {
		if i := wordIndex(s, f); i >= 0 && i < 100 && (at < 0 || i < at || i == at && len(f) > len(form)) {
			at, form = i, f
		}
	}
	if at < 0 {
		return false
	}
	before := strings.Fields(s[:at])
	for _, w := range before {
		if !openers[strings.ToLower(strings.Trim(w, ",;"))] {
			return false
		}
	}
	if len(before) > 0 {
		last := before[len(before)-1]
		if r, _ := utf8.DecodeRuneInString(last); len(before) > 1 && unicode.IsUpper(r) && !slices.Contains(forms, last+" "+form) {
			return false
		}
	}
	for _, o := range others {
		if i := wordIndex(s, o); i >= 0 && i < at {
			return false
		}
	}
	return !frontedObject(s[at+len(form):])
}

// frontedObject tells whether the words after a name, set off by commas, lead to a
// subject pronoun before any verb of their own: "Mrs. Elton, as elegant as lace and
// pearls could make her, he looked at in silence" describes her as seen, by him.
func frontedObject(rest string) bool {
	if !strings.HasPrefix(rest, ",") {
		return false
	}
	for _, clause := range strings.Split(rest[1:], ",")[1:] {
		w := strings.ToLower(firstField(clause))
		if subjectPronouns[w] {
			return true
		}
		if w != "" && !strings.HasSuffix(w, "ly") {
			break
		}
	}
	return false
}

// subjectPronouns open a clause with its own subject.
var subjectPronouns = map[string]bool{"he": true, "she": true, "they": true, "i": true, "we": true, "you": true}

func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// openers are the words a sentence about someone may start with before their name.
var openers = map[string]bool{"the": true, "but": true, "and": true, "now": true, "yet": true, "so": true, "then": true,
	"poor": true, "dear": true, "young": true, "old": true, "little": true, "good": true, "for": true, "as": true,
	"still": true, "here": true, "there": true, "indeed": true, "meanwhile": true, "however": true}

// wordIndex is where w stands in s as whole words, or -1.
func wordIndex(s, w string) int {
	for off := 0; ; {
		i := strings.Index(s[off:], w)
		if i < 0 {
			return -1
		}
		i += off
		r, _ := utf8.DecodeRuneInString(s[i+len(w):])
		l, _ := utf8.DecodeLastRuneInString(s[:i])
		if (i+len(w) == len(s) || !isWordRune(r)) && (i == 0 || !isWordRune(l)) {
			return i
		}
		off = i + len(w)
	}
}

// sentenceAt is the sentence of narration holding offset at, whitespace collapsed, and
// where it starts.
func (b *book) sentenceAt(at int) (string, int) {
	if at >= len(b.text) {
		return "", at
	}
	p := b.paras[b.para(at)]
	start := p.Start
	for _, s := range splitSentences(string(b.text[p.Start:p.End])) {
		n := utf8.RuneCountInString(s)
		if at < start+n {
			return strings.TrimSpace(strings.Join(strings.Fields(strings.ReplaceAll(s, "_", "")), " ")), start
		}
		start += n
	}
	return "", at
}

// backstory says who the character is in the book and who their people are, in words.
func (b *book) backstory(c analysis.Character, rank int) string {
	var s strings.Builder
	s.WriteString(c.Name)
	if len(c.Aliases) > 0 {
		s.WriteString(", also called " + joinWords(c.Aliases[:min(3, len(c.Aliases))], "and") + ",")
	}
	switch {
	case rank == 0:
		s.WriteString(" is at the heart of " + b.title + ".")
	case rank < 4:
		s.WriteString(" is one of the principal figures of " + b.title + ".")
	default:
		s.WriteString(" is one of the people of " + b.title + ".")
	}
	ties := map[string][]string{}
	for _, r := range b.res.Relationships {
		other := -1
		switch c.ID {
		case r.A:
			other = r.B
		case r.B:
			other = r.A
		}
		name := b.name(other)
		if name == "" || r.Weight < minWeight || slices.Contains(ties[r.Type], name) || !b.plausible(r.Type, c, b.cast[other]) {
			continue
		}
		ties[r.Type] = append(ties[r.Type], name)
	}
	poss := strings.ToUpper(possessive(c.Gender)[:1]) + possessive(c.Gender)[1:]
	for _, t := range []struct{ typ, phrase string }{
		{"family", poss + " family in the book: %s."},
		{"romance", "Love or courtship ties " + objective(c.Gender) + " to %s."},
		{"friendship", poss + " friends: %s."},
		{"hostility", "At odds with %s."},
		{"acquaintance", "Often in the company of %s."},
	} {
		if names := ties[t.typ]; len(names) > 0 {
			s.WriteString(" " + strings.Replace(t.phrase, "%s", joinWords(names[:min(4, len(names))], "and"), 1))
		}
	}
	return s.String()
}

// plausible tells whether a tie the analysis guessed may be told as fact: kin share a
// family name (a guess across names is as often a neighbour), and courtship is between a
// man and a woman of the book. A wrong tie in a backstory misleads more than a missing one.
func (b *book) plausible(typ string, x, y analysis.Character) bool {
	switch typ {
	case "family":
		return familyName(x) != "" && familyName(x) == familyName(y)
	case "romance":
		return x.Gender != "" && y.Gender != "" && x.Gender != y.Gender
	}
	return true
}

// familyName is the last word of the fullest of a character's names with two words or
// more, "" when all are single names.
func familyName(c analysis.Character) string {
	for _, n := range append([]string{c.Name}, c.Aliases...) {
		if f := strings.Fields(n); len(f) >= 2 {
			return f[len(f)-1]
		}
	}
	return ""
}

func possessive(gender string) string {
	switch gender {
	case "female":
		return "her"
	case "male":
		return "his"
	}
	return "their"
}

func objective(gender string) string {
	switch gender {
	case "female":
		return "her"
	case "male":
		return "him"
	}
	return "them"
}

// joinWords writes a, b and c.
func joinWords(items []string, conj string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + conj + " " + items[len(items)-1]
}
