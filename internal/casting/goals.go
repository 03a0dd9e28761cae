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

// A want is found by a pattern whose named groups are "subject" (narration only: who
// wants), "verb" (the wanting word), "prep" ("to", "for" or "on") and "goal" (what is
// wanted, up to the phrase's end).
const (
	wantTitle = `(?:(?:Mr|Mrs|Dr)\.\s|Miss\s|Lady\s|Sir\s|Colonel\s|Captain\s)?`
	wantName  = wantTitle + `[A-Z][a-z]+(?:\s[A-Z][a-z]+)?`
	wantGoal  = `(?P<goal>(?:Mrs?\.|Dr\.|[^,;:.!?—()“”"])+)`
	// wantKinds are the nouns of a settled want: "her one wish was to …".
	wantKinds = `(?:(?:great|only|one|chief|dearest|first|sole|fondest|whole)\s+)?(?P<verb>wish|desire|object|ambition|dream|aim|hope|purpose)`
)

// narratedWants are narration saying what someone wants: "Elizabeth longed to …", "she
// was determined to …", "he had resolved on …", "his one ambition was to …", "she had set
// her heart on …".
var narratedWants = []*regexp.Regexp{
	regexp.MustCompile(`\b(?P<subject>She|she|He|he|` + wantName + `)` +
		`\s+(?:had\s+|was\s+|felt\s+)?(?:[a-z]+ly\s+|still\s+|now\s+|only\s+)?` +
		`(?P<verb>wanted|wished|hoped|meant|resolved|longed|intended|determined|was determined|was resolved|was eager|was anxious|was impatient|was bent|had set (?:his|her) heart)` +
		`\s+(?:very\s+much\s+|much\s+|earnestly\s+)?(?P<prep>to|for|on)\s+` + wantGoal),
	regexp.MustCompile(`\b(?P<subject>Her|her|His|his|` + wantName + `’s|` + wantName + `'s)\s+` + wantKinds +
		`\s+(?:is|was|had (?:always )?been|had long been)\s+(?P<prep>to)\s+` + wantGoal),
}

// spokenWants are a character's own "I want to …", "I should like to …", "my only wish
// is to …".
var spokenWants = []*regexp.Regexp{
	regexp.MustCompile(`\bI\s+(?:[a-z]+ly\s+|still\s+|only\s+)?` +
		`(?P<verb>want|wish|hope|mean|intend|long|am determined|am resolved|am anxious|am eager|have resolved|will try|should like|would like|should so like|would give anything|am bent|have set my heart)` +
		`\s+(?P<prep>to|for|on)\s+` + wantGoal),
	regexp.MustCompile(`\b[Mm]y\s+` + wantKinds + `\s+(?:is|was|has always been|has long been)\s+(?P<prep>to)\s+` + wantGoal),
}

// desires are the wanting words of a want held, not a plan for the moment: a goal said
// with one counts double.
var desires = map[string]bool{"wished": true, "hoped": true, "longed": true, "resolved": true, "determined": true,
	"was determined": true, "was resolved": true, "was bent": true, "wish": true, "hope": true, "long": true,
	"am determined": true, "am resolved": true, "have resolved": true, "am bent": true, "desire": true,
	"object": true, "ambition": true, "dream": true, "aim": true, "purpose": true, "would give anything": true}

// thingWants may name a thing wanted after "for": "longed for a quiet life" (but
// "meant for a reassuring tone" says what something was for).
var thingWants = map[string]bool{"wanted": true, "wished": true, "hoped": true, "longed": true, "was eager": true,
	"was anxious": true, "was impatient": true, "want": true, "wish": true, "hope": true, "long": true,
	"am anxious": true, "am eager": true}

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

// goals are what a character wants in the text, most often wanted first (a want held
// counting double a plan): from the narration about them and from their own lines. None
// rather than a fragment.
func (b *book) goals(id int) []string {
	type found struct {
		phrase string
		n, at  int
	}
	byKey := map[string]*found{}
	add := func(re *regexp.Regexp, m []int, text string, at int) {
		verb, prep := group(re, m, text, "verb"), group(re, m, text, "prep")
		phrase := cleanGoal(group(re, m, text, "goal"), prep)
		if phrase == "" || prep == "for" && !thingWants[verb] {
			return
		}
		n := 1
		if desires[verb] {
			n = 2
		}
		k := strings.ToLower(phrase)
		if f, ok := byKey[k]; ok {
			f.n += n
			return
		}
		byKey[k] = &found{phrase: phrase, n: n, at: at}
	}
	c := b.cast[id]
	for _, u := range b.said {
		if u.speaker != id {
			continue
		}
		for _, re := range spokenWants {
			for _, m := range re.FindAllStringSubmatchIndex(u.text, -1) {
				add(re, m, u.text, u.span.Start)
			}
		}
	}
	forms := b.forms[id]
	for _, s := range b.wantSentences() {
		for _, w := range s.wants {
			if w.name != "" && !slices.Contains(forms, w.name) || w.name == "" && w.who != id {
				continue
			}
			// "she meant to discompose Elizabeth" is someone else's want, whoever "she" resolved to.
			if goal := group(w.re, w.m, s.text, "goal"); c.Gender != "" && !slices.ContainsFunc(forms, func(f string) bool { return wordIndex(goal, f) >= 0 }) {
				add(w.re, w.m, s.text, s.at)
			}
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

// group is the text of re's named group in match m of text, "" if it did not take part.
func group(re *regexp.Regexp, m []int, text, name string) string {
	i := re.SubexpIndex(name)
	if i < 0 || m[2*i] < 0 {
		return ""
	}
	return text[m[2*i]:m[2*i+1]]
}

// sentence is a sentence of narration, where it starts, and the wants it tells.
type sentence struct {
	text  string
	at    int
	wants []want
}

// want is a match of one of narratedWants in a sentence, read once per book: its
// subject as named, or ("" for "she", "his") the cast member the pronoun stands for.
type want struct {
	re   *regexp.Regexp
	m    []int
	name string
	who  int
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
		if !strings.ContainsAny(para, "wlrhmid") || !matchesAny(narratedWants, para) {
			continue
		}
		at := p.Start
		for _, s := range splitSentences(para) {
			if matchesAny(narratedWants, s) && !b.inQuote(at+strings.IndexFunc(s, unicode.IsLetter)) {
				b.wants = append(b.wants, b.readWants(strings.Join(strings.Fields(s), " "), at))
			}
			at += utf8.RuneCountInString(s)
		}
	}
	return b.wants
}

// readWants matches narratedWants in the sentence text starting at offset at, and
// resolves each pronoun subject.
func (b *book) readWants(text string, at int) sentence {
	s := sentence{text: text, at: at}
	for _, re := range narratedWants {
		m := re.FindStringSubmatchIndex(text)
		if m == nil {
			continue
		}
		w := want{re: re, m: m, who: -1}
		subject := group(re, m, text, "subject")
		subject = strings.TrimSuffix(strings.TrimSuffix(subject, "’s"), "'s")
		switch subject {
		case "She", "she", "He", "he", "Her", "her", "His", "his":
			start := m[2*re.SubexpIndex("subject")]
			w.who = b.pronounAt(at+utf8.RuneCountInString(text[:start]), subject[0] == 'S' || subject[0] == 's' || subject == "Her" || subject == "her")
		default:
			w.name = subject
		}
		s.wants = append(s.wants, w)
	}
	return s
}

func matchesAny(res []*regexp.Regexp, s string) bool {
	return slices.ContainsFunc(res, func(re *regexp.Regexp) bool { return re.MatchString(s) })
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

// finiteWords tell a clause of its own inside what looked like a goal ("to save would be
// lost", "to fascinate seemed to give his wit keenness"): the goal is a fragment.
var finiteWords = map[string]bool{"would": true, "could": true, "should": true, "might": true, "must": true,
	"will": true, "shall": true, "can": true, "may": true, "was": true, "were": true, "is": true, "are": true,
	"had": true, "has": true, "seemed": true, "did": true, "does": true, "and": true, "yet": true, "but": true,
	"or": true}

// momentWords tie a goal to a day of the text: "to sow his seed the next afternoon",
// "to enjoy myself on the morrow".
var momentWords = map[string]bool{"morrow": true, "to-morrow": true, "tomorrow": true, "to-night": true,
	"tonight": true, "afternoon": true, "morning": true, "evening": true, "hours": true, "minutes": true,
	"instant": true, "present": true, "presently": true, "yesterday": true}

// particles end a two-word want that is a movement of the moment: "to set out", "to walk
// fast", "to lie awake".
var particles = map[string]bool{"out": true, "fast": true, "awake": true, "beyond": true, "away": true, "back": true,
	"up": true, "down": true, "off": true, "in": true, "on": true, "home": true, "along": true, "over": true}

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
	if finiteWords[strings.ToLower(words[0])] || len(words) == 2 && particles[strings.ToLower(words[1])] {
		return ""
	}
	for _, w := range words[1:] {
		if lw := strings.ToLower(w); finiteWords[lw] && lw != "and" && lw != "or" || momentWords[lw] {
			return ""
		}
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
		case "you", "your", "yours", "yourself", "it", "its", "this", "these", "those", "so", "her", "him", "them", "'em":
			// Bound to a moment of the text: "to see you", "to do it".
			return ""
		}
	}
	last := strings.ToLower(words[len(words)-1])
	if trivialWants[last] || last == "whatever" || last == "to" || last == "of" || last == "for" || last == "with" || last == "the" || last == "in" || last == "on" || last == "at" {
		return ""
	}
	g := strings.Join(words, " ")
	r, n := utf8.DecodeRuneInString(g)
	return string(unicode.ToUpper(r)) + g[n:]
}
