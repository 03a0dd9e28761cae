package embedding

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/literaryai/ensemble/internal/backoff"
)

// testKey is the API key of the tests; no error may ever contain it.
const testKey = "sk-test-4f9c1b7e2d"

// testDim is the dimension of the fake model.
const testDim = 16

// fakeServer is an OpenAI-compatible embeddings endpoint whose behaviour each test sets
// per request: by default it embeds with the offline embedder, scaled so that the client
// has to normalise, and returns the data in reverse order.
type fakeServer struct {
	*httptest.Server
	t        *testing.T
	requests atomic.Int32
	mu       sync.Mutex
	batches  [][]string
	auth     []string
	// respond, when set, answers request number n (from 1) instead of the default.
	respond func(w http.ResponseWriter, r *http.Request, n int) bool
}

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	f := &fakeServer{t: t}
	offline := NewOffline(testDim)
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := int(f.requests.Add(1))
		if r.Method != http.MethodPost || r.URL.Path != "/v1/embeddings" {
			http.Error(w, "wrong route "+r.Method+" "+r.URL.Path, http.StatusNotFound)
			return
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			http.Error(w, "content type "+ct, http.StatusUnsupportedMediaType)
			return
		}
		var req struct {
			Model string   `json:"model"`
			Input []string `json:"input"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model != "test-embed" {
			http.Error(w, fmt.Sprintf("bad request: %v, model %q", err, req.Model), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.batches = append(f.batches, req.Input)
		f.auth = append(f.auth, r.Header.Get("Authorization"))
		f.mu.Unlock()
		if f.respond != nil && f.respond(w, r, n) {
			return
		}
		vecs, err := offline.Embed(r.Context(), req.Input)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		type datum struct {
			Object    string    `json:"object"`
			Index     int       `json:"index"`
			Embedding []float32 `json:"embedding"`
		}
		var data []datum
		for i := len(vecs) - 1; i >= 0; i-- {
			scaled := make([]float32, len(vecs[i]))
			for j, x := range vecs[i] {
				scaled[j] = 3 * x
			}
			data = append(data, datum{"embedding", i, scaled})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data, "model": req.Model})
	}))
	t.Cleanup(f.Close)
	return f
}

// seen returns the inputs and Authorization headers of the well-formed requests so far.
func (f *fakeServer) seen() (batches [][]string, auths []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.batches), slices.Clone(f.auth)
}

// client returns a client of f with test defaults and tiny backoff, after applying edit.
func (f *fakeServer) client(edit func(*OpenAIConfig)) *OpenAI {
	f.t.Helper()
	cfg := OpenAIConfig{
		BaseURL:   f.URL + "/v1/",
		Model:     "test-embed",
		APIKey:    testKey,
		Dimension: testDim,
		RetryBase: time.Millisecond,
		Timeout:   5 * time.Second,
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

// texts returns n distinct texts.
func texts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("memory %d: Elizabeth remembers the letter, page %d", i, i*7)
	}
	return out
}

func TestOpenAIBatchesInOrder(t *testing.T) {
	f := newFakeServer(t)
	c := f.client(func(cfg *OpenAIConfig) { cfg.BatchSize = 100 })
	in := texts(250)
	got, err := c.Embed(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	want, err := NewOffline(testDim).Embed(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(in) {
		t.Fatalf("%d vectors for %d inputs", len(got), len(in))
	}
	for i := range got {
		checkUnit(t, got[i], testDim, in[i])
		if cosine(got[i], want[i]) < 0.9999 {
			t.Fatalf("vector %d is not the embedding of %q", i, in[i])
		}
	}
	batches, auths := f.seen()
	var sizes []int
	for _, b := range batches {
		sizes = append(sizes, len(b))
	}
	if !slices.Equal(sizes, []int{100, 100, 50}) {
		t.Fatalf("batch sizes %v, want [100 100 50]", sizes)
	}
	if !slices.Equal(slices.Concat(batches...), in) {
		t.Fatal("the batches do not carry the inputs in order")
	}
	for _, auth := range auths {
		if auth != "Bearer "+testKey {
			t.Fatalf("Authorization %q", auth)
		}
	}
	if c.Dimension() != testDim || c.Model() != "test-embed" {
		t.Fatalf("Dimension %d, Model %q", c.Dimension(), c.Model())
	}
}

func TestOpenAIWithoutKeyOrInputs(t *testing.T) {
	f := newFakeServer(t)
	c := f.client(func(cfg *OpenAIConfig) { cfg.APIKey = "" })
	got, err := c.Embed(context.Background(), nil)
	if err != nil || len(got) != 0 || f.requests.Load() != 0 {
		t.Fatalf("no inputs: %d vectors, %v, %d requests", len(got), err, f.requests.Load())
	}
	if _, err := c.Embed(context.Background(), texts(3)); err != nil {
		t.Fatal(err)
	}
	if _, auths := f.seen(); auths[0] != "" {
		t.Fatalf("Authorization %q sent without a key", auths[0])
	}
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

func TestOpenAIRetries(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter string
		failures   int // how many requests fail before the server recovers
		wantDelays func(d time.Duration, i int) bool
	}{
		{"429 honours Retry-After seconds", 429, "3", 2, func(d time.Duration, _ int) bool { return d == 3*time.Second }},
		{"Retry-After is capped", 429, "3600", 1, func(d time.Duration, _ int) bool { return d == 30*time.Second }},
		{"503 honours Retry-After date", 503, time.Now().Add(time.Hour).UTC().Format(http.TimeFormat), 1,
			func(d time.Duration, _ int) bool { return d == 30*time.Second }},
		{"500 backs off exponentially", 500, "", 3, func(d time.Duration, i int) bool {
			full := time.Millisecond << i
			return d >= full/2 && d <= full
		}},
		{"429 with junk Retry-After backs off", 429, "soon", 1, func(d time.Duration, _ int) bool {
			return d >= time.Millisecond/2 && d <= time.Millisecond
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			f.respond = func(w http.ResponseWriter, _ *http.Request, n int) bool {
				if n > tt.failures {
					return false
				}
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				http.Error(w, `{"error":{"message":"slow down"}}`, tt.status)
				return true
			}
			c := f.client(nil)
			delays := recordSleeps(c)
			got, err := c.Embed(context.Background(), texts(2))
			if err != nil || len(got) != 2 {
				t.Fatalf("%d vectors, %v", len(got), err)
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

func TestOpenAIBackoffIsCapped(t *testing.T) {
	c, err := NewOpenAI(OpenAIConfig{BaseURL: "http://localhost/v1", Model: "m", Dimension: 1})
	if err != nil {
		t.Fatal(err)
	}
	for attempt, want := range []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second} {
		if d := backoff.Delay(c.retryBase, attempt, -1); d < want/2 || d > want {
			t.Errorf("attempt %d: delay %v, want in [%v, %v]", attempt, d, want/2, want)
		}
	}
	for _, attempt := range []int{7, 8, 63, 64, 1000} {
		if d := backoff.Delay(c.retryBase, attempt, -1); d < 15*time.Second || d > 30*time.Second {
			t.Errorf("attempt %d: delay %v, want in [15s, 30s]", attempt, d)
		}
	}
}

func TestOpenAIFailures(t *testing.T) {
	tests := []struct {
		name         string
		edit         func(*OpenAIConfig)
		respond      func(w http.ResponseWriter, r *http.Request, n int) bool
		want         error // nil: neither ErrUnavailable nor ErrDimension
		wantRequests int
		wantText     []string
	}{
		{
			name: "5xx until retries run out",
			edit: func(cfg *OpenAIConfig) { cfg.MaxRetries = 2 },
			respond: func(w http.ResponseWriter, _ *http.Request, _ int) bool {
				http.Error(w, "upstream overloaded", http.StatusBadGateway)
				return true
			},
			want: ErrUnavailable, wantRequests: 3,
			wantText: []string{"embeddings test-embed:", "after 3 attempts", "502", "upstream overloaded"},
		},
		{
			name: "default retries",
			respond: func(w http.ResponseWriter, _ *http.Request, _ int) bool {
				w.WriteHeader(http.StatusServiceUnavailable)
				return true
			},
			want: ErrUnavailable, wantRequests: DefaultMaxRetries + 1,
			wantText: []string{"after 5 attempts", "503", "(empty body)"},
		},
		{
			name: "negative MaxRetries never retries",
			edit: func(cfg *OpenAIConfig) { cfg.MaxRetries = -1 },
			respond: func(w http.ResponseWriter, _ *http.Request, _ int) bool {
				w.WriteHeader(http.StatusTooManyRequests)
				return true
			},
			want: ErrUnavailable, wantRequests: 1,
		},
		{
			name: "400 is not retried",
			respond: func(w http.ResponseWriter, _ *http.Request, _ int) bool {
				w.WriteHeader(http.StatusBadRequest)
				_, _ = w.Write([]byte(`{"error": {"message": "'$.input' is invalid", "type": "invalid_request_error"}}`))
				return true
			},
			wantRequests: 1,
			wantText:     []string{"400 Bad Request", "'$.input' is invalid"},
		},
		{
			name: "401 echoing the key is not retried and the key is redacted",
			respond: func(w http.ResponseWriter, r *http.Request, _ int) bool {
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = fmt.Fprintf(w, `{"error": "invalid key: %s"}`, r.Header.Get("Authorization"))
				return true
			},
			wantRequests: 1,
			wantText:     []string{"401 Unauthorized", "invalid key: Bearer [redacted]"},
		},
		{
			name: "wrong dimension",
			respond: func(w http.ResponseWriter, _ *http.Request, _ int) bool {
				_, _ = w.Write([]byte(`{"data": [{"index": 0, "embedding": [0.6, 0.8]}, {"index": 1, "embedding": [0.6, 0.8]}]}`))
				return true
			},
			want: ErrDimension, wantRequests: 1,
			wantText: []string{"got 2, want 16"},
		},
		{
			name: "missing embeddings",
			respond: func(w http.ResponseWriter, _ *http.Request, _ int) bool {
				_, _ = w.Write([]byte(`{"data": []}`))
				return true
			},
			wantRequests: 1,
			wantText:     []string{"0 embeddings for 2 inputs"},
		},
		{
			name:         "duplicate index",
			respond:      respondIndexes(1, 1),
			wantRequests: 1,
			wantText:     []string{"two embeddings for input 1"},
		},
		{
			name:         "index out of range",
			respond:      respondIndexes(0, 2),
			wantRequests: 1,
			wantText:     []string{"input 2 of 2"},
		},
		{
			name: "zero vector",
			respond: func(w http.ResponseWriter, _ *http.Request, _ int) bool {
				v, _ := json.Marshal(make([]float32, testDim))
				_, _ = fmt.Fprintf(w, `{"data": [{"index": 0, "embedding": %s}, {"index": 1, "embedding": %s}]}`, v, v)
				return true
			},
			wantRequests: 1,
			wantText:     []string{"zero embedding for input 0"},
		},
		{
			name: "not JSON",
			respond: func(w http.ResponseWriter, _ *http.Request, _ int) bool {
				_, _ = w.Write([]byte(`<html>proxy login</html>`))
				return true
			},
			wantRequests: 1,
			wantText:     []string{"decoding response"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeServer(t)
			f.respond = tt.respond
			c := f.client(tt.edit)
			recordSleeps(c)
			got, err := c.Embed(context.Background(), texts(2))
			checkErr(t, err)
			if got != nil {
				t.Errorf("vectors returned with the error")
			}
			for _, sentinel := range []error{ErrUnavailable, ErrDimension} {
				if is := errors.Is(err, sentinel); is != (sentinel == tt.want) {
					t.Errorf("errors.Is(%q, %q) = %v", err, sentinel, is)
				}
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

// respondIndexes answers with unit embeddings carrying the given indexes.
func respondIndexes(indexes ...int) func(http.ResponseWriter, *http.Request, int) bool {
	return func(w http.ResponseWriter, _ *http.Request, _ int) bool {
		unit := make([]float32, testDim)
		unit[0] = 1
		var data []map[string]any
		for _, i := range indexes {
			data = append(data, map[string]any{"index": i, "embedding": unit})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"data": data})
		return true
	}
}

func TestOpenAIServerDown(t *testing.T) {
	f := newFakeServer(t)
	c := f.client(func(cfg *OpenAIConfig) { cfg.MaxRetries = 2 })
	f.Close()
	_, err := c.Embed(context.Background(), texts(1))
	checkErr(t, err)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "after 3 attempts") {
		t.Fatalf("err = %v, want ErrUnavailable after 3 attempts", err)
	}
}

func TestOpenAITimeout(t *testing.T) {
	f := newFakeServer(t)
	f.respond = func(w http.ResponseWriter, r *http.Request, _ int) bool {
		select { // hang until the client gives up
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		return true
	}
	c := f.client(func(cfg *OpenAIConfig) {
		cfg.Timeout = 20 * time.Millisecond
		cfg.MaxRetries = 1
	})
	_, err := c.Embed(context.Background(), texts(1))
	checkErr(t, err)
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "no response within 20ms") {
		t.Fatalf("err = %v, want ErrUnavailable with no response within 20ms", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v: the caller's context did not expire", err)
	}
	if n := f.requests.Load(); n != 2 {
		t.Fatalf("%d requests, want 2", n)
	}
}

func TestOpenAICancelledDuringBackoff(t *testing.T) {
	f := newFakeServer(t)
	failed := make(chan struct{}, 10)
	f.respond = func(w http.ResponseWriter, _ *http.Request, _ int) bool {
		w.Header().Set("Retry-After", "30")
		w.WriteHeader(http.StatusTooManyRequests)
		failed <- struct{}{}
		return true
	}
	c := f.client(nil) // real sleeping: the backoff is 30s
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.Embed(ctx, texts(1))
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
		t.Fatal("Embed still waiting 10s after its context was cancelled")
	}
	if n := f.requests.Load(); n != 1 {
		t.Fatalf("%d requests, want 1", n)
	}
}

func TestOpenAICancelledDuringRequest(t *testing.T) {
	f := newFakeServer(t)
	started := make(chan struct{})
	f.respond = func(w http.ResponseWriter, r *http.Request, _ int) bool {
		close(started)
		<-r.Context().Done()
		return true
	}
	c := f.client(nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := c.Embed(ctx, texts(1))
		done <- err
	}()
	<-started
	cancel()
	select {
	case err := <-done:
		checkErr(t, err)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Embed still waiting 10s after its context was cancelled")
	}
}

func TestNewOpenAIChecksConfig(t *testing.T) {
	valid := OpenAIConfig{BaseURL: "https://api.openai.com/v1", Model: "text-embedding-3-small", Dimension: 1536, APIKey: testKey}
	tests := []struct {
		name string
		edit func(*OpenAIConfig)
		want string // "" for valid
	}{
		{"valid", func(*OpenAIConfig) {}, ""},
		{"no base URL", func(c *OpenAIConfig) { c.BaseURL = "" }, "BaseURL is required"},
		{"relative base URL", func(c *OpenAIConfig) { c.BaseURL = "api.openai.com/v1" }, "not an http(s) URL"},
		{"other scheme", func(c *OpenAIConfig) { c.BaseURL = "ftp://example.com" }, "not an http(s) URL"},
		{"unparsable base URL", func(c *OpenAIConfig) { c.BaseURL = "http://[::1" }, "BaseURL"},
		{"no model", func(c *OpenAIConfig) { c.Model = " " }, "Model is required"},
		{"no dimension", func(c *OpenAIConfig) { c.Dimension = 0 }, "Dimension 0"},
		{"negative batch", func(c *OpenAIConfig) { c.BatchSize = -1 }, "must not be negative"},
		{"negative timeout", func(c *OpenAIConfig) { c.Timeout = -time.Second }, "must not be negative"},
	}
	endpoints := map[string]string{
		"https://api.openai.com/v1":                     "https://api.openai.com/v1/embeddings",
		"http://localhost:11434/v1/":                    "http://localhost:11434/v1/embeddings",
		"https://x.example.com/openai?api-version=2024": "https://x.example.com/openai/embeddings?api-version=2024",
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
				if c.endpoint != "https://api.openai.com/v1/embeddings" || c.batchSize != DefaultBatchSize ||
					c.timeout != DefaultTimeout || c.maxRetries != DefaultMaxRetries || c.retryBase != DefaultRetryBase {
					t.Fatalf("defaults not applied: endpoint %s, batch %d, timeout %v, retries %d, base %v",
						c.endpoint, c.batchSize, c.timeout, c.maxRetries, c.retryBase)
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

func TestOpenAIKeyNeverPrinted(t *testing.T) {
	cfg := OpenAIConfig{BaseURL: "https://api.openai.com/v1", Model: "text-embedding-3-small", Dimension: 1536, APIKey: testKey}
	c, err := NewOpenAI(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("embeddings", "config", cfg)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("embeddings", "config", cfg, "client", c)
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
		if !strings.Contains(printed, "text-embedding-3-small") {
			t.Errorf("the model is not printed: %s", printed)
		}
	}
}
