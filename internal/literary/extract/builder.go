package extract

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// mark is a heading or table-of-contents entry found while extracting: off is a byte offset
// into the builder's text until toChapters turns it into runes.
type mark struct {
	off   int
	level int
	title string
}

// maxTitleBytes bounds how much of a heading becomes a chapter title, so that a "heading"
// holding a whole book does not make a megabyte title.
const maxTitleBytes = 300

// builder accumulates extracted text for every format, so that cleaning happens in one
// place: control characters are dropped, whitespace between words collapses, and line and
// paragraph breaks are written lazily, only once more text follows. That makes the output
// free of leading, trailing and repeated blank lines without a second pass, so the heading
// offsets recorded along the way stay valid.
type builder struct {
	sb    strings.Builder
	limit int64
	err   error

	breaks int  // newlines owed before the next visible character: 0, 1 or 2
	space  bool // a space is owed before the next visible character

	marks      []mark
	headOpen   bool
	headStart  int // byte offset where the open heading's text starts, or -1
	headLevel  int
	anchors    map[string]int
	pendingIDs []string
}

// newBuilder returns a builder that fails with ErrTooLarge past limit bytes.
func newBuilder(limit int64) *builder {
	return &builder{limit: limit, headStart: -1}
}

// grow reserves room for about n more bytes, within the limit, so that a large book is not
// copied over and over as the text grows.
func (b *builder) grow(n int) {
	b.sb.Grow(int(min(int64(n), b.limit)))
}

// String returns the text written so far.
func (b *builder) String() string { return b.sb.String() }

// Len returns the number of bytes written so far.
func (b *builder) Len() int { return b.sb.Len() }

// flush writes the owed break or space and settles pending anchors and headings, just
// before a visible character is written.
func (b *builder) flush() {
	if b.sb.Len() > 0 {
		switch {
		case b.breaks >= 2:
			b.sb.WriteString("\n\n")
		case b.breaks == 1:
			b.sb.WriteByte('\n')
		case b.space:
			b.sb.WriteByte(' ')
		}
	}
	b.breaks, b.space = 0, false
	if len(b.pendingIDs) > 0 {
		for _, id := range b.pendingIDs {
			b.anchors[id] = b.sb.Len()
		}
		b.pendingIDs = b.pendingIDs[:0]
	}
	if b.headOpen && b.headStart < 0 {
		b.headStart = b.sb.Len()
	}
}

// checkLimit records ErrTooLarge once the text outgrows the limit.
func (b *builder) checkLimit() {
	if b.err == nil && int64(b.sb.Len()) > b.limit {
		b.err = fmt.Errorf("extracted text exceeds %s: %w", formatBytes(b.limit), ErrTooLarge)
	}
}

// atLineStart reports whether nothing visible has been written on the current line.
func (b *builder) atLineStart() bool {
	n := b.sb.Len()
	return n == 0 || b.breaks > 0 || b.sb.String()[n-1] == '\n'
}

// newline ends the current line.
func (b *builder) newline() {
	if b.sb.Len() > 0 && b.breaks < 1 {
		b.breaks = 1
	}
	b.space = false
}

// paragraph ends the current paragraph: the next text starts after one blank line.
func (b *builder) paragraph() {
	if b.sb.Len() > 0 {
		b.breaks = 2
	}
	b.space = false
}

// addSpace owes a space before the next word, unless at the start of a line.
func (b *builder) addSpace() {
	if !b.atLineStart() {
		b.space = true
	}
}

// inline writes flowing text, as in HTML: runs of whitespace, newlines included, become one
// space, and whitespace at line starts disappears.
func (b *builder) inline(s string) {
	if b.err != nil {
		return
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x21 && c < 0x7f {
			// Copy a run of printable ASCII at once: the common case.
			j := i + 1
			for j < len(s) && s[j] >= 0x21 && s[j] < 0x7f {
				j++
			}
			b.flush()
			b.sb.WriteString(s[i:j])
			i = j
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case isSpace(r):
			b.addSpace()
		case dropRune(r):
		default:
			b.flush()
			b.sb.WriteRune(r)
		}
	}
	b.checkLimit()
}

// verbatim writes text keeping its spaces, as in <pre> or a plain-text line: a newline in s
// ends the line, other whitespace is kept as written.
func (b *builder) verbatim(s string) {
	if b.err != nil {
		return
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < 0x7f {
			j := i + 1
			for j < len(s) && s[j] >= 0x20 && s[j] < 0x7f {
				j++
			}
			b.flush()
			b.sb.WriteString(s[i:j])
			i = j
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == '\n':
			b.newline()
		case r == '\t':
			b.flush()
			b.sb.WriteByte('\t')
		case dropRune(r):
		default:
			b.flush()
			b.sb.WriteRune(r)
		}
	}
	b.checkLimit()
}

// line writes one line of plain text: trailing whitespace goes, a blank line ends the
// paragraph, and anything else keeps its indentation and ends with a line break.
func (b *builder) line(s string) {
	s = strings.TrimRightFunc(s, isSpace)
	if strings.TrimLeftFunc(s, isSpace) == "" {
		b.paragraph()
		return
	}
	b.verbatim(s)
	b.newline()
}

// beginHeading starts a heading of the given level (1 for the most important); its text
// is what is written until endHeading.
func (b *builder) beginHeading(level int) {
	b.endHeading()
	b.paragraph()
	b.headOpen, b.headStart, b.headLevel = true, -1, level
}

// endHeading closes the open heading, recording it as a mark unless it was empty.
func (b *builder) endHeading() {
	if !b.headOpen {
		return
	}
	b.headOpen = false
	if b.headStart >= 0 && b.err == nil {
		if title := cleanTitle(b.sb.String()[b.headStart:]); title != "" {
			b.marks = append(b.marks, mark{off: b.headStart, level: b.headLevel, title: title})
		}
	}
	b.paragraph()
}

// anchor records that key names the position of the next visible character, for tables of
// contents that point into the text (EPUB nav "chapter.xhtml#id").
func (b *builder) anchor(key string) {
	if b.anchors == nil {
		b.anchors = make(map[string]int)
	}
	b.pendingIDs = append(b.pendingIDs, key)
}

// finishAnchors settles anchors with no text after them at the end of the text.
func (b *builder) finishAnchors() {
	for _, id := range b.pendingIDs {
		b.anchors[id] = b.sb.Len()
	}
	b.pendingIDs = b.pendingIDs[:0]
}

// lastRune returns the last character written, or 0.
func (b *builder) lastRune() rune {
	r, _ := utf8.DecodeLastRuneInString(b.sb.String())
	if r == utf8.RuneError {
		return 0
	}
	return r
}

// cleanTitle collapses a heading's whitespace, bounded to maxTitleBytes.
func cleanTitle(s string) string {
	if len(s) > maxTitleBytes {
		s = s[:maxTitleBytes]
		for len(s) > 0 && !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	s = strings.Map(func(r rune) rune {
		if dropRune(r) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// isSpace reports whitespace, including the no-break space that HTML uses for layout.
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\u00a0' || r == '\u2007' || r == '\u202f'
}

// dropRune reports characters that are not text: C0 and C1 controls other than tab and
// newline, DEL, and byte-order marks inside the text.
func dropRune(r rune) bool {
	switch {
	case r == '\n', r == '\t':
		return false
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0, r == '\ufeff':
		return true
	}
	return false
}

// formatBytes renders a size for error messages: "256 MiB".
func formatBytes(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
