package graphqlws_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/literaryai/ensemble/internal/graphqlws"
)

// TestHandshake: the upgrade needs a known subprotocol (400 otherwise, no silent fallback)
// and an allowed Origin (403 otherwise).
func TestHandshake(t *testing.T) {
	ts := startServer(t, graphqlws.Config{OriginPatterns: []string{"app.example.com"}}, newTestSchema(0))
	tests := []struct {
		name         string
		origin       string
		subprotocols []string
		wantStatus   int
		wantProtocol string
	}{
		{name: "no subprotocol", wantStatus: http.StatusBadRequest},
		{name: "unknown subprotocol", subprotocols: []string{"mqtt"}, wantStatus: http.StatusBadRequest},
		{name: "modern", subprotocols: []string{modern}, wantStatus: http.StatusSwitchingProtocols, wantProtocol: modern},
		{name: "legacy", subprotocols: []string{legacy}, wantStatus: http.StatusSwitchingProtocols, wantProtocol: legacy},
		{name: "both offered picks modern", subprotocols: []string{legacy, modern},
			wantStatus: http.StatusSwitchingProtocols, wantProtocol: modern},
		{name: "same origin", origin: ts.URL, subprotocols: []string{modern},
			wantStatus: http.StatusSwitchingProtocols, wantProtocol: modern},
		{name: "foreign origin", origin: "https://evil.example.net", subprotocols: []string{modern},
			wantStatus: http.StatusForbidden},
		{name: "allowed origin pattern", origin: "https://app.example.com", subprotocols: []string{modern},
			wantStatus: http.StatusSwitchingProtocols, wantProtocol: modern},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			header := http.Header{}
			if tt.origin != "" {
				header.Set("Origin", tt.origin)
			}
			ws, resp, err := dialRaw(ts, header, tt.subprotocols...)
			if resp == nil {
				t.Fatalf("no response: %v", err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d (%v)", resp.StatusCode, tt.wantStatus, err)
			}
			if ws == nil {
				return
			}
			defer func() { _ = ws.CloseNow() }()
			if ws.Subprotocol() != tt.wantProtocol {
				t.Fatalf("subprotocol %q, want %q", ws.Subprotocol(), tt.wantProtocol)
			}
		})
	}
}

// TestHTTPTransportsStillServed: requests without an upgrade fall through to the next
// transport.
func TestHTTPTransportsStillServed(t *testing.T) {
	ts := startServer(t, graphqlws.Config{}, newTestSchema(0))
	resp, err := http.Post(ts.URL, "application/json", strings.NewReader(`{"query":"{ hello }"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
}
