package llm

import (
	"context"
	"testing"
)

// BenchmarkOfflineScene is the offline storyteller's share of a scene turn (bench scenes
// runs it a hundred times a second): the lines of a played scene asked for again, with
// twelve lines of history and every earlier line to avoid.
func BenchmarkOfflineScene(b *testing.B) {
	run := playScene(b, manorCast(), "Victorian Garden", "Tense", "The family will has gone missing.", 40, 7)
	o := NewOffline()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := o.Scene(ctx, run.requests[i%len(run.requests)], nil); err != nil {
			b.Fatal(err)
		}
	}
}
