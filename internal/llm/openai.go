package llm

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/literaryai/ensemble/internal/backoff"
	"github.com/literaryai/ensemble/internal/tracing"
)

// Defaults for the zero values of OpenAIConfig.
const (
	// DefaultTimeout bounds one request from sending it to the end of the streamed reply:
	// long enough for a local model to say a paragraph, short enough that a stalled
	// stream does not hold a conversation forever.
	DefaultTimeout = 60 * time.Second
	// DefaultFirstTokenTimeout bounds the wait for the first token. A model that is
	// loading, or a server queueing requests, shows up here; waiting longer rarely helps,
	// and a retry may reach a free replica.
	DefaultFirstTokenTimeout = 20 * time.Second
	// DefaultMaxRetries rides out a brief outage or rate limit without keeping the user
	// waiting long for a reply that may never come.
	DefaultMaxRetries = 3
	// DefaultRetryBase is the first backoff delay; each retry doubles it, with jitter.
	DefaultRetryBase = 500 * time.Millisecond
)

// Bounds on what is read from the endpoint: an error response quoted in an error, a whole
// non-streamed reply, and one line of the stream.
const (
	maxErrorBytes    = 64 << 10
	maxErrorMessage  = 300
	maxResponseBytes = 4 << 20
	maxEventBytes    = 1 << 20
)

// tagTokens is how many tokens beyond MaxTokens are asked for, so that the emotion tag
// still fits after a reply of MaxTokens tokens.
const tagTokens = 16

// Causes with which an attempt's context is cancelled, to tell its timeouts apart from
// the caller's cancellation.
var (
	errTimeout      = errors.New("request timeout")
	errNoFirstToken = errors.New("first token timeout")
)

// OpenAIConfig configures an OpenAI client. BaseURL and Model are required; the other
// fields have defaults.
type OpenAIConfig struct {
	// BaseURL is the API root, to whose path "/chat/completions" is appended, e.g.
	// "https://api.openai.com/v1" or "http://localhost:11434/v1" (Ollama). A query (such
	// as Azure's "?api-version=...") is kept.
	BaseURL string
	// Model is the model name sent with every request, and what Model() returns.
	Model string
	// APIKey, when set, is sent as "Authorization: Bearer <APIKey>". It never appears in
	// errors, in String or in LogValue.
	APIKey string `json:"-"`
	// Timeout bounds each attempt, from sending the request to the end of the streamed
	// reply (default DefaultTimeout).
	Timeout time.Duration
	// FirstTokenTimeout bounds the wait for the first token of each attempt (default
	// DefaultFirstTokenTimeout). An attempt that exceeds it is abandoned and retried.
	FirstTokenTimeout time.Duration
	// MaxRetries is how many times an attempt that failed before the first token is
	// retried after network errors, timeouts, 429 and 5xx responses (default
	// DefaultMaxRetries; negative: never).
	MaxRetries int
	// RetryBase is the first backoff delay (default DefaultRetryBase); the n-th retry
	// waits about RetryBase·2ⁿ⁻¹, with jitter, at most 30s, unless the server asks for a
	// delay with Retry-After.
	RetryBase time.Duration
	// HTTPClient sends the requests (default: a client of its own on
	// http.DefaultTransport). It must not have a Timeout shorter than a reply takes,
	// since that would cut the stream off.
	HTTPClient *http.Client `json:"-"`
	// Tracer makes a span of each call (its attempts included); nil traces nothing.
	Tracer trace.TracerProvider `json:"-"`
}

// String describes the configuration without the API key, so that it can be printed.
func (c OpenAIConfig) String() string {
	return fmt.Sprintf("chat model %s at %s (api key %s)", c.Model, c.BaseURL, keyState(c.APIKey))
}

// LogValue logs the configuration without the API key.
func (c OpenAIConfig) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("base_url", c.BaseURL),
		slog.String("model", c.Model),
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

// OpenAI is a Generator backed by an OpenAI-compatible chat completions endpoint (POST
// {BaseURL}/chat/completions with "stream": true). It describes the character in a
// system message (see systemPrompt), streams the reply as it arrives, strips the emotion
// tag the model is asked to end with, and retries failures that happen before the first
// token. It is safe for concurrent use.
type OpenAI struct {
	endpoint          string
	model             string
	apiKey            string
	timeout           time.Duration
	firstTokenTimeout time.Duration
	maxRetries        int
	retryBase         time.Duration
	client            *http.Client
	tracer            trace.Tracer
	// sleep waits d or until ctx is done; tests replace it to observe the delays.
	sleep func(ctx context.Context, d time.Duration) error
}

// NewOpenAI checks cfg and returns a client. It makes no request: an endpoint that is down
// shows up as ErrUnavailable from Generate, so a server can start while it is unreachable.
func NewOpenAI(cfg OpenAIConfig) (*OpenAI, error) {
	base, err := url.Parse(strings.TrimSpace(cfg.BaseURL))
	switch {
	case strings.TrimSpace(cfg.BaseURL) == "":
		return nil, errors.New("llm: config: BaseURL is required")
	case err != nil:
		return nil, fmt.Errorf("llm: config: BaseURL: %w", err)
	case base.Scheme != "http" && base.Scheme != "https" || base.Host == "":
		return nil, fmt.Errorf("llm: config: BaseURL %q is not an absolute http(s) URL", base.Redacted())
	case strings.TrimSpace(cfg.Model) == "":
		return nil, errors.New("llm: config: Model is required")
	case cfg.Timeout < 0, cfg.FirstTokenTimeout < 0, cfg.RetryBase < 0:
		return nil, errors.New("llm: config: Timeout, FirstTokenTimeout and RetryBase must not be negative")
	}
	c := &OpenAI{
		endpoint:          base.JoinPath("chat", "completions").String(),
		model:             strings.TrimSpace(cfg.Model),
		apiKey:            cfg.APIKey,
		timeout:           cmp.Or(cfg.Timeout, DefaultTimeout),
		firstTokenTimeout: cmp.Or(cfg.FirstTokenTimeout, DefaultFirstTokenTimeout),
		maxRetries:        max(cmp.Or(cfg.MaxRetries, DefaultMaxRetries), 0),
		retryBase:         cmp.Or(cfg.RetryBase, DefaultRetryBase),
		client:            cfg.HTTPClient,
		tracer:            tracing.Provider(cfg.Tracer).Tracer(tracing.Name),
		sleep:             backoff.Sleep,
	}
	if c.client == nil {
		c.client = &http.Client{}
	}
	return c, nil
}

// Model returns the configured model name.
func (c *OpenAI) Model() string { return c.model }

// Offline returns false.
func (c *OpenAI) Offline() bool { return false }

// String describes the client without the API key, so that it can be printed.
func (c *OpenAI) String() string {
	return fmt.Sprintf("chat model %s at %s (api key %s)", c.model, c.endpoint, keyState(c.apiKey))
}

// chatRequest is the body of POST /chat/completions.
type chatRequest struct {
	Model     string        `json:"model"`
	Messages  []chatMessage `json:"messages"`
	Stream    bool          `json:"stream"`
	MaxTokens int           `json:"max_tokens,omitempty"`
}

// chatChunk is the part of a streamed event (or, with Message, of a whole non-streamed
// response) that is used.
type chatChunk struct {
	Choices []struct {
		Index int `json:"index"`
		Delta struct {
			Content string `json:"content"`
			// Reasoning models stream their thinking apart from the reply (vLLM and
			// DeepSeek as reasoning_content, Ollama as reasoning). It is not shown, but
			// it is a sign of life: the first token has arrived.
			ReasoningContent string `json:"reasoning_content"`
			Reasoning        string `json:"reasoning"`
		} `json:"delta"`
		Message struct {
			Content string `json:"content"`
		} `json:"message"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	// Error is sent by some servers (OpenAI, vLLM) in place of a chunk when generation
	// fails after the response has started.
	Error json.RawMessage `json:"error"`
}

// Generate streams the character's reply to req. Before the first token, network errors,
// timeouts (Timeout, FirstTokenTimeout), 429 and 5xx responses are retried with backoff;
// once a token has arrived nothing is retried, since the listener has seen the start of
// the reply. Errors wrap ErrUnavailable (down, too slow or failing until the retries ran
// out), ErrRejected (a 4xx other than 429), ErrInterrupted (cut off mid-way; the Reply
// holds the partial text) or ctx's error when ctx is done, which aborts the request at
// once. They quote the status and the endpoint's message, never the API key.
func (c *OpenAI) Generate(ctx context.Context, req Request, onDelta func(string)) (Reply, error) {
	body, err := json.Marshal(chatRequest{
		Model:     c.model,
		Messages:  messages(req),
		Stream:    true,
		MaxTokens: tokenLimit(req.MaxTokens),
	})
	if err != nil {
		return Reply{Model: c.model}, fmt.Errorf("llm %s: encoding request: %w", c.model, err)
	}
	return c.send(ctx, body, onDelta)
}

// send makes one chat completions request with body, retrying network errors, timeouts,
// 429 and 5xx responses with backoff until the first token has arrived.
func (c *OpenAI) send(ctx context.Context, body []byte, onDelta func(string)) (reply Reply, err error) {
	if onDelta == nil {
		onDelta = func(string) {}
	}
	ctx, span := c.tracer.Start(ctx, "chat "+c.model, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("gen_ai.operation.name", "chat"), attribute.String("gen_ai.request.model", c.model)))
	attempts := 0
	defer func() {
		span.SetAttributes(attribute.Int("llm.attempts", attempts), attribute.Int("llm.reply.chars", len(reply.Text)))
		if err != nil {
			tracing.Fail(span, err)
		}
		span.End()
	}()
	for attempt := 0; ; attempt++ {
		attempts = attempt + 1
		reply, err = c.attempt(ctx, body, onDelta)
		if err == nil {
			return reply, nil
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return reply, fmt.Errorf("llm %s: %w", c.model, ctxErr)
		}
		var transient *transientError
		if !errors.As(err, &transient) {
			return reply, fmt.Errorf("llm %s: %w", c.model, err)
		}
		if attempt >= c.maxRetries {
			return reply, fmt.Errorf("llm %s: %w after %d attempts: %v", c.model, ErrUnavailable, attempt+1, err)
		}
		if err := c.sleep(ctx, backoff.Delay(c.retryBase, attempt, transient.retryAfter)); err != nil {
			return reply, fmt.Errorf("llm %s: %w", c.model, err)
		}
	}
}

// tokenLimit is the max_tokens sent for a request's MaxTokens: room for the emotion tag
// on top, or 0 (no limit) when MaxTokens is not set.
func tokenLimit(maxTokens int) int {
	if maxTokens <= 0 {
		return 0
	}
	return maxTokens + tagTokens
}

// transientError is a failure before the first token that is worth retrying: a network
// error, a timeout, 429 or 5xx.
type transientError struct {
	msg string
	// retryAfter is the delay the server asked for with Retry-After, -1 if none.
	retryAfter time.Duration
}

// Error returns the failure's description.
func (e *transientError) Error() string { return e.msg }

// attempt makes one request and streams its reply. It returns a *transientError for a
// failure worth retrying, which only happens before the first token.
func (c *OpenAI) attempt(ctx context.Context, body []byte, onDelta func(string)) (Reply, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	ctx, cancelTimeout := context.WithTimeoutCause(ctx, c.timeout, errTimeout)
	defer cancelTimeout()
	s := &stream{c: c, ctx: ctx, onDelta: onDelta}
	// Stopped by the first token; if it fires first, the request is aborted.
	s.firstToken = time.AfterFunc(c.firstTokenTimeout, func() { cancel(errNoFirstToken) })
	defer s.firstToken.Stop()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint, bytes.NewReader(body))
	if err != nil {
		return s.reply(), fmt.Errorf("building request: %s", c.redact(err.Error()))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}

	resp, err := c.client.Do(req)
	if err != nil {
		return s.reply(), s.broken("request failed", err)
	}
	defer func() { _ = resp.Body.Close() }()

	if resp.StatusCode/100 != 2 {
		msg := fmt.Sprintf("status %s: %s", resp.Status, c.errorMessage(resp.Body))
		switch {
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			return s.reply(), &transientError{msg, backoff.RetryAfter(resp.Header.Get("Retry-After"))}
		case resp.StatusCode/100 == 4:
			return s.reply(), fmt.Errorf("%w: %s", ErrRejected, msg)
		}
		return s.reply(), fmt.Errorf("%w: unexpected %s", ErrUnavailable, msg)
	}
	if mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mediaType == "application/json" {
		err = s.readWhole(resp.Body) // a server that ignores "stream": true
	} else {
		err = s.readEvents(resp.Body)
	}
	if err != nil {
		return s.reply(), err
	}
	r := s.reply()
	r.FinishReason = cmp.Or(s.finish, "stop")
	return r, nil
}

// stream is the state of one attempt's reply.
type stream struct {
	c          *OpenAI
	ctx        context.Context // the attempt's context, whose cause tells timeouts apart
	onDelta    func(string)
	firstToken *time.Timer
	gotToken   bool // the first token has arrived: nothing may be retried
	filter     tagFilter
	text       strings.Builder // what has been streamed to onDelta
	finish     string          // the finish_reason, "" until one is sent
}

// readEvents reads a server-sent event stream of chat completion chunks up to "data:
// [DONE]". Each data line is taken as one event: OpenAI-compatible servers never split a
// chunk over several lines, and so a server that leaves out the blank line between
// events is still understood.
func (s *stream) readEvents(body io.Reader) error {
	sc := bufio.NewScanner(body)
	sc.Buffer(make([]byte, 0, 64<<10), maxEventBytes)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data:")
		if !ok {
			continue // blank lines, comments (": keep-alive"), "event:" and "id:" fields
		}
		data = strings.TrimSpace(data)
		switch data {
		case "":
			continue
		case "[DONE]":
			return nil
		}
		if err := s.chunk([]byte(data), false); err != nil {
			return err
		}
	}
	switch err := sc.Err(); {
	case errors.Is(err, bufio.ErrTooLong):
		return s.invalid(fmt.Sprintf("stream line longer than %d KB", maxEventBytes>>10))
	case err != nil:
		return s.broken("stream broken", err)
	case s.finish != "":
		return nil // some servers end the stream after finish_reason, without [DONE]
	}
	return s.broken("stream ended before the reply was finished", io.ErrUnexpectedEOF)
}

// readWhole reads a non-streamed chat completion, and streams its text in one piece.
func (s *stream) readWhole(body io.Reader) error {
	raw, err := io.ReadAll(io.LimitReader(body, maxResponseBytes+1))
	switch {
	case err != nil:
		return s.broken("reading response", err)
	case len(raw) > maxResponseBytes:
		return s.invalid(fmt.Sprintf("response larger than %d MB", maxResponseBytes>>20))
	}
	if err := s.chunk(raw, true); err != nil {
		return err
	}
	if s.finish == "" {
		s.finish = "stop"
	}
	return nil
}

// chunk handles one event of the stream (or, if whole, a complete response).
func (s *stream) chunk(data []byte, whole bool) error {
	var ev chatChunk
	if err := json.Unmarshal(data, &ev); err != nil {
		return s.invalid("decoding stream event: " + s.c.redact(err.Error()))
	}
	if len(ev.Error) > 0 && string(ev.Error) != "null" {
		return s.invalid("error in stream: " + s.c.errorText(ev.Error))
	}
	for _, ch := range ev.Choices {
		if ch.Index != 0 {
			continue // only one reply was asked for
		}
		content := ch.Delta.Content
		if whole {
			content = ch.Message.Content
		}
		if content != "" || ch.Delta.ReasoningContent != "" || ch.Delta.Reasoning != "" {
			if err := s.tokenArrived(); err != nil {
				return err
			}
		}
		if out := s.filter.write(content); out != "" {
			s.text.WriteString(out)
			s.onDelta(out)
		}
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			s.finish = *ch.FinishReason
		}
	}
	return nil
}

// tokenArrived stops the first-token timer at the first token. If the timer has already
// fired, the request is being aborted and the token came too late: the attempt fails as
// a timeout, consistently, since nothing has been streamed yet.
func (s *stream) tokenArrived() error {
	if s.gotToken {
		return nil
	}
	if !s.firstToken.Stop() {
		return &transientError{fmt.Sprintf("no reply within %s", s.c.firstTokenTimeout), -1}
	}
	s.gotToken = true
	return nil
}

// broken describes a failed round trip or a stream cut off: retryable before the first
// token, ErrInterrupted after it.
func (s *stream) broken(what string, err error) error {
	switch cause := context.Cause(s.ctx); {
	case errors.Is(cause, errNoFirstToken):
		what = fmt.Sprintf("no reply within %s", s.c.firstTokenTimeout)
	case errors.Is(cause, errTimeout):
		what = fmt.Sprintf("reply not finished within %s", s.c.timeout)
	default:
		what += ": " + s.c.redact(err.Error())
	}
	if s.gotToken {
		return fmt.Errorf("%w: %s", ErrInterrupted, what)
	}
	return &transientError{what, -1}
}

// invalid describes a response the endpoint got wrong, which is not retried: ErrUnavailable
// before the first token, ErrInterrupted after it.
func (s *stream) invalid(what string) error {
	if s.gotToken {
		return fmt.Errorf("%w: %s", ErrInterrupted, what)
	}
	return fmt.Errorf("%w: %s", ErrUnavailable, what)
}

// reply returns the reply streamed so far, labelled with the emotion of its tag, or when
// there is none with the emotion Emotion finds in the text. Its FinishReason is "".
func (s *stream) reply() Reply {
	text := s.text.String()
	r := Reply{Text: text, Model: s.c.model}
	found, intensity := Emotion(text)
	tagged, ok := s.filter.emotion()
	switch {
	case !ok || tagged == found:
		r.Emotion, r.Intensity = found, intensity
	case tagged == EmotionNeutral:
		r.Emotion = EmotionNeutral
	default:
		// The model's word for the emotion, at a middling intensity since the text itself
		// does not show how strong it is.
		r.Emotion, r.Intensity = tagged, 0.5
	}
	return r
}

// errorMessage extracts the message of an error response: OpenAI's
// {"error": {"message": ...}}, the {"error": "..."} of some local servers, or the start
// of the body as text.
func (c *OpenAI) errorMessage(body io.Reader) string {
	raw, _ := io.ReadAll(io.LimitReader(body, maxErrorBytes))
	var wrapped struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(raw, &wrapped) == nil && len(wrapped.Error) > 0 {
		if msg := c.errorText(wrapped.Error); msg != "" {
			return msg
		}
	}
	msg := strings.Join(strings.Fields(string(raw)), " ")
	if msg == "" {
		return "(empty body)"
	}
	return c.shorten(c.redact(msg))
}

// errorText extracts the message of an "error" value: {"message": ...} or a string.
func (c *OpenAI) errorText(raw json.RawMessage) string {
	var obj struct {
		Message string `json:"message"`
	}
	var str string
	msg := strings.Join(strings.Fields(string(raw)), " ")
	switch {
	case json.Unmarshal(raw, &obj) == nil && obj.Message != "":
		msg = obj.Message
	case json.Unmarshal(raw, &str) == nil && str != "":
		msg = str
	}
	return c.shorten(c.redact(msg))
}

// shorten cuts a message quoted in an error to maxErrorMessage bytes.
func (c *OpenAI) shorten(msg string) string {
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
