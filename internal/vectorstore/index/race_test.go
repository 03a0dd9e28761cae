//go:build race

package index

// raceEnabled reports whether the race detector is on: it slows float loops
// twentyfold, so quality tests that need no concurrency skip under it.
const raceEnabled = true
