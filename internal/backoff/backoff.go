// Package backoff times the retries of Ensemble's clients of OpenAI-compatible endpoints
// (embeddings, text generation): exponential delays with jitter, a server's Retry-After
// honoured, both capped.
package backoff

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Max caps both the exponential delay and a server's Retry-After, so that a misbehaving
// server cannot park a caller for minutes.
const Max = 30 * time.Second

// RetryAfter reads a Retry-After header (seconds or an HTTP date), capped at Max; -1
// when there is none or it cannot be read.
func RetryAfter(header string) time.Duration {
	header = strings.TrimSpace(header)
	if header == "" {
		return -1
	}
	if secs, err := strconv.Atoi(header); err == nil {
		if secs < 0 {
			return -1
		}
		return time.Duration(min(secs, int(Max/time.Second))) * time.Second
	}
	if at, err := http.ParseTime(header); err == nil {
		return min(max(time.Until(at), 0), Max)
	}
	return -1
}

// Delay is the wait before retry number attempt+1: the server's Retry-After when given
// (server ≥ 0), otherwise base·2^attempt with "equal jitter" (a random point in its
// upper half), which spreads out clients that failed together. Both are capped at Max.
func Delay(base time.Duration, attempt int, server time.Duration) time.Duration {
	if server >= 0 {
		return min(server, Max)
	}
	d := base
	for range attempt {
		if d >= Max {
			break
		}
		d *= 2
	}
	d = min(d, Max)
	half := d / 2
	return half + rand.N(d-half+1)
}

// Sleep waits for d, or until ctx is done, whichever comes first.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
