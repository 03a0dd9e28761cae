package analysis

import (
	"context"
	"slices"
	"strings"
)

// wordStats records how each vocabulary word is capitalised. A word that is
// capitalised in mid-sentence and rarely written in lower case is a proper
// noun; sentence-initial occurrences say nothing and are kept apart.
type wordStats struct {
	capMid []int32 // capitalised, not at an ambiguous position
	capAmb []int32 // capitalised at a sentence start or after an opening quote
	low    []int32 // written in lower case
}

func (d *doc) computeWordStats() *wordStats {
	n := len(d.vocab)
	st := &wordStats{capMid: make([]int32, n), capAmb: make([]int32, n), low: make([]int32, n)}
	for i := range d.toks {
		t := &d.toks[i]
		if t.kind != tkWord {
			continue
		}
		switch {
		case t.flags&fAllCaps != 0:
		case t.flags&fLower != 0:
			st.low[t.lw]++
		case t.flags&fCap != 0:
			if t.flags&fAmbig != 0 {
				st.capAmb[t.lw]++
			} else {
				st.capMid[t.lw]++
			}
		}
	}
	return st
}

// nameLike reports whether the vocabulary word id is used as a proper noun:
// capitalised in mid-sentence, and written in lower case at most a quarter
// as often.
func (st *wordStats) nameLike(d *doc, id int32) bool {
	w := d.vocab[id]
	if stopCaps[w] {
		return false
	}
	cm := st.capMid[id]
	if cm == 0 {
		return false
	}
	return st.low[id]*4 <= cm
}

// nameRun is one occurrence of a candidate name in the text.
type nameRun struct {
	tokS, tokE int32  // token range covering the whole name, honorific included
	hon        string // honorific key ("mr", "lady"), "" if none
	words      []string
	place      bool // looks like a place or institution ("Netherfield Park")
	// age records an age word before a titled name: ageElder for "old
	// Mr. Emerson", ageYounger for "young Mr. Emerson", 0 if none.
	age uint8
	// formerOf is the index of the run this one restates under another
	// name ("Morris Bolter, late Claypole"), -1 if none.
	formerOf int
}

// key identifies the surface form of a run for alias clustering: the
// honorific class plus the name words.
func (r *nameRun) key() string {
	var b strings.Builder
	if r.hon != "" {
		b.WriteString(honorifics[r.hon].canon)
		if len(r.words) > 0 {
			b.WriteByte(' ')
		}
	}
	b.WriteString(strings.Join(r.words, " "))
	return b.String()
}

// honAt reports whether token i is a capitalised honorific, returning its key
// and the index of the first token after it (skipping an abbreviation dot).
func (d *doc) honAt(i int) (string, int, bool) {
	if i >= len(d.toks) {
		return "", 0, false
	}
	t := &d.toks[i]
	if t.kind != tkWord || t.flags&fCap == 0 || (t.flags&fAllCaps != 0 && t.e-t.s > 1) {
		return "", 0, false
	}
	lw := d.vocab[t.lw]
	if _, ok := honorifics[lw]; !ok {
		return "", 0, false
	}
	next := i + 1
	if d.punctIs(next, ".") && d.toks[next].s == t.e {
		if !abbreviations[lw] {
			return "", 0, false // "Lady." ends a sentence
		}
		next++
	} else if lw == "m" || lw == "mr" || lw == "mrs" || lw == "dr" || lw == "mme" || lw == "mlle" {
		// Abbreviations written without a dot are still honorifics ("Mr
		// Darcy") except the bare initial M, which is just a letter.
		if lw == "m" {
			return "", 0, false
		}
	}
	return lw, next, true
}

// sameSpan reports whether tokens a and b (a < b) sit in the same paragraph
// and quotation, so a name may run across them.
func (d *doc) sameSpan(a, b int) bool {
	return d.toks[a].para == d.toks[b].para && d.toks[a].quote == d.toks[b].quote
}

// capName reports whether token i can continue a name: a capitalised,
// non-heading, non-stop word.
func (d *doc) capName(i int) bool {
	if i >= len(d.toks) {
		return false
	}
	t := &d.toks[i]
	if t.kind != tkWord || t.flags&fCap == 0 || t.flags&fAllCaps != 0 {
		return false
	}
	w := d.vocab[t.lw]
	if stopCaps[w] {
		return false
	}
	if _, ok := honorifics[w]; ok {
		return false
	}
	return true
}

// surnameTitle reports whether the honorific is a plain Mr/Mrs/Miss.
func surnameTitle(hon string) bool {
	switch honorifics[hon].class {
	case "Mr", "Mrs", "Miss":
		return true
	}
	return false
}

// titleWordName reports whether token i is a title word that serves as a
// surname after Mr/Mrs/Miss ("Miss King"): capitalised and not itself
// followed by a name.
func (d *doc) titleWordName(i int) bool {
	t := &d.toks[i]
	if t.kind != tkWord || t.flags&fCap == 0 || t.flags&fAllCaps != 0 {
		return false
	}
	if _, ok := honorifics[d.vocab[t.lw]]; !ok {
		return false
	}
	return !d.capName(i + 1)
}

// saintAt reports whether token i is "St." or "Saint" opening a surname
// ("Lord St. Simon", "Neville St. Clair"), returning the word as it is
// written in names and the index of the capitalised word that follows.
func (d *doc) saintAt(i int) (string, int, bool) {
	if !d.isWord(i) || d.toks[i].flags&fCap == 0 {
		return "", 0, false
	}
	w, next := "", i+1
	switch d.lower(i) {
	case "st", "ste":
		if !d.punctIs(next, ".") || d.toks[next].s != d.toks[i].e {
			return "", 0, false
		}
		w = d.word(i) + "."
		next++
	case "saint":
		w = d.word(i)
	default:
		return "", 0, false
	}
	if next >= len(d.toks) || !d.sameSpan(i, next) || !d.capName(next) {
		return "", 0, false
	}
	return w, next, true
}

// ofComplement extends a one-word name at token s, ending at j, by "of" and
// the capitalised words after it: "the Ghost of Christmas Past" is a figure
// of its own, not the Ghost. The head must be a name by its own
// capitalisation, so "House of Commons" stays out.
func (d *doc) ofComplement(st *wordStats, s, j int, words *[]string) int {
	if s+1 != j || !st.nameLike(d, d.toks[s].lw) || !d.isWord(j) || d.toks[j].flags&fLower == 0 || d.lower(j) != "of" {
		return j
	}
	// "asked Grimwig of Mr. Brownlow": a title opens someone else's name.
	if _, titled := honorifics[d.lower(j+1)]; titled {
		return j
	}
	k := j + 1
	for k < len(d.toks) && d.sameSpan(s, k) && d.isWord(k) && d.toks[k].flags&fCap != 0 && d.toks[k].flags&fAllCaps == 0 && d.lower(k) != "i" {
		k++
	}
	if k == j+1 {
		return j
	}
	*words = append(*words, "of")
	for m := j + 1; m < k; m++ {
		*words = append(*words, d.word(m))
	}
	return k
}

// titleCasePars marks the paragraphs written in title case, as chapter
// headings are: at least four words of four letters or more, nearly all
// capitalised, and no quotation.
func (d *doc) titleCasePars() []bool {
	out := make([]bool, len(d.paras))
	for pi, p := range d.paras {
		long, capd := 0, 0
		for k := int(p.tokS); k < int(p.tokE); k++ {
			t := &d.toks[k]
			if t.quote >= 0 {
				long = 0
				break
			}
			if t.kind != tkWord || t.e-t.s < 4 {
				continue
			}
			long++
			if t.flags&fCap != 0 {
				capd++
			}
		}
		out[pi] = long >= 4 && 10*capd >= 9*long
	}
	return out
}

// byline reports whether token i sits in a short "By <Author>" paragraph.
func (d *doc) byline(i int) bool {
	p := d.paras[d.toks[i].para]
	if p.tokE-p.tokS > 6 || !d.isWord(int(p.tokS)) || d.lower(int(p.tokS)) != "by" {
		return false
	}
	return true
}

// findNameRuns scans for candidate names: an honorific followed by
// capitalised words, or a sequence of capitalised words whose first word is
// a proper noun by its capitalisation statistics.
func (d *doc) findNameRuns(ctx context.Context, st *wordStats) ([]nameRun, error) {
	var runs []nameRun
	n := len(d.toks)
	verse := d.versePars()
	titled := d.titleCasePars()
	for i := 0; i < n; i++ {
		if i&0xffff == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		t := &d.toks[i]
		if t.kind != tkWord || t.flags&fCap == 0 {
			continue
		}
		if verse[t.para] {
			i = int(d.paras[t.para].tokE) - 1
			continue
		}
		if d.byline(i) {
			// The author's name on a title page is not a character.
			i = int(d.paras[t.para].tokE) - 1
			continue
		}
		if hon, next, ok := d.honAt(i); ok {
			j := next
			var words []string
			// A title of rank with its domain ("the Duchess of Harley",
			// "the Bishop of Digne") names a person as a whole.
			if !surnameTitle(hon) && d.isWord(next) && d.toks[next].flags&fLower != 0 && d.lower(next) == "of" &&
				next+1 < n && d.sameSpan(i, next+1) && d.capName(next+1) {
				words = append(words, "of")
				j = next + 1
			}
			for j < n && d.sameSpan(i, j) {
				if d.capName(j) || (j == next && surnameTitle(hon) && d.titleWordName(j)) {
					words = append(words, d.nameWord(j))
					j++
					continue
				}
				if w, k, ok := d.saintAt(j); ok {
					words = append(words, w)
					j = k
					continue
				}
				// Particles ("de", "van") only before another capitalised word.
				if d.isWord(j) && nameParticles[d.lower(j)] && j+1 < n && d.sameSpan(i, j+1) && d.capName(j+1) {
					words = append(words, d.lower(j))
					j++
					continue
				}
				break
			}
			// A heading in title case runs a name on into ordinary words
			// ("Miss Lucy Honeychurch Drive Out in Carriages"): drop those
			// the text mostly writes in lower case.
			for len(words) > 1 && titled[t.para] && d.capName(j-1) && !st.nameLike(d, d.toks[j-1].lw) {
				words = words[:len(words)-1]
				j--
			}
			h := honorifics[hon]
			switch {
			case len(words) > 0:
				r := nameRun{tokS: int32(i), tokE: int32(j), hon: hon, words: words}
				if d.isWord(i - 1) {
					r.age = ageWords[d.lower(i-1)]
				}
				// "King Edward Street", "Saint James's Park".
				r.place = len(words) >= 2 && placeSuffixes[strings.ToLower(words[len(words)-1])]
				runs = append(runs, r)
				i = j - 1
			case h.standalone && t.flags&fAmbig == 0:
				// A bare title capitalised mid-sentence ("the Queen") is a
				// character's name.
				runs = append(runs, nameRun{tokS: int32(i), tokE: int32(next), hon: hon})
				i = next - 1
			case hon == "mr" && d.isWord(next) && d.lower(next) == "and":
				// "Mr. and Mrs. Gardiner": credit the husband too.
				if h2, n2, ok := d.honAt(next + 1); ok && h2 == "mrs" && n2 < n && d.capName(n2) && d.sameSpan(i, n2) {
					runs = append(runs, nameRun{tokS: int32(i), tokE: int32(next), hon: hon, words: []string{d.word(n2)}})
				}
			}
			continue
		}
		// "St. Clair" alone names a person only when someone bears that
		// surname; clusterBare drops it otherwise (St. Paul's).
		_, _, saint := d.saintAt(i)
		if !d.capName(i) && !saint {
			continue
		}
		// Bare capitalised sequence.
		j := i
		for j < n && d.sameSpan(i, j) {
			if d.capName(j) {
				j++
				continue
			}
			if _, k, ok := d.saintAt(j); ok {
				j = k
				continue
			}
			if j > i && d.isWord(j) && nameParticles[d.lower(j)] && j+1 < n && d.sameSpan(i, j+1) && d.capName(j+1) {
				j++
				continue
			}
			break
		}
		s := i
		// Drop leading words whose capital comes only from their position.
		for s < j && !saint && !st.nameLike(d, d.toks[s].lw) && (d.toks[s].flags&fAmbig != 0 || s+1 >= j) {
			s++
		}
		if s < j && !saint && !st.nameLike(d, d.toks[s].lw) && d.toks[s].flags&fAmbig != 0 {
			s = j
		}
		for s+1 < j && epithets[d.lower(s)] {
			s++
		}
		// Likewise in a heading: "Lucy Faced the External Situation".
		scanned := j
		for j-1 > s && titled[t.para] && d.capName(j-1) && !st.nameLike(d, d.toks[j-1].lw) {
			j--
		}
		if s < j {
			words := make([]string, 0, j-s)
			for k := s; k < j; k++ {
				if w, next, ok := d.saintAt(k); ok {
					words = append(words, w)
					k = next - 1
				} else if d.toks[k].flags&fLower != 0 {
					words = append(words, d.lower(k))
				} else {
					words = append(words, d.nameWord(k))
				}
			}
			j = d.ofComplement(st, s, j, &words)
			r := nameRun{tokS: int32(s), tokE: int32(j), words: words}
			if len(words) >= 2 && (placeSuffixes[strings.ToLower(words[len(words)-1])] || placePrefixes[strings.ToLower(words[0])]) {
				r.place = true
			}
			if len(words) == 1 && strings.HasSuffix(strings.ToLower(words[0]), "shire") {
				r.place = true
			}
			runs = append(runs, r)
		}
		i = max(j, scanned) - 1
	}
	d.linkFormerNames(runs)
	d.markShops(runs)
	return runs, nil
}

// markShops marks as places the single untitled names mostly used as a
// possessive with nothing after it: "at Ford's.", "than Ford's;" name a
// shop or house by its owner, and a person so named is seldom a character
// of the scene. Likewise a bare title mostly in the possessive ("studying
// for Queen's", "the Queen's class") names an institution after its
// patron, not a person of the story.
func (d *doc) markShops(runs []nameRun) {
	total, elided, titlePoss := map[string]int{}, map[string]int{}, map[string]int{}
	shopLike := func(r *nameRun) bool { return len(r.words) == 1 && r.hon == "" || len(r.words) == 0 && r.hon != "" }
	for i := range runs {
		r := &runs[i]
		if !shopLike(r) {
			continue
		}
		k := r.key()
		total[k]++
		e := int(r.tokE)
		if e >= len(d.toks) || d.toks[e].kind != tkClitic {
			continue
		}
		if r.hon != "" {
			titlePoss[k]++
		} else if e+1 < len(d.toks) && d.toks[e+1].kind == tkPunct {
			elided[k]++
		}
	}
	for i := range runs {
		r := &runs[i]
		// An owner's name in a place name ("Lynde's Hollow", "Ford's
		// Hotel") is the place's, not a mention of the owner.
		if e := int(r.tokE); r.hon == "" && e+1 < len(d.toks) && d.toks[e].kind == tkClitic &&
			d.capName(e+1) && placeSuffixes[d.lower(e+1)] {
			r.place = true
		}
		if !shopLike(r) {
			continue
		}
		k := r.key()
		if elided[k] >= 3 && 2*elided[k] >= total[k] || titlePoss[k] >= 3 && 3*titlePoss[k] >= 2*total[k] {
			r.place = true
		}
	}
}

// Age words that set apart two people of one title and name.
const (
	ageElder uint8 = 1 + iota
	ageYounger
)

var ageWords = map[string]uint8{"old": ageElder, "elder": ageElder, "young": ageYounger, "younger": ageYounger}

// formerWords introduce another name of the person just named: "Morris
// Bolter, late Claypole", "Panchaud, alias Printanier", "Mrs. Bumble,
// formerly Corney".
var formerWords = wordSet("alias", "late", "formerly", "née", "nee", "otherwise")

// linkFormerNames sets formerOf on each run that follows another as
// "<name>, alias <name>" or "<name>, otherwise the <name>" (a nickname
// made of a description: "Mr. John Dawkins, otherwise the Artful Dodger").
func (d *doc) linkFormerNames(runs []nameRun) {
	for i := range runs {
		runs[i].formerOf = -1
		if i == 0 {
			continue
		}
		k, p := int(runs[i].tokS), runs[i-1]
		if d.isWord(k-1) && d.toks[k-1].flags&fLower != 0 && d.lower(k-1) == "the" {
			k--
		}
		if int(p.tokE) == k-2 && d.punctIs(k-2, ",") && d.isWord(k-1) && d.toks[k-1].flags&fLower != 0 && formerWords[d.lower(k-1)] {
			runs[i].formerOf = i - 1
		}
		if d.formerApposition(p, runs[i]) || d.sameManStated(p, runs[i]) {
			runs[i].formerOf = i - 1
		}
	}
}

// officeWord reports whether the last lower-case word after a title names
// an office ("le maire", "mayor").
func officeWord(w string) bool {
	return officeWords[strings.TrimPrefix(w, "le ")]
}

// sameManStated reports whether the narrator states that runs p and r,
// one right after the other, name one person: "M. Madeleine is no other
// than Jean Valjean", "Jean Valjean and M. Madeleine are one and the same
// man", "the identity of M. Madeleine and Jean Valjean", "M. Myriel was
// Bishop of D", "Monsieur Madeleine became Monsieur le Maire".
func (d *doc) sameManStated(p, r nameRun) bool {
	words := func(s, e int) []string {
		var out []string
		for k := s; k < e; k++ {
			if !d.isWord(k) || d.toks[k].sent != d.toks[r.tokS].sent {
				return nil
			}
			out = append(out, d.lower(k))
		}
		return out
	}
	between := words(int(p.tokE), int(r.tokS))
	// "M. Myriel was Bishop of D----": a title of a place is its holder's.
	if (slices.Equal(between, []string{"was"}) || slices.Equal(between, []string{"is"}) || slices.Equal(between, []string{"was", "the"})) &&
		r.hon != "" && len(r.words) >= 2 && strings.EqualFold(r.words[0], "of") &&
		(int(r.tokE) >= len(d.toks) || d.toks[r.tokE].kind != tkClitic) {
		return true
	}
	// "Monsieur Madeleine became Monsieur le Maire": an office taken.
	if slices.Equal(between, []string{"became"}) && r.hon != "" && len(r.words) > 0 && officeWord(strings.ToLower(r.words[len(r.words)-1])) {
		return true
	}
	if len(between) == 4 && (between[0] == "is" || between[0] == "was") &&
		(between[1] == "no" || between[1] == "none") && between[2] == "other" && between[3] == "than" {
		return true
	}
	if !slices.Equal(between, []string{"and"}) {
		return false
	}
	after := words(int(r.tokE), int(r.tokE)+5)
	if len(after) == 5 && (after[0] == "are" || after[0] == "were") && slices.Equal(after[1:], []string{"one", "and", "the", "same"}) {
		return true
	}
	return slices.Equal(words(int(p.tokS)-2, int(p.tokS)), []string{"identity", "of"})
}

// formerApposition reports whether run r restates run p by what she was
// called before: "Mrs. Weston (poor Miss Taylor that was)", "Mrs. Bumble,
// Mrs. Corney that was". The apposition opens with a comma or a
// parenthesis right after p, allows two lower-case words before r ("poor
// dear"), and "that was" closes it.
func (d *doc) formerApposition(p, r nameRun) bool {
	e := int(r.tokE)
	if !d.isWord(e) || !d.isWord(e+1) || d.lower(e) != "that" || d.lower(e+1) != "was" || d.isWord(e+2) {
		return false
	}
	k := int(p.tokE)
	if !d.punctIs(k, ",") && !d.punctIs(k, "(") || d.toks[k].sent != d.toks[r.tokS].sent {
		return false
	}
	gap := int(r.tokS) - k - 1
	if gap < 0 || gap > 2 {
		return false
	}
	for j := k + 1; j < int(r.tokS); j++ {
		if !d.isWord(j) || d.toks[j].flags&fLower == 0 {
			return false
		}
	}
	return true
}
