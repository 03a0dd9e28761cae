package llm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/literaryai/ensemble/internal/backoff"
)

// testKey is the API key of the tests; no error may ever contain it.
const testKey = "sk-test-7d3a9e1c5b"

// testModel is the model the fake server expects.
const testModel = "test-chat"

// fakeServer is an OpenAI-compatible chat completions endpoint that speaks the real
// streaming wire format. Each test sets respond; by default it streams "Hello there."
// with a joy tag.
type fakeServer struct {
	*httptest.Server
	t        *testing.T
	requests atomic.Int32
	mu       sync.Mutex
	bodies   [][]byte
	headers  []http.Header
	// respond answers request number n (from 1).
	respond func(w http.ResponseWriter, r *http.Request, n int)
}

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	f := &fakeServer{t: t}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(f.requests.Add(1))
		if r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions" {
			http.Error(w, "wrong route "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.bodies = append(f.bodies, body)
		f.headers = append(f.headers, r.Header.Clone())
		f.mu.Unlock()
		if f.respond != nil {
			f.respond(w, r, n)
			return
		}
		s := startSSE(w)
		s.content("Hello", " there.", "\n[emotion: joy]")
		s.finish("stop")
		s.done()
	}))
	t.Cleanup(f.Close)
	return f
}

// seen returns the bodies and headers of the requests so far.
func (f *fakeServer) seen() ([][]byte, []http.Header) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.bodies), slices.Clone(f.headers)
}

// client returns a client of f with test defaults and tiny backoff, after applying edit.
func (f *fakeServer) client(edit func(*OpenAIConfig)) *OpenAI {
	f.t.Helper()
	cfg := OpenAIConfig{
		BaseURL:           f.URL + "/v1/",
		Model:             testModel,
		APIKey:            testKey,
		Timeout:           5 * time.Second,
		FirstTokenTimeout: 2 * time.Second,
		RetryBase:         time.Millisecond,
	}
	if edit != nil {
		edit(&cfg)
	}
	c, err := NewOpenAI(cfg)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

// sse writes a chat completion stream as OpenAI does: one "data:" event per chunk,
// flushed at once, the first announcing the assistant's role.
type sse struct {
	w http.ResponseWriter
}

// startSSE sends the headers and the role chunk.
func startSSE(w http.ResponseWriter) *sse {
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	s := &sse{w}
	s.event(map[string]any{"role": "assistant", "content": ""}, nil)
	return s
}

// event sends one chunk with the given delta and finish reason.
func (s *sse) event(delta map[string]any, finish any) {
	b, err := json.Marshal(map[string]any{
		"id": "chatcmpl-42", "object": "chat.completion.chunk", "created": 1700000000, "model": testModel,
		"system_fingerprint": "fp_test",
		"choices":            []any{map[string]any{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": finish}},
	})
	if err != nil {
		panic(err)
	}
	s.raw("data: " + string(b) + "\n\n")
}

// content sends one chunk per piece.
func (s *sse) content(pieces ...string) {
	for _, p := range pieces {
		s.event(map[string]any{"content": p}, nil)
	}
}

// finish sends the final chunk, with an empty delta.
func (s *sse) finish(reason string) { s.event(map[string]any{}, reason) }

// done ends the stream.
func (s *sse) done() { s.raw("data: [DONE]\n\n") }

// raw sends text as it is, and flushes it.
func (s *sse) raw(text string) {
	_, _ = io.WriteString(s.w, text)
	s.w.(http.Flusher).Flush()
}

// recordSleeps replaces c's sleeping with recording, so retries take no time.
func recordSleeps(c *OpenAI) *[]time.Duration {
	var delays []time.Duration
	c.sleep = func(ctx context.Context, d time.Duration) error {
		delays = append(delays, d)
		return ctx.Err()
	}
	return &delays
}

// collect returns an onDelta that records the pieces, and the pieces recorded.
func collect() (func(string), *[]string) {
	var got []string
	return func(s string) { got = append(got, s) }, &got
}

// checkErr fails unless err is an error that does not reveal the API key.
func checkErr(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if strings.Contains(err.Error(), testKey) {
		t.Fatalf("error reveals the API key: %v", err)
	}
}

// checkSentinels fails unless err wraps exactly the sentinel want among ErrUnavailable,
// ErrRejected and ErrInterrupted (none if want is nil).
func checkSentinels(t *testing.T, err, want error) {
	t.Helper()
	for _, sentinel := range []error{ErrUnavailable, ErrRejected, ErrInterrupted} {
		if is := errors.Is(err, sentinel); is != (sentinel == want) {
			t.Errorf("errors.Is(%q, %q) = %v", err, sentinel, is)
		}
	}
}

// simpleRequest is a request with just enough in it.
func simpleRequest() Request {
	return Request{Character: Persona{Name: "Elizabeth Bennet"}, Listener: "Jane", Message: "How are you?"}
}

// TestOpenAIStreamsAndStripsTag proves that the streamed pieces arrive in order and add
// up to Reply.Text, that the emotion tag is never streamed however the model splits it,
// that it sets Reply.Emotion (synonyms included), that text merely resembling a tag is
// kept, and that without a usable tag the lexicon labels the reply.
func TestOpenAIStreamsAndStripsTag(t *testing.T) {
	tests := []struct {
		name        string
		chunks      []string
		finish      string
		wantText    string
		wantEmotion string
		wantFinish  string
	}{
		{
			name:     "tag split across chunks",
			chunks:   []string{"Hello", " there,", " Mr", " Darcy.", "\n[emo", "tion:", " jo", "y]"},
			finish:   "stop",
			wantText: "Hello there, Mr Darcy.", wantEmotion: EmotionJoy, wantFinish: "stop",
		},
		{
			name:     "tag in one chunk with trailing newline",
			chunks:   []string{"I miss", " her", " terribly.", "\n\n[emotion: sadness]\n"},
			finish:   "stop",
			wantText: "I miss her terribly.", wantEmotion: EmotionSadness, wantFinish: "stop",
		},
		{
			name:     "tag one character at a time, capitalised",
			chunks:   strings.Split("Leave. Now.\n[Emotion: Anger]", ""),
			finish:   "stop",
			wantText: "Leave. Now.", wantEmotion: EmotionAnger, wantFinish: "stop",
		},
		{
			name:     "synonym label",
			chunks:   []string{"What a day.", " [emotion: happy]"},
			finish:   "stop",
			wantText: "What a day.", wantEmotion: EmotionJoy, wantFinish: "stop",
		},
		{
			name:     "no tag: the lexicon decides",
			chunks:   []string{"I am so", " frightened", " of him."},
			finish:   "stop",
			wantText: "I am so frightened of him.", wantEmotion: EmotionFear, wantFinish: "stop",
		},
		{
			name:     "unknown label: stripped, the lexicon decides",
			chunks:   []string{"How lovely!", "\n[emotion: chartreuse]"},
			finish:   "stop",
			wantText: "How lovely!", wantEmotion: EmotionJoy, wantFinish: "stop",
		},
		{
			name:     "brackets that are not a tag are kept",
			chunks:   []string{"See the [emo", "ji] and [", "this]", " too [e", "motional]."},
			finish:   "stop",
			wantText: "See the [emoji] and [this] too [emotional].", wantEmotion: EmotionNeutral, wantFinish: "stop",
		},
		{
			name:     "leading white space dropped, tag mid-reply removed",
			chunks:   []string{"\n\n", "  Yes.", " [emotion: trust]", " Always."},
			finish:   "stop",
			wantText: "Yes. Always.", wantEmotion: EmotionTrust, wantFinish: "stop",
		},
		{
			name:     "tag cut off by the token limit",
			chunks:   []string{"Run!", "\n[emotion: fe"},
			finish:   "length",
			wantText: "Run!", wantEmotion: EmotionNeutral, wantFinish: "length",
		},
		{
			name:     "unfinished tag whose label is complete",
			chunks:   []string{"Run!", "\n[emotion: fear"},
			finish:   "length",
			wantText: "Run!", wantEmotion: EmotionFear, wantFinish: "length",
		},
		{
			name:     "no finish reason before [DONE]",
			chunks:   []string{"Wonderful."},
			wantText: "Wonderful.", wantEmotion: EmotionJoy, wantFinish: "stop",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			f.respond = func(w http.ResponseWriter, _ *http.Request, _ int) {
				s := startSSE(w)
				s.raw(": keep-alive\n\n") // comments are ignored
				s.content(tt.chunks...)
				if tt.finish != "" {
					s.finish(tt.finish)
				}
				s.done()
			}
			onDelta, deltas := collect()
			reply, err := f.client(nil).Generate(context.Background(), simpleRequest(), onDelta)
			if err != nil {
				t.Fatal(err)
			}
			if reply.Text != tt.wantText || strings.Join(*deltas, "") != reply.Text {
				t.Fatalf("text %q, deltas %q; want %q", reply.Text, *deltas, tt.wantText)
			}
			for _, d := range *deltas {
				if d == "" || strings.Contains(strings.ToLower(d), "[emotion:") {
					t.Fatalf("delta %q in %q", d, *deltas)
				}
			}
			if reply.Emotion != tt.wantEmotion || reply.FinishReason != tt.wantFinish {
				t.Fatalf("emotion %q, finish %q; want %q, %q", reply.Emotion, reply.FinishReason, tt.wantEmotion, tt.wantFinish)
			}
			if reply.Intensity < 0 || reply.Intensity > 1 || (reply.Emotion == EmotionNeutral) != (reply.Intensity == 0) {
				t.Fatalf("intensity %v for %s", reply.Intensity, reply.Emotion)
			}
			if reply.Model != testModel || reply.Offline {
				t.Fatalf("model %q, offline %v", reply.Model, reply.Offline)
			}
			if n := f.requests.Load(); n != 1 {
				t.Fatalf("%d requests", n)
			}
		})
	}
}

// TestOpenAIStreamsIncrementally proves that a piece reaches onDelta while the server is
// still generating, not when the response ends: the server only sends the rest once the
// test has seen the first piece.
func TestOpenAIStreamsIncrementally(t *testing.T) {
	f := newFakeServer(t)
	firstSeen := make(chan struct{})
	f.respond = func(w http.ResponseWriter, _ *http.Request, _ int) {
		s := startSSE(w)
		s.content("First")
		select {
		case <-firstSeen:
		case <-time.After(5 * time.Second):
			return // the client did not stream: the test fails on the missing text
		}
		s.content(" and second.")
		s.finish("stop")
		s.done()
	}
	var once sync.Once
	reply, err := f.client(nil).Generate(context.Background(), simpleRequest(), func(string) {
		once.Do(func() { close(firstSeen) })
	})
	if err != nil || reply.Text != "First and second." {
		t.Fatalf("reply %q, %v", reply.Text, err)
	}
}

// TestOpenAINonStreamingServer proves that a server that ignores "stream": true and sends
// a whole JSON completion is understood, tag and all.
func TestOpenAINonStreamingServer(t *testing.T) {
	f := newFakeServer(t)
	f.respond = func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,
			"message":{"role":"assistant","content":"Certainly not.\n[emotion: disgust]"},"finish_reason":"stop"}]}`)
	}
	onDelta, deltas := collect()
	reply, err := f.client(nil).Generate(context.Background(), simpleRequest(), onDelta)
	if err != nil {
		t.Fatal(err)
	}
	if reply.Text != "Certainly not." || reply.Emotion != EmotionDisgust || reply.FinishReason != "stop" ||
		!slices.Equal(*deltas, []string{"Certainly not."}) {
		t.Fatalf("reply %+v, deltas %q", reply, *deltas)
	}
}

// TestOpenAIRequestBody proves what is sent: the route, the headers (the key as a Bearer
// token), the model, streaming, max_tokens with room for the tag, and a system message
// carrying the persona, relationship, scene, memories and the tag instruction, followed
// by the history as user/assistant messages and the message being answered.
func TestOpenAIRequestBody(t *testing.T) {
	f := newFakeServer(t)
	req := Request{
		Character: Persona{
			Name:          "Elizabeth Bennet",
			Description:   "The second Bennet daughter, quick and clever.",
			Backstory:     "Grew up at Longbourn with four sisters.",
			SpeakingStyle: "witty, ironic, warm with friends",
			Goals:         []string{"Marry for love", "See Jane happy"},
			Traits:        Traits{Openness: 0.8, Conscientiousness: 0.5, Extraversion: 0.9, Agreeableness: 0.3, Neuroticism: 0.1},
			Emotion:       "anticipation",
			SocialEnergy:  0.9,
		},
		Listener:     "Mr. Darcy",
		Relationship: &Bond{Type: "RIVAL", Strength: -0.7, Trust: 0.1, Familiarity: 0.3},
		Memories:     []string{"Darcy called me tolerable at the Meryton assembly.", "Jane fell ill at Netherfield."},
		History: []Turn{
			{Speaker: "Mr. Darcy", Text: "Do you dance, Miss Bennet?"},
			{Speaker: "Elizabeth Bennet", Text: "When the company deserves it."},
			{Speaker: "Charlotte", Text: "Lizzy!", FromUser: true},
		},
		Message:   "You are determined to dislike me.",
		Scene:     "The ballroom at Netherfield.",
		MaxTokens: 120,
	}
	if _, err := f.client(nil).Generate(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
	bodies, headers := f.seen()
	h := headers[0]
	if h.Get("Authorization") != "Bearer "+testKey || h.Get("Content-Type") != "application/json" ||
		h.Get("Accept") != "text/event-stream" {
		t.Fatalf("headers %v", h)
	}
	var sent struct {
		Model     string        `json:"model"`
		Stream    bool          `json:"stream"`
		MaxTokens int           `json:"max_tokens"`
		Messages  []chatMessage `json:"messages"`
	}
	if err := json.Unmarshal(bodies[0], &sent); err != nil {
		t.Fatal(err)
	}
	if sent.Model != testModel || !sent.Stream || sent.MaxTokens != 120+tagTokens {
		t.Fatalf("model %q, stream %v, max_tokens %d", sent.Model, sent.Stream, sent.MaxTokens)
	}
	var roles []string
	for _, m := range sent.Messages {
		roles = append(roles, m.Role)
	}
	if !slices.Equal(roles, []string{"system", "user", "assistant", "user"}) {
		t.Fatalf("roles %v", roles)
	}
	system := sent.Messages[0].Content
	for _, want := range []string{
		"You are Elizabeth Bennet", "The second Bennet daughter, quick and clever.", "Grew up at Longbourn",
		"witty, ironic, warm with friends", "- Marry for love\n- See Jane happy",
		"curious and imaginative", "very outgoing and talkative", "blunt and combative", "very calm and even-tempered",
		"You currently feel: anticipation.", "Mr. Darcy (your relationship: rival)", "real hostility", "do not trust",
		"The ballroom at Netherfield.", "- Darcy called me tolerable at the Meryton assembly.\n- Jane fell ill at Netherfield.",
		"first person", "No stage directions", "[emotion: <label>]", "neutral, joy, sadness, anger, fear, surprise, trust, disgust, anticipation",
	} {
		if !strings.Contains(system, want) {
			t.Errorf("system message lacks %q:\n%s", want, system)
		}
	}
	wantRest := []chatMessage{
		{"user", "Mr. Darcy: Do you dance, Miss Bennet?"},
		{"assistant", "When the company deserves it."},
		{"user", "Charlotte: Lizzy!\nMr. Darcy: You are determined to dislike me."},
	}
	if !slices.Equal(sent.Messages[1:], wantRest) {
		t.Fatalf("messages %q, want %q", sent.Messages[1:], wantRest)
	}
}

// TestOpenAIRetries proves the retries before the first token: 429 honouring Retry-After
// (seconds or date, capped), 5xx backing off exponentially with jitter, and a connection
// dropped or a stream ended before any token, all followed by success.
func TestOpenAIRetries(t *testing.T) {
	tests := []struct {
		name       string
		fail       func(w http.ResponseWriter)
		failures   int
		wantDelays func(d time.Duration, i int) bool
	}{
		{"429 honours Retry-After seconds", statusFailure(429, "2"), 1,
			func(d time.Duration, _ int) bool { return d == 2*time.Second }},
		{"Retry-After is capped", statusFailure(429, "86400"), 1,
			func(d time.Duration, _ int) bool { return d == 30*time.Second }},
		{"503 honours Retry-After date", statusFailure(503, time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)), 1,
			func(d time.Duration, _ int) bool { return d == 30*time.Second }},
		{"500 backs off exponentially", statusFailure(500, ""), 3, func(d time.Duration, i int) bool {
			full := time.Millisecond << i
			return d >= full/2 && d <= full
		}},
		{"connection dropped before any token", func(http.ResponseWriter) { panic(http.ErrAbortHandler) }, 2,
			func(time.Duration, int) bool { return true }},
		{"stream ended before any token", func(w http.ResponseWriter) { startSSE(w) }, 1,
			func(time.Duration, int) bool { return true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			f.respond = func(w http.ResponseWriter, _ *http.Request, n int) {
				if n <= tt.failures {
					tt.fail(w)
					return
				}
				s := startSSE(w)
				s.content("Recovered.")
				s.finish("stop")
				s.done()
			}
			c := f.client(nil)
			delays := recordSleeps(c)
			onDelta, deltas := collect()
			reply, err := c.Generate(context.Background(), simpleRequest(), onDelta)
			if err != nil || reply.Text != "Recovered." || strings.Join(*deltas, "") != "Recovered." {
				t.Fatalf("reply %q, deltas %q, %v", reply.Text, *deltas, err)
			}
			if int(f.requests.Load()) != tt.failures+1 || len(*delays) != tt.failures {
				t.Fatalf("%d requests and delays %v for %d failures", f.requests.Load(), *delays, tt.failures)
			}
			for i, d := range *delays {
				if !tt.wantDelays(d, i) {
					t.Fatalf("delay %d = %v, all %v", i, d, *delays)
				}
			}
		})
	}
}

// statusFailure answers with an error status, and Retry-After if given.
func statusFailure(status int, retryAfter string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"error":{"message":"try again later","type":"server_error"}}`)
	}
}

// TestOpenAIFailures proves how failures before any text end: 5xx until the retries run
// out is ErrUnavailable after MaxRetries+1 attempts; 4xx other than 429 is ErrRejected at
// once, quoting the status and the server's message but never the key, even when the
// server echoes it; malformed or failed streams are ErrUnavailable without retry.
func TestOpenAIFailures(t *testing.T) {
	tests := []struct {
		name         string
		edit         func(*OpenAIConfig)
		respond      func(w http.ResponseWriter, r *http.Request, n int)
		want         error
		wantRequests int
		wantText     []string
	}{
		{
			name: "500 until retries run out",
			edit: func(cfg *OpenAIConfig) { cfg.MaxRetries = 2 },
			respond: func(w http.ResponseWriter, _ *http.Request, _ int) {
				http.Error(w, "upstream overloaded", http.StatusInternalServerError)
			},
			want: ErrUnavailable, wantRequests: 3,
			wantText: []string{"llm test-chat:", "after 3 attempts", "500 Internal Server Error", "upstream overloaded"},
		},
		{
			name: "default retries",
			respond: func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.WriteHeader(http.StatusBadGateway)
			},
			want: ErrUnavailable, wantRequests: DefaultMaxRetries + 1,
			wantText: []string{"after 4 attempts", "502", "(empty body)"},
		},
		{
			name: "negative MaxRetries never retries",
			edit: func(cfg *OpenAIConfig) { cfg.MaxRetries = -1 },
			respond: func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.WriteHeader(http.StatusTooManyRequests)
			},
			want: ErrUnavailable, wantRequests: 1,
			wantText: []string{"after 1 attempts", "429"},
		},
		{
			name: "401 echoing the key is rejected at once, key redacted",
			respond: func(w http.ResponseWriter, r *http.Request, _ int) {
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s","type":"invalid_request_error","code":"invalid_api_key"}}`,
					strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
			},
			want: ErrRejected, wantRequests: 1,
			wantText: []string{"request rejected", "401 Unauthorized", "Incorrect API key provided: [redacted]"},
		},
		{
			name: "404 unknown model",
			respond: func(w http.ResponseWriter, _ *http.Request, _ int) {
				w.WriteHeader(http.StatusNotFound)
				_, _ = io.WriteString(w, `{"error":"model \"test-chat\" not found, try pulling it first"}`)
			},
			want: ErrRejected, wantRequests: 1,
			wantText: []string{"404 Not Found", `model "test-chat" not found`},
		},
		{
			name: "400 prompt too long",
			respond: func(w http.ResponseWriter, _ *http.Request, _ int) {
				http.Error(w, "context length exceeded", http.StatusBadRequest)
			},
			want: ErrRejected, wantRequests: 1,
			wantText: []string{"400 Bad Request", "context length exceeded"},
		},
		{
			name: "error event before any token",
			respond: func(w http.ResponseWriter, _ *http.Request, _ int) {
				s := startSSE(w)
				s.raw(`data: {"error":{"message":"The server had an error while processing your request."}}` + "\n\n")
			},
			want: ErrUnavailable, wantRequests: 1,
			wantText: []string{"error in stream", "The server had an error"},
		},
		{
			name: "malformed event",
			respond: func(w http.ResponseWriter, _ *http.Request, _ int) {
				s := startSSE(w)
				s.raw("data: {not json\n\n")
			},
			want: ErrUnavailable, wantRequests: 1,
			wantText: []string{"decoding stream event"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			f.respond = tt.respond
			c := f.client(tt.edit)
			recordSleeps(c)
			onDelta, deltas := collect()
			reply, err := c.Generate(context.Background(), simpleRequest(), onDelta)
			checkErr(t, err)
			checkSentinels(t, err, tt.want)
			if reply.Text != "" || len(*deltas) != 0 || reply.FinishReason != "" {
				t.Errorf("reply %+v, deltas %q with the error", reply, *deltas)
			}
			if n := int(f.requests.Load()); n != tt.wantRequests {
				t.Errorf("%d requests, want %d", n, tt.wantRequests)
			}
			for _, text := range tt.wantText {
				if !strings.Contains(err.Error(), text) {
					t.Errorf("error %q does not say %q", err, text)
				}
			}
		})
	}
}

// TestOpenAIInterrupted proves that a stream cut off after text was streamed is
// ErrInterrupted, never retried, with the partial text in the Reply (exactly what was
// streamed): a dropped connection, an end without [DONE], an error event, and the
// Timeout running out mid-reply.
func TestOpenAIInterrupted(t *testing.T) {
	tests := []struct {
		name     string
		edit     func(*OpenAIConfig)
		cut      func(w http.ResponseWriter, r *http.Request, s *sse)
		wantText []string
	}{
		{
			name:     "connection dropped",
			cut:      func(http.ResponseWriter, *http.Request, *sse) { panic(http.ErrAbortHandler) },
			wantText: []string{"reply interrupted", "stream broken"},
		},
		{
			name:     "end without [DONE]",
			cut:      func(http.ResponseWriter, *http.Request, *sse) {},
			wantText: []string{"reply interrupted", "stream ended before the reply was finished"},
		},
		{
			name: "error event",
			cut: func(_ http.ResponseWriter, _ *http.Request, s *sse) {
				s.raw(`data: {"error":{"message":"model crashed"}}` + "\n\n")
			},
			wantText: []string{"reply interrupted", "model crashed"},
		},
		{
			name: "timeout mid-reply",
			edit: func(cfg *OpenAIConfig) { cfg.Timeout = 200 * time.Millisecond },
			cut: func(_ http.ResponseWriter, r *http.Request, _ *sse) {
				select {
				case <-r.Context().Done():
				case <-time.After(10 * time.Second):
				}
			},
			wantText: []string{"reply interrupted", "reply not finished within 200ms"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			f.respond = func(w http.ResponseWriter, r *http.Request, _ int) {
				s := startSSE(w)
				s.content("Once", " upon", " a [emo")
				tt.cut(w, r, s)
			}
			c := f.client(tt.edit)
			recordSleeps(c)
			onDelta, deltas := collect()
			reply, err := c.Generate(context.Background(), simpleRequest(), onDelta)
			checkErr(t, err)
			checkSentinels(t, err, ErrInterrupted)
			if errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("err = %v: the caller's context did not expire", err)
			}
			if reply.Text != "Once upon a" || strings.Join(*deltas, "") != reply.Text || reply.FinishReason != "" {
				t.Errorf("partial reply %+v, deltas %q", reply, *deltas)
			}
			if n := f.requests.Load(); n != 1 {
				t.Errorf("%d requests: an interrupted reply was retried", n)
			}
			for _, text := range tt.wantText {
				if !strings.Contains(err.Error(), text) {
					t.Errorf("error %q does not say %q", err, text)
				}
			}
		})
	}
}

// TestOpenAIFirstTokenTimeout proves that an attempt without a token within
// FirstTokenTimeout is abandoned (the server sees its request end) and retried, whether
// the server is silent before its headers or after them, and that the retry's success
// is returned.
func TestOpenAIFirstTokenTimeout(t *testing.T) {
	hang := func(w http.ResponseWriter, r *http.Request, headers bool) {
		if headers {
			startSSE(w) // headers and the role chunk, which is not a token
		}
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}
	for _, headers := range []bool{false, true} {
		t.Run(fmt.Sprintf("headers sent %v", headers), func(t *testing.T) {
			f := newFakeServer(t)
			f.respond = func(w http.ResponseWriter, r *http.Request, _ int) { hang(w, r, headers) }
			c := f.client(func(cfg *OpenAIConfig) {
				cfg.FirstTokenTimeout = 50 * time.Millisecond
				cfg.MaxRetries = 1
			})
			recordSleeps(c)
			start := time.Now()
			_, err := c.Generate(context.Background(), simpleRequest(), nil)
			checkErr(t, err)
			checkSentinels(t, err, ErrUnavailable)
			if !strings.Contains(err.Error(), "after 2 attempts: no reply within 50ms") {
				t.Fatalf("err = %v", err)
			}
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v: the caller's context did not expire", err)
			}
			if elapsed := time.Since(start); elapsed > 5*time.Second {
				t.Fatalf("took %v", elapsed)
			}
			if n := f.requests.Load(); n != 2 {
				t.Fatalf("%d requests, want 2", n)
			}
		})
	}

	t.Run("slow first attempt, fast retry", func(t *testing.T) {
		f := newFakeServer(t)
		f.respond = func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				hang(w, r, true)
				return
			}
			s := startSSE(w)
			s.content("At last.")
			s.finish("stop")
			s.done()
		}
		c := f.client(func(cfg *OpenAIConfig) { cfg.FirstTokenTimeout = 50 * time.Millisecond })
		recordSleeps(c)
		reply, err := c.Generate(context.Background(), simpleRequest(), nil)
		if err != nil || reply.Text != "At last." || f.requests.Load() != 2 {
			t.Fatalf("reply %q, %v after %d requests", reply.Text, err, f.requests.Load())
		}
	})
}

// TestOpenAICancelMidStream proves that cancelling ctx while the reply streams aborts the
// HTTP request promptly (the server sees its request context end), returns ctx's error
// rather than ErrInterrupted, keeps the text streamed so far, and is not retried.
func TestOpenAICancelMidStream(t *testing.T) {
	f := newFakeServer(t)
	aborted := make(chan struct{})
	f.respond = func(w http.ResponseWriter, r *http.Request, _ int) {
		s := startSSE(w)
		s.content("I was", " saying")
		select {
		case <-r.Context().Done():
			close(aborted)
		case <-time.After(10 * time.Second):
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var got []string
	start := time.Now()
	reply, err := f.client(nil).Generate(ctx, simpleRequest(), func(d string) {
		got = append(got, d)
		if len(got) == 2 {
			cancel() // the listener left
		}
	})
	checkErr(t, err)
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrInterrupted) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want context.Canceled only", err)
	}
	if reply.Text != "I was saying" || strings.Join(got, "") != reply.Text {
		t.Fatalf("partial reply %q, deltas %q", reply.Text, got)
	}
	select {
	case <-aborted:
	case <-time.After(5 * time.Second):
		t.Fatal("the server's request was not aborted within 5s of the cancellation")
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("Generate took %v", elapsed)
	}
	if n := f.requests.Load(); n != 1 {
		t.Fatalf("%d requests", n)
	}
}

// TestOpenAICancelDuringBackoff proves that cancelling ctx while waiting to retry returns
// at once with ctx's error.
func TestOpenAICancelDuringBackoff(t *testing.T) {
	f := newFakeServer(t)
	failed := make(chan struct{}, 10)
	f.respond = func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
		failed <- struct{}{}
	}
	c := f.client(nil) // real sleeping: the backoff is 30s
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.Generate(ctx, simpleRequest(), nil)
		done <- err
	}()
	<-failed
	cancel()
	select {
	case err := <-done:
		checkErr(t, err)
		if !errors.Is(err, context.Canceled) || errors.Is(err, ErrUnavailable) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Generate still waiting 10s after its context was cancelled")
	}
	if n := f.requests.Load(); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

// TestOpenAIServerDown proves that an endpoint nobody listens on is ErrUnavailable after
// MaxRetries+1 attempts.
func TestOpenAIServerDown(t *testing.T) {
	f := newFakeServer(t)
	c := f.client(func(cfg *OpenAIConfig) { cfg.MaxRetries = 2 })
	recordSleeps(c)
	f.Close()
	_, err := c.Generate(context.Background(), simpleRequest(), nil)
	checkErr(t, err)
	checkSentinels(t, err, ErrUnavailable)
	if !strings.Contains(err.Error(), "after 3 attempts: request failed") {
		t.Fatalf("err = %v", err)
	}
}

// TestNewOpenAIChecksConfig proves that NewOpenAI rejects a missing, relative or
// non-HTTP BaseURL, a missing Model and negative durations with clear errors, builds the
// endpoint from BaseURL, and applies the defaults.
func TestNewOpenAIChecksConfig(t *testing.T) {
	valid := OpenAIConfig{BaseURL: "https://api.openai.com/v1", Model: "gpt-4o-mini", APIKey: testKey}
	tests := []struct {
		name string
		edit func(*OpenAIConfig)
		want string // "" for valid
	}{
		{"valid", func(*OpenAIConfig) {}, ""},
		{"no base URL", func(c *OpenAIConfig) { c.BaseURL = " " }, "BaseURL is required"},
		{"relative base URL", func(c *OpenAIConfig) { c.BaseURL = "localhost:11434/v1" }, "not an absolute http(s) URL"},
		{"path only", func(c *OpenAIConfig) { c.BaseURL = "/v1" }, "not an absolute http(s) URL"},
		{"other scheme", func(c *OpenAIConfig) { c.BaseURL = "ws://localhost:8080" }, "not an absolute http(s) URL"},
		{"unparsable base URL", func(c *OpenAIConfig) { c.BaseURL = "http://[::1" }, "BaseURL"},
		{"no model", func(c *OpenAIConfig) { c.Model = "" }, "Model is required"},
		{"negative timeout", func(c *OpenAIConfig) { c.Timeout = -time.Second }, "must not be negative"},
		{"negative first token timeout", func(c *OpenAIConfig) { c.FirstTokenTimeout = -time.Second }, "must not be negative"},
	}
	endpoints := map[string]string{
		"https://api.openai.com/v1":                     "https://api.openai.com/v1/chat/completions",
		"http://localhost:11434/v1/":                    "http://localhost:11434/v1/chat/completions",
		"https://x.example.com/openai?api-version=2024": "https://x.example.com/openai/chat/completions?api-version=2024",
	}
	for base, want := range endpoints {
		cfg := valid
		cfg.BaseURL = base
		if c, err := NewOpenAI(cfg); err != nil || c.endpoint != want {
			t.Errorf("BaseURL %s: endpoint %v, %v; want %s", base, c, err, want)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid
			tt.edit(&cfg)
			c, err := NewOpenAI(cfg)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if c.timeout != DefaultTimeout || c.firstTokenTimeout != DefaultFirstTokenTimeout ||
					c.maxRetries != DefaultMaxRetries || c.retryBase != DefaultRetryBase || c.client == nil {
					t.Fatalf("defaults not applied: %+v", c)
				}
				if c.Model() != "gpt-4o-mini" || c.Offline() {
					t.Fatalf("Model %q, Offline %v", c.Model(), c.Offline())
				}
				return
			}
			checkErr(t, err)
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to say %q", err, tt.want)
			}
		})
	}
}

// TestOpenAIKeyNeverPrinted proves that printing, logging or encoding the configuration
// or the client shows the model but never the API key.
func TestOpenAIKeyNeverPrinted(t *testing.T) {
	cfg := OpenAIConfig{BaseURL: "https://api.openai.com/v1", Model: "gpt-4o-mini", APIKey: testKey}
	c, err := NewOpenAI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("llm", "config", cfg)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("llm", "config", cfg, "client", c)
	encoded, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, printed := range []string{
		fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%v", &cfg),
		fmt.Sprint(c), fmt.Sprintf("%+v", c), string(encoded), logged.String(),
	} {
		if strings.Contains(printed, testKey) {
			t.Errorf("the API key is printed: %s", printed)
		}
		if !strings.Contains(printed, "gpt-4o-mini") {
			t.Errorf("the model is not printed: %s", printed)
		}
	}
}

// TestOpenAIBackoffIsCapped proves the jittered exponential backoff stays within
// [d/2, d] and never exceeds 30s.
func TestOpenAIBackoffIsCapped(t *testing.T) {
	c, err := NewOpenAI(OpenAIConfig{BaseURL: "http://localhost/v1", Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	for attempt, want := range []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second} {
		if d := backoff.Delay(c.retryBase, attempt, -1); d < want/2 || d > want {
			t.Errorf("attempt %d: delay %v, want in [%v, %v]", attempt, d, want/2, want)
		}
	}
	for _, attempt := range []int{6, 7, 63, 64, 1000} {
		if d := backoff.Delay(c.retryBase, attempt, -1); d < 15*time.Second || d > 30*time.Second {
			t.Errorf("attempt %d: delay %v, want in [15s, 30s]", attempt, d)
		}
	}
}

// TestOpenAISpans: each call is one span, whose attempts and outcome an operator can read
// in the trace; a call that fails says why.
func TestOpenAISpans(t *testing.T) {
	tests := []struct {
		name         string
		failures     int
		wantAttempts int64
		wantError    bool
	}{
		{"answered at once", 0, 1, false},
		{"answered after a retry", 1, 2, false},
		{"unavailable after every retry", 9, 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spans := tracetest.NewInMemoryExporter()
			tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
			f := newFakeServer(t)
			f.respond = func(w http.ResponseWriter, _ *http.Request, n int) {
				if n <= tt.failures {
					statusFailure(503, "")(w)
					return
				}
				s := startSSE(w)
				s.content("Traced.")
				s.finish("stop")
				s.done()
			}
			c := f.client(func(cfg *OpenAIConfig) { cfg.Tracer, cfg.MaxRetries = tp, 2 })
			recordSleeps(c)
			_, err := c.Generate(context.Background(), simpleRequest(), nil)
			if (err != nil) != tt.wantError {
				t.Fatalf("error %v, want one: %v", err, tt.wantError)
			}
			got := spans.GetSpans().Snapshots()
			if len(got) != 1 || got[0].Name() != "chat "+testModel {
				t.Fatalf("want one span %q, got %d", "chat "+testModel, len(got))
			}
			attrs := map[attribute.Key]attribute.Value{}
			for _, kv := range got[0].Attributes() {
				attrs[kv.Key] = kv.Value
			}
			if a := attrs["llm.attempts"].AsInt64(); a != tt.wantAttempts {
				t.Errorf("llm.attempts = %d, want %d", a, tt.wantAttempts)
			}
			if failed := got[0].Status().Code == codes.Error; failed != tt.wantError {
				t.Errorf("span status %v, want an error: %v", got[0].Status(), tt.wantError)
			}
		})
	}
}
