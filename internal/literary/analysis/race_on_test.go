//go:build race

package analysis

// raceEnabled reports whether the race detector is on; the slowest corpus
// checks are skipped under it.
const raceEnabled = true
