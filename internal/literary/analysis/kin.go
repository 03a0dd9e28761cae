package analysis

import (
	"slices"
	"sort"
	"strings"
)

// Speech tags often name the speaker by kinship to someone in view: "said
// his wife", "cried her mother". These are resolved by finding who "his" or
// "her" refers to and then the relative through shared surnames and titles.

// kinNouns maps a kinship noun to the relative's gender and whether the
// relative is the married elder of the family.
var kinNouns = map[string]struct {
	gender string
	elder  bool // parent or spouse: carries Mr/Mrs rather than Miss
}{
	"wife": {"female", true}, "lady": {"female", true}, "husband": {"male", true},
	"mother": {"female", true}, "father": {"male", true},
	"sister": {"female", false}, "daughter": {"female", false},
	"brother": {"male", false}, "son": {"male", false},
}

// kinAt reports whether tokens k, k+1 read "his|her <kin noun>".
func (a *analyzer) kinAt(k int) (poss, noun string, ok bool) {
	d := a.d
	if !d.isWord(k) || !d.isWord(k+1) {
		return "", "", false
	}
	p := d.lower(k)
	if p != "his" && p != "her" {
		return "", "", false
	}
	n := d.lower(k + 1)
	if _, ok := kinNouns[n]; !ok {
		return "", "", false
	}
	return p, n, true
}

// resolveKin finds the character meant by "his wife" (poss="his",
// noun="wife") in a speech tag at token k of turn ui.
func (a *analyzer) resolveKin(ui, k int, poss, noun string) int {
	g := "male"
	if poss == "her" {
		g = "female"
	}
	return a.relative(a.referent(ui, k, g), noun)
}

// relative returns the character who is ref's <noun> ("wife", "mother"),
// found among the characters sharing ref's surname, -1 if not unique.
func (a *analyzer) relative(ref int, noun string) int {
	if ref < 0 {
		return -1
	}
	surname := a.familyOf(ref)
	if surname == "" {
		return -1
	}
	kn := kinNouns[noun]
	var cands []int
	for _, c := range a.chars {
		if c.id == ref || c.ent.surname != surname || c.gender != kn.gender {
			continue
		}
		// Parents and spouses go by Mr./Mrs. and the family surname; a
		// daughter married away ("Mrs. Wickham") is not the mother.
		if kn.elder != titledWithSurname(c.ent, surname) {
			continue
		}
		cands = append(cands, c.id)
	}
	if len(cands) == 1 {
		return cands[0]
	}
	return -1
}

// referent resolves a possessive "his"/"her" at token k: a character of
// that gender named earlier in the paragraph's narration, else one addressed
// by name in the turn, else the previous speaker, else the last one named
// in recent narration.
func (a *analyzer) referent(ui, k int, gender string) int {
	d := a.d
	para := d.toks[k].para
	for j := k - 1; j >= int(d.paras[para].tokS); j-- {
		if mi := a.tokMent[j]; mi >= 0 && d.toks[j].quote < 0 {
			if c := a.ments[mi].char; c >= 0 && a.chars[c].gender == gender {
				return c
			}
		}
	}
	for _, v := range a.utts[ui].vocs {
		if a.chars[v].gender == gender {
			return v
		}
	}
	if ui > 0 && a.conversation(ui-1, ui) {
		if sp := a.utts[ui-1].speaker; sp >= 0 && a.chars[sp].gender == gender {
			return sp
		}
		for _, v := range a.utts[ui-1].vocs {
			if a.chars[v].gender == gender {
				return v
			}
		}
	}
	return a.recentNarrationMention(k, gender, -1, 4)
}

// titledWithSurname reports whether the entity is called Mr./Mrs. (or a
// similar elder's title) with this surname.
func titledWithSurname(e *entity, surname string) bool {
	for _, f := range e.forms {
		if f.hon == "" || len(f.lws) != 1 || f.lws[0] != surname {
			continue
		}
		switch honorifics[f.hon].class {
		case "Miss", "Master":
		default:
			return true
		}
	}
	return false
}

// vocativeMerges joins a given name used almost only in direct address
// ("Charles") to the titled character who answers to it ("Mr. Bingley"):
// when the turn before or after one addressing X is spoken by Y (by a tag,
// or less surely by turn-taking), that is evidence that X is Y's given name.
// X must be a known given name of Y's gender, rarely used in narration and
// never tagged as a speaker itself; Y must have no given name yet; and the
// two must never be named side by side in narration (two people, not one).
// Likewise a title and surname used almost only in address ("Mr. Vyse") is
// the surname of the one known in narration by a given name alone who
// answers to it ("Cecil"). It reports whether anything was merged.
func (a *analyzer) vocativeMerges() bool {
	evidence := map[int]map[int]float64{}
	add := func(x, j int) {
		if j < 0 || j >= len(a.utts) {
			return
		}
		u := &a.utts[j]
		if u.speaker < 0 || u.speaker == x {
			return
		}
		w := 1.0
		switch u.method {
		case "explicit", "kinship", "epithet", "pronoun":
		case "alternation":
			w = 0.5
		default:
			return
		}
		if evidence[x] == nil {
			evidence[x] = map[int]float64{}
		}
		evidence[x][u.speaker] += w
	}
	for i := range a.utts {
		for _, x := range a.utts[i].vocs {
			if a.chars[x].ent.kind == entTitle {
				continue
			}
			// The one addressed spoke just before or answers just after.
			if i > 0 && a.conversation(i-1, i) {
				add(x, i-1)
			}
			if i+1 < len(a.utts) && a.conversation(i, i+1) {
				add(x, i+1)
			}
		}
	}
	together := a.narratedTogether()
	merged := false
	for x, ev := range evidence {
		best, bn, total := -1, 0.0, 0.0
		for y, n := range ev {
			// A reply by someone of the other sex ("Mr. Vyse" answered by
			// a woman) is a misattributed turn, not evidence either way.
			if g := a.chars[x].gender; g != "" && a.chars[y].gender != "" && a.chars[y].gender != g {
				continue
			}
			total += n
			if n > bn || n == bn && y < best {
				best, bn = y, n
			}
		}
		// A name never used in narration is only ever spoken to someone, so
		// a single confident reply suffices; otherwise ask for two.
		need := 2.0
		if a.narrationMentions(x) == 0 {
			need = 1
		}
		if bn < need || 3*bn < 2*total {
			continue
		}
		X, Y := a.chars[x], a.chars[best]
		// An unnamed narrator's synthetic entity (id -1) has no names to merge into.
		if Y.ent.id < 0 || together[[2]int{x, best}] {
			continue
		}
		// A name mostly used in narration, or tagged as speaking, belongs
		// to a person of their own ("said Martha").
		if 5*a.narrationMentions(x) > len(X.ments) || a.taggedSpeaker(x) {
			continue
		}
		switch X.ent.kind {
		case entFull:
			// A full name said to one known by a single name or a title,
			// who answers to it again and again ("you, Edward Leeford, do
			// you still brave me!" to Monks; "Uncle George" to Lord
			// Fermor), is his own: a real name behind an assumed one, or
			// a kinsman's familiar one. Two full names are two people.
			// One who speaks in a story told inside a turn ("says Spyers")
			// is a person of his own, whoever answers the teller.
			if bn < 3 || Y.ent.kind == entFull || X.gender == "" || X.gender != Y.gender || a.speaksAnywhere(x) {
				continue
			}
		case entBare:
			// Only a recognisable given name of the right gender is taken
			// for someone's first name; a place or thing addressed is not.
			if nameGender(X.ent.given) == "" || nameGender(X.ent.given) != Y.gender || Y.ent.given != "" {
				continue
			}
			Y.ent.given = X.ent.given
		case entHon:
			if office(X.ent) {
				// An office said as a name ("Monsieur le Maire", "Mr.
				// Mayor") and answered again and again by one man is his
				// title: the mayor is M. Madeleine.
				if bn < 3 || Y.ent.kind == entTitle || X.gender != "" && Y.gender != "" && X.gender != Y.gender {
					continue
				}
				break
			}
			fallthrough
		default:
			// A title and surname said to one known in narration by a
			// given name alone ("Mr. Vyse" answered by Cecil) is his
			// surname: the title must give his gender.
			if X.ent.given != "" || X.ent.surname == "" || Y.ent.kind != entBare || Y.ent.surname != "" || X.gender == "" || X.gender != Y.gender {
				continue
			}
			Y.ent.surname = X.ent.surname
		}
		a.c.merge(X.ent, Y.ent)
		merged = true
	}
	pen := a.penNames()
	fam := a.familiarForms()
	wife := a.wifeAnswers(together)
	moved := a.addressedSurnames()
	return a.selfNamings(together) || merged || pen || fam || wife || moved
}

// office reports whether e is a title and an office and nothing else.
func office(e *entity) bool {
	if e.given != "" || len(e.forms) == 0 {
		return false
	}
	for _, f := range e.forms {
		if f.hon == "" || len(f.lws) == 0 || !officeWord(f.lws[len(f.lws)-1]) {
			return false
		}
	}
	return true
}

// addressedSurnames gives a bare surname said mostly in address to a woman
// who bears it ("Jupe, stay here a moment" to Sissy Jupe) when the rule that
// a bare surname names a man gave it to a man of the family: a schoolmaster
// calls a girl by her surname. The one addressed is in the scene: she must
// be named in the paragraph of most of those addresses, or the one before
// or after, and he three times less often. It reports whether anything
// moved.
func (a *analyzer) addressedSurnames() bool {
	d := a.d
	women := map[string][]int{} // surname → women bearing it in a full name
	for _, c := range a.chars {
		if e := c.ent; e.id >= 0 && e.kind == entFull && c.gender == "female" && e.surname != "" {
			women[e.surname] = append(women[e.surname], c.id)
		}
	}
	// near reports whether c is named, other than by f, in paragraphs p-1
	// to p+1.
	near := func(c int, f *form, p int32) bool {
		lo := int(d.paras[max(p-1, 0)].tokS)
		hi := int(d.paras[min(int(p)+1, len(d.paras)-1)].tokE)
		ms := a.chars[c].ments
		for i := a.mentionFrom(c, lo); i < len(ms) && int(a.ments[ms[i]].tokS) < hi; i++ {
			if a.ments[ms[i]].form != f {
				return true
			}
		}
		return false
	}
	type tally struct{ said, owner int }
	seen := map[*form]*tally{}
	byWoman := map[*form]map[int]int{}
	var forms []*form
	for _, m := range a.ments {
		f := m.form
		if f.hon != "" || len(f.lws) != 1 || m.char < 0 || len(women[f.lws[0]]) == 0 {
			continue
		}
		x := a.chars[m.char]
		if x.gender != "male" || x.ent.surname != f.lws[0] || !a.isVocative(m) {
			continue
		}
		t := seen[f]
		if t == nil {
			t = &tally{}
			seen[f] = t
			byWoman[f] = map[int]int{}
			forms = append(forms, f)
		}
		t.said++
		p := d.toks[m.tokS].para
		if near(m.char, f, p) {
			t.owner++
		}
		for _, w := range women[f.lws[0]] {
			if near(w, f, p) {
				byWoman[f][w]++
			}
		}
	}
	moved := false
	for _, f := range forms {
		t := seen[f]
		best, bn := -1, 0
		for w, n := range byWoman[f] {
			if n > bn || n == bn && w < best {
				best, bn = w, n
			}
		}
		if best < 0 || bn < 3 || 2*bn <= t.said || 3*t.owner > bn || 2*t.said < f.count {
			continue
		}
		owner := a.c.ents[a.c.resolve(f.entity)]
		if len(owner.forms) < 2 {
			continue
		}
		a.c.moveForm(f, a.chars[best].ent)
		moved = true
	}
	return moved
}

// wifeAnswers joins "Mrs. <Surname>" to the woman known by a given name
// who answers as her when a man bearing the surname calls her by it: "Do
// you hear the gentleman, Charlotte?" thundered Mr. Claypole, alias
// Bolter. "Yes, Noah, dear!" replied Mrs. Bolter. She is his wife, or
// goes as such. The married name must be the rarer of the two, her reply
// tagged by it, and the two never named side by side in narration. It
// reports whether anything was merged.
func (a *analyzer) wifeAnswers(together map[[2]int]bool) bool {
	merged := false
	for i := 0; i+1 < len(a.utts); i++ {
		u, v := &a.utts[i], &a.utts[i+1]
		if u.speaker < 0 || v.speaker < 0 || v.method != "explicit" || !a.conversation(i, i+1) {
			continue
		}
		M, H := a.chars[v.speaker], a.chars[u.speaker]
		if M.ent.id < 0 || M.ent.merged >= 0 || M.ent.kind != entHon || !M.ent.hasHonClass("Mrs") || M.ent.given != "" || M.ent.surname == "" {
			continue
		}
		if H.gender != "male" || !titledWithSurname(H.ent, M.ent.surname) {
			continue
		}
		for _, x := range u.vocs {
			X := a.chars[x]
			if x == v.speaker || X.ent.merged >= 0 || X.ent.kind != entBare || nameGender(X.ent.given) != "female" ||
				len(M.ments) >= len(X.ments) || together[[2]int{x, v.speaker}] {
				continue
			}
			a.c.merge(M.ent, X.ent)
			merged = true
			break
		}
	}
	return merged
}

// familiarForms joins a made-up familiar form ("Faguey") to the one
// character whose name it plays on ("Fagin"): a word that is no known
// given name, ends as pet names do ("-y", "-ie"), shares its first three
// letters with that name alone, and is only ever said to someone, never
// narrated nor in a turn that also names that character (then they would
// be two people). It reports whether anything was merged.
func (a *analyzer) familiarForms() bool {
	d := a.d
	merged := false
	for x, X := range a.chars {
		e := X.ent
		if e.id < 0 || e.merged >= 0 || e.kind != entBare || len(e.forms) != 1 || len(X.ments) < 2 {
			continue
		}
		w := e.forms[0].lws[0]
		if nameGender(w) != "" || !strings.HasSuffix(w, "y") && !strings.HasSuffix(w, "ie") || len([]rune(w)) < 4 {
			continue
		}
		spoken := true
		for _, mi := range X.ments {
			if m := a.ments[mi]; d.toks[m.tokS].quote < 0 || !a.isVocative(m) {
				spoken = false
				break
			}
		}
		if !spoken {
			continue
		}
		stem := string([]rune(w)[:3])
		target := -1
		for y, Y := range a.chars {
			if y == x || Y.ent.id < 0 {
				continue
			}
			plays := false
			for _, f := range Y.ent.forms {
				for _, v := range f.lws {
					if v != w && len(v) >= 4 && strings.HasPrefix(v, stem) && !strings.HasPrefix(w, v) {
						plays = true
					}
				}
			}
			if !plays {
				continue
			}
			if target >= 0 {
				target = -2
				break
			}
			target = y
		}
		if target < 0 || a.namedInParagraphs(target, X.ments) {
			continue
		}
		a.c.merge(e, a.chars[target].ent)
		merged = true
	}
	return merged
}

// namedInParagraphs reports whether character c is named in a paragraph
// holding one of the mentions ms (indices into a.ments).
func (a *analyzer) namedInParagraphs(c int, ms []int) bool {
	d := a.d
	cm := a.chars[c].ments
	for _, mi := range ms {
		p := d.paras[d.toks[a.ments[mi].tokS].para]
		if i := a.mentionFrom(c, int(p.tokS)); i < len(cm) && a.ments[cm[i]].tokS < p.tokE {
			return true
		}
	}
	return false
}

// penNames joins a name only ever spoken, never narrated, to the one person
// named beside it in a turn that says someone goes under another name:
// "'Joseph Emery Prank' indeed! Why it's Miss Lavish! ... she's publishing
// it under somebody else's name." A name the narration uses ("he lived
// under the name of Fauchelevent") may be someone else's, lent or taken,
// and is left alone. It reports whether anything was merged.
func (a *analyzer) penNames() bool {
	d := a.d
	merged := false
	// Kept per run: a text may hold many such turns.
	narrated, tagged := map[int]int{}, map[int]bool{}
	narr := func(c int) int {
		n, ok := narrated[c]
		if !ok {
			n = a.narrationMentions(c)
			narrated[c] = n
		}
		return n
	}
	for ui := range a.utts {
		u := &a.utts[ui]
		cue := false
		var named []int
		for _, q := range u.segs {
			s, e := d.segTokens(q)
			for k := s; k < e; k++ {
				if d.isWord(k) && a.otherNameCue(k) {
					cue = true
				}
				if mi := a.tokMent[k]; mi >= 0 && int(a.ments[mi].tokS) == k {
					if c := a.ments[mi].char; c >= 0 && len(named) <= 2 && !slices.Contains(named, c) {
						named = append(named, c)
					}
				}
			}
		}
		if !cue || len(named) != 2 {
			continue
		}
		x, y := named[0], named[1]
		if narr(x) > 0 {
			x, y = y, x
		}
		X, Y := a.chars[x].ent, a.chars[y].ent
		if narr(x) > 0 || narr(y) == 0 || X.id < 0 || Y.id < 0 || X.merged >= 0 || Y.merged >= 0 || X == Y {
			continue
		}
		if _, ok := tagged[x]; !ok {
			tagged[x] = a.taggedSpeaker(x)
		}
		if tagged[x] {
			continue
		}
		for _, f := range X.forms {
			f.assumed = true
		}
		a.c.merge(X, Y)
		merged = true
	}
	return merged
}

// otherNameCue reports whether word k says someone goes by another name:
// "name" after "under" ("under somebody else's name", "under the name
// of"), "pseudonym", "pen-name", "nom de plume".
func (a *analyzer) otherNameCue(k int) bool {
	d := a.d
	switch d.lower(k) {
	case "pseudonym", "pseudonyme":
		return true
	case "plume":
		return d.lower(k-1) == "de" && d.lower(k-2) == "nom"
	case "name", "names":
		if d.lower(k-1) == "pen" || d.isDash(k-1) && d.lower(k-2) == "pen" {
			return true
		}
		for j := k - 1; j >= max(0, k-4) && d.toks[j].sent == d.toks[k].sent; j-- {
			if d.lower(j) == "under" {
				return true
			}
		}
	}
	return false
}

// narratedTogether holds the pairs of characters named next to each other
// in one narration sentence: different people.
func (a *analyzer) narratedTogether() map[[2]int]bool {
	d := a.d
	together := map[[2]int]bool{}
	for i := 1; i < len(a.ments); i++ {
		m, p := &a.ments[i], &a.ments[i-1]
		if m.char < 0 || p.char < 0 || m.char == p.char || d.toks[m.tokS].quote >= 0 || d.toks[p.tokS].quote >= 0 {
			continue
		}
		if d.toks[m.tokS].sent == d.toks[p.tokS].sent {
			together[[2]int{m.char, p.char}] = true
			together[[2]int{p.char, m.char}] = true
		}
	}
	return together
}

// selfNamings joins a name to the speaker who gives it as their own ("I am
// Griffin", "My name is Griffin"): the narrator may go on calling him by
// what he seemed ("the Invisible Man"). Attribution is not sure enough for
// one such turn, so at least two turns of the speaker must name X and
// these must be most of X's self-namings. X must never be named beside
// the speaker in narration, nor in the narration of the scene where it is
// said, where X is someone else in view ("I am Champmathieu" repeated by a
// witness); and it must open a sentence of the speaker's own words, not of
// speech reported inside them. It reports whether anything was merged.
func (a *analyzer) selfNamings(together map[[2]int]bool) bool {
	d := a.d
	pairs := map[[2]int]int{}
	total := map[int]int{}
	scenes := a.sceneSpans()
	narrated := map[int][]int{}
	for ui := range a.utts {
		u := &a.utts[ui]
		for _, q := range u.segs {
			s, e := d.segTokens(q)
			for k := s; k < e; k++ {
				x, _ := a.selfNamed(s, k, e)
				if x < 0 || x == u.speaker {
					continue
				}
				total[x]++
				if _, ok := narrated[x]; !ok {
					narrated[x] = a.narrationTokens(x)
				}
				if u.speaker >= 0 && !anyWithin(narrated[x], scenes[ui]) {
					pairs[[2]int{x, u.speaker}]++
				}
			}
		}
	}
	merged := false
	for _, p := range sortedPairs(pairs) {
		x, y := p[0], p[1]
		n := pairs[p]
		if n < 2 || 3*n < 2*total[x] || together[p] {
			continue
		}
		X, Y := a.chars[x], a.chars[y]
		if Y.ent.id < 0 || X.ent.merged >= 0 || Y.ent.merged >= 0 || X.ent == Y.ent {
			continue
		}
		if X.gender != "" && Y.gender != "" && X.gender != Y.gender {
			continue
		}
		src, dst := X.ent, Y.ent
		if src.count() > dst.count() {
			src, dst = dst, src
		}
		a.c.merge(src, dst)
		merged = true
	}
	return merged
}

// sortedPairs returns the keys of m in order, for deterministic merges.
func sortedPairs(m map[[2]int]int) [][2]int {
	out := make([][2]int, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i][0] != out[j][0] {
			return out[i][0] < out[j][0]
		}
		return out[i][1] < out[j][1]
	})
	return out
}

// selfNamed returns the character a speaker names as themselves at token k
// of a quotation segment [s, e) ("I am X" or "My name is X" opening a
// sentence, X ending the clause) and the end of the name. It returns -1
// otherwise, or when an inner quotation comes before (reported speech).
func (a *analyzer) selfNamed(s, k, e int) (int, int) {
	d := a.d
	if k > s && !(d.toks[k-1].kind == tkPunct && sentenceEnds[d.word(k-1)]) {
		return -1, 0
	}
	j := k
	switch {
	case d.lower(j) == "i":
		j++
		if d.punctIs(j, "_") {
			j++
		}
		if d.lower(j) != "am" {
			return -1, 0
		}
		j++
		if d.punctIs(j, "_") {
			j++
		}
	case d.lower(j) == "my" && d.lower(j+1) == "name" && d.lower(j+2) == "is":
		j += 3
	default:
		return -1, 0
	}
	if j >= e {
		return -1, 0
	}
	mi := a.tokMent[j]
	if mi < 0 || int(a.ments[mi].tokS) != j || a.ments[mi].char < 0 {
		return -1, 0
	}
	if end := int(a.ments[mi].tokE); end < e && !(d.toks[end].kind == tkPunct && clauseEnds[d.word(end)]) {
		return -1, 0
	}
	if opensQuote(d.text[d.toks[s].s:d.toks[k].s]) {
		return -1, 0
	}
	return a.ments[mi].char, int(a.ments[mi].tokE)
}

// opensQuote reports whether an inner quotation opens in t: a double
// quotation mark or a single one not after a letter (an apostrophe is).
func opensQuote(t string) bool {
	if strings.ContainsAny(t, "“\"") {
		return true
	}
	for i, r := range t {
		if (r == '‘' || r == '\'') && (i == 0 || !isWordRune(rune(t[i-1]))) {
			return true
		}
	}
	return false
}

var (
	sentenceEnds = wordSet(".", "!", "?")
	clauseEnds   = wordSet(".", "!", "?", ",", ";", "_")
)

// sceneSpans gives each turn the token span of its scene: the paragraphs of
// the run of turns the conversation decoder reads together (turns linked
// across short narration), found in one pass over the turns.
func (a *analyzer) sceneSpans() [][2]int {
	d := a.d
	out := make([][2]int, len(a.utts))
	for lo := 0; lo < len(a.utts); {
		hi := lo
		for hi+1 < len(a.utts) && a.linked(hi, hi+1, sceneNarrationWords) {
			hi++
		}
		span := [2]int{int(d.paras[a.utts[lo].para].tokS), int(d.paras[a.utts[hi].lastPara].tokE)}
		for ui := lo; ui <= hi; ui++ {
			out[ui] = span
		}
		lo = hi + 1
	}
	return out
}

// narrationTokens returns the first tokens of c's mentions outside
// quotations, in order.
func (a *analyzer) narrationTokens(c int) []int {
	var out []int
	for _, mi := range a.chars[c].ments {
		if k := int(a.ments[mi].tokS); a.d.toks[k].quote < 0 {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// anyWithin reports whether a sorted list of tokens holds one in span.
func anyWithin(toks []int, span [2]int) bool {
	i, _ := slices.BinarySearch(toks, span[0])
	return i < len(toks) && toks[i] < span[1]
}

// narrationMentions counts the character's mentions outside quotations.
func (a *analyzer) narrationMentions(c int) int {
	n := 0
	for _, mi := range a.chars[c].ments {
		if a.d.toks[a.ments[mi].tokS].quote < 0 {
			n++
		}
	}
	return n
}

// taggedSpeaker reports whether some turn names c in its speech tag.
func (a *analyzer) taggedSpeaker(c int) bool {
	for i := range a.utts {
		if a.utts[i].speaker == c && a.utts[i].method == "explicit" {
			return true
		}
	}
	return false
}

// speaksAnywhere reports whether a name of character c stands beside a
// speech verb, in narration or inside a quotation ("'Come!' said Spyers").
func (a *analyzer) speaksAnywhere(c int) bool {
	for _, mi := range a.chars[c].ments {
		if a.besideSpeechVerb(a.ments[mi]) {
			return true
		}
	}
	return false
}

// familyReach bounds how far from a mention familyOf looks for the family
// it is named with.
const familyReach = 60

// familyOf returns a character's surname; for someone known only by a given
// name ("Kitty"), the surname of the family she is most often named with in
// narration sentences, if that family clearly dominates.
func (a *analyzer) familyOf(c int) string {
	if s := a.chars[c].ent.surname; s != "" {
		return s
	}
	if s, ok := a.family[c]; ok {
		return s
	}
	d := a.d
	counts := map[string]int{}
	total := 0
	for _, mi := range a.chars[c].ments {
		m := &a.ments[mi]
		if d.toks[m.tokS].quote >= 0 {
			continue
		}
		// The sentence around the mention, within familyReach tokens: a
		// sentence may run for megabytes.
		sent := d.sents[d.toks[m.tokS].sent]
		for k := max(sent.tokS, m.tokS-familyReach); k < min(sent.tokE, m.tokE+familyReach); k++ {
			if ni := a.tokMent[k]; ni >= 0 && int(a.ments[ni].tokS) == int(k) {
				if o := a.ments[ni].char; o >= 0 && o != c {
					if s := a.chars[o].ent.surname; s != "" {
						counts[s]++
						total++
					}
				}
			}
		}
	}
	best, bn := "", 0
	for s, n := range counts {
		if n > bn || n == bn && s < best {
			best, bn = s, n
		}
	}
	if bn < 3 || 2*bn < total {
		best = ""
	}
	a.family[c] = best
	return best
}

// parentWords are vocatives addressing a parent ("But you forget, mamma").
var parentWords = map[string]string{"mamma": "female", "mama": "female", "mother": "female",
	"ma": "female", "papa": "male", "father": "male", "pa": "male"}

// parentVocatives adds to a turn's addressees the parent it calls "mamma"
// or "papa": the married character of that gender carrying the speaker's
// family name most recently named before. When the speaker is not yet
// known, it is such a character who spoke a few turns before in the
// conversation, else the one most recently named in narration (names in
// talk are of people talked about as often as of those present: "What a
// pity it is that Mr. Weston ever thought of her!"), and the turn's parent.
func (a *analyzer) parentVocatives(ui int) {
	d := a.d
	u := &a.utts[ui]
	for _, q := range u.segs {
		s, e := d.segTokens(q)
		for k := s; k < e; k++ {
			g, ok := parentWords[d.lower(k)]
			// Lower case, the word is a vocative only after a comma or an
			// endearment ("Yes, papa"; "My dear papa, I sent it").
			if !ok || d.toks[k].flags&fCap == 0 && !d.punctIs(k-1, ",") && !(d.isWord(k-1) && (d.lower(k-1) == "dear" || d.lower(k-1) == "dearest")) || !a.tokenVocative(k, k+1) {
				continue
			}
			// familyOf reads the speaker's narration: only for a turn that
			// calls a parent.
			family := ""
			if u.speaker >= 0 {
				family = a.familyOf(u.speaker)
			}
			p := -1
			if u.speaker < 0 {
				p = a.parentInTalk(ui, g)
			}
			if p < 0 {
				p = a.parentOf(family, g, k, u.speaker < 0)
			}
			if p < 0 || p == u.speaker {
				continue
			}
			if u.speaker < 0 {
				u.parent = p
			}
			if !slices.Contains(u.vocs, p) {
				u.vocs = append(u.vocs, p)
			}
		}
	}
}

// parentTurns is how many turns back parentInTalk looks.
const parentTurns = 6

// parentInTalk returns the married character of gender g who spoke one of
// the few turns before ui in its conversation, -1 if none: a child calls
// "papa" the father who is talking with them, whoever the narration named
// last (a guest just gone: "…the Cranes' departure… ¶ “But, papa, …”").
func (a *analyzer) parentInTalk(ui int, g string) int {
	for j := ui - 1; j >= 0 && j >= ui-parentTurns && a.conversation(j, ui); j-- {
		c := a.utts[j].speaker
		if c < 0 || a.chars[c].gender != g {
			continue
		}
		if e := a.chars[c].ent; e.surname != "" && titledWithSurname(e, e.surname) {
			return c
		}
	}
	return -1
}

// parentOf returns the married character of gender g (one called by an
// honorific and their surname) with the family surname (any family if
// empty) most recently named before token k within 40 paragraphs, in
// narration only if narrated; -1 if none.
func (a *analyzer) parentOf(family, g string, k int, narrated bool) int {
	d := a.d
	found := -1
	a.eachMentionBack(k, int(d.toks[k].para), 40, func(m *mention) bool {
		if m.char < 0 || narrated && d.toks[m.tokS].quote >= 0 || a.chars[m.char].gender != g {
			return false
		}
		e := a.chars[m.char].ent
		if e.surname == "" || family != "" && e.surname != family || !titledWithSurname(e, e.surname) {
			return false
		}
		found = m.char
		return true
	})
	return found
}
