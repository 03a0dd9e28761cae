package documents

import (
	"errors"
	"fmt"
	"strings"

	"github.com/literaryai/ensemble/internal/errs"
	"github.com/literaryai/ensemble/internal/literary/extract"
)

// Chapter is a detected chapter: its title and where it lies in the text, in characters.
type Chapter struct {
	Title  string `json:"title"`
	Offset int    `json:"offset"`
	Length int    `json:"length"`
}

func chaptersOf(b *extract.Book) []Chapter {
	out := make([]Chapter, len(b.Chapters))
	for i, c := range b.Chapters {
		out[i] = Chapter{Title: clipRunes(c.Title, 500), Offset: c.Offset, Length: c.Length}
	}
	return out
}

// extractionError explains why no text could be read from an upload: a corrupt,
// unsupported or empty file is the client's, a decompression bomb is too large.
func extractionError(err error) error {
	reason := strings.TrimSpace(err.Error())
	switch {
	case errors.Is(err, extract.ErrTooLarge):
		return fmt.Errorf("file: %s: %w", strings.TrimSuffix(reason, ": "+extract.ErrTooLarge.Error()), errs.ErrTooLarge)
	case errors.Is(err, extract.ErrCorrupt), errors.Is(err, extract.ErrUnsupported), errors.Is(err, extract.ErrEmpty):
		return errs.Invalid("file", "no text could be read: %s", reason)
	}
	return fmt.Errorf("extract text: %w", err)
}

// clipRunes shortens s to at most n characters.
func clipRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
