package extract

import (
	"fmt"
	"strings"
)

// maxTextExpansion bounds how much smaller than its input a text document's output can
// plausibly be. It lets a text upload far beyond MaxText fail before it is decoded into
// memory; stripping controls, markup and blank lines never removes three quarters of a book.
const maxTextExpansion = 4

// checkTextInput rejects a text document too large to yield at most MaxText bytes.
func checkTextInput(kind string, data []byte, lim Limits) error {
	if int64(len(data)) > maxTextExpansion*lim.MaxText {
		return fmt.Errorf("%s: %s input cannot fit the text limit of %s: %w",
			kind, formatBytes(int64(len(data))), formatBytes(lim.MaxText), ErrTooLarge)
	}
	return nil
}

// extractPlain reads a plain-text document: its lines are kept as they are, minus trailing
// whitespace and runs of blank lines.
func extractPlain(data []byte, lim Limits) (*doc, error) {
	if err := checkTextInput("text", data, lim); err != nil {
		return nil, err
	}
	s, enc := decodeText(data)
	b := newBuilder(lim.MaxText)
	b.grow(len(s))
	forEachLine(s, func(line string) bool {
		b.line(line)
		return b.err == nil
	})
	if b.err != nil {
		return nil, fmt.Errorf("text: %w", b.err)
	}
	return &doc{b: b, encoding: enc}, nil
}

// forEachLine calls fn with each line of s, split at LF, CRLF or a lone CR (old Mac files),
// without the line end, until fn returns false.
func forEachLine(s string, fn func(string) bool) {
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			fn(s)
			return
		}
		if !fn(s[:i]) {
			return
		}
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
}
