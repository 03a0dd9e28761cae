package graphqlws

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestTruncateReason(t *testing.T) {
	words := strings.Repeat("credentials ", 20) // 240 bytes, a space every 12
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"short stays", "Forbidden: invalid token", "Forbidden: invalid token"},
		{"exactly the limit stays", strings.Repeat("a", maxCloseReason), strings.Repeat("a", maxCloseReason)},
		{"cut at the last word that fits", words, strings.TrimSpace(words[:10*12]) + "…"},
		{"one long word is cut at a rune", strings.Repeat("x", 300), strings.Repeat("x", 120) + "…"},
		{"a multibyte rune is never split", "é" + strings.Repeat("ü", 100), "é" + strings.Repeat("ü", 59) + "…"},
		{"a four-byte rune across the limit", "ab" + strings.Repeat("😀", 40), "ab" + strings.Repeat("😀", 29) + "…"},
		{"invalid UTF-8 is replaced", "bad \xff byte", "bad \uFFFD byte"},
		{"an early space does not cost the reason", "Forbidden: " + strings.Repeat("y", 200), "Forbidden: " + strings.Repeat("y", 109) + "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := truncateReason(tt.in)
			if got != tt.want {
				t.Fatalf("truncateReason(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if len(got) > maxCloseReason || !utf8.ValidString(got) {
				t.Fatalf("%q: %d bytes, valid UTF-8 %v", got, len(got), utf8.ValidString(got))
			}
		})
	}
}
