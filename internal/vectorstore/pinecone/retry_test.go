package pinecone

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	pc "github.com/pinecone-io/go-pinecone/v5/pinecone"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestTransient(t *testing.T) {
	pineconeErr := func(code int) error { return &pc.PineconeError{Code: code, Msg: errors.New(`{"status_code":0}`)} }
	grpcErr := func(c codes.Code) error { return status.Error(c, "from the server") }
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"no error", nil, false},
		{"cancelled", context.Canceled, false},
		{"cancelled, wrapped", fmt.Errorf("query: %w", context.Canceled), false},
		{"attempt timed out", context.DeadlineExceeded, true},
		{"rate limited (REST)", pineconeErr(429), true},
		{"server error (REST)", pineconeErr(500), true},
		{"unavailable (REST)", fmt.Errorf("describe: %w", pineconeErr(503)), true},
		{"bad request (REST)", pineconeErr(400), false},
		{"unauthorized (REST)", pineconeErr(401), false},
		{"forbidden (REST)", pineconeErr(403), false},
		{"index not found (REST)", pineconeErr(404), false},
		{"conflict (REST)", pineconeErr(409), false},
		{"rate limited (gRPC)", grpcErr(codes.ResourceExhausted), true},
		{"unavailable (gRPC)", grpcErr(codes.Unavailable), true},
		{"deadline (gRPC)", grpcErr(codes.DeadlineExceeded), true},
		{"internal (gRPC)", grpcErr(codes.Internal), true},
		{"unknown (gRPC)", grpcErr(codes.Unknown), true},
		{"wrapped unavailable (gRPC)", fmt.Errorf("upsert: %w", grpcErr(codes.Unavailable)), true},
		{"invalid argument (gRPC)", grpcErr(codes.InvalidArgument), false},
		{"unauthenticated (gRPC)", grpcErr(codes.Unauthenticated), false},
		{"permission denied (gRPC)", grpcErr(codes.PermissionDenied), false},
		{"not found (gRPC)", grpcErr(codes.NotFound), false},
		{"failed precondition (gRPC)", grpcErr(codes.FailedPrecondition), false},
		{"aborted, a 409 (gRPC)", grpcErr(codes.Aborted), false},
		{"unimplemented (gRPC)", grpcErr(codes.Unimplemented), false},
		{"cancelled (gRPC)", grpcErr(codes.Canceled), false},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"cut short", &url.Error{Op: "Get", URL: "https://api.pinecone.io/indexes/x", Err: io.ErrUnexpectedEOF}, true},
		{"closed", io.EOF, true},
		{"DNS", &url.Error{Op: "Get", URL: "https://api.pinecone.io", Err: &net.DNSError{Err: "no such host", Name: "api.pinecone.io"}}, true},
		{"HTTP client cancelled", &url.Error{Op: "Get", URL: "https://api.pinecone.io", Err: context.Canceled}, false},
		{"bad certificate", &url.Error{Op: "Get", URL: "https://api.pinecone.io", Err: errors.New("x509: certificate signed by unknown authority")}, false},
		{"anything else", errors.New("boom"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := transient(tt.err); got != tt.want {
				t.Fatalf("transient(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{nil, false},
		{status.Error(codes.NotFound, "Namespace not found"), true},
		{fmt.Errorf("delete: %w", status.Error(codes.NotFound, "Namespace not found")), true},
		{status.Error(codes.InvalidArgument, "bad"), false},
		{&pc.PineconeError{Code: 404, Msg: errors.New("index not found")}, false},
		{errors.New("not found"), false},
	}
	for _, tt := range tests {
		if got := notFound(tt.err); got != tt.want {
			t.Errorf("notFound(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	const base, ceiling = 250 * time.Millisecond, 8 * time.Second
	tests := []struct {
		attempt  int
		r        float64
		want     time.Duration
		wantNear time.Duration // for r close to 1
	}{
		{0, 0, 125 * time.Millisecond, 0},
		{0, 0.5, 187500 * time.Microsecond, 0},
		{1, 0, 250 * time.Millisecond, 0},
		{2, 0, 500 * time.Millisecond, 0},
		{5, 0, 4 * time.Second, 0},
		{6, 0, 4 * time.Second, 0},
		{6, 0.999999, 0, 8 * time.Second},
		{1000, 0, 4 * time.Second, 0},
	}
	for _, tt := range tests {
		got := backoff(tt.attempt, base, ceiling, tt.r)
		if tt.wantNear != 0 {
			if got > tt.wantNear || got < tt.wantNear-time.Millisecond {
				t.Errorf("backoff(%d, %v) = %v, want just under %v", tt.attempt, tt.r, got, tt.wantNear)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("backoff(%d, %v) = %v, want %v", tt.attempt, tt.r, got, tt.want)
		}
	}
	if got := backoff(3, 10*time.Second, time.Second, 0); got != 500*time.Millisecond {
		t.Errorf("a base above the ceiling gives %v, want half the ceiling", got)
	}
}

// quickRetries retries at once, so that tests do not wait.
var quickRetries = retryPolicy{retries: 3, timeout: 5 * time.Second, base: time.Millisecond, ceiling: 4 * time.Millisecond}

func TestRetryPolicy(t *testing.T) {
	unavailable := status.Error(codes.Unavailable, "try later")
	tests := []struct {
		name      string
		errs      []error // one per attempt; attempts after the list succeed
		wantCalls int
		wantErr   string
		wantCode  codes.Code
	}{
		{"first time", nil, 1, "", codes.OK},
		{"after two outages", []error{unavailable, status.Error(codes.ResourceExhausted, "slow down")}, 3, "", codes.OK},
		{"gives up", []error{unavailable, unavailable, unavailable, unavailable, unavailable}, 4, "gave up after 4 attempts", codes.Unavailable},
		{"never retries a bad request", []error{status.Error(codes.InvalidArgument, "bad vector")}, 1, "bad vector", codes.InvalidArgument},
		{"never retries a refused key", []error{&pc.PineconeError{Code: 401, Msg: errors.New("invalid key")}}, 1, "invalid key", codes.Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			err := quickRetries.do(context.Background(), func(context.Context) error {
				calls++
				if calls <= len(tt.errs) {
					return tt.errs[calls-1]
				}
				return nil
			})
			if calls != tt.wantCalls {
				t.Errorf("%d calls, want %d", calls, tt.wantCalls)
			}
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
			if tt.wantCode != codes.Unknown && status.Code(err) != tt.wantCode {
				t.Fatalf("code = %v, want %v", status.Code(err), tt.wantCode)
			}
		})
	}
}

func TestRetryPolicyTimesOutEachAttempt(t *testing.T) {
	p := quickRetries
	p.timeout = 10 * time.Millisecond
	calls := 0
	err := p.do(context.Background(), func(ctx context.Context) error {
		calls++
		if calls == 1 {
			<-ctx.Done() // a stalled attempt
			return status.Error(codes.DeadlineExceeded, ctx.Err().Error())
		}
		return nil
	})
	if err != nil || calls != 2 {
		t.Fatalf("after a stalled attempt: %d calls, %v; want a second, successful one", calls, err)
	}
}

func TestRetryPolicyHonoursContext(t *testing.T) {
	// The backoff is an hour: only the cancellation can end the wait.
	p := quickRetries
	p.base, p.ceiling = time.Hour, time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	err := p.do(ctx, func(context.Context) error { return status.Error(codes.Unavailable, "down") })
	if !errors.Is(err, context.Canceled) || status.Code(err) != codes.Unavailable {
		t.Fatalf("error = %v, want the cancellation and the last failure", err)
	}

	// A context already ended stops at the first failure, whatever it was.
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	calls := 0
	err = quickRetries.do(ctx, func(ctx context.Context) error { calls++; return status.Error(codes.Unavailable, "down") })
	if calls != 1 || !errors.Is(err, context.Canceled) {
		t.Fatalf("%d calls, error %v; want one call and the cancellation", calls, err)
	}
}
