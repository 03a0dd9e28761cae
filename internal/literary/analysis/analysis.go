// Package analysis finds the characters of a novel, their aliases, their
// quotations (attributed to speakers) and their relationships, using
// capitalisation statistics, English naming conventions and dialogue
// conventions only: no model, no download, and nothing specific to a book.
//
// All rules are general heuristics; the package is meant to run in well under
// a second on a typical novel.
package analysis

import (
	"context"
	"errors"
	"fmt"
)

// Options tunes Analyze. The zero value selects the defaults.
type Options struct {
	// MinMentions is the number of name mentions a character needs to be
	// reported (default 3).
	MinMentions int
	// MaxCharacters caps the number of characters reported (default 200).
	MaxCharacters int
	// ChapterStarts optionally gives the rune offsets at which chapters
	// start; when empty, chapters are counted from heading lines.
	ChapterStarts []int
}

// Result is the outcome of Analyze. Its JSON (stored, and exported by exportDocument)
// has camelCase keys like the API; analyses stored before the tags had Go's field names,
// which encoding/json still reads, matching keys without regard to case.
type Result struct {
	Stats         Stats          `json:"stats"`
	Characters    []Character    `json:"characters"`    // sorted by Mentions, descending
	Quotes        []Quote        `json:"quotes"`        // in text order
	Relationships []Relationship `json:"relationships"` // sorted by Weight, descending
}

// Stats are whole-text figures.
type Stats struct {
	Words          int     `json:"words"`
	Sentences      int     `json:"sentences"`
	Paragraphs     int     `json:"paragraphs"`
	Chapters       int     `json:"chapters"`
	ReadingMinutes float64 `json:"readingMinutes"` // at 238 words per minute
	DialogueShare  float64 `json:"dialogueShare"`  // share of words inside quotations
}

// Span is a range of rune (character) offsets into the analysed text, End
// exclusive.
type Span struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// Character is one person of the story with all the names they go by.
type Character struct {
	ID              int      `json:"id"`
	Name            string   `json:"name"`    // canonical: the fullest proper form, e.g. "Elizabeth Bennet"
	Aliases         []string `json:"aliases"` // other names, most frequent first
	Mentions        int      `json:"mentions"`
	FirstMention    Span     `json:"firstMention"`
	Gender          string   `json:"gender"`          // "female", "male" or "" when unknown
	Description     string   `json:"description"`     // sentence introducing the character, at most 300 characters, whitespace collapsed
	DescriptionSpan Span     `json:"descriptionSpan"` // where Description comes from
	Quotes          int      `json:"quotes"`          // quotations attributed to the character
	MentionSpans    []Span   `json:"mentionSpans"`    // the first 200 mentions
}

// Quote is one quoted stretch of text. A quotation interrupted by a speech
// tag is reported as two Quotes with the same speaker.
type Quote struct {
	Span        Span    `json:"span"` // the quoted text, quote marks excluded
	Text        string  `json:"text"`
	SpeakerID   int     `json:"speakerId"`   // Character.ID, -1 if unknown
	AddresseeID int     `json:"addresseeId"` // Character.ID, -1 if unknown
	Confidence  float64 `json:"confidence"`
	// Method tells how the speaker was found: "explicit" (speech tag or
	// lead-in naming the speaker), "kinship" (tag such as "said her
	// mother"), "epithet" (tag such as "said the old man" for the one
	// character the narrator calls "old Mr. Emerson", or "said the Jew" for
	// the one those answering him call Fagin), "pronoun" (tag
	// with he/she, resolved within the conversation), "adjacent" (the
	// character acting in the narration touching the quotation),
	// "alternation" (turn-taking of the conversation, vocatives included),
	// "context" (a lone quotation given to the most plausible character
	// nearby), "narrator" (a first-person narrator's "said I": SpeakerID is
	// the narrator, or -1 in a book not told in the first person) or ""
	// when unknown.
	Method string `json:"method"`
}

// Relationship links two characters that appear or talk together.
type Relationship struct {
	A             int     `json:"a"` // Character IDs, A < B
	B             int     `json:"b"`
	Weight        float64 `json:"weight"`        // 0..1, normalised to the strongest pair
	CoOccurrences int     `json:"coOccurrences"` // shared passages
	Conversations int     `json:"conversations"` // quotation exchanges between the two
	// Type is "family", "romance" (courtship or marriage), "friendship",
	// "service" (employment), "mentorship" (guardian, teacher), "rivalry",
	// "enmity", or "acquaintance" when the text says nothing more.
	Type       string  `json:"type"`
	Kind       string  `json:"kind,omitempty"`   // the relation in a word: "sister", "married", "servant", "guardian"…
	Confidence float64 `json:"confidence"`       // 0..1 for Type; 0 for an acquaintance
	Reason     string  `json:"reason,omitempty"` // the sentence that best shows Type, whitespace collapsed
	Evidence   []Span  `json:"evidence"`         // up to 5 sentences showing Type, else shared passages
}

const (
	defaultMinMentions   = 3
	defaultMaxCharacters = 200
	maxMentionSpans      = 200
	wordsPerMinute       = 238
	maxDescriptionRunes  = 300
	maxEvidence          = 5
)

// ErrEmptyText is returned when there is nothing to analyse.
var ErrEmptyText = errors.New("analysis: empty text")

// Analyze runs the whole pipeline over text (clean UTF-8; Gutenberg header
// and footer already removed). It honours ctx cancellation between and
// within stages.
func Analyze(ctx context.Context, text string, opt Options) (*Result, error) {
	if opt.MinMentions <= 0 {
		opt.MinMentions = defaultMinMentions
	}
	if opt.MaxCharacters <= 0 {
		opt.MaxCharacters = defaultMaxCharacters
	}
	if len(text) == 0 {
		return nil, ErrEmptyText
	}
	d, err := newDoc(ctx, text)
	if err != nil {
		return nil, fmt.Errorf("analysis: tokenising: %w", err)
	}
	if len(d.toks) == 0 {
		return nil, ErrEmptyText
	}
	if err := d.findQuotes(ctx); err != nil {
		return nil, fmt.Errorf("analysis: finding quotations: %w", err)
	}
	d.markQuotesAndSentences()
	d.respellLisps()
	st := d.computeWordStats()
	runs, err := d.findNameRuns(ctx, st)
	if err != nil {
		return nil, fmt.Errorf("analysis: finding names: %w", err)
	}
	c := buildForms(runs)
	c.cluster()
	a := &analyzer{d: d, c: c, runs: runs, opt: opt, firstPerson: d.firstPersonNarration()}
	a.resolveMentions()
	a.mergeMarriedNames()
	a.resolveMentions()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("analysis: clustering names: %w", err)
	}
	a.selectCharacters()
	if err := a.attributeQuotes(ctx); err != nil {
		return nil, fmt.Errorf("analysis: attributing quotations: %w", err)
	}
	// Names learnt from direct address change the cast; attribute again.
	if a.vocativeMerges() {
		a.resolveMentions()
		a.selectCharacters()
		a.utts = nil
		if err := a.attributeQuotes(ctx); err != nil {
			return nil, fmt.Errorf("analysis: attributing quotations: %w", err)
		}
	}
	a.placeUnnamed()
	rels, err := a.relationships(ctx)
	if err != nil {
		return nil, fmt.Errorf("analysis: relationships: %w", err)
	}
	res := &Result{Stats: a.stats(), Relationships: rels}
	res.Characters = a.characters()
	res.Quotes = a.quotes()
	return res, nil
}
