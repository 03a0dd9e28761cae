package neo4j

import (
	"testing"

	"github.com/literaryai/ensemble/internal/testkit"
)

// TestMain provides the PostgreSQL server that testkit.DB clones databases on.
func TestMain(m *testing.M) { testkit.Main(m) }
