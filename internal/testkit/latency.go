package testkit

import (
	"slices"
	"time"
)

// PercentileMS is the p-th percentile (0..1) of latencies, in milliseconds, for
// benchmarks that report p50 and p95. It sorts d.
func PercentileMS(d []time.Duration, p float64) float64 {
	slices.Sort(d)
	return float64(d[int(p*float64(len(d)-1))].Microseconds()) / 1000
}
