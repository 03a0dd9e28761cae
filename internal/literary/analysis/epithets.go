package analysis

import (
	"maps"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Described speakers. A narrator often tags a character's lines by a
// description rather than a name ("said the Jew", "said the Voice"), and
// the narration need not ever set the description beside the name. The
// conversation does: whoever answers such a line calls its speaker by name
// ("“…,” said the Jew. ¶ “Ah, Fagin, …”"), whoever the described speaker
// answers, the line before named, and the described speaker may say who
// they are ("“I am Griffin,” said the Voice"). Those names vote, per
// chapter and over the whole book, for the character the description
// stands for. The narration may also say once by what description a
// character is known ("Mr. Losberne, …, known … as “the doctor,”"), which
// holds from there on.

// Besides chapters, analyzer.ties keys by these a description's tie over
// the whole book, and a sobriquet: the character the narration says is
// known by the description, and the chapter from which it is.
const (
	bookChapter   = -1
	sobriquetOf   = -2
	sobriquetFrom = -3
)

// Vote thresholds: a chapter's tie needs minChapterVotes for its leader
// and a strict majority; a book's, minBookVotes and bookShare of them all.
const (
	minChapterVotes = 3
	minBookVotes    = 3
	bookShare       = 0.66
	// tieVotes is what a tie stated in the narration ("the Jew, Fagin,")
	// weighs against the names of the conversation.
	tieVotes = 3
)

// descriptionHead returns the head noun of a description at token k ("the
// Jew", "the old gentleman") that a speech tag takes as its subject, -1 if
// the words there are no such description.
func (a *analyzer) descriptionHead(k int) int {
	d := a.d
	if !d.isWord(k) || d.lower(k) != "the" || d.toks[k].quote >= 0 {
		return -1
	}
	h := k + 1
	if d.isWord(h) && (ageWords[d.lower(h)] != 0 || d.lower(h) == "little" || d.lower(h) == "poor") && d.isWord(h+1) {
		h++
	}
	if !d.isWord(h) || a.tokMent[h] >= 0 || d.toks[h].quote >= 0 || notDescriptions[d.lower(h)] {
		return -1
	}
	// "said the Jew, ...", "said the gentleman earnestly"; not "said the
	// voice of the girl".
	if d.isWord(h+1) && !strings.HasSuffix(d.lower(h+1), "ly") {
		return -1
	}
	if h+1 < len(d.toks) && d.toks[h+1].kind == tkClitic {
		return -1 // "said the Jew's …"
	}
	return h
}

// anyone are the descriptions said of anybody: they name no one across a
// book.
var anyone = wordSet("man", "gentleman", "woman", "lady")

// notDescriptions are words after "said the" that stand for no one
// person by themselves.
var notDescriptions = wordSet("other", "former", "latter", "first", "second", "third", "last", "same",
	"one", "two", "three", "both", "rest", "others", "whole", "party", "company", "crowd", "people")

// voteDescriptions ties descriptions that tag speakers to the characters
// the turns around them address by name, or that they say they are, per
// chapter and, where the votes agree across the book, for the whole book
// (the chapters that tie it no other way); ties the narration states count
// as votes too. A tie the narration states, or a sobriquet it gives, is
// never overruled by votes.
func (a *analyzer) voteDescriptions() {
	type key struct {
		chapter int32
		noun    string
	}
	votes := map[key]map[int]float64{}
	vote := func(ch int32, noun string, c int, w float64) {
		k := key{ch, noun}
		if votes[k] == nil {
			votes[k] = map[int]float64{}
		}
		votes[k][c] += w
	}
	stated := map[key]bool{}
	for t, c := range a.ties {
		stated[key{t.chapter, t.noun}] = true
		if c >= 0 {
			vote(t.chapter, t.noun, c, tieVotes)
		}
	}
	names := a.nameWords()
	for ui := range a.utts {
		u := &a.utts[ui]
		if u.desc == "" || u.fixed() {
			continue
		}
		ch := a.chapter[u.para]
		for _, c := range a.namesSelf(u, names) {
			vote(ch, u.desc, c, tieVotes)
		}
		for _, j := range []int{ui - 1, ui + 1} {
			if j < 0 || j >= len(a.utts) || !a.conversation(min(ui, j), max(ui, j)) {
				continue
			}
			for _, c := range a.utts[j].vocs {
				if c != a.utts[j].speaker && !slices.Contains(u.vocs, c) {
					vote(ch, u.desc, c, 1)
				}
			}
		}
	}
	a.tieSobriquets()
	// leader returns the character with the most votes that the noun's sex
	// allows, its votes and everyone's.
	leader := func(noun string, vs map[int]float64) (int, float64, float64) {
		best, bv, total := -1, 0.0, 0.0
		for c, v := range vs {
			if g := personNouns[noun]; g != "" && a.chars[c].gender != "" && a.chars[c].gender != g {
				continue // "the girl" is no man
			}
			total += v
			if v > bv || v == bv && c < best {
				best, bv = c, v
			}
		}
		return best, bv, total
	}
	book := map[string]map[int]float64{}
	for k, vs := range votes {
		if book[k.noun] == nil {
			book[k.noun] = map[int]float64{}
		}
		for c, v := range vs {
			book[k.noun][c] += v
		}
		if stated[k] || a.sobriquet(k.chapter, k.noun) >= 0 {
			continue
		}
		if best, bv, total := leader(k.noun, vs); bv >= minChapterVotes && 2*bv > total {
			a.ties[tie{k.chapter, k.noun}] = best
		}
	}
	for noun, vs := range book {
		if anyone[noun] {
			continue
		}
		if best, bv, total := leader(noun, vs); bv >= minBookVotes && bv >= bookShare*total {
			a.ties[tie{bookChapter, noun}] = best
		}
	}
}

// namesSelf lists the characters the turn's speaker says they are: "I am
// Griffin", "I'm an Invisible Man" (a name of several words needs no
// capitals: "I m an invisible man").
func (a *analyzer) namesSelf(u *utterance, names [][]string) []int {
	d := a.d
	var out []int
	for _, q := range u.segs {
		s, e := d.segTokens(q)
		for k := s; k+1 < e; k++ {
			j := k + 1
			switch d.lower(k) {
			case "i'm":
			case "i":
				if d.punctIs(j, "'") || d.punctIs(j, "’") {
					j++
				}
				if w := d.lower(j); w != "am" && w != "m" {
					continue
				}
				j++
			default:
				continue
			}
			if w := d.lower(j); w == "a" || w == "an" || w == "the" {
				j++
			}
			if c := a.nameAt(j, e, names); c >= 0 && !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// nameWords returns each character's name in lower-case words.
func (a *analyzer) nameWords() [][]string {
	out := make([][]string, len(a.chars))
	for i, c := range a.chars {
		out[i] = strings.Fields(strings.ToLower(c.name))
	}
	return out
}

// nameAt returns the character named at token k (before e): a mention, or
// the words of a character's name of two words or more in any case.
func (a *analyzer) nameAt(k, e int, names [][]string) int {
	d := a.d
	if k >= e || !d.isWord(k) {
		return -1
	}
	if mi := a.tokMent[k]; mi >= 0 && int(a.ments[mi].tokS) == k {
		return a.ments[mi].char
	}
	for c, ws := range names {
		if len(ws) < 2 || k+len(ws) > e {
			continue
		}
		ok := true
		for i, w := range ws {
			if d.lower(k+i) != w {
				ok = false
				break
			}
		}
		if ok {
			return c
		}
	}
	return -1
}

// tieSobriquets reads where the narration says by what description a
// character is known ("Mr. Losberne, a surgeon in the neighbourhood, known
// … as “the doctor,”"; "commonly called the Captain"): the description
// stands for that character from there to the end of the book, wherever a
// chapter's narration does not tie it to someone else. The first such
// statement of a description counts.
func (a *analyzer) tieSobriquets() {
	d := a.d
	for k := range d.toks {
		if d.toks[k].quote >= 0 || !d.isWord(k) {
			continue
		}
		j := -1
		switch d.lower(k) {
		case "known":
			for x := k + 1; x < len(d.toks) && x <= k+12 && d.toks[x].sent == d.toks[k].sent; x++ {
				if d.isWord(x) && d.lower(x) == "as" && d.toks[x].quote < 0 {
					j = x + 1
					break
				}
			}
		case "called", "nicknamed", "styled":
			j = k + 1
		}
		if j < 0 {
			continue
		}
		for j < len(d.toks) && d.toks[j].kind == tkPunct && isQuoteMark(d.word(j)) {
			j++
		}
		if !d.isWord(j) || d.lower(j) != "the" || !d.isWord(j+1) || a.tokMent[j+1] >= 0 || notDescriptions[d.lower(j+1)] || anyone[d.lower(j+1)] {
			continue
		}
		if d.isWord(j + 2) {
			continue // "known as the man who …"
		}
		noun := d.lower(j + 1)
		if _, ok := a.ties[tie{sobriquetOf, noun}]; ok {
			continue
		}
		// The one so known: the last name before the verb in its
		// sentence, not governed by a preposition.
		c := -1
		for x := k - 1; x >= 0 && x >= k-sobriquetReach && d.toks[x].sent == d.toks[k].sent; x-- {
			if mi := a.tokMent[x]; mi >= 0 && d.toks[x].quote < 0 {
				m := a.ments[mi]
				x = int(m.tokS)
				if m.char >= 0 && !a.prepGoverned(x) {
					c = m.char
					break
				}
			}
		}
		if c >= 0 {
			a.ties[tie{sobriquetOf, noun}] = c
			a.ties[tie{sobriquetFrom, noun}] = int(a.chapter[d.toks[k].para])
		}
	}
}

// sobriquetReach is how far before "known as" the one known is looked for.
const sobriquetReach = 40

// sobriquet returns the character a sobriquet gives the description noun
// in chapter ch, -1 if none.
func (a *analyzer) sobriquet(ch int32, noun string) int {
	c, ok := a.ties[tie{sobriquetOf, noun}]
	if !ok || int(ch) < a.ties[tie{sobriquetFrom, noun}] {
		return -1
	}
	return c
}

// describedChar returns the character the description noun stands for in
// chapter ch: by a tie of the chapter, a sobriquet or a tie of the book;
// -1 if none, or if the chapter ties it to several.
func (a *analyzer) describedChar(ch int32, noun string) int {
	if c, ok := a.ties[tie{ch, noun}]; ok {
		return c
	}
	if c := a.sobriquet(ch, noun); c >= 0 {
		return c
	}
	if c, ok := a.ties[tie{bookChapter, noun}]; ok {
		return c
	}
	return -1
}

// describedAt returns the character a description in narration at token k
// ("The Jew smiled", "the doctor's gig") stands for by a tie, and the token
// after it; -1 if the words there are no tied description.
func (a *analyzer) describedAt(k int) (int, int) {
	d := a.d
	if !d.isWord(k) || d.lower(k) != "the" || d.toks[k].quote >= 0 {
		return -1, k
	}
	h := k + 1
	if d.isWord(h) && (ageWords[d.lower(h)] != 0 || d.lower(h) == "little" || d.lower(h) == "poor") {
		h++
	}
	if !d.isWord(h) || a.tokMent[h] >= 0 || d.toks[h].quote >= 0 {
		return -1, k
	}
	c := a.describedChar(a.chapter[d.toks[k].para], d.lower(h))
	if c < 0 {
		return -1, k
	}
	return c, h + 1
}

// tagDescribed reads again the tags of turns whose speaker a description
// names, now that descriptions are tied.
func (a *analyzer) tagDescribed() {
	for ui := range a.utts {
		u := &a.utts[ui]
		if u.desc == "" && u.tagGender == "" || u.fixed() {
			continue
		}
		u.tagGender, u.tagMargin, u.tagAgeClash = "", 0, nil
		u.speaker, u.method, u.conf = noSpeaker, "", 0
		if sp, method, conf := a.explicitTag(ui); sp != noSpeaker {
			u.speaker, u.method, u.conf = sp, method, conf
		}
	}
}

// minDescribedTurns is how many lines a description must tag, tied to no
// named character, before the one so described joins the cast.
const minDescribedTurns = 5

// genericNouns describe anyone: a speaker known only as "the girl" or "the
// stranger" may be several people, or a named character in disguise.
var genericNouns = wordSet("girl", "boy", "child", "person", "fellow", "stranger", "voice",
	"figure", "visitor", "youth", "lad", "creature", "individual")

// castDescriptions adds to the cast the people a story knows only by a
// description ("said the mariner", five times and more, tied to no named
// character): each becomes a character named by it ("The Mariner"), tied
// to the description in the chapters of those lines, so that the tags name
// them and the conversations around them count them in.
func (a *analyzer) castDescriptions() {
	turns := map[string]int{}
	chapters := map[string][]int32{}
	for ui := range a.utts {
		u := &a.utts[ui]
		if u.desc == "" || u.fixed() || anyone[u.desc] || notDescriptions[u.desc] || genericNouns[u.desc] {
			continue
		}
		ch := a.chapter[u.para]
		if a.describedChar(ch, u.desc) >= 0 {
			continue
		}
		if _, ok := a.ties[tie{ch, u.desc}]; ok {
			continue // tied to several: ambiguous, not unknown
		}
		turns[u.desc]++
		if cs := chapters[u.desc]; len(cs) == 0 || cs[len(cs)-1] != ch {
			chapters[u.desc] = append(cs, ch)
		}
	}
	names := map[string]bool{} // the words and titles of the cast's names
	for _, c := range a.chars {
		for _, w := range strings.Fields(strings.ToLower(c.name)) {
			names[w] = true
		}
		for _, f := range c.ent.forms {
			for _, w := range f.lws {
				names[w] = true
			}
			if f.hon != "" {
				names[strings.ToLower(honorifics[f.hon].class)] = true
				names[f.hon] = true
			}
		}
	}
	described := map[string]*charInfo{}
	for _, noun := range slices.Sorted(maps.Keys(turns)) {
		// One chapter: a description heard across the book is more often
		// a named character's ("the bishop") or several people's ("the
		// officer"). A word of someone's name or title ("the King") or a
		// relative ("the father") names a character of the cast.
		if turns[noun] < minDescribedTurns || len(chapters[noun]) > 1 || names[noun] {
			continue
		}
		if _, kin := kinNouns[noun]; kin || len(a.chars) >= a.opt.MaxCharacters {
			continue
		}
		ch := chapters[noun][0]
		c := &charInfo{id: len(a.chars), ent: &entity{id: -1, merged: -1}, name: "The " + titleWord(noun),
			gender: personNouns[noun], desc: noun}
		a.chars = append(a.chars, c)
		a.ties[tie{ch, noun}] = c.id
		described[noun] = c
	}
	if len(described) == 0 {
		return
	}
	// Their mentions: the description's uses in the narration of its
	// chapter, read in one pass.
	d := a.d
	for p := range d.paras {
		for k := int(d.paras[p].tokS); k < int(d.paras[p].tokE); k++ {
			if d.toks[k].quote >= 0 || !d.isWord(k) {
				continue
			}
			if c := described[d.lower(k)]; c != nil && a.ties[tie{a.chapter[p], c.desc}] == c.id {
				c.descToks = append(c.descToks, k)
			}
		}
	}
}

// titleWord capitalises a lower-case word ("mariner" → "Mariner").
func titleWord(w string) string {
	r, n := utf8.DecodeRuneInString(w)
	return string(unicode.ToUpper(r)) + w[n:]
}
