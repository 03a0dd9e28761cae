package llm

import (
	"strings"
	"testing"
)

// TestTagFilterAnySplit proves that the tag filter's output does not depend on how the
// reply is cut into pieces: for every way of splitting each reply into two or three
// pieces, and into single bytes, the emitted text and the label are the same, and no
// piece emitted contains a tag or the start of one.
func TestTagFilterAnySplit(t *testing.T) {
	tests := []struct {
		reply, wantText, wantLabel string
	}{
		{"Hello there.\n[emotion: joy]", "Hello there.", EmotionJoy},
		{"  \nHello [emotion: trust] again.\n", "Hello again.", EmotionTrust},
		{"Yes.[EMOTION = Fear ]", "Yes.", EmotionFear},
		{"A [note] and [emoji] and [ emotion ] here.", "A [note] and [emoji] and [ emotion ] here.", ""},
		{"Ends with a bracket [", "Ends with a bracket", ""},
		{"Two tags [emotion: anger] then [emotion: sadness]", "Two tags then", EmotionSadness},
		{"[emotion: surprise] Oh!", "Oh!", EmotionSurprise},
		{"Unicode — naïve café.\n[emotion: neutral]", "Unicode — naïve café.", EmotionNeutral},
		{"Label too long [emotion: " + strings.Repeat("a", 30) + "]", "Label too long [emotion: " + strings.Repeat("a", 30) + "]", ""},
	}
	run := func(pieces []string) (string, string, []string) {
		var f tagFilter
		var out []string
		for _, p := range pieces {
			if s := f.write(p); s != "" {
				out = append(out, s)
			}
		}
		label, _ := f.emotion()
		return strings.Join(out, ""), label, out
	}
	for _, tt := range tests {
		var splits [][]string
		splits = append(splits, []string{tt.reply}, strings.Split(tt.reply, ""))
		for i := 0; i <= len(tt.reply); i++ {
			splits = append(splits, []string{tt.reply[:i], tt.reply[i:]})
			for j := i; j <= len(tt.reply); j++ {
				splits = append(splits, []string{tt.reply[:i], tt.reply[i:j], tt.reply[j:]})
			}
		}
		for _, pieces := range splits {
			text, label, out := run(pieces)
			if text != tt.wantText || label != tt.wantLabel {
				t.Fatalf("pieces %q: text %q, label %q; want %q, %q", pieces, text, label, tt.wantText, tt.wantLabel)
			}
			for _, o := range out {
				if strings.Contains(tt.wantText, "[emotion:") {
					break // a label too long is no tag, and is shown
				}
				if strings.Contains(strings.ToLower(o), "[emotion:") || strings.Contains(strings.ToLower(o), "[emotion =") {
					t.Fatalf("pieces %q: emitted %q", pieces, o)
				}
			}
		}
	}
}

// TestMatchTag proves the tag grammar: complete, possibly incomplete, and not a tag.
func TestMatchTag(t *testing.T) {
	tests := []struct {
		in        string
		wantN     int
		wantLabel string
	}{
		{"[emotion: joy]", 14, "joy"},
		{"[emotion: joy] more", 14, "joy"},
		{"[Emotion:Anger]", 15, "Anger"},
		{"[ emotion = fear ]", 18, "fear"},
		{"[", 0, ""},
		{"[emo", 0, ""},
		{"[emotion", 0, ""},
		{"[emotion:", 0, ""},
		{"[emotion: sad", 0, "sad"},
		{"[emotion: sad ", 0, "sad"},
		{"[emoji]", -1, ""},
		{"[emotion]", -1, ""},
		{"[emotion: ]", -1, ""},
		{"[emotion: joy!]", -1, ""},
		{"[emotion: very happy]", -1, ""},
	}
	for _, tt := range tests {
		if n, label := matchTag(tt.in); n != tt.wantN || label != tt.wantLabel {
			t.Errorf("matchTag(%q) = %d, %q; want %d, %q", tt.in, n, label, tt.wantN, tt.wantLabel)
		}
	}
}
