package scenes

import "testing"

// TestQuoted: a book line is read back out of every form casting gives its memory, so a
// book character speaks its own words in scenes, not the frame around them.
func TestQuoted(t *testing.T) {
	for memory, want := range map[string]string{
		"I said: “It is a truth.”": "It is a truth.",
		"At Netherfield, I told Jane, in front of Mr. Bingley: “It is a truth.”": "It is a truth.",
		"I said, in front of Jane and Mr. Darcy: “It is a truth.”":               "It is a truth.",
		"I remember saying: “It is a truth.”":                                    "It is a truth.",
		"In London, I told Mr. Darcy: “It is a truth.”":                          "It is a truth.",
	} {
		if got := quoted(memory); got != want {
			t.Errorf("quoted(%q) = %q, want %q", memory, got, want)
		}
	}
}
