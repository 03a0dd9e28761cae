package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// family is a kind of chapter heading line. A book uses one family for its chapters and
// perhaps another for larger divisions (Les Misérables: VOLUME, BOOK, CHAPTER) or smaller
// ones (each Sherlock Holmes adventure has parts "I.", "II."), so detection picks one family
// by priority rather than mixing them.
type family int

const (
	famNone     family = iota
	famChapter         // "CHAPTER XLII", "Chapter 12", "STAVE ONE", "ADVENTURE I.", "LETTER 4", "PROLOGUE"
	famNumbered        // "I. A SCANDAL IN BOHEMIA": a numeral, a separator and a title
	famBare            // "IV." or "12" alone on a line
	famPart            // "BOOK ONE", "PART II", "VOLUME I.--FANTINE."
)

// familyOrder is the priority of families as chapter markers: explicit chapter words
// first, large divisions last since they only stand in for chapters when there are none.
var familyOrder = []family{famChapter, famNumbered, famBare, famPart}

// Heading words, lower-cased, by family.
var (
	chapterWords = map[string]family{
		"chapter": famChapter, "chap": famChapter, "stave": famChapter,
		"adventure": famChapter, "letter": famChapter,
		"book": famPart, "part": famPart, "volume": famPart, "vol": famPart,
	}
	unnumberedChapters = map[string]bool{"prologue": true, "epilogue": true}
	numberWords        = map[string]bool{
		"one": true, "two": true, "three": true, "four": true, "five": true, "six": true,
		"seven": true, "eight": true, "nine": true, "ten": true, "eleven": true, "twelve": true,
		"thirteen": true, "fourteen": true, "fifteen": true, "sixteen": true, "seventeen": true,
		"eighteen": true, "nineteen": true, "twenty": true, "thirty": true, "forty": true,
		"fifty": true, "sixty": true, "seventy": true, "eighty": true, "ninety": true,
		"hundred": true, "first": true, "second": true, "third": true, "fourth": true,
		"fifth": true, "sixth": true, "seventh": true, "eighth": true, "ninth": true,
		"tenth": true, "eleventh": true, "twelfth": true, "thirteenth": true,
		"fourteenth": true, "fifteenth": true, "sixteenth": true, "seventeenth": true,
		"eighteenth": true, "nineteenth": true, "twentieth": true, "thirtieth": true,
		"fortieth": true, "fiftieth": true, "last": true, "final": true,
	}
	// smallWords may stay lower-case in a title-cased heading.
	smallWords = map[string]bool{
		"a": true, "an": true, "the": true, "of": true, "in": true, "on": true, "and": true,
		"to": true, "with": true, "for": true, "at": true, "by": true, "from": true, "or": true,
		"but": true, "nor": true, "as": true, "into": true, "upon": true, "de": true, "la": true,
		"le": true, "du": true, "des": true, "von": true, "van": true, "is": true, "its": true,
	}
)

const (
	// maxHeadingLine is the longest line considered a heading.
	maxHeadingLine = 160
	// maxTitleLine is the longest line taken as the continuation of a heading's title.
	maxTitleLine = 80
	// minChapterProse is how much prose must separate a heading from the next heading of
	// its family for it to count: less means a table of contents, whose entries are
	// headings with nothing between them. The real headings come later and are kept.
	minChapterProse = 150
	// minLastChapterProse is the prose needed after the last heading of a family.
	minLastChapterProse = 20
)

// headingCandidate is a line matching a heading family.
type headingCandidate struct {
	off   int
	fam   family
	valid bool // in heading position: after a blank line, and before one if the family needs it
	prose int  // prose bytes seen before this line
	title string
}

// detectChapters finds chapter headings in text by line patterns: a heading line follows a
// blank line (or starts the text), may be followed by up to two title lines, and is
// separated from the next heading of its family by prose. bareArabic allows lines holding
// only an arabic number, which in PDFs are page numbers.
func detectChapters(text string, bareArabic bool) []mark {
	var (
		cands     []headingCandidate
		prose     int
		prevBlank = true
	)
	for pos := 0; pos < len(text); {
		line, next := nextLine(text, pos)
		t := strings.TrimSpace(line)
		if t == "" {
			prevBlank = true
			pos = next
			continue
		}
		fam, arabic := classifyHeading(t)
		if fam == famBare && arabic && !bareArabic {
			fam = famNone
		}
		if fam == famNone {
			prose += len(t)
			prevBlank = false
			pos = next
			continue
		}
		c := headingCandidate{
			off:   pos + strings.Index(line, t),
			fam:   fam,
			valid: prevBlank,
			prose: prose,
			title: strings.Join(strings.Fields(t), " "),
		}
		after := next
		if fam == famChapter || fam == famPart {
			var extra []string
			extra, after = titleLines(text, next)
			for _, l := range extra {
				c.title += " " + strings.Join(strings.Fields(l), " ")
			}
		} else if l, _ := nextLine(text, next); next < len(text) && strings.TrimSpace(l) != "" {
			// A bare or numbered line followed by more text is a list item or a
			// numbered paragraph, not a heading.
			c.valid = false
		}
		cands = append(cands, c)
		prevBlank = false
		pos = after
	}

	for _, fam := range familyOrder {
		var chosen []mark
		var same []headingCandidate
		for _, c := range cands {
			if c.fam == fam && c.valid {
				same = append(same, c)
			}
		}
		for i, c := range same {
			// The last heading runs to the end of the book, so any real prose after it
			// will do; it only has to differ from the last line of a table of contents
			// placed at the back.
			end, need := prose, minLastChapterProse
			if i+1 < len(same) {
				end, need = same[i+1].prose, minChapterProse
			}
			if end-c.prose >= need {
				chosen = append(chosen, mark{off: c.off, level: 1, title: c.title})
			}
		}
		if len(chosen) >= 2 {
			return chosen
		}
	}
	return nil
}

// titleLines returns up to two short lines directly after a heading that continue its title
// ("CHAPTER I." then "Down the Rabbit-Hole"), provided a blank line or the end of the text
// follows them; otherwise the heading stands alone. It returns where scanning resumes.
func titleLines(text string, pos int) ([]string, int) {
	var lines []string
	p := pos
	for range 2 {
		if p >= len(text) {
			break
		}
		line, next := nextLine(text, p)
		t := strings.TrimSpace(line)
		if t == "" || len(t) > maxTitleLine {
			break
		}
		if fam, _ := classifyHeading(t); fam != famNone {
			break
		}
		lines = append(lines, t)
		p = next
	}
	if len(lines) == 0 {
		return nil, pos
	}
	if l, _ := nextLine(text, p); p < len(text) && strings.TrimSpace(l) != "" {
		return nil, pos
	}
	return lines, p
}

// nextLine returns the line starting at pos, without its newline, and where the next
// line starts.
func nextLine(text string, pos int) (string, int) {
	if i := strings.IndexByte(text[pos:], '\n'); i >= 0 {
		return text[pos : pos+i], pos + i + 1
	}
	return text[pos:], len(text)
}

// classifyHeading decides whether a trimmed line is a chapter heading of some family, and
// for famBare whether its numeral is arabic.
func classifyHeading(t string) (family, bool) {
	if t == "" || len(t) > maxHeadingLine {
		return famNone, false
	}
	word := leadingLetters(t)
	if word != "" && len(word) <= len("adventure") && isHeadingCase(word) {
		kw := strings.ToLower(word)
		rest := strings.TrimPrefix(t[len(word):], ".")
		if fam, ok := chapterWords[kw]; ok {
			if tail, ok := parseNumeral(rest); ok && titleTailOK(tail) {
				return fam, false
			}
			return famNone, false
		}
		if unnumberedChapters[kw] && titleTailOK(rest) {
			return famChapter, false
		}
	}
	return classifyNumbered(t)
}

// classifyNumbered recognises headings that start with a numeral: "IV.", "12", "I. A
// SCANDAL IN BOHEMIA".
func classifyNumbered(t string) (family, bool) {
	if !strings.ContainsRune("0123456789IVXLCDM", rune(t[0])) {
		return famNone, false
	}
	n, arabic := 0, false
	for n < len(t) && n < 4 && t[n] >= '0' && t[n] <= '9' {
		n++
	}
	if n > 0 && n <= 3 {
		arabic = true
	} else {
		w := leadingLetters(t)
		if w == "" || w != strings.ToUpper(w) || !isRoman(w) {
			return famNone, false
		}
		n = len(w)
	}
	if n < len(t) && t[n] >= '0' && t[n] <= '9' {
		return famNone, false
	}
	rest := t[n:]
	switch {
	case rest == "" || rest == ".":
		return famBare, arabic
	case len(rest) > 1 && strings.ContainsRune(".:)", rune(rest[0])) && rest[1] == ' ':
		title := strings.TrimSpace(rest[1:])
		if hasLetter(title) && (!hasLower(title) || isTitleCase(title)) {
			return famNumbered, false
		}
	}
	return famNone, false
}

// parseNumeral reads the number after a heading word: arabic, roman, or spelled out ("ONE",
// "Twenty-One", "THE FIRST"), and returns what follows it. The number must be a whole
// word: "Chapter Ivanhoe" has none.
func parseNumeral(s string) (string, bool) {
	if s == "" || (s[0] != ' ' && s[0] != '\t') {
		return "", false
	}
	s = strings.TrimLeft(s, " \t")
	if len(s) > 4 && strings.EqualFold(s[:4], "the ") {
		s = strings.TrimLeft(s[4:], " \t")
	}
	n := 0
	for n < len(s) && n < 5 && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	if n > 0 && n <= 4 {
		if n < len(s) && isASCIILetter(s[n]) {
			return "", false
		}
		return s[n:], true
	}
	w := leadingLetters(s)
	switch {
	case w == "":
		return "", false
	case isRoman(w) && (w == strings.ToUpper(w) || w == strings.ToLower(w)):
		return s[len(w):], true
	case numberWords[strings.ToLower(w)]:
		rest := s[len(w):]
		if len(rest) > 1 && (rest[0] == '-' || rest[0] == ' ') {
			if w2 := leadingLetters(rest[1:]); w2 != "" && numberWords[strings.ToLower(w2)] {
				rest = rest[1+len(w2):]
			}
		}
		return rest, true
	}
	return "", false
}

// titleTailOK accepts what follows a heading's number: nothing, a separator and any title
// ("CHAPTER I--M. MYRIEL", "STAVE I:  MARLEY'S GHOST"), or a title in capitals or title
// case; a lower-case continuation means a sentence that starts with "Chapter 12".
func titleTailOK(tail string) bool {
	t := strings.TrimSpace(tail)
	if t == "" {
		return true
	}
	for _, sep := range []string{".", ":", "-", "—", "–", ")", ",", ";"} {
		if strings.HasPrefix(t, sep) {
			return true
		}
	}
	return !hasLower(t) || isTitleCase(t)
}

// leadingLetters returns the run of ASCII letters at the start of s.
func leadingLetters(s string) string {
	n := 0
	for n < len(s) && isASCIILetter(s[n]) {
		n++
	}
	return s[:n]
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// isHeadingCase accepts "CHAPTER" and "Chapter" but not "chapter", which is prose. w is
// ASCII letters.
func isHeadingCase(w string) bool {
	if w[0] < 'A' || w[0] > 'Z' {
		return false
	}
	upper, lower := true, true
	for i := 1; i < len(w); i++ {
		isUpper := w[i] >= 'A' && w[i] <= 'Z'
		upper = upper && isUpper
		lower = lower && !isUpper
	}
	return upper || lower
}

// isRoman reports a well-formed roman numeral below 5000, in one case.
func isRoman(w string) bool {
	u := strings.ToUpper(w)
	if u == "" || len(u) > 15 {
		return false
	}
	total, prev := 0, 0
	for i := len(u) - 1; i >= 0; i-- {
		v := romanValue(u[i])
		if v == 0 {
			return false
		}
		if v < prev {
			total -= v
		} else {
			total += v
			prev = v
		}
	}
	return total > 0 && total < 5000 && toRoman(total) == u
}

// toRoman writes n in canonical roman numerals; isRoman compares against it to reject
// letter strings such as "IIII", "VX" or "DIM" that only look like numerals.
func toRoman(n int) string {
	var sb strings.Builder
	for _, p := range romanParts {
		for n >= p.v {
			sb.WriteString(p.s)
			n -= p.v
		}
	}
	return sb.String()
}

// romanValue returns the value of one roman digit, or 0.
func romanValue(c byte) int {
	switch c {
	case 'I':
		return 1
	case 'V':
		return 5
	case 'X':
		return 10
	case 'L':
		return 50
	case 'C':
		return 100
	case 'D':
		return 500
	case 'M':
		return 1000
	}
	return 0
}

var romanParts = []struct {
	v int
	s string
}{
	{1000, "M"}, {900, "CM"}, {500, "D"}, {400, "CD"}, {100, "C"}, {90, "XC"},
	{50, "L"}, {40, "XL"}, {10, "X"}, {9, "IX"}, {5, "V"}, {4, "IV"}, {1, "I"},
}

func hasLower(s string) bool {
	for _, r := range s {
		if unicode.IsLower(r) {
			return true
		}
	}
	return false
}

func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// isTitleCase reports whether every word starts with a capital, small words excepted.
func isTitleCase(s string) bool {
	words := strings.Fields(s)
	if len(words) == 0 {
		return false
	}
	for i, w := range words {
		r, _ := utf8.DecodeRuneInString(strings.TrimLeftFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }))
		if unicode.IsLower(r) && (i == 0 || !smallWords[strings.ToLower(strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) }))]) {
			return false
		}
	}
	return true
}

// chooseHeadings picks the chapter level among heading marks (h1–h3, Markdown headings,
// Word heading styles). If the headings' texts follow a chapter family ("Chapter 1", "I. A
// Scandal"), the level where the best family's headings sit is chosen; otherwise the
// level with the most headings, preferring the higher level on a tie. Either way every
// heading at that level counts, so "Preface" beside "Chapter 1" is kept.
func chooseHeadings(marks []mark) []mark {
	level := 0
	for _, fam := range familyOrder {
		counts := map[int]int{}
		n := 0
		for _, m := range marks {
			if f, _ := classifyHeading(m.title); f == fam && m.level >= 1 && m.level <= 3 {
				counts[m.level]++
				n++
			}
		}
		if n >= 2 {
			level = busiestLevel(counts)
			break
		}
	}
	if level == 0 {
		counts := map[int]int{}
		for _, m := range marks {
			if m.level >= 1 && m.level <= 3 {
				counts[m.level]++
			}
		}
		if counts[busiestLevel(counts)] < 2 {
			return nil
		}
		level = busiestLevel(counts)
	}
	var out []mark
	for _, m := range marks {
		if m.level == level {
			out = append(out, m)
		}
	}
	return out
}

// busiestLevel returns the level with the highest count, the smaller level on ties.
func busiestLevel(counts map[int]int) int {
	best := 0 // counts[0] is 0, so the first level with any heading takes over
	for l := 1; l <= 3; l++ {
		if counts[l] > counts[best] {
			best = l
		}
	}
	return best
}

// toChapters converts marks in byte offsets to chapters in rune offsets, each running to
// the next.
func toChapters(text string, marks []mark) []Chapter {
	if len(marks) == 0 {
		return nil
	}
	marks = sortMarks(append([]mark(nil), marks...))
	out := make([]Chapter, len(marks))
	bytePos, runePos := 0, 0
	for i, m := range marks {
		runePos += utf8.RuneCountInString(text[bytePos:m.off])
		bytePos = m.off
		out[i] = Chapter{Title: m.title, Offset: runePos}
	}
	total := runePos + utf8.RuneCountInString(text[bytePos:])
	for i := range out {
		end := total
		if i+1 < len(out) {
			end = out[i+1].Offset
		}
		out[i].Length = end - out[i].Offset
	}
	return out
}
