package casting

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/literaryai/ensemble/internal/literary/analysis"
)

// minConfidence is the weakest attribution trusted for what a character says: below it
// (turn-taking and context guesses) a line is as likely another's, and a misattributed
// line would become someone else's voice and memory.
const minConfidence = 0.75

// book is the evidence profiles are drawn from: the text (the analysis's spans count
// runes), the analysis, and indexes over both.
type book struct {
	title    string
	text     []rune
	res      *analysis.Result
	cast     map[int]analysis.Character
	paras    []analysis.Span // paragraphs, in order
	mentions []mention       // every mention of a cast member found, in text order
	places   []mention       // narration naming where things happen ("at Netherfield"), in text order
	said     []utterance     // confident lines of cast members, tag-split pieces joined, in text order
	quoteAt  []analysis.Span // every quotation, in text order, to tell narration from speech
	forms    map[int][]string
	wants    []sentence          // narration saying someone wants something, found on first use
	speech   map[int]speechStats // each speaker's lines, read on first use
	allWords map[string]int      // the words of every speaker's lines
	allTotal int
	norm     styleNorm
}

// mention is a name in the text: of a cast member (who) or a place (name).
type mention struct {
	at         int
	who        int
	name, prep string // a place's name and how the narration put it ("at", "in")
}

// utterance is one speech of a character: the quotations of one turn, joined.
type utterance struct {
	span    analysis.Span
	text    string
	speaker int
	to      int
}

func newBook(title, text string, res *analysis.Result, cast []analysis.Character) *book {
	b := &book{title: title, text: []rune(text), res: res, cast: map[int]analysis.Character{}}
	for _, c := range cast {
		b.cast[c.ID] = c
	}
	b.paras = paragraphs(b.text)
	for _, q := range res.Quotes {
		b.quoteAt = append(b.quoteAt, q.Span)
	}
	b.forms = nameForms(cast)
	b.indexMentions(cast)
	b.indexPlaces()
	b.joinUtterances()
	return b
}

// paragraphs splits the text at blank lines.
func paragraphs(text []rune) []analysis.Span {
	var out []analysis.Span
	start, newlines := 0, 0
	for i, r := range text {
		switch {
		case r == '\n':
			newlines++
		case unicode.IsSpace(r):
		default:
			if newlines >= 2 && i > start {
				out = append(out, analysis.Span{Start: start, End: i})
				start = i
			}
			newlines = 0
		}
	}
	return append(out, analysis.Span{Start: start, End: len(text)})
}

// para returns the index of the paragraph holding offset at.
func (b *book) para(at int) int {
	return max(0, sort.Search(len(b.paras), func(i int) bool { return b.paras[i].Start > at })-1)
}

// inQuote tells whether offset at is inside a quotation.
func (b *book) inQuote(at int) bool {
	i := sort.Search(len(b.quoteAt), func(i int) bool { return b.quoteAt[i].End > at })
	return i < len(b.quoteAt) && b.quoteAt[i].Start <= at
}

// nameForms are the names a cast member goes by that name no other cast member: an
// alias shared with another ("Miss Bennet", "Catherine") says nothing about who is meant.
func nameForms(cast []analysis.Character) map[int][]string {
	owners := map[string]map[int]bool{}
	for _, c := range cast {
		for _, f := range append([]string{c.Name}, c.Aliases...) {
			if owners[f] == nil {
				owners[f] = map[int]bool{}
			}
			owners[f][c.ID] = true
		}
	}
	out := map[int][]string{}
	for _, c := range cast {
		for _, f := range append([]string{c.Name}, c.Aliases...) {
			if len(owners[f]) == 1 && !isTitle(f) && !slices.Contains(out[c.ID], f) {
				out[c.ID] = append(out[c.ID], f)
			}
		}
		// Longest first, so "Elizabeth Bennet" is found before "Elizabeth".
		slices.SortFunc(out[c.ID], func(a, b string) int { return len(b) - len(a) })
	}
	return out
}

func isTitle(f string) bool {
	switch strings.TrimSuffix(f, ".") {
	case "Mr", "Mrs", "Miss", "Lady", "Sir", "Lord", "Dr", "Colonel", "Captain", "Master", "Madam":
		return true
	}
	return false
}

// indexMentions finds every mention of a cast member: the analysis's own (its first
// mentions, resolved) and every further use of a name only that member goes by.
func (b *book) indexMentions(cast []analysis.Character) {
	seen := map[int]bool{}
	add := func(at, who int) {
		if !seen[at] {
			seen[at] = true
			b.mentions = append(b.mentions, mention{at: at, who: who})
		}
	}
	for _, c := range cast {
		for _, s := range c.MentionSpans {
			add(s.Start, c.ID)
		}
	}
	for id, forms := range b.forms {
		for _, f := range forms {
			fr := []rune(f)
			for i := 0; i+len(fr) <= len(b.text); i++ {
				if b.text[i] == fr[0] && wordAt(b.text, i, fr) {
					add(i, id)
					i += len(fr) - 1
				}
			}
		}
	}
	slices.SortFunc(b.mentions, func(x, y mention) int { return x.at - y.at })
}

// wordAt tells whether the word(s) w stand at text[i:] as whole words.
func wordAt(text []rune, i int, w []rune) bool {
	if i+len(w) > len(text) || (i > 0 && isWordRune(text[i-1])) || (i+len(w) < len(text) && isWordRune(text[i+len(w)])) {
		return false
	}
	for j, r := range w {
		if text[i+j] != r && !(unicode.IsSpace(r) && unicode.IsSpace(text[i+j])) {
			return false
		}
	}
	return true
}

// placeWord is a capitalised word after a preposition of place: a candidate place name.
var placeWord = regexp.MustCompile(`\b(at|in|to|from|near|into|towards|leave|left|reach|reached|visit|quit|quitted)\s+([A-Z][a-z]{3,})\b`)

// indexPlaces finds the book's places: capitalised words mostly met after a preposition
// of place ("at Longbourn", "from Netherfield"), which people's names seldom are; it
// keeps their narrated locations ("at" or "in") as where the scene is.
func (b *book) indexPlaces() {
	text := string(b.text)
	names := map[string]bool{}
	for _, c := range b.cast {
		for _, f := range append([]string{c.Name}, c.Aliases...) {
			for _, w := range strings.Fields(f) {
				names[w] = true
			}
		}
	}
	afterPrep := map[string]int{}
	for _, m := range placeWord.FindAllStringSubmatch(text, -1) {
		afterPrep[m[2]]++
	}
	places := map[string]bool{}
	for w, n := range afterPrep {
		if n >= 4 && !names[w] && !notPlace[w] && float64(n) >= 0.4*float64(strings.Count(text, w)) {
			places[w] = true
		}
	}
	if len(places) == 0 {
		return
	}
	// Offsets in runes, as everything else here, counted on from the last match.
	last, lastRune := 0, 0
	for _, m := range placeWord.FindAllStringSubmatchIndex(text, -1) {
		prep, w := text[m[2]:m[3]], text[m[4]:m[5]]
		if !places[w] || (prep != "at" && prep != "in") {
			continue
		}
		lastRune += utf8.RuneCountInString(text[last:m[4]])
		last = m[4]
		if !b.inQuote(lastRune) {
			b.places = append(b.places, mention{at: lastRune, name: w, prep: prep})
		}
	}
}

// notPlace are capitalised words met after prepositions that are no places.
var notPlace = map[string]bool{
	"January": true, "February": true, "March": true, "April": true, "June": true, "July": true, "August": true,
	"September": true, "October": true, "November": true, "December": true, "Monday": true, "Tuesday": true,
	"Wednesday": true, "Thursday": true, "Friday": true, "Saturday": true, "Sunday": true, "Christmas": true,
	"Heaven": true, "Chapter": true, "God": true, "Lord": true, "This": true, "That": true, "What": true,
	"Which": true, "Whom": true, "Such": true, "Your": true, "Their": true, "Good": true, "Michaelmas": true,
}

// placeAt is where the scene around offset at is, as a memory starts with it ("At
// Netherfield", "In London"): the last place the narration put it in before it, within a
// few pages.
func (b *book) placeAt(at int) string {
	i := sort.Search(len(b.places), func(i int) bool { return b.places[i].at > at }) - 1
	if i < 0 || at-b.places[i].at > 4000 {
		return ""
	}
	p := b.places[i]
	return strings.ToUpper(p.prep[:1]) + p.prep[1:] + " " + p.name
}

// joinUtterances joins the pieces of each confident turn (a speech split by its tag is
// two quotations of one speaker in one paragraph). A line that calls its own speaker by
// name was given to the wrong one, whatever the confidence.
func (b *book) joinUtterances() {
	for _, q := range b.res.Quotes {
		if _, ok := b.cast[q.SpeakerID]; !ok || q.Confidence < minConfidence || b.namesItself(q) {
			continue
		}
		text := strings.Join(strings.Fields(strings.ReplaceAll(q.Text, "_", "")), " ")
		if n := len(b.said); n > 0 {
			u := &b.said[n-1]
			if u.speaker == q.SpeakerID && b.para(u.span.Start) == b.para(q.Span.Start) && q.Span.Start-u.span.End < 200 {
				// “...his affection,” said Elizabeth. “There has been...”: the tag ended a sentence.
				if r, _ := utf8.DecodeRuneInString(text); unicode.IsUpper(r) && strings.HasSuffix(u.text, ",") {
					u.text = strings.TrimSuffix(u.text, ",") + "."
				}
				u.span.End, u.text = q.Span.End, u.text+" "+text
				if u.to < 0 {
					u.to = q.AddresseeID
				}
				continue
			}
		}
		b.said = append(b.said, utterance{span: q.Span, text: text, speaker: q.SpeakerID, to: q.AddresseeID})
	}
	for i := range b.said {
		// A line broken off by its speech tag ends in a comma; remembered whole, it ends.
		if t, ok := strings.CutSuffix(b.said[i].text, ","); ok {
			b.said[i].text = t + "."
		}
	}
}

func (b *book) namesItself(q analysis.Quote) bool {
	for _, f := range b.forms[q.SpeakerID] {
		if i := strings.Index(q.Text, f); i >= 0 {
			r, _ := utf8.DecodeRuneInString(q.Text[i+len(f):])
			if i+len(f) == len(q.Text) || !isWordRune(r) {
				return true
			}
		}
	}
	return false
}

// present are the cast members in the scene around offset at: named by the narration of
// its paragraph, or speaking or spoken to in the conversation around it (three
// paragraphs either way). Those only talked about are not there.
func (b *book) present(at int) []int {
	p := b.para(at)
	var out []int
	add := func(id int) {
		if _, ok := b.cast[id]; ok && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	from, to := b.paras[p].Start, b.paras[p].End
	for i := sort.Search(len(b.mentions), func(i int) bool { return b.mentions[i].at >= from }); i < len(b.mentions) && b.mentions[i].at < to; i++ {
		if !b.inQuote(b.mentions[i].at) {
			add(b.mentions[i].who)
		}
	}
	from, to = b.paras[max(0, p-3)].Start, b.paras[min(len(b.paras)-1, p+3)].End
	for j := sort.Search(len(b.said), func(j int) bool { return b.said[j].span.Start >= from }); j < len(b.said) && b.said[j].span.Start < to; j++ {
		add(b.said[j].speaker)
		add(b.said[j].to)
	}
	return out
}

// name is a cast member's name, "" for one not in the cast.
func (b *book) name(id int) string { return b.cast[id].Name }
