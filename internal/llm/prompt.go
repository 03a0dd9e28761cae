package llm

import (
	"fmt"
	"strings"
)

// chatMessage is one message of a chat completions request.
type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// messages builds the conversation sent to a chat model: a system message describing the
// character and the rules of the reply, the history, and the line to answer.
//
// Lines of the speaker are the assistant's, every other line (the user's, other
// characters') is the user's, prefixed with who said it so that the model can tell the
// speakers apart. Consecutive messages of the same role are merged, since the chat
// templates of some local models (Mistral's, Llama 2's) reject two user messages in a row.
func messages(req Request) []chatMessage {
	name := strings.TrimSpace(req.Character.Name)
	out := []chatMessage{{Role: "system", Content: systemPrompt(req)}}
	push := func(role, content string) {
		content = strings.TrimSpace(content)
		if content == "" {
			return
		}
		if last := &out[len(out)-1]; last.Role == role {
			last.Content += "\n" + content
			return
		}
		out = append(out, chatMessage{Role: role, Content: content})
	}
	for _, t := range req.History {
		if !t.FromUser && strings.TrimSpace(t.Speaker) == name {
			push("assistant", t.Text)
			continue
		}
		push("user", attributed(t.Speaker, t.Text))
	}
	switch {
	case strings.TrimSpace(req.Message) != "":
		push("user", attributed(req.Listener, req.Message))
	case len(req.History) == 0:
		push("user", fmt.Sprintf("(The scene begins. Speak first, as %s.)", name))
	default:
		push("user", fmt.Sprintf("(It is your turn to speak, as %s.)", name))
	}
	return out
}

// attributed prefixes a line with its speaker, when known.
func attributed(speaker, text string) string {
	if speaker = strings.TrimSpace(speaker); speaker != "" && strings.TrimSpace(text) != "" {
		return speaker + ": " + strings.TrimSpace(text)
	}
	return text
}

// systemPrompt describes the speaking character, their situation and the rules of the
// reply, ending with the emotion tag that the client strips from the reply (see
// tagFilter).
func systemPrompt(req Request) string {
	p := req.Character
	name := strings.TrimSpace(p.Name)
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	field := func(label, value string) {
		if value = strings.TrimSpace(value); value != "" {
			line("%s: %s", label, value)
		}
	}

	line("You are %s, a character in an ongoing story. Stay in character at all times.", name)
	line("")
	field("Who you are", p.Description)
	field("Your backstory", p.Backstory)
	field("How you speak", p.SpeakingStyle)
	list(&b, "Your goals, most important first:", p.Goals)
	if p.Traits.known() {
		line("Your personality: %s.", describeTraits(p.Traits))
	}
	if e := strings.TrimSpace(p.Emotion); e != "" {
		line("You currently feel: %s.", e)
	}
	switch energy := clamp01(p.SocialEnergy); {
	case energy < 0.3:
		line("You are drained and not in the mood for talk; you keep it short.")
	case energy > 0.75:
		line("You are full of energy and glad to talk.")
	}
	line("%s", describeListener(req.Listener, req.Relationship))
	field("The scene", req.Scene)
	list(&b, "What you remember that matters now, most relevant first:", req.Memories)

	line("")
	line("How to reply:")
	line("- Write only %s's next line of dialogue, in the first person, as %s would say it.", name, name)
	line("- No stage directions, no actions in asterisks or brackets, no narration, and do not start with your name.")
	line("- Never say that you are an AI, a model or a character in a story.")
	if req.MaxTokens > 0 {
		line("- Keep it under about %d words.", max(req.MaxTokens*3/4, 1))
	}
	line("- End with one final line of exactly this form: [emotion: <label>], where <label> is whichever of %s best describes how you feel as you say it.",
		strings.Join(emotions[:], ", "))
	return strings.TrimSpace(b.String())
}

// list writes a heading and a bullet list of the non-blank items, nothing if there are none.
func list(b *strings.Builder, heading string, items []string) {
	var kept []string
	for _, it := range items {
		if it = strings.Join(strings.Fields(it), " "); it != "" {
			kept = append(kept, it)
		}
	}
	if len(kept) == 0 {
		return
	}
	b.WriteString(heading + "\n")
	for _, it := range kept {
		b.WriteString("- " + it + "\n")
	}
}

// traitWords describes each Big Five trait when high and when low; middling values are
// not worth the model's attention.
var traitWords = []struct{ high, low string }{
	{"curious and imaginative", "conventional and practical"},
	{"organised and dutiful", "spontaneous and careless"},
	{"outgoing and talkative", "reserved and quiet"},
	{"warm and cooperative", "blunt and combative"},
	{"anxious and easily upset", "calm and even-tempered"},
}

// describeTraits puts a personality into words, e.g. "very outgoing and talkative, calm
// and even-tempered, otherwise balanced".
func describeTraits(t Traits) string {
	var parts []string
	for i, v := range []float64{t.Openness, t.Conscientiousness, t.Extraversion, t.Agreeableness, t.Neuroticism} {
		v = clamp01(v)
		switch {
		case v >= 0.85:
			parts = append(parts, "very "+traitWords[i].high)
		case v >= 0.65:
			parts = append(parts, traitWords[i].high)
		case v <= 0.15:
			parts = append(parts, "very "+traitWords[i].low)
		case v <= 0.35:
			parts = append(parts, traitWords[i].low)
		}
	}
	if len(parts) == 0 {
		return "even and balanced in every way"
	}
	if len(parts) < 5 {
		parts = append(parts, "otherwise balanced")
	}
	return strings.Join(parts, ", ")
}

// describeListener says whom the character speaks with, and how they stand with them.
func describeListener(listener string, b *Bond) string {
	listener = strings.TrimSpace(listener)
	if listener == "" {
		return "You are speaking to everyone present."
	}
	if b == nil {
		return fmt.Sprintf("You are speaking with %s, with whom you have no particular relationship.", listener)
	}
	kind := ""
	if t := strings.ToLower(strings.TrimSpace(b.Type)); t != "" {
		kind = fmt.Sprintf(" (your relationship: %s)", t)
	}
	var feeling, trust, familiarity string
	switch s := clampSigned(b.Strength); {
	case s <= -0.6:
		feeling = "you feel real hostility towards them"
	case s <= -0.2:
		feeling = "you dislike them"
	case s < 0.2:
		feeling = "you feel neither warm nor cold towards them"
	case s < 0.6:
		feeling = "you are fond of them"
	default:
		feeling = "you are deeply attached to them"
	}
	switch t := clamp01(b.Trust); {
	case t < 0.25:
		trust = "you do not trust them"
	case t < 0.5:
		trust = "you are wary of them"
	case t < 0.75:
		trust = "you mostly trust them"
	default:
		trust = "you trust them completely"
	}
	switch f := clamp01(b.Familiarity); {
	case f < 0.2:
		familiarity = "you barely know them"
	case f < 0.5:
		familiarity = "you know them a little"
	case f < 0.8:
		familiarity = "you know them well"
	default:
		familiarity = "you know them intimately"
	}
	return fmt.Sprintf("You are speaking with %s%s: %s, %s, and %s.", listener, kind, feeling, trust, familiarity)
}
