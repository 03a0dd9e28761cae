package extract

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzLimits keep each fuzz input cheap: fuzzing hunts panics and hangs, not capacity.
var fuzzLimits = Limits{MaxText: 1 << 20, MaxUnzipped: 8 << 20, MaxEntries: 1000}

var fuzzFormats = []Format{FormatPlain, FormatMarkdown, FormatHTML, FormatEPUB, FormatDOCX, FormatPDF, ""}

// checkExtract runs Extract on fuzzed input: it must not panic, must fail only with a
// sentinel error, and on success must return clean text and chapters inside it.
func checkExtract(t *testing.T, data []byte, format Format) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	book, err := Extract(ctx, data, format, fuzzLimits)
	if err != nil {
		for _, sentinel := range []error{ErrCorrupt, ErrTooLarge, ErrUnsupported, ErrEmpty} {
			if errors.Is(err, sentinel) {
				return
			}
		}
		t.Fatalf("error wraps no sentinel: %v", err)
	}
	if !utf8.ValidString(book.Text) {
		t.Fatal("text is not valid UTF-8")
	}
	if strings.ContainsFunc(book.Text, dropRune) || strings.Contains(book.Text, "\r") {
		t.Fatalf("text holds control characters: %q", book.Text)
	}
	if strings.TrimSpace(book.Text) != book.Text {
		t.Fatalf("text has surrounding whitespace: %q", book.Text)
	}
	checkChapters(t, book)
}

func FuzzExtract(f *testing.F) {
	f.Add([]byte("CHAPTER I.\n\nIt was a dark night.\r\n\r\nCHAPTER II\n\nMore."), uint8(0))
	f.Add([]byte("# Title\n\nSome *text* with [a link](http://x) and `code`.\n\n## Two\n"), uint8(1))
	f.Add([]byte("<html><head><title>T</title></head><body><h2>One</h2><p>a&amp;b<br>c</p><pre> x </pre></body></html>"), uint8(2))
	f.Add(utf16Bytes("Chapter 1\n\ntext", false, true), uint8(0))
	f.Add([]byte("\x93quoted\x94 caf\xe9"), uint8(0))
	f.Add(buildEPUB(f, tocNav, ""), uint8(3))
	f.Add(buildDOCX(f, ""), uint8(4))
	f.Add(buildPDF(f, pdfSpec{pages: testPDFPages}), uint8(5))
	f.Fuzz(func(t *testing.T, data []byte, kind uint8) {
		checkExtract(t, data, fuzzFormats[int(kind)%len(fuzzFormats)])
	})
}

func FuzzExtractEPUB(f *testing.F) {
	f.Add(buildEPUB(f, tocNav, ""))
	f.Add(buildEPUB(f, tocNCX, ""))
	f.Add(buildEPUB(f, tocNone, "OEBPS/text/ch2.xhtml"))
	f.Fuzz(func(t *testing.T, data []byte) { checkExtract(t, data, FormatEPUB) })
}

func FuzzExtractDOCX(f *testing.F) {
	f.Add(buildDOCX(f, ""))
	f.Add(buildDOCX(f, `<w:document><w:body><w:p><w:r><w:t>x</w:t></w:r></w:p></w:body></w:document>`))
	f.Fuzz(func(t *testing.T, data []byte) { checkExtract(t, data, FormatDOCX) })
}

func FuzzExtractPDF(f *testing.F) {
	f.Add(buildPDF(f, pdfSpec{pages: testPDFPages}))
	f.Add(buildPDF(f, pdfSpec{pages: testPDFPages, compress: true}))
	f.Add(buildPDF(f, pdfSpec{pages: []string{"BT /F1 12 Tf 0 Tr 72 700 Td [(a) -900 (b)] TJ T* (c) ' 1 2 (d) \" ET q 1 0 0 1 5 5 cm Q"}}))
	f.Fuzz(func(t *testing.T, data []byte) { checkExtract(t, data, FormatPDF) })
}
