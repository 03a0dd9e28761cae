package embedding

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"sync"
	"testing"
)

// cosine is the cosine similarity of two vectors of the same length.
func cosine(a, b []float32) float64 {
	var dot, na, nb float64
	for i := range a {
		dot += float64(a[i]) * float64(b[i])
		na += float64(a[i]) * float64(a[i])
		nb += float64(b[i]) * float64(b[i])
	}
	return dot / math.Sqrt(na*nb)
}

// embedOne embeds a single text with e, failing the test on error.
func embedOne(t testing.TB, e Embedder, text string) []float32 {
	t.Helper()
	vecs, err := e.Embed(context.Background(), []string{text})
	if err != nil {
		t.Fatalf("Embed(%q): %v", text, err)
	}
	return vecs[0]
}

// checkUnit fails the test unless v has dim entries and unit length.
func checkUnit(t *testing.T, v []float32, dim int, what string) {
	t.Helper()
	if len(v) != dim {
		t.Fatalf("%s: %d entries, want %d", what, len(v), dim)
	}
	var sum float64
	for _, x := range v {
		if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
			t.Fatalf("%s: not finite: %v", what, v)
		}
		sum += float64(x) * float64(x)
	}
	if math.Abs(math.Sqrt(sum)-1) > 1e-5 {
		t.Fatalf("%s: length %v, want 1", what, math.Sqrt(sum))
	}
}

func TestFNVMatchesStandardLibrary(t *testing.T) {
	for _, s := range []string{"", "a", "#ca", "walked netherfield", "дождь", "雨の中"} {
		want := fnv.New64a()
		want.Write([]byte(s))
		if got := fnvBytes(fnvOffset, []byte(s)); got != want.Sum64() {
			t.Errorf("fnvBytes(%q) = %x, want %x", s, got, want.Sum64())
		}
	}
}

func TestOfflineModelAndDimension(t *testing.T) {
	tests := []struct {
		dim, wantDim int
		wantModel    string
	}{
		{0, DefaultDimension, "offline-hash-v1-256"},
		{-3, DefaultDimension, "offline-hash-v1-256"},
		{1, 1, "offline-hash-v1-1"},
		{384, 384, "offline-hash-v1-384"},
	}
	for _, tt := range tests {
		o := NewOffline(tt.dim)
		if o.Dimension() != tt.wantDim || o.Model() != tt.wantModel {
			t.Errorf("NewOffline(%d): dimension %d, model %q; want %d, %q",
				tt.dim, o.Dimension(), o.Model(), tt.wantDim, tt.wantModel)
		}
	}
}

// edgeTexts are texts that must still get a unit vector.
var edgeTexts = []string{
	"",
	"   \t\n",
	"!?",
	"...",
	"—",
	"🙂🙂",
	"the of and",
	"a",
	"x",
	"42",
	"Элизабет шла в Незерфилд под дождём.",
	"エリザベスは雨の中をネザーフィールドまで歩いた。",
	"雨",
	"مرحبا بالعالم",
	"Elizabeth walked to Netherfield in the rain",
	"e\u0301",
}

func TestOfflineUnitVectors(t *testing.T) {
	for _, dim := range []int{1, 2, 7, 256, 1024} {
		o := NewOffline(dim)
		vecs, err := o.Embed(context.Background(), edgeTexts)
		if err != nil {
			t.Fatal(err)
		}
		if len(vecs) != len(edgeTexts) {
			t.Fatalf("dim %d: %d vectors for %d texts", dim, len(vecs), len(edgeTexts))
		}
		for i, v := range vecs {
			checkUnit(t, v, dim, fmt.Sprintf("dim %d, %q", dim, edgeTexts[i]))
		}
	}
}

func TestOfflineDeterministic(t *testing.T) {
	a, b := NewOffline(256), NewOffline(256)
	first, err := a.Embed(context.Background(), edgeTexts)
	if err != nil {
		t.Fatal(err)
	}
	for round := range 3 {
		again, err := a.Embed(context.Background(), edgeTexts)
		if err != nil {
			t.Fatal(err)
		}
		other, err := b.Embed(context.Background(), edgeTexts)
		if err != nil {
			t.Fatal(err)
		}
		for i, text := range edgeTexts {
			if !slices.Equal(first[i], again[i]) || !slices.Equal(first[i], other[i]) {
				t.Fatalf("round %d: %q embeds differently", round, text)
			}
			if single := embedOne(t, b, text); !slices.Equal(first[i], single) {
				t.Fatalf("%q embeds differently alone than in a batch", text)
			}
		}
	}
}

// TestOfflineGolden pins the vectors themselves: if it fails, the method changed, every
// stored offline embedding is stale, and offlineVersion must change with it.
func TestOfflineGolden(t *testing.T) {
	o := NewOffline(8)
	if o.Model() != "offline-hash-v1-8" {
		t.Fatalf("model %q: update the golden vectors with the version", o.Model())
	}
	golden := map[string][]float32{
		"Elizabeth walked to Netherfield in the rain": {-0.107839, -0.035946, -0.359463, -0.790818, 0.143785, -0.107839, -0.434211, 0.107839},
		"":   {1, 0, 0, 0, 0, 0, 0, 0},
		"!?": {-0.707107, 0, -0.707107, 0, 0, 0, 0, 0},
	}
	for text, want := range golden {
		got := embedOne(t, o, text)
		for i := range want {
			if math.Abs(float64(got[i]-want[i])) > 1e-5 {
				t.Errorf("%q = %v, want %v: the offline method changed; bump offlineVersion", text, got, want)
				break
			}
		}
	}
}

func TestTokenize(t *testing.T) {
	tests := []struct {
		text           string
		words, content []string
	}{
		{"", nil, nil},
		{"!? ...", nil, nil},
		{"The Ship's CAPTAIN, well-known.", []string{"the", "ships", "captain", "well", "known"}, []string{"ships", "captain", "well", "known"}},
		{"She did not go", []string{"she", "did", "not", "go"}, []string{"not", "go"}},
		{"to be", []string{"to", "be"}, nil},
		{"Ёлка 1812 года", []string{"ёлка", "1812", "года"}, []string{"ёлка", "1812", "года"}},
		{"エリザベスは雨の中を", []string{"エリザベス", "は", "雨", "の", "中", "を"}, []string{"エリザベス", "は", "雨", "の", "中", "を"}},
		{"ネザーフィールドまで歩いた", []string{"ネザーフィールド", "まで", "歩", "いた"}, []string{"ネザーフィールド", "まで", "歩", "いた"}},
		{"Darcy雨", []string{"darcy", "雨"}, []string{"darcy", "雨"}},
		{"e\u0301te\u0301", []string{"e\u0301te\u0301"}, []string{"e\u0301te\u0301"}},
	}
	for _, tt := range tests {
		var s offlineScratch
		s.tokenize(tt.text)
		strs := func(spans []span) []string {
			var out []string
			for _, w := range spans {
				out = append(out, string(s.text[w.start:w.end]))
			}
			return out
		}
		if got := strs(s.words); !slices.Equal(got, tt.words) {
			t.Errorf("words of %q = %q, want %q", tt.text, got, tt.words)
		}
		if got := strs(s.content); !slices.Equal(got, tt.content) {
			t.Errorf("content words of %q = %q, want %q", tt.text, got, tt.content)
		}
	}
}

func TestOfflineSimilarity(t *testing.T) {
	o := NewOffline(DefaultDimension)
	sim := func(a, b string) float64 { return cosine(embedOne(t, o, a), embedOne(t, o, b)) }
	tests := []struct {
		name             string
		text, close, far string
	}{
		{
			name:  "paraphrase",
			text:  "Elizabeth walked to Netherfield in the rain",
			close: "In the rain, Elizabeth walked all the way to Netherfield",
			far:   "The ship's captain ordered more sail",
		},
		{
			name:  "inflection",
			text:  "Mr. Darcy danced with Elizabeth at the ball",
			close: "Darcy dancing with Elizabeth",
			far:   "Whales surfaced near the harpooners",
		},
		{
			name:  "russian",
			text:  "Элизабет шла в Незерфилд под дождём",
			close: "Под дождём Элизабет дошла до Незерфилда",
			far:   "Капитан корабля приказал поднять паруса",
		},
		{
			name:  "japanese",
			text:  "エリザベスは雨の中をネザーフィールドまで歩いた",
			close: "雨の中、エリザベスはネザーフィールドへ歩いた",
			far:   "船長はもっと帆を張るよう命じた",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			near, far := sim(tt.text, tt.close), sim(tt.text, tt.far)
			t.Logf("close %.3f, far %.3f", near, far)
			if near < 0.4 || far > 0.2 || near-far < 0.3 {
				t.Fatalf("close %.3f, far %.3f: want close ≥ 0.4, far ≤ 0.2, 0.3 apart", near, far)
			}
		})
	}
}

func TestOfflineEquivalentSpellings(t *testing.T) {
	o := NewOffline(DefaultDimension)
	tests := []struct{ a, b string }{
		{"ELIZABETH Bennet", "elizabeth bennet"},
		{"café", "cafe\u0301"},               // composed and decomposed accent
		{"ＤＡＲＣＹ", "darcy"},                   // full-width letters
		{"don't", "dont"},                    // apostrophes join
		{"Darcy's letter", "Darcy’s letter"}, // typographic apostrophe
		{"Pride, and Prejudice!", "pride prejudice"},
		{"well-known", "well known"},
	}
	for _, tt := range tests {
		if !slices.Equal(embedOne(t, o, tt.a), embedOne(t, o, tt.b)) {
			t.Errorf("%q and %q embed differently", tt.a, tt.b)
		}
	}
}

func TestOfflineDistinguishes(t *testing.T) {
	o := NewOffline(DefaultDimension)
	tests := []struct {
		a, b string
		max  float64
	}{
		// Same words, other order: close, but the bigrams tell them apart.
		{"Darcy loved Elizabeth", "Elizabeth loved Darcy", 0.95},
		{"the ball at Netherfield", "Netherfield at the ball", 0.95},
		// Texts without words still differ from each other and from the empty text.
		{"!?", "...", 0.5},
		{"!?", "", 0.5},
		{"the of and", "", 0.5},
		{"to be", "the of and", 0.5},
	}
	for _, tt := range tests {
		got := cosine(embedOne(t, o, tt.a), embedOne(t, o, tt.b))
		if got > tt.max {
			t.Errorf("cosine(%q, %q) = %.3f, want ≤ %.2f", tt.a, tt.b, got, tt.max)
		}
	}
	if got := cosine(embedOne(t, o, "Darcy loved Elizabeth"), embedOne(t, o, "Elizabeth loved Darcy")); got < 0.6 {
		t.Errorf("word order variants: cosine %.3f, want ≥ 0.6", got)
	}
}

func TestOfflineContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := NewOffline(0).Embed(ctx, []string{"text"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestOfflineConcurrent(t *testing.T) {
	o := NewOffline(DefaultDimension)
	texts := benchmarkSentences(200)
	want, err := o.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			for round := range 5 {
				// Each goroutine embeds a different slice so batches interleave.
				lo := (g*7 + round*13) % len(texts)
				got, err := o.Embed(context.Background(), texts[lo:])
				if err != nil {
					errs <- err
					return
				}
				for i := range got {
					if !slices.Equal(got[i], want[lo+i]) {
						errs <- fmt.Errorf("goroutine %d: %q differs", g, texts[lo+i])
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// benchmarkSentences returns n short, varied, deterministic sentences.
func benchmarkSentences(n int) []string {
	subjects := []string{"Elizabeth", "Mr. Darcy", "Jane", "Mr. Bingley", "Lady Catherine", "Wickham", "Mrs. Bennet", "Charlotte", "The captain"}
	verbs := []string{"walked to", "wrote a letter about", "quarrelled with Lydia over", "laughed at the news from", "refused to speak of", "dreamed of", "remembered the ball at"}
	objects := []string{"Netherfield in the rain", "Pemberley and its grounds", "the officers in Meryton", "Rosings Park", "the ship's new sails", "her sister's engagement", "the letter she had burned"}
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s %s %s.", subjects[i%len(subjects)], verbs[(i/3)%len(verbs)], objects[(i/7)%len(objects)])
	}
	return out
}

// BenchmarkOffline measures sentences embedded per second, one sentence per call and
// in batches of 64. Run on one core with:
//
//	go test -run '^$' -bench BenchmarkOffline -cpu 1 ./internal/embedding/
func BenchmarkOffline(b *testing.B) {
	sentences := benchmarkSentences(1024)
	for _, batch := range []int{1, 64} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			o := NewOffline(DefaultDimension)
			ctx := context.Background()
			b.ReportAllocs()
			done := 0
			for b.Loop() {
				lo := done % len(sentences)
				hi := min(lo+batch, len(sentences))
				if _, err := o.Embed(ctx, sentences[lo:hi]); err != nil {
					b.Fatal(err)
				}
				done += hi - lo
			}
			b.ReportMetric(float64(done)/b.Elapsed().Seconds(), "sentences/s")
		})
	}
}
