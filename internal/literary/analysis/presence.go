package analysis

import (
	"slices"
	"strings"
)

// Comings and goings. A conversation's candidates are gathered over the
// whole run, but the narration says when someone joins it ("At that moment
// Mr. Beebe came back from church") or leaves it ("Mrs. Honeychurch went
// out"): before arriving, or after leaving, a character who speaks there by
// no tag is unlikely to speak at all.

// arrivalWords and departureWords follow a name ("Mr. Beebe came back")
// to say its bearer comes or goes; came and went take a particle.
var arrivalWords = wordSet("entered", "appeared", "arrived", "returned", "reappeared", "joined")
var departureWords = wordSet("left", "departed", "withdrew", "disappeared", "retired", "vanished")

// comings returns, per candidate, the slot at which the narration says it
// arrives (-1 if it does not) and the slot after which it leaves (len if it
// does not). One tagged speaking, addressed or acting before arriving or
// after leaving is in the scene after all ("Mr. Weston appeared at a
// little distance" after talking with Emma on the way).
func (a *analyzer) comings(slots []slot, cands []int) (arrive, leave []int) {
	d := a.d
	arrive = make([]int, len(cands))
	leave = make([]int, len(cands))
	for c := range cands {
		arrive[c], leave[c] = -1, len(slots)
	}
	prevEnd, from := -1, 0
	for i, sl := range slots {
		if sl.utt < 0 {
			continue
		}
		u := &a.utts[sl.utt]
		s, _ := d.segTokens(u.segs[0])
		if prevEnd >= 0 {
			for k := prevEnd; k < s && k < prevEnd+maxWindowTokens; k++ {
				mi := a.tokMent[k]
				if mi < 0 || int(a.ments[mi].tokS) != k || d.toks[k].quote >= 0 {
					continue
				}
				m := a.ments[mi]
				c := slices.Index(cands, m.char)
				if c < 0 || a.prepGoverned(k) {
					continue
				}
				switch a.movement(int(m.tokE)) {
				case 1:
					// At the silent reaction it tells of, if it makes one.
					if arrive[c] < 0 {
						arrive[c] = from
					}
				case -1:
					leave[c] = i
				}
			}
		}
		_, prevEnd = d.segTokens(u.segs[len(u.segs)-1])
		from = i + 1
	}
	for i, sl := range slots {
		seen := sl.vocs
		if sl.utt < 0 || a.utts[sl.utt].fixed() {
			seen = append(seen[:len(seen):len(seen)], sl.speaker)
		}
		if sl.utt >= 0 {
			seen = append(seen[:len(seen):len(seen)], a.utts[sl.utt].adj)
		}
		for _, ch := range seen {
			if c := slices.Index(cands, ch); c >= 0 {
				if i < arrive[c] {
					arrive[c] = -1
				}
				if i > leave[c] {
					leave[c] = len(slots)
				}
			}
		}
	}
	return arrive, leave
}

// movement reads the words at token k, right after a name: 1 if they say
// its bearer comes ("came back", "entered"), -1 if goes ("went out",
// "left the room"), else 0.
func (a *analyzer) movement(k int) int {
	d := a.d
	for j := k; j < k+3 && d.isWord(j) && d.toks[j].quote < 0; j++ {
		w := d.lower(j)
		switch {
		case arrivalWords[w]:
			return 1
		case departureWords[w]:
			return -1
		case w == "came" || w == "walked" || w == "stepped" || w == "hurried" || w == "ran":
			if d.isWord(j + 1) {
				switch d.lower(j + 1) {
				case "in", "back", "into", "up":
					return 1
				case "out", "away", "off":
					return -1
				}
			}
			return 0
		case w == "went":
			if d.isWord(j + 1) {
				switch d.lower(j + 1) {
				case "out", "away", "off", "home":
					return -1
				}
			}
			return 0
		}
		if !softAdverbs[w] && !strings.HasSuffix(w, "ly") {
			return 0
		}
	}
	return 0
}
