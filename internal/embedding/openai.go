package embedding

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/literaryai/ensemble/internal/backoff"
)

// Defaults for the zero values of OpenAIConfig.
const (
	// DefaultBatchSize keeps a request well under the input limits of common servers
	// (OpenAI accepts 2048 inputs, some local servers far fewer).
	DefaultBatchSize = 96
	// DefaultTimeout bounds one request, so a hung server costs one timeout per attempt
	// rather than blocking recall forever.
	DefaultTimeout = 30 * time.Second
	// DefaultMaxRetries rides out a short outage or rate limit (under 4s of backoff in
	// all, unless the server asks for longer) without holding a caller for long.
	DefaultMaxRetries = 4
	// DefaultRetryBase is the first backoff delay; each retry doubles it, with jitter.
	DefaultRetryBase = 250 * time.Millisecond
)

// maxResponseBytes bounds the response body read into memory (a full batch of
// 3072-dimensional vectors is under 10 MB of JSON).
const maxResponseBytes = 256 << 20

// maxErrorBytes bounds how much of an error response is read and quoted in an error.
const (
	maxErrorBytes   = 64 << 10
	maxErrorMessage = 300
)

// OpenAIConfig configures an OpenAI client. BaseURL, Model and Dimension are required;
// the other fields have defaults.
type OpenAIConfig struct {
	// BaseURL is the API root, to whose path "/embeddings" is appended, e.g.
	// "https://api.openai.com/v1" or "http://localhost:11434/v1" (Ollama). A query
	// (such as Azure's "?api-version=...") is kept.
	BaseURL string
	// Model is the model name sent with every request, and what Model() returns.
	Model string
	// APIKey, when set, is sent as "Authorization: Bearer <APIKey>". It never appears in
	// errors, in String or in LogValue.
	APIKey string `json:"-"`
	// Dimension is the dimension the model produces. A response of another dimension is
	// an ErrDimension error, so a misconfigured model cannot silently mix vectors of
	// different models in one index.
	Dimension int
	// BatchSize is the most inputs sent in one request (default DefaultBatchSize).
	// Larger Embed calls are split into several requests.
	BatchSize int
	// Timeout bounds each request, including reading the response (default
	// DefaultTimeout).
	Timeout time.Duration
	// MaxRetries is how many times a failed request is retried after network errors,
	// timeouts, 429 and 5xx responses (default DefaultMaxRetries; negative: never).
	MaxRetries int
	// RetryBase is the first backoff delay (default DefaultRetryBase); the n-th retry
	// waits about RetryBase·2ⁿ⁻¹, with jitter, at most 30s, unless the server asks for a
	// delay with Retry-After.
	RetryBase time.Duration
	// HTTPClient sends the requests (default: a client of its own on
	// http.DefaultTransport). Its own Timeout, if any, applies in addition to Timeout.
	HTTPClient *http.Client `json:"-"`
}

// String describes the configuration without the API key, so that it can be printed.
func (c OpenAIConfig) String() string {
	return fmt.Sprintf("embeddings %s at %s (dimension %d, api key %s)",
		c.Model, c.BaseURL, c.Dimension, keyState(c.APIKey))
}

// LogValue logs the configuration without the API key.
func (c OpenAIConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("base_url", c.BaseURL),
		slog.String("model", c.Model),
		slog.Int("dimension", c.Dimension),
		slog.String("api_key", keyState(c.APIKey)),
	)
}

// keyState says whether an API key is set, which is all that may be shown of it.
func keyState(key string) string {
	if key == "" {
		return "unset"
	}
	return "set"
}

// OpenAI is an Embedder backed by an OpenAI-compatible embeddings endpoint
// (POST {BaseURL}/embeddings). It splits large calls into batches, retries transient
// failures with backoff, checks the dimension and L2-normalises every vector, since not
// every server does. It is safe for concurrent use.
type OpenAI struct {
	endpoint   string
	model      string
	apiKey     string
	dim        int
	batchSize  int
	timeout    time.Duration
	maxRetries int
	retryBase  time.Duration
	client     *http.Client
	// sleep waits d or until ctx is done; tests replace it to observe the delays.
	sleep func(ctx context.Context, d time.Duration) error
}

// NewOpenAI checks cfg and returns a client. It makes no request: an endpoint that is down
// shows up as ErrUnavailable from Embed, so a server can start while it is unreachable.
func NewOpenAI(cfg OpenAIConfig) (*OpenAI, error) {
	base, err := url.Parse(strings.TrimSpace(cfg.BaseURL))
	switch {
	case cfg.BaseURL == "":
		return nil, errors.New("embeddings: config: BaseURL is required")
	case err != nil:
		return nil, fmt.Errorf("embeddings: config: BaseURL: %w", err)
	case base.Scheme != "http" && base.Scheme != "https" || base.Host == "":
		return nil, fmt.Errorf("embeddings: config: BaseURL %q is not an http(s) URL", base.Redacted())
	case strings.TrimSpace(cfg.Model) == "":
		return nil, errors.New("embeddings: config: Model is required")
	case cfg.Dimension < 1:
		return nil, fmt.Errorf("embeddings: config: Dimension %d: the model's dimension is required", cfg.Dimension)
	case cfg.BatchSize < 0, cfg.Timeout < 0, cfg.RetryBase < 0:
		return nil, errors.New("embeddings: config: BatchSize, Timeout and RetryBase must not be negative")
	}
	c := &OpenAI{
		endpoint:   base.JoinPath("embeddings").String(),
		model:      cfg.Model,
		apiKey:     cfg.APIKey,
		dim:        cfg.Dimension,
		batchSize:  cmp.Or(cfg.BatchSize, DefaultBatchSize),
		timeout:    cmp.Or(cfg.Timeout, DefaultTimeout),
		maxRetries: max(cmp.Or(cfg.MaxRetries, DefaultMaxRetries), 0),
		retryBase:  cmp.Or(cfg.RetryBase, DefaultRetryBase),
		client:     cfg.HTTPClient,
		sleep:      backoff.Sleep,
	}
	if c.client == nil {
		c.client = &http.Client{}
	}
	return c, nil
}

// Dimension returns the configured dimension, which every returned vector has.
func (c *OpenAI) Dimension() int { return c.dim }

// Model returns the configured model name.
func (c *OpenAI) Model() string { return c.model }

// String describes the client without the API key, so that it can be printed.
func (c *OpenAI) String() string {
	return fmt.Sprintf("embeddings %s at %s (dimension %d, api key %s)",
		c.model, c.endpoint, c.dim, keyState(c.apiKey))
}

// Embed returns one unit vector per text, in order, sending at most BatchSize texts per
// request, one request at a time. Errors wrap ErrUnavailable (endpoint down, too slow or
// failing after all retries), ErrDimension, or ctx's error when ctx is done, which
// interrupts a request or a backoff at once.
func (c *OpenAI) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for start := 0; start < len(texts); start += c.batchSize {
		end := min(start+c.batchSize, len(texts))
		vecs, err := c.embedBatch(ctx, texts[start:end])
		if err != nil {
			return nil, fmt.Errorf("embeddings %s: %w", c.model, err)
		}
		copy(out[start:end], vecs)
	}
	return out, nil
}

// embeddingsRequest is the body of POST /embeddings.
type embeddingsRequest struct {
	Model string   `json:"model"`
	Input []string `json:"input"`
}

// embeddingsResponse is the part of the response that is used.
type embeddingsResponse struct {
	Data []struct {
		Index     int       `json:"index"`
		Embedding []float32 `json:"embedding"`
	} `json:"data"`
}

// embedBatch embeds one batch, retrying transient failures.
func (c *OpenAI) embedBatch(ctx context.Context, texts []string) ([][]float32, error) {
	body, err := json.Marshal(embeddingsRequest{Model: c.model, Input: texts})
	if err != nil {
		return nil, fmt.Errorf("encoding request: %w", err)
	}
	for attempt := 0; ; attempt++ {
		vecs, retryAfter, err := c.post(ctx, body, len(texts))
		if err == nil {
			return vecs, nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		var transient *transientError
		if !errors.As(err, &transient) {
			return nil, err
		}
		if attempt >= c.maxRetries {
			return nil, fmt.Errorf("%w after %d attempts: %v", ErrUnavailable, attempt+1, err)
		}
		if err := c.sleep(ctx, backoff.Delay(c.retryBase, attempt, retryAfter)); err != nil {
			return nil, err
		}
	}
}

// transientError is a failure worth retrying: a network error, a timeout, 429 or 5xx.
type transientError struct{ msg string }

// Error returns the failure's description.
func (e *transientError) Error() string { return e.msg }

// post makes one request. A transient failure is a *transientError, with the delay the
// server asked for in Retry-After, or -1 if it did not.
func (c *OpenAI) post(ctx context.Context, body []byte, n int) ([][]float32, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return nil, -1, fmt.Errorf("building request: %s", c.redact(err.Error()))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}

	resp, err := c.client.Do(req)
	if err != nil {
		return nil, -1, c.transient(ctx, "request failed", err)
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxErrorBytes))
		_ = resp.Body.Close()
	}()

	if resp.StatusCode/100 != 2 {
		msg := fmt.Sprintf("status %s: %s", resp.Status, c.errorMessage(resp.Body))
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			return nil, backoff.RetryAfter(resp.Header.Get("Retry-After")), &transientError{msg}
		}
		return nil, -1, errors.New(msg)
	}

	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, -1, c.transient(ctx, "reading response", err)
	}
	if len(raw) > maxResponseBytes {
		return nil, -1, fmt.Errorf("response larger than %d MB", maxResponseBytes>>20)
	}
	var decoded embeddingsResponse
	if err := json.Unmarshal(raw, &decoded); err != nil {
		return nil, -1, fmt.Errorf("decoding response: %s", c.redact(err.Error()))
	}
	vecs, err := c.vectors(decoded, n)
	return vecs, -1, err
}

// transient describes a failed round trip of the request whose context is ctx.
func (c *OpenAI) transient(ctx context.Context, what string, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return &transientError{fmt.Sprintf("%s: no response within %s", what, c.timeout)}
	}
	return &transientError{fmt.Sprintf("%s: %s", what, c.redact(err.Error()))}
}

// vectors checks a decoded response for n inputs and returns its vectors in input order,
// normalised.
func (c *OpenAI) vectors(resp embeddingsResponse, n int) ([][]float32, error) {
	if len(resp.Data) != n {
		return nil, fmt.Errorf("response has %d embeddings for %d inputs", len(resp.Data), n)
	}
	out := make([][]float32, n)
	for _, d := range resp.Data {
		switch {
		case d.Index < 0 || d.Index >= n:
			return nil, fmt.Errorf("response has an embedding for input %d of %d", d.Index, n)
		case out[d.Index] != nil:
			return nil, fmt.Errorf("response has two embeddings for input %d", d.Index)
		case len(d.Embedding) != c.dim:
			return nil, fmt.Errorf("%w: input %d: got %d, want %d", ErrDimension, d.Index, len(d.Embedding), c.dim)
		case !normalize(d.Embedding):
			return nil, fmt.Errorf("response has a zero embedding for input %d", d.Index)
		}
		out[d.Index] = d.Embedding
	}
	return out, nil
}

// errorMessage extracts the message of an error response: OpenAI's
// {"error": {"message": ...}}, the {"error": "..."} of some local servers, or the start
// of the body as text.
func (c *OpenAI) errorMessage(body io.Reader) string {
	raw, _ := io.ReadAll(io.LimitReader(body, maxErrorBytes))
	var openAI struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	var plain struct {
		Error string `json:"error"`
	}
	msg := strings.Join(strings.Fields(string(raw)), " ")
	switch {
	case json.Unmarshal(raw, &openAI) == nil && openAI.Error.Message != "":
		msg = openAI.Error.Message
	case json.Unmarshal(raw, &plain) == nil && plain.Error != "":
		msg = plain.Error
	case msg == "":
		msg = "(empty body)"
	}
	msg = c.redact(msg)
	if len(msg) > maxErrorMessage {
		msg = strings.ToValidUTF8(msg[:maxErrorMessage], "") + "…"
	}
	return msg
}

// redact removes the API key from text that came from elsewhere (a server may echo the
// request's headers), so that it cannot leak into an error or a log.
func (c *OpenAI) redact(s string) string {
	if c.apiKey == "" {
		return s
	}
	return strings.ReplaceAll(s, c.apiKey, "[redacted]")
}
