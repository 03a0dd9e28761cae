package analysis

// Quotation attribution. Quote segments are grouped into turns; each turn
// gets evidence from its speech tag ("said Elizabeth", "said she", "cried
// her mother", a lead-in ending in a colon), from people it addresses by
// name, and from the narration around it; then each conversation is decoded
// as a whole (decode.go).

import (
	"context"
	"math"
	"slices"
	"sort"
	"strings"
)

// utterance is one speaker turn: the quote segments of one paragraph (split
// where narration between them starts a sentence of its own), plus the
// following paragraphs a multi-paragraph quotation runs into.
type utterance struct {
	segs      []int
	para      int // first paragraph
	lastPara  int
	tokS      int // first token of the turn's lead-in narration
	tokE      int // end of the turn's trailing narration (exclusive)
	speaker   int
	addressee int
	conf      float64
	method    string
	vocs      []int // characters addressed by name inside the quotation
	// cont marks a turn split from the previous one in the same paragraph
	// by narration; unless shown otherwise it is the same speaker going on.
	cont bool
	// tagGender is the gender of a pronoun speech tag ("said she"), whose
	// referent is then only a candidate.
	tagGender string
	// tagMargin is how far the pronoun's salience resolution (speaker)
	// leads the runner-up: how much the decoder should trust it.
	tagMargin float64
	// tagAgeClash lists those of the tag's sex whom its age word rules
	// out: "the old gentleman" is not the one called "little Oliver".
	tagAgeClash []int
	// adj is the subject of the narration touching the quotation, -1 if
	// none.
	adj int
	// desc is the head noun of a description its tag names the speaker by
	// ("jew" for "said the Jew"), "" if none.
	desc string
	// parent is the one the turn calls "papa" or "mamma" before its
	// speaker is known, -1 if none.
	parent int
}

// maxWindowTokens caps, per paragraph of look-back, how far context
// searches go, so that a text without paragraph breaks stays linear.
const maxWindowTokens = 600

// Speaker values that are not character IDs.
const (
	noSpeaker  = -1 // unknown
	narratorID = -2 // "said I" before the narrator is known, or outside a first-person book
)

// Attribution confidences, by method. Explicit name tags are nearly always
// right; each inference step away from them loses some certainty.
const (
	confExplicit = 0.95
	confPronoun  = 0.8
	confAdjacent = 0.65
	confContext  = 0.35
)

// segTokens returns the token range [s, e) inside quote segment q.
func (d *doc) segTokens(q int) (int, int) {
	qs := d.quotes[q]
	s := d.tokenFrom(qs.s)
	e := d.tokenFrom(qs.e)
	return s, e
}

// tokenFrom returns the first token starting at or after byte offset off,
// len(d.toks) if none.
func (d *doc) tokenFrom(off int) int {
	return sort.Search(len(d.toks), func(i int) bool { return int(d.toks[i].s) >= off })
}

// buildUtterances groups quote segments into speaker turns. Novels start a
// new paragraph for each new speaker, so one paragraph is one turn.
func (a *analyzer) buildUtterances() {
	d := a.d
	for qi := range d.quotes {
		q := &d.quotes[qi]
		n := len(a.utts)
		if n > 0 {
			last := &a.utts[n-1]
			prev := &d.quotes[last.segs[len(last.segs)-1]]
			if (prev.para == q.para && !d.newSentenceBetween(prev.e, q.s) && !d.interrupted(prev, q) && !a.secondTag(prev, q)) || (prev.contNext && q.contPrev && q.para == prev.para+1) {
				last.segs = append(last.segs, qi)
				last.lastPara = q.para
				q.utt = n - 1
				continue
			}
		}
		q.utt = n
		a.utts = append(a.utts, utterance{segs: []int{qi}, para: q.para, lastPara: q.para,
			tokS: int(d.paras[q.para].tokS), tokE: int(d.paras[q.para].tokE), speaker: -1, addressee: -1, adj: -1, parent: -1})
	}
	// Turns sharing a paragraph share the narration between them: it ends
	// the first (its tag) and leads into the second.
	for i := 1; i < len(a.utts); i++ {
		prev, u := &a.utts[i-1], &a.utts[i]
		if prev.lastPara == u.para {
			// A reply written straight after ("…?" "Oh dear no") is a
			// new speaker.
			u.cont = !d.interrupted(&d.quotes[prev.segs[len(prev.segs)-1]], &d.quotes[u.segs[0]])
			_, pe := d.segTokens(prev.segs[len(prev.segs)-1])
			us, _ := d.segTokens(u.segs[0])
			u.tokS = pe
			prev.tokE = us
		}
	}
}

// storyTurns is how many turns back a tale told over several paragraphs
// looks for an earlier one of the same conversation.
const storyTurns = 3

// resumeTales gives a tale told over several paragraphs, with no tag of
// its own, the teller of the last such tale a few turns before it in the
// same conversation: the listener's interruptions are short ("You fired
// the house!"), and the teller takes the story up again.
func (a *analyzer) resumeTales() {
	for ui := range a.utts {
		u := &a.utts[ui]
		if u.fixed() || u.lastPara == u.para {
			continue
		}
		for j := ui - 1; j >= 0 && j >= ui-storyTurns && a.linked(j, ui, shortNarrationWords); j-- {
			if p := &a.utts[j]; p.lastPara > p.para && p.speaker >= 0 {
				u.speaker, u.method, u.conf = p.speaker, "alternation", p.conf
				break
			}
		}
	}
}

// secondTagWindow bounds how far back from quotation b secondTag reads.
const secondTagWindow = 40

// secondTag reports whether the narration between quotations a and b of
// one sentence tags a's speaker and then leads another person into b:
// "“…,” said Mr. Dale, while Miss Grey, thinking of something else,
// added: “…”". The second clause opens with "while" or "and" and names
// its subject.
func (a *analyzer) secondTag(qa, qb *quoteSeg) bool {
	d := a.d
	s := d.tokenFrom(qa.e)
	e := d.tokenFrom(qb.s) - 1
	if e > s && isQuoteMark(d.word(e)) {
		e--
	}
	if e <= s || d.toks[e].quote >= 0 || !(d.punctIs(e, ":") || d.punctIs(e, ",")) {
		return false
	}
	lo := max(s, e-secondTagWindow)
	// The second speech verb, nearest b.
	v := e - 1
	for v > lo && !(d.isWord(v) && speechVerbs[d.lower(v)]) {
		v--
	}
	if v <= lo {
		return false
	}
	// Its subject, a name, after "while" or "and".
	named := false
	for k := v - 1; k > lo; k-- {
		if !d.isWord(k) {
			continue
		}
		if mi := a.tokMent[k]; mi >= 0 && a.ments[mi].char >= 0 {
			named = true
		}
		switch d.lower(k) {
		case "while", "whilst", "and":
			if !named {
				return false
			}
			// The first speech verb, tagging a.
			for j := k - 1; j >= lo; j-- {
				if d.isWord(j) && speechVerbs[d.lower(j)] {
					return true
				}
			}
			return false
		}
	}
	return false
}

// interrupted reports whether quotation b follows a with no word between:
// one speaker's words are never split into two abutting quotations, so b
// answers or interrupts a ("…?" "Oh dear no"; "…--" "You must have it").
// A quotation set inside a sentence of narration (a title, Schumann's
// "Forest Scenes.") is not a turn and does not count.
func (d *doc) interrupted(a, b *quoteSeg) bool {
	s := d.tokenFrom(a.s)
	if s >= 2 && d.isWord(s-2) && d.toks[s-2].quote < 0 {
		return false
	}
	e := d.tokenFrom(a.e)
	for k := e; k < len(d.toks) && int(d.toks[k].s) < b.s; k++ {
		if d.toks[k].quote < 0 && d.toks[k].kind == tkWord {
			return false
		}
	}
	return true
}

// newSentenceBetween reports whether narration between two quote segments
// (byte offsets) starts a sentence of its own, as in "“…” he replied. A
// short pause followed, and Mrs. Hurst began again: “…”". A tag that merely
// closes the quotation's sentence ("“…,” said she. “…”") does not.
func (d *doc) newSentenceBetween(from, to int) bool {
	s := d.tokenFrom(from)
	for k := s; k < len(d.toks) && int(d.toks[k].s) < to; k++ {
		if d.toks[k].quote < 0 && d.toks[k].kind == tkWord && d.toks[k].flags&fSentStart != 0 {
			return true
		}
	}
	return false
}

// attributeQuotes finds speakers and addressees: it collects each turn's
// evidence (speech tags, vocatives, the narration's subject), decodes every
// conversation, lets a turn split off by an aside inherit its speaker, and
// falls back on recent context for anything left.
func (a *analyzer) attributeQuotes(ctx context.Context) error {
	a.buildUtterances()
	a.tieDescriptions()
	a.narrator = noSpeaker
	a.ageClashes = nil // the cast may have changed since the last attribution
	for ui := range a.utts {
		if ui&0x3ff == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		u := &a.utts[ui]
		u.vocs = a.vocatives(u)
		if sp, method, conf := a.explicitTag(ui); sp != noSpeaker {
			u.speaker, u.method, u.conf = sp, method, conf
		}
		if c := a.tagAddressee(ui); c >= 0 && c != u.speaker && !slices.Contains(u.vocs, c) {
			u.vocs = append(u.vocs, c)
		}
		if c := a.turnedTo(ui); c >= 0 && c != u.speaker && !slices.Contains(u.vocs, c) {
			u.vocs = append(u.vocs, c)
		}
	}
	a.voteDescriptions()
	a.castDescriptions()
	a.tagDescribed()
	if a.firstPerson {
		a.setNarrator()
	}
	for ui := range a.utts {
		a.parentVocatives(ui)
	}
	for ui := range a.utts {
		if u := &a.utts[ui]; !u.fixed() {
			u.adj = a.adjacentActor(ui)
		}
	}
	a.decodeRuns()
	a.resumeTales()
	for ui := range a.utts {
		if u := &a.utts[ui]; u.cont && u.speaker == noSpeaker && a.utts[ui-1].speaker != noSpeaker {
			p := &a.utts[ui-1]
			u.speaker, u.method, u.conf = p.speaker, p.method, p.conf
		}
	}
	for ui := range a.utts {
		u := &a.utts[ui]
		if u.speaker == noSpeaker {
			if sp := a.contextSpeaker(ui); sp >= 0 {
				u.speaker, u.method, u.conf = sp, "context", confContext
			}
		}
	}
	a.addressees()
	for _, u := range a.utts {
		if u.speaker >= 0 {
			a.chars[u.speaker].quotes += len(u.segs)
		}
	}
	return nil
}

// eachTurnMention calls f with every mention that starts inside one of the turn's
// quotations, in order, and the token bounds [s, e) of that quotation.
func (a *analyzer) eachTurnMention(u *utterance, f func(m mention, s, e int)) {
	for _, q := range u.segs {
		s, e := a.d.segTokens(q)
		for k := s; k < e; k++ {
			if mi := a.tokMent[k]; mi >= 0 && int(a.ments[mi].tokS) == k {
				f(a.ments[mi], s, e)
			}
		}
	}
}

// vocatives lists the characters named in direct address inside the turn.
func (a *analyzer) vocatives(u *utterance) []int {
	var out []int
	a.eachTurnMention(u, func(m mention, s, e int) {
		if m.char >= 0 && a.isVocative(m) && !a.bareAnswer(s, e, m) && !a.parentheticalSubject(m) && !slices.Contains(out, m.char) {
			out = append(out, m.char)
		}
	})
	return out
}

// parentheticalSubject reports whether the name m, set off by a comma, is
// the subject of a verb after a parenthesis: “Mr. Martin, I suppose, is not
// a man of information” speaks of Mr. Martin, not to him.
func (a *analyzer) parentheticalSubject(m mention) bool {
	d := a.d
	k := int(m.tokE)
	if !d.punctIs(k, ",") {
		return false
	}
	for j := k + 1; j <= k+5 && j < len(d.toks) && d.toks[j].quote == d.toks[k].quote; j++ {
		if d.isWord(j) {
			continue
		}
		return j > k+1 && d.punctIs(j, ",") && d.isWord(j+1) && d.toks[j+1].quote == d.toks[k].quote && finiteVerbs[d.lower(j+1)]
	}
	return false
}

// bareAnswer reports whether quotation tokens [s, e) are nothing but the
// name m and a full stop or question mark: “Bingley.” answers "What is his
// name?" rather than calling anyone.
func (a *analyzer) bareAnswer(s, e int, m mention) bool {
	d := a.d
	stop := false
	for k := s; k < e; k++ {
		if k >= int(m.tokS) && k < int(m.tokE) {
			continue
		}
		if d.isWord(k) || !d.punctIs(k, ".") && !d.punctIs(k, "?") {
			return false
		}
		stop = true
	}
	return stop
}

// narration returns the token ranges of the paragraph text outside the
// turn's quotations: before the first segment, between segments, and after
// the last, each paired with the segment it follows (-1 for the lead-in).
type narr struct {
	s, e  int
	after int // index in u.segs of the segment this follows; -1 before the first
}

func (a *analyzer) narrations(u *utterance) []narr {
	d := a.d
	var out []narr
	cur, end := u.tokS, u.tokE
	for i, q := range u.segs {
		s, e := d.segTokens(q)
		if d.quotes[q].para != u.para {
			break
		}
		// Skip the opening mark.
		if s-1 >= cur && isQuoteMark(d.word(s-1)) {
			out = append(out, narr{cur, s - 1, i - 1})
		} else {
			out = append(out, narr{cur, s, i - 1})
		}
		cur = e
		if cur < end && d.toks[cur].kind == tkPunct && isQuoteMark(d.word(cur)) {
			cur++
		}
		if i == len(u.segs)-1 || d.quotes[u.segs[i+1]].para != u.para {
			e := end
			if u.lastPara != u.para {
				e = int(d.paras[u.para].tokE)
			}
			out = append(out, narr{cur, e, i})
		}
	}
	return out
}

// explicitTag looks for a speech verb next to the quotation with a name or
// pronoun as its subject: "…," said Elizabeth / she replied, "…".
func (a *analyzer) explicitTag(ui int) (int, string, float64) {
	d := a.d
	u := &a.utts[ui]
	// A lead-in that is a finished sentence ("…, his face almost touched
	// her hair.") is narration, not a tag: a tag after the quotation
	// ("“If not quite!” said Mrs. Sparsit") comes first.
	deferred := narr{after: -1}
	for _, n := range a.narrations(u) {
		if n.e <= n.s {
			continue
		}
		if n.after < 0 && a.sentenceEnd(n.e-1) {
			deferred = n
			continue
		}
		if n.after >= 0 {
			// "“Four o'clock!” was Mr. Weston's quick amendment."
			if c := a.possessiveTag(n.s, n.e); c >= 0 {
				return c, "explicit", confExplicit
			}
			// Narration after a segment: the tag opens it.
			if sp, m, c := a.tagIn(ui, n.s, min(n.e, n.s+12), n.s, true); sp != noSpeaker {
				return sp, m, c
			}
		} else {
			// Lead-in narration: the tag closes it. Only its last sentence
			// counts: a sentence before it tags the turn before ("“…,”
			// said Mr. Dale. And “…,” said Tom.").
			from := n.e - 1
			for from > n.s && from > n.e-maxWindowTokens && d.toks[from-1].sent == d.toks[n.e-1].sent {
				from--
			}
			if sp, m, c := a.tagIn(ui, max(from, n.e-14), n.e, from, false); sp != noSpeaker {
				return sp, m, c
			}
		}
	}
	if deferred.e > deferred.s {
		if sp, m, c := a.tagIn(ui, max(deferred.s, deferred.e-14), deferred.e, deferred.s, false); sp != noSpeaker {
			return sp, m, c
		}
	}
	return a.leadIn(ui)
}

// sentenceEnd reports whether token k is a full stop, question or
// exclamation mark in narration.
func (a *analyzer) sentenceEnd(k int) bool {
	d := a.d
	return k >= 0 && d.toks[k].quote < 0 && (d.punctIs(k, ".") || d.punctIs(k, "?") || d.punctIs(k, "!"))
}

// possessiveTag reads narration [s, e) that opens with "was <name>'s"
// right after a quotation: the quotation was that person's words.
func (a *analyzer) possessiveTag(s, e int) int {
	d := a.d
	if s+2 >= e || !d.isWord(s) || d.lower(s) != "was" {
		return -1
	}
	mi := a.tokMent[s+1]
	if mi < 0 || int(a.ments[mi].tokS) != s+1 {
		return -1
	}
	if end := int(a.ments[mi].tokE); end < e && d.toks[end].kind == tkClitic {
		return a.ments[mi].char
	}
	return -1
}

// tagAddressee returns the character a speech tag says the turn is spoken
// to ("said she to Charlotte"), -1 if none: like a name in direct address,
// the one who should answer.
func (a *analyzer) tagAddressee(ui int) int {
	d := a.d
	for _, n := range a.narrations(&a.utts[ui]) {
		s, e := n.s, min(n.e, n.s+10)
		if n.after < 0 {
			s, e = max(n.s, n.e-14), n.e
		}
		for v := s; v < e; v++ {
			if !d.isWord(v) || !speechVerbs[d.lower(v)] {
				continue
			}
			// Past the speaker ("said Mr. Darcy to her") and an adverb or
			// two, to "to <name>".
			for j := v + 1; j < e-1 && j <= v+6; j++ {
				if mi := a.tokMent[j]; mi >= 0 {
					j = int(a.ments[mi].tokE) - 1
					continue
				}
				if !d.isWord(j) {
					break
				}
				if d.lower(j) == "to" {
					if mi := a.tokMent[j+1]; mi >= 0 {
						return a.ments[mi].char
					}
					break
				}
			}
		}
	}
	return -1
}

// turnedTo returns the character the narration leading into a turn says
// the speaker turns to, looks at or addresses ("…, turned to Frank Churchill. ¶ “Why
// do you smile?” said she."), -1 if none: like a name in direct address,
// the one who should answer. The lead-in is the last sentence of narration
// before the turn's first quotation, in its paragraph or, when the turn
// opens its paragraph, the previous one if that has no quotation.
func (a *analyzer) turnedTo(ui int) int {
	d := a.d
	u := &a.utts[ui]
	s, _ := d.segTokens(u.segs[0])
	e := s - 1 // the opening mark
	if e <= int(d.paras[u.para].tokS) {
		if u.para == 0 || a.paraHasQuote(u.para-1) {
			return -1
		}
		e = int(d.paras[u.para-1].tokE)
	}
	if e <= 0 {
		return -1
	}
	sent := d.toks[e-1].sent
	for k := e - 1; k > 0 && d.toks[k-1].sent == sent && d.toks[k-1].quote < 0; k-- {
		if !d.isWord(k - 1) {
			continue
		}
		switch d.lower(k - 1) {
		case "addressed", "addressing", "accosted", "accosting":
		case "to", "towards", "at":
			if j := k - 2; j < 0 || !d.isWord(j) || !turnVerbs[d.lower(j)] {
				continue
			}
		default:
			continue
		}
		if mi := a.tokMent[k]; mi >= 0 && int(a.ments[mi].tokS) == k {
			return a.ments[mi].char
		}
	}
	return -1
}

// turnVerbs say someone turns to, or looks at, another before speaking.
var turnVerbs = wordSet("turned", "turning", "turns", "round", "again", "back", "looked", "looking", "glanced", "glancing")

// leadInVerbs introduce a quotation from a distance ("he was struck with
// the action..., and called out to her:").
var leadInVerbs = wordSet("said", "called", "began", "observed", "cried", "exclaimed",
	"replied", "answered", "added", "continued", "asked", "returned", "spoke",
	"addressed", "accosted", "remarked", "resumed", "whispered", "thus", "wrote",
	"read", "declared", "inquired", "enquired", "repeated", "rejoined", "saying",
	"calling", "crying", "exclaiming", "replying", "answering", "adding", "asking",
	"observing", "remarking", "whispering", "continuing", "beginning", "returning")

// leadIn handles narration that ends with a colon, comma or dash ("…,
// said--") right before the quotation, in the same paragraph or as the
// whole previous paragraph: the speaker is the agent of "accosted by Miss
// Bingley:" or the subject of the clause holding the speech verb.
func (a *analyzer) leadIn(ui int) (int, string, float64) {
	d := a.d
	u := &a.utts[ui]
	first := u.segs[0]
	s, _ := d.segTokens(first)
	e := s - 1 // the opening mark
	if e <= u.tokS {
		// The quotation opens its paragraph: the previous paragraph may end
		// with the lead-in ("…, when Elizabeth called out:").
		if u.para == 0 {
			return -1, "", 0
		}
		e = int(d.paras[u.para-1].tokE)
	}
	last := e - 1
	if last < 1 || d.toks[last].kind != tkPunct || d.toks[last].quote >= 0 || (d.word(last) != ":" && d.word(last) != "," && !d.isDash(last)) {
		return -1, "", 0
	}
	// Passive agent: "... accosted by Miss Bingley:".
	if mi := a.tokMent[last-1]; mi >= 0 {
		if by := int(a.ments[mi].tokS) - 1; d.isWord(by) && d.lower(by) == "by" && a.ments[mi].char >= 0 {
			return a.ments[mi].char, "explicit", confExplicit
		}
	}
	sent := d.toks[last].sent
	v := -1
	for k := last - 1; k >= 0 && d.toks[k].sent == sent && d.toks[k].quote < 0; k-- {
		if d.isWord(k) && leadInVerbs[d.lower(k)] {
			v = k
			break
		}
	}
	if v < 0 {
		return a.possessedWords(ui, last)
	}
	lo := v
	for lo > 0 && d.toks[lo-1].sent == sent && d.toks[lo-1].quote < 0 {
		lo--
	}
	return a.verbSubject(ui, v, lo)
}

// wordsNouns name what someone says: "his prompt reply was, “…”".
var wordsNouns = wordSet("words", "reply", "answer", "remark", "exclamation", "observation",
	"rejoinder", "response", "retort", "cry", "question", "feelings")

// possessedWords reads a lead-in ending at token last that gives the
// quotation as someone's words: "his next words were, “…”", "the burst of
// Tom's feelings: “…”". The owner, a name with "'s" or his or her, is the
// speaker.
func (a *analyzer) possessedWords(ui, last int) (int, string, float64) {
	d := a.d
	n := last - 1
	if d.isWord(n) && (d.lower(n) == "was" || d.lower(n) == "were") {
		n--
	}
	if !d.isWord(n) || !wordsNouns[d.lower(n)] {
		return -1, "", 0
	}
	// The owner, before the noun and a word or two ("his prompt reply",
	// "Tom's feelings").
	for k := n - 1; k >= n-4 && k >= 0 && d.toks[k].quote < 0; k-- {
		if d.toks[k].kind == tkClitic && k > 0 {
			if mi := a.tokMent[k-1]; mi >= 0 && a.ments[mi].char >= 0 {
				return a.ments[mi].char, "explicit", confExplicit
			}
			return -1, "", 0
		}
		if !d.isWord(k) {
			return -1, "", 0
		}
		switch d.lower(k) {
		case "his":
			a.utts[ui].tagGender = "male"
			return a.resolvePronoun(ui, k, -1, "male"), "pronoun", confPronoun
		case "her":
			a.utts[ui].tagGender = "female"
			return a.resolvePronoun(ui, k, -1, "female"), "pronoun", confPronoun
		}
	}
	return -1, "", 0
}

// subordinators open clauses whose subject is not the speaker's ("when Mary
// had finished her song, said aloud").
var subordinators = wordSet("when", "while", "whilst", "as", "after", "before", "if",
	"though", "although", "since", "until", "till", "because", "that", "whom",
	"whose", "which", "than", "unless", "whether", "where", "and", "but")

// softAdverbs may stand between a subject and its speech verb.
var softAdverbs = wordSet("then", "thus", "now", "again", "also", "presently", "at", "once", "immediately", "only", "still", "soon", "afterwards")

// verbSubject finds the subject of speech verb v, looking no further left
// than token lo. It takes the nearest name, he/she or kinship phrase before
// the verb, skipping objects of prepositions and, when a comma stands right
// before the verb, the comma-delimited phrase it closes ("Mr. Darcy, drawing
// near Elizabeth, said"; "He took the hint, and when Mary had finished her
// song, said aloud"). Failing that, the first such word of the clause.
func (a *analyzer) verbSubject(ui, v, lo int) (int, string, float64) {
	d := a.d
	start := v
	for start > lo && d.toks[start-1].quote < 0 && d.toks[start-1].sent == d.toks[v].sent {
		if p := d.toks[start-1]; p.kind == tkPunct && (d.word(start-1) == ";" || d.word(start-1) == ":") {
			break
		}
		start--
	}
	j := v - 1
	for j > start && d.isWord(j) && (softAdverbs[d.lower(j)] || strings.HasSuffix(d.lower(j), "ly") && a.tokMent[j] < 0) {
		j--
	}
	// A name right before the verb is its subject even after what looks
	// like a preposition ("--for Mr. Weston immediately accosted her").
	if mi := a.tokMent[j]; j >= start && mi >= 0 && a.ments[mi].char >= 0 && !slices.Contains(a.utts[ui].vocs, a.ments[mi].char) {
		return a.ments[mi].char, "explicit", confExplicit
	}
	skipLo, skipHi := -1, -1
	if j > start && d.punctIs(j, ",") {
		// Skip the phrase closed by this comma.
		skipHi = j
		j--
		for j > start && !d.punctIs(j, ",") {
			j--
		}
		skipLo = j
	}
	// "…, and said": a predicate coordinated with an earlier one shares its
	// subject, the nearest one back that is not of a subordinate clause
	// ("Elizabeth saw what he was doing, and said").
	coordinated := d.isWord(j) && (d.lower(j) == "and" || d.lower(j) == "but")
	for ; j >= start; j-- {
		// "Lydia, who, flying to her, cried": the relative pronoun stands
		// for the name before it, even after a preposition.
		if d.isWord(j) && d.lower(j) == "who" && j >= 2 && d.punctIs(j-1, ",") {
			if mi := a.tokMent[j-2]; mi >= 0 && a.ments[mi].char >= 0 && !slices.Contains(a.utts[ui].vocs, a.ments[mi].char) {
				return a.ments[mi].char, "explicit", confExplicit
			}
		}
		if coordinated && a.subordinate(j) {
			continue
		}
		if c, m, conf, ok := a.subjectCandidate(ui, j, v, start); ok {
			return c, m, conf
		}
	}
	for k := start; k < v; k++ {
		if k >= skipLo && k <= skipHi {
			continue
		}
		if mi := a.tokMent[k]; mi >= 0 {
			k = int(a.ments[mi].tokE) - 1
		}
		if c, m, conf, ok := a.subjectCandidate(ui, k, v, start); ok {
			return c, m, conf
		}
	}
	return -1, "", 0
}

// subjectCandidate reads token k as a possible subject of verb v: a name not
// governed by a preposition, he or she, or "his|her <kin>" ending at k.
func (a *analyzer) subjectCandidate(ui, k, v, lo int) (int, string, float64, bool) {
	d := a.d
	if d.toks[k].quote >= 0 {
		return -1, "", 0, false
	}
	if mi := a.tokMent[k]; mi >= 0 {
		m := a.ments[mi]
		if m.char < 0 || a.prepGoverned(int(m.tokS)) || slices.Contains(a.utts[ui].vocs, m.char) {
			return -1, "", 0, false
		}
		return m.char, "explicit", confExplicit, true
	}
	if !d.isWord(k) || a.prepGoverned(k) {
		return -1, "", 0, false
	}
	if lw := d.lower(k); lw == "he" || lw == "she" || lw == "i" {
		c, m, conf := a.subjectAt(ui, k, v)
		return c, m, conf, true
	}
	if _, _, ok := a.kinAt(k - 1); ok && k-1 >= lo && !a.prepGoverned(k-1) {
		c, m, conf := a.subjectAt(ui, k-1, v)
		return c, m, conf, true
	}
	return -1, "", 0, false
}

// subordinate reports whether the name or pronoun at token k is the
// subject of a subordinate clause or the object of a preposition.
func (a *analyzer) subordinate(k int) bool {
	if mi := a.tokMent[k]; mi >= 0 {
		k = int(a.ments[mi].tokS)
	}
	return a.governed(k) || a.d.isWord(k-1) && a.d.lower(k-1) == "what"
}

// prepGoverned reports whether token k follows a preposition.
func (a *analyzer) prepGoverned(k int) bool {
	d := a.d
	p := k - 1
	if p < 0 || !d.isWord(p) {
		return false
	}
	switch d.lower(p) {
	case "to", "at", "with", "of", "for", "by", "from", "on", "upon", "towards", "toward", "about", "than", "near", "into", "like":
		return true
	}
	return false
}

// governed reports whether the word at token k follows a preposition or a
// subordinating conjunction, so cannot be the subject of the main clause.
func (a *analyzer) governed(k int) bool {
	d := a.d
	p := k - 1
	if p < 0 || !d.isWord(p) {
		return false
	}
	lw := d.lower(p)
	switch lw {
	case "to", "at", "with", "of", "for", "by", "from", "on", "upon", "towards", "toward", "about", "than", "near", "into", "like":
		return true
	}
	return subordinators[lw] && lw != "and" && lw != "but"
}

// paraHasQuote reports whether paragraph p contains a quotation.
func (a *analyzer) paraHasQuote(p int) bool {
	d := a.d
	for k := d.paras[p].tokS; k < d.paras[p].tokE; k++ {
		if d.toks[k].quote >= 0 {
			return true
		}
	}
	return false
}

// subjectAt returns the character a name or pronoun at token k designates.
func (a *analyzer) subjectAt(ui, k, v int) (int, string, float64) {
	d := a.d
	if k < 0 || k >= len(d.toks) {
		return -1, "", 0
	}
	if mi := a.tokMent[k]; mi >= 0 {
		if c := a.ments[mi].char; c >= 0 {
			return c, "explicit", confExplicit
		}
		return -1, "", 0
	}
	if !d.isWord(k) {
		return -1, "", 0
	}
	switch d.lower(k) {
	case "i":
		// "said I": the narrator, a character once setNarrator has run in
		// a first-person book; otherwise (a stray "I" in third-person
		// narration) nobody in the cast.
		if a.narrator >= 0 {
			return a.narrator, "narrator", confExplicit
		}
		return narratorID, "narrator", confExplicit
	case "he":
		a.utts[ui].tagGender = "male"
		return a.resolvePronoun(ui, k, v, "male"), "pronoun", confPronoun
	case "she":
		a.utts[ui].tagGender = "female"
		return a.resolvePronoun(ui, k, v, "female"), "pronoun", confPronoun
	}
	if poss, noun, ok := a.kinAt(k); ok {
		return a.resolveKin(ui, k, poss, noun), "kinship", confPronoun
	}
	if w := d.lower(k); (w == "latter" || w == "former") && d.lower(k-1) == "the" {
		if c := a.formerOrLatter(ui, w == "former"); c >= 0 {
			return c, "explicit", confExplicit
		}
	}
	return -1, "", 0
}

// formerOrLatter resolves "said the latter" ("the former") to the last (the
// one before last) of two people named in the narration just before the
// turn: "Mrs. Weston and Miss Bates met them at the door. “…,” said the
// latter." It returns -1 unless the narration names two people.
func (a *analyzer) formerOrLatter(ui int, former bool) int {
	d := a.d
	s, _ := d.segTokens(a.utts[ui].segs[0])
	var named []int
	// Back to the paragraph before, and within the window attribution
	// reads: a paragraph of a thousand quotations naming people, each
	// tagged "said the latter", would otherwise walk its length per tag.
	a.eachMentionBack(s, int(d.toks[s].para), 1, func(m *mention) bool {
		if m.char >= 0 && d.toks[m.tokS].quote < 0 && !slices.Contains(named, m.char) {
			named = append(named, m.char)
		}
		return len(named) == 2
	})
	if len(named) < 2 {
		return -1
	}
	if former {
		return named[1]
	}
	return named[0]
}

// tagIn scans tokens [s, e) for a speech verb and its subject, which may lie
// as far left as subjLo. forward says the range follows the quotation, so
// the first verb is the relevant one.
func (a *analyzer) tagIn(ui, s, e, subjLo int, forward bool) (int, string, float64) {
	d := a.d
	var verbs []int
	for k := s; k < e; k++ {
		if d.toks[k].quote >= 0 {
			break
		}
		if d.isWord(k) && speechVerbs[d.lower(k)] {
			verbs = append(verbs, k)
		}
		// A full stop ends the tag sentence when reading forward.
		if forward && d.toks[k].kind == tkPunct && (d.word(k) == "." || d.word(k) == ";") && k > s {
			break
		}
	}
	if !forward {
		for i, j := 0, len(verbs)-1; i < j; i, j = i+1, j-1 {
			verbs[i], verbs[j] = verbs[j], verbs[i]
		}
	}
	for _, v := range verbs {
		weak := weakSpeechVerbs[d.lower(v)]
		if tellingVerbs[d.lower(v)] {
			// "Anne told Marilla": the one told is the listener; the
			// speaker can only be the subject before the verb.
			if c, m, conf := a.verbSubject(ui, v, max(s, v-3)); c != noSpeaker {
				return c, m, conf
			}
			continue
		}
		// Inverted tag: said Elizabeth / said she / said the Hatter. With
		// its subject right before it ("he asked Fagin") the verb does not
		// invert, and what follows is its object.
		inverted := !a.subjectRightBefore(v)
		k := v + 1
		if d.isWord(k) && (d.lower(k) == "the" || d.lower(k) == "little" || d.lower(k) == "old" || d.lower(k) == "poor" || d.lower(k) == "young") && a.tokMent[k] < 0 {
			k++
		}
		if inverted && a.possessor(k) {
			// "asked Mr. Bumble's good lady": the one possessed speaks;
			// a relative of the owner if the noun is kinship, else
			// someone of the noun's sex.
			owner := a.ments[a.tokMent[k]].char
			for j := int(a.ments[a.tokMent[k]].tokE) + 1; j <= int(a.ments[a.tokMent[k]].tokE)+3 && d.isWord(j); j++ {
				if g := personNouns[d.lower(j)]; g != "" {
					a.utts[ui].tagGender = g
					if _, ok := kinNouns[d.lower(j)]; ok {
						if c := a.relative(owner, d.lower(j)); c >= 0 {
							return c, "kinship", confPronoun
						}
					}
					return noSpeaker, "", 0
				}
			}
		}
		if inverted && (k < e || k < len(d.toks) && a.tokMent[k] >= 0) && !a.possessor(k) {
			if c, m, conf := a.subjectAt(ui, k, v); c != noSpeaker {
				return c, m, conf
			}
		}
		if c := a.givenNameAt(v + 1); inverted && c >= 0 {
			return c, "explicit", confExplicit
		}
		if h := a.descriptionHead(v + 1); inverted && h >= 0 {
			a.utts[ui].desc = d.lower(h)
		}
		if c := a.tiedDescription(v + 1); inverted && c >= 0 {
			return c, "epithet", confPronoun
		}
		// A described speaker ("said the old man", "cried his father"
		// when the family is unknown) tells at least the gender, which
		// then resolves like a pronoun.
		if g := a.describedGender(v + 1); inverted && g != "" {
			a.utts[ui].tagGender = g
			if c := a.theRelative(ui, v+1); c >= 0 {
				return c, "kinship", confPronoun
			}
			if c := a.agedOwner(v+1, g); c >= 0 {
				return c, "epithet", confPronoun
			}
			a.utts[ui].tagAgeClash = a.ageClash(v+1, g)
			return noSpeaker, "", 0
		}
		// Subject before the verb: Elizabeth said / she replied / Mr.
		// Darcy, after a pause, said. A weak verb ("went on") needs its
		// subject right before it.
		lo := subjLo
		if weak {
			lo = max(s, v-3)
		}
		if c, m, conf := a.verbSubject(ui, v, lo); c != noSpeaker {
			return c, m, conf
		}
	}
	return -1, "", 0
}

// tie is a description ("the stranger") in one chapter.
type tie struct {
	chapter int32
	noun    string
}

// tieDescriptions reads where the narration ties a description to a named
// character: by apposition ("Bumble, the beadle," or "the Jew, Fagin,") or
// by a copula ("The stranger was Mr. Fagin."). A description names whom
// the story has just introduced by it, so a tie holds within its chapter,
// and only while it ties the description to one character.
func (a *analyzer) tieDescriptions() {
	d := a.d
	a.chapter = make([]int32, len(d.paras))
	ch := int32(0)
	for p, pr := range d.paras {
		if pr.tokE > pr.tokS {
			// A heading's title may run on below it ("CHAPTER I.\nTREATS
			// OF…").
			first, _, _ := strings.Cut(d.text[d.toks[pr.tokS].s:d.toks[pr.tokE-1].e], "\n")
			if isChapterHeading(strings.TrimRight(first, " \t\r")) {
				ch++
			}
		}
		a.chapter[p] = ch
	}
	a.ties = map[tie]int{}
	add := func(noun string, k, c int) {
		t := tie{a.chapter[d.toks[k].para], noun}
		if old, ok := a.ties[t]; ok && old != c {
			c = -1
		}
		a.ties[t] = c
	}
	punct := func(k int, marks string) bool {
		return k >= 0 && k < len(d.toks) && d.toks[k].kind == tkPunct && d.toks[k].quote < 0 && strings.Contains(marks, d.word(k))
	}
	// noun reports whether token k is a word of narration, not a name: the
	// head of "the Jew".
	noun := func(k int) bool { return d.isWord(k) && d.toks[k].quote < 0 && a.tokMent[k] < 0 }
	the := func(k int) bool { return d.isWord(k) && d.toks[k].quote < 0 && d.lower(k) == "the" }
	// A list ("Noah, the girl, and the Jew") sets no noun beside a name.
	list := func(k int) bool { return d.isWord(k) && (d.lower(k) == "and" || d.lower(k) == "or") }
	for _, m := range a.ments {
		s, e := int(m.tokS), int(m.tokE)
		if m.char < 0 || d.toks[s].quote >= 0 {
			continue
		}
		switch {
		case punct(e, ",") && the(e+1) && noun(e+2) && punct(e+3, ",.;:") && !list(e+4):
			add(d.lower(e+2), s, m.char) // Bumble, the beadle,
		case punct(s-1, ",") && the(s-3) && noun(s-2) && punct(e, ",.;:") && !list(e+1) && (punct(s-4, ",.;:") || d.toks[s-3].flags&fSentStart != 0):
			add(d.lower(s-2), s, m.char) // the Jew, Fagin,
		case s >= 3 && d.isWord(s-1) && (d.lower(s-1) == "was" || d.lower(s-1) == "is") && the(s-3) && noun(s-2) && d.toks[s-3].flags&fSentStart != 0:
			add(d.lower(s-2), s, m.char) // The stranger was Mr. Fagin
		}
	}
}

// tiedDescription returns the character a description at token k ("said
// the beadle", "said the old gentleman") stands for when the chapter, a
// sobriquet or the book ties it to exactly one (see describedChar), -1
// otherwise.
func (a *analyzer) tiedDescription(k int) int {
	d := a.d
	h := a.descriptionHead(k)
	if h < 0 {
		return -1
	}
	return a.describedChar(a.chapter[d.toks[k].para], d.lower(h))
}

// subjectRightBefore reports whether speech verb v directly follows its
// subject: he, she or I, or a name that no preposition governs.
func (a *analyzer) subjectRightBefore(v int) bool {
	d := a.d
	p := v - 1
	if !d.isWord(p) || d.toks[p].quote >= 0 {
		return false
	}
	if mi := a.tokMent[p]; mi >= 0 {
		return !a.prepGoverned(int(a.ments[mi].tokS))
	}
	switch d.lower(p) {
	case "he", "she", "i":
		return true
	}
	return false
}

// possessor reports whether the name at token k owns what follows it
// ("Mr. Bumble's good lady"), so is not itself the one meant.
func (a *analyzer) possessor(k int) bool {
	mi := a.tokMent[k]
	if mi < 0 {
		return false
	}
	n := int(a.ments[mi].tokE)
	return n < len(a.d.toks) && a.d.toks[n].kind == tkClitic
}

// tellingVerbs take the listener as their object and never invert with
// their subject: "…," Anne told Marilla, never "…," told Anne.
var tellingVerbs = wordSet("told", "assured", "informed", "reminded", "bade")

// givenNameAt returns the one character whose given name is the
// capitalised word at token k when no mention covers it: a name that is
// also a common word ("Rose", "Grace", "Will") is not always taken for a
// name, but right after a speech verb ("urged Rose") it can only be the
// speaker. -1 if the word is no character's given name, or several's.
func (a *analyzer) givenNameAt(k int) int {
	d := a.d
	if !d.isWord(k) || a.tokMent[k] >= 0 || d.toks[k].flags&fCap == 0 || d.toks[k].flags&fAmbig != 0 {
		return -1
	}
	lw, found := d.lower(k), -1
	for _, c := range a.chars {
		if c.ent.given == lw {
			if found >= 0 {
				return -1
			}
			found = c.id
		}
	}
	return found
}

// theRelative resolves "said the son" at token k: a narrator names one of
// a family in view by kinship to another of it, as with "said his son", but
// leaves the possessor unsaid, so it is whoever of either gender the
// possessive would refer to and has exactly one such relative; -1 if none
// or the noun is no kinship. "Said their father" names the possessors no
// better, and resolves alike.
func (a *analyzer) theRelative(ui, k int) int {
	d := a.d
	if d.lower(k) != "the" && d.lower(k) != "their" || !d.isWord(k+1) {
		return -1
	}
	// "The lady" is a lady of any family, "his lady" only his wife.
	noun := d.lower(k + 1)
	if _, ok := kinNouns[noun]; !ok || noun == "lady" {
		return -1
	}
	for _, g := range []string{"male", "female"} {
		if c := a.relative(a.referent(ui, k, g), noun); c >= 0 {
			return c
		}
	}
	return -1
}

// personNouns name a person by a gendered description.
var personNouns = map[string]string{
	"man": "male", "gentleman": "male", "boy": "male", "fellow": "male",
	"father": "male", "son": "male", "brother": "male", "husband": "male",
	"uncle": "male", "lad": "male", "youth": "male", "sir": "male",
	"woman": "female", "lady": "female", "girl": "female", "mother": "female",
	"daughter": "female", "sister": "female", "wife": "female", "aunt": "female",
	"maid": "female", "widow": "female", "dame": "female",
	// Callings and ranks whose words name one sex.
	"landlady": "female", "hostess": "female", "matron": "female", "governess": "female",
	"duchess": "female", "countess": "female", "queen": "female", "princess": "female",
	"nun": "female", "actress": "female",
	"clergyman": "male", "landlord": "male", "footman": "male", "coachman": "male",
	"duke": "male", "earl": "male", "king": "male", "prince": "male", "baronet": "male",
	"policeman": "male", "barman": "male", "cabman": "male", "monk": "male",
}

// describedGender reads a noun phrase at token k ("the old man", "his
// sister", "a little girl") and returns the gender of its head noun, "" if
// it is not a gendered description of a person.
func (a *analyzer) describedGender(k int) string {
	d := a.d
	if !d.isWord(k) || a.tokMent[k] >= 0 {
		return ""
	}
	switch d.lower(k) {
	case "the", "a", "an", "his", "her", "their", "this", "that":
	default:
		return ""
	}
	for j := k + 1; j <= k+3 && d.isWord(j) && a.tokMent[j] < 0 && d.toks[j].quote < 0; j++ {
		if g := personNouns[d.lower(j)]; g != "" {
			// "the man's wife": the head is later.
			if j+1 < len(d.toks) && d.toks[j+1].kind == tkClitic {
				return ""
			}
			return g
		}
	}
	return ""
}

// agedOwner returns the character a description "the old man" (at token
// k, of gender g) names when the narrator calls exactly one such character
// "old Mr. Emerson" more than once, and more often than "young Mr.
// Emerson", and likewise for "young"; -1 otherwise.
func (a *analyzer) agedOwner(k int, g string) int {
	d := a.d
	if d.lower(k) != "the" || !d.isWord(k+2) || personNouns[d.lower(k+2)] != g {
		return -1
	}
	age := ageWords[d.lower(k+1)]
	if age == 0 {
		return -1
	}
	owner := -1
	for _, ch := range a.chars {
		if ch.gender != g || ch.ent.id < 0 {
			continue
		}
		for _, f := range ch.ent.forms {
			if f.aged[age] >= 2 && f.aged[age] > f.aged[ageElder+ageYounger-age] {
				if owner >= 0 {
					return -1
				}
				owner = ch.id
				break
			}
		}
	}
	return owner
}

// ageClash returns, for a description "the old man" (or "the young lady")
// at token k of gender g, the characters of that gender the narration calls
// by the opposite age at least twice ("young Oliver", "little Oliver") and
// never by the description's.
func (a *analyzer) ageClash(k int, g string) []int {
	d := a.d
	if d.lower(k) != "the" || !d.isWord(k+1) {
		return nil
	}
	age := ageWords[d.lower(k+1)]
	if age == 0 {
		return nil
	}
	// The answer depends on the age and gender only; a book tags hundreds of
	// lines "said the old man", and each would otherwise read every mention.
	key := ageKey{age, g}
	if out, ok := a.ageClashes[key]; ok {
		return out
	}
	var out []int
	for _, ch := range a.chars {
		if ch.gender != g {
			continue
		}
		same, other := 0, 0
		for _, mi := range ch.ments {
			p := int(a.ments[mi].tokS) - 1
			if !d.isWord(p) {
				continue
			}
			switch w := d.lower(p); {
			case ageWords[w] == age:
				same++
			case ageWords[w] != 0 || w == "little" && age == ageElder:
				other++
			}
		}
		if other >= 2 && same == 0 {
			out = append(out, ch.id)
		}
	}
	if a.ageClashes == nil {
		a.ageClashes = map[ageKey][]int{}
	}
	a.ageClashes[key] = out
	return out
}

// ageKey is an age word's age and a gender, the question ageClash answers.
type ageKey struct {
	age    uint8
	gender string
}

// continuationVerbs say the previous speaker goes on talking.
var continuationVerbs = wordSet("added", "continued", "resumed", "pursued", "repeated", "went", "persisted", "proceeded")

// resolvePronoun finds the character a speech-tag pronoun at token k (with
// speech verb at v, -1 if none) refers to. Candidates of the pronoun's
// gender are scored by salience in the narration of the last paragraphs:
// each name counts, more in subject position and less as a possessor,
// decaying per sentence; each later he/she in narration reinforces the
// character last named as a subject (a pronoun chain keeps the topic); a
// kinship phrase ("his wife") counts for the relative. In a conversation the
// one who spoke two turns ago and whoever the last speaker addressed gain,
// the last speaker loses unless the verb says they go on ("she added"). The
// most mentioned characters get a small prior, since narration follows
// them. People addressed in the quotation itself are excluded.
func (a *analyzer) resolvePronoun(ui, k, v int, gender string) int {
	d := a.d
	para := int(d.toks[k].para)
	lead := a.leadOf(gender)
	// A "he" or "she" with no one named before it stands for the lead of
	// that gender already introduced when that lead is the book's
	// protagonist, whose point of view the narration keeps; otherwise for
	// whoever of that gender the narration named last.
	known := a.introducedLead(k, gender)
	if r := a.recentNarrationMention(k, gender, noSpeaker, 20); r >= 0 && (known != a.protagonist() || !a.namedWithin(known, k, 10) && int(a.ments[a.chars[known].ments[0]].tokS) < k) {
		// Even the protagonist yields to someone else when the story has
		// left them: a chapter that follows another character never names
		// the lead. The title character not yet named in the story is
		// still the "she" of its opening.
		known = r
	}
	// Look back three paragraphs; if nobody of that gender is named there,
	// look further.
	score := a.narrationSalience(k, para-3, gender, known)
	if len(score) == 0 {
		score = a.narrationSalience(k, para-10, gender, known)
	}
	// Earlier participants of the conversation stay candidates even when
	// no narration has named them for a while.
	for j := ui - 1; j >= 0 && j >= ui-8 && a.conversation(j, ui); j-- {
		if c := a.utts[j].speaker; c >= 0 && a.chars[c].gender == gender {
			score[c] += participantSalience
		}
		for _, c := range a.utts[j].vocs {
			if a.chars[c].gender == gender {
				score[c] += participantSalience
			}
		}
	}
	// Narration follows its protagonists: when nobody of the pronoun's
	// gender has been named lately, the most mentioned such character is
	// the candidate, and prominence adds a little to everyone.
	top := 0
	if lead >= 0 {
		top = len(a.chars[lead].ments)
		if len(score) == 0 {
			score[lead] = 0
		}
	}
	for c := range score {
		score[c] += protagonistPrior * float64(len(a.chars[c].ments)) / float64(max(1, top))
	}
	cont := v >= 0 && continuationVerbs[d.lower(v)]
	if ui > 0 && a.conversation(ui-1, ui) {
		p := &a.utts[ui-1]
		if p.speaker >= 0 && a.chars[p.speaker].gender == gender {
			switch {
			case cont && p.lastPara >= a.utts[ui].para-1:
				score[p.speaker] += 2
			case cont:
				// A narration paragraph intervened; it may have moved the
				// topic to someone else.
				score[p.speaker] += 0.5
			default:
				score[p.speaker] -= 1.5
			}
		}
		for _, c := range p.vocs {
			if a.chars[c].gender == gender {
				score[c] += 2
			}
		}
		if ui > 1 && a.conversation(ui-2, ui) {
			if c := a.utts[ui-2].speaker; c >= 0 && c != p.speaker && a.chars[c].gender == gender {
				score[c]++
			}
		}
	} else if ui > 0 && cont && a.utts[ui-1].lastPara >= para-3 {
		if c := a.utts[ui-1].speaker; c >= 0 && a.chars[c].gender == gender {
			score[c]++
		}
	}
	// Nobody addresses, or speaks of, themselves by name; and the narrator
	// is "I", never "he" or "she".
	for _, c := range a.quotedChars(ui) {
		delete(score, c)
	}
	delete(score, a.narrator)
	if c := a.tagObject(k); c >= 0 {
		delete(score, c)
	}
	best, bs, second := -1, 0.0, 0.0
	for c, sc := range score {
		if sc > bs || sc == bs && best >= 0 && c < best {
			best, bs, second = c, sc, bs
		} else if sc > second {
			second = sc
		}
	}
	if bs <= protagonistPrior {
		// Prominence alone is no evidence; the conversation decides.
		return -1
	}
	if v >= 0 {
		a.utts[ui].tagMargin = bs - second
	}
	return best
}

// participantSalience is what each earlier turn of the conversation spoken
// by, or addressed to, a character adds to that character as the referent
// of "said he": twice the protagonist prior, since people talking are more
// likely to go on talking than the book's lead is to walk in.
const participantSalience = 0.6

// protagonistPrior weighs a character's share of the lead's mentions in
// pronoun resolution.
const protagonistPrior = 0.3

// introducedLead returns the most mentioned character of a gender, other
// than the narrator, already named before token k or in the book's title:
// someone the story has not yet introduced is not the "he" of an unnamed
// scene, but the title character may be ("Anne of Green Gables" before
// the child gives her name). -1 if none.
func (a *analyzer) introducedLead(k int, gender string) int {
	top, lead := 0, -1
	for _, c := range a.chars {
		if c.gender == gender && len(c.ments) > top && c.id != a.narrator && (int(a.ments[c.ments[0]].tokS) < k || a.inTitle(c)) {
			top, lead = len(c.ments), c.id
		}
	}
	return lead
}

// inTitle reports whether a name word of the character is in the book's
// title: the first paragraph of the text, up to a "by" before the author.
func (a *analyzer) inTitle(c *charInfo) bool {
	d := a.d
	if len(d.paras) == 0 {
		return false
	}
	for k := int(d.paras[0].tokS); k < int(d.paras[0].tokE) && d.lower(k) != "by"; k++ {
		if !d.isWord(k) {
			continue
		}
		for _, f := range c.ent.forms {
			if slices.Contains(f.lws, d.lower(k)) {
				return true
			}
		}
	}
	return false
}

// protagonist returns the most mentioned character other than the
// narrator, -1 if none.
func (a *analyzer) protagonist() int {
	top, lead := 0, -1
	for _, c := range a.chars {
		if len(c.ments) > top && c.id != a.narrator {
			top, lead = len(c.ments), c.id
		}
	}
	return lead
}

// leadOf returns the most mentioned character of a gender other than the
// narrator, -1 if none.
func (a *analyzer) leadOf(gender string) int {
	top, lead := 0, -1
	for _, c := range a.chars {
		if c.gender == gender && len(c.ments) > top && c.id != a.narrator {
			top, lead = len(c.ments), c.id
		}
	}
	return lead
}

// quotedChars lists the characters named inside the turn's quotations.
func (a *analyzer) quotedChars(ui int) []int {
	var out []int
	for _, q := range a.utts[ui].segs {
		s, e := a.d.segTokens(q)
		for k := s; k < e; k++ {
			// The name a speaker gives as their own ("I am Griffin") is
			// no one else talked of.
			if c, end := a.selfNamed(s, k, e); c >= 0 {
				k = end - 1
				continue
			}
			if mi := a.tokMent[k]; mi >= 0 {
				if c := a.ments[mi].char; c >= 0 && !slices.Contains(out, c) {
					out = append(out, c)
				}
			}
		}
	}
	return out
}

// narrationSalience scores characters of a gender by how salient they are
// in the narration from paragraph fromPara up to token k: each name counts,
// twice in subject position and half as a possessor, decaying by sentence;
// the subject of k's own paragraph gains most; a later he/she reinforces the
// character last named as subject (or the lead, if none was), unless a
// person merely described has since become the subject, or the subject was
// set off as another's ("Jenny, her maid,"); a kinship phrase
// ("his wife") counts for the relative.
func (a *analyzer) narrationSalience(k, fromPara int, gender string, lead int) map[int]float64 {
	d := a.d
	score := map[int]float64{}
	para := int(d.toks[k].para)
	sentK := d.toks[k].sent
	lastSubject := map[string]int{"male": -1, "female": -1}
	decay := func(j int) float64 { return math.Pow(0.7, float64(sentK-d.toks[j].sent)) }
	// Paragraphs can be huge (texts without blank lines); cap the window.
	for j := max(int(d.paras[max(0, fromPara)].tokS), k-maxWindowTokens); j < k; j++ {
		t := &d.toks[j]
		if t.quote >= 0 {
			continue
		}
		if mi := a.tokMent[j]; mi >= 0 {
			m := &a.ments[mi]
			j = int(m.tokE) - 1
			if m.char < 0 {
				continue
			}
			g := a.chars[m.char].gender
			w := decay(j)
			subj := a.subjectPosition(int(mi))
			if subj {
				w *= 2
				if !a.possessedApposition(int(m.tokE), g) {
					lastSubject[g] = m.char
				}
			}
			if int(m.tokE) < len(d.toks) && d.toks[m.tokE].kind == tkClitic {
				w *= 0.5
			}
			if g == gender {
				if int(t.para) == para && subj {
					// The subject of the tag's own paragraph: the strongest
					// cue.
					w += 1.5
				}
				score[m.char] += w
			}
			continue
		}
		if t.kind != tkWord {
			continue
		}
		if c, end := a.describedAt(j); c >= 0 {
			// A description the narration ties to a character ("the
			// Jew") is that character's mention.
			g := a.chars[c].gender
			w := decay(j)
			subj := !a.prepGoverned(j) && (d.toks[j].flags&fSentStart != 0 || d.isWord(end) && (finiteVerbs[d.lower(end)] || strings.HasSuffix(d.lower(end), "ed")))
			if subj {
				w *= 2
				lastSubject[g] = c
			}
			if end < len(d.toks) && d.toks[end].kind == tkClitic {
				w *= 0.5
			}
			if g == gender {
				if int(t.para) == para && subj {
					w += 1.5
				}
				score[c] += w
			}
			j = end - 1
			continue
		}
		switch lw := d.vocab[t.lw]; lw {
		case "the", "a", "an", "this", "that":
			// A person described, not named, as the subject ("The old
			// man turned round") becomes the topic: the he or she that
			// follows is that unnamed person, not whoever was named last.
			// "The old man" may be the one the narrator calls "old Mr.
			// Emerson": then a subject like his name.
			if g, h := a.describedSubject(j); g != "" {
				lastSubject[g] = describedTopic
				if c := a.agedOwner(j, g); c >= 0 {
					lastSubject[g] = c
					if g == gender {
						score[c] += 2 * decay(j)
						if int(t.para) == para {
							score[c] += 1.5
						}
					}
				}
				j = h
			}
		case "he", "she":
			g := "male"
			if lw == "she" {
				g = "female"
			}
			if g != gender {
				continue
			}
			c := lastSubject[g]
			if c == noSpeaker {
				c = lead
			}
			if c >= 0 {
				score[c] += 0.6 * decay(j)
			}
		case "his", "her":
			if _, noun, ok := a.kinAt(j); ok {
				g := "male"
				if lw == "her" {
					g = "female"
				}
				if ref := lastSubject[g]; ref >= 0 {
					if c := a.relative(ref, noun); c >= 0 && a.chars[c].gender == gender {
						score[c] += decay(j)
					}
				}
			}
		}
	}
	return score
}

// possessedApposition reports whether the name ending before token k is
// set off as someone's of its own gender ("Jenny, her maid,"): the one
// whose maid she is stays the topic, and the next "she" is hers.
func (a *analyzer) possessedApposition(k int, g string) bool {
	d := a.d
	if !d.punctIs(k, ",") || !d.isWord(k+1) {
		return false
	}
	switch d.lower(k + 1) {
	case "her":
		return g == "female"
	case "his":
		return g == "male"
	}
	return false
}

// describedTopic marks, in narrationSalience, an unnamed person as the
// current subject of a gender.
const describedTopic = -3

// describedSubject reads a description of a person at token k ("the old
// man", "a lady") and, when it stands in subject position (opening its
// sentence or followed by a finite verb, and governed by no preposition),
// returns its gender and the token of its head noun; "" otherwise.
func (a *analyzer) describedSubject(k int) (string, int) {
	d := a.d
	g := a.describedGender(k)
	if g == "" || a.prepGoverned(k) {
		return "", k
	}
	h := k + 1
	for personNouns[d.lower(h)] != g {
		h++
	}
	first := int(d.sents[d.toks[k].sent].tokS)
	for first < k && !d.isWord(first) {
		first++
	}
	if first == k {
		return g, h
	}
	if d.isWord(h + 1) {
		if lw := d.lower(h + 1); finiteVerbs[lw] || strings.HasSuffix(lw, "ed") {
			return g, h
		}
	}
	return "", k
}

// finiteVerbs commonly follow a subject; with past tenses in -ed they
// reveal a name in subject position anywhere in a sentence.
var finiteVerbs = wordSet("was", "had", "is", "has", "could", "would", "should",
	"might", "must", "will", "did", "does", "came", "went", "said", "saw", "made",
	"took", "gave", "knew", "thought", "felt", "found", "began", "ran", "sat",
	"stood", "rose", "spoke", "told", "heard", "left", "kept", "brought", "got",
	"met", "led", "sent", "wrote", "read", "seemed", "now", "then", "himself",
	"herself", "soon", "immediately", "instantly", "only", "still", "never", "always")

// subjectPosition reports whether mention mi is likely a subject: not the
// object of a preposition, and either the first name of its narration
// sentence, followed by a finite verb ("before Mr. Collins came up"), or
// opening a coordinate clause.
func (a *analyzer) subjectPosition(mi int) bool {
	d := a.d
	m := &a.ments[mi]
	if a.prepGoverned(int(m.tokS)) {
		return false
	}
	if n := int(m.tokE); n < len(d.toks) && d.isWord(n) {
		if lw := d.lower(n); finiteVerbs[lw] || strings.HasSuffix(lw, "ed") {
			return true
		}
	}
	if mi > 0 && d.toks[a.ments[mi-1].tokS].sent == d.toks[m.tokS].sent && d.toks[a.ments[mi-1].tokS].quote < 0 {
		return a.clauseStart(int(m.tokS))
	}
	return true
}

// clauseStart reports whether token k opens a coordinate main clause: after
// a semicolon, "but" or "yet", or ", and" ("Mr. Woodhouse was off; but
// Mr. Knightley sat down again").
func (a *analyzer) clauseStart(k int) bool {
	d := a.d
	p := k - 1
	if d.punctIs(p, ";") {
		return true
	}
	if !d.isWord(p) {
		return false
	}
	switch d.lower(p) {
	case "but", "yet":
		return true
	case "and":
		return d.punctIs(p-1, ",") || d.punctIs(p-1, ";")
	}
	return false
}

// tagObject returns the character named as the object of a speech tag
// ("said she to Charlotte"), -1 if none.
func (a *analyzer) tagObject(k int) int {
	d := a.d
	for j := k + 1; j < len(d.toks) && j <= k+3; j++ {
		if !d.isWord(j) {
			return -1
		}
		if d.lower(j) == "to" && j+1 < len(d.toks) {
			if mi := a.tokMent[j+1]; mi >= 0 {
				return a.ments[mi].char
			}
			return -1
		}
	}
	return -1
}

// recentNarrationMention returns the character of the given gender named
// last in narration before token k, within the last back paragraphs,
// skipping exclude.
func (a *analyzer) recentNarrationMention(k int, gender string, exclude, back int) int {
	d := a.d
	found := -1
	a.eachMentionBack(k, int(d.toks[k].para), back, func(m *mention) bool {
		if m.char < 0 || d.toks[m.tokS].quote >= 0 || m.char == exclude || gender != "" && a.chars[m.char].gender != gender {
			return false
		}
		found = m.char
		return true
	})
	return found
}

// eachMentionBack calls fn on the mentions before token k, the latest
// first, back to the start of the paragraph back paragraphs before para and
// no further than back windows of tokens, until fn returns true.
func (a *analyzer) eachMentionBack(k, para, back int, fn func(m *mention) bool) {
	d := a.d
	limit := max(int(d.paras[max(0, para-back)].tokS), k-maxWindowTokens*back)
	mi := sort.Search(len(a.ments), func(i int) bool { return int(a.ments[i].tokS) >= k }) - 1
	for ; mi >= 0 && int(a.ments[mi].tokS) >= limit; mi-- {
		if fn(&a.ments[mi]) {
			return
		}
	}
}

// namedWithin reports whether character c is named, in narration or talk,
// within the last back paragraphs before token k.
func (a *analyzer) namedWithin(c, k, back int) bool {
	named := false
	a.eachMentionBack(k, int(a.d.toks[k].para), back, func(m *mention) bool {
		named = m.char == c
		return named
	})
	return named
}

// adjacentActor picks the subject of the narration sentence that touches
// the quotation ("Elizabeth smiled. “…”", "“…” Elizabeth looked away."),
// unless that character is being addressed.
func (a *analyzer) adjacentActor(ui int) int {
	d := a.d
	u := &a.utts[ui]
	for _, n := range a.narrations(u) {
		if n.e <= n.s || n.after > 0 {
			continue
		}
		var s, e int
		if n.after < 0 {
			// Last clause of the lead-in.
			sent := d.toks[n.e-1].sent
			s, e = n.s, n.e
			for s < e && d.toks[s].sent != sent {
				s++
			}
			s = lastClause(d, s, e)
		} else {
			sent := d.toks[n.s].sent
			s, e = n.s, n.s
			for e < n.e && d.toks[e].sent == sent {
				e++
			}
		}
		if a.silence(s, e) {
			// "She was still silent. “…”": the one who keeps silent is
			// not the one speaking.
			continue
		}
		if c := a.firstSubject(ui, s, e); c >= 0 {
			return c
		}
	}
	if (ui == 0 || !a.conversation(ui-1, ui)) && u.para > 0 && !a.paraHasQuote(u.para-1) {
		// A turn that opens a conversation right after narration is often
		// spoken by the subject of the narration's last sentence: of its
		// speech verb if it has one ("Mr. Collins began."), else of its
		// last clause.
		p := d.paras[u.para-1]
		last := int(p.tokE) - 1
		s := last
		for s > int(p.tokS) && d.toks[s-1].sent == d.toks[last].sent {
			s--
		}
		for v := last; v >= s; v-- {
			if d.isWord(v) && (leadInVerbs[d.lower(v)] || strongSpeechVerb(d.lower(v))) {
				if c, _, _ := a.verbSubject(ui, v, s); c >= 0 {
					return c
				}
				break
			}
		}
		if c := a.firstSubject(ui, lastClause(d, s, last+1), last+1); c >= 0 {
			return c
		}
	}
	return -1
}

// silentLeadIn returns who the narration leading into a turn, in its own
// paragraph, says keeps silent ("Lucy was silent. “…”"), -1 if none.
func (a *analyzer) silentLeadIn(ui int) int {
	d := a.d
	u := &a.utts[ui]
	s, _ := d.segTokens(u.segs[0])
	if s-1 <= u.tokS {
		return -1
	}
	e := s - 1
	from := e
	for from > u.tokS && d.toks[from-1].sent == d.toks[e-1].sent {
		from--
	}
	if !a.silence(from, e) {
		return -1
	}
	return a.firstSubject(ui, from, e)
}

// silence reports whether narration tokens [s, e) say their subject keeps
// silent: "was silent", "said nothing", "made no answer", "did not reply".
func (a *analyzer) silence(s, e int) bool {
	d := a.d
	for k := s; k < e; k++ {
		if !d.isWord(k) || d.toks[k].quote >= 0 {
			continue
		}
		switch d.lower(k) {
		case "silent", "silence", "ignored":
			return true
		case "nothing":
			if k > s && d.isWord(k-1) && speechVerbs[d.lower(k-1)] {
				return true
			}
		case "answer", "reply", "response", "answered", "replied", "speak", "spoke":
			if k > s && d.isWord(k-1) && (d.lower(k-1) == "no" || d.lower(k-1) == "not") {
				return true
			}
		}
	}
	return false
}

// lastClause returns the start of the last clause (after a semicolon) of
// tokens [s, e).
func lastClause(d *doc, s, e int) int {
	for k := e - 1; k > s; k-- {
		if d.toks[k].kind == tkPunct && d.word(k) == ";" {
			return k + 1
		}
	}
	return s
}

// firstSubject returns the first name or he/she in narration tokens [s, e)
// that is not the object of a preposition nor addressed in the turn.
func (a *analyzer) firstSubject(ui, s, e int) int {
	d := a.d
	u := &a.utts[ui]
	// A he or she heading a subordinate clause ("As he was passing out,
	// Dorian touched him") is the actor only when no main clause names one.
	sub, hasSub := -1, false
	for k := s; k < e; k++ {
		if d.toks[k].quote >= 0 {
			continue
		}
		if mi := a.tokMent[k]; mi >= 0 {
			c := a.ments[mi].char
			k = int(a.ments[mi].tokE) - 1
			if c < 0 || slices.Contains(u.vocs, c) {
				continue
			}
			ps := int(a.ments[mi].tokS) - 1
			if ps >= 0 && d.isWord(ps) {
				switch d.lower(ps) {
				case "to", "at", "with", "of", "for", "by", "from", "on", "upon", "towards":
					continue
				}
			}
			return c
		}
		if c, end := a.describedAt(k); c >= 0 {
			gov := a.prepGoverned(k)
			k = end - 1
			if slices.Contains(u.vocs, c) || gov {
				continue
			}
			return c
		}
		if d.isWord(k) {
			switch d.lower(k) {
			case "he", "she":
				if a.governed(k) {
					if !hasSub {
						sub, hasSub = a.resolvePronoun(ui, k, -1, pronounGender(d.lower(k))), true
					}
					continue
				}
			}
			switch d.lower(k) {
			case "he":
				return a.resolvePronoun(ui, k, -1, "male")
			case "she":
				return a.resolvePronoun(ui, k, -1, "female")
			case "i":
				if a.narrator >= 0 && !a.governed(k) {
					return a.narrator
				}
			}
			if poss, noun, ok := a.kinAt(k); ok && !a.governed(k) {
				return a.resolveKin(ui, k, poss, noun)
			}
		}
	}
	return sub
}

// pronounGender returns the gender of "he" or "she".
func pronounGender(w string) string {
	if w == "she" {
		return "female"
	}
	return "male"
}

// conversation reports whether turns i and j (i < j) belong to one
// exchange: between consecutive turns lies at most one short narration
// paragraph ("Mr. Bennet made no answer.").
func (a *analyzer) conversation(i, j int) bool {
	return a.linked(i, j, shortNarrationWords)
}

// linked reports whether between consecutive turns from i to j lies at
// most one narration paragraph of at most words words.
func (a *analyzer) linked(i, j, words int) bool {
	for k := i; k < j; k++ {
		gap := a.utts[k+1].para - a.utts[k].lastPara - 1
		if gap > 1 || gap == 1 && a.d.paraWords(a.utts[k].lastPara+1) > words {
			return false
		}
	}
	return true
}

// shortNarrationWords is the longest narration paragraph that does not
// interrupt a conversation.
const shortNarrationWords = 30

// sceneNarrationWords is the longest narration paragraph within one scene:
// the conversation decoder reads the turns around it together, so that
// speakers named on one side inform the other, but does not let turn-taking
// run across it.
const sceneNarrationWords = 200

// slot is one turn of a conversation as seen by the alternation rules: a
// quotation turn, or a silent reaction in a short narration paragraph
// ("Mr. Darcy bowed.", "He made no answer.") which also takes a turn.
type slot struct {
	utt     int // index into utts, -1 for a silent reaction
	speaker int
	vocs    []int
	conf    float64
	// scene marks a turn after a long narration paragraph: the exchange
	// may go on, but who speaks next is no longer a matter of turn-taking.
	scene bool
	// mute marks a reaction that says its actor keeps silent ("Lucy was
	// silent."): the turn passes without the actor taking it up.
	mute bool
}

// slots lays out a run, inserting silent reactions whose actor is known.
func (a *analyzer) slots(run []int) []slot {
	var out []slot
	for j, ui := range run {
		scene := false
		if j > 0 {
			if gap := a.utts[ui].para - a.utts[run[j-1]].lastPara - 1; gap == 1 && a.d.paraWords(a.utts[ui].para-1) > shortNarrationWords {
				scene = true
			} else if gap == 1 {
				p := a.utts[ui].para - 1
				if v := a.lastSpeechVerb(p); v >= 0 {
					// "…she went on as before.": not a silent reaction but
					// the lead-in of the next turn.
					if c, _, _ := a.verbSubject(ui, v, int(a.d.paras[p].tokS)); c >= 0 && a.utts[ui].adj < 0 {
						a.utts[ui].adj = c
					}
				} else if c := a.reactionActor(ui, p); c >= 0 {
					out = append(out, slot{utt: -1, speaker: c, conf: confAdjacent})
					if a.utts[ui].adj < 0 {
						a.utts[ui].adj = a.reactionSubject(ui, p)
					}
				}
			}
		}
		u := &a.utts[ui]
		if c := a.silentLeadIn(ui); c >= 0 {
			out = append(out, slot{utt: -1, speaker: c, conf: confAdjacent, mute: true})
		}
		if u.cont && len(out) > 0 && (u.speaker == noSpeaker || u.speaker == out[len(out)-1].speaker) {
			// The same speaker going on after a narrative aside.
			continue
		}
		out = append(out, slot{utt: ui, speaker: u.speaker, vocs: u.vocs, conf: u.conf, scene: scene})
	}
	return out
}

// reactionSubject returns the subject of the last clause of the short
// narration paragraph p just before turn ui, the actor touching the turn
// as in its own paragraph ("Anne knelt at Marilla's knee and looked up
// gravely. “Why must people kneel…”"), -1 if the sentence reports speech
// ("Elizabeth replied very concisely that she was."), whose speaker has
// had the turn, or says its subject keeps silent.
func (a *analyzer) reactionSubject(ui, p int) int {
	d := a.d
	last := int(d.paras[p].tokE) - 1
	s := last
	for s > int(d.paras[p].tokS) && d.toks[s-1].sent == d.toks[last].sent {
		s--
	}
	if a.silence(s, last+1) {
		return -1
	}
	for k := s; k <= last; k++ {
		if d.isWord(k) && speechVerbs[d.lower(k)] {
			return -1
		}
	}
	return a.firstSubject(ui, lastClause(d, s, last+1), last+1)
}

// lastSpeechVerb returns the last verb of going on speaking ("went on",
// "continued", "began") in the last sentence of paragraph p, -1 if none.
func (a *analyzer) lastSpeechVerb(p int) int {
	d := a.d
	last := int(d.paras[p].tokE) - 1
	for k := last; k >= int(d.paras[p].tokS) && d.toks[k].sent == d.toks[last].sent; k-- {
		if !d.isWord(k) || d.toks[k].quote >= 0 {
			continue
		}
		switch lw := d.lower(k); {
		case lw == "went" && d.isWord(k+1) && d.lower(k+1) == "on",
			lw == "continued", lw == "resumed", lw == "added", lw == "began", lw == "proceeded":
			return k
		}
	}
	return -1
}

// reactionActor returns who acts in the short narration paragraph p placed
// just before turn ui: its first name, or its leading pronoun resolved as
// in a speech tag.
func (a *analyzer) reactionActor(ui, p int) int {
	d := a.d
	for k := int(d.paras[p].tokS); k < int(d.paras[p].tokE); k++ {
		if mi := a.tokMent[k]; mi >= 0 {
			return a.ments[mi].char
		}
		if c, _ := a.describedAt(k); c >= 0 {
			return c
		}
		if d.isWord(k) {
			switch d.lower(k) {
			case "he":
				return a.resolvePronoun(ui, k, -1, "male")
			case "she":
				return a.resolvePronoun(ui, k, -1, "female")
			case "i":
				if a.narrator >= 0 {
					return a.narrator
				}
			}
			if poss, noun, ok := a.kinAt(k); ok && !a.governed(k) {
				return a.resolveKin(ui, k, poss, noun)
			}
		}
	}
	return -1
}

// conversations groups turns into runs of one scene.
func (a *analyzer) conversations() [][]int {
	var out [][]int
	var cur []int
	for i := range a.utts {
		if len(cur) > 0 && !a.linked(i-1, i, sceneNarrationWords) {
			out = append(out, cur)
			cur = nil
		}
		cur = append(cur, i)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// contextSpeaker is the last resort: the most recently named character in
// the narration just before the turn who is neither the previous speaker
// nor addressed.
func (a *analyzer) contextSpeaker(ui int) int {
	d := a.d
	u := &a.utts[ui]
	prev := -1
	if ui > 0 && a.conversation(ui-1, ui) {
		prev = a.utts[ui-1].speaker
	}
	found := -1
	a.eachMentionBack(u.tokS, u.para, 2, func(m *mention) bool {
		if m.char < 0 || d.toks[m.tokS].quote >= 0 || m.char == prev || slices.Contains(u.vocs, m.char) {
			return false
		}
		found = m.char
		return true
	})
	return found
}

// addressees sets each turn's addressee: a vocative, else the other party
// of the exchange.
func (a *analyzer) addressees() {
	n := len(a.utts)
	for i := range a.utts {
		u := &a.utts[i]
		for _, v := range u.vocs {
			if v != u.speaker {
				u.addressee = v
				break
			}
		}
		if u.addressee >= 0 || u.speaker < 0 {
			continue
		}
		if i > 0 && a.conversation(i-1, i) && a.utts[i-1].speaker >= 0 && a.utts[i-1].speaker != u.speaker {
			u.addressee = a.utts[i-1].speaker
		} else if i+1 < n && a.conversation(i, i+1) && a.utts[i+1].speaker >= 0 && a.utts[i+1].speaker != u.speaker {
			u.addressee = a.utts[i+1].speaker
		}
	}
}
