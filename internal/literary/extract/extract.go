// Package extract turns the bytes of an uploaded book into clean UTF-8 text with chapter
// boundaries.
//
// It understands plain text (in UTF-8, UTF-16 or Windows-1252), Markdown, HTML, EPUB, DOCX
// and PDF. Every container is read with explicit limits, because uploads are untrusted: a
// zip bomb, a PDF that loops, or a gigabyte of one line must cost a bounded amount of
// memory and end in an error, never in a crash. Project Gutenberg boilerplate is removed,
// since the licence text would otherwise be analysed as if it were part of the novel.
//
// The result is a Book: the text, its title and author where the document says them, and
// chapters as rune offsets into the text, so that callers slicing []rune(Text) or counting
// characters in any language get the same positions.
package extract

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Format names a document format by its media type.
type Format string

// The formats Extract understands.
const (
	FormatPlain    Format = "text/plain"
	FormatMarkdown Format = "text/markdown"
	FormatHTML     Format = "text/html"
	FormatEPUB     Format = "application/epub+zip"
	FormatPDF      Format = "application/pdf"
	FormatDOCX     Format = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
)

// Default limits, used for any Limits field left at zero (or set negative).
const (
	DefaultMaxText      int64   = 64 << 20
	DefaultMaxUnzipped  int64   = 256 << 20
	DefaultMaxEntries   int     = 10000
	DefaultMaxRatio     float64 = 200
	DefaultMaxBookRatio float64 = 20
)

// Limits bounds the work Extract may do on one document. The zero value means the defaults.
type Limits struct {
	// MaxText is the most bytes of extracted UTF-8 text; a longer book fails with
	// ErrTooLarge. Default 64 MiB.
	MaxText int64
	// MaxUnzipped is the most bytes Extract decompresses in total from a zip container
	// (EPUB, DOCX), counted as they are read rather than taken from the archive's own
	// claims. Default 256 MiB.
	MaxUnzipped int64
	// MaxEntries is the most entries a zip container may list. Default 10000.
	MaxEntries int
	// MaxRatio is the most an entry of a zip container may expand relative to its
	// compressed size. Default 200; genuine text rarely compresses better than 20:1.
	MaxRatio float64
	// MaxBookRatio is the most an EPUB's spine documents may expand together relative to
	// their compressed size, checked from the archive's declared sizes before any is
	// inflated. Default 20: a book's XHTML compresses about 3 to 5 times, and entries
	// each under MaxRatio (or under the size it starts at) must not add up to a bomb.
	MaxBookRatio float64
}

// withDefaults fills unset limits with the defaults.
func (l Limits) withDefaults() Limits {
	if l.MaxText <= 0 {
		l.MaxText = DefaultMaxText
	}
	if l.MaxUnzipped <= 0 {
		l.MaxUnzipped = DefaultMaxUnzipped
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = DefaultMaxEntries
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = DefaultMaxRatio
	}
	if l.MaxBookRatio <= 0 {
		l.MaxBookRatio = DefaultMaxBookRatio
	}
	return l
}

// Chapter is one chapter of a Book. Offset and Length count runes (Unicode code points) of
// Book.Text, not bytes: the chapter's text is []rune(book.Text)[Offset : Offset+Length].
// A chapter starts at its heading (or, for an EPUB table-of-contents entry, where the entry
// points) and runs to the next chapter or the end of the book.
type Chapter struct {
	Title  string
	Offset int
	Length int
}

// Book is the extracted content of one document.
type Book struct {
	// Text is the book's text: UTF-8, LF line ends, paragraphs separated by one blank
	// line, no control characters other than tab and newline, no leading or trailing
	// whitespace. Plain text and Markdown keep their own line breaks within paragraphs;
	// HTML, EPUB and DOCX paragraphs are one line each; PDF keeps the page's lines.
	Text string
	// Title and Author come from the document's metadata (OPF, DOCX core properties, PDF
	// info, HTML head, Markdown front matter) or a Project Gutenberg header; either may be
	// empty.
	Title  string
	Author string
	// Chapters are in text order and do not overlap. Text before the first chapter
	// (front matter) belongs to none. Nil when no chapter structure was found.
	Chapters []Chapter
	// Encoding is the character encoding the text was decoded from, such as "utf-8",
	// "utf-16le" or "windows-1252". For PDF it is "pdf", since a PDF's text is decoded
	// font by font.
	Encoding string
	// Gutenberg reports that Project Gutenberg header or licence text was found and
	// removed.
	Gutenberg bool
}

// Sentinel errors. Extract wraps them with the reason, so test them with errors.Is.
var (
	// ErrCorrupt means the document is malformed or truncated.
	ErrCorrupt = errors.New("corrupt document")
	// ErrTooLarge means the document exceeds a limit in Limits.
	ErrTooLarge = errors.New("document too large")
	// ErrUnsupported means the format is unknown, or the document uses a feature this
	// package cannot read, such as a password-protected PDF.
	ErrUnsupported = errors.New("unsupported document")
	// ErrEmpty means the document holds no text.
	ErrEmpty = errors.New("empty document")
)

// Extract reads a document of the given format and returns its text and chapters. An empty
// format means Sniff it first. It returns an error wrapping ErrCorrupt, ErrTooLarge,
// ErrUnsupported or ErrEmpty, or the context's error if ctx ends first; it does not panic on
// any input. Extract does not retain data.
//
// Chapters come from the document's own structure where it has one (an EPUB's table of
// contents or its documents' first headings; h1–h3, Markdown headings, Word heading
// styles), and otherwise from heading lines such as "CHAPTER XII", "STAVE ONE" or "I. A
// SCANDAL IN BOHEMIA"; a table of contents listing them is recognised and skipped.
//
// A PDF page the parser cannot read is skipped rather than failing the book, unless more
// than a tenth of the pages are unreadable. A PDF encrypted with an empty user password
// (restricting only printing or copying) is read; one that needs a password is
// ErrUnsupported.
func Extract(ctx context.Context, data []byte, format Format, lim Limits) (*Book, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	lim = lim.withDefaults()
	if len(data) == 0 {
		return nil, fmt.Errorf("no bytes: %w", ErrEmpty)
	}
	if format == "" {
		format = Sniff(data)
		if format == "" {
			return nil, fmt.Errorf("content is not a known document format: %w", ErrUnsupported)
		}
	}
	var (
		d   *doc
		err error
	)
	switch format {
	case FormatPlain:
		d, err = extractPlain(data, lim)
	case FormatMarkdown:
		d, err = extractMarkdown(data, lim)
	case FormatHTML:
		d, err = extractHTMLDocument(ctx, data, lim)
	case FormatEPUB:
		d, err = extractEPUB(ctx, data, lim)
	case FormatDOCX:
		d, err = extractDOCX(ctx, data, lim)
	case FormatPDF:
		d, err = extractPDF(ctx, data, lim)
	default:
		return nil, fmt.Errorf("format %q: %w", format, ErrUnsupported)
	}
	if err != nil {
		return nil, err
	}
	return d.finish(format.name())
}

// name is the short name of a format used to prefix error reasons: "epub", "pdf".
func (f Format) name() string {
	switch f {
	case FormatPlain:
		return "text"
	case FormatMarkdown:
		return "markdown"
	case FormatHTML:
		return "html"
	case FormatEPUB:
		return "epub"
	case FormatPDF:
		return "pdf"
	case FormatDOCX:
		return "docx"
	}
	return string(f)
}

// doc is what a format's extractor hands to the common finishing steps: the text with
// heading marks in byte offsets, and whatever metadata the format carries.
type doc struct {
	b        *builder
	title    string
	author   string
	encoding string
	// explicit chapters come from the document's own table of contents (EPUB nav or
	// NCX); when there are at least two they are used as they are.
	explicit []mark
	// noBareArabic stops bare arabic numbers from counting as chapter headings, for
	// formats (PDF) where such lines are page numbers.
	noBareArabic bool
}

// finish strips Project Gutenberg boilerplate, chooses the chapters and converts offsets to
// runes. kind names the format in error messages.
func (d *doc) finish(kind string) (*Book, error) {
	if d.b.err != nil {
		return nil, fmt.Errorf("%s: %w", kind, d.b.err)
	}
	text := d.b.String()
	marks := d.b.marks
	explicit := d.explicit

	g := findGutenberg(text)
	title, author := d.title, d.author
	if g.found {
		// The header's own fields are more reliable than format metadata for Gutenberg
		// files: their HTML <title>, for instance, is "The Project Gutenberg eBook of ...".
		if g.title != "" {
			title = g.title
		}
		if g.author != "" {
			author = g.author
		}
		text, marks, explicit = cut(text, g.start, g.end, marks, explicit)
		if n := creditsLength(text); n > 0 {
			text, marks, explicit = cut(text, n, len(text), marks, explicit)
		}
	}
	start, end := trimSpaceBounds(text)
	text, marks, explicit = cut(text, start, end, marks, explicit)
	if text == "" {
		return nil, fmt.Errorf("%s: no text: %w", kind, ErrEmpty)
	}
	if title == "" && author == "" {
		title, author = titlePage(text)
	}

	chosen := explicit
	if len(chosen) < 2 {
		chosen = chooseHeadings(marks)
	}
	if len(chosen) < 2 {
		chosen = detectChapters(text, !d.noBareArabic)
	}
	return &Book{
		Text:      text,
		Title:     title,
		Author:    author,
		Chapters:  toChapters(text, chosen),
		Encoding:  d.encoding,
		Gutenberg: g.found,
	}, nil
}

// cut keeps text[start:end] and moves the marks with it, dropping those outside.
func cut(text string, start, end int, marks, explicit []mark) (string, []mark, []mark) {
	if start == 0 && end == len(text) {
		return text, marks, explicit
	}
	return text[start:end], shiftMarks(marks, start, end), shiftMarks(explicit, start, end)
}

// shiftMarks returns the marks inside [start, end), re-based to start.
func shiftMarks(marks []mark, start, end int) []mark {
	var out []mark
	for _, m := range marks {
		if m.off >= start && m.off < end {
			m.off -= start
			out = append(out, m)
		}
	}
	return out
}

// trimSpaceBounds returns the byte range of text without leading and trailing whitespace.
func trimSpaceBounds(text string) (int, int) {
	start := len(text) - len(strings.TrimLeftFunc(text, isSpace))
	end := len(strings.TrimRightFunc(text, isSpace))
	if end < start {
		end = start
	}
	return start, end
}

// titlePageBy matches the author line of a title page: "by Lewis Carroll".
var titlePageBy = regexp.MustCompile(`^(?:[Bb]y|BY)\s+(\p{Lu}[^\n]{1,80})$`)

// titlePage reads the title and author from a title page at the start of the text, as a
// one-line paragraph followed by a "by Author" paragraph, for books without metadata:
// "Alice's Adventures in Wonderland" / "by Lewis Carroll".
func titlePage(text string) (title, author string) {
	paras := strings.SplitN(text[:min(len(text), 2048)], "\n\n", 9)
	for i := 1; i < len(paras) && i < 8; i++ {
		m := titlePageBy.FindStringSubmatch(strings.TrimSpace(paras[i]))
		if m == nil {
			continue
		}
		prev := strings.TrimSpace(paras[i-1])
		if prev == "" || strings.Contains(prev, "\n") || len(prev) > 150 || strings.HasPrefix(prev, "[") || !hasLetter(prev) {
			return "", ""
		}
		return cleanTitle(prev), cleanTitle(m[1])
	}
	return "", ""
}
