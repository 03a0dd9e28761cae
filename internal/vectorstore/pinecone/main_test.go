package pinecone

import (
	"testing"

	"github.com/literaryai/ensemble/internal/testkit"
)

// TestMain provides PostgreSQL for the rebuild tests.
func TestMain(m *testing.M) { testkit.Main(m) }
