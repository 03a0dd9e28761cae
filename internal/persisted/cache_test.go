package persisted

import (
	"context"
	"strings"
	"testing"
)

// TestLocalCacheBounds: the cache keeps at most its count of documents and its bytes,
// dropping the least recently used, and never a document over the size cap.
func TestLocalCacheBounds(t *testing.T) {
	ctx := context.Background()
	doc := func(n int) string { return strings.Repeat("x", n) }
	tests := []struct {
		name                      string
		entries, maxBytes, maxDoc int
		sizes                     []int
		want                      []bool
	}{
		{"by count", 2, 1 << 20, 1 << 10, []int{10, 10, 10}, []bool{false, true, true}},
		{"by bytes", 10, 3 * (64 + 100), 1 << 10, []int{100, 100, 100, 100}, []bool{false, true, true, true}},
		{"one large evicts several", 10, 3 * (64 + 100), 1 << 10, []int{100, 100, 100, 250}, []bool{false, false, true, true}},
		{"over the document cap", 10, 1 << 20, 100, []int{101, 100}, []bool{false, true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := NewLocalCache(tc.entries, tc.maxBytes, tc.maxDoc)
			if err != nil {
				t.Fatal(err)
			}
			keys := make([]string, len(tc.sizes))
			for i, n := range tc.sizes {
				d := doc(n) + string(rune('a'+i))
				d = d[1:]
				keys[i] = Hash(d)
				c.Add(ctx, keys[i], d)
			}
			for i, k := range keys {
				if _, ok := c.Get(ctx, k); ok != tc.want[i] {
					t.Errorf("document %d kept %v, want %v", i, ok, tc.want[i])
				}
			}
			if c.bytes > tc.maxBytes {
				t.Errorf("holds %d bytes, over %d", c.bytes, tc.maxBytes)
			}
		})
	}
}
