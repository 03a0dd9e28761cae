package server

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/metrics"
	"github.com/literaryai/ensemble/internal/tracing"
)

const headerRequestID = "X-Request-Id"

type ctxKey int

const (
	requestIDKey ctxKey = iota
	loggerKey
)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// loggerFrom returns the request's logger (carrying its request id), or fallback.
func loggerFrom(ctx context.Context, fallback *slog.Logger) *slog.Logger {
	if l, ok := ctx.Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return fallback
}

var clientRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{8,64}$`)

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// statusRecorder remembers the status a handler wrote, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
	// route is the pattern of the route that took the request, for the metrics.
	route string
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (flushing, deadlines).
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// apiCSP is the policy of every response but the playground page: the API answers data,
// never a page to render, so nothing may load, run or frame it.
const apiCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// setSecurityHeaders marks a response so that a browser never sniffs it into something
// runnable, frames it, or sends its URL along as a referrer.
func setSecurityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", apiCSP)
}

// observe gives every request an id (the client's X-Request-Id when it is sane), a span
// (continuing the client's trace when it sends a W3C traceparent), a logger carrying
// both, the security headers, an access-log line, its metrics, and recovery from panics.
func observe(logger *slog.Logger, m *metrics.Metrics, tp trace.TracerProvider, next http.Handler) http.Handler {
	tracer := tracing.Provider(tp).Tracer(tracing.Name)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setSecurityHeaders(w.Header())
		id := r.Header.Get(headerRequestID)
		if !clientRequestID.MatchString(id) {
			id = newRequestID()
		}
		w.Header().Set(headerRequestID, id)
		ctx := propagation.TraceContext{}.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("request.id", id)))
		l := logger.With("request_id", id)
		if sc := span.SpanContext(); sc.IsValid() {
			l = l.With("trace_id", sc.TraceID().String())
		}
		ctx = context.WithValue(context.WithValue(ctx, requestIDKey, id), loggerKey, l)
		rec := &statusRecorder{ResponseWriter: w}
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				l.Error("panic in handler", "panic", p, "stack", string(debug.Stack()))
				if rec.status == 0 {
					writeRequestError(rec, mediaJSON, http.StatusInternalServerError, codeInternal, "internal error (request "+id+")")
				}
			}
			took := time.Since(start)
			status := cmp.Or(rec.status, http.StatusOK)
			m.HTTPRequest(rec.route, status, took)
			l.Info("request", "method", r.Method, "path", r.URL.Path, "status", rec.status,
				"bytes", rec.bytes, "duration_ms", took.Milliseconds())
			span.SetName(r.Method + " " + rec.route)
			span.SetAttributes(attribute.String("http.route", rec.route), attribute.Int("http.response.status_code", status))
			if status >= http.StatusInternalServerError {
				span.SetStatus(codes.Error, http.StatusText(status))
			}
			span.End()
		}()
		next.ServeHTTP(rec, r.WithContext(ctx))
	})
}

// allowedHeaders are the request headers a browser may send cross-origin: ours, and those
// Apollo Client adds (its client awareness and operation name headers), which a browser
// would otherwise refuse to send.
const allowedHeaders = "Authorization, Content-Type, Accept, Apollo-Require-Preflight, X-Request-Id, " +
	"Apollographql-Client-Name, Apollographql-Client-Version, X-Apollo-Operation-Name"

// csrfHeaders are the headers that mark an upload as sent by a script (so preflighted
// cross-site), the ones Apollo Server's CSRF prevention accepts.
var csrfHeaders = []string{"Apollo-Require-Preflight", "X-Apollo-Operation-Name"}

// cors answers preflights and marks responses for the allowed origins. Credentials are
// bearer tokens, not cookies, so allowing any origin does not expose sessions.
func cors(origins []string, next http.Handler) http.Handler {
	any := slices.Contains(origins, "*")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && (any || slices.Contains(origins, origin)) {
			h := w.Header()
			if any {
				h.Set("Access-Control-Allow-Origin", "*")
			} else {
				h.Set("Access-Control-Allow-Origin", origin)
				h.Add("Vary", "Origin")
			}
			h.Set("Access-Control-Expose-Headers", headerRequestID)
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
				h.Set("Access-Control-Allow-Headers", allowedHeaders)
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// authenticate puts the caller's identity in the context. A bad token does not fail the
// request (register and login need none); protected fields answer why it was refused.
func authenticate(svc *auth.Service, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		if h == "" {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		scheme, token, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" {
			ctx = auth.WithRejection(ctx, auth.ErrMalformedHeader)
		} else if id, err := svc.Authenticate(ctx, strings.TrimSpace(token)); err != nil {
			ctx = auth.WithRejection(ctx, err)
		} else {
			ctx = auth.WithIdentity(ctx, id)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// guardUploads refuses multipart requests that a browser could send cross-site without a
// CORS preflight (a plain HTML form), the way Apollo Server does: an upload must carry an
// Apollo-Require-Preflight or X-Apollo-Operation-Name header, which forces the preflight.
// It also refuses bodies declared over the size limit before reading them. Refusals come
// in the media type the client accepts, as the transport's own answers do.
func guardUploads(maxBytes int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || !strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "multipart/") {
			next.ServeHTTP(w, r)
			return
		}
		media := responseMedia(r.Header.Get("Accept"))
		if media == "" {
			// The transport answers 406 once the request is past these checks.
			media = mediaJSON
		}
		if !slices.ContainsFunc(csrfHeaders, func(h string) bool { return r.Header.Get(h) != "" }) {
			writeRequestError(w, media, http.StatusBadRequest, codeBadRequest,
				"uploads must send the header Apollo-Require-Preflight: true or X-Apollo-Operation-Name (it protects against cross-site form posts)")
			return
		}
		if r.ContentLength > maxBytes {
			writeRequestError(w, media, http.StatusRequestEntityTooLarge, codePayloadTooLarge, errTooLargeBody(maxBytes).Error())
			return
		}
		next.ServeHTTP(w, r)
	})
}
