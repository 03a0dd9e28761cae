package analysis

import (
	"context"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// heapSampler polls the live heap to estimate the peak of a run.
type heapSampler struct {
	peak atomic.Uint64
	stop chan struct{}
	wg   sync.WaitGroup
}

func startHeapSampler() *heapSampler {
	h := &heapSampler{stop: make(chan struct{})}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		var ms runtime.MemStats
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > h.peak.Load() {
				h.peak.Store(ms.HeapAlloc)
			}
			select {
			case <-h.stop:
				return
			case <-t.C:
			}
		}
	}()
	return h
}

func (h *heapSampler) Stop() uint64 {
	close(h.stop)
	h.wg.Wait()
	return h.peak.Load()
}

// adversarial are the worst uploads of their kinds found so far, each about
// 2 MB, on which a pass that was quadratic took tens of seconds: one
// quotation left open with a relationship cue in every sentence (43 s), one
// sentence naming thousands of people (12 s at 4 MB), a conversation of
// self-namings (10 s), lines tagged "said the old lady" (10 s), one line
// without a full stop calling "Papa" (54 s: the family of a turn's speaker
// read from the whole sentence), one paragraph of turns tagged "said the
// latter" (1.8 s at 1.7 MB: each walked the paragraph back for the last two
// named), would-be brides and married names (see marriedNames), thousands
// known only by a description (see manyDescribed). Their
// throughput should stay of the novels' order.
var adversarial = map[string]string{
	"open_quotation": adversarialHead + "“" + strings.Repeat("I told my brother Mr. Hale that I married Miss Grey. ", 40000),
	"one_sentence":   adversarialHead + strings.Repeat("and Mr. Hale told his sister Miss Grey ", 50000),
	"self_naming":    adversarialHead + strings.Repeat("“I am Mr. Hale,” said Miss Grey.\n\n“My name is Miss Grey,” said he.\n\n", 20000),
	"described_tags": adversarialHead + strings.Repeat("Mr. Hale was silent; but Miss Grey, the old lady, said nothing. “No,” said the old lady.\n\n", 20000),
	"parent_line":    adversarialHead + strings.Repeat("Emma walked with Mr. Hale and said “Papa, yes” to him; ", 40000),
	"married_names":  marriedNames(8000),
	"many_described": manyDescribed(4000),
	"the_latter":     adversarialHead + strings.Repeat("“Mr. Hale and Miss Grey and Mr. Cole,” said the latter. The rain fell on the town. ", 20000),
}

// manyDescribed is n people known only by a description, each tagging six
// lines answered by Mr. Hale: each may join the cast (castDescriptions),
// whose mentions are read in one pass.
func manyDescribed(n int) string {
	var b strings.Builder
	b.WriteString(adversarialHead)
	for i := range n {
		noun := "q" + string(rune('a'+i%26)) + string(rune('a'+(i/26)%26)) + string(rune('a'+(i/676)%26))
		for range 6 {
			b.WriteString("“Good day to you,” said the " + noun + ".\n\n“Very,” said Mr. Hale.\n\n")
		}
	}
	return b.String()
}

// marriedNames is n paragraphs, each naming a woman in news of a marriage
// beside a man and a married name of other surnames, over 1,728 surnames:
// the married-name pass paired every married name with every woman and
// read every such sentence per pair (140 KB took 3.4 s).
func marriedNames(n int) string {
	syl := []string{"ba", "ce", "di", "fo", "gu", "ha", "je", "ki", "lo", "mu", "na", "pe"}
	name := func(i int) string {
		return strings.ToUpper(syl[i%12][:1]) + syl[i%12][1:] + syl[(i/12)%12] + syl[(i/144)%12] + "ton"
	}
	var b strings.Builder
	for i := range n {
		w, h, m := name(i), name(i+1), name(i+2)
		b.WriteString("Ann " + w + " smiled; she was the marriage talk of Mr. " + h + ", and Ann " + w + " wept. Ann " + w +
			" sat. Mrs. " + m + " came; Mrs. " + m + " went, and Mrs. " + m + " sat.\n\n")
	}
	return b.String()
}

const adversarialHead = "Mr. Hale met Miss Grey. Mr. Hale and Miss Grey talked.\n\n"

// BenchmarkAnalyze measures throughput (MB/s) and peak live heap per novel,
// and on each adversarial text.
func BenchmarkAnalyze(b *testing.B) {
	for _, name := range append(novels, slices.Sorted(maps.Keys(adversarial))...) {
		b.Run(name, func(b *testing.B) {
			text, ok := adversarial[name]
			if !ok {
				text = loadNovel(b, name)
			}
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			runtime.GC()
			h := startHeapSampler()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := Analyze(context.Background(), text, Options{}); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(h.Stop())/(1<<20), "peak-heap-MB")
		})
	}
}
