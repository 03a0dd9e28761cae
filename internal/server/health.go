package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/literaryai/ensemble/db"
)

// health serves the liveness, readiness and dependency endpoints.
type health struct {
	d       Deps
	started time.Time
	// migrator reads the embedded migrations once, not at every readiness probe.
	migrator func() (*db.Migrator, error)
	// tokenHash is the SHA-256 of HEALTH_TOKEN, or nil when none is set.
	tokenHash []byte
}

func newHealth(d Deps) health {
	h := health{d: d, started: time.Now(), migrator: sync.OnceValues(func() (*db.Migrator, error) {
		return db.NewMigrator(d.Pool, nil)
	})}
	if d.HealthToken != "" {
		sum := sha256.Sum256([]byte(d.HealthToken))
		h.tokenHash = sum[:]
	}
	return h
}

// mayReadDetails decides who reads /health/detailed, whose versions and latencies help
// an attacker choose an exploit: anyone in development; in production an admin's access
// token, or the HEALTH_TOKEN. It answers the refusal itself and reports false.
func (h health) mayReadDetails(w http.ResponseWriter, r *http.Request) bool {
	if !h.d.Production {
		return true
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="ensemble"`)
		writeHealth(w, http.StatusUnauthorized, map[string]any{"status": "unauthorized",
			"reason": "send an admin's access token or the health token as a bearer token"})
		return false
	}
	if h.tokenHash != nil {
		// Hashes of equal length, so the comparison takes as long whatever was sent.
		sum := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(sum[:], h.tokenHash) == 1 {
			return true
		}
	}
	id, err := h.d.Resolver.AuthService.Authenticate(r.Context(), token)
	switch {
	case err != nil:
		w.Header().Set("WWW-Authenticate", `Bearer realm="ensemble", error="invalid_token"`)
		writeHealth(w, http.StatusUnauthorized, map[string]any{"status": "unauthorized", "reason": "the token is not valid"})
		return false
	case !id.IsAdmin():
		writeHealth(w, http.StatusForbidden, map[string]any{"status": "forbidden", "reason": "only an admin may read the details"})
		return false
	}
	return true
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

// Readiness is what /health/ready says besides the database: an instance shutting down
// says it is not ready, so that a load balancer stops sending it requests while it drains.
type Readiness struct{ draining atomic.Bool }

// Drain makes /health/ready answer 503 from now on.
func (r *Readiness) Drain() { r.draining.Store(true) }

// ready answers GET /health/ready: the instance is not draining, the database answers and
// every migration is applied.
func (h health) ready(w http.ResponseWriter, r *http.Request) {
	if h.d.Readiness != nil && h.d.Readiness.draining.Load() {
		writeHealth(w, http.StatusServiceUnavailable, map[string]any{"status": "draining", "reason": "shutting down"})
		return
	}
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
	if !h.mayReadDetails(w, r) {
		return
	}
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
