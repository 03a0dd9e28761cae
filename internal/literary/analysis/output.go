package analysis

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// stats computes the whole-text figures.
func (a *analyzer) stats() Stats {
	d := a.d
	var st Stats
	quoted := 0
	for i := range d.toks {
		if d.toks[i].kind == tkWord {
			st.Words++
			if d.toks[i].quote >= 0 {
				quoted++
			}
		}
	}
	st.Sentences = len(d.sents)
	st.Paragraphs = len(d.paras)
	if len(a.opt.ChapterStarts) > 0 {
		// Count the distinct offsets that fall inside the text.
		n := d.runeOffset(len(d.text))
		seen := map[int]bool{}
		for _, off := range a.opt.ChapterStarts {
			if off >= 0 && off <= n {
				seen[off] = true
			}
		}
		st.Chapters = len(seen)
	} else {
		st.Chapters = countChapters(d.text)
	}
	st.ReadingMinutes = float64(st.Words) / wordsPerMinute
	if st.Words > 0 {
		st.DialogueShare = float64(quoted) / float64(st.Words)
	}
	return st
}

// minChapterBytes is the least text a heading must precede to count: table
// of contents lines follow each other closely.
const minChapterBytes = 200

// countChapters counts heading lines: "CHAPTER I", "Chapter 12", "STAVE
// III", or an all-capitals line opening with a Roman numeral ("IV. THE
// FIVE ORANGE PIPS"). Indented lines (tables of contents) are ignored.
func countChapters(text string) int {
	var heads []int
	off := 0
	for off < len(text) {
		nl := strings.IndexByte(text[off:], '\n')
		end := len(text)
		if nl >= 0 {
			end = off + nl
		}
		line := strings.TrimRight(text[off:end], " \t\r")
		if isChapterHeading(line) {
			heads = append(heads, off)
		}
		off = end + 1
	}
	n := 0
	for i, h := range heads {
		next := len(text)
		if i+1 < len(heads) {
			next = heads[i+1]
		}
		if next-h >= minChapterBytes {
			n++
		}
	}
	return n
}

func isChapterHeading(line string) bool {
	if line == "" || line[0] == ' ' || line[0] == '\t' || len(line) > 120 {
		return false
	}
	word, rest, _ := strings.Cut(line, " ")
	switch strings.ToLower(strings.TrimRight(word, ".:")) {
	case "chapter", "stave", "letter":
		rest = strings.TrimSpace(rest)
		num, _, _ := strings.Cut(rest, " ")
		num = strings.TrimRight(num, ".:-—")
		if i := strings.Index(num, "--"); i > 0 {
			num = num[:i]
		}
		return isNumeral(num)
	}
	// Roman numeral heading with an all-capitals title.
	num := strings.TrimRight(word, ".")
	if num == word || !isRoman(num) || rest == "" {
		return false
	}
	for _, r := range rest {
		if unicode.IsLower(r) {
			return false
		}
	}
	return true
}

var numberWords = wordSet("one", "two", "three", "four", "five", "six", "seven",
	"eight", "nine", "ten", "eleven", "twelve", "first", "second", "third",
	"the", "last")

func isNumeral(s string) bool {
	if s == "" {
		return false
	}
	digits := true
	for _, r := range s {
		if r < '0' || r > '9' {
			digits = false
			break
		}
	}
	return digits || isRoman(s) || numberWords[strings.ToLower(s)]
}

func isRoman(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range strings.ToUpper(s) {
		if !strings.ContainsRune("IVXLCDM", r) {
			return false
		}
	}
	return s == strings.ToUpper(s)
}

// characters renders the reported characters.
func (a *analyzer) characters() []Character {
	d := a.d
	out := make([]Character, len(a.chars))
	for i, ci := range a.chars {
		c := Character{ID: ci.id, Name: ci.name, Aliases: ci.aliases, Mentions: len(ci.ments),
			Gender: ci.gender, Quotes: ci.quotes}
		if len(ci.ments) > 0 {
			m := a.ments[ci.ments[0]]
			c.FirstMention = d.span(int(d.toks[m.tokS].s), int(d.toks[m.tokE-1].e))
		}
		n := min(len(ci.ments), maxMentionSpans)
		c.MentionSpans = make([]Span, n)
		for j := 0; j < n; j++ {
			m := a.ments[ci.ments[j]]
			c.MentionSpans[j] = d.span(int(d.toks[m.tokS].s), int(d.toks[m.tokE-1].e))
		}
		if ci.ent.id < 0 {
			// Counting an unnamed character's mentions lets casts (which
			// need mentions) include them.
			toks := a.unnamedMentions(ci)
			c.Mentions = len(toks)
			for j := 0; j < min(len(toks), maxMentionSpans); j++ {
				c.MentionSpans = append(c.MentionSpans, d.span(int(d.toks[toks[j]].s), int(d.toks[toks[j]].e)))
			}
			if len(toks) > 0 {
				c.FirstMention = c.MentionSpans[0]
			}
		}
		s, e := a.description(ci)
		if e > s {
			c.Description = strings.Join(strings.Fields(d.text[s:e]), " ")
			c.DescriptionSpan = d.span(s, e)
		}
		out[i] = c
	}
	return out
}

// appositiveStarters open a phrase that describes the name before it:
// "Mr. Collins, the cousin", "Elizabeth, who".
var appositiveStarters = wordSet("the", "a", "an", "who", "whose", "his", "her", "my", "our", "their")

// description returns the byte span of the sentence introducing the
// character. Among the first narration mentions it prefers a sentence that
// opens with the name, followed by an appositive ("Mr. Collins, the
// cousin…") or a copula ("Lydia was a stout, well-grown girl"), and free of
// dialogue; the earliest best one wins, else the sentence of the first
// mention; for one known only by a description, the first sentence using
// it. The span is trimmed at a word boundary to maxDescriptionRunes.
func (a *analyzer) description(ci *charInfo) (int, int) {
	d := a.d
	k := a.introduction(ci)
	if k < 0 {
		return 0, 0
	}
	sent := d.sents[d.toks[k].sent]
	s, e := int(sent.s), int(sent.e)
	e = s + len(trimOpeningMark(d.text[s:e]))
	if utf8.RuneCountInString(d.text[s:e]) > maxDescriptionRunes {
		n, cut := 0, s
		for i, r := range d.text[s:e] {
			if n >= maxDescriptionRunes {
				break
			}
			if unicode.IsSpace(r) {
				cut = s + i
			}
			n++
		}
		if cut > s {
			e = cut
		}
	}
	return s, e
}

// introduction returns a token of the sentence that introduces the
// character (see description), -1 if there is none.
func (a *analyzer) introduction(ci *charInfo) int {
	d := a.d
	if len(ci.ments) == 0 {
		if len(ci.descToks) > 0 {
			// "…an elderly mariner, carrying a newspaper, came out of the
			// inn": the first sentence to use the description.
			return ci.descToks[0]
		}
		return -1
	}
	pick, bestScore := ci.ments[0], -1
	seen := 0
	for _, mi := range ci.ments {
		m := a.ments[mi]
		if d.toks[m.tokS].quote >= 0 {
			continue
		}
		if seen++; seen > 30 {
			break
		}
		score := 0
		k := int(m.tokE)
		sent := d.sents[d.toks[m.tokS].sent]
		if int(sent.tokS) == int(m.tokS) {
			score += 2 // the sentence is about the character
		}
		if k+1 < len(d.toks) && d.punctIs(k, ",") && d.isWord(k+1) && appositiveStarters[d.lower(k+1)] && d.toks[k+1].quote < 0 {
			score += 2
		}
		if k < len(d.toks) && d.isWord(k) && (d.lower(k) == "was" || d.lower(k) == "is") {
			score += 2
		}
		clean := true
		for t := sent.tokS; t < sent.tokE; t++ {
			if d.toks[t].quote >= 0 {
				clean = false
				break
			}
		}
		if clean {
			score++
		}
		if score > bestScore {
			pick, bestScore = mi, score
		}
		if score >= 5 {
			break
		}
	}
	return int(a.ments[pick].tokS)
}

// trimOpeningMark drops the opening quotation mark a sentence can end on
// (`Lestrade looked startled. “`): it belongs to the next sentence's
// dialogue. A straight mark opens when a space comes before it.
func trimOpeningMark(s string) string {
	for {
		s = strings.TrimRightFunc(s, unicode.IsSpace)
		switch {
		case strings.HasSuffix(s, "“"), strings.HasSuffix(s, "‘"):
			_, n := utf8.DecodeLastRuneInString(s)
			s = s[:len(s)-n]
		case strings.HasSuffix(s, "\"") && len(s) >= 2 && unicode.IsSpace(rune(s[len(s)-2])):
			s = s[:len(s)-1]
		default:
			return s
		}
	}
}

// quotes renders every quote segment with its turn's attribution.
func (a *analyzer) quotes() []Quote {
	d := a.d
	out := make([]Quote, len(d.quotes))
	for i, q := range d.quotes {
		u := &a.utts[q.utt]
		sp := u.speaker
		if sp == narratorID {
			// The narrator is not a character; the method says who spoke.
			sp = noSpeaker
		}
		out[i] = Quote{Span: d.span(q.s, q.e), Text: d.text[q.s:q.e], SpeakerID: sp,
			AddresseeID: u.addressee, Confidence: u.conf, Method: u.method}
	}
	return out
}
