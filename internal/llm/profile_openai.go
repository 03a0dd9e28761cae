package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Bounds of a refined profile, in characters (goals in words).
const (
	maxProfileDescription = 600
	maxProfileBackstory   = 1200
	maxProfileStyle       = 800
	maxProfileGoals       = 5
	maxProfileGoalWords   = 12
	// profileEvidenceLines is how many of the character's lines the prompt quotes.
	profileEvidenceLines = 30
)

// Profile is a book character's persona: what a cast is created with.
type Profile struct {
	Description   string   `json:"description"`
	Backstory     string   `json:"backstory"`
	SpeakingStyle string   `json:"speaking_style"`
	Goals         []string `json:"goals"`
}

// ProfileEvidence is what a book says of a character, gathered offline, with the profile
// drawn from it without a model (Draft).
type ProfileEvidence struct {
	Name, Book string
	Draft      Profile
	// Lines are the character's own lines, confidently attributed.
	Lines []string
}

// ProfileWriter refines a book character's profile from the evidence.
type ProfileWriter interface {
	RefineProfile(ctx context.Context, ev ProfileEvidence) (Profile, error)
}

// ErrInvalidProfile is a model's profile that failed validation twice.
var ErrInvalidProfile = errors.New("invalid profile")

var _ ProfileWriter = (*OpenAI)(nil)

// RefineProfile asks the model to rewrite the draft profile from the evidence, as a JSON
// object under a strict schema, and validates it (see validateProfile); an invalid answer
// is asked for once more with what was wrong. It returns an error when the endpoint fails
// or the answer is invalid twice: the caller keeps the draft.
func (c *OpenAI) RefineProfile(ctx context.Context, ev ProfileEvidence) (Profile, error) {
	msgs := []chatMessage{
		{Role: "system", Content: profileSystemPrompt},
		{Role: "user", Content: profilePrompt(ev)},
	}
	format := &responseFormat{Type: "json_schema", JSONSchema: jsonSchemaSpec{Name: "character_profile", Strict: true, Schema: profileSchema()}}
	for invalid := 0; ; {
		body, err := json.Marshal(sceneChatRequest{Model: c.model, Messages: msgs, Stream: true, ResponseFormat: format})
		if err != nil {
			return Profile{}, fmt.Errorf("llm %s: encoding profile request: %w", c.model, err)
		}
		reply, err := c.send(ctx, body, nil)
		switch {
		case ctx.Err() != nil:
			return Profile{}, fmt.Errorf("llm %s: profile of %s: %w", c.model, ev.Name, ctx.Err())
		case errors.Is(err, ErrRejected) && format != nil:
			// Servers without structured output may refuse the field; the prompt asks for
			// the same JSON.
			format = nil
			continue
		case err != nil:
			return Profile{}, fmt.Errorf("llm %s: profile of %s: %w", c.model, ev.Name, err)
		}
		p, problem := validateProfile(reply.Text)
		if problem == "" {
			return p, nil
		}
		if invalid++; invalid == 2 {
			return Profile{}, fmt.Errorf("llm %s: profile of %s: %w: %s", c.model, ev.Name, ErrInvalidProfile, problem)
		}
		msgs = append(msgs,
			chatMessage{Role: "assistant", Content: reply.Text},
			chatMessage{Role: "user", Content: "That answer cannot be used: " + problem + ". Answer again with only the JSON object, as described."},
		)
	}
}

const profileSystemPrompt = `You write the persona of a character of a novel for an interactive cast, from the evidence of the text only.
Answer with a JSON object: "description" (who they are and what they are like, in a sentence or two, as the novel presents them),
"backstory" (their place in the story and their ties to the others, in words), "speaking_style" (how they talk: register, length,
habits, favourite words, with one or two short lines of theirs quoted), "goals" (up to five short phrases of what they want in the
text, most important first; an empty list rather than a guess). Write prose a reader would write: no numbers, counts or statistics,
nothing the evidence does not support, and never another character's traits.`

func profilePrompt(ev ProfileEvidence) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Character: %s, of %s.\n\nDraft profile (improve it, keep what the evidence supports):\n", ev.Name, ev.Book)
	draft, _ := json.Marshal(ev.Draft)
	b.Write(draft)
	if len(ev.Lines) > 0 {
		b.WriteString("\n\nSome of their own lines:\n")
		for _, l := range ev.Lines[:min(profileEvidenceLines, len(ev.Lines))] {
			b.WriteString("- \u201c" + l + "\u201d\n")
		}
	}
	return b.String()
}

func profileSchema() map[string]any {
	str := map[string]any{"type": "string"}
	return map[string]any{
		"type": "object",
		"properties": map[string]any{
			"description": str, "backstory": str, "speaking_style": str,
			"goals": map[string]any{"type": "array", "items": str},
		},
		"required":             []string{"description", "backstory", "speaking_style", "goals"},
		"additionalProperties": false,
	}
}

// profileStatistic is a count written into prose, which a persona must not read as.
var profileStatistic = regexp.MustCompile(`(?i)\d|\bmentioned\b.*\btimes\b|\blines of dialogue\b|\bquotes?\b.*\battributed\b`)

// validateProfile parses a model's profile and says what is wrong with it, "" if nothing.
func validateProfile(text string) (Profile, string) {
	var p Profile
	if err := json.Unmarshal([]byte(strings.TrimSpace(text)), &p); err != nil {
		return p, "not a JSON object with description, backstory, speaking_style and goals"
	}
	p.Description, p.Backstory, p.SpeakingStyle = strings.TrimSpace(p.Description), strings.TrimSpace(p.Backstory), strings.TrimSpace(p.SpeakingStyle)
	for _, f := range []struct {
		name, text string
		max        int
	}{
		{"description", p.Description, maxProfileDescription},
		{"backstory", p.Backstory, maxProfileBackstory},
		{"speaking_style", p.SpeakingStyle, maxProfileStyle},
	} {
		switch n := utf8.RuneCountInString(f.text); {
		case n < 20:
			return p, f.name + " is empty or too short"
		case n > f.max:
			return p, fmt.Sprintf("%s is longer than %d characters", f.name, f.max)
		case profileStatistic.MatchString(f.text):
			return p, f.name + " holds numbers or statistics; write it in words"
		}
	}
	if len(p.Goals) > maxProfileGoals {
		return p, fmt.Sprintf("more than %d goals", maxProfileGoals)
	}
	goals := []string{}
	for _, g := range p.Goals {
		g = strings.TrimSpace(g)
		if n := len(strings.Fields(g)); n < 2 || n > maxProfileGoalWords || profileStatistic.MatchString(g) {
			return p, fmt.Sprintf("goal %q is not a short phrase in words", g)
		}
		goals = append(goals, g)
	}
	p.Goals = goals
	return p, ""
}
