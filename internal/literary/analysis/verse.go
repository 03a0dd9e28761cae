package analysis

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// versePars marks the paragraphs set as verse: three lines or more, each
// but the last well short of the width the book's prose is wrapped to. A
// name in a recited poem ("You are old, Father William") is the poem's, not
// a character of the story.
func (d *doc) versePars() []bool {
	lines := make([][]int, len(d.paras))
	var widths []int
	for i, p := range d.paras {
		ls := strings.Split(d.text[p.s:p.e], "\n")
		for _, l := range ls[:len(ls)-1] {
			lines[i] = append(lines[i], utf8.RuneCountInString(strings.TrimSpace(l)))
		}
		if len(ls) >= 3 {
			widths = append(widths, lines[i]...)
		}
	}
	verse := make([]bool, len(d.paras))
	if len(widths) == 0 {
		return verse
	}
	sort.Ints(widths)
	// Prose lines run to the wrap width, so the upper quartile of line
	// lengths gives it even where verse abounds.
	short := widths[len(widths)*3/4] * 3 / 4
	for i, ls := range lines {
		if len(ls) < 2 {
			continue
		}
		verse[i] = true
		for _, n := range ls {
			if n >= short {
				verse[i] = false
				break
			}
		}
	}
	return verse
}
