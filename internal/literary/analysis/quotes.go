package analysis

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"
)

// quoteSeg is one stretch of quoted text. A quotation interrupted by a
// speech tag yields two segments; a quotation running over several
// paragraphs yields one segment per paragraph, linked by contPrev/contNext.
type quoteSeg struct {
	s, e     int // inner byte span, quote marks excluded
	para     int
	contPrev bool // continues a quotation left open in the previous paragraph
	contNext bool // left open; continues in the next paragraph
	utt      int  // utterance (speaker turn) this segment belongs to
}

type quoteStyle int

const (
	styleDouble quoteStyle = iota // “…” and/or "…"
	styleSingle                   // ‘…’ or '…' (British typesetting)
)

// detectQuoteStyle picks the dialogue convention. Double quotes win unless
// single opening quotes clearly dominate, because apostrophes make single
// quotes ambiguous.
func detectQuoteStyle(text string) quoteStyle {
	double := strings.Count(text, "“") + strings.Count(text, "\"")/2 + strings.Count(text, "«")
	single := strings.Count(text, "‘")
	if single >= 2 && single > 2*double {
		return styleSingle
	}
	if double == 0 {
		// Straight single quotes used for dialogue: look for the typical
		// "'Word" at line or clause start followed later by ",' said".
		if strings.Count(text, ",' ")+strings.Count(text, ".'\n")+strings.Count(text, "?' ") > 10 {
			return styleSingle
		}
	}
	return styleDouble
}

func runeAt(s string, i int) rune {
	if i < 0 || i >= len(s) {
		return ' '
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return r
}

func runeBefore(s string, i int) rune {
	if i <= 0 {
		return ' '
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return r
}

// findQuotes locates quotations paragraph by paragraph.
func (d *doc) findQuotes(ctx context.Context) error {
	style := detectQuoteStyle(d.text)
	text := d.text
	isOpener := func(i int, open bool) bool {
		r := runeAt(text, i)
		switch style {
		case styleDouble:
			return r == '“' || r == '«' || (r == '"' && !open)
		default:
			if r == '‘' {
				return true
			}
			if r == '\'' {
				p := runeBefore(text, i)
				n := runeAt(text, i+1)
				return !isWordRune(p) && !unicode.IsSpace(n)
			}
		}
		return false
	}
	isCloser := func(i int) bool {
		r := runeAt(text, i)
		switch style {
		case styleDouble:
			return r == '”' || r == '»' || r == '"'
		default:
			if r == '’' || r == '\'' {
				_, sz := utf8.DecodeRuneInString(text[i:])
				n := runeAt(text, i+sz)
				return !isWordRune(n) && !unicode.IsSpace(runeBefore(text, i))
			}
		}
		return false
	}
	emit := func(s, e, para int, contPrev, contNext bool) {
		for s < e {
			r, sz := utf8.DecodeRuneInString(text[s:])
			if !unicode.IsSpace(r) {
				break
			}
			s += sz
		}
		for e > s {
			r, sz := utf8.DecodeLastRuneInString(text[:e])
			if !unicode.IsSpace(r) {
				break
			}
			e -= sz
		}
		if e > s {
			d.quotes = append(d.quotes, quoteSeg{s: s, e: e, para: para, contPrev: contPrev, contNext: contNext})
		} else if n := len(d.quotes); n > 0 && contPrev {
			d.quotes[n-1].contNext = contNext
		}
	}
	open := false
	for pi, p := range d.paras {
		if pi&0x3ff == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		ps, pe := int(p.s), int(p.e)
		segStart, contPrev := 0, false
		i := ps
		if open {
			// Only reached when the previous paragraph ended open and this
			// one starts with an opening mark (checked below), so this is
			// the continuation convention.
			_, sz := utf8.DecodeRuneInString(text[i:])
			segStart, contPrev = i+sz, true
			i += sz
		}
		for i < pe {
			r, sz := utf8.DecodeRuneInString(text[i:])
			switch {
			case !open && isOpener(i, false):
				open, segStart, contPrev = true, i+sz, false
			case open && style == styleSingle && (r == '’' || r == '\''):
				if isCloser(i) && d.singleCloses(i, pe) {
					emit(segStart, i, pi, contPrev, false)
					open = false
				}
			case open && isCloser(i):
				emit(segStart, i, pi, contPrev, false)
				open = false
			case open && (r == '“' || r == '«'):
				// An opening mark inside an open quotation means the closing
				// mark was lost: close here and start afresh.
				emit(segStart, i, pi, contPrev, false)
				segStart, contPrev = i+sz, false
			}
			i += sz
		}
		if open {
			next := pi+1 < len(d.paras) && isOpener(int(d.paras[pi+1].s), false)
			emit(segStart, pe, pi, contPrev, next)
			open = next
		}
	}
	return nil
}

// singleCloses decides whether the apostrophe-like mark at i closes a
// single-quoted speech. A mark after punctuation (",’ said") always closes;
// after a letter it closes only if no later mark in the paragraph looks like
// a better close before the next opening quote, since "the girls’ hats"
// would otherwise end the quotation early.
func (d *doc) singleCloses(i, pe int) bool {
	text := d.text
	prev := runeBefore(text, i)
	if unicode.IsPunct(prev) && prev != '\'' && prev != '’' {
		return true
	}
	_, sz := utf8.DecodeRuneInString(text[i:])
	for j := i + sz; j < pe; {
		r, s2 := utf8.DecodeRuneInString(text[j:])
		if r == '‘' {
			return true
		}
		if r == '’' || r == '\'' {
			n := runeAt(text, j+s2)
			p := runeBefore(text, j)
			if r == '\'' && !isWordRune(p) && !unicode.IsSpace(n) {
				return true // an opening straight quote follows
			}
			if !isWordRune(n) && unicode.IsPunct(p) {
				return false
			}
		}
		j += s2
	}
	return true
}
