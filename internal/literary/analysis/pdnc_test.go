package analysis

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// This file loads Project Dialogism Novel Corpus annotations and scores an
// analysis Result against them.

type pdncChar struct {
	main     string
	aliases  []string // as annotated, main name included
	category string   // major, intermediate, minor
}

type pdncQuote struct {
	subs     []string
	speaker  string
	kind     string // Explicit, Anaphoric, Implicit
	pos      int    // offset of the quote in PDNC's copy of the text
	marked   []Span // PDNC's spans of the sub-quotations in its copy
	spans    []Span // aligned rune spans in our text, nil if not aligned
	speakerC *pdncChar
	// addressee is the one annotated addressee when there is exactly one
	// and it is a character, else nil.
	addressee *pdncChar
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
		if strings.HasPrefix(row[1], "_") {
			continue // _group, _unknowable: placeholders, not characters
		}
		c := &pdncChar{main: row[1], category: row[4]}
		c.aliases = append([]string{row[1]}, parsePyList(row[2])...)
		chars = append(chars, c)
	}
	// Some books name speakers by an alias ("Lucy", "Kemp") rather than the
	// main name; PDNC aliases are unambiguous within a book.
	byName := map[string]*pdncChar{}
	for _, c := range chars {
		for _, a := range c.aliases {
			byName[a] = c
		}
	}
	rows := readCSV(tb, filepath.Join(dir, "quotations.csv"))
	head := map[string]int{}
	for i, h := range rows[0] {
		head[h] = i
	}
	var quotes []*pdncQuote
	for _, row := range rows[1:] {
		q := &pdncQuote{subs: parsePyList(row[head["subQuotationList"]]),
			speaker: row[head["speaker"]], kind: row[head["quoteType"]]}
		q.speakerC = byName[q.speaker]
		if to := parsePyList(row[head["addressees"]]); len(to) == 1 {
			q.addressee = byName[to[0]]
		}
		q.marked = parseSpans(row[head["quoteByteSpans"]])
		if len(q.marked) > 0 {
			q.pos = q.marked[0].Start
		}
		quotes = append(quotes, q)
	}
	return chars, quotes
}

// parseSpans reads PDNC's "[[395, 414], [447, 499]]".
func parseSpans(s string) []Span {
	f := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsDigit(r) })
	var out []Span
	for i := 0; i+1 < len(f); i += 2 {
		var sp Span
		fmt.Sscan(f[i], &sp.Start)
		fmt.Sscan(f[i+1], &sp.End)
		out = append(out, sp)
	}
	return out
}

// normAlias makes names comparable: lower case, no dots, single spaces, no
// leading article (PDNC's "The Invisible Man" is our "Invisible Man").
func normAlias(s string) string {
	s = strings.ToLower(strings.ReplaceAll(s, ".", ""))
	return strings.TrimPrefix(strings.Join(strings.Fields(s), " "), "the ")
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

// alignQuotes locates each annotated sub-quotation in our text. Where PDNC's
// spans point into this very text (its own copies of the novels) they are
// taken once their words check out. Otherwise (another edition: older
// spellings, other punctuation) matching is by word trigrams voting for a
// start near the one expected from the last quote aligned; quotes of one or
// two words ("Well,") recur everywhere, so they are looked for close to it.
func alignQuotes(text string, quotes []*pdncQuote) (aligned int) {
	words := splitWords(text)
	runes := []rune(text)
	tri := map[string][]int{}
	for i := 0; i+2 < len(words); i++ {
		k := words[i].w + " " + words[i+1].w + " " + words[i+2].w
		tri[k] = append(tri[k], i)
	}
	total := 1
	for _, q := range quotes {
		total = max(total, q.pos)
	}
	scale := float64(len(words)) / float64(total) // our words per PDNC offset
	slack := len(words)/25 + 200                  // editions differ in front matter and length
	anchorPos, anchorWord := 0, 0                 // the last quote aligned by its own words
	for _, q := range quotes {
		if sameWords(runes, q.marked, q.subs) {
			q.spans = q.marked
			aligned++
			anchorPos = q.pos
			anchorWord = sort.Search(len(words), func(i int) bool { return words[i].s >= q.marked[0].Start })
			continue
		}
		var spans []Span
		gap := int(float64(q.pos-anchorPos) * scale)
		expect := anchorWord + gap
		reliable := false
		for _, sub := range q.subs {
			qw := splitWords(sub)
			if len(qw) == 0 {
				continue
			}
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
				lo, hi := max(0, expect-slack), min(len(words)-1, expect+slack)
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
				near := 50 + gap/10
				lo, hi := max(0, expect-near), min(len(words)-1, expect+near)
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
			if best >= 2 && !reliable {
				reliable = true
				anchorPos, anchorWord = q.pos, start
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

// sameWords reports whether the rune spans of text hold the words of subs.
func sameWords(text []rune, spans []Span, subs []string) bool {
	if len(spans) == 0 {
		return false
	}
	var in, want []string
	for _, sp := range spans {
		if sp.Start < 0 || sp.End > len(text) || sp.Start >= sp.End {
			return false
		}
		for _, w := range splitWords(string(text[sp.Start:sp.End])) {
			in = append(in, w.w)
		}
	}
	for _, sub := range subs {
		for _, w := range splitWords(sub) {
			want = append(want, w.w)
		}
	}
	return slices.Equal(in, want)
}

// qualityReport holds one book's figures against PDNC, as counts.
type qualityReport struct {
	cast, found, merged          int // major+intermediate annotated characters; found by us; merged right
	top, topMatch, topPeople     int // our first characters (at most 20); those that are annotated characters; those testdata/people.json adds
	ours, oursMatch              int // our quotes in the annotated stretch; those overlapping an annotated quote
	annotated, aligned, detected int // annotated quotes; located in our text; overlapped by one of ours
	attributable, correct        int // detected quotes with an annotated speaker; given to that speaker
	addressed, addressedRight    int // of those given the right speaker, the ones with one annotated addressee; given that addressee
	failures                     []string
	byMethod                     map[string][2]int // attributable quotes (correct, all) by our method and by PDNC quote type
	misses                       []string          // misattributed quotes: method, annotated and our speaker, the text before and the quote
	rows                         []string          // every attributable quote as a TSV row: right, annotated and our speaker, method, type, offset
}

// Indexes into qualityFigures.
const (
	qCastRecall = iota
	qTopPrecision
	qAliasMerge
	qQuotePrecision
	qQuoteRecall
	qAttribution
	qMetrics
)

// qualityFigures are a report's ratios, indexed by the q* constants.
type qualityFigures [qMetrics]float64

func ratio(n, d int) float64 { return float64(n) / float64(max(1, d)) }

func (r *qualityReport) figures() qualityFigures {
	return qualityFigures{
		qCastRecall:     ratio(r.found, r.cast),
		qTopPrecision:   ratio(r.topMatch+r.topPeople, r.top),
		qAliasMerge:     ratio(r.merged, r.found),
		qQuotePrecision: ratio(r.oursMatch, r.ours),
		qQuoteRecall:    ratio(r.detected, r.annotated),
		qAttribution:    ratio(r.correct, r.attributable),
	}
}

// charMatcher maps our characters onto annotated ones through their names.
type charMatcher struct {
	owner     map[string]*pdncChar // normalised alias → annotated character
	ourToPDNC map[int]*pdncChar
}

func newCharMatcher(chars []*pdncChar, res *Result) *charMatcher {
	m := &charMatcher{owner: map[string]*pdncChar{}, ourToPDNC: map[int]*pdncChar{}}
	// PDNC aliases are unique within a book; should one not be, the more
	// important character keeps it.
	rank := map[string]int{"major": 0, "intermediate": 1, "minor": 2}
	sorted := append([]*pdncChar(nil), chars...)
	sort.SliceStable(sorted, func(i, j int) bool { return rank[sorted[i].category] < rank[sorted[j].category] })
	for _, c := range sorted {
		for _, a := range c.aliases {
			if na := normAlias(a); m.owner[na] == nil {
				m.owner[na] = c
			}
		}
	}
	for _, oc := range res.Characters {
		for _, n := range append([]string{oc.Name}, oc.Aliases...) {
			if c := m.owner[normAlias(n)]; c != nil {
				m.ourToPDNC[oc.ID] = c
				break
			}
		}
	}
	return m
}

// held reports whether one of our characters holds an alias of c.
func (m *charMatcher) held(c *pdncChar) bool {
	for _, p := range m.ourToPDNC {
		if p == c {
			return true
		}
	}
	return false
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

// minStandalone is how often a name must stand alone in the text to count
// when judging alias merging: a rare or always-qualified name (Catherine
// only ever in "Lady Catherine") says little about who it refers to.
const minStandalone = 3

// evaluate scores res against the PDNC annotations of the same novel.
//
//   - Cast recall: of the major and intermediate annotated characters, the
//     share for which one of our characters holds one of their aliases.
//   - Top-20 precision: of our 20 most mentioned characters, the share whose
//     name or an alias is an annotated character's (any category) or one of
//     people, the people of the story PDNC leaves out (testdata/people.json).
//   - Alias merging: of the major and intermediate characters found, the
//     share held by exactly one of our characters (no split) that holds no
//     other annotated character's alias (no conflation). Only names standing
//     alone at least minStandalone times are judged, unless the character
//     has none.
//   - Quote precision: of our quotes between the first and last annotated
//     one (front matter and back matter are not annotated), the share
//     overlapping an annotated quotation.
//   - Quote recall: of the annotated quotations, the share overlapped by one
//     of our quotes.
//   - Addressees (reported, not a goal): of the quotations given their right
//     speaker that PDNC annotates with exactly one addressee, a character,
//     the share we give that addressee.
//   - Attribution: of the annotated quotations we detected whose speaker is
//     an annotated character (not _group or _unknowable), the share whose
//     most-overlapping quote of ours has that speaker. A first-person
//     narrator's lines we leave without a speaker count as wrong.
func evaluate(text string, res *Result, chars []*pdncChar, quotes []*pdncQuote, people []string) *qualityReport {
	r := &qualityReport{byMethod: map[string][2]int{}, annotated: len(quotes)}
	m := newCharMatcher(chars, res)
	byID := map[int]*Character{}
	holders := map[string][]int{} // normalised name → our characters holding it
	for i := range res.Characters {
		oc := &res.Characters[i]
		byID[oc.ID] = oc
		for _, n := range append([]string{oc.Name}, oc.Aliases...) {
			holders[normAlias(n)] = append(holders[normAlias(n)], oc.ID)
		}
	}
	norm, _ := normText(text)
	counts := map[string]int{}
	frequent := func(name string) bool {
		n, ok := counts[name]
		if !ok {
			n = standaloneCount(norm, name)
			counts[name] = n
		}
		return n >= minStandalone
	}
	for _, c := range chars {
		if c.category != "major" && c.category != "intermediate" {
			continue
		}
		r.cast++
		held, heldFrequent := map[int]bool{}, map[int]bool{}
		for _, a := range c.aliases {
			for _, id := range holders[normAlias(a)] {
				held[id] = true
				if frequent(a) {
					heldFrequent[id] = true
				}
			}
		}
		if len(held) == 0 {
			r.failures = append(r.failures, fmt.Sprintf("not found: %s %v", c.main, c.aliases))
			continue
		}
		r.found++
		judged := heldFrequent
		if len(judged) == 0 {
			judged = held
		}
		if len(judged) > 1 {
			var names []string
			for id := range judged {
				names = append(names, byID[id].Name)
			}
			sort.Strings(names)
			r.failures = append(r.failures, fmt.Sprintf("split: %s is %q", c.main, names))
			continue
		}
		ok := true
		for id := range judged {
			oc := byID[id]
			for _, n := range append([]string{oc.Name}, oc.Aliases...) {
				if o := m.owner[normAlias(n)]; o != nil && o != c && frequent(n) {
					ok = false
					r.failures = append(r.failures, fmt.Sprintf("conflated: %s's %q also holds %q of %s", c.main, oc.Name, n, o.main))
				}
			}
		}
		if ok {
			r.merged++
		}
	}
	r.top = min(20, len(res.Characters))
	for _, oc := range res.Characters[:r.top] {
		switch {
		case m.ourToPDNC[oc.ID] != nil:
			r.topMatch++
		case slices.ContainsFunc(append([]string{oc.Name}, oc.Aliases...), func(n string) bool {
			return slices.ContainsFunc(people, func(p string) bool { return normAlias(p) == normAlias(n) })
		}):
			r.topPeople++
		default:
			r.failures = append(r.failures, fmt.Sprintf("not annotated: %s %v (%d mentions)", oc.Name, oc.Aliases, oc.Mentions))
		}
	}

	r.aligned = alignQuotes(text, quotes)
	ours := res.Quotes
	matched := make([]bool, len(ours))
	first, last := -1, -1 // the annotated stretch of the text
	for _, q := range quotes {
		if q.spans == nil {
			continue
		}
		best, bestOv := -1, 0
		for _, sp := range q.spans {
			if first < 0 || sp.Start < first {
				first = sp.Start
			}
			last = max(last, sp.End)
			i := sort.Search(len(ours), func(i int) bool { return ours[i].Span.End > sp.Start })
			for ; i < len(ours) && ours[i].Span.Start < sp.End; i++ {
				matched[i] = true
				ov := min(sp.End, ours[i].Span.End) - max(sp.Start, ours[i].Span.Start)
				if ov > bestOv {
					best, bestOv = i, ov
				}
			}
		}
		if best < 0 {
			continue
		}
		r.detected++
		if q.speakerC == nil {
			continue
		}
		r.attributable++
		oq := ours[best]
		ok := oq.SpeakerID >= 0 && m.ourToPDNC[oq.SpeakerID] == q.speakerC
		if ok {
			r.correct++
			if q.addressee != nil {
				r.addressed++
				if oq.AddresseeID >= 0 && m.ourToPDNC[oq.AddresseeID] == q.addressee {
					r.addressedRight++
				}
			}
		} else {
			r.misses = append(r.misses, describeMiss(text, oq, q, byID, m.held(q.speakerC)))
		}
		ourName := "-"
		if pc := m.ourToPDNC[oq.SpeakerID]; pc != nil {
			ourName = pc.main
		} else if oc := byID[oq.SpeakerID]; oc != nil {
			ourName = oc.Name + " (not annotated)"
		}
		r.rows = append(r.rows, fmt.Sprintf("%t\t%s\t%s\t%s\t%s\t%d", ok, q.speakerC.main, ourName, oq.Method, q.kind, oq.Span.Start))
		for _, k := range []string{oq.Method, "type:" + q.kind} {
			v := r.byMethod[k]
			v[1]++
			if ok {
				v[0]++
			}
			r.byMethod[k] = v
		}
	}
	for i, oq := range ours {
		if oq.Span.End > first && oq.Span.Start < last {
			r.ours++
			if matched[i] {
				r.oursMatch++
			}
		}
	}
	return r
}

// describeMiss renders a misattributed quote for -pdnc.misses: our method,
// the annotated speaker and ours, then the text leading up to the quote and
// its start, so that error classes can be read off a list.
func describeMiss(text string, oq Quote, q *pdncQuote, byID map[int]*Character, reachable bool) string {
	ours := "-"
	if oc := byID[oq.SpeakerID]; oc != nil {
		ours = oc.Name
	}
	runes := []rune(text)
	s, e := oq.Span.Start, min(oq.Span.End, oq.Span.Start+120)
	before := strings.Join(strings.Fields(strings.ReplaceAll(string(runes[max(0, s-300):s]), "\n\n", " ¶ ")), " ")
	gold := q.speaker
	if !reachable {
		gold += " (not in our cast)"
	}
	after := strings.Join(strings.Fields(strings.ReplaceAll(string(runes[oq.Span.End:min(len(runes), oq.Span.End+80)]), "\n\n", " ¶ ")), " ")
	return fmt.Sprintf("[%s/%s] gold=%s ours=%s\n    …%s ⟪%s⟫ %s", oq.Method, q.kind, gold, ours,
		before, strings.Join(strings.Fields(string(runes[s:e])), " "), after)
}
