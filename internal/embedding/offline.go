package embedding

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// DefaultDimension is the offline embedder's dimension when none is chosen: large enough
// that hashed features of a memory-sized text rarely collide, small enough that a
// character's whole memory fits in cache when recall scans it.
const DefaultDimension = 256

// offlineVersion names the feature extraction in Model. Any change to tokenising, features,
// weights or hashing changes every vector, so it must come with a new version, which marks
// the stored offline embeddings stale.
const offlineVersion = "offline-hash-v1"

// Feature kinds, hashed in front of the feature's bytes so that, say, the unigram "cat"
// and the trigram "cat" land in unrelated buckets.
const (
	kindUnigram byte = 'u'
	kindBigram  byte = 'b'
	kindTrigram byte = 'c'
	kindRaw     byte = 'r'
)

// Feature weights by kind; see the package documentation.
const (
	weightUnigram = 1.0
	weightBigram  = 0.7
	weightTrigram = 0.3
)

// boundary marks the start and end of a word (or of a raw text) in character trigrams.
// It is punctuation, so it never occurs inside a word.
const boundary = '#'

// stopWords are frequent English function words, dropped because they make unrelated
// texts look alike. Negations ("not", "no", "never") are deliberately absent: for a
// memory, "she did not trust him" is not about the same thing as "she trusted him".
var stopWords = func() map[string]struct{} {
	words := strings.Fields(`a about after again all also am an and any are as at be
		because been before being but by can could did do does doing down during each
		for from further had has have having he her here hers herself him himself his
		how i if in into is it its itself just me more most my myself of off on once only
		or other our ours ourselves out over own same she should so some such than that
		the their theirs them themselves then there these they this those through to too
		under until up very was we were what when where which while who whom why will with
		would you your yours yourself yourselves s t d ll m re ve`)
	set := make(map[string]struct{}, len(words))
	for _, w := range words {
		set[w] = struct{}{}
	}
	return set
}()

// Offline is the deterministic, dependency-free Embedder described in the package
// documentation: for a given dimension the same text always gives the same vector, across
// calls, instances and processes. It is safe for concurrent use.
type Offline struct {
	dim     int
	model   string
	scratch sync.Pool // of *offlineScratch, reused so that embedding barely allocates
}

// NewOffline returns an offline embedder producing vectors of dim entries; dim < 1 means
// DefaultDimension, so a zero-valued configuration gets the default.
func NewOffline(dim int) *Offline {
	if dim < 1 {
		dim = DefaultDimension
	}
	return &Offline{
		dim:     dim,
		model:   fmt.Sprintf("%s-%d", offlineVersion, dim),
		scratch: sync.Pool{New: func() any { return new(offlineScratch) }},
	}
}

// Dimension returns the length of every vector.
func (o *Offline) Dimension() int { return o.dim }

// Model returns "offline-hash-v1-<dimension>": vectors of another dimension or feature
// version are not comparable with these.
func (o *Offline) Model() string { return o.model }

// Embed returns one unit vector per text, in order. It fails only when ctx is done, which
// it checks between texts so that a very large batch can be abandoned.
func (o *Offline) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	s := o.scratch.Get().(*offlineScratch)
	defer o.scratch.Put(s)
	out := make([][]float32, len(texts))
	for i, text := range texts {
		if i%256 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("embeddings %s: %w", o.model, err)
			}
		}
		out[i] = o.embed(s, text)
	}
	return out, nil
}

// span is a word's position in offlineScratch.text.
type span struct{ start, end int }

// feature is a hashed feature and its kind's weight.
type feature struct {
	hash   uint64
	weight float32
}

// offlineScratch holds the buffers of one embedding, reused across texts.
type offlineScratch struct {
	text    []byte    // the normalised, lower-cased words, back to back
	words   []span    // every word
	content []span    // the words features are taken from
	feats   []feature // every occurrence of every feature
	padded  []byte    // "#word#" while taking a word's trigrams
	runeAt  []int     // byte offsets of the runes in padded
}

// embed computes the vector of one text.
func (o *Offline) embed(s *offlineScratch, text string) []float32 {
	s.feats = s.feats[:0]
	if !isASCII(text) && !norm.NFKC.IsNormalString(text) {
		text = norm.NFKC.String(text)
	}
	s.tokenize(text)
	switch {
	case len(s.content) > 0:
		s.wordFeatures(s.content)
	case len(s.words) > 0:
		s.wordFeatures(s.words)
	default:
		if raw := strings.TrimSpace(text); raw != "" {
			s.padded = append(append(append(s.padded[:0], boundary), raw...), boundary)
			s.trigrams(kindRaw, s.padded, false)
		}
	}

	v := make([]float32, o.dim)
	s.accumulate(v)
	if !normalize(v) {
		clear(v)
		v[0] = 1
	}
	return v
}

// isASCII reports whether text is ASCII, which is always in NFKC: a check much cheaper
// than norm's, which allocates.
func isASCII(text string) bool {
	for i := 0; i < len(text); i++ {
		if text[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// tokenize fills s.text and s.words with the lower-cased words of text, and s.content
// with those that are not stop words.
func (s *offlineScratch) tokenize(text string) {
	s.text, s.words, s.content = s.text[:0], s.words[:0], s.content[:0]
	start := -1           // start of the current word in s.text, or -1 between words
	script := scriptOther // script of the last letter seen
	closeWord := func() {
		if start < 0 {
			return
		}
		w := span{start, len(s.text)}
		s.words = append(s.words, w)
		if _, stop := stopWords[string(s.text[w.start:w.end])]; !stop {
			s.content = append(s.content, w)
		}
		start = -1
	}
	for _, r := range text {
		if r == '\'' || r == '\u2019' || r == '\u02bc' {
			continue // apostrophes neither belong to a word nor end it
		}
		lower, sc, ok := wordRune(r)
		if !ok {
			closeWord()
			continue
		}
		if sc == scriptInherit {
			sc = script
		}
		if sc != script {
			closeWord()
			script = sc
		}
		if start < 0 {
			start = len(s.text)
		}
		if lower < utf8.RuneSelf {
			s.text = append(s.text, byte(lower))
		} else {
			s.text = utf8.AppendRune(s.text, lower)
		}
	}
	closeWord()
}

// wordRune reports whether r belongs in a word (a letter, digit or combining mark), and
// if so its lower case and script class.
func wordRune(r rune) (lower rune, script int, ok bool) {
	if r < utf8.RuneSelf {
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			return r, scriptOther, true
		case 'A' <= r && r <= 'Z':
			return r + ('a' - 'A'), scriptOther, true
		}
		return 0, 0, false
	}
	switch {
	case unicode.IsMark(r):
		return r, scriptInherit, true
	case unicode.IsLetter(r) || unicode.IsDigit(r):
		return unicode.ToLower(r), scriptOf(r), true
	}
	return 0, 0, false
}

// Script classes for splitting words. Han, hiragana and katakana are written without
// spaces, and a change between them approximates a word boundary; all other scripts
// separate words with spaces and are one class. Combining marks inherit the class of the
// letter they follow.
const (
	scriptOther = iota
	scriptHan
	scriptHiragana
	scriptKatakana
	scriptInherit
)

// scriptOf classifies r for splitting words where Japanese switches between kanji,
// hiragana and katakana ("エリザベス|は|雨|の|中"): a crude but useful segmentation.
func scriptOf(r rune) int {
	switch {
	case unicode.Is(unicode.Han, r):
		return scriptHan
	case unicode.Is(unicode.Hiragana, r):
		return scriptHiragana
	case unicode.Is(unicode.Katakana, r) || r == 'ー': // the prolonged sound mark is "Common"
		return scriptKatakana
	}
	return scriptOther
}

// wordFeatures appends the unigrams, bigrams and character trigrams of words.
func (s *offlineScratch) wordFeatures(words []span) {
	for i, w := range words {
		word := s.text[w.start:w.end]
		s.add(fnvBytes(fnvByte(fnvOffset, kindUnigram), word), weightUnigram)
		if i > 0 {
			prev := words[i-1]
			h := fnvBytes(fnvByte(fnvOffset, kindBigram), s.text[prev.start:prev.end])
			s.add(fnvBytes(fnvByte(h, ' '), word), weightBigram)
		}
		s.padded = append(append(append(s.padded[:0], boundary), word...), boundary)
		s.trigrams(kindTrigram, s.padded, true)
	}
}

// trigrams appends the trigrams of b, which is already padded with boundary markers:
// trigrams of runes when runes is set, of bytes otherwise.
func (s *offlineScratch) trigrams(kind byte, b []byte, runes bool) {
	weight := float32(weightTrigram)
	if !runes {
		for i := 0; i+3 <= len(b); i++ {
			s.add(fnvBytes(fnvByte(fnvOffset, kind), b[i:i+3]), weight)
		}
		return
	}
	s.runeAt = s.runeAt[:0]
	for i := 0; i < len(b); {
		s.runeAt = append(s.runeAt, i)
		if b[i] < utf8.RuneSelf {
			i++
		} else {
			_, size := utf8.DecodeRune(b[i:])
			i += size
		}
	}
	s.runeAt = append(s.runeAt, len(b))
	for i := 0; i+3 < len(s.runeAt); i++ {
		s.add(fnvBytes(fnvByte(fnvOffset, kind), b[s.runeAt[i]:s.runeAt[i+3]]), weight)
	}
}

// add records one occurrence of the feature whose FNV-1a hash is h.
func (s *offlineScratch) add(h uint64, weight float32) {
	s.feats = append(s.feats, feature{hash: mix(h), weight: weight})
}

// accumulate adds every distinct feature, weighted by 1+ln(tf), with its hashed sign
// into its hashed bucket of v.
func (s *offlineScratch) accumulate(v []float32) {
	slices.SortFunc(s.feats, func(a, b feature) int { return cmp.Compare(a.hash, b.hash) })
	dim := uint64(len(v))
	for i := 0; i < len(s.feats); {
		f := s.feats[i]
		j := i + 1
		for j < len(s.feats) && s.feats[j].hash == f.hash {
			j++
		}
		w := f.weight
		if tf := j - i; tf > 1 {
			// The conversion rounds the product, so that no CPU fuses it with the
			// addition below (FMA) and vectors do not depend on the machine.
			w = float32(w * float32(1+math.Log(float64(tf))))
		}
		if f.hash&1 == 1 {
			w = -w
		}
		v[(f.hash>>32)%dim] += w
		i = j
	}
}

// 64-bit FNV-1a, written out rather than taken from hash/fnv so that hashing a feature
// costs no allocation or interface call; offline_test.go checks it against hash/fnv.
const (
	fnvOffset uint64 = 14695981039346656037
	fnvPrime  uint64 = 1099511628211
)

// fnvByte continues the FNV-1a hash h with one byte.
func fnvByte(h uint64, b byte) uint64 {
	return (h ^ uint64(b)) * fnvPrime
}

// fnvBytes continues the FNV-1a hash h with bs.
func fnvBytes(h uint64, bs []byte) uint64 {
	for _, b := range bs {
		h = (h ^ uint64(b)) * fnvPrime
	}
	return h
}

// mix is the SplitMix64 finaliser, a bijection that spreads every bit of h over all the
// bits of the result, so that the bucket (high bits) and sign (low bit) are independent.
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}
