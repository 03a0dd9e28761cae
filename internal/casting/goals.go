package casting

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxGoals bounds a character's goals.
const maxGoals = 4

// narratedWant is narration saying what someone wants: "Elizabeth longed to ...", "she
// was determined to ...", "he had resolved on ...".
var narratedWant = regexp.MustCompile(`\b(She|she|He|he|(?:(?:Mr|Mrs|Dr)\.\s|Miss\s|Lady\s|Sir\s|Colonel\s|Captain\s)?[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)` +
	`\s+(?:had\s+|was\s+|felt\s+)?(?:[a-z]+ly\s+|still\s+|now\s+|only\s+)?` +
	`(wanted|wished|hoped|meant|resolved|longed|intended|determined|was determined|was resolved|was eager|was anxious|was impatient)` +
	`\s+(?:very\s+much\s+|much\s+|earnestly\s+)?(to|for|on)\s+((?:Mrs?\.|Dr\.|[^,;:.!?—()“”"])+)`)

// spokenWant is a character's own "I want to ...", "I am determined to ...".
var spokenWant = regexp.MustCompile(`\bI\s+(?:[a-z]+ly\s+|still\s+|only\s+)?` +
	`(want|wish|hope|mean|intend|long|am determined|am resolved|am anxious|am eager|have resolved|will try)` +
	`\s+(to|for)\s+((?:Mrs?\.|Dr\.|[^,;:.!?—()“”"])+)`)

// trivialWants start phrases that say nothing of what a character is after ("I wish to
// know", "she meant to say").
var trivialWants = map[string]bool{
	"know": true, "say": true, "tell": true, "hear": true, "ask": true, "speak": true, "have": true, "do": true,
	"be": true, "go": true, "come": true, "it": true, "the": true, "a": true, "an": true, "you": true, "me": true,
	"him": true, "her": true, "them": true, "this": true, "that": true, "all": true, "any": true, "some": true,
	"understand": true, "think": true, "add": true, "inquire": true, "mention": true, "write": true,
	"explain": true, "give": true, "put": true, "get": true, "answer": true, "begin": true, "repeat": true,
	"which": true, "what": true, "his": true, "my": true, "your": true, "their": true, "its": true, "one": true,
	"nothing": true, "something": true, "anything": true, "everything": true, "such": true,
}

// goals are what a character wants in the text, most often wanted first: from the
// narration about them and from their own lines. None rather than a fragment.
func (b *book) goals(id int) []string {
	type found struct {
		phrase string
		n, at  int
	}
	byKey := map[string]*found{}
	add := func(phrase, prep string, at int) {
		if phrase = cleanGoal(phrase, prep); phrase == "" {
			return
		}
		k := strings.ToLower(phrase)
		if f, ok := byKey[k]; ok {
			f.n++
			return
		}
		byKey[k] = &found{phrase: phrase, n: 1, at: at}
	}
	c := b.cast[id]
	for _, u := range b.said {
		if u.speaker != id {
			continue
		}
		for _, m := range spokenWant.FindAllStringSubmatch(u.text, -1) {
			add(m[3], m[2], u.span.Start)
		}
	}
	forms := b.forms[id]
	for _, s := range b.wantSentences() {
		m := narratedWant.FindStringSubmatchIndex(s.text)
		if m == nil {
			continue
		}
		subject := s.text[m[2]:m[3]]
		var who int
		switch subject {
		case "She", "she", "He", "he":
			who = b.pronounAt(s.at+utf8.RuneCountInString(s.text[:m[2]]), subject == "She" || subject == "she")
		default:
			if !slices.Contains(forms, subject) {
				continue
			}
			who = id
		}
		// "she meant to discompose Elizabeth" is someone else's want, whoever "she" resolved to.
		if goal := s.text[m[8]:m[9]]; who == id && c.Gender != "" && !slices.ContainsFunc(forms, func(f string) bool { return wordIndex(goal, f) >= 0 }) {
			add(goal, s.text[m[6]:m[7]], s.at)
		}
	}
	list := make([]*found, 0, len(byKey))
	for _, f := range byKey {
		list = append(list, f)
	}
	slices.SortFunc(list, func(x, y *found) int {
		if x.n != y.n {
			return y.n - x.n
		}
		return x.at - y.at
	})
	// Empty, not nil: a character without goals has an empty list, not a missing one.
	out := []string{}
	for _, f := range list[:min(maxGoals, len(list))] {
		out = append(out, f.phrase)
	}
	return out
}

// sentence is a sentence of narration and where it starts.
type sentence struct {
	text string
	at   int
}

// wantSentences are the narration's sentences that say someone wants something, found
// once per book.
func (b *book) wantSentences() []sentence {
	if b.wants != nil {
		return b.wants
	}
	b.wants = []sentence{}
	for _, p := range b.paras {
		para := string(b.text[p.Start:p.End])
		if !strings.ContainsAny(para, "wlrhmid") || narratedWant.FindStringIndex(para) == nil {
			continue
		}
		at := p.Start
		for _, s := range splitSentences(para) {
			if narratedWant.MatchString(s) && !b.inQuote(at+strings.IndexFunc(s, unicode.IsLetter)) {
				b.wants = append(b.wants, sentence{text: strings.Join(strings.Fields(s), " "), at: at})
			}
			at += utf8.RuneCountInString(s)
		}
	}
	return b.wants
}

// splitSentences cuts a paragraph after each full stop, question or exclamation mark
// that ends a sentence ("Mr." and "Mrs." do not), keeping every rune.
func splitSentences(p string) []string {
	var out []string
	start := 0
	rs := []rune(p)
	for i, r := range rs {
		if r != '.' && r != '!' && r != '?' {
			continue
		}
		if i+1 < len(rs) && !unicode.IsSpace(rs[i+1]) {
			continue
		}
		if r == '.' && abbreviations[lastWord(rs[:i])] {
			continue
		}
		out = append(out, string(rs[start:i+1]))
		start = i + 1
	}
	if start < len(rs) {
		out = append(out, string(rs[start:]))
	}
	return out
}

// abbreviations end with a full stop that ends no sentence.
var abbreviations = map[string]bool{"Mr": true, "Mrs": true, "Dr": true, "St": true, "Messrs": true, "Mme": true,
	"Mlle": true, "Lieut": true, "Capt": true, "Col": true, "Gen": true, "Rev": true, "Prof": true, "Jr": true, "Sr": true}

// lastWord is the run of letters that ends rs.
func lastWord(rs []rune) string {
	i := len(rs)
	for i > 0 && unicode.IsLetter(rs[i-1]) {
		i--
	}
	return string(rs[i:])
}

// pronounAt resolves "she" or "he" at offset at to the cast member of that gender last
// mentioned before it in its paragraph or the one before, or -1.
func (b *book) pronounAt(at int, female bool) int {
	p := b.para(at)
	from := b.paras[max(0, p-1)].Start
	want := "male"
	if female {
		want = "female"
	}
	i := sort.Search(len(b.mentions), func(i int) bool { return b.mentions[i].at >= at }) - 1
	for ; i >= 0 && b.mentions[i].at >= from; i-- {
		if b.cast[b.mentions[i].who].Gender == want {
			return b.mentions[i].who
		}
	}
	return -1
}

// goalEnds are words at which the sentence turns from what is wanted to something else.
var goalEnds = map[string]bool{"and": true, "but": true, "that": true, "which": true, "when": true, "as": true, "if": true,
	"though": true, "than": true, "who": true, "whom": true, "whether": true, "by": true, "before": true, "after": true,
	"because": true, "while": true, "without": true, "till": true, "until": true}

// complementizers open a clause that a goal cannot do without.
var complementizers = map[string]bool{"that": true, "whether": true, "if": true, "how": true, "what": true, "why": true}

// momentAdverbs tie a want to the moment of the text.
var momentAdverbs = map[string]bool{"now": true, "then": true, "again": true, "too": true, "here": true, "there": true,
	"immediately": true, "directly": true, "today": true, "to-day": true, "tonight": true, "to-night": true, "so": true}

// cleanGoal turns the words after "wants to" into a short goal ("see Jane settled at
// Netherfield"), or "" when they are a fragment or say nothing.
func cleanGoal(phrase, prep string) string {
	phrase, _, _ = strings.Cut(phrase, "--")
	words := strings.Fields(strings.ReplaceAll(phrase, "_", ""))
	// A goal ends where the sentence turns to something else; when what turns is a clause
	// the goal needs ("to show people that ..."), the rest is a fragment.
	for i, w := range words {
		if complementizers[w] {
			return ""
		}
		if i >= 2 && goalEnds[w] {
			words = words[:i]
			break
		}
	}
	// "to live now": the moment's adverb says nothing of the goal.
	for len(words) > 0 && momentAdverbs[strings.ToLower(words[len(words)-1])] {
		words = words[:len(words)-1]
	}
	if len(words) == 0 {
		return ""
	}
	first := strings.ToLower(words[0])
	// "longed for a quiet life" names a thing wanted: its article starts a goal.
	thing := prep != "to" && (first == "a" || first == "an" || first == "the")
	if len(words) < 2 || len(words) > 9 || (trivialWants[first] && !thing) {
		return ""
	}
	for i, w := range words {
		switch strings.ToLower(w) {
		case "herself", "himself":
			words[i] = "myself"
		case "you", "your", "yours", "yourself", "it", "its", "this", "these", "those", "so", "her", "him", "them":
			// Bound to a moment of the text: "to see you", "to do it".
			return ""
		}
	}
	last := strings.ToLower(words[len(words)-1])
	if trivialWants[last] || last == "to" || last == "of" || last == "for" || last == "with" || last == "the" || last == "in" || last == "on" || last == "at" {
		return ""
	}
	g := strings.Join(words, " ")
	r, n := utf8.DecodeRuneInString(g)
	return string(unicode.ToUpper(r)) + g[n:]
}
