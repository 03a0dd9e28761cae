package resolvers_test

import (
	"testing"
	"time"

	"github.com/literaryai/ensemble/internal/testkit"
)

// BenchmarkSceneTurn runs one four-character scene offline for b.N turns (at most 10,000)
// without pause between turns: the time of a turn from job to committed line, one after
// another, with everything a turn does (choice, recall, composition, deltas, memories,
// events). `ensemble bench scenes` measures many scenes at once.
func BenchmarkSceneTurn(b *testing.B) {
	srv := testkit.NewServer(b)
	c, _ := srv.Register(b, "bench")
	s := newStage(b, c, "bench")
	turns := min(b.N, 10000)
	b.ResetTimer()
	conv := s.run(b, map[string]any{"maxTurns": turns, "paceMs": 0, "seed": 7})
	s.waitFor(b, conv, 10*time.Minute, func(st sceneStatus) bool { return st.Scene.Status == "ENDED" })
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(turns)/1000, "ms/turn")
}
