package llm

import (
	"slices"
	"strings"
	"testing"
)

// TestMessages proves how a request becomes chat messages: the speaker's own lines are
// the assistant's, everyone else's are the user's with their name, consecutive messages of
// one role merge, blank lines are skipped, and a turn with no message to answer still ends
// with a user message telling the model to speak.
func TestMessages(t *testing.T) {
	name := "Jane"
	tests := []struct {
		name string
		req  Request
		want []chatMessage // after the system message
	}{
		{
			name: "scene start",
			req:  Request{Character: Persona{Name: name}},
			want: []chatMessage{{"user", "(The scene begins. Speak first, as Jane.)"}},
		},
		{
			name: "scene turn after others spoke",
			req: Request{Character: Persona{Name: name}, History: []Turn{
				{Speaker: "Lizzy", Text: "Shall we walk?"},
				{Speaker: "Jane", Text: "  "},
			}},
			want: []chatMessage{{"user", "Lizzy: Shall we walk?\n(It is your turn to speak, as Jane.)"}},
		},
		{
			name: "a user named like the character is still the user",
			req: Request{Character: Persona{Name: name}, Listener: "Jane", Message: "Hi", History: []Turn{
				{Speaker: "Jane", Text: "I am the user", FromUser: true},
				{Speaker: "Jane", Text: "I am the character"},
			}},
			want: []chatMessage{
				{"user", "Jane: I am the user"},
				{"assistant", "I am the character"},
				{"user", "Jane: Hi"},
			},
		},
		{
			name: "anonymous message",
			req:  Request{Character: Persona{Name: name}, Message: " Well? "},
			want: []chatMessage{{"user", "Well?"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := messages(tt.req)
			if got[0].Role != "system" || !slices.Equal(got[1:], tt.want) {
				t.Fatalf("messages = %q, want system then %q", got, tt.want)
			}
		})
	}
}

// TestSystemPromptLeavesOutWhatIsUnknown proves that unknown traits, an empty listener
// and empty fields are not described, and that MaxTokens becomes a word budget.
func TestSystemPromptLeavesOutWhatIsUnknown(t *testing.T) {
	p := systemPrompt(Request{Character: Persona{Name: "Bob", SocialEnergy: 0.1}, MaxTokens: 40})
	for _, absent := range []string{"Your personality", "Who you are", "Your goals", "remember", "The scene", "currently feel"} {
		if strings.Contains(p, absent) {
			t.Errorf("prompt says %q:\n%s", absent, p)
		}
	}
	for _, want := range []string{"You are Bob", "speaking to everyone present", "drained", "under about 30 words", "[emotion: <label>]"} {
		if !strings.Contains(p, want) {
			t.Errorf("prompt lacks %q:\n%s", want, p)
		}
	}
}

// TestDescribe proves the wording of traits and relationships at their extremes.
func TestDescribe(t *testing.T) {
	if got := describeTraits(Traits{0.5, 0.5, 0.5, 0.5, 0.5}); got != "even and balanced in every way" {
		t.Errorf("average traits: %q", got)
	}
	if got := describeTraits(Traits{0.9, 0.1, 0.7, 0.3, 0.5}); got != "very curious and imaginative, very spontaneous and careless, outgoing and talkative, blunt and combative, otherwise balanced" {
		t.Errorf("mixed traits: %q", got)
	}
	warm := describeListener("Jane", &Bond{Type: "FAMILY", Strength: 0.9, Trust: 0.9, Familiarity: 0.95})
	if warm != "You are speaking with Jane (your relationship: family): you are deeply attached to them, you trust them completely, and you know them intimately." {
		t.Errorf("warm: %q", warm)
	}
	cold := describeListener("Wickham", &Bond{Strength: -0.9, Trust: 0, Familiarity: 0.1})
	if cold != "You are speaking with Wickham: you feel real hostility towards them, you do not trust them, and you barely know them." {
		t.Errorf("cold: %q", cold)
	}
	if got := describeListener("Kitty", nil); !strings.Contains(got, "no particular relationship") {
		t.Errorf("no bond: %q", got)
	}
}
