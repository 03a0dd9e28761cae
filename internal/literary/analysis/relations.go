package analysis

import (
	"context"
	"sort"
)

// window is a passage in which co-occurring characters are taken to
// interact: a paragraph, or a run of at most windowSentences sentences of a
// long paragraph.
type window struct {
	s, e                       int // byte span
	chars                      []int
	kin, romance, hostile, fri int // relationship keyword counts
}

const (
	windowSentences = 5
	maxWindowChars  = 12 // more names than this is a list, not an interaction
)

type pairKey struct{ a, b int }

type pairStats struct {
	co, conv                   int
	kin, romance, hostile, fri int
	windows                    []int // indices into the windows slice, capped
	// direct counts explicit relational phrases ("Mr. Darcy's aunt, Lady
	// Catherine") by type.
	direct map[string]int
}

const maxPairWindows = 64

// relationships scores every pair of characters by shared passages and
// exchanged quotations, and types the pair from the words of those passages.
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
				t := &d.toks[k]
				if t.kind == tkWord {
					lw := d.vocab[t.lw]
					switch {
					case kinshipWords[lw]:
						w.kin++
					case romanceWords[lw]:
						w.romance++
					case hostilityWords[lw]:
						w.hostile++
					case friendshipWords[lw]:
						w.fri++
					}
				}
				if mi := a.tokMent[k]; mi >= 0 && int(a.ments[mi].tokS) == int(k) && a.ments[mi].char >= 0 {
					if !containsInt(w.chars, a.ments[mi].char) {
						w.chars = append(w.chars, a.ments[mi].char)
					}
				}
			}
			if start == si {
				for _, c := range paraSpeakers[pi] {
					if !containsInt(w.chars, c) {
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
				ps.kin += w.kin
				ps.romance += w.romance
				ps.hostile += w.hostile
				ps.fri += w.fri
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
	a.directRelations(func(x, y int, typ string) {
		ps := get(x, y)
		if ps.direct == nil {
			ps.direct = map[string]int{}
		}
		ps.direct[typ]++
	})
	// Average keyword rates over all interaction windows.
	var base [4]float64
	for _, w := range wins {
		base[0] += float64(w.kin)
		base[1] += float64(w.romance)
		base[2] += float64(w.hostile)
		base[3] += float64(w.fri)
	}
	for i := range base {
		base[i] /= float64(max(1, len(wins)))
	}
	maxRaw := 0.0
	for _, ps := range pairs {
		if r := float64(ps.co + 2*ps.conv); r > maxRaw {
			maxRaw = r
		}
	}
	var out []Relationship
	for k, ps := range pairs {
		if ps.co+ps.conv < 2 {
			continue
		}
		r := Relationship{A: k.a, B: k.b, CoOccurrences: ps.co, Conversations: ps.conv,
			Weight: float64(ps.co+2*ps.conv) / maxRaw}
		r.Type = a.relType(k, ps, base)
		r.Evidence = a.evidence(wins, ps, r.Type)
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

// relType types a pair. Explicit relational phrases decide first ("her
// sister Jane"); then a shared surname means family and a married name taken
// from the other means romance; otherwise the type whose keywords are most
// over-represented in the pair's shared passages, relative to all passages
// with two or more characters, wins if the excess is clear (kinship words are
// everywhere in a family novel, so their mere presence says little).
func (a *analyzer) relType(k pairKey, ps *pairStats, base [4]float64) string {
	best, bn := "", 0
	for _, typ := range []string{"family", "romance", "hostility", "friendship"} {
		if n := ps.direct[typ]; n > bn {
			best, bn = typ, n
		}
	}
	if best != "" {
		return best
	}
	ea, eb := a.chars[k.a].ent, a.chars[k.b].ent
	if marriedInto(ea, eb) || marriedInto(eb, ea) {
		return "romance"
	}
	if ea.surname != "" && ea.surname == eb.surname {
		return "family"
	}
	n := float64(ps.co)
	if n < 3 {
		return "acquaintance"
	}
	counts := [4]int{ps.kin, ps.romance, ps.hostile, ps.fri}
	types := [4]string{"family", "romance", "hostility", "friendship"}
	best = "acquaintance"
	bv := 0.0
	for i, cnt := range counts {
		if cnt < 3 || base[i] == 0 {
			continue
		}
		lift := float64(cnt) / n / base[i]
		if lift > bv {
			best, bv = types[i], lift
		}
	}
	if bv < minTypeLift {
		return "acquaintance"
	}
	return best
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

// relationNouns type explicit relational phrases.
var relationNouns = map[string]string{
	"sister": "family", "sisters": "family", "brother": "family", "brothers": "family",
	"father": "family", "mother": "family", "aunt": "family", "uncle": "family",
	"cousin": "family", "daughter": "family", "daughters": "family", "son": "family",
	"wife": "family", "husband": "family", "niece": "family", "nephew": "family",
	"grandfather": "family", "grandmother": "family", "nieces": "family", "nephews": "family",
	"friend": "friendship", "friends": "friendship", "companion": "friendship",
	"lover": "romance", "sweetheart": "romance", "suitor": "romance", "admirer": "romance",
	"betrothed": "romance", "bride": "romance", "bridegroom": "romance", "fiancé": "romance",
	"enemy": "hostility", "rival": "hostility", "foe": "hostility",
}

// directRelations finds "A's <relation>, B", "A's <relation> B" and "B, A's
// <relation>" in narration and reports each (A, B, type).
func (a *analyzer) directRelations(report func(x, y int, typ string)) {
	d := a.d
	for mi := range a.ments {
		m := &a.ments[mi]
		e := int(m.tokE)
		if m.char < 0 || e+1 >= len(d.toks) || d.toks[e].kind != tkClitic || d.toks[m.tokS].quote >= 0 {
			continue
		}
		typ, ok := relationNouns[d.lower(e+1)]
		if !ok {
			continue
		}
		// Forward: "Mr. Darcy's aunt, Lady Catherine" / "Bingley's sister
		// Caroline".
		k := e + 2
		if d.punctIs(k, ",") {
			k++
		}
		if k < len(d.toks) {
			if ni := a.tokMent[k]; ni >= 0 && a.ments[ni].char >= 0 && a.ments[ni].char != m.char {
				report(m.char, a.ments[ni].char, typ)
				continue
			}
		}
		// Backward: "Lady Catherine, Mr. Darcy's aunt".
		if p := int(m.tokS) - 1; d.punctIs(p, ",") && p > 0 {
			if ni := a.tokMent[p-1]; ni >= 0 && a.ments[ni].char >= 0 && a.ments[ni].char != m.char {
				report(m.char, a.ments[ni].char, typ)
			}
		}
	}
}

// minTypeLift is how much more often than average a pair's passages must use
// a type's keywords for the type to be asserted.
const minTypeLift = 1.6

// evidence picks the passages that best show the relationship: those with
// the most keywords of its type, then the earliest.
func (a *analyzer) evidence(wins []window, ps *pairStats, typ string) []Span {
	idx := append([]int(nil), ps.windows...)
	score := func(w *window) int {
		switch typ {
		case "family":
			return w.kin
		case "romance":
			return w.romance
		case "hostility":
			return w.hostile
		case "friendship":
			return w.fri
		}
		return 0
	}
	sort.SliceStable(idx, func(i, j int) bool { return score(&wins[idx[i]]) > score(&wins[idx[j]]) })
	if len(idx) > maxEvidence {
		idx = idx[:maxEvidence]
	}
	sort.Ints(idx)
	out := make([]Span, len(idx))
	for i, wi := range idx {
		out[i] = a.d.span(wins[wi].s, wins[wi].e)
	}
	return out
}
