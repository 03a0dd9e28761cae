package analysis

// A novel names many who are not people of its story: the author whose
// plays a heroine acts, the bogey children cry after a stranger, the name a
// girl imagines for herself. Each is capitalised, may be the subject of a
// verb, and so passes for a character; the cues below show them to be
// referred to rather than present. Real people who are only talked about
// (a doctor quoted, a grandfather remembered) share their absence, so each
// rule asks for something only such a figure has.

// workNouns are creative works and art forms: a name owning them
// ("Milton's poems") or made their maker ("sonatas of Haydn") is
// an author or artist.
var workNouns = wordSet("play", "plays", "poem", "poems", "poetry", "verse",
	"verses", "sonnet", "sonnets", "tragedy", "tragedies", "comedy", "comedies",
	"novel", "novels", "works", "writings", "heroines", "opera", "operas",
	"sonata", "sonatas", "symphony", "symphonies", "music", "songs", "ballads",
	"fresco", "frescoes", "frescos", "paintings", "pictures", "statues")

// massWords measure out a name ending its phrase as a quantity of its
// maker's works ("too much Handel.", "some Haydn!"), which no person
// of a story is; a name going on is a subject ("how much Tom does") or an
// indefinite one ("some Smith or other").
var massWords = wordSet("much", "some", "more")

// folkloreWords name kinds of imaginary figure ("the Bogey Man"): a name
// made of one is a figure of speech, not a person.
var folkloreWords = wordSet("bogey", "bogy", "bogie", "bogeyman", "bogyman",
	"boogeyman", "bugbear", "bugaboo")

// imagineVerbs introduce an identity taken in play or fancy ("imagine I'm
// the Lady Rosamund", "play I was a queen").
var imagineVerbs = wordSet("imagine", "imagined", "imagining", "pretend",
	"pretended", "pretending", "play", "played", "playing", "fancy", "fancied")

// figureCues tallies one entity's mentions for notInStory.
type figureCues struct {
	n, narrated, addressed, tagged int
	works                          int // a maker's name for the work
	claims                         int // a name claimed in fancy or asked for
	indefinite                     int // after "a" or "an": one of a family or a kind
}

// notInStory returns the entities whose mentions show them to be figures
// the story refers to rather than people in it:
//   - a maker named for the works: at least two and a third of the
//     mentions read so, none tags speech, and a name read as addressed
//     is one stray in four of those (a concert programme's "Piano.
//     Beethoven," reads like an address);
//   - a figure of folklore: every form names a kind of bogey;
//   - a persona: at least two mentions are a name someone imagines having
//     or asks to be called by, and it is never named in narration nor
//     addressed, so no one in the story answers to it;
//   - a family or a kind: at least two and half the mentions follow "a" or
//     "an" ("she was a Powler", "what a Powler was"), which no one says of
//     a person.
//
// Each mention is read within a few tokens of it, so the cost is linear.
func (a *analyzer) notInStory() map[int]bool {
	d := a.d
	tally := map[int]*figureCues{}
	for _, m := range a.ments {
		c := tally[m.ent]
		if c == nil {
			c = &figureCues{}
			tally[m.ent] = c
		}
		c.n++
		s, e := int(m.tokS), int(m.tokE)
		if d.toks[s].quote < 0 {
			c.narrated++
		} else if a.isVocative(m) {
			c.addressed++
		}
		if a.besideSpeechVerb(m) {
			c.tagged++
		}
		if a.makerAt(s, e, m.form.hon != "") {
			c.works++
		}
		if d.toks[s].quote >= 0 && a.claimedAt(s) {
			c.claims++
		}
		if d.isWord(s-1) && (d.lower(s-1) == "a" || d.lower(s-1) == "an") {
			c.indefinite++
		}
	}
	out := map[int]bool{}
	for id, c := range tally {
		maker := c.works >= 2 && 3*c.works >= c.n && 4*c.addressed <= c.works && c.tagged == 0
		persona := c.claims >= 2 && c.narrated == 0 && c.addressed == 0
		family := c.indefinite >= 2 && 2*c.indefinite >= c.n
		if maker || persona || family || folklore(a.c.ents[id]) {
			out[id] = true
		}
	}
	return out
}

// makerAt reports whether the name at tokens [s, e) stands for its bearer's
// works: it owns a work ("Milton's poems", up to two words between),
// follows a work and "by"/"of" ("frescoes by Cimabue"), or is measured out
// and ends its phrase ("too much Handel."; not with a title: "some Mr.
// Smith" is no work).
func (a *analyzer) makerAt(s, e int, titled bool) bool {
	d := a.d
	if e < len(d.toks) && (d.toks[e].kind == tkClitic || d.isWord(e) && d.lower(e) == "s") {
		// A lone "s" is the possessive of a text that lost its apostrophes.
		for k := e + 1; k < min(len(d.toks), e+4) && d.isWord(k); k++ {
			if workNouns[d.lower(k)] {
				return true
			}
		}
	}
	if d.isWord(s-1) && (d.lower(s-1) == "by" || d.lower(s-1) == "of") && d.isWord(s-2) && workNouns[d.lower(s-2)] {
		return true
	}
	return !titled && d.isWord(s-1) && massWords[d.lower(s-1)] && (e >= len(d.toks) || d.toks[e].kind == tkPunct)
}

// claimedAt reports whether the quoted name starting at token s is one the
// speaker asks to be called by ("call me Rosamund", "be called Rosamund")
// or takes in fancy ("imagine I'm the Lady Rosamund", "imagined that my
// name was Rosamund").
func (a *analyzer) claimedAt(s int) bool {
	d := a.d
	w := func(k int) string {
		if !d.isWord(k) {
			return ""
		}
		return d.lower(k)
	}
	k := s - 1
	if w(k) == "the" {
		k--
	}
	switch w(k) {
	case "me":
		return w(k-1) == "call"
	case "called":
		return w(k-1) == "be" || w(k-1) == "being"
	case "i'm":
		k--
	case "am", "was", "were", "is":
		switch {
		case w(k-1) == "i":
			k -= 2
		case w(k-1) == "name" && w(k-2) == "my":
			k -= 3
		default:
			return false
		}
	default:
		return false
	}
	if w(k) == "that" {
		k--
	}
	return imagineVerbs[w(k)]
}

// folklore reports whether every form of e contains a folklore word.
func folklore(e *entity) bool {
	for _, f := range e.forms {
		found := false
		for _, lw := range f.lws {
			if folkloreWords[lw] {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return len(e.forms) > 0
}
