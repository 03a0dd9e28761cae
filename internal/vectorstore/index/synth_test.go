package index

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/google/uuid"
)

// Synthetic data for the tests and the benchmark, generated deterministically.

// normalise scales v to unit length in place.
func normalise(v []float32) []float32 {
	var n float64
	for _, a := range v {
		n += float64(a) * float64(a)
	}
	if n == 0 {
		v[0] = 1
		return v
	}
	inv := float32(1 / math.Sqrt(n))
	for i := range v {
		v[i] *= inv
	}
	return v
}

// randomUnit is a direction drawn uniformly from the sphere.
func randomUnit(rng *rand.Rand, dim int) []float32 {
	v := make([]float32, dim)
	for i := range v {
		v[i] = float32(rng.NormFloat64())
	}
	return normalise(v)
}

// seqID is a deterministic UUID for test item number i of a namespace.
func seqID(namespace byte, i int) uuid.UUID {
	var u uuid.UUID
	u[0] = namespace
	u[8], u[9], u[10], u[11] = byte(i>>24), byte(i>>16), byte(i>>8), byte(i)
	u[15] = 1
	return u
}

// clustered returns n unit vectors around `centres` random unit centres:
// centre plus isotropic Gaussian noise of total norm about sigma, normalised.
// Item i belongs to character i % characters.
func clustered(seed uint64, n, centres, characters, dim int, sigma float64) []Item {
	rng := rand.New(rand.NewPCG(seed, 1))
	cs := make([][]float32, centres)
	for i := range cs {
		cs[i] = randomUnit(rng, dim)
	}
	scale := sigma / math.Sqrt(float64(dim))
	items := make([]Item, n)
	for i := range items {
		c := cs[rng.IntN(centres)]
		v := make([]float32, dim)
		for j := range v {
			v[j] = c[j] + float32(rng.NormFloat64()*scale)
		}
		items[i] = Item{ID: seqID(1, i), Character: seqID(2, i%characters), Vector: normalise(v)}
	}
	return items
}

// textCorpus imitates what an offline hashed n-gram embedder makes of short
// memory texts, without any text: the embedder hashes each token and each
// character n-gram to one of dim buckets with a hashed sign, sums, and
// normalises. A word therefore contributes a fixed sparse signed pattern of a
// few buckets (its n-grams), and a memory is the normalised sum of the
// patterns of its ten to forty words. The words follow the statistics that
// matter for search:
//   - most are drawn from one shared vocabulary with Zipf frequencies, so
//     every vector carries a large common component from the frequent words
//     ("the", "and", "she") and the data is not made of separated clusters;
//   - some come from a book's vocabulary (its places and themes), shared by
//     the twenty characters of that book;
//   - some come from the character's own vocabulary (names, people, objects
//     it keeps mentioning), which gives a character's memories the mild
//     family resemblance real ones have.
//
// All vocabularies are Zipfian, and the topical words are drawn from the
// middle and tail of the shared vocabulary, as names and places are.
type textCorpus struct {
	dim    int
	seed   uint64
	words  [][]int16 // per word: signed buckets, +(b+1) or -(b+1)
	global cdf
	books  [][]int32 // per book: word ids
	chars  [][]int32 // per character: word ids
	bookOf []int
	// Frequencies within a book's and within a character's vocabulary.
	bookTopic, charTopic cdf
}

// cdf is a cumulative distribution over ranks 0..n-1.
type cdf []float64

func zipf(n int, s float64) cdf {
	c := make(cdf, n)
	var t float64
	for r := range c {
		t += 1 / math.Pow(float64(r)+2.7, s)
		c[r] = t
	}
	for r := range c {
		c[r] /= t
	}
	return c
}

func (c cdf) draw(rng *rand.Rand) int {
	i, _ := slices.BinarySearch(c, rng.Float64())
	return min(i, len(c)-1)
}

const (
	corpusWords      = 50000
	corpusBookWords  = 400
	corpusCharWords  = 60
	charactersInBook = 20
)

func newTextCorpus(seed uint64, characters, dim int) *textCorpus {
	rng := rand.New(rand.NewPCG(seed, 2))
	t := &textCorpus{dim: dim, seed: seed, global: zipf(corpusWords, 1.0),
		bookTopic: zipf(corpusBookWords, 1.0), charTopic: zipf(corpusCharWords, 1.0)}
	t.words = make([][]int16, corpusWords)
	for w := range t.words {
		grams := make([]int16, 2+rng.IntN(8))
		for g := range grams {
			b := int16(rng.IntN(dim) + 1)
			if rng.IntN(2) == 0 {
				b = -b
			}
			grams[g] = b
		}
		t.words[w] = grams
	}
	topical := func(n int) []int32 {
		v := make([]int32, n)
		for i := range v {
			v[i] = int32(1000 + rng.IntN(corpusWords-1000))
		}
		return v
	}
	books := (characters + charactersInBook - 1) / charactersInBook
	t.books = make([][]int32, books)
	for b := range t.books {
		t.books[b] = topical(corpusBookWords)
	}
	t.chars = make([][]int32, characters)
	t.bookOf = make([]int, characters)
	for c := range t.chars {
		t.chars[c] = topical(corpusCharWords)
		t.bookOf[c] = c / charactersInBook
	}
	return t
}

// word draws one word of a text by character c.
func (t *textCorpus) word(rng *rand.Rand, c int) int32 {
	switch u := rng.Float64(); {
	case u < 0.2:
		return t.chars[c][t.charTopic.draw(rng)]
	case u < 0.4:
		return t.books[t.bookOf[c]][t.bookTopic.draw(rng)]
	default:
		return int32(t.global.draw(rng))
	}
}

// text is the word list of memory j of character c; the same (c, j) always
// gives the same text.
func (t *textCorpus) text(c, j int) []int32 {
	rng := rand.New(rand.NewPCG(t.seed, uint64(c)<<32|uint64(j)))
	ws := make([]int32, 10+rng.IntN(31))
	for i := range ws {
		ws[i] = t.word(rng, c)
	}
	return ws
}

// paraphrase replaces about a third of the words of a text by character c
// with other words that character might use.
func (t *textCorpus) paraphrase(rng *rand.Rand, c int, ws []int32) []int32 {
	out := slices.Clone(ws)
	for i := range out {
		if rng.IntN(3) == 0 {
			out[i] = t.word(rng, c)
		}
	}
	return out
}

// embed is the hashed embedding of a word list, written into v.
func (t *textCorpus) embed(ws []int32, v []float32) []float32 {
	clear(v)
	for _, w := range ws {
		for _, g := range t.words[w] {
			if g > 0 {
				v[g-1]++
			} else {
				v[-g-1]--
			}
		}
	}
	return normalise(v)
}
