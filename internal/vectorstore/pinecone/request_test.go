package pinecone

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	pc "github.com/pinecone-io/go-pinecone/v5/pinecone"
	"google.golang.org/protobuf/proto"

	"github.com/literaryai/ensemble/internal/vectorstore"
)

func TestMetadata(t *testing.T) {
	character := uuid.MustParse("6f1c9a52-4a4e-4b8e-9a53-0c0dbb2b6a11")
	at := time.Date(2025, 3, 4, 5, 6, 7, 890_000_000, time.FixedZone("CET", 3600))
	tests := []struct {
		name string
		item vectorstore.Item
		want map[string]any
	}{
		{"a memory", vectorstore.Item{Character: character, Type: "OBSERVATION", Importance: 0.75, CreatedAt: at},
			map[string]any{"character_id": character.String(), "type": "OBSERVATION", "importance": 0.75,
				"created_at": "2025-03-04T04:06:07.89Z", "created_at_unix": float64(at.Unix())}},
		{"whole seconds, zero importance", vectorstore.Item{Character: character, Type: "FACT", CreatedAt: time.Unix(1700000000, 0)},
			map[string]any{"character_id": character.String(), "type": "FACT", "importance": 0.0,
				"created_at": "2023-11-14T22:13:20Z", "created_at_unix": 1700000000.0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := toVector(tt.item)
			if err != nil {
				t.Fatal(err)
			}
			got := v.Metadata.AsMap()
			if len(got) != len(tt.want) {
				t.Fatalf("metadata = %v, want %v", got, tt.want)
			}
			for k, want := range tt.want {
				if got[k] != want {
					t.Errorf("metadata[%s] = %v (%T), want %v (%T)", k, got[k], got[k], want, want)
				}
			}
		})
	}
}

func TestToVector(t *testing.T) {
	it := vectorstore.Item{ID: uuid.New(), Character: uuid.New(), Vector: []float32{0.6, 0.8}, Type: "PLAN"}
	v, err := toVector(it)
	if err != nil {
		t.Fatal(err)
	}
	if v.Id != it.ID.String() || v.Values == nil || len(*v.Values) != 2 || (*v.Values)[1] != 0.8 || v.SparseValues != nil {
		t.Fatalf("vector = %+v", v)
	}
	if _, err := toVector(vectorstore.Item{Type: "\xff"}); err == nil {
		t.Fatal("metadata that is not UTF-8 was accepted")
	}
}

func TestVectorSize(t *testing.T) {
	v, err := toVector(vectorstore.Item{ID: uuid.New(), Vector: make([]float32, 100), Type: "OBSERVATION"})
	if err != nil {
		t.Fatal(err)
	}
	floor := len(v.Id) + 400 + proto.Size(v.Metadata)
	if got := vectorSize(v); got < floor || got > floor+vectorOverhead {
		t.Fatalf("vectorSize = %d, want between %d and %d", got, floor, floor+vectorOverhead)
	}
}

func TestBatches(t *testing.T) {
	repeat := func(n, size int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = size
		}
		return s
	}
	tests := []struct {
		name            string
		sizes           []int
		maxCount, bytes int
		want            []span
	}{
		{"nothing", nil, 3, 100, nil},
		{"one", []int{10}, 3, 100, []span{{0, 1}}},
		{"count limit", repeat(7, 1), 3, 100, []span{{0, 3}, {3, 6}, {6, 7}}},
		{"exact count", repeat(6, 1), 3, 100, []span{{0, 3}, {3, 6}}},
		{"size limit first", repeat(5, 40), 10, 100, []span{{0, 2}, {2, 4}, {4, 5}}},
		{"size exactly fills", repeat(4, 50), 10, 100, []span{{0, 2}, {2, 4}}},
		{"oversized item alone", []int{10, 500, 10}, 10, 100, []span{{0, 1}, {1, 2}, {2, 3}}},
		{"oversized first", []int{500, 10, 10}, 10, 100, []span{{0, 1}, {1, 3}}},
		{"pinecone limits by count", repeat(2500, 1000), maxUpsertVectors, maxRequestBytes,
			[]span{{0, 1000}, {1000, 2000}, {2000, 2500}}},
		{"pinecone limits by size", repeat(60, 80_000), maxUpsertVectors, maxRequestBytes,
			[]span{{0, 26}, {26, 52}, {52, 60}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := batches(tt.sizes, tt.maxCount, tt.bytes)
			if len(got) != len(tt.want) {
				t.Fatalf("batches = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("batches = %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestCharacterFilter(t *testing.T) {
	character := uuid.New()
	f, err := characterFilter(character)
	if err != nil {
		t.Fatal(err)
	}
	got := f.AsMap()
	cond, ok := got["character_id"].(map[string]any)
	if len(got) != 1 || !ok || len(cond) != 1 || cond["$eq"] != character.String() {
		t.Fatalf("filter = %v", got)
	}
}

func match(id, character string, score float32) *pc.ScoredVector {
	md, err := pc.NewMetadata(map[string]any{"character_id": character, "type": "FACT"})
	if err != nil {
		panic(err)
	}
	return &pc.ScoredVector{Vector: &pc.Vector{Id: id, Metadata: md}, Score: score}
}

func TestToHits(t *testing.T) {
	a, b, alice, bob := uuid.New(), uuid.New(), uuid.New(), uuid.New()
	tests := []struct {
		name    string
		matches []*pc.ScoredVector
		want    []vectorstore.Hit
		wantErr string
	}{
		{"none", nil, []vectorstore.Hit{}, ""},
		{"in Pinecone's order", []*pc.ScoredVector{match(a.String(), alice.String(), 0.9), match(b.String(), bob.String(), 0.4)},
			[]vectorstore.Hit{{ID: a, Character: alice, Score: 0.9}, {ID: b, Character: bob, Score: 0.4}}, ""},
		{"foreign id", []*pc.ScoredVector{match("doc-1", alice.String(), 0.9)}, nil, `vector "doc-1" is not a memory's`},
		{"no character", []*pc.ScoredVector{{Vector: &pc.Vector{Id: a.String()}, Score: 0.9}}, nil, "no valid character_id"},
		{"bad character", []*pc.ScoredVector{match(a.String(), "alice", 0.9)}, nil, `no valid character_id in its metadata ("alice")`},
		{"no vector", []*pc.ScoredVector{{Score: 0.9}}, nil, "without its vector"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := toHits(tt.matches)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("hits = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("hits = %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestCheckIndex(t *testing.T) {
	dim := func(d int32) *int32 { return &d }
	ok := pc.Index{Name: "memories", Host: "memories-abc.svc.pinecone.io", Metric: pc.Cosine, VectorType: "dense", Dimension: dim(256)}
	with := func(change func(*pc.Index)) *pc.Index {
		idx := ok
		change(&idx)
		return &idx
	}
	tests := []struct {
		name    string
		desc    *pc.Index
		want    string // host, or the error's text
		wantErr bool
	}{
		{"cosine", &ok, "memories-abc.svc.pinecone.io", false},
		{"dot product", with(func(i *pc.Index) { i.Metric = pc.Dotproduct }), "memories-abc.svc.pinecone.io", false},
		{"no vector type reported", with(func(i *pc.Index) { i.VectorType = "" }), "memories-abc.svc.pinecone.io", false},
		{"euclidean", with(func(i *pc.Index) { i.Metric = pc.Euclidean }),
			`index "memories" uses the euclidean metric, but memory vectors are unit length and scored by cosine similarity: it must use cosine or dotproduct`, true},
		{"other dimension", with(func(i *pc.Index) { i.Dimension = dim(1536) }),
			`index "memories" has dimension 1536 but the embeddings have dimension 256`, true},
		{"sparse", with(func(i *pc.Index) { i.VectorType, i.Dimension = "sparse", nil }), `index "memories" is sparse`, true},
		{"no host yet", with(func(i *pc.Index) { i.Host, i.Status = "", &pc.IndexStatus{State: pc.Initializing} }),
			`index "memories" has no host yet (state Initializing)`, true},
		{"nothing", nil, "described no index", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			host, err := checkIndex(tt.desc, 256)
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.want)
				}
				return
			}
			if err != nil || host != tt.want {
				t.Fatalf("checkIndex = %q, %v; want %q", host, err, tt.want)
			}
		})
	}
}

func TestCheckStatsDimension(t *testing.T) {
	dim := func(d uint32) *uint32 { return &d }
	tests := []struct {
		name  string
		stats *pc.DescribeIndexStatsResponse
		want  string
	}{
		{"same", &pc.DescribeIndexStatsResponse{Dimension: dim(64)}, ""},
		{"other", &pc.DescribeIndexStatsResponse{Dimension: dim(32)}, "index h has dimension 32 but the embeddings have dimension 64"},
		{"unreported", &pc.DescribeIndexStatsResponse{}, "index h does not report its dimension"},
		{"nothing", nil, "index h does not report its dimension"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkStatsDimension("h", tt.stats, 64)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestNormalizeHost(t *testing.T) {
	tests := []struct {
		host, want string // want "" for an error
	}{
		{"memories-abc123.svc.aped-4627-b74a.pinecone.io", "https://memories-abc123.svc.aped-4627-b74a.pinecone.io"},
		{"https://memories-abc123.svc.aped-4627-b74a.pinecone.io", "https://memories-abc123.svc.aped-4627-b74a.pinecone.io"},
		{"https://memories-abc123.svc.aped-4627-b74a.pinecone.io/", "https://memories-abc123.svc.aped-4627-b74a.pinecone.io"},
		{"localhost:5081", "https://localhost:5081"},
		{"http://localhost:5081", "http://localhost:5081"},
		{"127.0.0.1:5081", "https://127.0.0.1:5081"},
		{"", ""},
		{"ftp://memories.pinecone.io", ""},
		{"https://memories.pinecone.io/query", ""},
		{"https://user:secret@memories.pinecone.io", ""},
		{"memories.pinecone.io?x=1", ""},
		{"http://[::1", ""},
		{"https://:5081", ""},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			got, err := normalizeHost(tt.host)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("normalizeHost(%q) = %q, want an error", tt.host, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("normalizeHost(%q) = %q, %v; want %q", tt.host, got, err, tt.want)
			}
		})
	}
}

func TestStatsDetail(t *testing.T) {
	stats := &pc.DescribeIndexStatsResponse{TotalVectorCount: 1234,
		Namespaces: map[string]*pc.NamespaceSummary{"a": {VectorCount: 1000}, "b": {VectorCount: 234}}}
	if got, want := statsDetail("memories", stats), "index memories: 1234 vectors in 2 namespaces"; got != want {
		t.Fatalf("detail = %q, want %q", got, want)
	}
}
