package extract

import (
	"fmt"
	"html"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	mdATX        = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	mdSetext1    = regexp.MustCompile(`^ {0,3}=+[ \t]*$`)
	mdSetext2    = regexp.MustCompile(`^ {0,3}-+[ \t]*$`)
	mdThematic   = regexp.MustCompile(`^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$`)
	mdFence      = regexp.MustCompile("^ {0,3}(`{3,}|~{3,})")
	mdRefDef     = regexp.MustCompile(`^ {0,3}\[[^\]]+\]:[ \t]*\S`)
	mdBullet     = regexp.MustCompile(`^[ \t]*[-*+][ \t]+`)
	mdQuote      = regexp.MustCompile(`^ {0,3}(?:>[ \t]?)+`)
	mdHTMLTag    = regexp.MustCompile(`^(?:<!--.*?-->|</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>)`)
	mdAutolink   = regexp.MustCompile(`^<([A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*|[^\s<>@]+@[^\s<>@]+)>`)
	mdFrontValue = regexp.MustCompile(`^(title|author|creator)[ \t]*:[ \t]*(.*)$`)
)

// Bounds on how far the inline scanner looks for a closing bracket, backtick or angle
// bracket. Without
// them, a line of a million "[" would cost a million scans of the rest of the line.
const (
	mdMaxLinkText = 1000
	mdMaxLinkDest = 2000
	mdMaxCodeSpan = 4096
)

// extractMarkdown reads a Markdown document, keeping its prose and dropping the markup:
// heading markers, emphasis, link destinations, images, raw HTML tags. Code blocks are
// kept as text. ATX and setext headings of levels 1–3 become chapter candidates, and YAML
// front matter supplies the title and author.
func extractMarkdown(data []byte, lim Limits) (*doc, error) {
	if err := checkTextInput("markdown", data, lim); err != nil {
		return nil, err
	}
	s, enc := decodeText(data)
	var lines []string
	forEachLine(s, func(line string) bool {
		lines = append(lines, line)
		return true
	})
	d := &doc{b: newBuilder(lim.MaxText), encoding: enc}
	b := d.b
	b.grow(len(s))
	start := parseFrontMatter(lines, d)
	fence := ""
	for i := start; i < len(lines) && b.err == nil; i++ {
		line := lines[i]
		if fence != "" {
			if t := strings.TrimSpace(line); strings.HasPrefix(t, fence) && strings.Trim(t, fence[:1]) == "" {
				fence = ""
				b.paragraph()
				continue
			}
			b.line(line)
			continue
		}
		if m := mdFence.FindStringSubmatch(line); m != nil {
			fence = m[1]
			b.paragraph()
			continue
		}
		if strings.TrimSpace(line) == "" {
			b.paragraph()
			continue
		}
		if m := mdATX.FindStringSubmatch(line); m != nil {
			writeMarkdownHeading(b, len(m[1]), m[2])
			continue
		}
		if i+1 < len(lines) && !mdThematic.MatchString(line) && !mdBullet.MatchString(line) {
			next := lines[i+1]
			if mdSetext1.MatchString(next) {
				writeMarkdownHeading(b, 1, line)
				i++
				continue
			}
			if mdSetext2.MatchString(next) {
				writeMarkdownHeading(b, 2, line)
				i++
				continue
			}
		}
		if mdThematic.MatchString(line) {
			b.paragraph()
			continue
		}
		if mdRefDef.MatchString(line) {
			continue
		}
		line = mdQuote.ReplaceAllString(line, "")
		line = mdBullet.ReplaceAllString(line, "")
		line = strings.TrimSuffix(strings.TrimLeft(line, " \t"), "\\")
		b.line(markdownInline(line))
	}
	b.endHeading()
	if b.err != nil {
		return nil, fmt.Errorf("markdown: %w", b.err)
	}
	return d, nil
}

// writeMarkdownHeading writes a heading; levels past 3 are section titles too minor to be
// chapters, so they are plain paragraphs.
func writeMarkdownHeading(b *builder, level int, text string) {
	text = markdownInline(strings.TrimSpace(text))
	if level > 3 {
		b.paragraph()
		b.inline(text)
		b.paragraph()
		return
	}
	b.beginHeading(level)
	b.inline(text)
	b.endHeading()
}

// parseFrontMatter reads a leading YAML block ("---" ... "---") for the title and author and
// returns the index of the first line after it.
func parseFrontMatter(lines []string, d *doc) int {
	if len(lines) == 0 || strings.TrimSpace(strings.TrimPrefix(lines[0], "\ufeff")) != "---" {
		return 0
	}
	for i := 1; i < len(lines) && i < 200; i++ {
		t := strings.TrimSpace(lines[i])
		if t == "---" || t == "..." {
			for _, l := range lines[1:i] {
				m := mdFrontValue.FindStringSubmatch(strings.TrimSpace(l))
				if m == nil {
					continue
				}
				v := strings.Trim(strings.TrimSpace(m[2]), `"'`)
				switch {
				case m[1] == "title" && d.title == "":
					d.title = v
				case (m[1] == "author" || m[1] == "creator") && d.author == "":
					d.author = v
				}
			}
			return i + 1
		}
	}
	return 0
}

// markdownInline removes inline markup from one line: emphasis markers, code-span
// backticks, link and image syntax (keeping link text, dropping images), autolink brackets,
// raw HTML tags and backslash escapes; entities are decoded.
func markdownInline(s string) string {
	var out strings.Builder
	out.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '\\':
			if i+1 < len(s) && isASCIIPunct(s[i+1]) {
				out.WriteByte(s[i+1])
				i += 2
				continue
			}
		case '`':
			n := runLength(s, i, '`')
			if end := findCodeEnd(s, i+n, n); end >= 0 {
				out.WriteString(strings.TrimSpace(s[i+n : end]))
				i = end + n
				continue
			}
			out.WriteString(s[i : i+n])
			i += n
			continue
		case '!':
			if i+1 < len(s) && s[i+1] == '[' {
				if _, end, ok := parseLink(s, i+1); ok {
					i = end // images are not prose
					continue
				}
			}
		case '[':
			if text, end, ok := parseLink(s, i); ok {
				out.WriteString(markdownInline(text))
				i = end
				continue
			}
		case '<':
			window := s[i:min(len(s), i+mdMaxLinkDest)]
			if m := mdAutolink.FindStringSubmatch(window); m != nil {
				out.WriteString(m[1])
				i += len(m[0])
				continue
			}
			if m := mdHTMLTag.FindString(window); m != "" {
				i += len(m)
				continue
			}
		case '*', '_', '~':
			n := runLength(s, i, c)
			if emphasisMarker(s, i, n, c) {
				i += n
				continue
			}
			out.WriteString(s[i : i+n])
			i += n
			continue
		}
		out.WriteByte(c)
		i++
	}
	if strings.IndexByte(s, '&') < 0 {
		return out.String()
	}
	return html.UnescapeString(out.String())
}

// runLength counts the bytes equal to c from s[i].
func runLength(s string, i int, c byte) int {
	n := 0
	for i+n < len(s) && s[i+n] == c {
		n++
	}
	return n
}

// findCodeEnd finds a run of exactly n backticks closing a code span opened before from.
func findCodeEnd(s string, from, n int) int {
	limit := min(len(s), from+mdMaxCodeSpan)
	for j := from; j < limit; {
		if s[j] != '`' {
			j++
			continue
		}
		m := runLength(s, j, '`')
		if m == n {
			return j
		}
		j += m
	}
	return -1
}

// parseLink parses "[text](destination)", "[text][ref]" or "[text][]" at s[i] == '[' and
// returns the link text and the index after the link. A bracket followed by neither is
// prose ("[Illustration]") and is not a link.
func parseLink(s string, i int) (string, int, bool) {
	depth, j := 0, i
	limit := min(len(s), i+mdMaxLinkText)
	for ; j < limit; j++ {
		switch s[j] {
		case '\\':
			j++
		case '[':
			depth++
		case ']':
			depth--
		}
		if depth == 0 {
			break
		}
	}
	if j >= limit || depth != 0 || j+1 >= len(s) {
		return "", 0, false
	}
	text := s[i+1 : j]
	switch s[j+1] {
	case '(':
		parens, k := 0, j+1
		limit := min(len(s), j+1+mdMaxLinkDest)
		for ; k < limit; k++ {
			switch s[k] {
			case '\\':
				k++
			case '(':
				parens++
			case ')':
				parens--
			}
			if parens == 0 {
				return text, k + 1, true
			}
		}
	case '[':
		if k := strings.IndexByte(s[j+2:min(len(s), j+2+mdMaxLinkText)], ']'); k >= 0 {
			return text, j + 2 + k + 1, true
		}
	}
	return "", 0, false
}

// emphasisMarker decides whether the run of n markers c at s[i] is emphasis to drop, by
// CommonMark's flanking rules: a marker touching a word on one side and space or
// punctuation on the other opens or closes emphasis. Underscores inside words
// (snake_case) and a lone "*" between spaces are literal; "~" counts only as "~~".
func emphasisMarker(s string, i, n int, c byte) bool {
	if c == '~' && n != 2 {
		return false
	}
	before, _ := utf8.DecodeLastRuneInString(s[:i])
	after, _ := utf8.DecodeRuneInString(s[i+n:])
	if i == 0 {
		before = ' '
	}
	if i+n >= len(s) {
		after = ' '
	}
	spaceBefore, spaceAfter := unicode.IsSpace(before), unicode.IsSpace(after)
	punctBefore, punctAfter := isPunctRune(before), isPunctRune(after)
	left := !spaceAfter && (!punctAfter || spaceBefore || punctBefore)
	right := !spaceBefore && (!punctBefore || spaceAfter || punctAfter)
	if c == '_' {
		return left && !isWordRune(before) || right && !isWordRune(after)
	}
	return left || right
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func isPunctRune(r rune) bool { return unicode.IsPunct(r) || unicode.IsSymbol(r) }

func isASCIIPunct(c byte) bool {
	return c >= '!' && c <= '/' || c >= ':' && c <= '@' || c >= '[' && c <= '`' || c >= '{' && c <= '~'
}
