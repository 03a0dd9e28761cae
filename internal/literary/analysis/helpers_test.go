package analysis

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const dataDir = "../../../../shared/data"

// stripGutenberg keeps the text between the "*** START OF" and "*** END OF"
// lines, normalises line endings to LF and drops a byte-order mark, which is
// what the ingestion package hands to Analyze.
func stripGutenberg(raw string) string {
	raw = strings.TrimPrefix(raw, "\uFEFF")
	raw = strings.ReplaceAll(raw, "\r\n", "\n")
	if i := strings.Index(raw, "*** START OF"); i >= 0 {
		if nl := strings.IndexByte(raw[i:], '\n'); nl >= 0 {
			raw = raw[i+nl+1:]
		}
	}
	for _, end := range []string{"*** END OF", "End of the Project Gutenberg", "End of Project Gutenberg"} {
		if i := strings.Index(raw, end); i >= 0 {
			raw = raw[:i]
		}
	}
	return raw
}

// loadNovel reads a novel from the shared data directory, skipping the test
// when the corpus is not present.
func loadNovel(tb testing.TB, name string) string {
	tb.Helper()
	p := filepath.Join(dataDir, "novels", name+".txt")
	b, err := os.ReadFile(p)
	if err != nil {
		tb.Skipf("novel %s not available (%v); the shared corpus is needed for this test", p, err)
	}
	return stripGutenberg(string(b))
}

// readTestdata decodes the JSON file testdata/name into v.
func readTestdata(t *testing.T, name string, v any) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("testdata/%s: %v", name, err)
	}
}

var novels = []string{"pride_and_prejudice", "alice_in_wonderland", "christmas_carol", "sherlock_holmes", "les_miserables"}
