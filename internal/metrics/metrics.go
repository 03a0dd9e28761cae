// Package metrics exports Ensemble's Prometheus metrics: HTTP requests, GraphQL
// operations, live connections, event delivery, background jobs, database pools and the
// vector index. Everything hangs off one Registry made by the composition root and
// passed down, so tests and several servers in one process never share series.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Label values standing for what a client sent but may not name a series.
const (
	// Anonymous is the operation label of an operation without a name.
	Anonymous = "anonymous"
	// Other is the label of a name past the cap of distinct names.
	Other = "other"
	// Invalid is the operation label of a request that never became an operation (it did
	// not parse, or named no operation of its document).
	Invalid = "invalid"
	// Unmatched is the route label of a request no route took.
	Unmatched = "unmatched"
)

// Caps on distinct label values that clients choose: operation names are the client's
// to pick, so past the first MaxOperationNames every new one counts as Other.
const (
	MaxOperationNames = 200
	maxErrorCodes     = 64
	maxNameBytes      = 100
)

// Metrics are the collectors of one server.
type Metrics struct {
	registry *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec

	operations      *prometheus.HistogramVec
	operationErrors *prometheus.CounterVec
	subscriptions   *prometheus.CounterVec
	names           *capped
	codes           *capped

	webSockets     prometheus.Gauge
	liveOperations prometheus.Gauge

	busLag prometheus.Histogram

	jobDuration *prometheus.HistogramVec
	jobWait     *prometheus.HistogramVec
	jobFailures *prometheus.CounterVec
}

// New makes the metrics on a registry of their own, with the Go runtime and process
// collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		registry: reg,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ensemble_http_requests_total", Help: "HTTP requests answered, by route pattern and status.",
		}, []string{"route", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ensemble_http_request_duration_seconds", Help: "Time to answer an HTTP request, by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
		operations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "ensemble_graphql_operation_duration_seconds",
			Help:    "Time from receiving a GraphQL query or mutation to its response, by operation name and type.",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation", "type"}),
		operationErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ensemble_graphql_errors_total", Help: "Errors in GraphQL responses, by operation name and error code.",
		}, []string{"operation", "code"}),
		subscriptions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ensemble_graphql_subscriptions_started_total", Help: "GraphQL subscriptions started, by operation name.",
		}, []string{"operation"}),
		names: newCapped(MaxOperationNames),
		codes: newCapped(maxErrorCodes),
		webSockets: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ensemble_websocket_connections", Help: "WebSocket connections acknowledged and still open.",
		}),
		liveOperations: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "ensemble_graphql_subscriptions_active", Help: "GraphQL subscriptions running (WebSocket and SSE).",
		}),
		busLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "ensemble_bus_delivery_lag_seconds",
			Help:    "Time from an event's creation to its arrival from the bus on this instance.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ensemble_job_duration_seconds", Help: "Time to work a background job, by kind.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120},
		}, []string{"kind"}),
		jobWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ensemble_job_wait_seconds", Help: "Time a background job waited between being due and being worked, by kind.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"kind"}),
		jobFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ensemble_job_failures_total", Help: "Background job attempts that failed, by kind.",
		}, []string{"kind"}),
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpRequests, m.httpDuration, m.operations, m.operationErrors, m.subscriptions,
		m.webSockets, m.liveOperations, m.busLag, m.jobDuration, m.jobWait, m.jobFailures)
	return m
}

// Registry is where further collectors go.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Handler answers a scrape. A collector that fails (a database query at scrape time)
// leaves its series out rather than failing the whole scrape.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// HTTPRequest records an answered request; route is the pattern that took it ("" when
// none did).
func (m *Metrics) HTTPRequest(route string, status int, d time.Duration) {
	if route == "" {
		route = Unmatched
	}
	m.httpRequests.WithLabelValues(route, statusLabel(status)).Inc()
	m.httpDuration.WithLabelValues(route).Observe(d.Seconds())
}

// statusLabel spares the common statuses a string allocation.
func statusLabel(status int) string {
	switch status {
	case http.StatusOK:
		return "200"
	case http.StatusSwitchingProtocols:
		return "101"
	case http.StatusNoContent:
		return "204"
	case http.StatusBadRequest:
		return "400"
	case http.StatusNotFound:
		return "404"
	}
	return strconv.Itoa(status)
}

// OperationName is the label of an operation name: Anonymous for none, Other past the cap.
func (m *Metrics) OperationName(name string) string {
	if name == "" {
		return Anonymous
	}
	return m.names.label(name)
}

// Operation records a finished query or mutation; operation is an OperationName label.
func (m *Metrics) Operation(operation, kind string, d time.Duration) {
	m.operations.WithLabelValues(operation, kind).Observe(d.Seconds())
}

// OperationError records one error of a response; operation is an OperationName label.
func (m *Metrics) OperationError(operation, code string) {
	if code == "" {
		code = "UNKNOWN"
	}
	m.operationErrors.WithLabelValues(operation, m.codes.label(code)).Inc()
}

// SubscriptionStarted counts a subscription as running until the returned function is
// called; operation is an OperationName label.
func (m *Metrics) SubscriptionStarted(operation string) (ended func()) {
	m.subscriptions.WithLabelValues(operation).Inc()
	m.liveOperations.Inc()
	return m.liveOperations.Dec
}

// WebSocketOpened counts a connection as open until the returned function is called.
func (m *Metrics) WebSocketOpened() (closed func()) {
	m.webSockets.Inc()
	return m.webSockets.Dec
}

// BusLag observes the delay of events arriving from the bus, in seconds.
func (m *Metrics) BusLag() prometheus.Observer { return m.busLag }

// capped hands out label values for names a client chooses: the first max distinct names
// are their own label, later ones are Other, so the series stay bounded whatever is sent.
type capped struct {
	max  int
	mu   sync.RWMutex
	seen map[string]struct{}
}

func newCapped(max int) *capped { return &capped{max: max, seen: make(map[string]struct{}, max)} }

func (c *capped) label(name string) string {
	if len(name) > maxNameBytes {
		return Other
	}
	c.mu.RLock()
	_, ok := c.seen[name]
	c.mu.RUnlock()
	if ok {
		return name
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.seen[name]; ok {
		return name
	}
	if len(c.seen) >= c.max {
		return Other
	}
	c.seen[name] = struct{}{}
	return name
}
