package llm

import (
	"strings"
	"unicode"
)

// maxLabelLen bounds the label of an emotion tag, so that "[emotion: " followed by a long
// text is soon recognised as no tag and shown.
const maxLabelLen = 24

// tagFilter removes the emotion tags ("[emotion: joy]") a model was asked to end its reply
// with from the streamed text, and remembers the label of the last one.
//
// Since a tag may arrive split over several pieces ("...\n[emo", "tion: jo", "y]"), the
// filter holds back any suffix that could be the start of a tag until it is resolved: it
// is dropped if it completes a tag, and released if it turns out to be other text ("[he
// laughs]"). It also holds back trailing white space, which is dropped if a tag or the end
// of the reply follows it, and drops leading white space, so that the text streamed is
// exactly the trimmed reply without its tags.
type tagFilter struct {
	pending  string // received, not yet emitted: white space, then maybe a tag's start
	started  bool   // some text has been emitted
	afterTag bool   // a tag was just removed: the white space after it is dropped
	label    string // the label of the last complete tag, "" if none
	partial  string // the label of an unfinished tag at the end, if any
}

// write takes the next piece of the reply and returns the text that can be emitted now,
// possibly "".
func (f *tagFilter) write(s string) string {
	if f.afterTag {
		if s = strings.TrimLeftFunc(s, unicode.IsSpace); s == "" {
			return ""
		}
		f.afterTag = false
	}
	f.pending += s
	var out strings.Builder
	for {
		i := strings.IndexByte(f.pending, '[')
		if i < 0 {
			f.pending = f.emit(&out, f.pending)
			return out.String()
		}
		n, label := matchTag(f.pending[i:])
		switch {
		case n < 0: // not a tag: release it up to and including the bracket
			f.partial = ""
			f.emit(&out, f.pending[:i+1])
			f.pending = f.pending[i+1:]
		case n == 0: // maybe a tag: wait for more
			f.partial = label
			f.pending = f.emit(&out, f.pending[:i]) + f.pending[i:]
			return out.String()
		default: // a tag: remove it with the white space after it
			f.label = label
			f.partial = ""
			held := f.emit(&out, f.pending[:i])
			rest := strings.TrimLeftFunc(f.pending[i+n:], unicode.IsSpace)
			f.afterTag = rest == ""
			f.pending = held + rest
		}
	}
}

// emit writes text to out without its trailing white space, which it returns to be held
// back; before anything has been emitted, leading white space is dropped.
func (f *tagFilter) emit(out *strings.Builder, text string) (held string) {
	if !f.started {
		text = strings.TrimLeftFunc(text, unicode.IsSpace)
	}
	body := strings.TrimRightFunc(text, unicode.IsSpace)
	if body != "" {
		out.WriteString(body)
		f.started = true
	}
	return text[len(body):]
}

// emotion returns the label of the reply's tag: the last complete one, or an unfinished
// one at the very end (cut off by the token limit) if its label is complete enough to
// name an emotion. It reports false when there is none.
func (f *tagFilter) emotion() (string, bool) {
	for _, label := range []string{f.label, f.partial} {
		if label == "" {
			continue
		}
		if e, ok := NormalizeEmotion(label); ok {
			return e, true
		}
	}
	return "", false
}

// matchTag matches an emotion tag at the start of s, which starts with "[": "[emotion:
// <label>]", in any case, with optional spaces, and "=" allowed for ":". It returns the
// tag's length and label; 0 and the label so far when s could be the start of a tag; and
// -1 when s does not start with a tag.
func matchTag(s string) (n int, label string) {
	const keyword = "emotion"
	i := 1
	spaces := func() bool { // skips spaces; reports whether s goes on
		for i < len(s) && s[i] == ' ' {
			i++
		}
		return i < len(s)
	}
	if !spaces() {
		return 0, ""
	}
	for k := 0; k < len(keyword); k, i = k+1, i+1 {
		if i == len(s) {
			return 0, ""
		}
		if c := s[i] | 0x20; c != keyword[k] { // ASCII lower case
			return -1, ""
		}
	}
	if !spaces() {
		return 0, ""
	}
	if s[i] != ':' && s[i] != '=' {
		return -1, ""
	}
	i++
	if !spaces() {
		return 0, ""
	}
	start := i
	for i < len(s) && (s[i]|0x20 >= 'a' && s[i]|0x20 <= 'z') {
		i++
	}
	label = s[start:i]
	switch {
	case len(label) > maxLabelLen:
		return -1, ""
	case i == len(s):
		return 0, label
	case label == "":
		return -1, ""
	}
	if !spaces() {
		return 0, label
	}
	if s[i] != ']' {
		return -1, ""
	}
	return i + 1, label
}
