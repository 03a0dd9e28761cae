package analysis

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// versePars marks the paragraphs set as verse: three lines or more, each
// but the last well short of the width the book's prose is wrapped to. A
// name in a recited poem ("You are old, Father William") is the poem's, not
// a character of the story.
func (d *doc) versePars() []bool {
	lines := make([][]int, len(d.paras))
	var widths []int
	for i, p := range d.paras {
		ls := strings.Split(d.text[p.s:p.e], "\n")
		for _, l := range ls[:len(ls)-1] {
			lines[i] = append(lines[i], utf8.RuneCountInString(strings.TrimSpace(l)))
		}
		if len(ls) >= 3 {
			widths = append(widths, lines[i]...)
		}
	}
	verse := make([]bool, len(d.paras))
	if len(widths) == 0 {
		return verse
	}
	sort.Ints(widths)
	// Prose lines run to the wrap width, so the upper quartile of line
	// lengths gives it even where verse abounds.
	short := widths[len(widths)*3/4] * 3 / 4
	for i, ls := range lines {
		if len(ls) < 2 {
			continue
		}
		verse[i] = true
		for _, n := range ls {
			if n >= short {
				verse[i] = false
				break
			}
		}
	}
	return verse
}

// A lisping speaker's words are spelt with "th" for s and soft c ("Thquire"
// for Squire, "Thethilia" for Cecilia). Such a spelling never occurs in the
// narration, while a reading with some "th" put back as s or c does, or it
// opens with a "th" before a consonant, which no English word does
// ("thtand"). A paragraph whose quotations hold minLispWords such words is
// lisped; the capitalised words respelt there are read as the names they
// stand for, and those without a reading are not names.
const (
	minLispWords = 3
	maxLispTh    = 4 // "th" pairs tried per word (2^n readings)
)

// delisp returns the plain word that w, a lisped spelling, stands for: the
// reading most used in narration, narr counting each vocabulary word
// there; "" if none.
func (d *doc) delisp(w string, narr []int32) string {
	if !strings.Contains(w, "th") {
		return ""
	}
	if id, ok := d.vocIdx[w]; ok && narr[id] > 0 {
		return ""
	}
	parts := strings.Split(w, "th")
	if len(parts) < 2 || len(parts)-1 > maxLispTh {
		return ""
	}
	best, bestN := "", int32(0)
	var b strings.Builder
	for mask := 1; mask < 1<<(len(parts)-1); mask++ {
		for _, sub := range []string{"s", "c"} {
			b.Reset()
			b.WriteString(parts[0])
			for k, p := range parts[1:] {
				if mask&(1<<k) != 0 {
					b.WriteString(sub)
				} else {
					b.WriteString("th")
				}
				b.WriteString(p)
			}
			if id, ok := d.vocIdx[b.String()]; ok && narr[id] > bestN {
				best, bestN = b.String(), narr[id]
			}
		}
	}
	return best
}

// lispOnset reports whether w opens with "th" before a consonant other
// than r or w, as only a lisped s can ("thquire", "thtand").
func lispOnset(w string) bool {
	if len(w) < 3 || !strings.HasPrefix(w, "th") {
		return false
	}
	c := w[2]
	return 'a' <= c && c <= 'z' && !strings.ContainsRune("aeiouyrw", rune(c))
}

// respellLisps finds the lisped paragraphs and reads each capitalised
// lisped word in quotations as its plain form: its vocabulary entry
// becomes the plain word's and nameWord returns the plain spelling.
func (d *doc) respellLisps() {
	narr := make([]int32, len(d.vocab))
	for i := range d.toks {
		if t := &d.toks[i]; t.kind == tkWord && t.quote < 0 {
			narr[t.lw]++
		}
	}
	plain := map[int32]string{} // lisped vocabulary id → plain word, "" if none
	lisped := func(id int32) bool {
		p, ok := plain[id]
		if !ok {
			p = d.delisp(d.vocab[id], narr)
			plain[id] = p
		}
		return p != "" || narr[id] == 0 && lispOnset(d.vocab[id])
	}
	distinct := map[int32]bool{}
	for _, p := range d.paras {
		clear(distinct)
		for i := p.tokS; i < p.tokE; i++ {
			if t := &d.toks[i]; t.kind == tkWord && t.quote >= 0 && lisped(t.lw) {
				distinct[t.lw] = true
			}
		}
		if len(distinct) < minLispWords {
			continue
		}
		for i := p.tokS; i < p.tokE; i++ {
			t := &d.toks[i]
			if t.kind != tkWord || t.quote < 0 || t.flags&fCap == 0 || t.flags&fAllCaps != 0 || !distinct[t.lw] {
				continue
			}
			w := plain[t.lw]
			if w == "" {
				// No plain reading to name anyone by: an ordinary word.
				t.flags = t.flags&^fCap | fLower
				continue
			}
			if d.respelt == nil {
				d.respelt = map[int32]string{}
			}
			r, sz := utf8.DecodeRuneInString(w)
			d.respelt[i] = string(unicode.ToUpper(r)) + w[sz:]
			t.lw = d.intern(w)
		}
	}
}

// nameWord is token i as written, or as read if respelt.
func (d *doc) nameWord(i int) string {
	if w, ok := d.respelt[int32(i)]; ok {
		return w
	}
	return d.word(i)
}
