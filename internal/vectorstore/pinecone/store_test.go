package pinecone

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	pc "github.com/pinecone-io/go-pinecone/v5/pinecone"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/literaryai/ensemble/internal/vectorstore"
)

// call is one data-plane request the fake received.
type call struct {
	op, namespace string
	vectors       []*pc.Vector
	ids           []string
	query         *pc.QueryByVectorValuesRequest
}

// fakePlane records requests and answers them with the errors queued in errs (one per
// request, then none), matches and stats.
type fakePlane struct {
	mu         sync.Mutex
	calls      []call
	errs       []error
	matches    []*pc.ScoredVector
	indexStats *pc.DescribeIndexStatsResponse
	closed     bool
}

func (f *fakePlane) record(c call) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, c)
	if len(f.errs) == 0 {
		return nil
	}
	err := f.errs[0]
	f.errs = f.errs[1:]
	return err
}

func (f *fakePlane) upsert(_ context.Context, ns string, vectors []*pc.Vector) error {
	return f.record(call{op: "upsert", namespace: ns, vectors: vectors})
}

func (f *fakePlane) deleteIDs(_ context.Context, ns string, ids []string) error {
	return f.record(call{op: "delete", namespace: ns, ids: ids})
}

func (f *fakePlane) deleteAll(_ context.Context, ns string) error {
	return f.record(call{op: "deleteAll", namespace: ns})
}

func (f *fakePlane) query(_ context.Context, ns string, req *pc.QueryByVectorValuesRequest) ([]*pc.ScoredVector, error) {
	if err := f.record(call{op: "query", namespace: ns, query: req}); err != nil {
		return nil, err
	}
	return f.matches, nil
}

func (f *fakePlane) stats(context.Context) (*pc.DescribeIndexStatsResponse, error) {
	if err := f.record(call{op: "stats"}); err != nil {
		return nil, err
	}
	return f.indexStats, nil
}

func (f *fakePlane) close() error {
	f.closed = true
	return nil
}

func (f *fakePlane) ops() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]string, len(f.calls))
	for i, c := range f.calls {
		out[i] = c.op
	}
	return out
}

func fakeStore(dim int) (*Store, *fakePlane) {
	f := &fakePlane{}
	return &Store{name: "memories", dim: dim, plane: f, retry: quickRetries}, f
}

func items(n, dim int) []vectorstore.Item {
	out := make([]vectorstore.Item, n)
	for i := range out {
		v := make([]float32, dim)
		v[i%dim] = 1
		out[i] = vectorstore.Item{ID: uuid.New(), Character: uuid.New(), Vector: v, Type: "OBSERVATION",
			Importance: 0.5, CreatedAt: time.Now()}
	}
	return out
}

func TestUpsertBatchesInOrder(t *testing.T) {
	s, f := fakeStore(4)
	eco := uuid.New()
	in := items(2500, 4)
	if err := s.Upsert(context.Background(), eco, in...); err != nil {
		t.Fatal(err)
	}
	var sent []*pc.Vector
	for i, c := range f.calls {
		if c.op != "upsert" || c.namespace != eco.String() {
			t.Fatalf("call %d = %s in %q, want an upsert in the ecosystem's namespace", i, c.op, c.namespace)
		}
		if want := []int{1000, 1000, 500}[i]; len(c.vectors) != want {
			t.Fatalf("request %d has %d vectors, want %d", i, len(c.vectors), want)
		}
		sent = append(sent, c.vectors...)
	}
	for i, v := range sent {
		if v.Id != in[i].ID.String() || v.Metadata.GetFields()["character_id"].GetStringValue() != in[i].Character.String() {
			t.Fatalf("vector %d = %s, want memory %s", i, v.Id, in[i].ID)
		}
	}
}

func TestUpsertBatchesBySize(t *testing.T) {
	const dim = 20000 // Pinecone's largest: 80 kB a vector
	s, f := fakeStore(dim)
	if err := s.Upsert(context.Background(), uuid.New(), items(60, dim)...); err != nil {
		t.Fatal(err)
	}
	total := 0
	for i, c := range f.calls {
		bytes := 0
		for _, v := range c.vectors {
			bytes += vectorSize(v)
		}
		if bytes > maxRequestBytes {
			t.Fatalf("request %d is %d bytes, over Pinecone's %d", i, bytes, maxRequestBytes)
		}
		total += len(c.vectors)
	}
	if total != 60 || len(f.calls) != 3 {
		t.Fatalf("%d vectors in %d requests, want 60 in 3", total, len(f.calls))
	}
}

func TestUpsertRefusesWrongDimension(t *testing.T) {
	s, f := fakeStore(4)
	in := append(items(2, 4), items(1, 3)...)
	err := s.Upsert(context.Background(), uuid.New(), in...)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("vector of memory %s has dimension 3, want 4", in[2].ID)) {
		t.Fatalf("error = %v", err)
	}
	if len(f.calls) != 0 {
		t.Fatalf("sent %v before refusing", f.ops())
	}
	if err := s.Upsert(context.Background(), uuid.New()); err != nil || len(f.calls) != 0 {
		t.Fatalf("an empty upsert: %v, %v", err, f.ops())
	}
}

func TestUpsertRetriesTransientFailures(t *testing.T) {
	s, f := fakeStore(4)
	f.errs = []error{status.Error(codes.Unavailable, "down"), nil, status.Error(codes.ResourceExhausted, "429")}
	if err := s.Upsert(context.Background(), uuid.New(), items(1500, 4)...); err != nil {
		t.Fatal(err)
	}
	if got := len(f.calls); got != 4 {
		t.Fatalf("%d requests, want 4 (two batches, each failing once)", got)
	}

	s, f = fakeStore(4)
	f.errs = []error{nil, status.Error(codes.InvalidArgument, "metadata too large")}
	err := s.Upsert(context.Background(), uuid.New(), items(1500, 4)...)
	if err == nil || !strings.Contains(err.Error(), "(request 2 of 2)") || status.Code(err) != codes.InvalidArgument {
		t.Fatalf("error = %v, want the refused second request", err)
	}
	if len(f.calls) != 2 {
		t.Fatalf("%d requests, want 2: a bad request is not retried", len(f.calls))
	}
}

func TestDelete(t *testing.T) {
	s, f := fakeStore(4)
	eco := uuid.New()
	ids := make([]uuid.UUID, 2001)
	for i := range ids {
		ids[i] = uuid.New()
	}
	if err := s.Delete(context.Background(), eco, ids...); err != nil {
		t.Fatal(err)
	}
	if len(f.calls) != 3 || len(f.calls[0].ids) != 1000 || len(f.calls[2].ids) != 1 ||
		f.calls[2].ids[0] != ids[2000].String() || f.calls[1].namespace != eco.String() {
		t.Fatalf("delete requests = %v", f.ops())
	}

	// An ecosystem that never had vectors has no namespace: nothing to delete.
	s, f = fakeStore(4)
	f.errs = []error{status.Error(codes.NotFound, "Namespace not found")}
	if err := s.Delete(context.Background(), eco, ids[0]); err != nil {
		t.Fatal(err)
	}
	f.errs = []error{status.Error(codes.NotFound, "Namespace not found")}
	if err := s.DeleteEcosystem(context.Background(), eco); err != nil {
		t.Fatal(err)
	}
	if ops := f.ops(); len(ops) != 2 || ops[1] != "deleteAll" || f.calls[1].namespace != eco.String() {
		t.Fatalf("requests = %v", ops)
	}

	f.errs = []error{status.Error(codes.PermissionDenied, "read-only key")}
	if err := s.DeleteEcosystem(context.Background(), eco); err == nil || !strings.Contains(err.Error(), "read-only key") {
		t.Fatalf("error = %v, want the refusal", err)
	}
}

func TestSearchRequests(t *testing.T) {
	s, f := fakeStore(4)
	eco, alice, m1, m2 := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	f.matches = []*pc.ScoredVector{match(m1.String(), alice.String(), 0.99), match(m2.String(), alice.String(), 0.5)}
	q := []float32{1, 0, 0, 0}

	hits, err := s.SearchCharacter(context.Background(), eco, alice, q, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 2 || hits[0] != (vectorstore.Hit{ID: m1, Character: alice, Score: 0.99}) || hits[1].ID != m2 {
		t.Fatalf("hits = %v", hits)
	}
	c := f.calls[0]
	cond, _ := c.query.MetadataFilter.AsMap()["character_id"].(map[string]any)
	if c.namespace != eco.String() || c.query.TopK != 7 || c.query.IncludeValues || !c.query.IncludeMetadata ||
		cond["$eq"] != alice.String() || &c.query.Vector[0] != &q[0] {
		t.Fatalf("character query = %q %+v", c.namespace, c.query)
	}

	if _, err := s.Search(context.Background(), eco, q, 3); err != nil {
		t.Fatal(err)
	}
	if c := f.calls[1]; c.query.MetadataFilter != nil || c.query.TopK != 3 || c.query.IncludeValues || c.namespace != eco.String() {
		t.Fatalf("ecosystem query = %q %+v", c.namespace, c.query)
	}
}

func TestSearchLimits(t *testing.T) {
	s, f := fakeStore(4)
	eco, q := uuid.New(), []float32{1, 0, 0, 0}
	if hits, err := s.Search(context.Background(), eco, q, 0); hits != nil || err != nil {
		t.Fatalf("k = 0: %v, %v", hits, err)
	}
	if _, err := s.Search(context.Background(), eco, q, MaxTopK+1); err == nil || !strings.Contains(err.Error(), "at most 10000") {
		t.Fatalf("k above the cap: %v", err)
	}
	if _, err := s.SearchCharacter(context.Background(), eco, uuid.New(), q[:3], 5); err == nil || !strings.Contains(err.Error(), "dimension 3, want 4") {
		t.Fatalf("short query: %v", err)
	}
	if len(f.calls) != 0 {
		t.Fatalf("sent %v", f.ops())
	}
	if _, err := s.Search(context.Background(), eco, q, MaxTopK); err != nil || f.calls[0].query.TopK != MaxTopK {
		t.Fatalf("k at the cap: %v", err)
	}
}

func TestSearchMissingNamespaceAndErrors(t *testing.T) {
	s, f := fakeStore(4)
	f.errs = []error{status.Error(codes.NotFound, "Namespace not found")}
	hits, err := s.Search(context.Background(), uuid.New(), []float32{1, 0, 0, 0}, 5)
	if err != nil || len(hits) != 0 {
		t.Fatalf("an ecosystem with no namespace: %v, %v", hits, err)
	}

	f.errs = []error{status.Error(codes.Unavailable, "down"), nil}
	f.matches = []*pc.ScoredVector{match("not-a-memory", uuid.NewString(), 1)}
	if _, err := s.Search(context.Background(), uuid.New(), []float32{1, 0, 0, 0}, 5); err == nil || !strings.Contains(err.Error(), `"not-a-memory"`) {
		t.Fatalf("foreign data: %v", err)
	}
	if len(f.calls) != 3 {
		t.Fatalf("%d requests, want the query retried once", len(f.calls))
	}
}

func TestStatus(t *testing.T) {
	s, f := fakeStore(4)
	f.indexStats = &pc.DescribeIndexStatsResponse{TotalVectorCount: 42, Namespaces: map[string]*pc.NamespaceSummary{"e": {VectorCount: 42}}}
	if st := s.Status(context.Background()); st != (vectorstore.Status{Backend: "pinecone", Up: true, Detail: "index memories: 42 vectors in 1 namespaces"}) {
		t.Fatalf("status = %+v", st)
	}
	// One attempt only: a health check must not wait through retries.
	f.errs = []error{status.Error(codes.Unavailable, "down"), nil}
	st := s.Status(context.Background())
	if st.Up || st.Backend != "pinecone" || !strings.Contains(st.Detail, "index memories: ") || !strings.Contains(st.Detail, "down") {
		t.Fatalf("status = %+v", st)
	}
	if len(f.calls) != 2 {
		t.Fatalf("%d requests, want 2", len(f.calls))
	}
	if err := s.Close(); err != nil || !f.closed {
		t.Fatalf("close: %v", err)
	}
}

// fakeKey is a made-up API key: no error or status may contain it.
const fakeKey = "pcsk_test_0123456789abcdef"

// controlPlane serves Pinecone's describe-index endpoint for the index "memories" from
// answers, one per request (the last repeats), and counts the requests.
func controlPlane(t *testing.T, answers ...func(w http.ResponseWriter)) *atomic.Int32 {
	t.Helper()
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		if r.Method != http.MethodGet || r.URL.Path != "/indexes/memories" || r.Header.Get("Api-Key") != fakeKey {
			http.Error(w, `{"error":{"code":"NOT_FOUND","message":"unexpected request"},"status":404}`, http.StatusNotFound)
			return
		}
		answers[min(i, len(answers)-1)](w)
	}))
	t.Cleanup(srv.Close)
	t.Setenv("PINECONE_CONTROLLER_HOST", srv.URL)
	return &n
}

func describe(dimension int, metric, host string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"name":"memories","host":%q,"metric":%q,"dimension":%d,"vector_type":"dense",
			"deletion_protection":"disabled","status":{"ready":true,"state":"Ready"},
			"spec":{"serverless":{"cloud":"aws","region":"us-east-1",
				"read_capacity":{"mode":"OnDemand","status":{"state":"Ready"}}}}}`, host, metric, dimension)
	}
}

func failWith(code int, body string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		fmt.Fprint(w, body)
	}
}

func TestOpenChecksTheIndex(t *testing.T) {
	// Nothing listens on port 1, so the data plane is down but the control plane answers.
	const deadHost = "127.0.0.1:1"
	unauthorized := failWith(401, `{"error":{"code":"UNAUTHENTICATED","message":"Invalid API Key"},"status":401}`)
	unavailable := failWith(503, `{"error":{"code":"UNAVAILABLE","message":"try again"},"status":503}`)
	tests := []struct {
		name      string
		answers   []func(http.ResponseWriter)
		wantErr   string
		wantCalls int32
	}{
		{"fits", []func(http.ResponseWriter){describe(8, "cosine", deadHost)}, "", 1},
		{"dot product fits", []func(http.ResponseWriter){describe(8, "dotproduct", deadHost)}, "", 1},
		{"after an outage", []func(http.ResponseWriter){unavailable, describe(8, "cosine", deadHost)}, "", 2},
		{"other dimension", []func(http.ResponseWriter){describe(1536, "cosine", deadHost)},
			`index "memories" has dimension 1536 but the embeddings have dimension 8`, 1},
		{"euclidean", []func(http.ResponseWriter){describe(8, "euclidean", deadHost)}, "must use cosine or dotproduct", 1},
		{"refused key, not retried", []func(http.ResponseWriter){unauthorized}, "Invalid API Key", 1},
		{"down for good", []func(http.ResponseWriter){unavailable}, "gave up after 2 attempts", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls := controlPlane(t, tt.answers...)
			s, err := Open(context.Background(), Config{APIKey: fakeKey, Index: "memories", Dimension: 8, MaxRetries: 1})
			if got := calls.Load(); got != tt.wantCalls {
				t.Errorf("%d control-plane requests, want %d", got, tt.wantCalls)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), fakeKey) {
					t.Fatalf("the error shows the API key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := s.Close(); err != nil {
					t.Error(err)
				}
			}()
			// The data plane is down: the status says so, within its timeout, without the key.
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
			defer cancel()
			st := s.Status(ctx)
			if st.Up || st.Backend != "pinecone" || !strings.HasPrefix(st.Detail, "index memories: ") || strings.Contains(st.Detail, fakeKey) {
				t.Fatalf("status of an unreachable index = %+v", st)
			}
		})
	}
}

func TestOpenWithHostChecksStats(t *testing.T) {
	// With a host, Open asks the data plane for the dimension; nothing listens here.
	_, err := Open(context.Background(), Config{APIKey: fakeKey, Host: "127.0.0.1:1", Dimension: 8, MaxRetries: -1, Timeout: 2 * time.Second})
	if err == nil || !strings.Contains(err.Error(), "describe stats of index 127.0.0.1:1") || strings.Contains(err.Error(), fakeKey) {
		t.Fatalf("error = %v", err)
	}
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("error %v does not carry the data plane's status", err)
	}
}

func TestOpenRefusesIncompleteConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no key", Config{Index: "memories", Dimension: 8}, "no API key configured (PINECONE_API_KEY)"},
		{"no index", Config{APIKey: fakeKey, Dimension: 8}, "no index configured (PINECONE_INDEX)"},
		{"no dimension", Config{APIKey: fakeKey, Index: "memories"}, "dimension must be positive, not 0"},
		{"malformed host", Config{APIKey: fakeKey, Host: "https://memories.pinecone.io/query", Dimension: 8}, "is not a host name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(context.Background(), tt.cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
