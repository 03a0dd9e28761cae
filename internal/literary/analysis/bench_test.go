package analysis

import (
	"context"
	"runtime"
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

// openQuotation is the worst upload of its kind found so far: one quotation
// left open for 2 MB, every sentence of it a relationship cue with "my" in
// it (cue code that walked back to the quotation's start took 43 s on it).
var openQuotation = "Mr. Hale met Miss Grey. Mr. Hale and Miss Grey talked.\n\n“" +
	strings.Repeat("I told my brother Mr. Hale that I married Miss Grey. ", 40000)

// BenchmarkAnalyze measures throughput (MB/s) and peak live heap per novel,
// and on openQuotation, whose throughput should be of the novels' order.
func BenchmarkAnalyze(b *testing.B) {
	for _, name := range append(novels, "open_quotation") {
		b.Run(name, func(b *testing.B) {
			text := openQuotation
			if name != "open_quotation" {
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
