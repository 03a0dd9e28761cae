package pinecone

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"syscall"
	"time"

	pc "github.com/pinecone-io/go-pinecone/v5/pinecone"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// retryPolicy is how a request is retried: Pinecone rate-limits (429) and has brief
// outages, and a write lost to one would leave the index behind PostgreSQL until the next
// rebuild.
type retryPolicy struct {
	retries       int           // attempts after the first
	timeout       time.Duration // per attempt
	base, ceiling time.Duration // backoff before the first retry, and its ceiling
}

// do runs op until it succeeds, fails for good, or the retries or ctx run out. Each
// attempt has its own timeout, so one stalled attempt is retried instead of using up
// the caller's whole deadline.
func (p retryPolicy) do(ctx context.Context, op func(context.Context) error) error {
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, p.timeout)
		err := op(actx)
		cancel()
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return fmt.Errorf("%w: %w", ctx.Err(), err)
		case !transient(err) || p.retries == 0:
			return err
		case attempt >= p.retries:
			return fmt.Errorf("gave up after %d attempts: %w", attempt+1, err)
		}
		wait := time.NewTimer(backoff(attempt, p.base, p.ceiling, rand.Float64()))
		select {
		case <-ctx.Done():
			wait.Stop()
			return fmt.Errorf("%w while waiting to retry: %w", ctx.Err(), err)
		case <-wait.C:
		}
	}
}

// backoff is the wait before retry attempt+1: base doubled per attempt up to ceiling, with
// equal jitter (half fixed, half scaled by r in [0, 1)) so that clients throttled
// together do not come back together.
func backoff(attempt int, base, ceiling time.Duration, r float64) time.Duration {
	d := min(base, ceiling)
	for range attempt {
		if d >= ceiling/2 {
			d = ceiling
			break
		}
		d *= 2
	}
	return d/2 + time.Duration(r*float64(d/2))
}

// transient reports whether a failed request may succeed if sent again: rate limiting,
// server errors, timeouts and network failures. Other client errors (bad request,
// unauthenticated, not found ...) will fail again, and a cancelled request was not
// wanted any more.
func transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	// The control plane (REST) reports the HTTP status.
	var perr *pc.PineconeError
	if errors.As(err, &perr) {
		return perr.Code == http.StatusTooManyRequests || perr.Code >= 500
	}
	// The data plane (gRPC) reports a status code; these are the codes of 429, 5xx,
	// timeouts and broken connections.
	if st, ok := status.FromError(err); ok {
		switch st.Code() {
		case codes.ResourceExhausted, codes.Unavailable, codes.DeadlineExceeded, codes.Internal, codes.Unknown:
			return true
		default:
			return false
		}
	}
	// An HTTP client error wraps the cause, which decides (a refused connection may
	// pass, a bad certificate will not).
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return transient(uerr.Err)
	}
	var nerr net.Error
	return errors.As(err, &nerr) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED)
}

// notFound reports a data-plane "not found": Pinecone's answer about a namespace that
// does not exist yet, which holds no vectors.
func notFound(err error) bool {
	st, ok := status.FromError(err)
	return ok && st.Code() == codes.NotFound
}
