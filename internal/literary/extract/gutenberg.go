package extract

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Project Gutenberg marks the start and end of a book's text with lines that have changed
// over the decades:
//
//	*** START OF THIS PROJECT GUTENBERG EBOOK PRIDE AND PREJUDICE ***
//	***START OF THE PROJECT GUTENBERG EBOOK, ALICE***
//	*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*   (end of 1990s headers)
//	*** END OF THE PROJECT GUTENBERG EBOOK PRIDE AND PREJUDICE ***
//	End of the Project Gutenberg EBook of A Christmas Carol, by Charles Dickens
//	End of Project Gutenberg's Alice's Adventures in Wonderland, by Lewis Carroll
var (
	gutenbergStart = regexp.MustCompile(`(?i)^[*\s]*(?:START\s+OF\s+(?:THE\s+|THIS\s+)?PROJECT\s+GUTENBERG|END\*?\s*THE\s+SMALL\s+PRINT)`)
	gutenbergEnd   = regexp.MustCompile(`(?i)^[*\s]*END\s+OF\s+(?:THE\s+|THIS\s+)?PROJECT\s+GUTENBERG`)
	gutenbergField = regexp.MustCompile(`^(Title|Author|Authors)\s*:\s*(.*)$`)
	gutenbergFirst = regexp.MustCompile(`(?i)^\W*The\s+Project\s+Gutenberg\s+(?:e-?book|e-?text)\s+of\s+(.+?)(?:,\s+by\s+(.+?))?\s*$`)
	// Producer credits directly after the start marker are not part of the book.
	gutenbergCredits = regexp.MustCompile(`(?i)^(?:produced\s+by|this\s+e-?(?:text|book)\s+was\s+(?:produced|prepared|created)|e-?text\s+prepared\s+by|e-?book\s+prepared\s+by|transcribed\s+(?:from|by)|prepared\s+by|created\s+by|scanned\s+by)\b`)
)

// maxMarkerLine bounds the lines examined as markers; real ones are well under it.
const maxMarkerLine = 300

// gutenbergInfo is where a Project Gutenberg book's own text lies within the extracted
// text, and what its header says.
type gutenbergInfo struct {
	found         bool
	start, end    int // byte range of the book's text
	title, author string
}

// findGutenberg looks for Project Gutenberg's start and end markers. The book is what lies
// between the last start marker before the first end marker (old files have both a
// small-print end and a START line) and the first end marker after it (the "End of the
// Project Gutenberg EBook" line precedes the "*** END OF" line, and the licence follows).
// The header before the start marker supplies the title and author.
func findGutenberg(text string) gutenbergInfo {
	g := gutenbergInfo{start: 0, end: len(text)}
	startLine := -1
	for pos := 0; pos < len(text); {
		lineEnd := strings.IndexByte(text[pos:], '\n')
		next := len(text)
		if lineEnd < 0 {
			lineEnd = len(text)
		} else {
			lineEnd += pos
			next = lineEnd + 1
		}
		line := text[pos:lineEnd]
		if len(line) <= maxMarkerLine && mayBeMarker(line) {
			switch {
			case gutenbergEnd.MatchString(line):
				g.found = true
				g.end = pos
				if startLine >= 0 {
					g.title, g.author = gutenbergHeader(text[:startLine])
				}
				return g
			case gutenbergStart.MatchString(line):
				g.found = true
				startLine = pos
				g.start = next
			}
		}
		pos = next
	}
	if startLine >= 0 {
		g.title, g.author = gutenbergHeader(text[:startLine])
	}
	return g
}

// gutenbergHeader reads "Title:" and "Author:" fields, falling back to the "The Project
// Gutenberg EBook of X, by Y" opening line. A field may go on over indented lines: for a
// title those are the title's continuation when the line before plainly runs on ("The Life
// and Adventures of" / "Robinson Crusoe"), and otherwise a subtitle ("A Christmas Carol" /
// "A Ghost Story of Christmas"), which is left out because callers want the name a reader
// knows the book by; further author lines are further authors.
func gutenbergHeader(header string) (title, author string) {
	lines := strings.Split(header, "\n")
	for i := 0; i < len(lines); i++ {
		m := gutenbergField.FindStringSubmatch(strings.TrimSpace(lines[i]))
		if m == nil {
			continue
		}
		isTitle := m[1] == "Title"
		value := strings.TrimSpace(m[2])
		subtitle := false
		for i+1 < len(lines) && strings.HasPrefix(lines[i+1], " ") && strings.TrimSpace(lines[i+1]) != "" {
			i++
			more := strings.TrimSpace(lines[i])
			switch {
			case subtitle:
			case runsOn(value) || startsLower(more):
				value += " " + more
			case isTitle:
				subtitle = true
			default:
				value += ", " + more
			}
		}
		switch {
		case isTitle && title == "":
			title = cleanTitle(value)
		case !isTitle && author == "":
			author = cleanTitle(value)
		}
	}
	if title == "" {
		for _, l := range lines {
			if l = strings.TrimSpace(l); l == "" {
				continue
			}
			if m := gutenbergFirst.FindStringSubmatch(l); m != nil {
				title = cleanTitle(m[1])
				if author == "" {
					author = cleanTitle(m[2])
				}
			}
			break
		}
	}
	return title, author
}

// creditsLength returns the length of producer-credit paragraphs at the start of text
// ("Produced by Anonymous Volunteers"), including the blank line after them.
func creditsLength(text string) int {
	n := 0
	for range 3 {
		rest := strings.TrimLeft(text[n:], " \t\n")
		if !gutenbergCredits.MatchString(rest[:min(len(rest), 200)]) {
			break
		}
		skip := len(text[n:]) - len(rest)
		end := strings.Index(rest, "\n\n")
		if end < 0 {
			break // credits running to the end would be the whole book: keep it
		}
		n += skip + end + 2
	}
	return n
}

// mayBeMarker cheaply screens lines before the marker expressions run: markers mention
// "Gutenberg" or "small print" in capitals or not.
func mayBeMarker(line string) bool {
	return strings.Contains(line, "utenberg") || strings.Contains(line, "UTENBERG") ||
		strings.Contains(line, "mall print") || strings.Contains(line, "MALL PRINT")
}

// runsOn reports a header line that plainly continues on the next: it ends in a comma,
// colon, dash or ampersand, or in a word such as "of" or "and".
func runsOn(line string) bool {
	line = strings.TrimSpace(line)
	if line == "" {
		return false
	}
	if strings.ContainsAny(line[len(line)-1:], ",;:-&") || strings.HasSuffix(line, "—") {
		return true
	}
	words := strings.Fields(line)
	return smallWords[strings.ToLower(words[len(words)-1])]
}

// startsLower reports a line starting with a lower-case letter.
func startsLower(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsLower(r)
}
