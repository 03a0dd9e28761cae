package tracing_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/literaryai/ensemble/internal/tracing"
)

// TestSetupSendsOTLP: with an endpoint, spans reach an OTLP/HTTP collector at
// <endpoint>/v1/traces, named as made and under the service's name, by the time the
// shutdown returns; without one, nothing is sent.
func TestSetupSendsOTLP(t *testing.T) {
	t.Parallel()
	var (
		mu       sync.Mutex
		received []*collectortrace.ExportTraceServiceRequest
	)
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		req := &collectortrace.ExportTraceServiceRequest{}
		if err != nil || r.URL.Path != "/v1/traces" || r.Header.Get("Content-Type") != "application/x-protobuf" ||
			proto.Unmarshal(body, req) != nil {
			http.Error(w, "not an OTLP trace export", http.StatusBadRequest)
			return
		}
		mu.Lock()
		received = append(received, req)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		_, _ = w.Write(out)
	}))
	t.Cleanup(collector.Close)

	tp, shutdown, err := tracing.Setup(context.Background(), collector.URL+"/", "ensemble-test", "v1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	_, span := tp.Tracer(tracing.Name).Start(context.Background(), "query Exported")
	span.End()
	if err := shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	mu.Lock()
	defer mu.Unlock()
	var names []string
	service := ""
	for _, req := range received {
		for _, rs := range req.GetResourceSpans() {
			for _, kv := range rs.GetResource().GetAttributes() {
				if kv.GetKey() == "service.name" {
					service = kv.GetValue().GetStringValue()
				}
			}
			for _, ss := range rs.GetScopeSpans() {
				for _, s := range ss.GetSpans() {
					names = append(names, s.GetName())
				}
			}
		}
	}
	if len(names) != 1 || names[0] != "query Exported" || service != "ensemble-test" {
		t.Fatalf("collector got spans %q of service %q, want [query Exported] of ensemble-test", names, service)
	}

	silent, shutdownSilent, err := tracing.Setup(context.Background(), "", "ensemble-test", "v1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	_, span = silent.Tracer(tracing.Name).Start(context.Background(), "nowhere")
	if span.IsRecording() {
		t.Error("without an endpoint spans record")
	}
	span.End()
	if err := shutdownSilent(context.Background()); err != nil {
		t.Fatal(err)
	}
}
