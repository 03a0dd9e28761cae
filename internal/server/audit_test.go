package server_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/literaryai/ensemble/internal/testkit"
)

// TestMain gives every test in this package a PostgreSQL server (see testkit.Main).
func TestMain(m *testing.M) { testkit.Main(m) }

// e2eDir is the Node project with the audit script, relative to this package's directory
// (go test runs a package's tests in its own directory).
const e2eDir = "../../e2e"

// TestGraphQLOverHTTPAudit runs graphql-http's auditServer (e2e/audit.mjs) against the
// real API: it must report no error (failed MUST) and no warning (failed SHOULD).
func TestGraphQLOverHTTPAudit(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("the GraphQL-over-HTTP audit needs Node.js (node on PATH): %v", err)
	}
	if _, err := os.Stat(filepath.Join(e2eDir, "node_modules", "graphql-http")); err != nil {
		t.Fatalf("e2e/node_modules/graphql-http is missing (%v): run `npm ci --prefix e2e` from the repository root first", err)
	}
	srv := testkit.NewServer(t)

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Join(e2eDir, "audit.mjs"), srv.URL+"/graphql")
	out, err := cmd.CombinedOutput()
	t.Logf("audit output:\n%s", out)
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			t.Fatalf("the GraphQL-over-HTTP audit failed (exit %d): see the warnings and errors above", exit.ExitCode())
		}
		t.Fatalf("run the audit: %v", err)
	}
}
