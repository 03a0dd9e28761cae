package server

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/literaryai/ensemble/db"
)

// health serves the liveness, readiness and dependency endpoints.
type health struct {
	d       Deps
	started time.Time
	// migrator reads the embedded migrations once, not at every readiness probe.
	migrator func() (*db.Migrator, error)
}

func newHealth(d Deps) health {
	return health{d: d, started: time.Now(), migrator: sync.OnceValues(func() (*db.Migrator, error) {
		return db.NewMigrator(d.Pool, nil)
	})}
}

func writeHealth(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// summary answers GET /health.
func (h health) summary(w http.ResponseWriter, _ *http.Request) {
	writeHealth(w, http.StatusOK, map[string]any{"status": "ok", "version": h.d.Version})
}

// live answers GET /health/live: the process is up and serving.
func (h health) live(w http.ResponseWriter, _ *http.Request) {
	writeHealth(w, http.StatusOK, map[string]any{"status": "ok"})
}

// ready answers GET /health/ready: the database answers and every migration is applied.
func (h health) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	if err := h.d.Pool.Ping(ctx); err != nil {
		writeHealth(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "reason": "database unreachable"})
		return
	}
	m, err := h.migrator()
	if err != nil {
		writeHealth(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "reason": "migrations unreadable"})
		return
	}
	pending, err := m.Pending(ctx)
	if err != nil || pending {
		writeHealth(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "reason": "database not migrated"})
		return
	}
	writeHealth(w, http.StatusOK, map[string]any{"status": "ok"})
}

type dependency struct {
	Status    string  `json:"status"`
	Backend   string  `json:"backend"`
	LatencyMS float64 `json:"latencyMs,omitempty"`
	Version   string  `json:"version,omitempty"`
	Error     string  `json:"error,omitempty"`
}

// detailed answers GET /health/detailed: every dependency with its backend, status,
// latency and version.
func (h health) detailed(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	pg := dependency{Backend: h.d.Database.Backend, Version: h.d.Database.Version}
	start := time.Now()
	var version string
	if err := h.d.Pool.QueryRow(ctx, "SHOW server_version").Scan(&version); err != nil {
		pg.Status, pg.Error = "down", "unreachable"
	} else {
		pg.Status, pg.Version = "up", version
	}
	pg.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
	deps := map[string]dependency{"postgres": pg}
	status, code := "ok", http.StatusOK
	if pg.Status != "up" {
		status, code = "degraded", http.StatusServiceUnavailable
	}
	if h.d.Graph != nil {
		start := time.Now()
		st := h.d.Graph.Status(ctx)
		g := dependency{Status: "up", Backend: st.Backend, Version: st.Version, Error: st.Error,
			LatencyMS: float64(time.Since(start).Microseconds()) / 1000}
		if !st.Up {
			g.Status, status, code = "down", "degraded", http.StatusServiceUnavailable
		}
		deps["graph"] = g
	}
	if h.d.Vectors != nil {
		st := h.d.Vectors.Status(ctx)
		v := dependency{Status: "up", Backend: st.Backend, Version: st.Detail}
		if !st.Up {
			v.Status, status, code = "down", "degraded", http.StatusServiceUnavailable
		}
		deps["vectors"] = v
	}
	if h.d.Embedder != nil {
		deps["embeddings"] = dependency{Status: "up", Backend: h.d.Embedder.Model()}
	}
	if h.d.Generator != "" {
		deps["textGeneration"] = dependency{Status: "up", Backend: h.d.Generator}
	}
	if h.d.Bus != nil {
		b := dependency{Status: "up", Backend: "in-process"}
		if p, ok := h.d.Bus.(interface{ Ping(context.Context) error }); ok {
			start := time.Now()
			b.Backend = "redis"
			if err := p.Ping(ctx); err != nil {
				// Live streams catch up from Postgres once Redis is back, so a Redis
				// outage degrades live delivery but loses nothing.
				b.Status, b.Error, status, code = "down", "unreachable", "degraded", http.StatusServiceUnavailable
			}
			b.LatencyMS = float64(time.Since(start).Microseconds()) / 1000
		}
		deps["events"] = b
	}
	writeHealth(w, code, map[string]any{
		"status":        status,
		"version":       h.d.Version,
		"uptimeSeconds": int(time.Since(h.started).Seconds()),
		"dependencies":  deps,
	})
}
