package analysis

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Token kinds.
const (
	tkWord   uint8 = iota
	tkPunct        // any single punctuation rune, or a run of hyphens
	tkClitic       // the possessive 's split off a word
)

// Token flags.
const (
	fCap       uint8 = 1 << iota // first rune is upper case
	fLower                       // first rune is lower case
	fAllCaps                     // two or more letters, all upper case (headings)
	fAmbig                       // capitalisation says nothing: sentence start, after an opening quote or dash
	fQuote                       // inside a quotation
	fSentStart                   // first word of a sentence
)

// token is one word or punctuation mark. Offsets are bytes into doc.text.
type token struct {
	s, e  int32
	para  int32
	sent  int32
	quote int32 // index into doc.quotes, -1 in narration
	lw    int32 // index of the lower-cased word in doc.vocab, -1 for punctuation
	kind  uint8
	flags uint8
}

type paragraph struct {
	s, e       int32 // byte span
	tokS, tokE int32 // token range, end exclusive
}

type sentence struct {
	s, e       int32 // byte span
	tokS, tokE int32
	para       int32
}

// doc is the tokenised text shared by every analysis stage.
type doc struct {
	text   string
	toks   []token
	paras  []paragraph
	sents  []sentence
	quotes []quoteSeg
	vocab  []string
	vocIdx map[string]int32
	// respelt holds the plain spelling of the capitalised words a lisping
	// speaker respells ("Thquire" read as "Squire"), by token.
	respelt map[int32]string
	// runeCheck[i] is the number of runes in text[:i*runeStride]; it turns
	// byte offsets into the rune offsets the API promises without a full
	// per-byte table.
	runeCheck []int32
}

const runeStride = 256

func (d *doc) word(i int) string { return d.text[d.toks[i].s:d.toks[i].e] }

// lower returns the lower-cased form of token i ("" for punctuation).
func (d *doc) lower(i int) string {
	if d.toks[i].lw < 0 {
		return ""
	}
	return d.vocab[d.toks[i].lw]
}

func (d *doc) isWord(i int) bool { return i >= 0 && i < len(d.toks) && d.toks[i].kind == tkWord }

// punctIs reports whether token i is the punctuation mark p.
func (d *doc) punctIs(i int, p string) bool {
	return i >= 0 && i < len(d.toks) && d.toks[i].kind == tkPunct && d.word(i) == p
}

// runeOffset converts a byte offset into a rune offset.
func (d *doc) runeOffset(b int) int {
	if b <= 0 {
		return 0
	}
	if b > len(d.text) {
		b = len(d.text)
	}
	c := b / runeStride
	start := c * runeStride
	for start < b && !utf8.RuneStart(d.text[start]) {
		start++
	}
	return int(d.runeCheck[c]) + utf8.RuneCountInString(d.text[start:b])
}

func (d *doc) span(s, e int) Span { return Span{Start: d.runeOffset(s), End: d.runeOffset(e)} }

func (d *doc) intern(w string) int32 {
	if id, ok := d.vocIdx[w]; ok {
		return id
	}
	id := int32(len(d.vocab))
	d.vocab = append(d.vocab, w)
	d.vocIdx[w] = id
	return id
}

func isApostrophe(r rune) bool { return r == '\'' || r == '’' }

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

// newDoc tokenises text into words, punctuation and paragraphs. Quotes and
// sentences are added by later passes because sentence boundaries depend on
// where quotations open.
func newDoc(ctx context.Context, text string) (*doc, error) {
	d := &doc{text: text, vocIdx: make(map[string]int32, 1<<14)}
	d.toks = make([]token, 0, len(text)/5)
	d.runeCheck = make([]int32, len(text)/runeStride+1)
	// A checkpoint holds the number of runes that start before its stride
	// boundary; runeOffset then counts from the first rune start after it.
	next, runes := 0, int32(0)
	for i := 0; i < len(text); {
		for next*runeStride <= i {
			d.runeCheck[next] = runes
			next++
		}
		_, sz := utf8.DecodeRuneInString(text[i:])
		runes++
		i += sz
	}
	for ; next < len(d.runeCheck); next++ {
		d.runeCheck[next] = runes
	}

	// Paragraphs are separated by blank lines. A text with (almost) none,
	// such as one paragraph per line, is split at every line break instead.
	breakAt := 2
	if blankLineBreaks(text) == 0 || len(text)/(blankLineBreaks(text)+1) > maxParagraphBytes {
		breakAt = 1
	}
	para := int32(0)
	newlines := 0
	paraStart := int32(0)
	for i := 0; i < len(text); {
		if len(d.toks)&0xffff == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r, sz := utf8.DecodeRuneInString(text[i:])
		if r == '\n' {
			newlines++
			i += sz
			continue
		}
		if unicode.IsSpace(r) || r == '\uFEFF' || r == '_' {
			// Underscores are Gutenberg's italics markup, not text.
			i += sz
			continue
		}
		if newlines >= breakAt && len(d.toks) > 0 {
			d.paras = append(d.paras, paragraph{s: d.toks[paraStart].s, e: d.toks[len(d.toks)-1].e, tokS: paraStart, tokE: int32(len(d.toks))})
			paraStart = int32(len(d.toks))
			para++
		}
		newlines = 0
		t := token{s: int32(i), para: para, quote: -1, lw: -1}
		switch {
		case isWordRune(r):
			j := i + sz
			for j < len(text) {
				r2, sz2 := utf8.DecodeRuneInString(text[j:])
				if isWordRune(r2) {
					j += sz2
					continue
				}
				if isApostrophe(r2) || r2 == '-' {
					r3, sz3 := utf8.DecodeRuneInString(text[j+sz2:])
					if !unicode.IsLetter(r3) {
						break
					}
					if isApostrophe(r2) && (r3 == 's' || r3 == 'S') {
						r4, _ := utf8.DecodeRuneInString(text[j+sz2+sz3:])
						if !isWordRune(r4) {
							break // possessive: split off as a clitic
						}
					}
					j += sz2
					continue
				}
				break
			}
			t.e = int32(j)
			t.kind = tkWord
			w := text[i:j]
			// Fold the typographic apostrophe so "I’ve" and "I've" are one
			// word.
			lw := strings.ReplaceAll(strings.ToLower(w), "’", "'")
			t.lw = d.intern(lw)
			t.flags = capFlags(w)
			i = j
		case isApostrophe(r) && len(d.toks) > 0 && d.toks[len(d.toks)-1].e == int32(i) && d.toks[len(d.toks)-1].kind == tkWord &&
			i+sz < len(text) && (text[i+sz] == 's' || text[i+sz] == 'S') && (i+sz+1 >= len(text) || !startsWordRune(text[i+sz+1:])):
			t.e = int32(i + sz + 1)
			t.kind = tkClitic
			i += sz + 1
		case r == '-':
			j := i
			for j < len(text) && text[j] == '-' {
				j++
			}
			t.e = int32(j)
			t.kind = tkPunct
			i = j
		default:
			t.e = int32(i + sz)
			t.kind = tkPunct
			i += sz
		}
		d.toks = append(d.toks, t)
	}
	if len(d.toks) > int(paraStart) {
		d.paras = append(d.paras, paragraph{s: d.toks[paraStart].s, e: d.toks[len(d.toks)-1].e, tokS: paraStart, tokE: int32(len(d.toks))})
	}
	return d, nil
}

// maxParagraphBytes is the average paragraph length beyond which blank
// lines are taken not to mark paragraphs.
const maxParagraphBytes = 20000

// blankLineBreaks counts blank lines (a newline, optional spaces, another
// newline).
func blankLineBreaks(text string) int {
	n := 0
	for i := 0; i < len(text); i++ {
		if text[i] != '\n' {
			continue
		}
		j := i + 1
		for j < len(text) && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r') {
			j++
		}
		if j < len(text) && text[j] == '\n' {
			n++
			i = j - 1
		}
	}
	return n
}

func startsWordRune(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return isWordRune(r)
}

func capFlags(w string) uint8 {
	r, _ := utf8.DecodeRuneInString(w)
	var f uint8
	switch {
	case unicode.IsUpper(r):
		f |= fCap
	case unicode.IsLower(r):
		f |= fLower
	}
	if f&fCap != 0 {
		letters, upper := 0, 0
		for _, c := range w {
			if unicode.IsLetter(c) {
				letters++
				if unicode.IsUpper(c) {
					upper++
				}
			}
		}
		if letters >= 2 && upper == letters {
			f |= fAllCaps
		}
	}
	return f
}

// isDash reports whether token i is a dash used as punctuation.
func (d *doc) isDash(i int) bool {
	if i < 0 || d.toks[i].kind != tkPunct {
		return false
	}
	w := d.word(i)
	return strings.HasPrefix(w, "--") || w == "—" || w == "–"
}

func isQuoteMark(w string) bool {
	switch w {
	case "\"", "“", "”", "‘", "’", "'", "«", "»":
		return true
	}
	return false
}

// markQuotesAndSentences flags tokens inside quotations and splits
// sentences. A sentence ends at . ! or ? (not after an abbreviation) when the
// next word is capitalised; a paragraph always ends one.
func (d *doc) markQuotesAndSentences() {
	q := 0
	for i := range d.toks {
		t := &d.toks[i]
		for q < len(d.quotes) && int32(d.quotes[q].e) <= t.s {
			q++
		}
		if q < len(d.quotes) && int32(d.quotes[q].s) <= t.s && t.e <= int32(d.quotes[q].e) {
			t.quote = int32(q)
			t.flags |= fQuote
		}
	}

	sent := int32(-1)
	curPara := int32(-1)
	pending := false
	var cur sentence
	flush := func(end int) {
		if sent >= 0 && end > int(cur.tokS) {
			cur.tokE = int32(end)
			cur.e = d.toks[end-1].e
			d.sents = append(d.sents, cur)
		}
	}
	for i := range d.toks {
		t := &d.toks[i]
		start := false
		if t.para != curPara {
			curPara = t.para
			start = true
		} else if pending && (t.kind == tkWord && t.flags&fLower == 0) {
			start = true
		}
		if start {
			flush(i)
			sent++
			cur = sentence{s: t.s, tokS: int32(i), para: t.para}
			pending = false
		}
		// The open sentence is appended on flush, so its index is the
		// current length.
		t.sent = int32(len(d.sents))
		switch t.kind {
		case tkWord:
			if start {
				t.flags |= fAmbig | fSentStart
			}
			if i > 0 {
				p := &d.toks[i-1]
				// A word opening a quotation or following a dash, colon or
				// bracket is often capitalised regardless of what it is.
				if p.kind == tkPunct && (p.quote != t.quote || d.isDash(i-1) || d.word(i-1) == "(" || d.word(i-1) == ":" || d.word(i-1) == "[") {
					t.flags |= fAmbig
				}
				if p.kind == tkPunct && p.quote != t.quote && t.quote >= 0 && d.quotes[t.quote].s == int(t.s) && pending {
					t.flags |= fSentStart
				}
			}
			if t.flags&fLower != 0 {
				pending = false
			}
		case tkPunct:
			w := d.word(i)
			switch w {
			case ".":
				if i > 0 && d.toks[i-1].kind == tkWord && d.toks[i-1].e == t.s {
					lw := d.lower(i - 1)
					if abbreviations[lw] || (utf8.RuneCountInString(lw) == 1 && d.toks[i-1].flags&fCap != 0) {
						break
					}
				}
				pending = true
			case "!", "?", "…":
				pending = true
			}
		}
	}
	flush(len(d.toks))
}

// paraWords counts the words of paragraph p.
func (d *doc) paraWords(p int) int {
	n := 0
	for k := d.paras[p].tokS; k < d.paras[p].tokE; k++ {
		if d.toks[k].kind == tkWord {
			n++
		}
	}
	return n
}
