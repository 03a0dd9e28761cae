package neo4j

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j"
	"github.com/neo4j/neo4j-go-driver/v5/neo4j/config"

	"github.com/literaryai/ensemble/internal/graphstore"
)

func TestConfigDefaults(t *testing.T) {
	got := Config{URI: "neo4j://db:7687"}.withDefaults()
	if got.MaxConnectionPoolSize != 50 || got.ConnectionAcquisitionTimeout != 30*time.Second ||
		got.MaxConnectionLifetime != time.Hour || got.DisableSocketKeepalive {
		t.Fatalf("defaults = %+v", got)
	}

	var dc config.Config
	got.configure(&dc)
	if dc.MaxConnectionPoolSize != 50 || dc.ConnectionAcquisitionTimeout != 30*time.Second ||
		dc.MaxConnectionLifetime != time.Hour || !dc.SocketKeepalive {
		t.Fatalf("driver config = %+v", dc)
	}
}

func TestConfigCallerSettingsKept(t *testing.T) {
	c := Config{
		MaxConnectionPoolSize:        7,
		ConnectionAcquisitionTimeout: -1, // the driver's "wait forever"
		MaxConnectionLifetime:        5 * time.Minute,
		DisableSocketKeepalive:       true,
	}.withDefaults()
	var dc config.Config
	c.configure(&dc)
	if dc.MaxConnectionPoolSize != 7 || dc.ConnectionAcquisitionTimeout != -1 ||
		dc.MaxConnectionLifetime != 5*time.Minute || dc.SocketKeepalive {
		t.Fatalf("driver config = %+v", dc)
	}
}

func TestConfigAuth(t *testing.T) {
	if scheme := (Config{}).auth().Tokens["scheme"]; scheme != "none" {
		t.Errorf("no credentials: scheme %v, want none", scheme)
	}
	tok := Config{User: "neo4j", Password: "secret"}.auth().Tokens
	if tok["scheme"] != "basic" || tok["principal"] != "neo4j" || tok["credentials"] != "secret" {
		t.Errorf("basic auth token = %v", tok)
	}
}

func TestOpenRefusesMissingURI(t *testing.T) {
	if _, err := Open(context.Background(), Config{}); err == nil || !strings.Contains(err.Error(), "URI is required") {
		t.Fatalf("Open without URI: %v", err)
	}
}

func TestOpenRefusesBadScheme(t *testing.T) {
	if _, err := Open(context.Background(), Config{URI: "http://127.0.0.1:7687"}); err == nil {
		t.Fatal("Open with an http URI succeeded")
	}
}

func TestOpenFailsWhenNothingAnswers(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := Open(ctx, Config{URI: "bolt://127.0.0.1:1"})
	if err == nil || !strings.Contains(err.Error(), "verify connectivity") {
		t.Fatalf("Open against a closed port: %v", err)
	}
}

// downStore is a Store whose driver points at a closed port: the driver connects
// lazily, so it can be built without a server.
func downStore(t *testing.T) *Store {
	t.Helper()
	// No retry: the driver would otherwise retry a failed write for 30 seconds.
	d, err := neo4j.NewDriverWithContext("bolt://127.0.0.1:1", neo4j.NoAuth(), func(c *config.Config) { c.MaxTransactionRetryTime = 0 })
	if err != nil {
		t.Fatalf("driver: %v", err)
	}
	t.Cleanup(func() { _ = d.Close(context.Background()) })
	return &Store{driver: d}
}

func TestStatusDown(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st := downStore(t).Status(ctx)
	if st.Backend != "neo4j" || st.Up || st.Error == "" {
		t.Fatalf("status = %+v, want neo4j, down, with an error", st)
	}
}

func TestArgumentsCheckedBeforeAnyRoundTrip(t *testing.T) {
	s := downStore(t)
	ctx := context.Background()
	eco, a, b := uuid.New(), uuid.New(), uuid.New()

	for _, depth := range []int{0, 4} {
		if _, err := s.NeighborsOf(ctx, nil, depth); err == nil || !strings.Contains(err.Error(), "neo4j neighbors") {
			t.Errorf("NeighborsOf depth %d: %v", depth, err)
		}
	}
	got, err := s.NeighborsOf(ctx, nil, 1)
	if err != nil || len(got) != 0 {
		t.Errorf("NeighborsOf no nodes = %v, %v; want empty without asking the server", got, err)
	}
	for _, depth := range []int{0, graphstore.MaxPathDepth + 1} {
		if _, err := s.ShortestPath(ctx, eco, a, b, depth, false); err == nil || !strings.Contains(err.Error(), "neo4j shortest path") {
			t.Errorf("ShortestPath depth %d: %v", depth, err)
		}
	}
}
