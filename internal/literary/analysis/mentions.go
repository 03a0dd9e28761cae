package analysis

import (
	"maps"
	"math"
	"slices"
	"sort"
	"strings"
)

// mention is one resolved occurrence of a character's name.
type mention struct {
	tokS, tokE int32
	ent        int // clusterer entity
	char       int // Character.ID, -1 if the entity was not kept
	form       *form
}

// charInfo is the working record of a reported character.
type charInfo struct {
	id      int
	ent     *entity
	name    string
	aliases []string
	ments   []int // indices into analyzer.ments
	gender  string
	quotes  int
	// desc is the description a character known by no name goes by
	// ("mariner"), and descToks where the narration uses it: their
	// mentions (see castDescriptions).
	desc     string
	descToks []int
}

type analyzer struct {
	d       *doc
	c       *clusterer
	runs    []nameRun
	opt     Options
	ments   []mention
	tokMent []int32 // token → mention index, -1 outside names
	chars   []*charInfo
	entChar map[int]int // surviving entity id → Character.ID

	utts   []utterance
	family map[int]string // inferred surnames of given-name-only characters

	// ties gives a description of one chapter ("the Jew", "the
	// stranger") the one character the narration ties it to, -1 where it
	// ties it to several; chapter numbers each paragraph's chapter.
	ties    map[tie]int
	chapter []int32

	ageClashes map[ageKey][]int // ageClash's answers, by age and gender

	firstPerson bool // the narration says "I"
	narrator    int  // the narrator's Character.ID once known, else noSpeaker
}

// resolveMentions turns name runs into mentions of (surviving) entities.
func (a *analyzer) resolveMentions() {
	a.ments = a.ments[:0]
	if a.tokMent == nil {
		a.tokMent = make([]int32, len(a.d.toks))
	}
	for i := range a.tokMent {
		a.tokMent[i] = -1
	}
	for i := range a.runs {
		r := &a.runs[i]
		if r.place {
			continue
		}
		f := a.c.forms[r.key()]
		if f == nil || (f.entity < 0 && !bareTitle(f)) {
			continue
		}
		// A bare title no one owns outright ("the Doctor" among several
		// doctors) waits for resolveHeadNouns.
		ent := a.c.resolve(f.entity)
		a.ments = append(a.ments, mention{tokS: r.tokS, tokE: r.tokE, ent: ent, char: -1, form: f})
	}
	a.resolveHeadNouns()
	kept := a.ments[:0]
	for _, m := range a.ments {
		if m.ent >= 0 {
			kept = append(kept, m)
		}
	}
	a.ments = kept
	for i, m := range a.ments {
		for k := m.tokS; k < m.tokE; k++ {
			a.tokMent[k] = int32(i)
		}
	}
}

// titleKey keys a title's class apart from the name words of resolveHeadNouns.
func titleKey(f *form) string { return "\x00" + honorifics[f.hon].class }

// bareTitle reports whether f is a title used alone as a name ("the
// Colonel").
func bareTitle(f *form) bool { return f.hon != "" && len(f.words) == 0 }

// resolveHeadNouns gives a bare head noun ("the Ghost", "the Spirit") to
// the figure last named with it, or a synonym of it, and an "of" complement
// ("the Ghost of Christmas Present") in the same chapter: several figures
// share the noun, and the story names each as it enters. Likewise a bare
// title ("the Doctor", "the Colonel") is the person last named with it in
// the chapter, the one the narrator has just tied it to.
func (a *analyzer) resolveHeadNouns() {
	d := a.d
	head := func(w string) string {
		if spiritNouns[w] {
			return "ghost"
		}
		return w
	}
	last := map[string]int{}   // head noun → entity of the latest figure named with it
	holder := map[string]int{} // title → entity the bare title last went to
	seen := map[int]int{}      // entity → mentions so far
	para := int32(-1)
	for i := range a.ments {
		m := &a.ments[i]
		for p := d.toks[m.tokS].para; para < p; {
			para++
			pr := d.paras[para]
			if pr.tokE > pr.tokS && isChapterHeading(d.text[d.toks[pr.tokS].s:d.toks[pr.tokE-1].e]) {
				clear(last)
				clear(holder)
			}
		}
		f := m.form
		switch {
		case bareTitle(f):
			k := titleKey(f)
			if e, ok := last[k]; ok {
				m.ent = e
				// A passing holder of the title ("the Bishop of Grasse
				// wrote to him") does not take it from the one the story
				// has been calling so.
				if h, ok := holder[k]; ok && h != e && 2*seen[e] < seen[h] {
					m.ent = h
				}
			}
			if m.ent >= 0 {
				holder[k] = m.ent
			}
		case f.hon != "":
			last[titleKey(f)] = m.ent
		case ofForm(f):
			last[head(f.lws[0])] = m.ent
		case len(f.lws) == 1:
			if e, ok := last[head(f.lws[0])]; ok {
				m.ent = e
			}
		}
		if m.ent >= 0 {
			seen[m.ent]++
		}
	}
}

// marriageWords mark the sentences that announce a wedding.
var marriageWords = wordSet("marry", "married", "marrying", "marriage", "wedding",
	"wedded", "engaged", "engagement", "bride", "husband", "wife", "union")

// mergeMarriedNames joins "Mrs. <Surname>" to the woman who became her: a
// woman who, before "Mrs. X" first appears, is named in a sentence about
// marriage together with Mr. X, and who is named in the paragraphs about
// Mrs. X far more often than her overall frequency predicts, or who is
// already known by a full name with X (see renamedFullNames).
func (a *analyzer) mergeMarriedNames() {
	c := a.c
	first := map[int]int32{}
	paraEnts := map[int]map[int32]bool{}
	entMents := map[int][]int{} // indices into a.ments, in text order
	for i, m := range a.ments {
		if _, ok := first[m.ent]; !ok {
			first[m.ent] = m.tokS
		}
		entMents[m.ent] = append(entMents[m.ent], i)
		p := a.d.toks[m.tokS].para
		if paraEnts[m.ent] == nil {
			paraEnts[m.ent] = map[int32]bool{}
		}
		paraEnts[m.ent][p] = true
	}
	// Sentences mentioning marriage, with the entities they name.
	type sentInfo struct{ ents map[int]bool }
	marriageSents := map[int32]*sentInfo{}
	for i := range a.d.toks {
		t := &a.d.toks[i]
		if t.kind == tkWord && marriageWords[a.d.vocab[t.lw]] {
			if marriageSents[t.sent] == nil {
				marriageSents[t.sent] = &sentInfo{ents: map[int]bool{}}
			}
		}
	}
	for _, m := range a.ments {
		if si := marriageSents[a.d.toks[m.tokS].sent]; si != nil {
			si.ents[m.ent] = true
		}
	}
	// Read once, in text order: the sentences about marriage that name each
	// entity (sentsOf), those entities (inNews, in entity order), and where
	// one is first named in such a sentence beside a man of a surname
	// (wedAt). Scanning every such sentence per pair of names made a text of
	// many would-be brides and married names cost its size cubed.
	order := slices.Sorted(maps.Keys(marriageSents))
	sentsOf := map[int][]int32{}
	type wedKey struct {
		ent     int
		surname string
	}
	wedAt := map[wedKey]int32{}
	for _, s := range order {
		si := marriageSents[s]
		for e := range si.ents {
			sentsOf[e] = append(sentsOf[e], s)
		}
		for h := range si.ents {
			if H := c.ents[h]; H.gender == "male" && H.surname != "" {
				for w := range si.ents {
					if k := (wedKey{w, H.surname}); w != h {
						if _, ok := wedAt[k]; !ok {
							wedAt[k] = a.d.sents[s].tokS
						}
					}
				}
			}
		}
	}
	var inNews []*entity
	for _, e := range c.ents {
		if len(sentsOf[e.id]) > 0 {
			inNews = append(inNews, e)
		}
	}
	// wed reports whether a sentence starting before token limit names W
	// and a man of the surname in a sentence about marriage.
	wed := func(W *entity, surname string, limit int32) bool {
		t, ok := wedAt[wedKey{W.id, surname}]
		return ok && t < limit
	}
	took := a.renamedFullNames(first, wed, inNews)
	nParas := float64(len(a.d.paras))
	// A candidate pairs a married name M with a woman W named before it
	// beside a man of its surname in news of a marriage.
	type candidate struct {
		M, W    *entity
		lift    float64 // how much more W is named in M's paragraphs than usual
		took    bool    // W already bears a full name with M's surname
		dropped bool    // W's surname fell out of use as M came in
	}
	var cands []candidate
	men := map[string][]int{} // surname → the men bearing it
	for _, H := range c.ents {
		if H.merged < 0 && H.gender == "male" && H.surname != "" {
			men[H.surname] = append(men[H.surname], H.id)
		}
	}
	bestLift := map[int]float64{} // W → her highest lift with any married name
	surnamed := map[int][]int32{} // W → where she is named by her surname
	for _, M := range c.ents {
		if M.merged >= 0 || M.kind != entHon || !M.hasHonClass("Mrs") || M.surname == "" {
			continue
		}
		firstM, ok := first[M.id]
		if !ok {
			continue
		}
		husbands := map[int]bool{}
		for _, h := range men[M.surname] {
			if h != M.id {
				husbands[h] = true
			}
		}
		if len(husbands) == 0 {
			continue
		}
		ms := entMents[M.id]
		arrival := a.ments[ms[len(ms)/10]].tokS
		// Only a woman named in news of a marriage has the evidence asked.
		for _, W := range inNews {
			if W.merged >= 0 || W.id == M.id || W.gender != "female" || W.married() || W.surname == M.surname {
				continue
			}
			fw, ok := first[W.id]
			if !ok || fw >= firstM {
				continue
			}
			if took[W.id] == M.surname {
				cands = append(cands, candidate{M: M, W: W, took: true})
				continue
			}
			evidence := false
			for _, s := range sentsOf[W.id] {
				si := marriageSents[s]
				if a.d.sents[s].tokS >= firstM {
					break
				}
				// The husband may be named beside the news or just around
				// it: "...that he was going to be married to a Miss
				// Hawkins." "Mr. Elton going to be married!"
				p := a.d.toks[a.d.sents[s].tokS].para
				for h := range husbands {
					if si.ents[h] || paraEnts[h][p-1] || paraEnts[h][p] || paraEnts[h][p+1] {
						evidence = true
						break
					}
				}
				if evidence {
					break
				}
			}
			if !evidence {
				continue
			}
			both := 0
			for p := range paraEnts[M.id] {
				if paraEnts[W.id][p] {
					both++
				}
			}
			if both == 0 {
				continue
			}
			pm := float64(len(paraEnts[M.id]))
			pw := float64(len(paraEnts[W.id]))
			lift := (float64(both) / pm) / (pw / nParas)
			bestLift[W.id] = max(bestLift[W.id], lift)
			if _, ok := surnamed[W.id]; !ok {
				surnamed[W.id] = a.surnameTokens(entMents[W.id], W.surname)
			}
			cands = append(cands, candidate{M: M, W: W, lift: lift, dropped: maidenDropped(surnamed[W.id], len(entMents[W.id]), arrival)})
		}
	}
	// Each married name takes the woman most clearly tied to it: one
	// already bearing the surname, else one named in its paragraphs three
	// times more than usual, else one whose maiden name the story dropped
	// as the wife came in ("Miss Hawkins" before "Mrs. Elton"), however
	// seldom the two share a paragraph, if no other married name is tied
	// to her more closely ("Miss Taylor" is Mrs. Weston, not Mrs. Elton).
	score := func(k candidate) float64 {
		switch {
		case k.took:
			return math.Inf(1)
		case k.lift >= 3:
			return k.lift
		case k.dropped && k.lift >= bestLift[k.W.id]:
			return 3
		}
		return 0
	}
	for i := 0; i < len(cands); {
		M := cands[i].M
		var best *candidate
		for ; i < len(cands) && cands[i].M == M; i++ {
			if k := &cands[i]; score(*k) > 0 && (best == nil || score(*k) > score(*best)) {
				best = k
			}
		}
		if best != nil && M.merged < 0 && best.W.merged < 0 {
			c.merge(M, best.W)
			if !best.took && best.lift < 3 {
				// Her maiden name out of use, she goes by his surname,
				// which "his wife" looks for.
				c.setNames(best.W, "", M.surname)
			}
		}
	}
	a.marriedByName(first)
}

// maidenDropped reports whether a woman whose mentions (n in all) name her
// surname at the sorted tokens byName, at least three times and in most
// mentions, was named so at most a fifth of those times from token limit
// on: she was known by it, and then no longer.
func maidenDropped(byName []int32, n int, limit int32) bool {
	k, _ := slices.BinarySearch(byName, limit)
	return len(byName) >= 3 && 2*len(byName) >= n && 5*(len(byName)-k) <= len(byName)
}

// surnameTokens returns the first tokens of the mentions ms (indices into
// a.ments, in text order) that name the surname, in order.
func (a *analyzer) surnameTokens(ms []int, surname string) []int32 {
	var out []int32
	for _, mi := range ms {
		if m := &a.ments[mi]; surname != "" && slices.Contains(m.form.lws, surname) {
			out = append(out, m.tokS)
		}
	}
	return out
}

// marriedByName joins "Mrs. <Surname>" to the woman the narration says a
// man of that surname married, in so many words ("Mr. Bumble had married
// Mrs. Corney"), when "Mrs. <Surname>" is first named after it. A widow
// ("Mrs. Corney") is no exception: the sentence says whose wife she became.
func (a *analyzer) marriedByName(first map[int]int32) {
	d, c := a.d, a.c
	for i := 1; i < len(a.ments); i++ {
		h, w := &a.ments[i-1], &a.ments[i]
		if d.toks[h.tokS].quote >= 0 || d.toks[h.tokS].sent != d.toks[w.tokS].sent {
			continue
		}
		k := int(h.tokE)
		if d.lower(k) == "had" || d.lower(k) == "has" {
			k++
		}
		if d.lower(k) != "married" || k+1 != int(w.tokS) {
			continue
		}
		if end := int(w.tokE); end < len(d.toks) && d.isWord(end) {
			continue
		}
		H, W := c.ents[c.resolve(h.ent)], c.ents[c.resolve(w.ent)]
		if H.gender != "male" || H.surname == "" || W.gender != "female" || W.surname == H.surname {
			continue
		}
		M := c.byHon["Mrs "+H.surname]
		if M == nil || M.merged >= 0 || M == W {
			continue
		}
		if fm, ok := first[M.id]; !ok || fm <= w.tokE {
			continue
		}
		c.merge(M, W)
		// She now goes by his surname, which "his wife" looks for.
		c.setNames(W, "", H.surname)
	}
}

// renamedFullNames joins a woman's full name under a man's surname ("Loo
// Bounderby") to the woman known before by the same given name under
// another ("Loo Gradgrind", "Louisa"), when a sentence about marriage
// names her with a man of that surname before the new name appears: she
// married him and took his name. It returns, by surviving entity, the
// surname so taken. inNews are the entities named in news of a marriage,
// the only ones wed can find married.
func (a *analyzer) renamedFullNames(first map[int]int32, wed func(*entity, string, int32) bool, inNews []*entity) map[int]string {
	c := a.c
	took := map[int]string{}
	for _, N := range c.ents {
		// One regularly called Miss under that name has not married into it
		// (a slip of the tongue aside).
		if N.merged >= 0 || N.kind != entFull || N.gender != "female" || N.given == "" || N.surname == "" || 3*N.hons["Miss"] >= N.count() {
			continue
		}
		fn, ok := first[N.id]
		if !ok {
			continue
		}
		var pick *entity
		for _, W := range inNews {
			if W.merged >= 0 || W == N || W.gender != "female" || W.surname == N.surname || !givenNamed(W, N.given) {
				continue
			}
			if fw, ok := first[W.id]; !ok || fw >= fn || !wed(W, N.surname, fn) {
				continue
			}
			if pick != nil {
				pick = nil
				break
			}
			pick = W
		}
		if pick != nil {
			c.merge(N, pick)
			took[pick.id] = N.surname
		}
	}
	return took
}

// givenNamed reports whether one of e's names opens with the given name g
// or a familiar or formal form of it.
func givenNamed(e *entity, g string) bool {
	for _, f := range e.forms {
		if len(f.lws) == 0 {
			continue
		}
		w := f.lws[0]
		if w == g || slices.Contains(diminutives[g], w) || slices.Contains(diminutives[w], g) {
			return true
		}
	}
	return false
}

// cues count how person-like an entity is. Titles, speech tags, verbs of
// action and being addressed count for a person; place prepositions ("at
// Netherfield") and membership in place names count against; "the" before
// the name is tallied because "the X" names things as often as characters,
// and so are the determiners a person's name seldom takes ("her Baedeker",
// "a Baedeker"), which name an object.
type cues struct{ person, place, hon, the, det int }

func (a *analyzer) computeCues() map[int]*cues {
	d := a.d
	out := map[int]*cues{}
	placeWords := map[string]int{}
	for i := range a.runs {
		if a.runs[i].place {
			for _, w := range a.runs[i].words {
				placeWords[strings.ToLower(w)]++
			}
		}
	}
	for _, m := range a.ments {
		cu := out[m.ent]
		if cu == nil {
			cu = &cues{}
			out[m.ent] = cu
		}
		if m.form.hon != "" {
			cu.hon++
			cu.person++
			continue
		}
		prev, next := int(m.tokS)-1, int(m.tokE)
		object := false // the name is a preposition's object, not a subject
		if d.isWord(prev) {
			lw := d.lower(prev)
			if objectDeterminers[lw] {
				cu.det++
			}
			if lw == "the" {
				cu.the++
				// "said the Hatter": look past the article.
				if d.isWord(prev - 1) {
					lw = d.lower(prev - 1)
				}
				// "After the Mayflowers came the violets."
				object = lw == "after"
			}
			object = object || objectPrepositions[lw]
			if strongSpeechVerb(lw) {
				cu.person++
			} else if placePrepositions[lw] || lw == "from" {
				cu.place++
			}
		}
		if d.isWord(next) && !object {
			lw := d.lower(next)
			if actionVerbs[lw] || strongSpeechVerb(lw) {
				cu.person++
			}
		}
		if a.isVocative(m) {
			cu.person++
		}
	}
	for id, cu := range out {
		e := a.c.ents[id]
		for _, f := range e.forms {
			if f.hon == "" && len(f.lws) == 1 {
				cu.place += placeWords[f.lws[0]]
			}
		}
	}
	return out
}

// mentionFrom returns the index, in character c's mentions (in text
// order), of the first at or after token k; len if none.
func (a *analyzer) mentionFrom(c, k int) int {
	ms := a.chars[c].ments
	return sort.Search(len(ms), func(i int) bool { return int(a.ments[ms[i]].tokS) >= k })
}

// besideSpeechVerb reports whether a speech verb that tags a speaker stands
// just before or after mention m ("said Spyers", "Spyers said").
func (a *analyzer) besideSpeechVerb(m mention) bool {
	d := a.d
	s, e := int(m.tokS), int(m.tokE)
	return d.isWord(s-1) && strongSpeechVerb(d.lower(s-1)) || d.isWord(e) && strongSpeechVerb(d.lower(e))
}

// isVocative reports whether a mention inside a quotation addresses someone.
func (a *analyzer) isVocative(m mention) bool { return a.tokenVocative(int(m.tokS), int(m.tokE)) }

// tokenVocative reports whether the name at tokens [s, e) inside a
// quotation is in direct address: it follows the opening mark, a comma, a
// dash or "dear"/"oh", and is followed by punctuation or the closing mark.
func (a *analyzer) tokenVocative(s, e int) bool {
	d := a.d
	q := d.toks[s].quote
	if q < 0 {
		return false
	}
	before := s - 1
	for before >= 0 && d.isWord(before) && (d.lower(before) == "dear" || d.lower(before) == "my" || d.lower(before) == "dearest" || d.lower(before) == "oh" || d.lower(before) == "o" || d.lower(before) == "poor") {
		before--
	}
	okBefore := before < 0 || d.toks[before].quote != q || (d.toks[before].kind == tkPunct && (d.word(before) == "," || d.isDash(before) || d.word(before) == "!" || d.word(before) == "."))
	if before < s-1 && d.isWord(before+1) && d.lower(before+1) != "poor" {
		okBefore = true
	}
	if !okBefore || d.scareQuoted(s) {
		return false
	}
	if e >= len(d.toks) || d.toks[e].quote != q {
		return true
	}
	if a.echo(s, e) {
		return false
	}
	if d.toks[e].kind != tkPunct {
		return false
	}
	switch d.word(e) {
	case ",", "!", "?", ".", ";":
		return true
	}
	return d.isDash(e)
}

// echo reports whether the name at tokens [s, e) is a whole quotation that
// asks back the word the previous quotation ended on ("…first at
// Chesilstowe." "Chesilstowe?"): a word repeated, not someone addressed.
func (a *analyzer) echo(s, e int) bool {
	d := a.d
	q := int(d.toks[s].quote)
	if q == 0 || s > 0 && d.toks[s-1].quote == int32(q) || !d.punctIs(e, "?") || e+1 < len(d.toks) && d.toks[e+1].quote == int32(q) {
		return false
	}
	ps, pe := d.segTokens(q - 1)
	for k := pe - 1; k >= ps; k-- {
		if d.isWord(k) {
			return d.lower(k) == d.lower(e-1)
		}
	}
	return false
}

// scareQuoted reports whether the word at token s opens its quotation
// right after an article outside it (found themselves in the "Avenue."):
// a name set off as a term, not someone addressed.
func (d *doc) scareQuoted(s int) bool {
	q := d.toks[s].quote
	k := s - 1
	for k >= 0 && k >= s-2 && !d.isWord(k) {
		if d.toks[k].quote == q && d.toks[k].kind != tkPunct {
			return false
		}
		k--
	}
	if k < 0 || !d.isWord(k) || d.toks[k].quote == q {
		return false
	}
	lw := d.lower(k)
	return lw == "the" || lw == "a" || lw == "an"
}

// pronounGender tallies the first personal pronoun after each narration
// mention (in the same or next sentence, before another name) to learn each
// entity's gender.
func (a *analyzer) pronounGender() map[int][2]int {
	d := a.d
	out := map[int][2]int{}
	for _, m := range a.ments {
		if d.toks[m.tokS].quote >= 0 {
			continue
		}
		sent := d.toks[m.tokS].sent
		for k := int(m.tokE); k < len(d.toks) && k < int(m.tokE)+40; k++ {
			t := &d.toks[k]
			if t.sent > sent+1 || t.para != d.toks[m.tokS].para || a.tokMent[k] >= 0 {
				break
			}
			if t.kind != tkWord || t.quote >= 0 {
				continue
			}
			lw := d.vocab[t.lw]
			c := out[m.ent]
			if malePronouns[lw] {
				c[0]++
				out[m.ent] = c
				break
			}
			if femalePronouns[lw] {
				c[1]++
				out[m.ent] = c
				break
			}
		}
	}
	return out
}

// selectCharacters keeps the person-like entities with enough mentions,
// settles their gender and names, and numbers them by mention count.
func (a *analyzer) selectCharacters() {
	counts := map[int]int{}
	for _, m := range a.ments {
		counts[m.ent]++
	}
	cu := a.computeCues()
	pg := a.pronounGender()
	figures := a.notInStory()
	var kept []*entity
	for id, n := range counts {
		e := a.c.ents[id]
		if n < a.opt.MinMentions || figures[id] {
			continue
		}
		k := cu[id]
		if k == nil || k.person == 0 {
			continue
		}
		// Titled names are people; otherwise demand that person cues are
		// not swamped by place cues.
		if k.hon*5 < n && k.place > 2*k.person {
			continue
		}
		// "the X" names things ("the Lakes") as often as characters ("the
		// Hatter"); only the latter speak and act often.
		if k.the*2 > n && k.person*5 < n {
			continue
		}
		if k.hon == 0 && k.det >= 3 && 4*k.det >= n && k.det > 3*k.person {
			continue
		}
		kept = append(kept, e)
	}
	sort.Slice(kept, func(i, j int) bool {
		ci, cj := counts[kept[i].id], counts[kept[j].id]
		if ci != cj {
			return ci > cj
		}
		return kept[i].id < kept[j].id
	})
	if len(kept) > a.opt.MaxCharacters {
		kept = kept[:a.opt.MaxCharacters]
	}
	a.entChar = map[int]int{}
	a.family = map[int]string{}
	a.chars = make([]*charInfo, len(kept))
	for i, e := range kept {
		a.entChar[e.id] = i
		ci := &charInfo{id: i, ent: e}
		ci.gender = a.settleGender(e, pg[e.id])
		ci.name, ci.aliases = canonicalName(e)
		a.chars[i] = ci
	}
	for i := range a.ments {
		m := &a.ments[i]
		if id, ok := a.entChar[m.ent]; ok {
			m.char = id
		}
	}
	a.resolveSharedTitles()
	for i := range a.ments {
		if m := &a.ments[i]; m.char >= 0 {
			a.chars[m.char].ments = append(a.chars[m.char].ments, i)
		}
	}
	a.renumberByMentions()
}

// renumberByMentions orders the characters by their final mention counts
// (most mentioned first, as Result documents; ties keep their order):
// resolveSharedTitles moves mentions after the first count.
func (a *analyzer) renumberByMentions() {
	order := append([]*charInfo(nil), a.chars...)
	sort.SliceStable(order, func(i, j int) bool { return len(order[i].ments) > len(order[j].ments) })
	newID := make([]int, len(order))
	for i, ci := range order {
		newID[ci.id] = i
	}
	for i, ci := range order {
		ci.id = i
		a.entChar[ci.ent.id] = i
	}
	for i := range a.ments {
		if m := &a.ments[i]; m.char >= 0 {
			m.char = newID[m.char]
		}
	}
	a.chars = order
}

// sceneParas is how far back (in paragraphs) a character counts as present.
const sceneParas = 25

// resolveSharedTitles re-reads "Miss <Surname>" mentions by who is present.
// The title belongs to the eldest unmarried daughter, but when she is away
// her sister is addressed so ("Do you play and sing, Miss Bennet?"): if the
// owner has not been named for a while and exactly one unmarried sister has,
// the mention is hers. So too "Mr. <Surname>" shared by a father and son,
// and a bare given name two characters bear.
func (a *analyzer) resolveSharedTitles() {
	d := a.d
	lastPara := map[int]int{}
	sisters := map[string][]int{}
	men := map[string][]int{}
	namesakes := a.namesakesOf()
	for _, c := range a.chars {
		if c.gender == "female" && c.ent.surname != "" && !c.ent.married() {
			sisters[c.ent.surname] = append(sisters[c.ent.surname], c.id)
		}
		if c.gender == "male" && c.ent.surname != "" {
			men[c.ent.surname] = append(men[c.ent.surname], c.id)
		}
	}
	for i := range a.ments {
		m := &a.ments[i]
		if m.char < 0 {
			continue
		}
		p := int(d.toks[m.tokS].para)
		f := m.form
		var kin map[string][]int
		if f.hon == "" && len(f.lws) == 1 && f.lws[0] == a.chars[m.char].ent.given {
			// A bare given name two people bear: a story collection's
			// "Mary" is Mary Holder in her story, not Mary Sutherland.
			kin = namesakes
		}
		if f.hon != "" && len(f.lws) == 1 && f.lws[0] == a.chars[m.char].ent.surname {
			switch honorifics[f.hon].class {
			case "Miss":
				kin = sisters
			case "Mr":
				// Father and son, told apart as "old" and "young Mr.
				// Emerson": the title is the son's when only he is about.
				if f.aged[ageElder] > 0 && f.aged[ageYounger] > 0 {
					kin = men
				}
			}
		}
		if kin != nil {
			if last, ok := lastPara[m.char]; !ok || p-last > sceneParas {
				present := -1
				for _, s := range kin[f.lws[0]] {
					if last, ok := lastPara[s]; s != m.char && ok && p-last <= sceneParas {
						if present >= 0 {
							present = -2
							break
						}
						present = s
					}
				}
				if present >= 0 {
					m.char = present
				}
			}
		}
		lastPara[m.char] = p
	}
}

// namesakesOf maps each given name to the characters who bear it in a full
// name the text uses twice at least: Miss Bates's lone "Jane Bates" (her
// sister's name, taken for hers) does not make her a Jane.
func (a *analyzer) namesakesOf() map[string][]int {
	out := map[string][]int{}
	for _, c := range a.chars {
		g := c.ent.given
		if g == "" {
			continue
		}
		n := 0
		for _, f := range c.ent.forms {
			if len(f.lws) >= 2 && f.lws[0] == g {
				n += f.count
			}
		}
		if n >= 2 {
			out[g] = append(out[g], c.id)
		}
	}
	return out
}

// settleGender prefers gendered titles, then pronouns, then given names.
func (a *analyzer) settleGender(e *entity, pron [2]int) string {
	male, female := 0, 0
	for _, f := range e.forms {
		if f.hon == "" {
			continue
		}
		switch honorifics[f.hon].gender {
		case "male":
			male += f.count
		case "female":
			female += f.count
		}
	}
	switch {
	case male > 2*female:
		return "male"
	case female > 2*male:
		return "female"
	}
	// Pronouns after a name often belong to someone else in the sentence,
	// so ask for a clear majority.
	switch {
	case pron[0] >= 3 && pron[0] >= 3*pron[1]:
		return "male"
	case pron[1] >= 3 && pron[1] >= 3*pron[0]:
		return "female"
	}
	if e.gender != "" {
		return e.gender
	}
	if g := nameGender(e.given); g != "" {
		return g
	}
	return ""
}

// canonicalName picks the fullest proper form: the most frequent name of
// two or more words seen at least twice (untitled or plainly titled first),
// else the most frequent form seen twice that is no kinsman's, else the
// most frequent form. The other forms become aliases, most frequent first.
func canonicalName(e *entity) (string, []string) {
	fs := append([]*form(nil), e.forms...)
	sort.Slice(fs, func(i, j int) bool {
		if fs[i].count != fs[j].count {
			return fs[i].count > fs[j].count
		}
		return fs[i].first < fs[j].first
	})
	pick := func(ok func(*form) bool) *form {
		if i := slices.IndexFunc(fs, ok); i >= 0 {
			return fs[i]
		}
		return nil
	}
	// A full name seen once may be a passing phrase ("Evil Spirit"); ask
	// for two occurrences.
	full := func(f *form) bool { return len(f.words) >= 2 && f.count >= 2 && !f.assumed }
	best := pick(func(f *form) bool { return full(f) && (f.hon == "" || surnameTitle(f.hon)) })
	if best == nil {
		best = pick(full)
	}
	// Else the most frequent form, but a name of rank before a kinsman's:
	// "Lord Fermor", not "Uncle George", which is what his nephew calls him.
	if best == nil {
		best = pick(func(f *form) bool { return f.count >= 2 && !kinForm(f) })
	}
	if best == nil {
		best = fs[0]
	}
	name := displayForm(best)
	seen := map[string]bool{strings.ToLower(name): true}
	var aliases []string
	for _, f := range fs {
		s := displayForm(f)
		if !seen[strings.ToLower(s)] {
			seen[strings.ToLower(s)] = true
			aliases = append(aliases, s)
		}
	}
	return name, aliases
}

// kinForm reports whether f is a name with a kinship word for a title
// ("Uncle George", "Cousin Charlotte").
func kinForm(f *form) bool {
	switch honorifics[f.hon].class {
	case "Aunt", "Uncle", "Cousin", "Father", "Mother", "Brother", "Sister":
		return true
	}
	return false
}

// displayForm renders a form. A plain Mr/Mrs/Miss is dropped from a full
// name ("Fitzwilliam Darcy", not "Mr. Fitzwilliam Darcy"); rank and nobility
// titles are kept ("Sir William Lucas"), and so is the title of a wife
// named after her husband ("Mrs. John Knightley").
func displayForm(f *form) string {
	if f.hon != "" && len(f.words) >= 2 && surnameTitle(f.hon) && !wifeForm(f) {
		return strings.Join(f.words, " ")
	}
	return f.key
}
