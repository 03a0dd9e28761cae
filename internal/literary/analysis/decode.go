package analysis

import (
	"math"
	"slices"
	"sort"
)

// Conversation decoding. Local rules ("said she" → the most salient woman)
// make independent mistakes; a conversation is better read as a whole. For
// each run of consecutive turns, the candidate speakers are the people
// involved (tagged speakers, people addressed, the subjects of nearby
// narration), and the speaker sequence maximising a score is found by a
// second-order Viterbi search. The score adds evidence for each turn
// (explicit tags fix the speaker; a pronoun tag fixes the gender; people
// addressed by name are not speaking) and for each step (speakers rarely
// follow themselves, tend to alternate, and the one addressed answers).

// Evidence weights, in log-odds-like units.
const (
	wGenderClash   = -6.0 // a "said she" turn given to a man
	wGenderUnknown = -1.0 // a pronoun tag given to someone of unknown gender
	wAgeClash      = -3.0 // "said the old gentleman" given to the one called "little Oliver"
	// The pronoun's salience resolution, in full when it leads the
	// runner-up by tagMarginScale or more, in proportion below: a close
	// call among the people of the narration is weaker evidence than the
	// turn-taking of the conversation.
	wTagCandidate  = 3.0
	tagMarginScale = 4.0
	wAdjacent      = 1.5  // subject of the narration touching the quotation
	wAddressed     = -8.0 // speaking to oneself by name
	wQuoted        = -1.5 // speaking of oneself in the third person
	wNamedInReply  = 1.5  // the next turn names the one it answers
	wProminence    = 0.0  // times the character's share of the top mentions
	wChild         = 4.0  // a turn calling "papa" is a child's of the one called
	// Someone the narration has not yet brought into the scene, or has
	// taken out of it (presence.go).
	wAbsent = -2.0
	// The same speaker twice in a row: rarer than a change of speaker, but
	// a speaker often goes on after a reply or a pause the narration
	// reports, so this must not outweigh the turn's own evidence.
	wRepeat      = -1.5
	wParticipant = 0.5  // a speaker named by a tag elsewhere in the run
	wTalkedAbout = -1.5 // someone the run's talk names but never tags nor addresses
	// A silent reaction ("Mrs. Bennet was profuse in her
	// acknowledgments.") more often leads into the actor's own words than
	// hands the turn to someone else.
	wReactThenSpeak = 1.5
	wAlternate      = 1.5 // A B A
	// Two turns in a row tagged by the same description ("said the
	// woman") are one speaker's.
	wSameDescription = 3.0
	wAnswerCall      = 3.0  // the one just addressed answers
	maxCandidates    = 8    // candidates beyond the turns' fixed speakers
	tieEpsilon       = 1e-9 // scores closer than this are equal
)

// The search costs turns × candidates³. A long conversation with many
// candidates (a crowd scene) is split in halves until it is small enough,
// so the cost stays linear in the text whatever the input.
const (
	maxRunTurns      = 30
	maxRunCandidates = 12
)

// decodeRuns assigns speakers to every turn not fixed by an explicit tag.
func (a *analyzer) decodeRuns() {
	for _, run := range a.conversations() {
		a.decodeRun(run)
	}
}

// fixed reports whether a turn's speaker is settled by a named tag.
func (u *utterance) fixed() bool {
	switch u.method {
	case "explicit", "kinship", "epithet":
		return u.speaker >= 0
	case "narrator":
		return true
	}
	return false
}

func (a *analyzer) decodeRun(run []int) {
	slots := a.slots(run)
	if len(slots) == 0 {
		return
	}
	cands, cw := a.candidates(run, slots)
	if len(cands) == 0 {
		return
	}
	if len(cands) > maxRunCandidates && len(run) > maxRunTurns {
		a.decodeRun(run[:len(run)/2])
		a.decodeRun(run[len(run)/2:])
		return
	}
	a.shareFamilyAddress(slots, cands)
	n, m := len(slots), len(cands)
	top := 1
	for _, c := range a.chars {
		top = max(top, len(c.ments))
	}
	// Those a tag names as speaking somewhere in the run are the likelier
	// speakers of its untagged turns than people merely mentioned near it.
	speaks := map[int]bool{}
	for _, sl := range slots {
		if sl.utt >= 0 && a.utts[sl.utt].fixed() && a.utts[sl.utt].method != "narrator" {
			speaks[sl.speaker] = true
		}
	}
	absent := a.talkedAbout(slots)
	arrive, leave := a.comings(slots, cands)
	// Emission scores.
	emit := make([][]float64, n)
	for i, sl := range slots {
		emit[i] = make([]float64, m)
		for j, c := range cands {
			emit[i][j] = a.emission(sl, slots, i, c, top)
			if speaks[c] {
				emit[i][j] += wParticipant
			}
			if absent[c] {
				emit[i][j] += wTalkedAbout
			}
			if i < arrive[j] || i > leave[j] {
				emit[i][j] += wAbsent
			}
		}
	}
	// Second-order Viterbi over (previous, current) candidate pairs; index m
	// stands for "no previous turn".
	neg := math.Inf(-1)
	// Of paths scoring the same, the one whose speakers have more evidence
	// of taking part in the run (tags, address, adjacent narration) is
	// kept: part sums the speakers' weights as candidates. Only then does
	// the candidates' order decide.
	type cell struct {
		score, part float64
		back        int // previous-previous index
	}
	better := func(s, part float64, old cell) bool {
		if math.Abs(s-old.score) > tieEpsilon {
			return s > old.score
		}
		return part > old.part
	}
	prev := make([][]cell, m+1)
	for p := range prev {
		prev[p] = make([]cell, m)
		for c := range prev[p] {
			prev[p][c] = cell{score: neg, back: -1}
		}
	}
	for c := 0; c < m; c++ {
		prev[m][c] = cell{score: emit[0][c], part: cw[cands[c]], back: m}
	}
	history := make([][][]cell, n)
	history[0] = prev
	for i := 1; i < n; i++ {
		cur := make([][]cell, m+1)
		for p := range cur {
			cur[p] = make([]cell, m)
			for c := range cur[p] {
				cur[p][c] = cell{score: neg, back: -1}
			}
		}
		for pp := 0; pp <= m; pp++ {
			for p := 0; p < m; p++ {
				base, part := prev[pp][p].score, prev[pp][p].part
				if math.IsInf(base, -1) {
					continue
				}
				for c := 0; c < m; c++ {
					if math.IsInf(emit[i][c], -1) {
						continue
					}
					s := base + emit[i][c] + a.transition(slots, i, cands, pp, p, c)
					if better(s, part+cw[cands[c]], cur[p][c]) {
						cur[p][c] = cell{score: s, part: part + cw[cands[c]], back: pp}
					}
				}
			}
		}
		history[i] = cur
		prev = cur
	}
	// Backtrack.
	bestP, bestC := -1, -1
	for p := 0; p <= m; p++ {
		for c := 0; c < m; c++ {
			if bestC < 0 && prev[p][c].score > neg || bestC >= 0 && better(prev[p][c].score, prev[p][c].part, prev[bestP][bestC]) {
				bestP, bestC = p, c
			}
		}
	}
	if bestC < 0 {
		return
	}
	path := make([]int, n)
	p, c := bestP, bestC
	for i := n - 1; i >= 0; i-- {
		path[i] = c
		pp := history[i][p][c].back
		c, p = p, pp
		if c == m {
			break
		}
	}
	for i, sl := range slots {
		if sl.utt < 0 {
			continue
		}
		u := &a.utts[sl.utt]
		if u.fixed() {
			continue
		}
		sp := cands[path[i]]
		// How much better the chosen speaker's own evidence is than the
		// runner-up's gives the confidence.
		margin := math.Inf(1)
		for j := range cands {
			if j != path[i] {
				margin = math.Min(margin, emit[i][path[i]]-emit[i][j])
			}
		}
		conf := 0.45 + 0.4*(1-math.Exp(-math.Max(0, margin)/3))
		switch {
		case u.tagGender != "":
			u.method = "pronoun"
			conf += 0.1
		case u.adj == sp:
			u.method = "adjacent"
		case len(slots) > 1:
			u.method = "alternation"
		default:
			u.method = "context"
			conf -= 0.1
		}
		u.speaker, u.conf = sp, math.Min(conf, 0.9)
	}
}

// emission scores candidate c speaking in slot i.
func (a *analyzer) emission(sl slot, slots []slot, i, c, top int) float64 {
	if sl.utt < 0 {
		if c == sl.speaker {
			return 0
		}
		return math.Inf(-1)
	}
	u := &a.utts[sl.utt]
	if u.fixed() {
		if c == u.speaker {
			return 0
		}
		return math.Inf(-1)
	}
	if c == narratorID {
		// The narrator is a candidate only for untagged turns.
		if u.tagGender != "" {
			return wGenderClash
		}
		if slices.Contains(u.vocs, c) {
			return wAddressed
		}
		return 0
	}
	s := wProminence * float64(len(a.chars[c].ments)) / float64(top)
	if u.tagGender != "" {
		switch g := a.chars[c].gender; {
		case c == a.narrator:
			s += wGenderClash // "said he" is never the one who says "I"
		case g == "":
			s += wGenderUnknown
		case g != u.tagGender:
			s += wGenderClash
		}
		if c == u.speaker {
			s += wTagCandidate * math.Min(1, u.tagMargin/tagMarginScale)
		}
		if slices.Contains(u.tagAgeClash, c) {
			s += wAgeClash
		}
	}
	if c == u.adj {
		s += wAdjacent
	}
	if p := u.parent; p >= 0 && p != c {
		if f := a.familyOf(p); f != "" && a.familyOf(c) == f {
			s += wChild
		}
	}
	if slices.Contains(u.vocs, c) {
		s += wAddressed
	} else if slices.Contains(a.quotedChars(sl.utt), c) {
		s += wQuoted
	}
	if i+1 < len(slots) && !slots[i+1].scene && slices.Contains(slots[i+1].vocs, c) {
		s += wNamedInReply
	}
	return s
}

// transition scores candidate index c following p (and pp before it).
func (a *analyzer) transition(slots []slot, i int, cands []int, pp, p, c int) float64 {
	s := 0.0
	if slots[i].scene {
		return s
	}
	if c == p && slots[i-1].utt >= 0 {
		// Narration of the speaker acting, then their words: the speaker
		// going on is no break in turn-taking.
		if slots[i].utt < 0 || a.utts[slots[i].utt].adj != cands[c] {
			s += wRepeat
		}
		// "“…,” said the woman. ¶ “…,” said the woman.": the one
		// described goes on.
		if slots[i].utt >= 0 && a.utts[slots[i].utt].desc != "" && a.utts[slots[i].utt].desc == a.utts[slots[i-1].utt].desc {
			s += wSameDescription
		}
	} else if c == p && !slots[i-1].mute {
		s += wReactThenSpeak
	}
	if pp < len(cands) && c == pp && c != p && !slots[i-1].scene {
		s += wAlternate
	}
	if slices.Contains(slots[i-1].vocs, cands[c]) {
		s += wAnswerCall
	}
	return s
}

// candidates collects who may speak in a run, strongest evidence first.
func (a *analyzer) candidates(run []int, slots []slot) ([]int, map[int]float64) {
	d := a.d
	weight := map[int]float64{}
	add := func(c int, w float64) {
		if c >= 0 {
			weight[c] += w
		}
	}
	genders := map[string]bool{}
	for _, sl := range slots {
		if sl.speaker == narratorID {
			weight[narratorID] += 3
		}
		add(sl.speaker, 3)
		for _, v := range sl.vocs {
			add(v, 2)
		}
		if sl.utt >= 0 {
			u := &a.utts[sl.utt]
			add(u.adj, 1.5)
			if u.tagGender != "" {
				genders[u.tagGender] = true
			}
		}
	}
	// People named in the narration just before the run: the scene.
	first := &a.utts[run[0]]
	k := first.tokS
	limit := int(d.paras[max(0, int(d.toks[min(k, len(d.toks)-1)].para)-2)].tokS)
	mi := sort.Search(len(a.ments), func(i int) bool { return int(a.ments[i].tokS) >= k }) - 1
	seen := 0
	for ; mi >= 0 && int(a.ments[mi].tokS) >= limit && seen < 4; mi-- {
		m := &a.ments[mi]
		if m.char < 0 || d.toks[m.tokS].quote >= 0 {
			continue
		}
		add(m.char, 1)
		seen++
	}
	// A pronoun tag needs someone of its gender.
	for g := range genders {
		has := false
		for c := range weight {
			if c >= 0 && a.chars[c].gender == g {
				has = true
			}
		}
		if !has {
			// The last person of that gender named in recent narration,
			// else the lead of that gender.
			c := a.recentNarrationMention(a.utts[run[0]].tokS, g, noSpeaker, 20)
			if c < 0 {
				c = a.introducedLead(a.utts[run[0]].tokS, g)
			}
			add(c, 0.5)
		}
	}
	out := make([]int, 0, len(weight))
	for c := range weight {
		out = append(out, c)
	}
	// The order is also the tie-break of the search, which keeps the first
	// of equally scored paths: the stronger evidence first, and between
	// equals the one named more recently before the run, who is in the
	// reader's view as the conversation begins.
	named := map[int]int{}
	for _, c := range out {
		named[c] = a.lastMentionBefore(c, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if weight[out[i]] != weight[out[j]] {
			return weight[out[i]] > weight[out[j]]
		}
		if named[out[i]] != named[out[j]] {
			return named[out[i]] > named[out[j]]
		}
		return out[i] < out[j]
	})
	// Fixed speakers carry the most weight, so they come first; keep them
	// all and a few others.
	fixed := 0
	for _, c := range out {
		if weight[c] >= 3 {
			fixed++
		}
	}
	if limit := max(maxCandidates, fixed+2); len(out) > limit {
		out = out[:limit]
	}
	// Fixed speakers must stay candidates whatever their weight.
	for _, sl := range slots {
		if sl.speaker != noSpeaker && !slices.Contains(out, sl.speaker) {
			if sl.utt < 0 || a.utts[sl.utt].fixed() {
				out = append(out, sl.speaker)
			}
		}
	}
	return out, weight
}

// lastMentionBefore is the token where character c was last named before
// token k, -1 if nowhere (or c is no character).
func (a *analyzer) lastMentionBefore(c, k int) int {
	if c < 0 {
		return -1
	}
	ms := a.chars[c].ments
	i := a.mentionFrom(c, k) - 1
	if i < 0 {
		return -1
	}
	return int(a.ments[ms[i]].tokS)
}

// shareFamilyAddress widens the people a turn addresses by "Miss Bennet"
// or "Mr. Emerson" (an honorific and a surname alone) to every candidate of
// that surname and gender not known by another title with it: with two
// sisters, or father and son, in the scene the name calls either, so it must
// not hand the next turn to the one it happened to resolve to, nor let that
// one say it. "Miss Bennet" still never calls Mrs. Bennet.
func (a *analyzer) shareFamilyAddress(slots []slot, cands []int) {
	for i := range slots {
		sl := &slots[i]
		if sl.utt < 0 {
			continue
		}
		for _, m := range a.familyVocatives(&a.utts[sl.utt]) {
			v := m.char
			surname, class := a.chars[v].ent.surname, honorifics[m.form.hon].class
			for _, c := range cands {
				if c < 0 || c == v || slices.Contains(sl.vocs, c) || a.chars[c].ent.surname != surname ||
					a.chars[c].gender != a.chars[v].gender || titledOtherwise(a.chars[c].ent, surname, class) {
					continue
				}
				sl.vocs = append(sl.vocs[:len(sl.vocs):len(sl.vocs)], c)
			}
		}
	}
}

// titledOtherwise reports whether the entity is called by an honorific of
// another class than class with this surname ("Mrs. Bennet" for "Miss").
func titledOtherwise(e *entity, surname, class string) bool {
	for _, f := range e.forms {
		if f.hon != "" && len(f.lws) > 0 && f.lws[len(f.lws)-1] == surname && honorifics[f.hon].class != class {
			return true
		}
	}
	return false
}

// familyVocatives lists the vocatives of a turn that are an honorific and
// a surname alone.
func (a *analyzer) familyVocatives(u *utterance) []mention {
	var out []mention
	a.eachTurnMention(u, func(m mention, _, _ int) {
		if m.char >= 0 && m.form != nil && m.form.hon != "" && len(m.form.lws) == 1 && a.chars[m.char].ent.surname != "" &&
			slices.Contains(u.vocs, m.char) {
			out = append(out, m)
		}
	})
	return out
}

// talkedAbout lists the characters the run's quotations name who are
// never a tagged speaker of the run, nor seen acting in a reaction, nor
// addressed in it: people are talked about more often in their absence than
// to their face, so such a one is likelier the subject of the talk than a
// party to it.
func (a *analyzer) talkedAbout(slots []slot) map[int]bool {
	named := map[int]bool{}
	present := map[int]bool{}
	for _, sl := range slots {
		if sl.utt < 0 || a.utts[sl.utt].fixed() {
			present[sl.speaker] = true
		}
		for _, v := range sl.vocs {
			present[v] = true
		}
		if sl.utt >= 0 {
			for _, c := range a.quotedChars(sl.utt) {
				named[c] = true
			}
		}
	}
	for c := range present {
		delete(named, c)
	}
	return named
}
