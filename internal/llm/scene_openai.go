package llm

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Bounds of a scene line from a model.
const (
	// maxSceneLineRunes rejects a "line" that is really a chapter.
	maxSceneLineRunes = 2000
	// sceneJSONTokens is how many tokens beyond MaxTokens are asked for: room for the JSON
	// around the line, and the deltas.
	sceneJSONTokens = 200
	// voiceSamples is how many of the speaker's book lines the prompt quotes: enough to
	// show a voice, few enough to leave the model room.
	voiceSamples = 8
	// avoidInPrompt is how many of the lines to avoid the prompt lists, the latest.
	avoidInPrompt = 20
)

// Reasons the offline storyteller wrote a line a model was asked for (SceneLine.Fallback).
const (
	fallbackInvalid = "invalid structured output twice"
)

// sceneChatRequest is the body of a scene line's POST /chat/completions.
type sceneChatRequest struct {
	Model          string          `json:"model"`
	Messages       []chatMessage   `json:"messages"`
	Stream         bool            `json:"stream"`
	MaxTokens      int             `json:"max_tokens,omitempty"`
	ResponseFormat *responseFormat `json:"response_format,omitempty"`
}

// responseFormat asks for structured output: a JSON object that follows a schema.
type responseFormat struct {
	Type       string         `json:"type"`
	JSONSchema jsonSchemaSpec `json:"json_schema"`
}

// jsonSchemaSpec is the schema of a structured output, named as the API requires.
type jsonSchemaSpec struct {
	Name   string         `json:"name"`
	Strict bool           `json:"strict"`
	Schema map[string]any `json:"schema"`
}

// sceneOutput is the JSON object a model answers with.
type sceneOutput struct {
	Line      string          `json:"line"`
	Addressee string          `json:"addressee"`
	Emotion   string          `json:"emotion"`
	Intensity json.RawMessage `json:"intensity"`
	Deltas    []struct {
		From        string  `json:"from"`
		To          string  `json:"to"`
		Strength    float64 `json:"strength"`
		Trust       float64 `json:"trust"`
		Familiarity float64 `json:"familiarity"`
	} `json:"deltas"`
}

// Scene asks the model for the speaker's line as a JSON object under a strict schema (see
// sceneSchema): the line, its addressee, emotion, intensity and relationship deltas. The
// request is streamed, so that a stalled model shows up at the first-token timeout, but the
// line is sent to onDelta only once validated, word by word. Output is validated (see
// validateScene); invalid output is asked for once more, with what was wrong. When it is
// invalid again, or the endpoint is unavailable or refuses the request (even without the
// schema, which some servers reject), the offline storyteller writes the line and
// Fallback says why. Transport failures are retried as in Generate. When ctx ends, Scene
// returns ctx's error, wrapped, never a fallback.
func (c *OpenAI) Scene(ctx context.Context, req SceneRequest, onDelta func(string)) (SceneLine, error) {
	s := newSceneComposer(req, rand.New(rand.NewPCG(hashScene(req), pcgStream)))
	msgs := []chatMessage{
		{Role: "system", Content: sceneSystemPrompt(s)},
		{Role: "user", Content: sceneTranscript(s)},
	}
	format := &responseFormat{Type: "json_schema", JSONSchema: jsonSchemaSpec{Name: "scene_line", Strict: true, Schema: sceneSchema(s)}}
	invalid := 0
	for {
		body, err := json.Marshal(sceneChatRequest{
			Model: c.model, Messages: msgs, Stream: true, MaxTokens: sceneTokenLimit(req.MaxTokens), ResponseFormat: format,
		})
		if err != nil {
			return SceneLine{Model: c.model}, fmt.Errorf("llm %s: encoding request: %w", c.model, err)
		}
		reply, err := c.send(ctx, body, nil)
		switch {
		case ctx.Err() != nil:
			return SceneLine{Model: c.model}, fmt.Errorf("llm %s: %w", c.model, ctx.Err())
		case errors.Is(err, ErrRejected) && format != nil:
			// Servers without structured output may refuse the field; the prompt asks for
			// the same JSON, so ask once more without it.
			format = nil
			continue
		case err != nil:
			return c.fallback(ctx, req, onDelta, fallbackReason(err))
		}
		line, problem := validateScene(s, reply.Text)
		if problem == "" {
			line.Model, line.FinishReason = c.model, reply.FinishReason
			if onDelta != nil {
				for _, p := range pieces(line.Text) {
					onDelta(p)
				}
			}
			return line, nil
		}
		if invalid++; invalid == 2 {
			return c.fallback(ctx, req, onDelta, fallbackInvalid+": "+problem)
		}
		msgs = append(msgs,
			chatMessage{Role: "assistant", Content: reply.Text},
			chatMessage{Role: "user", Content: "That answer cannot be used: " + problem + ". Answer again with only the JSON object, as described."},
		)
	}
}

// fallback has the offline storyteller write the line, saying why.
func (c *OpenAI) fallback(ctx context.Context, req SceneRequest, onDelta func(string), reason string) (SceneLine, error) {
	line, err := NewOffline().Scene(ctx, req, onDelta)
	if err != nil {
		return line, err
	}
	line.Fallback = reason
	return line, nil
}

// fallbackReason says why a request failed, starting with the kind of failure
// ("endpoint unavailable", "request rejected", "reply interrupted").
func fallbackReason(err error) string {
	for _, sentinel := range []error{ErrUnavailable, ErrRejected, ErrInterrupted} {
		if errors.Is(err, sentinel) {
			return sentinel.Error() + ": " + err.Error()
		}
	}
	return ErrUnavailable.Error() + ": " + err.Error()
}

// sceneTokenLimit is the max_tokens sent for a scene line: room for the JSON on top of
// MaxTokens, or 0 (no limit).
func sceneTokenLimit(maxTokens int) int {
	if maxTokens <= 0 {
		return 0
	}
	return maxTokens + sceneJSONTokens
}

// sceneSchema is the strict JSON schema of a scene line: the addressee and the names in
// deltas can only be the characters of the scene, the emotion only one of Emotions.
func sceneSchema(s *sceneComposer) map[string]any {
	names := []string{s.name}
	addressees := []any{""}
	for _, p := range s.present {
		names = append(names, p.Name)
		addressees = append(addressees, p.Name)
	}
	nameEnum := make([]any, len(names))
	for i, n := range names {
		nameEnum[i] = n
	}
	emotionEnum := make([]any, len(emotions))
	for i, e := range emotions {
		emotionEnum[i] = e
	}
	number := map[string]any{"type": "number"}
	return map[string]any{
		"type":                 "object",
		"additionalProperties": false,
		"required":             []string{"line", "addressee", "emotion", "intensity", "deltas"},
		"properties": map[string]any{
			"line":      map[string]any{"type": "string"},
			"addressee": map[string]any{"type": "string", "enum": addressees},
			"emotion":   map[string]any{"type": "string", "enum": emotionEnum},
			"intensity": number,
			"deltas": map[string]any{
				"type": "array",
				"items": map[string]any{
					"type":                 "object",
					"additionalProperties": false,
					"required":             []string{"from", "to", "strength", "trust", "familiarity"},
					"properties": map[string]any{
						"from":     map[string]any{"type": "string", "enum": nameEnum},
						"to":       map[string]any{"type": "string", "enum": nameEnum},
						"strength": number, "trust": number, "familiarity": number,
					},
				},
			},
		},
	}
}

// sceneSystemPrompt describes the speaker, the scene, the speaker's relationships, its
// book voice, the director's instruction and the answer's format.
func sceneSystemPrompt(s *sceneComposer) string {
	r, p, name := s.req, s.req.Speaker, s.name
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	field := func(label, value string) {
		if value = strings.Join(strings.Fields(value), " "); value != "" {
			line("%s: %s", label, value)
		}
	}
	line("You are %s, a character in a scene with others. Stay in character at all times.", name)
	line("")
	field("Who you are", p.Description)
	field("Your backstory", p.Backstory)
	field("How you speak", p.SpeakingStyle)
	list(&b, "Your goals, most important first:", p.Goals)
	if p.Traits.known() {
		line("Your personality: %s.", describeTraits(p.Traits))
	}
	field("You currently feel", p.Emotion)
	switch energy := clamp01(p.SocialEnergy); {
	case energy < 0.3:
		line("You are drained and not in the mood for talk; you keep it short.")
	case energy > 0.75:
		line("You are full of energy and glad to talk.")
	}
	line("")
	field("The setting", r.Setting)
	field("The mood of the scene", r.Mood)
	field("What is going on", r.Premise)
	field("Your role in this scene", r.Role)
	field("Your goal in this scene", r.Goal)
	field("Your secret (only you know it; never state it outright: you may hint at it, act on it or deflect)", r.Secret)
	list(&b, "What you remember that matters now, most relevant first (your own memories):", r.Memories)
	if len(s.present) > 0 {
		line("Who is here besides you:")
		for _, o := range s.present {
			b.WriteString("- " + describePresent(o) + "\n")
		}
	}
	if samples := s.voiceSamples(); len(samples) > 0 {
		list(&b, "Lines you have said before, in your own voice; speak like this (you may reuse them when they fit):", samples)
	}
	line("")
	if s.to != nil {
		line("Address %s with this line, unless the scene clearly calls for someone else.", s.to.Name)
	} else {
		line("Speak to everyone present, unless the scene clearly calls for someone in particular.")
	}
	field("The director asks this line to do this, and it must", r.Direction)
	if n := len(s.avoid); n > 0 {
		list(&b, "Never repeat any of these lines, already said:", s.avoid[max(n-avoidInPrompt, 0):])
	}
	line("")
	line("Answer with a JSON object only, with these fields:")
	line(`- "line": only %s's next line, in the first person, as %s would say it; no name before it, no narration; an action in *asterisks* only rarely.`, name, name)
	line(`- "addressee": the name of the one character the line is spoken to, or "" for everyone.`)
	line(`- "emotion": how you feel as you say it, one of %s.`, strings.Join(emotions[:], ", "))
	line(`- "intensity": how strongly, from 0 to 1.`)
	line(`- "deltas": how the line changes relationships, a list of {"from", "to", "strength", "trust", "familiarity"}, from you to the addressee, from the addressee to you, or from someone who watches and is touched by it. Names are those of the characters here. Changes are small: strength -0.15 to 0.15, trust -0.1 to 0.1, familiarity 0 to 0.05, usually a few hundredths. Hostile words push strength and trust down, warm ones up; familiarity grows a little whenever two people talk.`)
	if r.MaxTokens > 0 {
		line("Keep the line under about %d words.", max(r.MaxTokens*3/4, 1))
	}
	return strings.TrimSpace(b.String())
}

// describePresent says who a present character is to the speaker, and the speaker to
// them.
func describePresent(o Present) string {
	var b strings.Builder
	b.WriteString(o.Name)
	if role := strings.TrimSpace(o.Role); role != "" {
		b.WriteString(" (" + role + ")")
	}
	if o.Bond == nil {
		b.WriteString(": you have no particular relationship with them")
	} else {
		// describeListener's words, without its "You are speaking with <name>".
		rest := strings.TrimPrefix(describeListener(o.Name, o.Bond), "You are speaking with "+o.Name)
		b.WriteString(strings.TrimSuffix(rest, "."))
		fmt.Fprintf(&b, " (strength %.2f, trust %.2f, familiarity %.2f)", clampSigned(o.Bond.Strength), clamp01(o.Bond.Trust), clamp01(o.Bond.Familiarity))
	}
	if o.BondBack != nil {
		fmt.Fprintf(&b, "; towards you: strength %.2f, trust %.2f", clampSigned(o.BondBack.Strength), clamp01(o.BondBack.Trust))
		if t := strings.TrimSpace(o.BondBack.Type); t != "" {
			b.WriteString(", " + strings.ToLower(t))
		}
	}
	return b.String() + "."
}

// voiceSamples returns the speaker's book lines that best fit the moment (see unitScore),
// nothing if it has no book voice.
func (s *sceneComposer) voiceSamples() []string {
	if s.voice == nil {
		return nil
	}
	q := s.voiceQuery()
	type scored struct {
		text  string
		score float64
	}
	var all []scored
	for _, u := range s.voice.units {
		all = append(all, scored{u.text, s.unitScore(u, q)})
	}
	slices.SortStableFunc(all, func(a, b scored) int { return cmp.Compare(b.score, a.score) })
	var out []string
	for _, sc := range all {
		if len(out) == voiceSamples {
			break
		}
		if !slices.ContainsFunc(out, func(o string) bool { return strings.Contains(o, sc.text) || strings.Contains(sc.text, o) }) {
			out = append(out, sc.text)
		}
	}
	return out
}

// sceneTranscript is the user message: the scene's last lines, each with who said it, and
// the call to speak.
func sceneTranscript(s *sceneComposer) string {
	var b strings.Builder
	if len(s.req.History) > 0 {
		b.WriteString("The scene so far:\n")
		for _, t := range s.req.History {
			text := strings.Join(strings.Fields(t.Text), " ")
			switch speaker := strings.TrimSpace(t.Speaker); {
			case text == "":
			case t.FromUser:
				fmt.Fprintf(&b, "%s (a visitor): %s\n", cmp.Or(speaker, "Someone"), text)
			case speaker == "" || strings.EqualFold(speaker, "narrator"):
				fmt.Fprintf(&b, "(%s)\n", text)
			default:
				fmt.Fprintf(&b, "%s: %s\n", speaker, text)
			}
		}
		b.WriteString("\n")
		fmt.Fprintf(&b, "It is your turn to speak, as %s. Answer with the JSON object only.", s.name)
	} else {
		fmt.Fprintf(&b, "The scene begins. Speak first, as %s. Answer with the JSON object only.", s.name)
	}
	return b.String()
}

// validateScene reads a model's answer into a line, or says what is wrong with it. It
// accepts the JSON object alone, in a ```json fence, or with text around it. The line
// must be non-empty, at most maxSceneLineRunes, not one to avoid, and must not state the
// secret word for word (unless the director asked for it); an addressee not present
// becomes the room; an unknown emotion is read from the line; intensity is clamped; deltas
// between names not in the scene, or from a character to itself, are dropped, the others
// clamped.
func validateScene(s *sceneComposer, content string) (SceneLine, string) {
	raw := strings.TrimSpace(content)
	if rest, ok := strings.CutPrefix(raw, "```"); ok {
		if nl := strings.IndexByte(rest, '\n'); nl >= 0 {
			rest = rest[nl+1:]
		}
		raw = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "```"))
	}
	i, j := strings.IndexByte(raw, '{'), strings.LastIndexByte(raw, '}')
	if i < 0 || j < i {
		return SceneLine{}, "no JSON object"
	}
	var out sceneOutput
	if err := json.Unmarshal([]byte(raw[i:j+1]), &out); err != nil {
		return SceneLine{}, "not valid JSON: " + err.Error()
	}

	text := strings.TrimSpace(out.Line)
	if rest, ok := strings.CutPrefix(text, s.name+":"); ok {
		text = strings.TrimSpace(rest)
	}
	if len(text) >= 2 && (text[0] == '"' && text[len(text)-1] == '"') {
		text = strings.TrimSpace(text[1 : len(text)-1])
	}
	switch {
	case text == "":
		return SceneLine{}, `"line" is empty`
	case utf8.RuneCountInString(text) > maxSceneLineRunes:
		return SceneLine{}, fmt.Sprintf(`"line" is longer than %d characters`, maxSceneLineRunes)
	case slices.Contains(s.avoid, text):
		return SceneLine{}, `"line" repeats a line already said`
	case s.secret.text != "" && !s.dir.reveal && strings.Contains(normalizeLine(text), normalizeLine(s.secret.text)):
		return SceneLine{}, `"line" states the secret outright`
	}

	line := SceneLine{Text: text}
	if p := s.resolveName(out.Addressee); p != "" && p != s.name {
		line.Addressee = p
	}
	emotion, ok := NormalizeEmotion(out.Emotion)
	intensity := parseIntensity(out.Intensity)
	if !ok {
		emotion, intensity = Emotion(text)
	}
	if emotion == EmotionNeutral {
		intensity = 0
	}
	line.Emotion, line.Intensity = emotion, clamp01(intensity)

	for _, d := range out.Deltas {
		from, to := s.resolveName(d.From), s.resolveName(d.To)
		if from == "" || to == "" || from == to {
			continue
		}
		delta := ClampDelta(SceneDelta{From: from, To: to, Strength: d.Strength, Trust: d.Trust, Familiarity: d.Familiarity})
		if slices.ContainsFunc(line.Deltas, func(x SceneDelta) bool { return x.From == from && x.To == to }) {
			continue // the first change of a pair stands; a model that repeats itself is not doubled
		}
		if delta.Strength != 0 || delta.Trust != 0 || delta.Familiarity != 0 {
			line.Deltas = append(line.Deltas, delta)
		}
	}
	return line, ""
}

// parseIntensity reads an intensity given as a number or as a numeric string, 0 when it is
// neither.
func parseIntensity(raw json.RawMessage) float64 {
	var f float64
	if json.Unmarshal(raw, &f) == nil {
		return f
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		if f, err := strconv.ParseFloat(strings.TrimSpace(str), 64); err == nil {
			return f
		}
	}
	return 0
}

// resolveName returns the name, as the request spells it, of the speaker or a present
// character called name (in any case, or by first name or surname when unambiguous); ""
// for anyone else.
func (s *sceneComposer) resolveName(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		return ""
	}
	if strings.EqualFold(name, s.name) {
		return s.name
	}
	if p := s.presentByName(name); p != nil {
		return p.Name
	}
	return ""
}
