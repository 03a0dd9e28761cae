package analysis

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// This file loads Project Dialogism Novel Corpus annotations and scores an
// analysis Result against them.

type pdncChar struct {
	id       int
	main     string
	aliases  []string // as annotated, main name included
	gender   string
	category string // major, intermediate, minor
}

type pdncQuote struct {
	text     string
	subs     []string
	speaker  string
	addrs    []string
	kind     string // Explicit, Anaphoric, Implicit
	pos      int    // byte offset of the quote in PDNC's own copy of the text
	spans    []Span // aligned rune spans in our text, nil if not aligned
	speakerC *pdncChar
}

// parsePyList parses a Python list or set literal of string literals, as
// PDNC stores them ("{'Lizzy', 'Eliza'}", "['a\\nb', \"it's\"]").
func parsePyList(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		q := s[i]
		if q != '\'' && q != '"' {
			continue
		}
		var b strings.Builder
		j := i + 1
		for ; j < len(s) && s[j] != q; j++ {
			if s[j] == '\\' && j+1 < len(s) {
				j++
				switch s[j] {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				default:
					b.WriteByte(s[j])
				}
				continue
			}
			b.WriteByte(s[j])
		}
		out = append(out, b.String())
		i = j
	}
	return out
}

func readCSV(tb testing.TB, path string) [][]string {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Skipf("annotations %s not available (%v)", path, err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.LazyQuotes = true
	rows, err := r.ReadAll()
	if err != nil {
		tb.Fatalf("reading %s: %v", path, err)
	}
	return rows
}

func loadPDNC(tb testing.TB, novel string) ([]*pdncChar, []*pdncQuote) {
	tb.Helper()
	dir := filepath.Join(dataDir, "annotations", novel)
	var chars []*pdncChar
	for i, row := range readCSV(tb, filepath.Join(dir, "characters.csv")) {
		if i == 0 || len(row) < 5 {
			continue
		}
		c := &pdncChar{main: row[1], gender: row[3], category: row[4]}
		fmt.Sscan(row[0], &c.id)
		c.aliases = append([]string{row[1]}, parsePyList(row[2])...)
		chars = append(chars, c)
	}
	byMain := map[string]*pdncChar{}
	for _, c := range chars {
		byMain[c.main] = c
	}
	rows := readCSV(tb, filepath.Join(dir, "quotations.csv"))
	head := map[string]int{}
	for i, h := range rows[0] {
		head[h] = i
	}
	var quotes []*pdncQuote
	for _, row := range rows[1:] {
		q := &pdncQuote{text: row[head["quoteText"]], subs: parsePyList(row[head["subQuotationList"]]),
			speaker: row[head["speaker"]], addrs: parsePyList(row[head["addressees"]]), kind: row[head["quoteType"]]}
		q.speakerC = byMain[q.speaker]
		fmt.Sscanf(strings.TrimLeft(row[head["quoteByteSpans"]], "[ "), "%d", &q.pos)
		quotes = append(quotes, q)
	}
	return chars, quotes
}

// normAlias makes names comparable: lower case, no dots, single spaces.
func normAlias(s string) string {
	s = strings.ToLower(strings.ReplaceAll(s, ".", ""))
	return strings.Join(strings.Fields(s), " ")
}

// normText folds typography for name counting: whitespace runs become one
// space and curly quotes straight. It returns the folded string and, for each
// of its bytes, the rune offset in the original.
func normText(s string) (string, []int) {
	var b strings.Builder
	var off []int
	rn := 0
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = true
		default:
			if space && b.Len() > 0 {
				b.WriteByte(' ')
				off = append(off, rn)
			}
			space = false
			switch r {
			case '’', '‘':
				r = '\''
			case '“', '”':
				r = '"'
			}
			n := utf8.RuneLen(r)
			b.WriteRune(r)
			for k := 0; k < n; k++ {
				off = append(off, rn)
			}
		}
		rn++
	}
	return b.String(), off
}

// textWord is a lower-cased word of our text with its rune span.
type textWord struct {
	w    string
	s, e int
}

func splitWords(s string) []textWord {
	var out []textWord
	rn, start := 0, -1
	var b strings.Builder
	flush := func() {
		if start >= 0 {
			out = append(out, textWord{b.String(), start, rn})
			b.Reset()
			start = -1
		}
	}
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = rn
			}
			b.WriteRune(unicode.ToLower(r))
		} else {
			flush()
		}
		rn++
	}
	flush()
	return out
}

// alignQuotes locates each annotated sub-quotation in our text. PDNC used a
// different edition (older spellings, other punctuation), so matching is by
// word trigrams voting for a start position near the position expected from
// the quote's relative offset in PDNC's copy.
func alignQuotes(text string, quotes []*pdncQuote) (aligned int) {
	words := splitWords(text)
	tri := map[string][]int{}
	for i := 0; i+2 < len(words); i++ {
		k := words[i].w + " " + words[i+1].w + " " + words[i+2].w
		tri[k] = append(tri[k], i)
	}
	total := 1
	for _, q := range quotes {
		total = max(total, q.pos)
	}
	slack := len(words)/25 + 200 // editions differ in front matter and length
	for _, q := range quotes {
		var spans []Span
		expect := int(float64(q.pos) / float64(total) * float64(len(words)))
		for _, sub := range q.subs {
			qw := splitWords(sub)
			if len(qw) == 0 {
				continue
			}
			lo, hi := max(0, expect-slack), min(len(words)-1, expect+slack)
			start, best, bestDist := -1, 0, 0
			consider := func(st, v int) {
				dist := st - expect
				if dist < 0 {
					dist = -dist
				}
				if v > best || v == best && dist < bestDist {
					start, best, bestDist = st, v, dist
				}
			}
			if len(qw) >= 3 {
				votes := map[int]int{}
				for j := 0; j+2 < len(qw); j++ {
					for _, p := range tri[qw[j].w+" "+qw[j+1].w+" "+qw[j+2].w] {
						if st := p - j; st >= lo && st <= hi {
							votes[st]++
							consider(st, votes[st])
						}
					}
				}
			} else {
				for i := lo; i <= hi && i+len(qw) <= len(words); i++ {
					ok := true
					for j := range qw {
						if words[i+j].w != qw[j].w {
							ok = false
							break
						}
					}
					if ok {
						consider(i, 1)
					}
				}
			}
			if start < 0 {
				continue
			}
			end := min(len(words)-1, start+len(qw)-1)
			spans = append(spans, Span{words[start].s, words[end].e})
			expect = end + 1
		}
		if len(spans) > 0 {
			q.spans = spans
			aligned++
		}
	}
	return aligned
}

type qualityReport struct {
	recall, precision, aliasMerge     float64
	coverage, attribution, attrAll    float64
	majorInter, found, topN, topMatch int
	aligned, covered, correct         int
	failures                          []string
	byMethod                          map[string][2]int
}

// charMatcher maps our characters onto annotated ones through their names.
type charMatcher struct {
	aliasOwners map[string][]*pdncChar // normalised alias → annotated characters
	ourToPDNC   map[int]*pdncChar
}

func newCharMatcher(chars []*pdncChar, res *Result) *charMatcher {
	m := &charMatcher{aliasOwners: map[string][]*pdncChar{}, ourToPDNC: map[int]*pdncChar{}}
	rank := map[string]int{"major": 0, "intermediate": 1, "minor": 2}
	sorted := append([]*pdncChar(nil), chars...)
	sort.SliceStable(sorted, func(i, j int) bool { return rank[sorted[i].category] < rank[sorted[j].category] })
	for _, c := range sorted {
		seen := map[string]bool{}
		for _, a := range c.aliases {
			na := normAlias(a)
			if !seen[na] {
				seen[na] = true
				m.aliasOwners[na] = append(m.aliasOwners[na], c)
			}
		}
	}
	for _, oc := range res.Characters {
		for _, n := range append([]string{oc.Name}, oc.Aliases...) {
			if owners := m.aliasOwners[normAlias(n)]; len(owners) > 0 {
				m.ourToPDNC[oc.ID] = owners[0]
				break
			}
		}
	}
	return m
}

// standaloneCount counts occurrences of name in text as a whole name: not
// preceded or followed by another capitalised word or a title.
func standaloneCount(norm, name string) int {
	n := 0
	for from := 0; ; {
		i := strings.Index(norm[from:], name)
		if i < 0 {
			return n
		}
		s := from + i
		e := s + len(name)
		from = e
		before := strings.TrimRight(norm[:s], " ")
		after := strings.TrimLeft(norm[e:], " ")
		if r, _ := utf8.DecodeLastRuneInString(before); unicode.IsLetter(r) && len(before) == s {
			continue // inside a word
		}
		if r, _ := utf8.DecodeRuneInString(norm[e:]); unicode.IsLetter(r) {
			continue
		}
		if len(before) < s {
			lastWord := before[strings.LastIndexAny(before, " \"'(")+1:]
			if r, _ := utf8.DecodeRuneInString(lastWord); unicode.IsUpper(r) && !strings.ContainsAny(lastWord[len(lastWord)-1:], ",;:!?") {
				if _, ok := honorifics[strings.ToLower(strings.TrimSuffix(lastWord, "."))]; ok || !strings.HasSuffix(lastWord, ".") {
					continue
				}
			}
		}
		if len(after) < len(norm)-e {
			if r, _ := utf8.DecodeRuneInString(after); unicode.IsUpper(r) && norm[e] == ' ' {
				continue
			}
		}
		n++
	}
}

// evaluate scores res against the PDNC annotations of the same novel.
func evaluate(text string, res *Result, chars []*pdncChar, quotes []*pdncQuote) *qualityReport {
	r := &qualityReport{byMethod: map[string][2]int{}}
	m := newCharMatcher(chars, res)
	holders := map[string][]int{} // normalised name → our characters holding it
	for _, oc := range res.Characters {
		for _, n := range append([]string{oc.Name}, oc.Aliases...) {
			holders[normAlias(n)] = append(holders[normAlias(n)], oc.ID)
		}
	}
	norm, _ := normText(text)
	// Recall and alias merging over major and intermediate characters.
	merged := 0
	for _, c := range chars {
		if c.category != "major" && c.category != "intermediate" {
			continue
		}
		r.majorInter++
		var found []int
		for _, a := range c.aliases {
			found = append(found, holders[normAlias(a)]...)
		}
		if len(found) > 0 {
			r.found++
		} else {
			r.failures = append(r.failures, fmt.Sprintf("not found: %s %v", c.main, c.aliases))
		}
		// Aliases frequent enough to matter must all sit in one character
		// that holds nobody else's aliases.
		owner := -1
		ok := true
		for _, a := range c.aliases {
			if standaloneCount(norm, a) < 3 {
				continue
			}
			h := holders[normAlias(a)]
			if len(h) != 1 || owner >= 0 && h[0] != owner {
				ok = false
				r.failures = append(r.failures, fmt.Sprintf("alias split: %s alias %q held by %v (standalone %d)", c.main, a, h, standaloneCount(norm, a)))
				break
			}
			owner = h[0]
		}
		if ok && owner >= 0 {
			oc := res.Characters[owner]
			for _, n := range append([]string{oc.Name}, oc.Aliases...) {
				for _, other := range m.aliasOwners[normAlias(n)] {
					if other != c && standaloneCount(norm, n) >= 3 && !containsPDNC(m.aliasOwners[normAlias(n)], c) {
						ok = false
						r.failures = append(r.failures, fmt.Sprintf("alias conflation: %s's character %q also holds %q of %s", c.main, oc.Name, n, other.main))
					}
				}
			}
		}
		if ok && owner >= 0 {
			merged++
		} else if ok {
			r.failures = append(r.failures, fmt.Sprintf("alias merge: %s has no frequent alias found", c.main))
		}
	}
	r.recall = float64(r.found) / float64(max(1, r.majorInter))
	r.aliasMerge = float64(merged) / float64(max(1, r.majorInter))
	r.topN = min(40, len(res.Characters))
	for _, oc := range res.Characters[:r.topN] {
		if m.ourToPDNC[oc.ID] != nil {
			r.topMatch++
		} else {
			r.failures = append(r.failures, fmt.Sprintf("unmatched found character: %s %v (%d mentions)", oc.Name, oc.Aliases, oc.Mentions))
		}
	}
	r.precision = float64(r.topMatch) / float64(max(1, r.topN))

	// Quotes.
	r.aligned = alignQuotes(text, quotes)
	ours := res.Quotes
	for _, q := range quotes {
		if q.spans == nil {
			continue
		}
		best, bestOv := -1, 0
		for _, sp := range q.spans {
			i := sort.Search(len(ours), func(i int) bool { return ours[i].Span.End > sp.Start })
			for ; i < len(ours) && ours[i].Span.Start < sp.End; i++ {
				ov := min(sp.End, ours[i].Span.End) - max(sp.Start, ours[i].Span.Start)
				if ov > bestOv {
					best, bestOv = i, ov
				}
			}
		}
		if best < 0 {
			continue
		}
		r.covered++
		oq := ours[best]
		ok := oq.SpeakerID >= 0 && q.speakerC != nil && m.ourToPDNC[oq.SpeakerID] == q.speakerC
		if ok {
			r.correct++
		}
		bk := r.byMethod["type:"+q.kind]
		bk[1]++
		if ok {
			bk[0]++
		}
		r.byMethod["type:"+q.kind] = bk
		bm := r.byMethod[oq.Method]
		bm[1]++
		if ok {
			bm[0]++
		}
		r.byMethod[oq.Method] = bm
	}
	r.coverage = float64(r.covered) / float64(max(1, len(quotes)))
	r.attribution = float64(r.correct) / float64(max(1, r.covered))
	r.attrAll = float64(r.correct) / float64(max(1, len(quotes)))
	return r
}

func containsPDNC(cs []*pdncChar, c *pdncChar) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}
