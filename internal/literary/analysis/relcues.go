package analysis

import (
	"sort"
	"strings"
)

// A pair is typed from what the text says about the two together: a
// relational noun anchored to both ("Mr. Darcy's aunt, Lady Catherine", "said
// his sister", "my dear friend" said to someone), an event with one on each
// side ("Frank Churchill and Miss Fairfax are engaged", "Mr. Brownlow adopted
// Oliver"), a kinship term used in address ("A merry Christmas, uncle!") and
// their names (a married name, a shared surname). Each such cue is weighed
// by how surely it ties the two; the type with the most weight wins.

// relCue is one piece of evidence that a pair stands in a relation.
type relCue struct {
	typ  string  // family, romance, friendship, service, mentorship, rivalry or enmity
	kind string  // the fine-grained relation: "sister", "husband", "married", "servant"…
	w    float64 // how surely the cue ties this pair
	s, e int     // byte span of the sentence that shows it; e == 0 for a name cue
	addr bool    // a term of address ("Good night, uncle!")
}

// Cue weights: a noun phrase naming both ends counts fully, an event
// between the two a little less, a term of address (whose addressee may be
// guessed wrong) less again.
const (
	wAnchored = 1.0
	wVocative = 0.4
	wEvent    = 0.6
	// wVoicedEvent is an event whose party is a quotation's "I" or "you".
	wVoicedEvent = 0.35
	wMarriedAs   = 2.0 // "Mrs. Wickham" for Lydia: her husband's surname
	wCouple      = 1.0 // Mr. and Mrs. of one surname
	wSurname     = 0.8
	wFamilyName  = 0.5 // a given-name-only character in a family's company
	// wLove is "he loved her": said of a stepmother or a brother-in-law
	// too, so one such line alone types no pair.
	wLove = 0.3
)

// minTypeWeight is the evidence a type needs to be asserted: one anchored
// phrase or event, or two terms of address.
const minTypeWeight = 0.6

// relInfo types a relational noun; gender is the gender of the person the
// noun names, "" when it does not say.
type relInfo struct {
	typ, gender string
}

// relNouns name one person by relation to another ("her sister"). A spouse
// is romance: courtship and marriage are one story.
var relNouns = map[string]relInfo{
	"father": {"family", "male"}, "mother": {"family", "female"}, "son": {"family", "male"},
	"daughter": {"family", "female"}, "brother": {"family", "male"}, "sister": {"family", "female"},
	"uncle": {"family", "male"}, "aunt": {"family", "female"}, "nephew": {"family", "male"},
	"niece": {"family", "female"}, "cousin": {"family", ""}, "grandfather": {"family", "male"},
	"grandmother": {"family", "female"}, "grandson": {"family", "male"}, "granddaughter": {"family", "female"},
	"stepfather": {"family", "male"}, "stepmother": {"family", "female"}, "half-brother": {"family", "male"},
	"half-sister": {"family", "female"}, "papa": {"family", "male"}, "mamma": {"family", "female"},
	"parent": {"family", ""}, "twin": {"family", ""}, "relation": {"family", ""}, "kinsman": {"family", "male"},
	"son-in-law": {"family", "male"}, "daughter-in-law": {"family", "female"}, "father-in-law": {"family", "male"},
	"mother-in-law": {"family", "female"}, "brother-in-law": {"family", "male"}, "sister-in-law": {"family", "female"},
	"stepson": {"family", "male"}, "stepdaughter": {"family", "female"}, "step-son": {"family", "male"},
	"step-daughter": {"family", "female"}, "step-father": {"family", "male"}, "step-mother": {"family", "female"},
	"godfather": {"mentorship", "male"}, "godmother": {"mentorship", "female"}, "godson": {"mentorship", "male"},
	"goddaughter": {"mentorship", "female"}, "widow": {"romance", "female"}, "widower": {"romance", "male"},
	"spouse": {"romance", ""}, "wife": {"romance", "female"}, "husband": {"romance", "male"}, "lover": {"romance", ""},
	"sweetheart": {"romance", ""}, "suitor": {"romance", "male"}, "admirer": {"romance", ""},
	"betrothed": {"romance", ""}, "bride": {"romance", "female"}, "bridegroom": {"romance", "male"},
	"fiancé": {"romance", "male"}, "fiancée": {"romance", "female"},
	"friend": {"friendship", ""}, "comrade": {"friendship", ""},
	"confidant": {"friendship", ""}, "confidante": {"friendship", "female"}, "chum": {"friendship", ""},
	"servant": {"service", ""}, "master": {"service", "male"}, "mistress": {"service", "female"},
	"maid": {"service", "female"}, "butler": {"service", "male"}, "footman": {"service", "male"},
	"valet": {"service", "male"}, "housekeeper": {"service", "female"}, "clerk": {"service", ""},
	"employer": {"service", ""}, "apprentice": {"service", ""}, "coachman": {"service", "male"},
	"steward": {"service", "male"}, "secretary": {"service", ""}, "lady's-maid": {"service", "female"},
	"guardian": {"mentorship", ""}, "ward": {"mentorship", ""}, "pupil": {"mentorship", ""},
	"tutor": {"mentorship", ""}, "teacher": {"mentorship", ""}, "governess": {"mentorship", "female"},
	"protégé": {"mentorship", "male"}, "protégée": {"mentorship", "female"}, "mentor": {"mentorship", ""},
	"disciple": {"mentorship", ""}, "benefactor": {"mentorship", ""},
	"rival": {"rivalry", ""},
	"enemy": {"enmity", ""}, "foe": {"enmity", ""}, "adversary": {"enmity", ""},
	"persecutor": {"enmity", ""}, "murderer": {"enmity", ""},
}

// relNoun looks a word up in relNouns, singular or plural ("sisters").
func relNoun(w string) (string, relInfo, bool) {
	if r, ok := relNouns[w]; ok {
		return w, r, true
	}
	if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
		if r, ok := relNouns[w[:len(w)-1]]; ok {
			return w[:len(w)-1], r, true
		}
	}
	return "", relInfo{}, false
}

// relModifiers may stand between a possessive and its relational noun ("her
// dear young friend", "Elizabeth's intimate friend").
var relModifiers = wordSet("dear", "dearest", "old", "oldest", "own", "young", "little", "best",
	"intimate", "particular", "beloved", "late", "elder", "eldest", "younger", "youngest", "only",
	"poor", "faithful", "future", "new", "former", "devoted", "worthy", "kind", "good", "sworn",
	"bitter", "deadly", "great", "chief", "head", "trusty", "bosom", "true", "most", "first",
	"favourite", "favorite", "sole", "constant", "affectionate", "loving", "fond", "pretty", "married")

// relEvents are words of an event between two people ("married", "adopted");
// each maps to its type and the kind reported.
var relEvents = map[string][2]string{
	"married": {"romance", "married"}, "marry": {"romance", "married"}, "marries": {"romance", "married"},
	"marrying": {"romance", "married"}, "marriage": {"romance", "married"}, "wedding": {"romance", "married"},
	"wed": {"romance", "married"}, "wedded": {"romance", "married"},
	"engaged": {"romance", "engaged"}, "engagement": {"romance", "engaged"},
	"proposed": {"romance", "courtship"}, "proposal": {"romance", "courtship"}, "propose": {"romance", "courtship"},
	"courting": {"romance", "courtship"}, "courted": {"romance", "courtship"}, "courtship": {"romance", "courtship"},
	"kissed":     {"romance", "kiss"},
	"friendship": {"friendship", "friend"}, "befriended": {"friendship", "friend"},
	"employed": {"service", "employer"}, "hired": {"service", "employer"}, "apprenticed": {"service", "apprentice"},
	"adopted": {"mentorship", "guardian"}, "adopt": {"mentorship", "guardian"},
	"rivalry": {"rivalry", "rival"}, "rivals": {"rivalry", "rival"},
	"hated": {"enmity", "enemy"}, "hates": {"enmity", "enemy"}, "hatred": {"enmity", "enemy"},
	"murdered": {"enmity", "enemy"}, "loathed": {"enmity", "enemy"},
	"despised": {"enmity", "enemy"}, "revenge": {"enmity", "enemy"}, "vengeance": {"enmity", "enemy"},
}

// eventNouns are the event words that are nouns: they tie the person
// before them to one after only through a preposition.
var eventNouns = wordSet("marriage", "wedding", "engagement", "proposal", "courtship", "friendship",
	"rivalry", "hatred", "revenge", "vengeance")

// eventLinks join an event noun to its other party.
var eventLinks = wordSet("with", "to", "of", "between", "on", "against")

// parentTitles stand before a name as a title of respect.
var parentTitles = wordSet("father", "mother")

// addressKin are kinship terms used as a name in address ("Good night,
// uncle!"): the speaker is the addressee's relative.
var addressKin = wordSet("uncle", "aunt", "papa", "mamma", "mama", "father", "mother", "brother",
	"sister", "cousin", "grandfather", "grandmother", "grandpapa", "grandmamma")

// copulas link a name to the relational noun that describes it ("Lydia was
// his sister").
var copulas = wordSet("was", "is", "were", "are", "be", "been", "became", "becomes", "become")

// participant is a character taking part in a sentence: named there, or
// referred to by a pronoun resolved to a character. A name in address
// ("I am in love with it, Basil") and the possessor of a relational noun
// ("engaged to my daughter") are not parties to an event.
type participant struct {
	tok, char int
	aside     bool
	voc       bool // named in address, so no pronoun's antecedent
	// voiced marks "I" or "you" in a quotation when the speech tag does not
	// name the speaker, nor the quotation the one addressed: as sure only
	// as attribution's guess.
	voiced bool
}

// namedSpeaker are the attribution methods that read the speaker's name
// (or a description of them) in the speech tag.
var namedSpeaker = map[string]bool{"explicit": true, "epithet": true, "kinship": true, "narrator": true}

// relationCues finds every cue in the text and reports it for its pair.
func (a *analyzer) relationCues(report func(x, y int, c relCue)) {
	d := a.d
	tokUtt := a.turnOfTokens()
	cueWord := cueWords(d)
	var parts []participant
	for si := range d.sents {
		sent := &d.sents[si]
		s, e := int(sent.tokS), int(sent.tokE)
		// Most sentences have no cue word; skip them before resolving
		// pronouns.
		has := false
		for k := s; k < e && !has; k++ {
			has = d.toks[k].lw >= 0 && cueWord[d.toks[k].lw]
		}
		if !has {
			continue
		}
		parts = a.participants(s, e, tokUtt, parts[:0])
		cue := func(x, y int, typ, kind string, w float64, addr bool) {
			if x >= 0 && y >= 0 && x != y && w > 0 {
				report(x, y, relCue{typ: typ, kind: kind, w: w, s: int(sent.s), e: int(sent.e), addr: addr})
			}
		}
		for k := s; k < e; k++ {
			if !d.isWord(k) || !cueWord[d.toks[k].lw] {
				continue
			}
			lw := d.lower(k)
			if noun, info, ok := relNoun(lw); ok {
				x, y, w, addr := a.nounEnds(k, s, e, info, parts, tokUtt)
				cue(x, y, info.typ, noun, w, addr)
			}
			if addressKin[lw] && d.toks[k].quote >= 0 && !a.possessed(k) && !a.quotedWords(k) && !a.groupTurn(d.quotes[d.toks[k].quote].utt) {
				u := &a.utts[d.quotes[d.toks[k].quote].utt]
				if mi := a.tokMent[k]; mi >= 0 && int(a.ments[mi].tokS) == k {
					// A name with a kinship title, in address: "Pure family
					// affection, I assure you, Uncle George." "Father" and
					// "Mother" before a name are titles of respect, not
					// kinship ("Father Madeleine, come out!").
					if !parentTitles[lw] && a.tokenVocative(k, int(a.ments[mi].tokE)) {
						cue(u.speaker, a.ments[mi].char, "family", lw, wVocative, true)
					}
				} else if a.tokenVocative(k, k+1) {
					if y := a.addresseeOf(u); u.speaker >= 0 && y >= 0 {
						cue(u.speaker, y, "family", lw, wVocative*a.kinFit(u.speaker, y, lw), true)
					}
				}
			}
			ev, ok := relEvents[lw]
			if ok {
				after := eventMaxAfter
				switch {
				case determiners[d.lower(k-1)] && (ev[1] == "married" || ev[1] == "engaged") && !eventNouns[lw]:
					// "their married sisters", "a married woman": a
					// participle describing someone, no event.
					ok = false
				case !eventNouns[lw] && a.negatedEvent(k, s), eventNouns[lw] && hedges[d.lower(k-1)]:
					// "no danger of Wickham's marrying Mary King", "any
					// thought of marrying Jane Fairfax", "her supposed
					// engagement": denied or doubted, not told.
					ok = false
				case lw == "engaged" && busyLinks[d.lower(k+1)]:
					// "too busily engaged in their separate apartments",
					// "engaged the musicians": occupied, or hiring.
					ok = false
				case proposals[lw] && d.lower(k+1) != "to" && d.lower(k+1) != "marriage":
					// "as she proposed it to Harriet": a plan, not a
					// marriage, is proposed.
					ok = false
				case proposals[lw]:
					// "proposed to her": the one proposed to comes
					// straight after "to" ("proposed to go and see
					// Mr. Bingley" proposes nothing to him).
					after = 3
				case lw == "engaged" && d.lower(k+1) != "to":
					// "engaged" is also busy, or hired: only "engaged
					// to" someone, or two engaged, is a betrothal.
					after = 0
				case eventNouns[lw] && !eventLinks[d.lower(k+1)]:
					// "the marriage" of no one named is talk of
					// marriage: "his marriage with her", "a friendship
					// between him and Darcy" tie two.
					after = 0
				}
				if ok {
					x, y, voiced := a.eventEnds(k, parts, after)
					if x < 0 && ev[0] != "service" && ev[0] != "mentorship" {
						// "they were married": two who marry each other;
						// but "they had employed" or "adopted" someone
						// else, one never employs or adopts the other.
						x, y = a.pluralParties(k, s, e)
					}
					cue(x, y, ev[0], ev[1], eventWeight(voiced), false)
				}
			}
			// "I will kill you", "He s killed Adye": the killer (or the
			// one who threatens to kill) just before, the victim just
			// after, and nothing looser, for "kill" is as often a figure
			// ("it will kill me").
			if lw == "kill" || lw == "killed" {
				y := partAt(parts, k+1)
				if a.possessive(k+1) || copulas[d.lower(k-1)] || d.lower(k-1) == "am" || a.supposed(k, s) {
					// "You have killed my love": the victim is not a
					// person; "If I am killed": the one before is the
					// victim; "unless you kill me first": a threat
					// supposed, not made.
					y = -1
				}
				if x, j := actorBefore(parts, k, s); x >= 0 && y >= 0 {
					cue(x, y, "enmity", "enemy", eventWeight(voicedAt(parts, j) || voicedAt(parts, k+1)), false)
				}
			}
			if lw == "bring" || lw == "brought" {
				for _, g := range a.upbringing(k, s, parts) {
					cue(g[0], g[1], "mentorship", "guardian", wEvent, false)
				}
			}
			// "in love with" someone: the one loved follows "with".
			if lw == "love" && d.lower(k-1) == "in" && k+1 < e && d.lower(k+1) == "with" {
				x, y, voiced := a.eventEnds(k, parts, 2)
				cue(x, y, "romance", "in love", eventWeight(voiced), false)
			} else if loveVerbs[lw] && !a.possessive(k+1) && !determiners[d.lower(k-1)] && !a.negatedEvent(k, s) {
				// "George loved her", "You love him!": the lover within a
				// few words before, the one loved straight after. Parents
				// and friends love too: typeRelationship keeps the cue only
				// for a man and a woman not known to be kin.
				if x, _ := actorBefore(parts, k, s); x >= 0 {
					if y := partAt(parts, k+1); y >= 0 {
						cue(x, y, "romance", "love", wLove, false)
					}
				}
			}
		}
	}
}

// cueWords marks the vocabulary entries that may start a cue, so that the
// word lists are looked up once per distinct word rather than per token.
func cueWords(d *doc) []bool {
	out := make([]bool, len(d.vocab))
	for i, w := range d.vocab {
		_, _, noun := relNoun(w)
		_, event := relEvents[w]
		out[i] = noun || event || addressKin[w] || loveVerbs[w] || w == "kill" || w == "killed" || w == "bring" || w == "brought"
	}
	return out
}

// turnOfTokens maps each token to the turn whose quotations or speech tags
// it belongs to, -1 outside any.
func (a *analyzer) turnOfTokens() []int32 {
	out := make([]int32, len(a.d.toks))
	for i := range out {
		out[i] = -1
	}
	for ui := range a.utts {
		u := &a.utts[ui]
		for k := max(0, u.tokS); k < min(u.tokE, len(out)); k++ {
			out[k] = int32(ui)
		}
	}
	return out
}

// nuclearKin are the relatives who normally share one's surname.
var nuclearKin = wordSet("father", "mother", "papa", "mamma", "mama", "brother", "sister")

// kinFit weighs a relational term of address by how well it fits the one
// addressed, who may be guessed wrong: a term of the wrong gender counts
// for nothing; a parent or sibling counts fully only when the two are
// known to share a family name, and for nothing when they are known not to.
func (a *analyzer) kinFit(speaker, addressee int, term string) float64 {
	if g := relNouns[term].gender; g != "" && a.chars[addressee].gender != "" && a.chars[addressee].gender != g {
		return 0
	}
	if !nuclearKin[term] {
		return 1
	}
	fs, fa := a.familyOf(speaker), a.familyOf(addressee)
	switch {
	case fs != "" && fs == fa:
		return 1
	case fs != "" && fa != "":
		return 0
	}
	return 0.5
}

// addresseeOf returns the one the turn speaks to, -1 if unknown.
func (a *analyzer) addresseeOf(u *utterance) int {
	if u.addressee >= 0 {
		return u.addressee
	}
	if len(u.vocs) == 1 {
		return u.vocs[0]
	}
	return -1
}

// participants lists the characters of tokens [s, e): names, and the
// pronouns that can be resolved: he, she, him, her, his to the last
// character of that gender named before in the sentence or, in narration,
// in the paragraphs just before; I, me, my to a quotation's speaker (or a
// first-person narrator); you, your to the one a quotation addresses.
func (a *analyzer) participants(s, e int, tokUtt []int32, out []participant) []participant {
	d := a.d
	for k := s; k < e; k++ {
		if mi := a.tokMent[k]; mi >= 0 {
			if m := &a.ments[mi]; int(m.tokS) == k && m.char >= 0 {
				e := int(m.tokE)
				voc := d.toks[k].quote >= 0 && a.tokenVocative(k, e)
				aside := voc || e < len(d.toks) && d.toks[e].kind == tkClitic && a.possessesRelative(e+1)
				out = append(out, participant{tok: k, char: m.char, aside: aside, voc: voc})
			}
			continue
		}
		if !d.isWord(k) {
			continue
		}
		c := -1
		q := d.toks[k].quote
		voiced := false
		switch d.lower(k) {
		case "he", "him", "his":
			c = a.antecedent(k, "male", q, out)
		case "she", "her":
			c = a.antecedent(k, "female", q, out)
		case "i", "me", "my", "we", "us":
			// "We" stands for the speaker in an event with one other
			// party: "he proposed that we should marry".
			if q >= 0 && (a.reported(k) || a.quotedWords(k) || a.groupTurn(d.quotes[q].utt)) {
				// "… he says, you never laid such snares as I'll contrive for
				// my young brother": the speaker quotes someone else; "she
				// heard the words "my son,"": no one says them to anyone;
				// "they cried": several say them.
				break
			}
			if q >= 0 {
				u := &a.utts[d.quotes[q].utt]
				c, voiced = u.speaker, !namedSpeaker[u.method]
			} else if a.firstPerson {
				c = a.narrator
			}
		case "mine":
			if q >= 0 {
				u := &a.utts[d.quotes[q].utt]
				c, voiced = u.speaker, !namedSpeaker[u.method]
			}
		case "hers":
			c = a.antecedent(k, "female", q, out)
		case "you", "your", "yours":
			if q >= 0 {
				u := &a.utts[d.quotes[q].utt]
				c = a.addresseeOf(u)
				voiced = len(u.vocs) != 1 || u.vocs[0] != c
			}
		}
		if c >= 0 {
			out = append(out, participant{tok: k, char: c, aside: a.possessesRelative(k + 1), voiced: voiced})
		}
	}
	return out
}

// quotedWords reports whether the quotation holding token k is words cited
// in the middle of narration, not said to anyone: "she heard the words "my
// son," and "Frank,"" (a word before the opening mark, not a speech verb).
func (a *analyzer) quotedWords(k int) bool {
	d := a.d
	// The quotation's first token by search, not by walking back: a quotation
	// left open for a whole book would make every cue in it walk its length.
	j, _ := d.segTokens(int(d.toks[k].quote))
	// Past the opening marks, a handful at most.
	for n := 0; n < maxOpeningMarks && j > 0 && d.toks[j-1].kind == tkPunct && d.toks[j-1].quote < 0 && !d.punctIs(j-1, ",") && !d.punctIs(j-1, ":"); n++ {
		j--
	}
	return j > 0 && d.isWord(j-1) && d.toks[j-1].quote < 0 && d.toks[j-1].sent == d.toks[k].sent && !speechVerbs[d.lower(j-1)]
}

// maxOpeningMarks bounds the punctuation quotedWords steps over before a
// quotation: its opening marks and perhaps a dash.
const maxOpeningMarks = 4

// reported reports whether token k, in a quotation, follows a speech tag
// inside it ("he says", "says she"): the words are someone else's, whom the
// speaker quotes.
func (a *analyzer) reported(k int) bool {
	d := a.d
	q := d.toks[k].quote
	for j := k - 1; j > max(0, k-60) && d.toks[j].quote == q; j-- {
		if !d.isWord(j) || !speechVerbs[d.lower(j)] {
			continue
		}
		if w := d.lower(j - 1); w == "he" || w == "she" {
			return true
		}
		if w := d.lower(j + 1); w == "he" || w == "she" {
			return true
		}
	}
	return false
}

// possessesRelative reports whether tokens from k read a relational noun,
// perhaps after modifiers ("dear old friend").
func (a *analyzer) possessesRelative(k int) bool {
	d := a.d
	for j := k; j < min(len(d.toks), k+3) && d.isWord(j); j++ {
		if _, _, ok := relNoun(d.lower(j)); ok {
			return true
		}
		if !relModifiers[d.lower(j)] {
			return false
		}
	}
	return false
}

// antecedent resolves a third-person pronoun at token k: the last character
// of its gender among the sentence's participants before it in the same
// voice, else, in narration, the last one named in the paragraph or the one
// before.
func (a *analyzer) antecedent(k int, gender string, quote int32, before []participant) int {
	// Within the window the attribution reads back, so that a sentence of
	// thousands of names costs no more per pronoun than a paragraph.
	for i := len(before) - 1; i >= 0 && before[i].tok >= k-maxWindowTokens; i-- {
		p := before[i]
		if !p.voc && a.chars[p.char].gender == gender && a.sameVoice(a.d.toks[p.tok].quote, quote) {
			return p.char
		}
	}
	if quote >= 0 {
		return -1
	}
	return a.recentNarrationMention(k, gender, -1, 1)
}

// speaksIn reports whether turn ui has quoted words among tokens [s, e).
func (a *analyzer) speaksIn(ui, s, e int) bool {
	for k := s; k < e; k++ {
		if q := a.d.toks[k].quote; q >= 0 && a.d.quotes[q].utt == ui {
			return true
		}
	}
	return false
}

// sameVoice reports whether two tokens' quotation indices belong to the
// same voice: both narration, or quotations of one turn (a speech tag may
// split a sentence of speech in two).
func (a *analyzer) sameVoice(q1, q2 int32) bool {
	if q1 < 0 || q2 < 0 {
		return q1 == q2
	}
	return a.d.quotes[q1].utt == a.d.quotes[q2].utt
}

// possessed reports whether the word at k follows a possessive ("my
// uncle"), which makes it a mention of a relative, not an address to one.
func (a *analyzer) possessed(k int) bool {
	switch a.d.lower(k - 1) {
	case "my", "your", "his", "her", "our", "their":
		return true
	}
	return a.d.toks[max(0, k-1)].kind == tkClitic
}

// possessive reports whether the person at token k is a possessor ("my
// love", "her own life", "Adye's men") rather than a person in their own
// right ("kill her.").
func (a *analyzer) possessive(k int) bool {
	d := a.d
	switch d.lower(k) {
	case "my", "his", "your", "our", "their":
		return true
	case "her":
		return d.isWord(k+1) && !clauseJoins[d.lower(k+1)] && !eventLinks[d.lower(k+1)]
	}
	if mi := a.tokMent[k]; mi >= 0 {
		e := int(a.ments[mi].tokE)
		return e < len(d.toks) && d.toks[e].kind == tkClitic
	}
	return false
}

// participantAt returns the participant at token k. Participants are in
// token order, so it searches: a sentence may hold thousands of them.
func participantAt(parts []participant, k int) (participant, bool) {
	i := sort.Search(len(parts), func(i int) bool { return parts[i].tok >= k })
	if i < len(parts) && parts[i].tok == k {
		return parts[i], true
	}
	return participant{}, false
}

// partAt returns the character taking part at token k, -1 if none.
func partAt(parts []participant, k int) int {
	if p, ok := participantAt(parts, k); ok {
		return p.char
	}
	return -1
}

// mentionEndingAt returns the character named by a mention whose last token
// is k, -1 if none.
func (a *analyzer) mentionEndingAt(k int) int {
	if k < 0 || k >= len(a.tokMent) {
		return -1
	}
	if mi := a.tokMent[k]; mi >= 0 && int(a.ments[mi].tokE) == k+1 {
		return a.ments[mi].char
	}
	return -1
}

// nounEnds finds the two people a relational noun at token k links: the one
// it is relative to (the possessor in "Darcy's aunt", "her sister", or the
// object of "aunt to Mr. Darcy") and the one it names (by apposition, by a
// copula, as the speaker of a "said his sister" tag, or as the one addressed
// by "my dear friend"). A noun whose other end the sentence does not name
// ("his clerk") says nothing about any pair.
func (a *analyzer) nounEnds(k, s, e int, info relInfo, parts []participant, tokUtt []int32) (owner, named int, w float64, addr bool) {
	d := a.d
	ps := k
	for ps-1 >= s && d.isWord(ps-1) && relModifiers[d.lower(ps-1)] && ps > k-3 {
		ps--
	}
	owner = -1
	p := ps - 1
	switch {
	case p >= s && d.toks[p].kind == tkClitic:
		owner = a.mentionEndingAt(p - 1)
		ps = p
		for ps > s && a.tokMent[ps-1] >= 0 && a.tokMent[ps-1] == a.tokMent[p-1] {
			ps--
		}
	case p >= s && d.isWord(p):
		switch d.lower(p) {
		case "his", "her", "my", "your":
			owner = partAt(parts, p)
			ps = p
			// "Scrooge was his sole executor, …, his sole friend": the
			// possessor of a copula's predicate is not its subject (that
			// would be "his own"), so "his" is someone named before.
			if subj := a.predicateSubject(p, s); subj >= 0 && subj == owner && d.toks[p].quote < 0 && d.lower(p) != "my" && d.lower(p) != "your" {
				owner = a.recentNarrationMention(p, a.chars[subj].gender, subj, 1)
				if owner >= 0 && (info.gender == "" || a.chars[subj].gender == "" || a.chars[subj].gender == info.gender) {
					return owner, subj, wAnchored, false
				}
				return -1, -1, 0, false
			}
		default:
			// "the sister of Mr. Bingley", "an old Oxford friend of mine".
			for j := p; j >= max(s, k-4); j-- {
				if w := d.lower(j); w == "the" || w == "a" || w == "an" {
					ps = j
					break
				}
			}
		}
	}
	if owner < 0 {
		// "the sister of Mr. Bingley", "is aunt to the present Mr. Darcy".
		if k+1 >= e || d.lower(k+1) != "of" && d.lower(k+1) != "to" || ps == k && !copulas[d.lower(k-1)] && !d.punctIs(k-1, ",") {
			return -1, -1, 0, false
		}
		for j := k + 2; j < min(e, k+5); j++ {
			if c := partAt(parts, j); c >= 0 {
				owner = c
				break
			}
		}
		if owner < 0 {
			return -1, -1, 0, false
		}
	}
	fits := func(c int) bool {
		return c >= 0 && c != owner && (info.gender == "" || a.chars[c].gender == "" || a.chars[c].gender == info.gender)
	}
	// Apposition after: "his friend Mr. Grimwig", "my friend, Mr. Sherlock
	// Holmes, one day". After a comma the name must close a phrase: in "her
	// quitting her father, Mr. Knightley felt" it opens a new clause.
	j := k + 1
	comma := d.punctIs(j, ",")
	if comma {
		j++
	}
	if j < e {
		if mi := a.tokMent[j]; mi >= 0 && fits(a.ments[mi].char) && int(a.ments[mi].tokS) == j {
			if end := int(a.ments[mi].tokE); !comma || end >= e || d.toks[end].kind == tkPunct && !a.listGoesOn(end) {
				return owner, a.ments[mi].char, wAnchored, false
			}
		}
	}
	// Speech tag: "said his sister", once attribution has found the sister.
	if ps-1 >= 0 && d.toks[k].quote < 0 && speechVerbs[d.lower(ps-1)] && tokUtt[k] >= 0 &&
		a.utts[tokUtt[k]].method == "kinship" && (d.lower(ps) == "his" || d.lower(ps) == "her") {
		u := &a.utts[tokUtt[k]]
		g := "male"
		if d.lower(ps) == "her" {
			g = "female"
		}
		owner = a.referent(int(tokUtt[k]), ps, g)
		if fits(u.speaker) && owner >= 0 {
			return owner, u.speaker, wAnchored, false
		}
	}
	// In the speech tag of a turn, the speaker's relative is the one spoken
	// to: "exclaimed Fagin, darting an angry look at his pupil" (but in
	// "said Scrooge's nephew" the relative is the speaker).
	// The relative is the object of the speaker's gesture, after a
	// preposition: in "His wife gave him a look … and added" she is the
	// speaker herself, in "the nature of her friend's complaint" someone
	// talked about.
	if ui := tokUtt[k]; ui >= 0 && d.toks[k].quote < 0 && owner == a.utts[ui].speaker && a.speaksIn(int(ui), s, e) &&
		gestureLinks[d.lower(ps-1)] && (k+1 >= e || d.toks[k+1].kind != tkClitic) {
		if c := a.addresseeOf(&a.utts[ui]); fits(c) {
			return owner, c, wEvent, false
		}
		// "said Frank to his father" with no father found as the one
		// addressed: the last speaker of the scene, if he fits.
		if d.lower(ps-1) == "to" && ui > 0 && a.linked(int(ui)-1, int(ui), sceneNarrationWords) {
			if c := a.utts[ui-1].speaker; fits(c) {
				return owner, c, wEvent, false
			}
		}
	}
	// Apposition or copula before: "Lady Catherine, Mr. Darcy's aunt", "Lydia
	// was his sister", "Lydia had been his favourite".
	lo := ps - 4
	if d.punctIs(ps-1, ",") {
		lo = ps - 2
	}
	if d.punctIs(ps-1, ",") {
		// Past one addressed: "This is Lord Henry Wotton, Dorian, an old
		// friend of mine."
		if mi := a.tokMent[ps-2]; ps-2 >= s && mi >= 0 && d.toks[ps-2].quote >= 0 {
			if m := &a.ments[mi]; a.tokenVocative(int(m.tokS), int(m.tokE)) && d.punctIs(int(m.tokS)-1, ",") {
				ps, lo = int(m.tokS), int(m.tokS)-2
			}
		}
	}
	// "Mr. Windibank—that is, my father—took it all".
	if d.punctIs(ps-1, ",") && d.lower(ps-2) == "is" && d.lower(ps-3) == "that" {
		b := ps - 4
		if d.punctIs(b, "—") || d.punctIs(b, "--") || d.punctIs(b, ",") {
			b--
		}
		if c := a.mentionEndingAt(b); b >= s && fits(c) {
			return owner, c, wAnchored, false
		}
	}
	// "young Cox, my father, and myself" lists three, none of them the
	// father: a comma before the relative and one going on after it.
	inList := d.punctIs(ps-1, ",") && d.punctIs(k+1, ",") && (d.lower(k+2) == "and" || a.startsMention(k+2))
	if d.punctIs(ps-1, ",") && !inList || copulas[d.lower(ps-1)] {
		for b := ps - 2; b >= max(s, lo); b-- {
			if c := a.mentionEndingAt(b); c >= 0 {
				if fits(c) {
					return owner, c, wAnchored, false
				}
				break
			}
		}
	}
	// Address: "my dear cousin" said to someone; "my friend" alone is
	// as often said to a stranger.
	if q := d.toks[k].quote; q >= 0 && d.lower(ps) == "my" && a.tokenVocative(ps, k+1) && (info.typ != "friendship" || k-ps > 1) {
		u := &a.utts[d.quotes[q].utt]
		if c := a.addresseeOf(u); fits(c) && owner == u.speaker {
			return owner, c, wVocative * a.kinFit(u.speaker, c, d.lower(k)), true
		}
	}
	// "Mr. Sowerberry rightly construed this, …; it was speedily
	// determined … that he should accompany his master": a servant's
	// master goes unnamed where the narration has just named him as the
	// sentence's subject, alone ("Mr. Bumble and Sowerberry walked …; and
	// Oliver, whose legs were not so long as his master's" does not say
	// which).
	if employers[d.lower(k)] && owner >= 0 && d.toks[k].quote < 0 && len(parts) > 0 && parts[0].tok == s && a.tokMent[s] >= 0 && fits(parts[0].char) {
		if end := int(a.ments[a.tokMent[s]].tokE); d.lower(end) != "and" {
			return owner, parts[0].char, wEvent, false
		}
	}
	// "gaining ground over the mind of her friend; for Mrs. Weston was
	// the most used of the two to yield": a relative left unnamed at the
	// end of a clause is the one named first thing in the clause joined to
	// it (not in the next sentence, as often about someone else: "… about
	// his son. Mr. Beebe", nor after a bare semicolon, which lists people:
	// "of her eldest daughter; Mrs. Bennet was doubly engaged").
	if j := k + 2; owner >= 0 && d.toks[k].quote < 0 && d.punctIs(k+1, ";") && clauseJoins[d.lower(j)] {
		if c := partAt(parts, j+1); c >= 0 && a.tokMent[j+1] >= 0 && d.toks[j+1].quote < 0 && fits(c) {
			return owner, c, wEvent, false
		}
	}
	// "to leave his poor clerk fifty pounds": no one named, but the book
	// ties "the clerk" to one character, who is the owner's.
	if owner >= 0 {
		if c := a.describedChar(a.chapter[d.toks[k].para], d.lower(k)); fits(c) {
			return owner, c, wEvent, false
		}
	}
	// "that of your father?" said to Miss Morstan, with no father named:
	// a parent, child or sibling shares the family name, so he is the
	// book's one other Morstan of his gender, if it has just one.
	if sharesSurname[d.lower(k)] {
		if c := a.onlyOtherOfSurname(owner, info.gender); c >= 0 && a.keepsName(owner, c, d.lower(k)) {
			return owner, c, wEvent, false
		}
	}
	return -1, -1, 0, false
}

// groupTurn reports whether turn ui is said by several at once: its tag's
// subject is "they" ("“Well! Uncle Scrooge!” they cried"), so its "I" and
// its kin in address are no one's in the cast.
func (a *analyzer) groupTurn(ui int) bool {
	d := a.d
	u := &a.utts[ui]
	_, e := d.segTokens(u.segs[len(u.segs)-1])
	k := e
	for k < min(len(d.toks), e+3) && !d.isWord(k) {
		k++
	}
	if d.isWord(k) && d.isWord(k+1) && (d.lower(k) == "they" && speechVerbs[d.lower(k+1)] || speechVerbs[d.lower(k)] && d.lower(k+1) == "they") {
		return true
	}
	s, _ := d.segTokens(u.segs[0])
	k = s - 1
	for k > max(0, s-4) && !d.isWord(k) {
		k--
	}
	return d.isWord(k) && d.isWord(k-1) && speechVerbs[d.lower(k)] && d.lower(k-1) == "they"
}

// listGoesOn reports whether the comma or "and" at token k goes on to
// another name: "his father, Mr. Knightley, Mr. Cox, and Mr. Cole" lists
// three men, none of them the father.
func (a *analyzer) listGoesOn(k int) bool {
	d := a.d
	if !d.punctIs(k, ",") {
		return false
	}
	if d.lower(k+1) == "and" {
		k++
	}
	return a.startsMention(k + 1)
}

// gestureLinks join a speaker's gesture to the one it is aimed at: "darting
// an angry look at his pupil", "said Frank to his father".
var gestureLinks = wordSet("at", "to", "towards", "toward", "upon", "on", "with")

// clauseJoins are the conjunctions that carry a clause on about the one
// just mentioned.
var clauseJoins = wordSet("for", "and", "but")

// employers are the relational nouns naming the one a servant works for.
var employers = wordSet("master", "mistress", "employer")

// sharesSurname are the relatives (one, not "sisters") who may bear one's
// family name.
var sharesSurname = wordSet("father", "mother", "papa", "mamma", "son", "daughter", "brother", "sister", "husband", "wife")

// keepsName reports whether the relative of owner that noun names bears
// owner's surname: a married woman (a "Mrs.") shares it with her husband
// and children, not with her parents and siblings; a woman who is no
// "Mrs." is no one's wife by that name.
func (a *analyzer) keepsName(owner, relative int, noun string) bool {
	switch mo, mr := isMrs(a.chars[owner].ent), isMrs(a.chars[relative].ent); {
	case mo:
		return noun == "husband" || noun == "son" || noun == "daughter"
	case mr:
		return noun == "wife" || noun == "mother" || noun == "mamma"
	}
	return noun != "husband" && noun != "wife" && noun != "mother" && noun != "mamma"
}

// isMrs reports whether the entity is called Mrs. <its surname>.
func isMrs(e *entity) bool {
	for _, f := range e.forms {
		if f.hon != "" && honorifics[f.hon].class == "Mrs" && len(f.lws) == 1 && f.lws[0] == e.surname {
			return true
		}
	}
	return false
}

// onlyOtherOfSurname returns the one character other than c with c's
// surname and the given gender, -1 if there is none or more than one.
func (a *analyzer) onlyOtherOfSurname(c int, gender string) int {
	if c < 0 || gender == "" || a.chars[c].ent.surname == "" {
		return -1
	}
	found := -1
	for o, ch := range a.chars {
		if o == c || ch.ent.surname != a.chars[c].ent.surname || ch.gender != gender {
			continue
		}
		if found >= 0 {
			return -1
		}
		found = o
	}
	return found
}

// predicateSubject returns the character named as the subject of a copula
// whose predicate is the possessive phrase at token ps, or the last of a list
// of them ("Scrooge was his sole executor, his sole administrator, … his sole
// friend"), -1 if none.
func (a *analyzer) predicateSubject(ps, s int) int {
	d := a.d
	poss := d.lower(ps)
	for ps-2 >= s {
		if copulas[d.lower(ps-1)] {
			return a.mentionEndingAt(ps - 2)
		}
		if !d.punctIs(ps-1, ",") && d.lower(ps-1) != "and" {
			return -1
		}
		// The previous item of the list: the same possessive within a few
		// words.
		j := ps - 2
		for j > max(s, ps-6) && d.lower(j) != poss {
			j--
		}
		if d.lower(j) != poss {
			return -1
		}
		ps = j
	}
	return -1
}

// pluralParties resolves an event told of "they", "them" or "their" in narration
// ("The rivalry between them was soon apparent", "they were married") to
// the last two characters named in the paragraph's narration before it, -1
// when the sentence has no such pronoun or the paragraph no such pair.
func (a *analyzer) pluralParties(k, s, e int) (int, int) {
	d := a.d
	if d.toks[k].quote >= 0 {
		return -1, -1
	}
	at := a.pluralParty(k, s, e)
	if at < 0 {
		return -1, -1
	}
	first := int(d.paras[d.toks[k].para].tokS)
	x := -1
	for j := min(at, k) - 1; j >= first; j-- {
		mi := a.tokMent[j]
		if mi < 0 || d.toks[j].quote >= 0 || int(a.ments[mi].tokS) != j {
			continue
		}
		c := a.ments[mi].char
		switch {
		case c < 0 || c == x:
		case x < 0:
			x = c
		default:
			return c, x
		}
	}
	return -1, -1
}

// pluralParty returns the token of the plural pronoun that is the event's
// own party at k: "their marriage", "they were married", "the rivalry
// between them"; -1 for one that is not ("Isabella's marriage, on their
// being left to each other", "her seeing them all disposed of in
// marriage").
func (a *analyzer) pluralParty(k, s, e int) int {
	d := a.d
	if k+2 < e && d.lower(k+1) == "of" && d.lower(k+2) == "them" && d.toks[k+2].quote < 0 {
		return k + 2
	}
	// "the rivalry was there and honors fluctuated between them".
	for j := k + 1; j+1 < min(e, k+eventMaxAfter); j++ {
		if clauseBreak(d, j) {
			break
		}
		if d.lower(j) == "between" && d.lower(j+1) == "them" && d.toks[j+1].quote < 0 {
			return j + 1
		}
	}
	for j := k - 1; j >= max(s, k-eventMaxBefore); j-- {
		if !d.isWord(j) || a.startsMention(j) || d.toks[j].quote >= 0 {
			return -1
		}
		switch d.lower(j) {
		case "their":
			if k-j <= 3 {
				return j
			}
			return -1
		case "they":
			return j
		case "them":
			return -1
		}
	}
	return -1
}

// eventMaxBefore and eventMaxAfter bound how far from an event word its two
// parties are looked for.
const (
	eventMaxBefore = 12
	eventMaxAfter  = 8
)

// negationReach is how far before an event word a negator denies it.
const negationReach = 5

// negators deny or doubt what follows them; "any" asks whether ("has any
// thought of marrying her").
var negators = wordSet("no", "not", "never", "any", "without", "nor", "neither", "cannot")

// negatedEvent reports whether a negator stands within negationReach words
// before the event word at k, in its phrase ("no doubt" affirms). Titles'
// dots and the possessive "'s" are not words.
func (a *analyzer) negatedEvent(k, s int) bool {
	d := a.d
	for j, words := k-1, 0; j >= s && words < negationReach; j-- {
		if clauseBreak(d, j) || d.punctIs(j, ",") {
			return false
		}
		if !d.isWord(j) {
			continue
		}
		words++
		w := d.lower(j)
		if negators[w] && d.lower(j+1) != "doubt" || strings.HasSuffix(w, "n't") {
			return true
		}
	}
	return false
}

// conditionals open a clause that supposes rather than tells.
var conditionals = wordSet("if", "unless", "lest", "whether")

// supposed reports whether the word at k is in a clause opened by a
// conditional within negationReach words before it: "if you kill him",
// "unless you kill me first".
func (a *analyzer) supposed(k, s int) bool {
	d := a.d
	for j, words := k-1, 0; j >= s && words < negationReach; j-- {
		if clauseBreak(d, j) || d.punctIs(j, ",") {
			return false
		}
		if d.isWord(j) {
			words++
			if conditionals[d.lower(j)] {
				return true
			}
		}
	}
	return false
}

// hedges before an event noun doubt it happened.
var hedges = wordSet("supposed", "rumoured", "rumored", "reported", "alleged", "pretended", "imaginary", "imagined", "fancied")

// busyLinks follow "engaged" when it means occupied or hired.
var busyLinks = wordSet("in", "with", "on", "upon", "at", "for", "by", "as", "the", "a", "an", "his", "her",
	"their", "my", "your", "our", "its", "him", "me", "them", "us", "it", "this", "that")

// proposals are the verb forms of "propose": marriage only when proposed to
// someone.
var proposals = wordSet("proposed", "propose", "proposes")

// startsMention reports whether a character's name starts at token k.
func (a *analyzer) startsMention(k int) bool {
	if k < 0 || k >= len(a.tokMent) {
		return false
	}
	mi := a.tokMent[k]
	return mi >= 0 && int(a.ments[mi].tokS) == k
}

// eventEnds finds the parties of an event word at token k: the nearest
// participant before and the nearest within maxAfter tokens after ("Mr.
// Brownlow adopted Oliver"), or two joined by "and" before it ("Rose Fleming
// and Harry Maylie were married"), all in the clause of the word.
func (a *analyzer) eventEnds(k int, parts []participant, maxAfter int) (x, y int, voiced bool) {
	d := a.d
	lo, hi := k-eventMaxBefore, k+maxAfter
	for j := k - 1; j >= max(0, lo); j-- {
		if clauseBreak(d, j) {
			lo = j
			break
		}
	}
	// The other party follows in the event's own phrase: "you were to be
	// married this year, I thought" and "would never marry again, may comfort
	// me" name no one married after the comma.
	for j := k + 1; j <= min(len(d.toks)-1, hi); j++ {
		if clauseBreak(d, j) || d.punctIs(j, ",") {
			hi = j
			break
		}
	}
	before, after := -1, -1
	for i := sort.Search(len(parts), func(i int) bool { return parts[i].tok > lo }); i < len(parts) && parts[i].tok < hi; i++ {
		p := parts[i]
		switch {
		case p.aside || !a.sameVoice(d.toks[p.tok].quote, d.toks[k].quote):
		case p.tok < k && p.tok > lo:
			before = i
		case p.tok > k && p.tok < hi && after < 0 && !subjectPronouns[d.lower(p.tok)]:
			after = i
		}
	}
	if before < 0 {
		return -1, -1, false
	}
	x = parts[before].char
	if after >= 0 && parts[after].char != x {
		return x, parts[after].char, parts[before].voiced || parts[after].voiced
	}
	// "Frank Churchill and Miss Fairfax are engaged": two joined by "and"
	// alone, not two clauses ("Here am I come down, and you are engaged").
	for i := before - 1; i >= 0 && parts[i].tok > lo; i-- {
		if parts[i].char == x || parts[i].aside {
			continue
		}
		end := parts[i].tok + 1
		if mi := a.tokMent[parts[i].tok]; mi >= 0 {
			end = int(a.ments[mi].tokE)
		}
		if end+1 == parts[before].tok && d.lower(end) == "and" {
			return parts[i].char, x, parts[i].voiced || parts[before].voiced
		}
		break
	}
	return -1, -1, false
}

// eventWeight weighs an event cue: less when a party is "I" or "you" in a
// quotation ("I can't marry you"), which is only as sure as the speaker and
// the one addressed were found, so that one such line alone types no pair.
func eventWeight(voiced bool) float64 {
	if voiced {
		return wVoicedEvent
	}
	return wEvent
}

// voicedAt reports whether the participant at token k is a quotation's "I"
// or "you".
func voicedAt(parts []participant, k int) bool {
	p, _ := participantAt(parts, k)
	return p.voiced
}

// actorBefore returns the participant within three words before the verb
// at k (not before s) and its token, -1 and -1 if none: the one who kills,
// loves or was brought up, with nothing looser.
func actorBefore(parts []participant, k, s int) (int, int) {
	for j := k - 1; j >= max(s, k-3); j-- {
		if c := partAt(parts, j); c >= 0 {
			return c, j
		}
	}
	return -1, -1
}

// takeVerbs take a child in: "who has taken me to bring up".
var takeVerbs = wordSet("take", "takes", "took", "taken", "taking")

// upbringing finds who brought up whom at "bring" or "brought" at token k,
// as guardian and ward: "Miss Grey, who has taken me to bring up", "Mr.
// Hale and I took you to bring up", "she brought me up." and "he was
// brought up by Mr. Hale". "Brought him up to London", "brought up the
// rear" and "brought up by hand" bring no one up.
func (a *analyzer) upbringing(k, s int, parts []participant) [][2]int {
	d := a.d
	if d.lower(k+1) == "up" && d.lower(k+2) == "by" {
		// "was brought up by Mr. Hale": the ward is the subject before.
		if x := partAt(parts, k+3); x >= 0 {
			if y, _ := actorBefore(parts, k, s); y >= 0 {
				return [][2]int{{x, y}}
			}
		}
		return nil
	}
	var ward, from int
	switch {
	case d.lower(k) == "bring" && d.lower(k+1) == "up" && d.lower(k-1) == "to" && takeVerbs[d.lower(k-3)]:
		ward, from = partAt(parts, k-2), k-3
	case d.lower(k) == "brought" && d.lower(k+2) == "up" && (k+3 < len(d.toks) && d.toks[k+3].kind == tkPunct || d.lower(k+3) == "by" && d.lower(k+4) == "hand"):
		ward, from = partAt(parts, k+1), k
	default:
		return nil
	}
	if ward < 0 {
		return nil
	}
	// The guardian is the nearest before the verb in its clause, with the
	// one joined to them by "and": "Mr. Hale and I took you".
	for j := from - 1; j >= max(s, from-eventMaxBefore) && !clauseBreak(d, j); j-- {
		p, ok := participantAt(parts, j)
		if !ok || p.aside || p.char == ward {
			continue
		}
		out := [][2]int{{p.char, ward}}
		if d.lower(j-1) == "and" {
			if c := a.mentionEndingAt(j - 2); c >= 0 && c != ward {
				out = append(out, [2]int{c, ward})
			}
		}
		return out
	}
	return nil
}

// loveVerbs are the forms of "love" that say one person loves another.
var loveVerbs = wordSet("love", "loved", "loves")

// determiners stand before a noun: a participle after one describes it.
var determiners = wordSet("the", "a", "an", "their", "his", "her", "my", "your", "our", "its", "newly")

// subjectPronouns open a clause of their own: never the object of an event.
var subjectPronouns = wordSet("i", "he", "she", "we", "they")

// clauseBreak reports whether token j ends a clause: a semicolon, a colon,
// or a dash.
func clauseBreak(d *doc, j int) bool {
	return d.punctIs(j, ";") || d.punctIs(j, ":") || d.punctIs(j, "--") || d.punctIs(j, "—")
}
