package extract

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// utf16Bytes encodes s as UTF-16, optionally with a byte-order mark.
func utf16Bytes(s string, bigEndian, bom bool) []byte {
	units := utf16.Encode([]rune(s))
	if bom {
		units = append([]uint16{0xFEFF}, units...)
	}
	out := make([]byte, 0, 2*len(units))
	for _, u := range units {
		if bigEndian {
			out = append(out, byte(u>>8), byte(u))
		} else {
			out = append(out, byte(u), byte(u>>8))
		}
	}
	return out
}

func TestTextEncodings(t *testing.T) {
	const sample = "“Quoted” café — naïve\nSecond line"
	tests := []struct {
		name     string
		data     []byte
		want     string
		encoding string
	}{
		{"utf-8", []byte(sample), sample, "utf-8"},
		{"utf-8 with BOM and CRLF", append([]byte("\xEF\xBB\xBF"), strings.ReplaceAll(sample, "\n", "\r\n")...), sample, "utf-8"},
		{"old Mac CR line ends", []byte("one\rtwo\r\rthree"), "one\ntwo\n\nthree", "utf-8"},
		{"utf-16le BOM", utf16Bytes(sample, false, true), sample, "utf-16le"},
		{"utf-16be BOM", utf16Bytes(sample, true, true), sample, "utf-16be"},
		{"utf-16le without BOM", utf16Bytes(sample, false, false), sample, "utf-16le"},
		{"utf-16be without BOM", utf16Bytes(sample, true, false), sample, "utf-16be"},
		{"utf-16le CRLF", utf16Bytes("a\r\nb", false, true), "a\nb", "utf-16le"},
		{"windows-1252 curly quotes", []byte("\x93Hello,\x94 she said \x96 caf\xe9.\r\n"), "“Hello,” she said – café.", "windows-1252"},
		{"latin-1", []byte("Fran\xe7ois na\xefve \xc6sop"), "François naïve Æsop", "windows-1252"},
		{"damaged utf-8", []byte("caf\xc3\xa9 na\xc3\xafve \xff r\xc3\xa9sum\xc3\xa9"), "café naïve \uFFFD résumé", "utf-8"},
		{"controls stripped", []byte("a\x00b\x01c\td\x1be\x7ff\u0085g"), "abc\tdefg", "utf-8"},
		{"trailing spaces and blank runs", []byte("one   \n\n\n\n  two\t\n"), "one\n\n  two", "utf-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			book, err := Extract(context.Background(), tt.data, FormatPlain, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if book.Text != tt.want {
				t.Errorf("text %q, want %q", book.Text, tt.want)
			}
			if book.Encoding != tt.encoding {
				t.Errorf("encoding %q, want %q", book.Encoding, tt.encoding)
			}
		})
	}
}

func TestEmpty(t *testing.T) {
	for _, tc := range []struct {
		name   string
		data   []byte
		format Format
	}{
		{"no bytes", nil, ""},
		{"whitespace", []byte(" \n\t\r\n  "), ""},
		{"controls only", []byte("\x00\x01\x02\n"), FormatPlain},
		{"utf-16 BOM only", []byte{0xFF, 0xFE}, ""},
		{"empty html", []byte("<html><head><title>t</title><script>x()</script></head><body> </body></html>"), ""},
		{"markdown markup only", []byte("---\ntitle: x\n---\n\n![img](a.png)\n\n***\n"), FormatMarkdown},
		{"gutenberg shell", []byte("*** START OF THE PROJECT GUTENBERG EBOOK X ***\n\n*** END OF THE PROJECT GUTENBERG EBOOK X ***\nlicence"), ""},
		{"pdf without text", buildPDF(t, pdfSpec{pages: []string{"0 0 m 100 100 l S"}}), ""},
		{"epub of images", buildZip(t, []testEntry{
			{name: "mimetype", body: "application/epub+zip", store: true},
			{name: "META-INF/container.xml", body: `<container><rootfiles><rootfile full-path="c.opf"/></rootfiles></container>`},
			{name: "c.opf", body: `<package><manifest><item id="a" href="a.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="a"/></spine></package>`},
			{name: "a.xhtml", body: `<html><body><img src="cover.jpg" alt="Cover"/></body></html>`},
		}), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Extract(context.Background(), tc.data, tc.format, Limits{})
			if !errors.Is(err, ErrEmpty) {
				t.Fatalf("err = %v, want ErrEmpty", err)
			}
		})
	}
}

func TestEnormousLine(t *testing.T) {
	// 50 MB without a newline, under the 64 MiB default: linear time and memory.
	line := bytes.Repeat([]byte("word "), 10<<20)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	book, err := Extract(context.Background(), line, "", Limits{})
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(book.Text) != len(line)-1 || book.Chapters != nil {
		t.Errorf("text length %d, want %d; %d chapters", len(book.Text), len(line)-1, len(book.Chapters))
	}
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("50 MB line: %s, %d MiB allocated", elapsed, allocated>>20)
	if allocated > 8*uint64(len(line)) {
		t.Errorf("allocated %d MiB for a 50 MB line", allocated>>20)
	}

	_, err = Extract(context.Background(), line, FormatPlain, Limits{MaxText: 10 << 20})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("over MaxText: err = %v, want ErrTooLarge", err)
	}
	_, err = Extract(context.Background(), line, FormatHTML, Limits{MaxText: 10 << 20})
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("html over MaxText: err = %v, want ErrTooLarge", err)
	}
}

func TestMarkdown(t *testing.T) {
	src := `---
title: "A Small Book"
author: Ann Author
---

# A Small Book

## Chapter One

It was a **dark** and _stormy_ night, said [the narrator](https://example.com/n "N").
Some snake_case stays, and 2 * 3 stays too. ![a picture](pic.png)
See <https://example.com> and <span class="x">inline html</span> &amp; entities.

` + "```go\nfmt.Println(\"code kept\")\n```" + `

Chapter Two
-----------

> Quoted *text* here.

- a list item
- another \*escaped\*

[ref]: https://example.com/ref
`
	book, err := Extract(context.Background(), []byte(src), FormatMarkdown, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := `A Small Book

Chapter One

It was a dark and stormy night, said the narrator.
Some snake_case stays, and 2 * 3 stays too.
See https://example.com and inline html & entities.

fmt.Println("code kept")

Chapter Two

Quoted text here.

a list item
another *escaped*`
	if book.Text != want {
		t.Errorf("text:\n%s\nwant:\n%s", book.Text, want)
	}
	if book.Title != "A Small Book" || book.Author != "Ann Author" {
		t.Errorf("title, author = %q, %q", book.Title, book.Author)
	}
	checkChapterTitles(t, book, "Chapter One", "Chapter Two")
	checkChapters(t, book)
	checkChapterStarts(t, book)
}

func TestHTML(t *testing.T) {
	src := `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>The Web Book</title>
<meta name="author" content="Web Author">
<style>body { color: red }</style><script>var x = "<p>not text</p>";</script></head>
<body>
<nav><a href="#c1">Contents link</a></nav>
<h1>The Web Book</h1>
<h2 id="c1">Chapter I</h2>
<p>It was a   <em>dark</em>
night &mdash; &ldquo;very&rdquo; dark&nbsp;indeed.</p>
<p>Line one<br>line two</p>
<pre>  keep   this
  spacing</pre>
<h2>Chapter II</h2>
<div><p>Nested <b>block</b></p><ul><li>item one</li><li>item two</li></ul></div>
</body></html>`
	book, err := Extract(context.Background(), []byte(src), FormatHTML, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := `The Web Book

Chapter I

It was a dark night — “very” dark indeed.

Line one
line two

  keep   this
  spacing

Chapter II

Nested block

item one
item two`
	if book.Text != want {
		t.Errorf("text:\n%q\nwant:\n%q", book.Text, want)
	}
	if book.Title != "The Web Book" || book.Author != "Web Author" {
		t.Errorf("title, author = %q, %q", book.Title, book.Author)
	}
	checkChapterTitles(t, book, "Chapter I", "Chapter II")
	checkChapters(t, book)
	checkChapterStarts(t, book)
}

func TestHTMLMetaCharset(t *testing.T) {
	// "Привет, мир" in windows-1251, declared by <meta charset>.
	src := append([]byte(`<html><head><meta charset="windows-1251"></head><body><p>`),
		0xCF, 0xF0, 0xE8, 0xE2, 0xE5, 0xF2, ',', ' ', 0xEC, 0xE8, 0xF0)
	src = append(src, "</p></body></html>"...)
	book, err := Extract(context.Background(), src, FormatHTML, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if book.Text != "Привет, мир" || book.Encoding != "windows-1251" {
		t.Errorf("text %q encoding %q", book.Text, book.Encoding)
	}
	// Body content without <body> ends the head.
	book, err = Extract(context.Background(), []byte(`<html><head><title>T</title><p>Body text</p>`), FormatHTML, Limits{})
	if err != nil || book.Text != "Body text" || book.Title != "T" {
		t.Errorf("implicit body: %v %q %q", err, book.Text, book.Title)
	}
	// UTF-8 bytes win over a wrong declaration.
	book, err = Extract(context.Background(), []byte(`<meta charset="iso-8859-1"><p>café</p>`), FormatHTML, Limits{})
	if err != nil || book.Text != "café" {
		t.Errorf("utf-8 despite meta: %v %q", err, book.Text)
	}
}

func TestEPUB(t *testing.T) {
	for _, tc := range []struct {
		name   string
		toc    epubTOC
		titles []string
	}{
		{"nav", tocNav, []string{"1. The Storm Begins", "2. Morning", "3. The End"}},
		{"ncx", tocNCX, []string{"1. The Storm Begins", "2. Morning", "3. The End"}},
		{"headings", tocNone, []string{"Chapter One", "Chapter Two", "Chapter Three"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := buildEPUB(t, tc.toc, "")
			if got := Sniff(data); got != FormatEPUB {
				t.Fatalf("Sniff = %q", got)
			}
			book, err := Extract(context.Background(), data, FormatEPUB, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			want := `Chapter One

It was a “dark” and stormy night.

The rain fell
in torrents.

Chapter Two

Morning came & went.

Nobody noticed.

Chapter Three

The end was near.`
			if book.Text != want {
				t.Errorf("text:\n%q\nwant:\n%q", book.Text, want)
			}
			if book.Title != "The Storm" || book.Author != "Ann Author" {
				t.Errorf("title, author = %q, %q", book.Title, book.Author)
			}
			checkChapterTitles(t, book, tc.titles...)
			checkChapters(t, book)
			if tc.toc == tocNone {
				checkChapterStarts(t, book)
			}
		})
	}
}

func TestDOCX(t *testing.T) {
	data := buildDOCX(t, "")
	if got := Sniff(data); got != FormatDOCX {
		t.Fatalf("Sniff = %q", got)
	}
	book, err := Extract(context.Background(), data, FormatDOCX, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := `The Long Road

Chapter 1

Hello, world. Tabbed.
New line.

Kept text.

Boxed once.

Chapter 2

The road went on.

Cell text.`
	if book.Text != want {
		t.Errorf("text:\n%q\nwant:\n%q", book.Text, want)
	}
	if book.Title != "The Long Road" || book.Author != "Bea Writer" {
		t.Errorf("title, author = %q, %q", book.Title, book.Author)
	}
	checkChapterTitles(t, book, "Chapter 1", "Chapter 2")
	checkChapters(t, book)
	checkChapterStarts(t, book)
}

func TestPDF(t *testing.T) {
	want := `Chapter 1

It was a “dark” night.
The rain fell in torrents,
and the wind howled around the old house all night long.

A new paragraph starts here.
Same paragraph, next line.

Chapter 2

Morning came.
Nobody noticed.`
	for _, tc := range []struct {
		name string
		spec pdfSpec
	}{
		{"plain streams", pdfSpec{pages: testPDFPages}},
		{"flate streams", pdfSpec{pages: testPDFPages, compress: true}},
		{"pdf 2.0 header", pdfSpec{pages: testPDFPages, version: "2.0"}},
		{"rc4, empty user password", pdfSpec{pages: testPDFPages, compress: true, rc4: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := buildPDF(t, tc.spec)
			if got := Sniff(data); got != FormatPDF {
				t.Fatalf("Sniff = %q", got)
			}
			book, err := Extract(context.Background(), data, FormatPDF, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if book.Text != want {
				t.Errorf("text:\n%q\nwant:\n%q", book.Text, want)
			}
			if book.Title != "The Test Book" || book.Author != "Dee Writer" || book.Encoding != "pdf" {
				t.Errorf("title, author, encoding = %q, %q, %q", book.Title, book.Author, book.Encoding)
			}
			checkChapterTitles(t, book, "Chapter 1", "Chapter 2")
			checkChapters(t, book)
			checkChapterStarts(t, book)
		})
	}
	t.Run("junk around the file", func(t *testing.T) {
		data := append([]byte("junk before\n"), buildPDF(t, pdfSpec{pages: testPDFPages})...)
		data = append(data, "\ntrailing junk that is longer than a hundred bytes, which would hide the end marker from a strict reader...\n"...)
		book, err := Extract(context.Background(), data, "", Limits{})
		if err != nil || book.Text != want {
			t.Errorf("err %v, text %q", err, book.Text)
		}
	})
}

func TestPDFEncrypted(t *testing.T) {
	data := buildPDF(t, pdfSpec{
		pages:   testPDFPages,
		trailer: "/Encrypt << /Filter /Standard /V 2 /R 3 /Length 128 /P -3904 /O <" + strings.Repeat("ab", 32) + "> /U <" + strings.Repeat("cd", 32) + "> >> /ID [<0123456789abcdef0123456789abcdef> <0123456789abcdef0123456789abcdef>] ",
	})
	_, err := Extract(context.Background(), data, FormatPDF, Limits{})
	if !errors.Is(err, ErrUnsupported) {
		t.Fatalf("err = %v, want ErrUnsupported", err)
	}
}

func TestCorrupt(t *testing.T) {
	epub := buildEPUB(t, tocNav, "")
	docx := buildDOCX(t, "")
	pdfData := buildPDF(t, pdfSpec{pages: testPDFPages, compress: true})
	tests := []struct {
		name   string
		data   []byte
		format Format
		reason string
	}{
		{"truncated epub", epub[:len(epub)/2], FormatEPUB, "epub: not a readable zip"},
		{"epub spine item missing", buildEPUB(t, tocNav, "OEBPS/text/ch3.xhtml"), FormatEPUB, "epub: spine item OEBPS/text/ch3.xhtml missing"},
		{"epub without container", buildZip(t, []testEntry{{name: "mimetype", body: "application/epub+zip", store: true}}), FormatEPUB, "container.xml missing"},
		{"epub with broken opf", buildZip(t, []testEntry{
			{name: "mimetype", body: "application/epub+zip", store: true},
			{name: "META-INF/container.xml", body: `<container><rootfiles><rootfile full-path="c.opf"/></rootfiles></container>`},
			{name: "c.opf", body: `<package><manifest><item id="a" href="a.xhtml"`},
		}), FormatEPUB, "package document c.opf unreadable"},
		{"epub damaged entry", flipCompressed(t, epub, "OEBPS/text/ch1.xhtml"), FormatEPUB, "epub: reading OEBPS/text/ch1.xhtml"},
		{"truncated docx", docx[:len(docx)-200], FormatDOCX, "docx: not a readable zip"},
		{"docx without body", buildZip(t, []testEntry{{name: "word/styles.xml", body: "<w:styles/>"}}), FormatDOCX, "docx: word/document.xml missing"},
		{"docx malformed xml", buildDOCX(t, "<w:document><w:body><w:p><w:t>unclosed"), FormatDOCX, "not well-formed"},
		{"truncated pdf", pdfData[:len(pdfData)/2], FormatPDF, "truncated"},
		{"pdf bad xref", bytes.Replace(pdfData, []byte("startxref\n"), []byte("startxref\n9"), 1), FormatPDF, "pdf:"},
		{"pdf header only", []byte("%PDF-1.4\n%%EOF\n"), FormatPDF, "pdf:"},
		{"not a pdf", []byte("hello %%EOF"), FormatPDF, "no %PDF- header"},
		{"not a zip", []byte("plain words"), FormatEPUB, "epub: not a readable zip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Extract(context.Background(), tt.data, tt.format, Limits{})
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("err = %v, want ErrCorrupt", err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("err %q does not give the reason %q", err, tt.reason)
			}
		})
	}
}

// flipCompressed corrupts the compressed data of one archive entry.
func flipCompressed(t *testing.T, archive []byte, name string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == name {
			off, err := f.DataOffset()
			if err != nil {
				t.Fatal(err)
			}
			out := append([]byte(nil), archive...)
			for i := off; i < off+int64(f.CompressedSize64); i++ {
				out[i] ^= 0x5a
			}
			return out
		}
	}
	t.Fatalf("no entry %s", name)
	return nil
}

func TestZipBombs(t *testing.T) {
	epubHead := []testEntry{
		{name: "mimetype", body: "application/epub+zip"},
		{name: "META-INF/container.xml", body: `<container><rootfiles><rootfile full-path="c.opf"/></rootfiles></container>`},
		{name: "c.opf", body: `<package><manifest><item id="a" href="a.xhtml" media-type="application/xhtml+xml"/></manifest><spine><itemref idref="a"/></spine></package>`},
	}
	tests := []struct {
		name   string
		data   func(t *testing.T) []byte
		format Format
		lim    Limits
		reason string
	}{
		{"epub 1 GiB entry, ratio", func(t *testing.T) []byte { return buildBombZip(t, epubHead, "a.xhtml") },
			FormatEPUB, Limits{}, "a.xhtml expands more than 200 times"},
		{"epub 1 GiB entry, total", func(t *testing.T) []byte { return buildBombZip(t, epubHead, "a.xhtml") },
			FormatEPUB, Limits{MaxRatio: 1e6}, "epub: decompressed size exceeds 256 MiB"},
		{"docx 1 GiB document", func(t *testing.T) []byte { return buildBombZip(t, nil, "word/document.xml") },
			FormatDOCX, Limits{MaxRatio: 1e6}, "docx: decompressed size exceeds 256 MiB"},
		{"many entries", func(t *testing.T) []byte {
			entries := make([]testEntry, 20000)
			for i := range entries {
				entries[i] = testEntry{name: fmt.Sprintf("f%d", i), store: true}
			}
			entries[0] = testEntry{name: "mimetype", body: "application/epub+zip", store: true}
			return buildZip(t, entries)
		}, FormatEPUB, Limits{}, "20000 zip entries exceed the limit of 10000"},
		{"total over many entries", func(t *testing.T) []byte {
			// Ten honest 1 MiB chapters against a 4 MiB budget.
			body := "<p>" + strings.Repeat("All work and no play. ", 1<<20/22) + "</p>"
			entries := append([]testEntry(nil), epubHead[:2]...)
			manifest, spine := "", ""
			for i := range 10 {
				manifest += fmt.Sprintf(`<item id="i%d" href="%d.xhtml" media-type="application/xhtml+xml"/>`, i, i)
				spine += fmt.Sprintf(`<itemref idref="i%d"/>`, i)
				entries = append(entries, testEntry{name: fmt.Sprintf("%d.xhtml", i), body: body})
			}
			entries = append(entries, testEntry{name: "c.opf", body: "<package><manifest>" + manifest + "</manifest><spine>" + spine + "</spine></package>"})
			return buildZip(t, entries)
		}, FormatEPUB, Limits{MaxUnzipped: 4 << 20, MaxRatio: 1e6}, "epub: decompressed size exceeds 4 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := tt.data(t)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := Extract(context.Background(), data, tt.format, tt.lim)
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("err %q does not give the reason %q", err, tt.reason)
			}
			allocated := (after.TotalAlloc - before.TotalAlloc) >> 20
			t.Logf("%d KiB archive rejected in %s, %d MiB allocated: %v", len(data)>>10, elapsed, allocated, err)
			if allocated > 64 || elapsed > 10*time.Second {
				t.Errorf("rejecting cost %s and %d MiB", elapsed, allocated)
			}
		})
	}
}

// infiniteZeros is an endless reader, standing for an entry that inflates beyond what its
// header declares.
type infiniteZeros struct{}

func (infiniteZeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestZipEntryCountsWhatItReads(t *testing.T) {
	lim := Limits{}.withDefaults()
	for _, tc := range []struct {
		name                string
		remaining, perEntry int64
		reason              string
	}{
		{"total budget", 3 << 20, 1 << 40, "decompressed size exceeds 256 MiB"},
		{"ratio", 1 << 40, 2 << 20, "expands more than 200 times"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			z := &zipBox{kind: "epub", lim: lim}
			e := &zipEntry{z: z, name: "x.xhtml", rc: infiniteZeros{}, remaining: tc.remaining, perEntry: tc.perEntry}
			n, err := io.Copy(io.Discard, e)
			if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("err = %v", err)
			}
			if limit := min(tc.remaining, tc.perEntry); n > limit+1 {
				t.Errorf("read %d bytes past a limit of %d", n, limit)
			}
		})
	}
}

func TestSniff(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	garbage := make([]byte, 4096)
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	epub := buildEPUB(t, tocNav, "")
	tests := []struct {
		name string
		data []byte
		want Format
	}{
		{"pdf", buildPDF(t, pdfSpec{pages: testPDFPages}), FormatPDF},
		{"pdf named .txt is still pdf", []byte("%PDF-1.7\n1 0 obj\n"), FormatPDF},
		{"pdf after junk", append([]byte("junk\n"), buildPDF(t, pdfSpec{pages: testPDFPages})...), FormatPDF},
		{"text quoting a pdf header", []byte("A PDF file starts with %PDF-1.7 and ends otherwise.\n"), FormatPlain},
		{"epub", epub, FormatEPUB},
		{"truncated epub", epub[:len(epub)/2], FormatEPUB},
		{"docx", buildDOCX(t, ""), FormatDOCX},
		{"other zip", buildZip(t, []testEntry{{name: "a.txt", body: "hello"}}), ""},
		{"html doctype", []byte("<!DOCTYPE html>\n<p>hi</p>"), FormatHTML},
		{"html tag", []byte("  <html><body>hi</body></html>"), FormatHTML},
		{"xhtml", []byte(`<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><body/></html>`), FormatHTML},
		{"markdown", []byte("# Title\n\nSome [link](http://x.y) and **bold**.\n\n## Next\n"), FormatMarkdown},
		{"plain", []byte("CHAPTER I.\n\nIt was a dark and stormy night; the rain fell in torrents.\n"), FormatPlain},
		{"plain mentioning html", []byte("Write <html> at the top of the file.\n"), FormatPlain},
		{"utf-16 text", utf16Bytes("Just some text.\nMore.", false, false), FormatPlain},
		{"windows-1252 text", []byte("\x93Quoted\x94 caf\xe9"), FormatPlain},
		{"empty", nil, FormatPlain},
		{"binary garbage", garbage, ""},
		{"png", append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), garbage[:512]...), ""},
		{"gzip", append([]byte{0x1f, 0x8b, 0x08, 0x00}, garbage[:512]...), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Sniff(tt.data); got != tt.want {
				t.Errorf("Sniff = %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := Extract(context.Background(), garbage, "", Limits{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("Extract(garbage) err = %v, want ErrUnsupported", err)
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{
		"text/plain; charset=utf-8": FormatPlain,
		"text/x-markdown":           FormatMarkdown,
		"application/xhtml+xml":     FormatHTML,
		"application/epub+zip":      FormatEPUB,
		"application/pdf":           FormatPDF,
		string(FormatDOCX):          FormatDOCX,
		"image/png":                 "",
		"":                          "",
	} {
		if got := ParseFormat(in); got != want {
			t.Errorf("ParseFormat(%q) = %q, want %q", in, got, want)
		}
	}
	if _, err := Extract(context.Background(), []byte("x"), "image/png", Limits{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("unknown format: err = %v", err)
	}
}

func TestChapterDetection(t *testing.T) {
	para := strings.Repeat("Prose that runs on long enough to be a real paragraph of the book. ", 4) + "\n"
	tests := []struct {
		name   string
		text   string
		titles []string
	}{
		{"table of contents is skipped",
			"Contents\n\nChapter 1\nChapter 2\nChapter 3\n\nChapter 1\n\n" + para + "\nChapter 2\n\n" + para + "\nChapter 3\n\n" + para,
			[]string{"Chapter 1", "Chapter 2", "Chapter 3"}},
		{"chapter with title line",
			"CHAPTER I.\nThe Beginning\n\n" + para + "\nCHAPTER II.\nThe Middle\n\n" + para,
			[]string{"CHAPTER I. The Beginning", "CHAPTER II. The Middle"}},
		{"chapters win over books and parts",
			"BOOK ONE\n\nCHAPTER ONE\n\n" + para + "\nCHAPTER TWO\n\n" + para + "\nBOOK TWO\n\nCHAPTER THREE\n\n" + para,
			[]string{"CHAPTER ONE", "CHAPTER TWO", "CHAPTER THREE"}},
		{"parts when there are no chapters",
			"PART I\n\n" + para + "\nPART II\n\n" + para,
			[]string{"PART I", "PART II"}},
		{"spelled and ordinal numbers",
			"Chapter the First\n\n" + para + "\nChapter Twenty-One\n\n" + para,
			[]string{"Chapter the First", "Chapter Twenty-One"}},
		{"numbered titles over their parts",
			"I. THE FIRST TALE\n\nI.\n\n" + para + "\nII.\n\n" + para + "\nII. THE SECOND TALE\n\n" + para,
			[]string{"I. THE FIRST TALE", "II. THE SECOND TALE"}},
		{"bare numerals",
			"1\n\n" + para + "\n2\n\n" + para,
			[]string{"1", "2"}},
		{"prose mentioning chapters is not a heading",
			para + "\nChapter 12 was the best part of the book.\n\n" + para + "\nChapter 13 was longer still.\n\n" + para,
			nil},
		{"heading must follow a blank line",
			para + "CHAPTER I\n" + para + "CHAPTER II\n" + para,
			nil},
		{"adventures and staves",
			"ADVENTURE I. THE FIRST\n\n" + para + "\nSTAVE TWO\n\n" + para + "\nEPILOGUE\n\n" + para,
			[]string{"ADVENTURE I. THE FIRST", "STAVE TWO", "EPILOGUE"}},
		{"multibyte text before headings",
			"Ünïcödé prelude — “quoted” ☃\n\nChapter 1\n\n" + strings.Repeat("Ünïcödé ", 40) + "\n\nChapter 2\n\n" + strings.Repeat("日本語の文章。", 40),
			[]string{"Chapter 1", "Chapter 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			book, err := Extract(context.Background(), []byte(tt.text), FormatPlain, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			checkChapterTitles(t, book, tt.titles...)
			checkChapters(t, book)
			checkChapterStarts(t, book)
		})
	}
}

func TestGutenbergVariants(t *testing.T) {
	body := "CHAPTER I\n\n" + strings.Repeat("The story itself, which goes on for a while. ", 10) + "\n\nCHAPTER II\n\n" + strings.Repeat("More of the story. ", 20)
	tests := []struct {
		name, header, footer, title, author string
	}{
		{"modern",
			"The Project Gutenberg eBook of Middle Book\n\nTitle: Middle Book\n\nAuthor: A. Writer\n\n*** START OF THE PROJECT GUTENBERG EBOOK MIDDLE BOOK ***\n\nProduced by Volunteers\n\n\n",
			"\n\n*** END OF THE PROJECT GUTENBERG EBOOK MIDDLE BOOK ***\n\nSection 1. General Terms of Use and Redistributing Project Gutenberg-tm\n",
			"Middle Book", "A. Writer"},
		{"older, no space after stars",
			"The Project Gutenberg EBook of Old Book, by Some One\r\n\r\n***START OF THE PROJECT GUTENBERG EBOOK OLD BOOK***\r\n",
			"\r\nEnd of the Project Gutenberg EBook of Old Book, by Some One\r\n\r\n*** END OF THIS PROJECT GUTENBERG EBOOK OLD BOOK ***\r\nlicence\r\n",
			"Old Book", "Some One"},
		{"1990s small print",
			"Project Gutenberg Etext of Ancient Book\n\n**The Project Gutenberg Etext**\n*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*\n\n",
			"\n\nEnd of Project Gutenberg's Ancient Book\n",
			"", ""},
		{"title continued",
			"Title: The Life and Adventures of\n       Robinson Crusoe\n\nAuthor: Daniel Defoe\n\n*** START OF THIS PROJECT GUTENBERG EBOOK ROBINSON CRUSOE ***\n",
			"\n*** END OF THIS PROJECT GUTENBERG EBOOK ROBINSON CRUSOE ***\n",
			"The Life and Adventures of Robinson Crusoe", "Daniel Defoe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			book, err := Extract(context.Background(), []byte(tt.header+body+tt.footer), FormatPlain, Limits{})
			if err != nil {
				t.Fatal(err)
			}
			if !book.Gutenberg {
				t.Error("Gutenberg not detected")
			}
			if !strings.HasPrefix(book.Text, "CHAPTER I\n") || !strings.HasSuffix(book.Text, "More of the story.") {
				t.Errorf("text not stripped to the book: %q ... %q", head(book.Text, 60), tail(book.Text, 60))
			}
			if book.Title != tt.title || book.Author != tt.author {
				t.Errorf("title, author = %q, %q; want %q, %q", book.Title, book.Author, tt.title, tt.author)
			}
			checkChapterTitles(t, book, "CHAPTER I", "CHAPTER II")
		})
	}
}

// cancelAfter is a context whose Err reports cancellation from its nth call on, to cancel
// an extraction part-way through.
type cancelAfter struct {
	context.Context
	calls atomic.Int64
	n     int64
}

func (c *cancelAfter) Err() error {
	if c.calls.Add(1) >= c.n {
		return context.Canceled
	}
	return nil
}

func TestCancellation(t *testing.T) {
	pages := make([]string, 50)
	for i := range pages {
		pages[i] = testPDFPages[i%2]
	}
	for name, tc := range map[string]struct {
		data   []byte
		format Format
	}{
		"epub": {buildEPUB(t, tocNav, ""), FormatEPUB},
		"pdf":  {buildPDF(t, pdfSpec{pages: pages}), FormatPDF},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := &cancelAfter{Context: context.Background(), n: 3}
			_, err := Extract(ctx, tc.data, tc.format, Limits{})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			if ctx.calls.Load() > 3 {
				t.Errorf("went on after cancellation: %d checks", ctx.calls.Load())
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Extract(ctx, []byte("text"), FormatPlain, Limits{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before start: err = %v", err)
	}
}

// checkChapterTitles asserts the chapters' titles, in order.
func checkChapterTitles(t *testing.T, book *Book, titles ...string) {
	t.Helper()
	var got []string
	for _, c := range book.Chapters {
		got = append(got, c.Title)
	}
	if strings.Join(got, "|") != strings.Join(titles, "|") {
		t.Errorf("chapters %q, want %q", got, titles)
	}
	if !utf8.ValidString(book.Text) {
		t.Error("text is not valid UTF-8")
	}
}

func TestGutenbergHTML(t *testing.T) {
	prose := strings.Repeat("Words of the story itself. ", 12)
	src := `<!DOCTYPE html><html><head><title>The Project Gutenberg eBook of Short Book, by Ann Writer</title></head><body>
<section id="pg-header"><h2>The Project Gutenberg eBook of Short Book</h2>
<p><strong>Title</strong>: Short Book</p><p><strong>Author</strong>: Ann Writer</p>
<div id="pg-start-separator"><span>*** START OF THE PROJECT GUTENBERG EBOOK SHORT BOOK ***</span></div></section>
<h1>SHORT BOOK</h1>
<h2>CHAPTER I.</h2><p>` + prose + `</p>
<h2>CHAPTER II.</h2><p>` + prose + `</p>
<section id="pg-footer"><div id="pg-end-separator"><span>*** END OF THE PROJECT GUTENBERG EBOOK SHORT BOOK ***</span></div>
<h2>THE FULL PROJECT GUTENBERG LICENSE</h2><p>Licence text.</p></section>
</body></html>`
	book, err := Extract(context.Background(), []byte(src), "", Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if !book.Gutenberg || book.Title != "Short Book" || book.Author != "Ann Writer" {
		t.Errorf("gutenberg %v, title %q, author %q", book.Gutenberg, book.Title, book.Author)
	}
	if !strings.HasPrefix(book.Text, "SHORT BOOK\n\nCHAPTER I.") || strings.Contains(book.Text, "Project Gutenberg") || strings.Contains(book.Text, "LICENSE") {
		t.Errorf("text not stripped: %q", book.Text)
	}
	checkChapterTitles(t, book, "CHAPTER I.", "CHAPTER II.")
	checkChapters(t, book)
	checkChapterStarts(t, book)
}
