package pinecone

import (
	"context"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	pc "github.com/pinecone-io/go-pinecone/v5/pinecone"

	"github.com/literaryai/ensemble/internal/vectorstore"
	"github.com/literaryai/ensemble/internal/vectorstore/vectortest"
)

// TestBehaviour runs the shared behaviour suite against a real index. It needs
// PINECONE_API_KEY and PINECONE_INDEX (a dense cosine or dotproduct index of dimension
// 8 or more); PINECONE_HOST skips the control-plane lookup and PINECONE_DIMENSION the
// lookup of the dimension.
func TestBehaviour(t *testing.T) {
	key, index := os.Getenv("PINECONE_API_KEY"), os.Getenv("PINECONE_INDEX")
	if key == "" || index == "" {
		t.Skip("Pinecone integration test skipped: set PINECONE_API_KEY and PINECONE_INDEX to run it against a real index")
	}
	ctx := context.Background()
	dim := indexDimension(t, key, index)
	if dim < 8 {
		t.Fatalf("index %s has dimension %d; the behaviour suite needs 8 or more", index, dim)
	}
	store, err := Open(ctx, Config{APIKey: key, Index: index, Host: os.Getenv("PINECONE_HOST"), Dimension: dim})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := store.Close(); err != nil {
			t.Error(err)
		}
	})
	rec := &written{Store: store, ecosystems: map[uuid.UUID]bool{}}
	// The suite writes to an ecosystem of its own choosing: clear whatever it wrote.
	t.Cleanup(func() {
		for eco := range rec.ecosystems {
			if err := store.DeleteEcosystem(context.Background(), eco); err != nil {
				t.Errorf("clean up the test's namespace: %v", err)
			}
		}
	})
	vectortest.Run(t, rec, dim, 60*time.Second)
}

// indexDimension is PINECONE_DIMENSION, or else the index's dimension as the control
// plane describes it.
func indexDimension(t *testing.T, key, index string) int {
	t.Helper()
	if s := os.Getenv("PINECONE_DIMENSION"); s != "" {
		dim, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("PINECONE_DIMENSION = %q is not a number", s)
		}
		return dim
	}
	client, err := pc.NewClient(pc.NewClientParams{ApiKey: key})
	if err != nil {
		t.Fatal(err)
	}
	desc, err := client.DescribeIndex(context.Background(), index)
	if err != nil {
		t.Fatalf("describe index %s: %v", index, err)
	}
	if desc.Dimension == nil {
		t.Fatalf("index %s reports no dimension: it must be dense", index)
	}
	return int(*desc.Dimension)
}

// written is the store, noting the ecosystems written to.
type written struct {
	*Store
	mu         sync.Mutex
	ecosystems map[uuid.UUID]bool
}

func (w *written) Upsert(ctx context.Context, ecosystem uuid.UUID, items ...vectorstore.Item) error {
	w.mu.Lock()
	w.ecosystems[ecosystem] = true
	w.mu.Unlock()
	return w.Store.Upsert(ctx, ecosystem, items...)
}
