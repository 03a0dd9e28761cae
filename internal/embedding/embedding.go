// Package embedding turns text into vectors for character memories. Recall ranks a
// character's memories partly by relevance, the cosine similarity between the embedding of
// the scene and the embedding of each memory (as in "Generative Agents"), so every
// Embedder returns L2-normalised vectors: cosine similarity is then a plain dot product.
//
// There are two implementations behind the Embedder interface:
//
//   - Offline, the default, which needs no network and no model files and is
//     deterministic, so `ensemble serve` works on a bare machine and tests are repeatable;
//   - OpenAI, a client for any OpenAI-compatible embeddings endpoint (OpenAI, Ollama,
//     vLLM, llama.cpp, ...), used when one is configured.
//
// Vectors from different models are not comparable, so each Embedder names its model
// (Model), and the name is stored next to every embedding: a change of model marks the
// stored embeddings stale. (The offline model's name includes its dimension.)
//
// # The offline method
//
// Offline is a signed feature-hashing ("hashing trick") embedder over word and character
// n-grams. For each text:
//
//  1. Normalise: Unicode NFKC (so composed and decomposed accents, full-width letters and
//     ligatures agree), then lower-case.
//  2. Tokenise: a word is a maximal run of Unicode letters, digits and combining marks;
//     everything else separates words, except apostrophes (' ’ ʼ), which are dropped
//     without splitting ("don't" is "dont", "ship's" is "ships"). Japanese, written
//     without spaces, is also split where it switches between kanji, hiragana and
//     katakana ("エリザベス|は|雨|の|中"), a crude but useful approximation of its words.
//     Words in a small English stop-word list ("the", "of", "was", ...) are dropped;
//     negations are kept.
//  3. Extract features from the remaining words: unigrams (weight 1.0), bigrams of
//     consecutive remaining words (0.7), and character trigrams within each word with "#"
//     as boundary marker (0.3): "cat" gives "#ca", "cat", "at#". The trigrams make
//     inflections ("walk", "walked", "Netherfield", "Незерфилда") overlap, and runs of
//     Chinese, which has no such boundaries, overlap where they share characters.
//     If every word is a stop word, the stop words are used instead, so any text with a
//     letter or digit has features. A text with no letter or digit at all (punctuation,
//     emoji) uses the trigrams of its raw bytes, whitespace trimmed, with the same markers.
//  4. Weight: a feature occurring tf times in the text gets its kind's weight times
//     1+ln(tf) (sublinear term frequency), so repetition counts, but less and less.
//  5. Hash: each feature's kind and bytes are hashed with 64-bit FNV-1a, and the hash is
//     put through the SplitMix64 finaliser so that every input byte reaches every bit
//     (plain FNV-1a mixes its low bits poorly). The high 32 bits, modulo the dimension,
//     choose the bucket; the lowest bit chooses the sign added to it. Signed hashing makes
//     colliding features cancel on average instead of piling up, so collisions do not bias
//     similarities upwards.
//  6. L2-normalise. A text with no features at all (empty or whitespace) would give the
//     zero vector, which has no cosine with anything; it gets the first unit basis vector
//     instead (as does the rare text whose features cancel out exactly).
//
// Similar wording gives similar vectors; there is no knowledge of synonyms or meaning.
// That is enough for recall to prefer memories that share names, places and words with the
// scene, which is what the offline default promises.
package embedding

import (
	"context"
	"errors"
	"math"
)

// Embedder turns texts into L2-normalised vectors of a fixed dimension.
type Embedder interface {
	// Embed returns one vector per text, in order. Every vector has Dimension() entries.
	Embed(ctx context.Context, texts []string) ([][]float32, error)
	// Dimension is the length of every vector, fixed for the Embedder's lifetime, so a
	// vector index can be sized before the first text arrives.
	Dimension() int
	// Model names the model; stored next to each embedding so a change of model marks
	// stored embeddings stale (e.g. "offline-hash-v1-256", or the remote model name).
	Model() string
}

var (
	// ErrUnavailable reports that embeddings could not be had right now: the endpoint is
	// down, too slow, or kept failing until the retries ran out. Callers may try later or
	// fall back; nothing about the input is wrong.
	ErrUnavailable = errors.New("endpoint unavailable")
	// ErrDimension reports a vector of another dimension than configured: the endpoint
	// serves a different model than the one the stored embeddings were made with, which
	// needs a configuration fix rather than a retry.
	ErrDimension = errors.New("embedding of the wrong dimension")
)

// Compile-time checks that both implementations satisfy the interface.
var (
	_ Embedder = (*Offline)(nil)
	_ Embedder = (*OpenAI)(nil)
)

// normalize scales v in place to unit L2 length. It reports false, leaving v unchanged,
// when v is the zero vector (or not finite), which has no direction to keep.
func normalize(v []float32) bool {
	var sum float64
	for _, x := range v {
		sum += float64(float64(x) * float64(x)) // rounded: not fused into an FMA
	}
	if sum == 0 || math.IsInf(sum, 0) || math.IsNaN(sum) {
		return false
	}
	scale := 1 / math.Sqrt(sum)
	for i, x := range v {
		v[i] = float32(float64(x) * scale)
	}
	return true
}
