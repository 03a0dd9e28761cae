package llm

import (
	"slices"
	"strings"
	"testing"
)

// TestEmotion proves that the lexicon classifier labels plain sentences of each emotion,
// handles negation, intensifiers, inflections and the false friends of literary English
// ("I dare say", "Miss Bennet"), and leaves unemotional text neutral with intensity 0.
func TestEmotion(t *testing.T) {
	tests := []struct {
		text string
		want string
	}{
		{"I am so happy to see you!", EmotionJoy},
		{"What a lovely, delightful evening.", EmotionJoy},
		{"How dare you insult my sister!", EmotionAnger},
		{"You are a liar and a scoundrel.", EmotionAnger},
		{"I'm terrified of what comes next.", EmotionFear},
		{"Please, I'm scared, hide me.", EmotionFear},
		{"She died last winter and I miss her.", EmotionSadness},
		{"I was weeping all night, alas.", EmotionSadness},
		{"What?! You sold the house?", EmotionSurprise},
		{"I trust you completely; you have always been loyal.", EmotionTrust},
		{"That man is vile and disgusting.", EmotionDisgust},
		{"I hope the letter comes soon; I am eager to hear.", EmotionAnticipation},
		{"I am not happy about this.", EmotionSadness},
		{"This is terrible news.", EmotionSadness},
		{"I am not afraid of you.", EmotionNeutral},
		{"I dare say the carriage is at the door.", EmotionNeutral},
		{"Miss Bennet walked to Meryton.", EmotionNeutral},
		{"The carriage arrives at noon.", EmotionNeutral},
		{"", EmotionNeutral},
		{"   ", EmotionNeutral},
		{"?!", EmotionSurprise},
		{"He LAUGHED and laughed.", EmotionJoy},
	}
	for _, tt := range tests {
		e, i := Emotion(tt.text)
		if e != tt.want {
			t.Errorf("Emotion(%q) = %s %.2f, want %s", tt.text, e, i, tt.want)
		}
		if i < 0 || i > 1 || (e == EmotionNeutral) != (i == 0) {
			t.Errorf("Emotion(%q) = %s with intensity %v", tt.text, e, i)
		}
	}
}

// TestEmotionIntensity proves that intensifiers, exclamation marks and shouting make an
// emotion more intense, and that one emotional word in a long text makes it less so.
func TestEmotionIntensity(t *testing.T) {
	ordered := []string{
		"It was a long day; we walked by the river and talked of the harvest, the weather, the roads, the prices at market, the neighbours and their plans, and I was sad.",
		"I am sad.",
		"I am so sad.",
		"I am so sad!!",
		"I AM SO SAD!!!",
	}
	prev := 0.0
	for _, text := range ordered {
		e, i := Emotion(text)
		if e != EmotionSadness || i <= prev {
			t.Fatalf("Emotion(%q) = %s %.2f, want sadness stronger than %.2f", text, e, i, prev)
		}
		prev = i
	}
}

// TestNormalizeEmotion proves that labels are matched in any case, synonyms are mapped,
// and unknown words are reported.
func TestNormalizeEmotion(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"joy", EmotionJoy, true},
		{" Anger ", EmotionAnger, true},
		{"HAPPY", EmotionJoy, true},
		{"melancholy", EmotionSadness, true},
		{"worried", EmotionFear, true},
		{"hopeful", EmotionAnticipation, true},
		{"contempt", EmotionDisgust, true},
		{"calm", EmotionNeutral, true},
		{"", EmotionNeutral, false},
		{"chartreuse", EmotionNeutral, false},
	}
	for _, tt := range tests {
		if got, ok := NormalizeEmotion(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("NormalizeEmotion(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	for alias, e := range emotionAliases {
		if !slices.Contains(emotions[:], e) || alias != strings.ToLower(alias) {
			t.Errorf("alias %q maps to %q", alias, e)
		}
	}
}

// TestEmotionsIsACopy proves that Emotions lists the nine labels, neutral first, and that
// changing the returned slice changes nothing.
func TestEmotionsIsACopy(t *testing.T) {
	got := Emotions()
	if len(got) != 9 || got[0] != EmotionNeutral {
		t.Fatalf("Emotions() = %v", got)
	}
	got[0] = "mutated"
	if Emotions()[0] != EmotionNeutral {
		t.Fatal("Emotions() returned the package's own slice")
	}
}

// TestLexiconIsWellFormed proves that every lexicon word is lower case and maps to a
// known emotion or valence with a weight in (0, 1].
func TestLexiconIsWellFormed(t *testing.T) {
	for w, c := range lexicon {
		known := slices.Contains(emotions[:], c.emotion) || c.emotion == valencePositive || c.emotion == valenceNegative
		if w != strings.ToLower(w) || !known || c.weight <= 0 || c.weight > 1 {
			t.Errorf("lexicon[%q] = %+v", w, c)
		}
	}
}
