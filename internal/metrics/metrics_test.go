package metrics_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/literaryai/ensemble/internal/auth"
	"github.com/literaryai/ensemble/internal/metrics"
	"github.com/literaryai/ensemble/internal/testkit"
)

// scrape reads /metrics with the authorization given ("" for none) and parses it.
func scrape(t *testing.T, s *testkit.Server, authorization string) map[string]*dto.MetricFamily {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.URL+"/metrics", nil)
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: status %d", resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return families
}

// value is the value of the series of family with exactly these labels (a histogram's
// count), and whether there is one.
func value(families map[string]*dto.MetricFamily, family string, labels map[string]string) (float64, bool) {
	f := families[family]
	if f == nil {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		match := true
		for _, l := range m.GetLabel() {
			if labels[l.GetName()] != l.GetValue() {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount()), true
		}
	}
	return 0, false
}

func labelValues(families map[string]*dto.MetricFamily, family, label string) map[string]bool {
	out := map[string]bool{}
	for _, m := range families[family].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label {
				out[l.GetValue()] = true
			}
		}
	}
	return out
}

// TestMetricsScrape: after a named query, a failing query, a mutation and a live
// subscription, /metrics names each by route, operation and error code, and exports
// the runtime, pools, job queue, bus lag and vector index.
func TestMetricsScrape(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, testkit.RedisEnv(t)...)
	c, session := s.Register(t, "metricsuser")
	ecosystem := c.CreateEcosystem(t, "Metrics")
	c.Must(t, `query Mine($id: ID!) { ecosystem(id: $id) { name } }`, map[string]any{"id": ecosystem}, &struct{}{})
	if code := c.Do(t, `query Broken { nope }`, nil).Code(t); code != "GRAPHQL_VALIDATION_FAILED" {
		t.Fatalf("code %q, want GRAPHQL_VALIDATION_FAILED", code)
	}
	if code := s.Client().Do(t, `query Me { me { id } }`, nil).Code(t); code != "UNAUTHENTICATED" {
		t.Fatalf("code %q, want UNAUTHENTICATED", code)
	}
	ws := s.Live(t, session.AccessToken)
	ws.Subscribe("1", `subscription Watch($e: ID!) { ecosystemActivity(ecosystemId: $e) { cursor } }`, map[string]any{"e": ecosystem})
	// A subscription without a cursor starts live a moment after it is counted.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if v, _ := value(scrape(t, s, ""), "ensemble_graphql_subscriptions_active", nil); v == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the subscription is not counted as active")
		}
	}
	time.Sleep(200 * time.Millisecond)
	c.CreateCharacter(t, ecosystem, "Elizabeth")
	if m := ws.Read(10 * time.Second); m.Type != "next" {
		t.Fatalf("want an event, got %+v", m)
	}
	if _, err := s.Pool.Exec(t.Context(), `INSERT INTO river_job (kind, args, queue, state, scheduled_at, max_attempts)
		VALUES ('metrics_probe', '{}', 'default', 'scheduled', now() + interval '1 day', 1)`); err != nil {
		t.Fatal(err)
	}

	f := scrape(t, s, "")
	want := []struct {
		family string
		labels map[string]string
	}{
		{"ensemble_http_requests_total", map[string]string{"route": "/graphql", "status": "200"}},
		{"ensemble_http_request_duration_seconds", map[string]string{"route": "/graphql"}},
		{"ensemble_graphql_operation_duration_seconds", map[string]string{"operation": "Mine", "type": "query"}},
		{"ensemble_graphql_operation_duration_seconds", map[string]string{"operation": metrics.Anonymous, "type": "mutation"}},
		{"ensemble_graphql_operation_duration_seconds", map[string]string{"operation": "Me", "type": "query"}},
		{"ensemble_graphql_errors_total", map[string]string{"operation": "Me", "code": "UNAUTHENTICATED"}},
		{"ensemble_graphql_errors_total", map[string]string{"operation": metrics.Invalid, "code": "GRAPHQL_VALIDATION_FAILED"}},
		{"ensemble_graphql_subscriptions_started_total", map[string]string{"operation": "Watch"}},
		{"ensemble_db_pool_acquires_total", map[string]string{"pool": "requests"}},
		{"ensemble_db_pool_max_connections", map[string]string{"pool": "jobs"}},
		{"ensemble_jobs", map[string]string{"queue": "default", "state": "scheduled"}},
		{"ensemble_bus_delivery_lag_seconds", nil},
		{"ensemble_vector_index_bytes", nil},
		{"go_goroutines", nil},
		{"process_cpu_seconds_total", nil},
	}
	for _, w := range want {
		if v, ok := value(f, w.family, w.labels); !ok || v <= 0 && !strings.HasPrefix(w.family, "ensemble_vector") {
			t.Errorf("%s%v = %v (present %v), want a positive value", w.family, w.labels, v, ok)
		}
	}
	for family, want := range map[string]float64{"ensemble_websocket_connections": 1, "ensemble_graphql_subscriptions_active": 1} {
		if v, _ := value(f, family, nil); v != want {
			t.Errorf("%s = %v, want %v", family, v, want)
		}
	}

	_ = ws.Conn.Close(websocket.StatusNormalClosure, "")
	// An upgraded request is counted when its socket closes.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		f = scrape(t, s, "")
		live, _ := value(f, "ensemble_graphql_subscriptions_active", nil)
		sockets, _ := value(f, "ensemble_websocket_connections", nil)
		upgrades, _ := value(f, "ensemble_http_requests_total", map[string]string{"route": "/graphql", "status": "101"})
		if live == 0 && sockets == 0 && upgrades == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the socket closed: %v subscriptions and %v sockets counted, %v upgrades", live, sockets, upgrades)
		}
	}
}

// TestMetricsOperationNameCap: operation names are the client's to choose; past the cap
// every new one counts as "other", so random names cannot grow the series without bound.
func TestMetricsOperationNameCap(t *testing.T) {
	t.Parallel()
	s := testkit.NewServer(t, "RATE_LIMIT_ANONYMOUS_COST_PER_MINUTE=1000000")
	c := s.Client()
	var wg sync.WaitGroup
	next := make(chan int)
	for range 4 {
		wg.Go(func() {
			for i := range next {
				c.Must(t, fmt.Sprintf(`query Random%d { __typename }`, i), nil, &struct{}{})
			}
		})
	}
	for i := range metrics.MaxOperationNames + 50 {
		next <- i
	}
	close(next)
	wg.Wait()
	c.Must(t, `query Random0 { __typename }`, nil, &struct{}{})
	c.Must(t, `query `+strings.Repeat("Long", 30)+` { __typename }`, nil, &struct{}{})

	names := labelValues(scrape(t, s, ""), "ensemble_graphql_operation_duration_seconds", "operation")
	if len(names) != metrics.MaxOperationNames+1 || !names[metrics.Other] {
		t.Fatalf("%d distinct operation labels (other: %v), want %d names and %q", len(names), names[metrics.Other],
			metrics.MaxOperationNames, metrics.Other)
	}
	if !names["Random0"] {
		t.Fatal("a name seen before the cap lost its own series")
	}
}

// TestMetricsAccess: in production /metrics is protected exactly as /health/detailed;
// it answers GET only.
func TestMetricsAccess(t *testing.T) {
	t.Parallel()
	const healthToken = "health-token-0123456789abcdef0123456789"
	s := testkit.NewServer(t, "ENSEMBLE_ENV=production", "HEALTH_TOKEN="+healthToken)
	_, user := s.Register(t, "plainuser")
	s.Register(t, "theadmin")
	if err := auth.SetRole(t.Context(), s.Pool, "theadmin", auth.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	var admin struct{ Login struct{ AccessToken string } }
	s.Client().Must(t, `mutation { login(input: {login: "theadmin", password: "password-theadmin"}) { accessToken } }`, nil, &admin)

	tests := []struct {
		name, method, authorization string
		status                      int
	}{
		{"no token", http.MethodGet, "", 401},
		{"not a bearer token", http.MethodGet, "Basic " + healthToken, 401},
		{"wrong health token", http.MethodGet, "Bearer " + healthToken + "x", 401},
		{"a user's access token", http.MethodGet, "Bearer " + user.AccessToken, 403},
		{"an admin's access token", http.MethodGet, "Bearer " + admin.Login.AccessToken, 200},
		{"the health token", http.MethodGet, "Bearer " + healthToken, 200},
		{"POST", http.MethodPost, "Bearer " + healthToken, 405},
		{"PUT", http.MethodPut, "Bearer " + healthToken, 405},
		{"DELETE", http.MethodDelete, "Bearer " + healthToken, 405},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, s.URL+"/metrics", strings.NewReader("x"))
			if tc.authorization != "" {
				req.Header.Set("Authorization", tc.authorization)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.status == 200 && !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
				t.Fatalf("Content-Type %q, want the text exposition format", resp.Header.Get("Content-Type"))
			}
		})
	}
	f := scrape(t, s, "Bearer "+healthToken)
	if v, _ := value(f, "ensemble_http_requests_total", map[string]string{"route": "GET /metrics", "status": "401"}); v < 3 {
		t.Fatalf("refused scrapes counted %v times, want at least 3", v)
	}
	if v, _ := value(f, "ensemble_http_requests_total", map[string]string{"route": metrics.Unmatched, "status": "405"}); v < 3 {
		t.Fatalf("wrong methods counted %v times under %q, want at least 3", v, metrics.Unmatched)
	}
}

// TestTraces: a request is a span continuing the client's trace, its operation a child
// span, the operation's loader batches and SQL statements children of that, and the
// request's log lines, its access-log line included, carry the trace id.
func TestTraces(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	var logs syncBuffer
	s := testkit.NewWatchedServer(t, testkit.Telemetry{Tracer: tp,
		Log: slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})})
	c, _ := s.Register(t, "traceuser")
	ecosystem := c.CreateEcosystem(t, "Traces")
	c.CreateCharacter(t, ecosystem, "Watson")
	spans.Reset()
	before := len(logs.String())
	const clientTrace = "4bf92f3577b34da6a3ce929d0e0e4736"
	c.Header = http.Header{"Traceparent": {"00-" + clientTrace + "-00f067aa0ba902b7-01"}}
	c.Must(t, `query Traced($id: ID!) { ecosystem(id: $id) { name owner { username }
		characters(first: 5) { edges { node { name } } } } }`, map[string]any{"id": ecosystem}, &struct{}{})

	byName := map[string]sdktrace.ReadOnlySpan{}
	for _, sp := range spans.GetSpans().Snapshots() {
		byName[sp.Name()] = sp
	}
	request, op := byName["POST /graphql"], byName["query Traced"]
	if request == nil || op == nil {
		t.Fatalf("want spans for the request and the operation, got %v", slices.Collect(maps.Keys(byName)))
	}
	if got := request.SpanContext().TraceID().String(); got != clientTrace {
		t.Errorf("the request's trace is %s, not the client's %s", got, clientTrace)
	}
	if op.Parent().SpanID() != request.SpanContext().SpanID() {
		t.Error("the operation's span is not a child of the request's")
	}
	children := map[string]int{}
	for _, sp := range spans.GetSpans().Snapshots() {
		if sp.Parent().SpanID() == op.SpanContext().SpanID() {
			kind, _, _ := strings.Cut(sp.Name(), " ")
			children[kind]++
		}
	}
	if children["db"] == 0 || children["loader"] == 0 {
		t.Fatalf("want SQL and loader batch spans under the operation, got %v", children)
	}
	access := ""
	for _, line := range strings.Split(logs.String()[before:], "\n") {
		if strings.Contains(line, "msg=request ") {
			access = line
		}
	}
	if !strings.Contains(access, "trace_id="+clientTrace) {
		t.Fatalf("the access-log line %q lacks trace_id=%s", access, clientTrace)
	}
}

// syncBuffer is a buffer the server's goroutines log into while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
