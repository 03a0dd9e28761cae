package analysis

import "sort"

// First-person narrators. In a book told by "I", the narrator's own lines
// ("said I", "I answered") and untagged turns of their conversations belong
// to a character: the one the others call by name when answering them, or a
// "Narrator" added to the cast when nobody does.

// firstPersonShare is the share of narration words that must be I, me, my or
// myself for a book to count as told in the first person. Measured on
// thirteen novels, third-person narration stays under 0.25% (an intrusive
// narrator's asides, quoted letters) and first-person narration is above
// 2.5%, so the threshold sits well clear of both.
const firstPersonShare = 0.01

// minNarratorVotes is how often a name must address the narrator (or the
// narrator give it as theirs) before the narrator is taken to be that
// character.
const minNarratorVotes = 3

// narratorName is the name given to a narrator nobody names.
const narratorName = "Narrator"

// firstPersonNarration reports whether the narration (text outside
// quotations) is in the first person.
func (d *doc) firstPersonNarration() bool {
	words, first := 0, 0
	for i := range d.toks {
		if d.toks[i].kind != tkWord || d.toks[i].quote >= 0 {
			continue
		}
		words++
		if isFirstPerson(d.lower(i)) {
			first++
		}
	}
	return first >= minNarratorVotes && float64(first) >= firstPersonShare*float64(words)
}

func isFirstPerson(lw string) bool {
	switch lw {
	case "i", "me", "my", "myself":
		return true
	}
	return false
}

// setNarrator gives the turns tagged "said I" (so far narratorID) to the
// narrator character, naming or adding it, and records it in a.narrator so
// that later stages treat an "I" in narration as that character.
func (a *analyzer) setNarrator() {
	c := a.narratorCharacter()
	if c < 0 {
		c = len(a.chars)
		// A synthetic entity (id -1): no names to cluster or merge.
		a.chars = append(a.chars, &charInfo{id: c, ent: &entity{id: -1, merged: -1}, name: narratorName})
	}
	a.narrator = c
	for ui := range a.utts {
		if a.utts[ui].speaker == narratorID {
			a.utts[ui].speaker = c
		}
	}
	if a.chars[c].gender == "" {
		a.chars[c].gender = a.addressedGender(c)
	}
}

// placeUnnamed moves the characters added to the cast after the others
// were numbered, an unnamed narrator and the people known only by a
// description, to their rank by mentions (the narrator's I, me, my and
// myself; the description's uses) so that the cast stays ordered as Result
// documents, renumbering everyone they pass.
func (a *analyzer) placeUnnamed() {
	counts := make([]int, len(a.chars))
	for i, ci := range a.chars {
		counts[i] = a.mentionCount(ci)
	}
	order := make([]int, len(a.chars)) // new rank → old id
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(x, y int) bool { return counts[order[x]] > counts[order[y]] })
	newID := make([]int, len(order))
	same := true
	for n, o := range order {
		newID[o] = n
		same = same && n == o
	}
	if same {
		return
	}
	remap := func(x int) int {
		if x < 0 {
			return x
		}
		return newID[x]
	}
	chars := make([]*charInfo, len(a.chars))
	for i, ci := range a.chars {
		ci.id = newID[i]
		chars[ci.id] = ci
	}
	a.chars = chars
	for e, ch := range a.entChar {
		a.entChar[e] = remap(ch)
	}
	for i := range a.ments {
		a.ments[i].char = remap(a.ments[i].char)
	}
	for ui := range a.utts {
		u := &a.utts[ui]
		u.speaker, u.addressee, u.adj = remap(u.speaker), remap(u.addressee), remap(u.adj)
		for j := range u.vocs {
			u.vocs[j] = remap(u.vocs[j])
		}
	}
	family := make(map[int]string, len(a.family))
	for ch, s := range a.family {
		family[remap(ch)] = s
	}
	a.family = family
	a.narrator = remap(a.narrator)
}

// mentionCount is how often the text names a character: by its names, or
// as an unnamed one (see unnamedMentions).
func (a *analyzer) mentionCount(ci *charInfo) int {
	if ci.ent.id < 0 {
		return len(a.unnamedMentions(ci))
	}
	return len(ci.ments)
}

// unnamedMentions returns the tokens where the text speaks of a character
// it never names: an unnamed narrator's I, me, my and myself, or the uses
// of the description one is known by ("the mariner").
func (a *analyzer) unnamedMentions(ci *charInfo) []int {
	if ci.desc != "" {
		return ci.descToks
	}
	return a.narratorMentions()
}

// addressedGender tells a narrator's gender, which no "he" or "she" gives,
// from how the others answer them: "sir" or "madam" said in a turn right
// before or after one of the narrator's in the same conversation. It asks
// for two such addresses and a clear majority, else returns "".
func (a *analyzer) addressedGender(c int) string {
	d := a.d
	male, female := 0, 0
	a.eachReply(c, func(j int) {
		for _, q := range a.utts[j].segs {
			s, e := d.segTokens(q)
			for k := s; k < e; k++ {
				switch d.lower(k) {
				case "sir":
					if a.tokenVocative(k, k+1) {
						male++
					}
				case "madam":
					if a.tokenVocative(k, k+1) {
						female++
					}
				}
			}
		}
	})
	switch {
	case male >= 2 && male >= 3*female:
		return "male"
	case female >= 2 && female >= 3*male:
		return "female"
	}
	return ""
}

// eachReply calls fn with each turn by someone else right before or after one
// of speaker c's turns in the same conversation: the turns that answer c, or
// that c answers.
func (a *analyzer) eachReply(c int, fn func(j int)) {
	for ui := range a.utts {
		if a.utts[ui].speaker != c {
			continue
		}
		for _, j := range []int{ui - 1, ui + 1} {
			if j >= 0 && j < len(a.utts) && a.utts[j].speaker != c && a.conversation(min(ui, j), max(ui, j)) {
				fn(j)
			}
		}
	}
}

// narratorCharacter returns the character the narrator is, -1 if unknown.
// Votes go to each name addressed in a turn right before or after one of
// the narrator's tagged lines in the same conversation (the others answer
// "my dear Watson"), and, decisively, to a name the narrator gives as their
// own ("my name is …"). The leader needs minNarratorVotes and more than half
// of all votes.
func (a *analyzer) narratorCharacter() int {
	d := a.d
	votes := map[int]int{}
	a.eachReply(narratorID, func(j int) {
		for _, c := range a.utts[j].vocs {
			votes[c]++
		}
	})
	for k := 0; k+3 < len(d.toks); k++ {
		if d.lower(k) != "my" || d.lower(k+1) != "name" || d.lower(k+2) != "is" {
			continue
		}
		// In narration, or in a quotation the narrator speaks.
		if q := d.toks[k].quote; q >= 0 && a.utts[d.quotes[q].utt].speaker != narratorID {
			continue
		}
		if mi := a.tokMent[k+3]; mi >= 0 && a.ments[mi].char >= 0 {
			votes[a.ments[mi].char] += minNarratorVotes
		}
	}
	best, bn, total := -1, 0, 0
	for c, n := range votes {
		total += n
		if n > bn || n == bn && c < best {
			best, bn = c, n
		}
	}
	if bn < minNarratorVotes || 2*bn <= total {
		return -1
	}
	return best
}

// narratorMentions returns the token indices of the first-person pronouns in
// narration, which stand for an unnamed narrator's mentions.
func (a *analyzer) narratorMentions() []int {
	d := a.d
	var out []int
	for i := range d.toks {
		if d.toks[i].kind == tkWord && d.toks[i].quote < 0 && isFirstPerson(d.lower(i)) {
			out = append(out, i)
		}
	}
	return out
}
