package analysis

import (
	"context"
	"math"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// window is a passage in which co-occurring characters are taken to
// interact: a paragraph, or a run of at most windowSentences sentences of a
// long paragraph.
type window struct {
	s, e  int // byte span
	chars []int
}

const (
	windowSentences = 5
	maxWindowChars  = 12 // more names than this is a list, not an interaction
)

type pairKey struct{ a, b int }

type pairStats struct {
	co, conv int
	windows  []int // indices into the windows slice, capped
	cues     []relCue
}

const maxPairWindows = 64

// relationships scores every pair of characters by shared passages and
// exchanged quotations, and types the pair from what the text says about the
// two (see relcues.go).
func (a *analyzer) relationships(ctx context.Context) ([]Relationship, error) {
	d := a.d
	// Speakers count as present in the paragraphs where they talk.
	paraSpeakers := map[int][]int{}
	for _, u := range a.utts {
		if u.speaker >= 0 {
			paraSpeakers[u.para] = append(paraSpeakers[u.para], u.speaker)
		}
	}
	var wins []window
	si := 0
	for pi := range d.paras {
		if pi&0x3ff == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		// Sentences of this paragraph, chunked.
		for si < len(d.sents) && d.sents[si].para < int32(pi) {
			si++
		}
		start := si
		for start < len(d.sents) && d.sents[start].para == int32(pi) {
			end := start
			for end < len(d.sents) && d.sents[end].para == int32(pi) && end-start < windowSentences {
				end++
			}
			w := window{s: int(d.sents[start].s), e: int(d.sents[end-1].e)}
			for k := d.sents[start].tokS; k < d.sents[end-1].tokE; k++ {
				if mi := a.tokMent[k]; mi >= 0 && int(a.ments[mi].tokS) == int(k) && a.ments[mi].char >= 0 {
					if !slices.Contains(w.chars, a.ments[mi].char) {
						w.chars = append(w.chars, a.ments[mi].char)
					}
				}
			}
			if start == si {
				for _, c := range paraSpeakers[pi] {
					if !slices.Contains(w.chars, c) {
						w.chars = append(w.chars, c)
					}
				}
			}
			if len(w.chars) >= 2 && len(w.chars) <= maxWindowChars {
				wins = append(wins, w)
			}
			start = end
		}
	}
	pairs := map[pairKey]*pairStats{}
	get := func(x, y int) *pairStats {
		if x > y {
			x, y = y, x
		}
		k := pairKey{x, y}
		ps := pairs[k]
		if ps == nil {
			ps = &pairStats{}
			pairs[k] = ps
		}
		return ps
	}
	for wi := range wins {
		w := &wins[wi]
		for i := 0; i < len(w.chars); i++ {
			for j := i + 1; j < len(w.chars); j++ {
				ps := get(w.chars[i], w.chars[j])
				ps.co++
				if len(ps.windows) < maxPairWindows {
					ps.windows = append(ps.windows, wi)
				}
			}
		}
	}
	for i := 1; i < len(a.utts); i++ {
		x, y := a.utts[i-1].speaker, a.utts[i].speaker
		if x >= 0 && y >= 0 && x != y && a.conversation(i-1, i) {
			get(x, y).conv++
		}
	}
	a.relationCues(func(x, y int, c relCue) {
		ps := get(x, y)
		ps.cues = append(ps.cues, c)
	})
	maxRaw := 0.0
	for _, ps := range pairs {
		if r := float64(ps.co + 2*ps.conv); r > maxRaw {
			maxRaw = r
		}
	}
	var out []Relationship
	for k, ps := range pairs {
		// A pair seen together at most once is kept only when the text
		// says how they are related ("Mr. Darcy's aunt, Lady Catherine",
		// "that of your father" to Miss Morstan of her dead father).
		if n := ps.co + ps.conv; n <= 1 && cueWeight(ps.cues) < minTypeWeight {
			continue
		}
		r := Relationship{A: k.a, B: k.b, CoOccurrences: ps.co, Conversations: ps.conv,
			Weight: float64(ps.co+2*ps.conv) / maxRaw}
		a.typeRelationship(&r, ps, wins)
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Weight != out[j].Weight {
			return out[i].Weight > out[j].Weight
		}
		if out[i].A != out[j].A {
			return out[i].A < out[j].A
		}
		return out[i].B < out[j].B
	})
	return out, nil
}

// relTypes are the types a pair can be given, in the order that breaks ties
// (family ties are the most often stated, enmity the least).
var relTypes = []string{"family", "romance", "mentorship", "service", "friendship", "rivalry", "enmity"}

// cueWeight sums the weights of cues.
func cueWeight(cues []relCue) float64 {
	t := 0.0
	for _, c := range cues {
		t += c.w
	}
	return t
}

// typeRelationship sets the pair's type, kind, confidence and evidence from
// its cues and the characters' names. The type with the most cue weight wins
// if it has at least minTypeWeight; the confidence is its share of all the
// weight, discounted when the weight is small. Without such evidence the
// pair is an acquaintance and its evidence is its first shared passages.
func (a *analyzer) typeRelationship(r *Relationship, ps *pairStats, wins []window) {
	cues := slices.Concat(a.nameCues(r.A, r.B), ps.cues)
	if !a.mayBeLovers(r.A, r.B, cues) {
		cues = slices.DeleteFunc(cues, func(c relCue) bool { return loverKinds[c.kind] })
	}
	// Terms of address are repeated in every conversation and their
	// addressee is sometimes guessed wrong: together they count as one
	// anchored phrase at most.
	score, address := map[string]float64{}, map[string]float64{}
	for _, c := range cues {
		if c.addr {
			address[c.typ] += c.w
			continue
		}
		score[c.typ] += c.w
	}
	total := 0.0
	for t, w := range address {
		score[t] += min(w, wAnchored)
	}
	for _, w := range score {
		total += w
	}
	best := ""
	for _, t := range relTypes {
		if score[t] > score[best] {
			best = t
		}
	}
	if best == "" || score[best] < minTypeWeight {
		r.Type = "acquaintance"
		r.Evidence = a.passages(wins, ps)
		return
	}
	r.Type = best
	r.Confidence = math.Round(100*score[best]/(total+0.5)) / 100
	kinds := map[string]float64{}
	var own []relCue
	for _, c := range cues {
		if c.typ == best {
			kinds[c.kind] += c.w
			own = append(own, c)
		}
	}
	// A marriage or an engagement told names the relation better than
	// any number of "loved" and "kissed".
	told := false
	for k := range kinds {
		told = told || !loverKinds[k]
	}
	for k, w := range kinds {
		if told && loverKinds[k] {
			continue
		}
		if w > kinds[r.Kind] || w == kinds[r.Kind] && k < r.Kind {
			r.Kind = k
		}
	}
	// The surest cues first, then the earliest; a sentence once.
	sort.SliceStable(own, func(i, j int) bool {
		if own[i].w != own[j].w {
			return own[i].w > own[j].w
		}
		return own[i].s < own[j].s
	})
	seen := map[int]bool{}
	for _, c := range own {
		if c.e == 0 || seen[c.s] || len(r.Evidence) >= maxEvidence {
			continue
		}
		seen[c.s] = true
		if r.Reason == "" {
			r.Reason = clipRunes(strings.Join(strings.Fields(a.d.text[c.s:c.e]), " "), maxDescriptionRunes)
		}
		r.Evidence = append(r.Evidence, a.d.span(c.s, c.e))
	}
	if len(r.Evidence) == 0 {
		// Typed by the names alone.
		r.Evidence = a.passages(wins, ps)
	}
}

// loverKinds are the romance cues that parents, friends and in-laws give
// too: "he loved her", "she kissed him".
var loverKinds = wordSet("love", "kiss")

// mayBeLovers reports whether "loved" or "kissed" between the two may be a
// lover's: a man and a woman with no family cue between them (a mother
// loves and kisses her son, an uncle his niece).
func (a *analyzer) mayBeLovers(x, y int, cues []relCue) bool {
	gx, gy := a.chars[x].gender, a.chars[y].gender
	if gx == "" || gy == "" || gx == gy {
		return false
	}
	for _, c := range cues {
		if c.typ == "family" {
			return false
		}
	}
	return true
}

// nameCues are what the two names say: a woman called Mrs. <his surname>
// is his wife (his relative when her name is another man's of it); a Mr.
// and a Mrs., or a Sir and a Lady, of one surname are a married couple; a
// shared surname, or a given-name-only character seen with the other's
// family, makes relatives.
func (a *analyzer) nameCues(x, y int) []relCue {
	ex, ey := a.chars[x].ent, a.chars[y].ent
	mx, my := marriedInto(ex, ey), marriedInto(ey, ex)
	switch {
	case mx && !husbandNamedElse(ex, ey) || my && !husbandNamedElse(ey, ex):
		return []relCue{{typ: "romance", kind: "married", w: wMarriedAs}}
	case mx || my:
		// The wife of another man of his name: "Mrs. John Knightley" and
		// Mr. Knightley are in-laws.
		return []relCue{{typ: "family", kind: "relative", w: wSurname}}
	case ex.surname != "" && ex.surname == ey.surname:
		gx, gy := a.chars[x].gender, a.chars[y].gender
		titled := func(e *entity) bool { return titledWithSurname(e, e.surname) || knighted(e) }
		if gx != "" && gy != "" && gx != gy && titled(ex) && titled(ey) && !husbandNamedElse(ex, ey) && !husbandNamedElse(ey, ex) {
			return []relCue{{typ: "romance", kind: "married", w: wCouple}}
		}
		return []relCue{{typ: "family", kind: "relative", w: wSurname}}
	}
	if fx, fy := a.familyOf(x), a.familyOf(y); fx != "" && fx == fy {
		return []relCue{{typ: "family", kind: "relative", w: wFamilyName}}
	}
	return nil
}

// knighted reports whether a man is "Sir <given> <surname>": his wife is
// "Lady <surname>" (Sir William Lucas and Lady Lucas).
func knighted(e *entity) bool {
	for _, f := range e.forms {
		if f.hon != "" && honorifics[f.hon].class == "Sir" && len(f.lws) == 2 && f.lws[1] == e.surname {
			return true
		}
	}
	return false
}

// husbandNamedElse reports whether a woman is known as the wife of a man
// of given name the other never has: "Mrs. John Knightley" is not Mr.
// Knightley's wife unless he is John.
func husbandNamedElse(w, h *entity) bool {
	for _, f := range w.forms {
		if f.hon == "" || honorifics[f.hon].class != "Mrs" || len(f.lws) != 2 || f.lws[1] != h.surname {
			continue
		}
		if h.given == f.lws[0] {
			return false
		}
		for _, g := range h.forms {
			if len(g.lws) > 1 && g.lws[0] == f.lws[0] {
				return false
			}
		}
		return true
	}
	return false
}

// marriedInto reports whether a woman's entity carries "Mrs. <his surname>".
func marriedInto(w, h *entity) bool {
	if h.surname == "" || w.surname == h.surname {
		return false
	}
	for _, f := range w.forms {
		if f.hon != "" && honorifics[f.hon].class == "Mrs" && len(f.lws) == 1 && f.lws[0] == h.surname {
			return true
		}
	}
	return false
}

// passages returns an acquaintance's evidence: the first passages the two
// share.
func (a *analyzer) passages(wins []window, ps *pairStats) []Span {
	idx := ps.windows
	if len(idx) > maxEvidence {
		idx = idx[:maxEvidence]
	}
	out := make([]Span, len(idx))
	for i, wi := range idx {
		out[i] = a.d.span(wins[wi].s, wins[wi].e)
	}
	return out
}

// clipRunes cuts s to at most n runes at a word boundary.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut, i := 0, 0
	for off, r := range s {
		if i >= n {
			break
		}
		if unicode.IsSpace(r) {
			cut = off
		}
		i++
	}
	return s[:cut] + "…"
}
