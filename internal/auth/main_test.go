package auth_test

import (
	"testing"

	"github.com/literaryai/ensemble/internal/testkit"
)

// TestMain gives the package's tests a PostgreSQL server (see testkit.Main).
func TestMain(m *testing.M) { testkit.Main(m) }
