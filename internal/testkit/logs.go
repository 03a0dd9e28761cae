package testkit

import (
	"context"
	"log/slog"
	"strings"
	"sync"
)

// logRecorder keeps the server's warnings and errors, for tests asserting that something
// is, or is not, logged; records go on to the handler it wraps as before.
type logRecorder struct {
	slog.Handler
	kept *keptLogs
}

type keptLogs struct {
	mu    sync.Mutex
	lines []string
}

func (l logRecorder) Enabled(ctx context.Context, level slog.Level) bool {
	return level >= slog.LevelWarn || l.Handler.Enabled(ctx, level)
}

func (l logRecorder) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelWarn {
		var b strings.Builder
		b.WriteString(r.Level.String() + " " + r.Message)
		r.Attrs(func(a slog.Attr) bool {
			b.WriteString(" " + a.String())
			return true
		})
		l.kept.mu.Lock()
		l.kept.lines = append(l.kept.lines, b.String())
		l.kept.mu.Unlock()
	}
	if !l.Handler.Enabled(ctx, r.Level) {
		return nil
	}
	return l.Handler.Handle(ctx, r)
}

func (l logRecorder) WithAttrs(attrs []slog.Attr) slog.Handler {
	return logRecorder{Handler: l.Handler.WithAttrs(attrs), kept: l.kept}
}

func (l logRecorder) WithGroup(name string) slog.Handler {
	return logRecorder{Handler: l.Handler.WithGroup(name), kept: l.kept}
}

// Warnings returns the server's log lines at warning level or above so far, each as
// "LEVEL message key=value ...".
func (s *Server) Warnings() []string {
	s.logs.mu.Lock()
	defer s.logs.mu.Unlock()
	return append([]string(nil), s.logs.lines...)
}
