package metrics_test

import (
	"testing"

	"github.com/literaryai/ensemble/internal/testkit"
)

func TestMain(m *testing.M) { testkit.Main(m) }
