package extract

import (
	"archive/zip"
	"bytes"
	"io"
	"mime"
	"regexp"
	"strings"
	"unicode/utf8"
)

// sniffWindow is how much of a text document Sniff reads.
const sniffWindow = 64 << 10

var (
	sniffATX     = regexp.MustCompile(`(?m)^ {0,3}#{1,6}[ \t]+\S`)
	sniffLink    = regexp.MustCompile(`!?\[[^\]\n]{1,200}\]\([^)\s]{1,500}(?:\s+"[^"\n]*")?\)`)
	sniffFence   = regexp.MustCompile("(?m)^ {0,3}(?:```|~~~)")
	sniffStrong  = regexp.MustCompile(`\*\*[^*\s][^*\n]{0,200}\*\*`)
	sniffSetext  = regexp.MustCompile(`(?m)^[^\n]*\S[^\n]*\n {0,3}(?:=+|-+)[ \t]*$`)
	sniffBullet  = regexp.MustCompile(`(?m)^[ \t]*[-*+][ \t]+\S`)
	sniffHTMLTag = regexp.MustCompile(`(?i)<(?:html|body|head)[\s>]|<!doctype\s+html`)
)

// Sniff names the format of a document from its content, never its name: a "%PDF-" header
// is PDF;
// a zip archive is EPUB when its mimetype entry says so (or it has the EPUB container) and
// DOCX when it holds word/document.xml; text is HTML when it opens with markup and has an
// <html>, <head> or <body> tag or an HTML doctype, Markdown when it shows enough Markdown
// syntax (headings, links, fences, strong emphasis, setext underlines), and plain
// otherwise. Binary content that is none of these, and zip archives of other kinds, are "".
// Empty or whitespace-only input is FormatPlain, so that Extract reports it as ErrEmpty.
func Sniff(data []byte) Format {
	switch {
	case isPDF(data):
		return FormatPDF
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return sniffZip(data)
	}
	window := data[:min(len(data), sniffWindow)]
	if looksBinary(window) {
		return ""
	}
	var text string
	if bytes.HasPrefix(window, bomUTF16LE) || bytes.HasPrefix(window, bomUTF16BE) || utf16ByNULs(window) != "" {
		text, _ = decodeText(window)
	} else {
		text = validUTF8(trimPartialRune(bytes.TrimPrefix(window, bomUTF8)))
	}
	if strings.TrimSpace(text) == "" {
		return FormatPlain
	}
	if isHTML(text) {
		return FormatHTML
	}
	if isMarkdown(text) {
		return FormatMarkdown
	}
	return FormatPlain
}

// isPDF recognises a PDF by its header: at the start, or, as viewers allow, anywhere in the
// first KiB provided the file also ends like a PDF, so that a text merely quoting "%PDF-"
// near its start stays text.
func isPDF(data []byte) bool {
	i := bytes.Index(data[:min(len(data), 1024)], []byte("%PDF-"))
	switch {
	case i < 0:
		return false
	case len(bytes.TrimLeft(data[:i], " \t\r\n\ufeff")) == 0:
		return true
	}
	return bytes.Contains(data[max(0, len(data)-2048):], []byte("%%EOF"))
}

// ParseFormat maps a declared media type, with or without parameters, to a Format,
// accepting the usual aliases (text/x-markdown, application/xhtml+xml). It returns "" for
// media types Extract does not read.
func ParseFormat(mediaType string) Format {
	mt, _, err := mime.ParseMediaType(mediaType)
	if err != nil {
		return ""
	}
	switch mt {
	case string(FormatPlain):
		return FormatPlain
	case string(FormatMarkdown), "text/x-markdown":
		return FormatMarkdown
	case string(FormatHTML), "application/xhtml+xml":
		return FormatHTML
	case string(FormatEPUB):
		return FormatEPUB
	case string(FormatPDF), "application/x-pdf":
		return FormatPDF
	case string(FormatDOCX):
		return FormatDOCX
	}
	return ""
}

// sniffZip tells EPUB from DOCX by their marker entries. A damaged archive whose central
// directory cannot be read is judged by its first local headers, so that a truncated
// upload is still recognised and Extract can report it as corrupt rather than unknown.
func sniffZip(data []byte) Format {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		head := data[:min(len(data), 64<<10)]
		switch {
		case bytes.Contains(head[:min(len(head), 128)], []byte("mimetypeapplication/epub+zip")):
			return FormatEPUB
		case bytes.Contains(head, []byte("word/document.xml")):
			return FormatDOCX
		case bytes.Contains(head, []byte("META-INF/container.xml")):
			return FormatEPUB
		}
		return ""
	}
	var container, opf bool
	for _, f := range zr.File {
		switch f.Name {
		case "mimetype":
			if rc, err := f.Open(); err == nil {
				buf, _ := io.ReadAll(io.LimitReader(rc, 64))
				rc.Close()
				if strings.TrimSpace(string(buf)) == string(FormatEPUB) {
					return FormatEPUB
				}
			}
		case "word/document.xml":
			return FormatDOCX
		case "META-INF/container.xml":
			container = true
		}
		if strings.HasSuffix(strings.ToLower(f.Name), ".opf") {
			opf = true
		}
	}
	if container || opf {
		return FormatEPUB
	}
	return ""
}

// looksBinary reports content that is not text in any encoding decodeText accepts:
// control characters, NUL included, above 1% (whitespace and the form feed and escape
// found in old e-texts do not count), or bytes that Windows-1252 leaves undefined when the
// content is not UTF-8.
func looksBinary(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if bytes.HasPrefix(b, bomUTF16LE) || bytes.HasPrefix(b, bomUTF16BE) || utf16ByNULs(b) != "" {
		s, _ := decodeText(b)
		var bad, n int
		for _, r := range s {
			n++
			if r < 0x20 && r != '\n' && r != '\r' && r != '\t' && r != '\f' || r == utf8.RuneError {
				bad++
			}
		}
		return bad*100 > n
	}
	valid := utf8.Valid(trimPartialRune(b))
	var controls, undefined int
	for _, c := range b {
		switch {
		case c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != 0x1b, c == 0x7f:
			controls++
		case !valid && (c == 0x81 || c == 0x8d || c == 0x8f || c == 0x90 || c == 0x9d):
			undefined++
		}
	}
	return controls*100 > len(b) || undefined*100 > len(b)
}

// isHTML reports text that opens with markup and carries an HTML document tag.
func isHTML(s string) bool {
	t := strings.TrimLeft(s, " \t\r\n\ufeff")
	if !strings.HasPrefix(t, "<") {
		return false
	}
	return sniffHTMLTag.MatchString(t[:min(len(t), 4096)])
}

// isMarkdown scores Markdown syntax. Novels in plain text have none of it, except perhaps
// a stray bullet or underline, so a few distinct signals (or many of one kind) are needed.
func isMarkdown(s string) bool {
	score := 0
	count := func(re *regexp.Regexp, weight, cap int) {
		n := len(re.FindAllStringIndex(s, cap))
		score += min(n, cap) * weight
	}
	count(sniffATX, 3, 4)
	count(sniffLink, 3, 4)
	count(sniffFence, 2, 4)
	count(sniffStrong, 2, 4)
	count(sniffSetext, 2, 2)
	count(sniffBullet, 1, 3)
	return score >= 6
}

// trimPartialRune drops a UTF-8 sequence cut off at the end of a window.
func trimPartialRune(b []byte) []byte {
	for i := len(b) - 1; i >= 0 && i >= len(b)-utf8.UTFMax; i-- {
		if utf8.RuneStart(b[i]) {
			if !utf8.FullRune(b[i:]) {
				return b[:i]
			}
			break
		}
	}
	return b
}
