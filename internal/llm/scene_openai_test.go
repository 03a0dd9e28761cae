package llm

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// sceneJSON is a model's answer as JSON.
func sceneJSON(t *testing.T, answer map[string]any) string {
	t.Helper()
	b, err := json.Marshal(answer)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// validAnswer is a well-formed answer for Alice speaking to Bob.
func validAnswer() map[string]any {
	return map[string]any{
		"line": "Bob, put the decanter down and listen to me.", "addressee": "Bob Marsh",
		"emotion": "anticipation", "intensity": 0.4,
		"deltas": []any{
			map[string]any{"from": "Alice Grey", "to": "Bob Marsh", "strength": 0.02, "trust": 0.01, "familiarity": 0.01},
			map[string]any{"from": "Bob Marsh", "to": "Alice Grey", "strength": -0.01, "trust": 0, "familiarity": 0.01},
		},
	}
}

// streamContent answers with content streamed as a chat completion, in small chunks as a
// model streams JSON.
func streamContent(w http.ResponseWriter, content string) {
	s := startSSE(w)
	for len(content) > 0 {
		n := min(len(content), 7)
		s.content(content[:n])
		content = content[n:]
	}
	s.finish("stop")
	s.done()
}

// wholeContent answers with a non-streamed chat completion.
func wholeContent(w http.ResponseWriter, content string) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion", "model": testModel,
		"choices": []any{map[string]any{"index": 0, "message": map[string]any{"role": "assistant", "content": content}, "finish_reason": "stop"}},
	})
}

// aliceRequest is Alice's turn after Bob spoke, with a director's instruction.
func aliceRequest() SceneRequest {
	req := castRequest(manorCast(), 3, "Bob Marsh", []Turn{
		{Speaker: "Bob Marsh", Text: "I saw Diana leave the study at midnight, Alice."},
		{Speaker: "Narrator", Text: "The lamps flicker."},
	}, 1)
	req.Direction = "Ask Bob to stop drinking"
	req.Avoid = []string{"Enough, both of you."}
	return req
}

// sceneBody is the part of a scene request the tests look at.
type sceneBody struct {
	Stream         bool          `json:"stream"`
	Messages       []chatMessage `json:"messages"`
	ResponseFormat *struct {
		Type       string `json:"type"`
		JSONSchema struct {
			Name   string         `json:"name"`
			Strict bool           `json:"strict"`
			Schema map[string]any `json:"schema"`
		} `json:"json_schema"`
	} `json:"response_format"`
}

// decodeBody decodes a recorded request body.
func decodeBody(t *testing.T, raw []byte) sceneBody {
	t.Helper()
	var b sceneBody
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatalf("request body: %v", err)
	}
	return b
}

// TestOpenAIScene proves a scene line from a model: one streamed request with a strict
// JSON schema and a prompt that gives the scene, the speaker's secret (not to be stated),
// memories, relationships, the direction and the lines to avoid; the line sent to onDelta
// word by word once validated, with the model's addressee, emotion and deltas.
func TestOpenAIScene(t *testing.T) {
	f := newFakeServer(t)
	f.respond = func(w http.ResponseWriter, _ *http.Request, _ int) { streamContent(w, sceneJSON(t, validAnswer())) }
	c := f.client(nil)
	req := aliceRequest()
	onDelta, got := collect()
	line, err := c.Scene(context.Background(), req, onDelta)
	if err != nil {
		t.Fatal(err)
	}
	want := SceneLine{
		Text: "Bob, put the decanter down and listen to me.", Addressee: "Bob Marsh", Emotion: EmotionAnticipation, Intensity: 0.4,
		Deltas: []SceneDelta{
			{From: "Alice Grey", To: "Bob Marsh", Strength: 0.02, Trust: 0.01, Familiarity: 0.01},
			{From: "Bob Marsh", To: "Alice Grey", Strength: -0.01, Familiarity: 0.01},
		},
		Model: testModel, FinishReason: "stop",
	}
	if !equalLines(line, want) {
		t.Fatalf("line\n%+v\nwant\n%+v", line, want)
	}
	if strings.Join(*got, "") != line.Text || len(*got) < 3 {
		t.Fatalf("streamed %q", *got)
	}

	bodies, headers := f.seen()
	if len(bodies) != 1 || headers[0].Get("Authorization") != "Bearer "+testKey {
		t.Fatalf("%d requests, headers %v", len(bodies), headers)
	}
	b := decodeBody(t, bodies[0])
	if !b.Stream || b.ResponseFormat == nil || b.ResponseFormat.Type != "json_schema" || !b.ResponseFormat.JSONSchema.Strict {
		t.Fatalf("request %s", bodies[0])
	}
	props := b.ResponseFormat.JSONSchema.Schema["properties"].(map[string]any)
	addressees := props["addressee"].(map[string]any)["enum"].([]any)
	if !slices.Contains(addressees, any("")) || !slices.Contains(addressees, any("Bob Marsh")) || slices.Contains(addressees, any("Alice Grey")) {
		t.Fatalf("addressee enum %v", addressees)
	}
	if got := props["emotion"].(map[string]any)["enum"].([]any); len(got) != len(Emotions()) {
		t.Fatalf("emotion enum %v", got)
	}
	system, user := b.Messages[0].Content, b.Messages[1].Content
	for _, want := range []string{
		"You are Alice Grey", "Alice read the will weeks ago.", "never state it outright", "Alice heard a door bang",
		"Bob Marsh (the late owner's brother) (your relationship: family): you are fond of them", "Ask Bob to stop drinking", "Enough, both of you.", "the host",
		"Victorian Garden", `"deltas"`, "joy, sadness",
	} {
		if !strings.Contains(system, want) {
			t.Errorf("system prompt lacks %q:\n%s", want, system)
		}
	}
	if !strings.Contains(user, "Bob Marsh: I saw Diana leave the study") || !strings.Contains(user, "(The lamps flicker.)") {
		t.Errorf("transcript:\n%s", user)
	}
}

// equalLines compares scene lines, deltas included.
func equalLines(a, b SceneLine) bool {
	return a.Text == b.Text && a.Addressee == b.Addressee && a.Emotion == b.Emotion && a.Intensity == b.Intensity &&
		slices.Equal(a.Deltas, b.Deltas) && a.Model == b.Model && a.Offline == b.Offline && a.Fallback == b.Fallback &&
		a.FinishReason == b.FinishReason
}

// TestOpenAISceneValidation proves what is made of a model's answer: JSON in fences or
// among words is read; out-of-range values are clamped, unknown names dropped, names
// matched as the request spells them; emotions normalised, or read from the line.
func TestOpenAISceneValidation(t *testing.T) {
	with := func(edit func(map[string]any)) map[string]any {
		a := validAnswer()
		edit(a)
		return a
	}
	tests := []struct {
		name    string
		content func(t *testing.T) string
		check   func(t *testing.T, l SceneLine)
	}{
		{"in a fence", func(t *testing.T) string { return "```json\n" + sceneJSON(t, validAnswer()) + "\n```" },
			func(t *testing.T, l SceneLine) {
				if l.Text != "Bob, put the decanter down and listen to me." {
					t.Fatalf("%+v", l)
				}
			}},
		{"among words", func(t *testing.T) string { return "Here it is: " + sceneJSON(t, validAnswer()) + " Hope it helps." },
			func(t *testing.T, l SceneLine) {
				if l.Addressee != "Bob Marsh" {
					t.Fatalf("%+v", l)
				}
			}},
		{"out of range", func(t *testing.T) string {
			return sceneJSON(t, with(func(a map[string]any) {
				a["intensity"] = 3
				a["deltas"] = []any{map[string]any{"from": "Alice Grey", "to": "Bob Marsh", "strength": -2, "trust": 5, "familiarity": -1}}
			}))
		}, func(t *testing.T, l SceneLine) {
			want := []SceneDelta{{From: "Alice Grey", To: "Bob Marsh", Strength: -0.15, Trust: 0.1}}
			if l.Intensity != 1 || !slices.Equal(l.Deltas, want) {
				t.Fatalf("%+v", l)
			}
		}},
		{"unknown names", func(t *testing.T) string {
			return sceneJSON(t, with(func(a map[string]any) {
				a["addressee"] = "Mr. Darcy"
				a["deltas"] = []any{
					map[string]any{"from": "Alice Grey", "to": "Mr. Darcy", "strength": 0.02, "trust": 0, "familiarity": 0.01},
					map[string]any{"from": "Alice Grey", "to": "Alice Grey", "strength": 0.02, "trust": 0, "familiarity": 0.01},
					map[string]any{"from": "frank", "to": "diana vale", "strength": 0.03, "trust": 0, "familiarity": 0},
					map[string]any{"from": "Frank", "to": "Diana", "strength": 0.09, "trust": 0, "familiarity": 0},
				}
			}))
		}, func(t *testing.T, l SceneLine) {
			want := []SceneDelta{{From: "Frank Hale", To: "Diana Vale", Strength: 0.03}}
			if l.Addressee != "" || !slices.Equal(l.Deltas, want) {
				t.Fatalf("%+v", l)
			}
		}},
		{"a first name", func(t *testing.T) string {
			return sceneJSON(t, with(func(a map[string]any) { a["addressee"] = "bob" }))
		},
			func(t *testing.T, l SceneLine) {
				if l.Addressee != "Bob Marsh" {
					t.Fatalf("%+v", l)
				}
			}},
		{"a synonym", func(t *testing.T) string {
			return sceneJSON(t, with(func(a map[string]any) { a["emotion"] = "Happy"; a["intensity"] = "0.7" }))
		}, func(t *testing.T, l SceneLine) {
			if l.Emotion != EmotionJoy || l.Intensity != 0.7 {
				t.Fatalf("%+v", l)
			}
		}},
		{"an unknown emotion", func(t *testing.T) string {
			return sceneJSON(t, with(func(a map[string]any) { a["emotion"] = "grumpy"; a["line"] = "How dare you, you scoundrel!" }))
		}, func(t *testing.T, l SceneLine) {
			if l.Emotion != EmotionAnger || l.Intensity == 0 {
				t.Fatalf("%+v", l)
			}
		}},
		{"the speaker's name before the line", func(t *testing.T) string {
			return sceneJSON(t, with(func(a map[string]any) { a["line"] = `Alice Grey: "Sit down, Bob."` }))
		}, func(t *testing.T, l SceneLine) {
			if l.Text != "Sit down, Bob." {
				t.Fatalf("%+v", l)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			content := tt.content(t)
			f.respond = func(w http.ResponseWriter, _ *http.Request, _ int) { streamContent(w, content) }
			line, err := f.client(nil).Scene(context.Background(), aliceRequest(), nil)
			if err != nil {
				t.Fatal(err)
			}
			if line.Offline || line.Fallback != "" || line.Model != testModel {
				t.Fatalf("not the model's line: %+v", line)
			}
			tt.check(t, line)
		})
	}
}

// TestOpenAISceneRetriesInvalidOutput proves that invalid output is asked for once more,
// with what was wrong, and that the second answer is used.
func TestOpenAISceneRetriesInvalidOutput(t *testing.T) {
	f := newFakeServer(t)
	f.respond = func(w http.ResponseWriter, _ *http.Request, n int) {
		if n == 1 {
			streamContent(w, `{"line": "", "addressee": "", "emotion": "joy", "intensity": 0.5, "deltas": []}`)
			return
		}
		wholeContent(w, sceneJSON(t, validAnswer()))
	}
	line, err := f.client(nil).Scene(context.Background(), aliceRequest(), nil)
	if err != nil || line.Offline || line.Text != "Bob, put the decanter down and listen to me." {
		t.Fatalf("err %v, line %+v", err, line)
	}
	bodies, _ := f.seen()
	if len(bodies) != 2 {
		t.Fatalf("%d requests", len(bodies))
	}
	msgs := decodeBody(t, bodies[1]).Messages
	if last := msgs[len(msgs)-1]; last.Role != "user" || !strings.Contains(last.Content, `"line" is empty`) || msgs[len(msgs)-2].Role != "assistant" {
		t.Fatalf("second request's messages %+v", msgs)
	}
}

// TestOpenAISceneFallsBack proves that the offline storyteller writes the line, saying
// why, when the model's output is invalid twice (empty, too long, a line to avoid, the
// secret stated) or the endpoint is unavailable or refuses the request; and that a
// refusal is first retried without the schema, which some servers do not support.
func TestOpenAISceneFallsBack(t *testing.T) {
	answer := func(edit func(map[string]any)) func(t *testing.T, w http.ResponseWriter, n int) {
		return func(t *testing.T, w http.ResponseWriter, _ int) {
			a := validAnswer()
			edit(a)
			streamContent(w, sceneJSON(t, a))
		}
	}
	tests := []struct {
		name     string
		respond  func(t *testing.T, w http.ResponseWriter, n int)
		requests int
		reason   string
	}{
		{"not JSON", func(_ *testing.T, w http.ResponseWriter, _ int) { streamContent(w, "Bob, sit down.") }, 2, "invalid structured output twice: no JSON object"},
		{"empty line", answer(func(a map[string]any) { a["line"] = "  " }), 2, `invalid structured output twice: "line" is empty`},
		{"too long", answer(func(a map[string]any) { a["line"] = strings.Repeat("é", 2001) }), 2, `invalid structured output twice: "line" is longer`},
		{"a line to avoid", answer(func(a map[string]any) { a["line"] = "Enough, both of you." }), 2, `invalid structured output twice: "line" repeats`},
		{"the secret", answer(func(a map[string]any) { a["line"] = "Fine: Alice read the will weeks ago!" }), 2, `invalid structured output twice: "line" states the secret`},
		{"server errors", func(_ *testing.T, w http.ResponseWriter, _ int) {
			http.Error(w, "overloaded", http.StatusInternalServerError)
		}, 2, "endpoint unavailable"},
		{"rejected", func(_ *testing.T, w http.ResponseWriter, _ int) { http.Error(w, "bad key", http.StatusUnauthorized) }, 2, "request rejected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			f.respond = func(w http.ResponseWriter, _ *http.Request, n int) { tt.respond(t, w, n) }
			c := f.client(func(cfg *OpenAIConfig) { cfg.MaxRetries = 1 })
			recordSleeps(c)
			req := aliceRequest()
			onDelta, got := collect()
			line, err := c.Scene(context.Background(), req, onDelta)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(line.Fallback, tt.reason) || strings.Contains(line.Fallback, testKey) {
				t.Fatalf("fallback %q, want %q", line.Fallback, tt.reason)
			}
			line.Fallback = ""
			checkLine(t, req, line)
			if strings.Join(*got, "") != line.Text {
				t.Fatalf("streamed %q for %q", *got, line.Text)
			}
			if bodies, _ := f.seen(); len(bodies) != tt.requests {
				t.Fatalf("%d requests, want %d", len(bodies), tt.requests)
			}
		})
	}
}

// TestOpenAISceneWithoutSchema proves that a server refusing the structured output field is
// asked again without it, and its plain JSON answer used.
func TestOpenAISceneWithoutSchema(t *testing.T) {
	f := newFakeServer(t)
	f.respond = func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			http.Error(w, `{"error": {"message": "response_format is not supported"}}`, http.StatusBadRequest)
			return
		}
		wholeContent(w, sceneJSON(t, validAnswer()))
	}
	line, err := f.client(nil).Scene(context.Background(), aliceRequest(), nil)
	if err != nil || line.Offline || line.Addressee != "Bob Marsh" {
		t.Fatalf("err %v, line %+v", err, line)
	}
	bodies, _ := f.seen()
	if len(bodies) != 2 || decodeBody(t, bodies[0]).ResponseFormat == nil || decodeBody(t, bodies[1]).ResponseFormat != nil {
		t.Fatalf("requests %s", bodies)
	}
}

// TestOpenAISceneCancelled proves that a done context returns its error, never a line
// written offline in its place: before the request, and while waiting for the model.
func TestOpenAISceneCancelled(t *testing.T) {
	f := newFakeServer(t)
	started := make(chan struct{})
	f.respond = func(w http.ResponseWriter, r *http.Request, _ int) {
		close(started)
		<-r.Context().Done()
	}
	c := f.client(nil)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	line, err := c.Scene(ctx, aliceRequest(), func(string) { t.Error("streamed a line") })
	if !errors.Is(err, context.Canceled) || line.Text != "" || line.Fallback != "" {
		t.Fatalf("err %v, line %+v", err, line)
	}
	if _, err := c.Scene(ctx, aliceRequest(), nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("err %v", err)
	}
}
